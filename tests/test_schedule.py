"""`sparkdesk schedule` (jobs.md, "Scheduling"): the systemd units written, verified by
systemd-analyze and removed again; the LaunchAgent and the Task Scheduler task as text."""

from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sparkdesk.cli import main
from sparkdesk.jobs import schedule
from sparkdesk.jobs.schedule import (
    LaunchdScheduler,
    Schedule,
    ScheduleError,
    SchedulerError,
    SystemdScheduler,
    TaskScheduler,
    parse_schedule,
)

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
UNREACHABLE = "Failed to connect to bus: No medium found"
NS = {"t": schedule.TASK_NS}


def write_job(folder: Path, name: str = "weekly.toml") -> Path:
    """A complete job file as jobs.md shows one."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(
        'name = "Weekly Madrid report"\n'
        'dumps = ["dump"]\n'
        'types = ["resolved-conversation", "user"]\n'
        'tz = "Europe/Madrid"\n'
        'range = "last-week"\n'
        'out_dir = "reports"\n',
        encoding="utf-8",
    )
    return path


class FakeScheduler:
    """Records the commands; answers each with its given (status, message)."""

    def __init__(self, answers: dict[str, tuple[int, str]] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.answers = answers or {}

    def __call__(self, args):
        self.calls.append(list(args))
        key = " ".join(args)
        for start, (code, said) in self.answers.items():
            if start in key:
                return subprocess.CompletedProcess(args, code, "" if code else "", said if code else "")
        return subprocess.CompletedProcess(args, 0, "", "")


def unreachable() -> FakeScheduler:
    return FakeScheduler({"systemctl": (1, UNREACHABLE)})


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ----- the schedule itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "every, at, day, expected",
    [
        ("daily", None, None, Schedule("daily", 7, 0)),
        ("daily", "6:05", None, Schedule("daily", 6, 5)),
        ("daily", "23:59", None, Schedule("daily", 23, 59)),
        ("weekly", None, None, Schedule("weekly", 7, 0, "monday")),
        ("Weekly", "07:30", "Fri", Schedule("weekly", 7, 30, "friday")),
        ("weekly", "00:00", "sunday", Schedule("weekly", 0, 0, "sunday")),
        ("hourly", None, None, Schedule("hourly", 0, 0)),
        ("hourly", ":15", None, Schedule("hourly", 0, 15)),
    ],
)
def test_schedules_from_the_command_line(every, at, day, expected):
    assert parse_schedule(every, at, day) == expected


@pytest.mark.parametrize(
    "every, at, day, needle",
    [
        ("monthly", None, None, "--every must be one of hourly, daily, weekly"),
        ("daily", "24:00", None, "--at must be a time of day"),
        ("daily", "7", None, "--at must be a time of day"),
        ("daily", "07:60", None, "--at must be a time of day"),
        ("daily", ":15", None, "--at must be a time of day"),
        ("daily", None, "monday", "--day goes with --every weekly only"),
        ("hourly", None, "monday", "--day goes with --every weekly only"),
        ("hourly", "07:15", None, "the minute past each hour"),
        ("weekly", None, "mo", "--day must be a day of the week"),
        ("weekly", None, "someday", "--day must be a day of the week"),
    ],
)
def test_wrong_schedules_are_one_sentence(every, at, day, needle):
    with pytest.raises(ScheduleError, match=needle):
        parse_schedule(every, at, day)


def test_described_as_list_shows_them():
    assert Schedule("weekly", 7, 0, "monday").describe() == "every Monday at 07:00"
    assert Schedule("daily", 18, 5).describe() == "every day at 18:05"
    assert Schedule("hourly", 0, 5).describe() == "every hour at :05"


def test_each_job_file_has_its_own_safe_name(tmp_path):
    a = schedule.job_name(tmp_path / "a" / "Weekly Report (Madrid).toml")
    b = schedule.job_name(tmp_path / "b" / "Weekly Report (Madrid).toml")
    assert a.startswith("sparkdesk-job-weekly-report-madrid-") and a != b
    assert schedule.job_name(tmp_path / "a" / "Weekly Report (Madrid).toml") == a  # stable
    assert schedule.job_name(tmp_path / "a" / ".." / "a" / "Weekly Report (Madrid).toml") == a
    for odd in ("ñandú informe.toml", "%$.toml", "a" * 200 + ".toml"):
        name = schedule.job_name(tmp_path / odd)
        assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-") and len(name) < 70


def test_the_command_runs_this_installation(tmp_path):
    job = tmp_path / "job.toml"
    venv_python = "/opt/venv/bin/python"  # a link into a venv is kept as it is, not resolved
    assert schedule.job_command(job, venv_python, frozen=False) == [
        venv_python,
        "-m",
        "sparkdesk",
        "run",
        str(job),
    ]
    assert schedule.job_command(job, "/opt/sparkdesk/sparkdesk", frozen=True) == [
        "/opt/sparkdesk/sparkdesk",
        "run",
        str(job),
    ]
    assert schedule.job_command(Path("job.toml"), "/x/python", frozen=False)[-1] == str(
        Path.cwd() / "job.toml"
    )


def test_systemd_quoting_round_trips():
    odd = ["/plain/path", "/with space/a b.toml", 'q"uote', "back\\slash", "100%", "$HOME", "tab\there"]
    for program in odd:
        assert schedule.systemd_unquote(schedule.exec_start([program, *odd])) == [program, *odd]
    assert schedule.exec_start(["/a $b/py", "50% $x"]) == '"/a $b/py" "50%% $$x"'


# ----- Linux: a systemd user timer, for real -------------------------------------------------


def units_dir() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"


def verify(tmp_path: Path, *units: Path) -> subprocess.CompletedProcess:
    """``systemd-analyze --user verify`` as the user's manager would load the units (a
    container has no runtime folder: a private one is given)."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    args = [SYSTEMD_ANALYZE, "--user", "verify", "--man=no", *map(str, units)]
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)


needs_systemd_analyze = pytest.mark.skipif(not SYSTEMD_ANALYZE, reason="systemd-analyze not installed")


@needs_systemd_analyze
def test_install_writes_units_systemd_accepts_and_remove_deletes_them(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(schedule, "run_command", unreachable())
    job = write_job(tmp_path / "jobs")
    code, out, err = run(capsys, "schedule", "install", str(job), "--every", "weekly", "--day", "monday")
    name = schedule.job_name(job)
    assert code == 0, err
    assert out == f"Scheduled {name}: {job} every Monday at 07:00.\n"
    # no user manager here (as in CI): the files are written, and it says so in one sentence
    assert err.count("\n") == 1 and "cannot be reached" in err and "next login" in err
    timer, service = units_dir() / f"{name}.timer", units_dir() / f"{name}.service"
    wants = units_dir() / "timers.target.wants" / f"{name}.timer"
    assert wants.is_symlink() and wants.resolve() == timer
    timer_text, service_text = timer.read_text(), service.read_text()
    assert "OnCalendar=Mon *-*-* 07:00:00\n" in timer_text and "Persistent=true\n" in timer_text
    assert "WantedBy=timers.target" in timer_text
    assert "Type=oneshot\n" in service_text
    exec_start = next(line for line in service_text.splitlines() if line.startswith("ExecStart="))
    assert schedule.systemd_unquote(exec_start.removeprefix("ExecStart=")) == [
        str(Path(sys.executable).absolute()),
        "-m",
        "sparkdesk",
        "run",
        str(job),
    ]
    checked = verify(tmp_path, timer, service)
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr

    code, out, err = run(capsys, "schedule", "list")
    assert (code, err) == (0, "")
    assert out == f"{job}: every Monday at 07:00 [{name}]\n"

    code, out, err = run(capsys, "schedule", "remove", str(job))
    assert (code, err) == (0, "")
    assert not timer.exists() and not service.exists() and not wants.is_symlink()
    assert not (units_dir() / "timers.target.wants").exists()
    assert run(capsys, "schedule", "list")[1] == "No job is scheduled.\n"


@needs_systemd_analyze
def test_paths_with_spaces_percent_and_dollar_reach_systemd_intact(tmp_path, monkeypatch):
    """systemd-analyze checks that ExecStart's program exists: an interpreter at an awkward
    path proves the quoting, and the same unit unquoted is refused (the check can fail)."""
    odd = tmp_path / "Program Files 100% $USER"
    odd.mkdir()
    python = odd / "python3"
    python.symlink_to(sys.executable)
    monkeypatch.setattr(sys, "executable", str(python))
    job = write_job(tmp_path / "my jobs %h", "report $1.toml")
    units = SystemdScheduler(units_dir(), unreachable())
    installed = units.install(job, Schedule("hourly", 0, 15), "100% sure")
    timer, service = installed.files[:2]
    assert "OnCalendar=*-*-* *:15:00\n" in timer.read_text()
    assert "Description=SparkDesk job: 100%% sure\n" in service.read_text()
    checked = verify(tmp_path, timer, service)
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr
    assert units.list()[0].job_path == str(job)

    text = service.read_text()
    exec_start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    service.write_text(text.replace(exec_start, f"ExecStart={python} -m sparkdesk run {job}"))
    assert verify(tmp_path, timer, service).returncode != 0


def test_with_a_user_manager_the_timer_is_enabled_and_started(tmp_path):
    calls = FakeScheduler()
    job = write_job(tmp_path)
    done = schedule.install(job, Schedule("daily", 6, 0), SystemdScheduler(units_dir(), calls))
    name = schedule.job_name(job)
    assert done.active and done.note == "" and done.name == name
    assert calls.calls == [
        ["systemctl", "--user", "daemon-reload"],
        ["systemctl", "--user", "enable", "--now", f"{name}.timer"],
    ]
    calls.calls.clear()
    SystemdScheduler(units_dir(), calls).remove(job)
    assert calls.calls == [
        ["systemctl", "--user", "disable", "--now", f"{name}.timer"],
        ["systemctl", "--user", "daemon-reload"],
    ]
    assert list(units_dir().iterdir()) == []


def test_list_shows_the_next_run_when_systemd_tells(tmp_path, capsys, monkeypatch):
    job = write_job(tmp_path)
    SystemdScheduler(units_dir(), FakeScheduler()).install(job, Schedule("daily", 6, 0))

    def next_elapse(args):
        out = "Tue 2026-12-08 06:00:00 CET\n" if "show" in args else ""
        return subprocess.CompletedProcess(args, 0, out, "")

    monkeypatch.setattr(schedule, "run_command", next_elapse)
    code, out, _ = run(capsys, "schedule", "list")
    name = schedule.job_name(job)
    assert (code, out) == (0, f"{job}: every day at 06:00; next run Tue 2026-12-08 06:00:00 CET [{name}]\n")


def test_a_timer_systemd_will_not_start_is_taken_back_and_exits_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(schedule, "run_command", FakeScheduler({"enable": (1, "Unit file is masked.")}))
    job = write_job(tmp_path)
    code, out, err = run(capsys, "schedule", "install", str(job), "--every", "daily")
    assert (code, out) == (1, "")
    assert err == f"sparkdesk: systemd did not start {schedule.job_name(job)}.timer: Unit file is masked.\n"
    assert not any(p.is_file() for p in units_dir().rglob("*"))


def test_installing_again_replaces_the_schedule(tmp_path):
    job = write_job(tmp_path)
    units = SystemdScheduler(units_dir(), unreachable())
    units.install(job, Schedule("daily", 6, 0))
    units.install(job, Schedule("weekly", 8, 0, "friday"))
    assert [(e.job_path, e.schedule) for e in units.list()] == [
        (str(job), Schedule("weekly", 8, 0, "friday"))
    ]


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--every", "daily", "--at", "7pm"], "--at must be a time of day HH:MM"),
        (["--every", "daily", "--day", "monday"], "--day goes with --every weekly only"),
        (["--every", "fortnightly"], "--every must be one of"),
    ],
)
def test_wrong_install_command_lines_exit_2_and_write_nothing(tmp_path, capsys, argv, needle):
    job = write_job(tmp_path)
    code, out, err = run(capsys, "schedule", "install", str(job), *argv)
    assert (code, out) == (2, "")
    assert err.startswith("sparkdesk: ") and needle in err and err.count("\n") == 1
    assert not units_dir().exists()


def test_a_job_file_that_does_not_load_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(schedule, "run_command", unreachable())
    code, _, err = run(capsys, "schedule", "install", str(tmp_path / "missing.toml"), "--every", "daily")
    assert code == 2 and err == f"sparkdesk: the job file {tmp_path / 'missing.toml'} does not exist.\n"
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "unfinished\n', encoding="utf-8")
    code, _, err = run(capsys, "schedule", "install", str(broken), "--every", "daily")
    assert code == 2 and err.startswith("sparkdesk: ") and err.count("\n") == 1
    assert not units_dir().exists()


def test_removing_a_job_that_is_not_scheduled_exits_1(tmp_path, capsys):
    code, out, err = run(capsys, "schedule", "remove", str(tmp_path / "job.toml"))
    assert (code, out) == (1, "")
    assert (
        err
        == f"sparkdesk: {tmp_path / 'job.toml'} is not scheduled (sparkdesk schedule list shows what is).\n"
    )


# ----- macOS: a LaunchAgent, as text -----------------------------------------------------------


def test_launch_agent_plist(tmp_path):
    calls = FakeScheduler()
    home = tmp_path / "home"
    agents = schedule.scheduler_for("darwin", home=home, run=calls)
    assert isinstance(agents, LaunchdScheduler) and agents.folder == home / "Library" / "LaunchAgents"
    agents.uid = 501
    job = write_job(tmp_path / "My Jobs", "weekly & <more>.toml")
    done = agents.install(job, Schedule("weekly", 7, 30, "sunday"))
    label = "com.sparkdesk.job." + schedule.job_name(job).removeprefix("sparkdesk-job-")
    (plist_path,) = done.files
    assert plist_path == home / "Library" / "LaunchAgents" / f"{label}.plist"
    data = plistlib.loads(plist_path.read_bytes())
    assert data["Label"] == label
    assert data["ProgramArguments"] == [
        str(Path(sys.executable).absolute()),
        "-m",
        "sparkdesk",
        "run",
        str(job),
    ]
    assert data["StartCalendarInterval"] == {"Weekday": 0, "Hour": 7, "Minute": 30}
    assert data["StandardErrorPath"] == str(home / "Library" / "Logs" / "SparkDesk" / f"{label}.log")
    assert calls.calls == [
        ["launchctl", "bootout", f"gui/501/{label}"],
        ["launchctl", "bootstrap", "gui/501", str(plist_path)],
    ]
    assert [(e.name, e.job_path, e.schedule) for e in agents.list()] == [
        (label, str(job), Schedule("weekly", 7, 30, "sunday"))
    ]
    calls.calls.clear()
    agents.remove(job)
    assert calls.calls == [["launchctl", "bootout", f"gui/501/{label}"]] and not plist_path.exists()


@pytest.mark.parametrize(
    "when, interval",
    [
        (Schedule("daily", 6, 5), {"Hour": 6, "Minute": 5}),
        (Schedule("hourly", 0, 45), {"Minute": 45}),
        (Schedule("weekly", 7, 0, "monday"), {"Weekday": 1, "Hour": 7, "Minute": 0}),
        (Schedule("weekly", 7, 0, "saturday"), {"Weekday": 6, "Hour": 7, "Minute": 0}),
    ],
)
def test_launchd_calendar_intervals(tmp_path, when, interval):
    agents = LaunchdScheduler(tmp_path, FakeScheduler(), uid=501)
    job = write_job(tmp_path)
    assert plistlib.loads(agents.plist_text(job, when).encode())["StartCalendarInterval"] == interval
    agents.install(job, when)
    assert agents.list()[0].schedule == when


def test_launchctl_refusing_leaves_no_plist(tmp_path):
    agents = LaunchdScheduler(
        tmp_path / "agents", FakeScheduler({"bootstrap": (5, "Input/output error")}), uid=501
    )
    with pytest.raises(SchedulerError, match="launchctl did not load .*: Input/output error"):
        agents.install(write_job(tmp_path), Schedule("daily"))
    assert list((tmp_path / "agents").iterdir()) == []


# ----- Windows: a Task Scheduler task, as text -------------------------------------------------


def test_windows_task_xml(tmp_path):
    calls = FakeScheduler()
    tasks = schedule.scheduler_for("win32", env={"LOCALAPPDATA": str(tmp_path / "Local")}, run=calls)
    assert isinstance(tasks, TaskScheduler) and tasks.folder == tmp_path / "Local" / "SparkDesk" / "schedules"
    job = write_job(tmp_path / "My Jobs", "weekly & <more>.toml")
    done = tasks.install(job, Schedule("weekly", 7, 0, "friday"), "Weekly <Madrid> & co")
    (xml_path,) = done.files
    raw = xml_path.read_bytes()
    assert raw.startswith(b"\xff\xfe")  # UTF-16 with its byte-order mark, as Task Scheduler writes
    root = ET.fromstring(raw)
    assert root.tag == f"{{{schedule.TASK_NS}}}Task"
    name = f"SparkDesk\\{schedule.job_name(job)}"
    assert root.findtext("t:RegistrationInfo/t:URI", None, NS) == "\\" + name
    assert (
        root.findtext("t:RegistrationInfo/t:Description", None, NS) == "SparkDesk job: Weekly <Madrid> & co"
    )
    assert root.findtext("t:Settings/t:StartWhenAvailable", None, NS) == "true"
    trigger = root.find("t:Triggers/t:CalendarTrigger", NS)
    assert trigger.findtext("t:StartBoundary", None, NS) == "2024-01-05T07:00:00"  # a Friday
    days = trigger.find("t:ScheduleByWeek/t:DaysOfWeek", NS)
    assert [d.tag for d in days] == [f"{{{schedule.TASK_NS}}}Friday"]
    assert trigger.findtext("t:ScheduleByWeek/t:WeeksInterval", None, NS) == "1"
    assert root.findtext("t:Actions/t:Exec/t:Command", None, NS) == str(Path(sys.executable).absolute())
    args = root.findtext("t:Actions/t:Exec/t:Arguments", None, NS)
    assert args == subprocess.list2cmdline(["-m", "sparkdesk", "run", str(job)])
    assert f'"{job}"' in args  # the path with spaces is one argument
    assert calls.calls == [["schtasks", "/Create", "/TN", name, "/XML", str(xml_path), "/F"]]
    assert [(e.name, e.job_path, e.schedule) for e in tasks.list()] == [
        (name, str(job), Schedule("weekly", 7, 0, "friday"))
    ]
    calls.calls.clear()
    tasks.remove(job)
    assert calls.calls == [["schtasks", "/Delete", "/TN", name, "/F"]] and not xml_path.exists()


def test_windows_hourly_and_daily_triggers(tmp_path):
    tasks = TaskScheduler(tmp_path / "tasks", FakeScheduler())
    job = write_job(tmp_path)
    hourly = ET.fromstring(tasks.task_xml(job, Schedule("hourly", 0, 20)).encode("utf-16"))
    trigger = hourly.find("t:Triggers/t:CalendarTrigger", NS)
    assert trigger.findtext("t:Repetition/t:Interval", None, NS) == "PT1H"
    assert trigger.findtext("t:Repetition/t:StopAtDurationEnd", None, NS) == "false"
    assert trigger.findtext("t:StartBoundary", None, NS) == "2024-01-01T00:20:00"
    assert trigger.findtext("t:ScheduleByDay/t:DaysInterval", None, NS) == "1"
    daily = ET.fromstring(tasks.task_xml(job, Schedule("daily", 18, 0)).encode("utf-16"))
    trigger = daily.find("t:Triggers/t:CalendarTrigger", NS)
    assert trigger.find("t:Repetition", NS) is None and trigger.find("t:ScheduleByWeek", NS) is None
    assert trigger.findtext("t:ScheduleByDay/t:DaysInterval", None, NS) == "1"
    for when in (Schedule("hourly", 0, 20), Schedule("daily", 18, 0)):
        tasks.install(job, when)
        assert tasks.list()[0].schedule == when


def test_schtasks_refusing_leaves_no_xml(tmp_path):
    tasks = TaskScheduler(tmp_path / "tasks", FakeScheduler({"/Create": (1, "ERROR: Access is denied.")}))
    with pytest.raises(SchedulerError, match="Task Scheduler did not take the task: ERROR: Access is denied"):
        tasks.install(write_job(tmp_path), Schedule("daily"))
    assert list((tmp_path / "tasks").iterdir()) == []


# ----- where each scheduler keeps its files ----------------------------------------------------


def test_scheduler_folders(tmp_path):
    home = tmp_path / "home"
    cfg = tmp_path / "cfg"
    assert schedule.scheduler_for("linux", env={"XDG_CONFIG_HOME": str(cfg)}, home=home).folder == (
        cfg / "systemd" / "user"
    )
    for env in ({}, {"XDG_CONFIG_HOME": "relative/cfg"}):  # a relative one is ignored (XDG spec)
        assert (
            schedule.scheduler_for("linux", env=env, home=home).folder
            == home / ".config" / "systemd" / "user"
        )
    with pytest.raises(SchedulerError, match="cannot schedule jobs on this system"):
        schedule.scheduler_for("plan9", home=home)


def test_the_scheduled_command_runs_the_job(tmp_path):
    """What systemd would start, run from another folder: the job's file is written."""
    from sparkdesk.demo import write_demo

    dump = write_demo(tmp_path / "acme", conversations=40, seed=2)
    job = tmp_path / "jobs" / "team.toml"
    job.parent.mkdir()
    job.write_text(
        f'dumps = ["{dump}"]\ntypes = ["team"]\ntz = "UTC"\nrange = "2000-01-01..2030-12-31"\n'
        'out_dir = "out"\nname_pattern = "{type}.{ext}"\n',
        encoding="utf-8",
    )
    installed = SystemdScheduler(units_dir(), unreachable()).install(job, Schedule("daily"))
    service = installed.files[1].read_text()
    exec_start = next(line for line in service.splitlines() if line.startswith("ExecStart="))
    args = schedule.systemd_unquote(exec_start.removeprefix("ExecStart="))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(args, cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (job.parent / "out" / "team.csv").is_file()  # relative to the job, not the folder it ran in
