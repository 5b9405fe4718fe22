"""Register a job with the computer's own scheduler (jobs.md, "Scheduling").

Nothing runs in the background inside SparkDesk: ``install`` writes the scheduler's own
definition of "run ``sparkdesk run JOB`` every day at 07:00" and asks the scheduler to load it.
Linux gets a systemd user timer and service (``Persistent=true``: a run missed while the
computer was off happens at the next start), macOS a LaunchAgent (``StartCalendarInterval``),
Windows a Task Scheduler task (``StartWhenAvailable``: as soon as possible after a missed
start). The definitions are written from the templates in ``resources/schedule/``.

The platform is a parameter (``scheduler_for(platform=...)``) and every command the
schedulers are asked to run goes through one ``run`` callable, so that all three are
written and read back on any computer; only systemd's are also loaded here. ``list`` reads
the definitions back from the scheduler's folder (what the scheduler has, not a copy of our
own), ``remove`` unloads and deletes them. Each job file has its own name there, derived from
its absolute path: a readable part from the file name and a hash of the whole path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Template
from xml.sax.saxutils import escape

from sparkdesk.files import atomic_output
from sparkdesk.resources import resources_path

EVERY = ("hourly", "daily", "weekly")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_AT = (7, 0)  # daily and weekly: 07:00; hourly: minute 0
NAME_PREFIX = "sparkdesk-job-"
LAUNCHD_PREFIX = "com.sparkdesk.job."
TASK_FOLDER = "SparkDesk"
TASK_NS = "http://schemas.microsoft.com/windows/2004/02/mit/task"

_AT_FORM = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_MINUTE_FORM = re.compile(r":?([0-9]{2})")


class ScheduleError(ValueError):
    """The request is wrong (a bad time, a day without weekly, a job file that does not
    load); the message is one sentence. The command line exits 2."""


class SchedulerError(RuntimeError):
    """The scheduler refused or failed; the message is one sentence. The command line exits 1."""


# ----- what and when ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """When a job runs: every hour at ``minute``, every day at ``hour:minute``, or every
    week on ``day`` at ``hour:minute`` (the computer's local time, as the schedulers count)."""

    every: str
    hour: int = DEFAULT_AT[0]
    minute: int = DEFAULT_AT[1]
    day: str | None = None  # weekly only: one of WEEKDAYS

    def describe(self) -> str:
        """The schedule in a few words, as ``schedule list`` shows it."""
        if self.every == "hourly":
            return f"every hour at :{self.minute:02d}"
        at = f"{self.hour:02d}:{self.minute:02d}"
        if self.every == "daily":
            return f"every day at {at}"
        return f"every {(self.day or 'monday').capitalize()} at {at}"


def parse_schedule(every: str, at: str | None = None, day: str | None = None) -> Schedule:
    """The schedule of the command line's ``--every``, ``--at`` and ``--day``.

    ``--at`` is ``HH:MM`` for daily and weekly (default 07:00); for hourly it names the
    minute past each hour, ``:MM`` (default :00), since an hour there would mean nothing.
    ``--day`` goes with weekly only (default Monday); day names may be shortened to three
    letters (``mon``).
    """
    every = (every or "").strip().lower()
    if every not in EVERY:
        raise ScheduleError(f"--every must be one of {', '.join(EVERY)}, not {every!r}.")
    if day is not None and every != "weekly":
        raise ScheduleError("--day goes with --every weekly only.")
    if every == "hourly":
        return Schedule("hourly", 0, _minute_of(at), None)
    hour, minute = _time_of(at) if at is not None else DEFAULT_AT
    if every == "daily":
        return Schedule("daily", hour, minute, None)
    return Schedule("weekly", hour, minute, _weekday(day) if day is not None else "monday")


def _time_of(text: str) -> tuple[int, int]:
    found = _AT_FORM.fullmatch(text.strip())
    if found:
        hour, minute = int(found[1]), int(found[2])
        if hour < 24 and minute < 60:
            return hour, minute
    raise ScheduleError(f"--at must be a time of day HH:MM from 00:00 to 23:59, not {text!r}.")


def _minute_of(text: str | None) -> int:
    if text is None:
        return 0
    found = _MINUTE_FORM.fullmatch(text.strip())
    if found and int(found[1]) < 60:
        return int(found[1])
    raise ScheduleError(
        f"with --every hourly, --at names the minute past each hour (:00 to :59), not {text!r}."
    )


def _weekday(text: str) -> str:
    name = text.strip().lower()
    for full in WEEKDAYS:
        if name == full or (len(name) >= 3 and full.startswith(name)):
            return full
    raise ScheduleError(f"--day must be a day of the week (monday to sunday), not {text!r}.")


@dataclass(frozen=True)
class Scheduled:
    """A job the scheduler has: what ``schedule list`` shows and ``remove`` takes away."""

    name: str  # the unit, label or task name
    job_path: str
    schedule: Schedule | None  # None: a definition this version cannot read back
    files: tuple[Path, ...]
    next_run: str | None = None  # when the scheduler can tell


@dataclass(frozen=True)
class Installed:
    name: str
    files: tuple[Path, ...]
    active: bool  # the scheduler has loaded it (else it is written, and loads later)
    note: str = ""  # one sentence when not active


Runner = Callable[[Sequence[str]], subprocess.CompletedProcess]


def run_command(args: Sequence[str]) -> subprocess.CompletedProcess:
    """Run a scheduler's command; a program that is not there is a failed command, not a crash."""
    try:
        return subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as err:
        return subprocess.CompletedProcess(list(args), 127, "", str(err))


def job_name(job_path: Path) -> str:
    """The scheduler's name for one job file: ``sparkdesk-job-<file name>-<hash of the path>``.

    The readable part keeps letters, digits and ``-`` (any scheduler takes those); the hash
    of the whole absolute path keeps two ``report.toml`` in different folders apart.
    """
    path = os.path.abspath(job_path)
    slug = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-")[:40] or "job"
    digest = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{NAME_PREFIX}{slug}-{digest}"


def job_command(job_path: Path, executable: str | None = None, frozen: bool | None = None) -> list[str]:
    """The command that runs the job with this very installation of SparkDesk.

    The interpreter's absolute path is kept as it is, not resolved: a virtual environment's
    ``python`` is a link to the system one, and only the link runs with the environment's
    packages. An installer's frozen ``sparkdesk`` takes the command directly.
    """
    exe = str(Path(executable or sys.executable).absolute())
    is_frozen = getattr(sys, "frozen", False) if frozen is None else frozen
    head = [exe] if is_frozen else [exe, "-m", "sparkdesk"]
    return [*head, "run", os.path.abspath(job_path)]


def _template(name: str) -> Template:
    return Template((resources_path() / "schedule" / name).read_text(encoding="utf-8"))


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as out:
        out.write(data)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _failure(done: subprocess.CompletedProcess) -> str:
    said = (done.stderr or done.stdout or "").strip().splitlines()
    return said[0].rstrip(".") if said else f"exit status {done.returncode}"


# ----- the three schedulers --------------------------------------------------------------------


class Scheduler:
    """One platform's scheduler: writes, loads, lists and removes job definitions."""

    platform = ""

    def __init__(self, folder: Path, run: Runner | None = None) -> None:
        self.folder = Path(folder)
        self._runner = run

    def run(self, args: Sequence[str]) -> subprocess.CompletedProcess:
        """Run one of the scheduler's commands (through ``run_command`` unless told otherwise)."""
        return (self._runner or run_command)(args)

    def install(self, job_path: Path, schedule: Schedule, description: str = "") -> Installed:
        raise NotImplementedError

    def list(self, next_run: bool = True) -> list[Scheduled]:
        """The scheduled jobs; ``next_run``: ask the scheduler when each runs next (if it can tell)."""
        raise NotImplementedError

    def unload(self, entry: Scheduled) -> None:
        raise NotImplementedError

    def find(self, job: str | Path) -> Scheduled | None:
        """The scheduled entry of a job file (by its absolute path), or of a listed name."""
        path = os.path.abspath(job)
        for entry in self.list(next_run=False):
            if entry.job_path == path or entry.name == str(job):
                return entry
        return None

    def remove(self, job: str | Path) -> Scheduled:
        """Unload the job's schedule and delete its files; SchedulerError when there is none."""
        entry = self.find(job)
        if entry is None:
            raise SchedulerError(f"{job} is not scheduled (sparkdesk schedule list shows what is).")
        self.unload(entry)
        for path in entry.files:
            path.unlink(missing_ok=True)
        return entry


class SystemdScheduler(Scheduler):
    """A systemd user timer and service in ``$XDG_CONFIG_HOME/systemd/user``."""

    platform = "linux"

    def __init__(self, folder: Path, run: Runner | None = None, systemctl: str = "systemctl") -> None:
        super().__init__(folder, run)
        self.systemctl = systemctl

    def _ctl(self, *args: str) -> subprocess.CompletedProcess:
        return self.run([self.systemctl, "--user", *args])

    def unit_texts(self, job_path: Path, schedule: Schedule, description: str = "") -> tuple[str, str]:
        """The service and the timer, as text."""
        fields = {
            "job_path": _one_line(str(job_path)),
            "description": _specifiers(_one_line(description or Path(job_path).stem)),
            "exec_start": exec_start(job_command(job_path)),
            "on_calendar": on_calendar(schedule),
        }
        service = _template("sparkdesk-job.service").substitute(fields)
        timer = _template("sparkdesk-job.timer").substitute(fields)
        return service, timer

    def install(self, job_path: Path, schedule: Schedule, description: str = "") -> Installed:
        name = job_name(job_path)
        service, timer = self.unit_texts(job_path, schedule, description)
        service_path, timer_path = self.folder / f"{name}.service", self.folder / f"{name}.timer"
        _write(service_path, service.encode("utf-8"))
        _write(timer_path, timer.encode("utf-8"))
        link = self._enable_link(timer_path)
        files = (timer_path, service_path, link)
        reload = self._ctl("daemon-reload")
        if reload.returncode != 0:
            note = (
                f"systemd's user manager cannot be reached ({_failure(reload)}): the timer is written "
                "and enabled, and starts at your next login."
            )
            return Installed(name, files, False, note)
        started = self._ctl("enable", "--now", timer_path.name)
        if started.returncode != 0:
            for path in files:
                path.unlink(missing_ok=True)
            self._ctl("daemon-reload")
            raise SchedulerError(f"systemd did not start {timer_path.name}: {_failure(started)}.")
        return Installed(name, files, True)

    def _enable_link(self, timer_path: Path) -> Path:
        """What ``systemctl --user enable`` makes: the timer wanted by ``timers.target``, so
        that it starts with the user's manager even when that cannot be reached now."""
        link = self.folder / "timers.target.wants" / timer_path.name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.unlink(missing_ok=True)
        link.symlink_to(timer_path)
        return link

    def list(self, next_run: bool = True) -> list[Scheduled]:
        found = []
        for timer_path in sorted(self.folder.glob(f"{NAME_PREFIX}*.timer")):
            name = timer_path.stem
            service_path = timer_path.with_suffix(".service")
            text = timer_path.read_text(encoding="utf-8", errors="replace")
            link = self.folder / "timers.target.wants" / timer_path.name
            files = tuple(p for p in (timer_path, service_path, link) if p.is_symlink() or p.exists())
            when = self._next_run(name) if next_run else None
            found.append(Scheduled(name, _job_comment(text), _from_on_calendar(text), files, when))
        return found

    def _next_run(self, name: str) -> str | None:
        done = self._ctl("show", f"{name}.timer", "--property=NextElapseUSecRealtime", "--value")
        value = (done.stdout or "").strip()
        return value if done.returncode == 0 and value and value != "n/a" else None

    def unload(self, entry: Scheduled) -> None:
        self._ctl("disable", "--now", f"{entry.name}.timer")  # nothing to stop when unreachable

    def remove(self, job: str | Path) -> Scheduled:
        entry = super().remove(job)
        wants = self.folder / "timers.target.wants"
        if wants.is_dir() and not any(wants.iterdir()):
            wants.rmdir()
        self._ctl("daemon-reload")
        return entry


def systemd_quote(arg: str, program: bool = False) -> str:
    """One ExecStart word for systemd: in double quotes, with ``\\`` and ``"`` escaped and
    ``%`` doubled (a specifier otherwise). In an argument ``$`` is doubled too (a variable
    otherwise); the program's own path is not expanded, so there it stays single."""
    text = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    if not program:
        text = text.replace("$", "$$")
    return f'"{text}"'


def exec_start(args: Sequence[str]) -> str:
    """The value of ExecStart= that runs ``args``."""
    return " ".join(systemd_quote(a, program=i == 0) for i, a in enumerate(args))


def systemd_unquote(value: str) -> list[str]:
    """The arguments of an ExecStart value written by ``exec_start`` (tests, ``list``)."""
    words = [w.replace("%%", "%") for w in shlex.split(value)]
    return words[:1] + [w.replace("$$", "$") for w in words[1:]]


def _specifiers(text: str) -> str:
    return text.replace("%", "%%")


def on_calendar(schedule: Schedule) -> str:
    """systemd's calendar event for the schedule (``systemd.time(7)``)."""
    if schedule.every == "hourly":
        return f"*-*-* *:{schedule.minute:02d}:00"
    at = f"{schedule.hour:02d}:{schedule.minute:02d}:00"
    if schedule.every == "daily":
        return f"*-*-* {at}"
    return f"{(schedule.day or 'monday')[:3].capitalize()} *-*-* {at}"


_ON_CALENDAR = re.compile(
    r"^OnCalendar=(?:(?P<day>[A-Z][a-z]{2}) )?\*-\*-\* (?P<hour>\*|[0-9]{2}):(?P<minute>[0-9]{2}):00\s*$",
    re.MULTILINE,
)


def _from_on_calendar(timer_text: str) -> Schedule | None:
    found = _ON_CALENDAR.search(timer_text)
    if found is None:
        return None
    minute = int(found["minute"])
    if found["hour"] == "*":
        return Schedule("hourly", 0, minute)
    if found["day"]:
        day = next((d for d in WEEKDAYS if d.startswith(found["day"].lower())), None)
        return Schedule("weekly", int(found["hour"]), minute, day)
    return Schedule("daily", int(found["hour"]), minute)


def _job_comment(text: str) -> str:
    found = re.search(r"^# SparkDesk job: (.*)$", text, re.MULTILINE)
    return found[1].strip() if found else ""


class LaunchdScheduler(Scheduler):
    """A LaunchAgent in ``~/Library/LaunchAgents``, loaded with ``launchctl bootstrap``."""

    platform = "darwin"

    def __init__(
        self, folder: Path, run: Runner | None = None, uid: int | None = None, logs: Path | None = None
    ) -> None:
        super().__init__(folder, run)
        self.uid = uid if uid is not None else (os.getuid() if hasattr(os, "getuid") else 0)
        self.logs = logs or folder.parent / "Logs" / "SparkDesk"

    @property
    def domain(self) -> str:
        return f"gui/{self.uid}"

    def label(self, job_path: Path) -> str:
        return LAUNCHD_PREFIX + job_name(job_path).removeprefix(NAME_PREFIX)

    def plist_text(self, job_path: Path, schedule: Schedule) -> str:
        label = self.label(job_path)
        args = "\n".join(f"\t\t<string>{escape(a)}</string>" for a in job_command(job_path))
        calendar = "\n".join(
            f"\t\t<key>{key}</key>\n\t\t<integer>{value}</integer>"
            for key, value in calendar_interval(schedule).items()
        )
        return _template("launchagent.plist").substitute(
            label=label,
            program_arguments=args,
            calendar=calendar,
            log_path=escape(str(self.logs / f"{label}.log")),
        )

    def install(self, job_path: Path, schedule: Schedule, description: str = "") -> Installed:
        label = self.label(job_path)
        path = self.folder / f"{label}.plist"
        self.run(["launchctl", "bootout", f"{self.domain}/{label}"])  # an older one, if any
        _write(path, self.plist_text(job_path, schedule).encode("utf-8"))
        self.logs.mkdir(parents=True, exist_ok=True)
        done = self.run(["launchctl", "bootstrap", self.domain, str(path)])
        if done.returncode != 0:
            path.unlink(missing_ok=True)
            raise SchedulerError(f"launchctl did not load {label}: {_failure(done)}.")
        return Installed(label, (path,), True)

    def list(self, next_run: bool = True) -> list[Scheduled]:
        import plistlib

        found = []
        for path in sorted(self.folder.glob(f"{LAUNCHD_PREFIX}*.plist")):
            try:
                data = plistlib.loads(path.read_bytes())
                job = str(data["ProgramArguments"][-1])
                schedule = _from_calendar_interval(data.get("StartCalendarInterval", {}))
            except (ValueError, KeyError, IndexError, TypeError, plistlib.InvalidFileException):
                job, schedule = "", None
            found.append(Scheduled(path.stem, job, schedule, (path,)))
        return found

    def unload(self, entry: Scheduled) -> None:
        self.run(["launchctl", "bootout", f"{self.domain}/{entry.name}"])


def calendar_interval(schedule: Schedule) -> dict[str, int]:
    """launchd's ``StartCalendarInterval`` (``Weekday`` 0 is Sunday, 1 Monday)."""
    if schedule.every == "hourly":
        return {"Minute": schedule.minute}
    out = {"Hour": schedule.hour, "Minute": schedule.minute}
    if schedule.every == "weekly":
        out = {"Weekday": (WEEKDAYS.index(schedule.day or "monday") + 1) % 7, **out}
    return out


def _from_calendar_interval(data: Mapping[str, int]) -> Schedule | None:
    minute = int(data.get("Minute", 0))
    if "Hour" not in data:
        return Schedule("hourly", 0, minute)
    if "Weekday" in data:
        return Schedule("weekly", int(data["Hour"]), minute, WEEKDAYS[(int(data["Weekday"]) - 1) % 7])
    return Schedule("daily", int(data["Hour"]), minute)


class TaskScheduler(Scheduler):
    """A Windows Task Scheduler task, registered with ``schtasks /Create /XML``; the XML is
    kept in SparkDesk's data folder, which ``list`` reads."""

    platform = "win32"

    def task_name(self, job_path: Path) -> str:
        return f"{TASK_FOLDER}\\{job_name(job_path)}"

    def task_xml(self, job_path: Path, schedule: Schedule, description: str = "") -> str:
        command, *args = job_command(job_path)
        return _template("task.xml").substitute(
            description=escape(_one_line(description or Path(job_path).stem)),
            uri=escape("\\" + self.task_name(job_path)),
            start_boundary=start_boundary(schedule),
            repetition=_repetition(schedule),
            schedule_by=_schedule_by(schedule),
            command=escape(command),
            arguments=escape(subprocess.list2cmdline(args)),
        )

    def install(self, job_path: Path, schedule: Schedule, description: str = "") -> Installed:
        path = self.folder / f"{job_name(job_path)}.xml"
        _write(path, self.task_xml(job_path, schedule, description).encode("utf-16"))
        done = self.run(["schtasks", "/Create", "/TN", self.task_name(job_path), "/XML", str(path), "/F"])
        if done.returncode != 0:
            path.unlink(missing_ok=True)
            raise SchedulerError(f"Task Scheduler did not take the task: {_failure(done)}.")
        return Installed(self.task_name(job_path), (path,), True)

    def list(self, next_run: bool = True) -> list[Scheduled]:
        found = []
        for path in sorted(self.folder.glob(f"{NAME_PREFIX}*.xml")):
            job, schedule = _read_task(path)
            found.append(Scheduled(f"{TASK_FOLDER}\\{path.stem}", job, schedule, (path,)))
        return found

    def unload(self, entry: Scheduled) -> None:
        self.run(["schtasks", "/Delete", "/TN", entry.name, "/F"])


def start_boundary(schedule: Schedule) -> str:
    """The first start: 1 January 2024 was a Monday, so the weekday's date is that plus its index."""
    day = dt.date(2024, 1, 1) + dt.timedelta(days=WEEKDAYS.index(schedule.day or "monday"))
    return f"{day.isoformat()}T{schedule.hour:02d}:{schedule.minute:02d}:00"


def _repetition(schedule: Schedule) -> str:
    if schedule.every != "hourly":
        return ""
    return (
        "      <Repetition>\n        <Interval>PT1H</Interval>\n"
        "        <StopAtDurationEnd>false</StopAtDurationEnd>\n      </Repetition>\n"
    )


def _schedule_by(schedule: Schedule) -> str:
    if schedule.every != "weekly":
        return "      <ScheduleByDay>\n        <DaysInterval>1</DaysInterval>\n      </ScheduleByDay>"
    day = (schedule.day or "monday").capitalize()
    return (
        f"      <ScheduleByWeek>\n        <DaysOfWeek>\n          <{day} />\n        </DaysOfWeek>\n"
        "        <WeeksInterval>1</WeeksInterval>\n      </ScheduleByWeek>"
    )


def _read_task(path: Path) -> tuple[str, Schedule | None]:
    """The job path and schedule of a task XML written by ``task_xml``."""
    ns = {"t": TASK_NS}
    try:
        root = ET.fromstring(path.read_bytes())
        trigger = root.find("t:Triggers/t:CalendarTrigger", ns)
        args = root.findtext("t:Actions/t:Exec/t:Arguments", "", ns)
        start = dt.datetime.fromisoformat(trigger.findtext("t:StartBoundary", "", ns))
    except (ET.ParseError, AttributeError, ValueError, OSError):
        return "", None
    job = _windows_split(args)[-1] if args else ""
    if trigger.find("t:Repetition", ns) is not None:
        return job, Schedule("hourly", 0, start.minute)
    week = trigger.find("t:ScheduleByWeek/t:DaysOfWeek", ns)
    if week is not None and len(week):
        day = week[0].tag.rsplit("}", 1)[-1].lower()
        return job, Schedule("weekly", start.hour, start.minute, day)
    return job, Schedule("daily", start.hour, start.minute)


def _windows_split(command_line: str) -> list[str]:
    """Split what ``subprocess.list2cmdline`` joined (paths on Windows hold no ``"``)."""
    found = re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', command_line)
    return [bare or quoted.replace('\\"', '"') for quoted, bare in found]


# ----- choosing one, and the commands' entry points --------------------------------------------


def scheduler_for(
    platform: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    run: Runner | None = None,
) -> Scheduler:
    """The scheduler of ``platform`` (``sys.platform`` by default), with its usual folder."""
    platform = platform or sys.platform
    env = os.environ if env is None else env
    home = Path(home) if home is not None else Path.home()
    if platform.startswith("linux"):
        config = env.get("XDG_CONFIG_HOME", "")
        base = Path(config) if config and Path(config).is_absolute() else home / ".config"
        return SystemdScheduler(base / "systemd" / "user", run)
    if platform == "darwin":
        return LaunchdScheduler(
            home / "Library" / "LaunchAgents", run, logs=home / "Library" / "Logs" / "SparkDesk"
        )
    if platform in ("win32", "cygwin"):
        from platformdirs import user_data_dir

        local = env.get("LOCALAPPDATA")
        base = Path(local) / "SparkDesk" if local else Path(user_data_dir("SparkDesk", appauthor=False))
        return TaskScheduler(base / "schedules", run)
    raise SchedulerError(f"SparkDesk cannot schedule jobs on this system ({platform}).")


def install(job: str | Path, schedule: Schedule, scheduler: Scheduler | None = None) -> Installed:
    """Check that the job file loads, then register it; ScheduleError when it does not load."""
    from sparkdesk.jobs import JobFileError, load_job

    path = Path(os.path.abspath(job))
    if not path.is_file():
        raise ScheduleError(f"the job file {path} does not exist.")
    try:
        loaded = load_job(path)
    except JobFileError as err:
        raise ScheduleError(str(err).rstrip(".") + ".") from None
    if "\n" in str(path) or "\r" in str(path):
        raise ScheduleError("a job file whose path holds a line break cannot be scheduled.")
    scheduler = scheduler or scheduler_for()
    return scheduler.install(path, schedule, getattr(loaded, "name", "") or path.stem)
