"""The command line's progress line (issue 14 item 5) and its memory limit (cli.md).

The line is drawn on standard error when it is a terminal, at most ten times a second
(tested with a fake clock, not by waiting), erased at the end; --quiet and a standard error
that is not a terminal silence it; standard output never gets a byte of it.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from sparkdesk import memory
from sparkdesk.catalogue import EXPORT_IDS
from sparkdesk.cli import main
from sparkdesk.exports import registry
from sparkdesk.memory import MemoryLimitTooSmall
from sparkdesk.progress_line import MIN_INTERVAL, NoProgressLine, ProgressLine, progress_line
from sparkdesk.resources import bundled_demo_path

DEMO = str(bundled_demo_path())
GIB, MIB = 1024**3, 1024**2
DRAWN = re.compile(r"\d+% \|")  # what every drawing of the line holds: "42% |"


class FakeTerminal(io.StringIO):
    """A standard error that says it is a terminal, and notes the fake time of each write."""

    def __init__(self, clock=None) -> None:
        super().__init__()
        self.clock = clock
        self.draws: list[tuple[float | None, str]] = []

    def isatty(self) -> bool:
        return True

    def write(self, s: str) -> int:
        if DRAWN.search(s):
            self.draws.append((self.clock() if self.clock else None, s))
        return super().write(s)


class Clock:
    """Fake monotonic time: it moves when a test moves it, or by ``step`` at each reading."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 100.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def lines():
    """Makes progress lines on fake terminals with a fake clock; closes them after the test."""
    made = []

    def make(width: int = 200):
        clock = Clock()
        term = FakeTerminal(clock)
        line = ProgressLine(term, clock=clock, ticker=False, ncols=width)
        made.append(line)
        return line, term, clock

    yield make
    for line in made:
        line.close()


# -- the line itself ------------------------------------------------------------------------
def test_at_most_ten_drawings_a_second_however_often_the_core_reports(lines):
    line, term, clock = lines()
    report = line.stage("Import")
    for i in range(1, 1001):  # a report every 2 ms for 2 s
        clock.now += 0.002
        report(i / 1000, "Reading messages.csv")
    times = [t for t, _ in term.draws]
    assert 19 <= len(times) <= 21  # 2 s at ten a second, where the core asked for a thousand
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= MIN_INTERVAL - 1e-9


def test_a_report_held_back_is_drawn_once_its_tenth_of_a_second_is_over(lines):
    line, term, clock = lines()
    report = line.stage("Import")
    report(0.1, "Reading conversations.csv")  # drawn at once
    clock.now += 0.05
    report(0.5, "Reading messages.csv")  # too soon: held
    assert len(term.draws) == 1
    clock.now += 0.04
    line.tick()
    assert len(term.draws) == 1
    clock.now += 0.01
    line.tick()
    assert (
        len(term.draws) == 2 and "50% |" in term.draws[-1][1] and "Reading messages.csv" in term.draws[-1][1]
    )
    line.tick()  # nothing new: no drawing
    assert len(term.draws) == 2


def test_a_silent_step_is_redrawn_each_second_so_that_its_time_moves(lines):
    line, term, clock = lines()
    line.stage("Compute user")
    assert "00:00" in term.draws[-1][1]
    for _ in range(3):
        clock.now += 0.25
        line.tick()
    assert len(term.draws) == 1  # 0.75 s: nothing new to say yet
    clock.now += 0.25
    line.tick()
    assert len(term.draws) == 2 and "00:01" in term.draws[-1][1]


def test_the_line_shows_the_step_percentage_time_and_rows_per_second(lines):
    line, term, clock = lines()
    clock.now += 65  # since the command started
    report = line.stage("Write")
    report(0.0, "Writing user CSV: row 0 of 1,000,000")
    clock.now += 2
    report(0.2, "Writing user CSV: row 200,000 of 1,000,000")
    text = term.draws[-1][1]
    assert text.startswith("\rWrite  20% |")
    assert "01:07 · 100,000 rows/s · Writing user CSV: row 200,000 of 1,000,000" in text
    clock.now += 1
    report(0.9, "Finishing the XLSX file")  # no rows counted: no rate
    assert "rows/s" not in term.draws[-1][1] and "90% |" in term.draws[-1][1]


def test_rows_per_second_start_afresh_with_each_table(lines):
    line, term, clock = lines()
    report = line.stage("Write")
    report(0.0, "Writing user CSV: row 0 of 10,000")
    clock.now += 1
    report(0.4, "Writing user CSV: row 10,000 of 10,000")
    assert "10,000 rows/s" in term.draws[-1][1]
    clock.now += 1
    report(0.5, "Writing team CSV: row 0 of 900")  # a new table: its own count
    assert "rows/s" not in term.draws[-1][1]
    clock.now += 1
    report(0.6, "Writing team CSV: row 300 of 900")
    assert "300 rows/s" in term.draws[-1][1]


def test_the_line_is_cut_to_the_terminal_width(lines):
    line, term, clock = lines(width=40)
    line.stage("Import")(0.5, "Reading a file with a very long name indeed.csv")
    assert len(term.draws[-1][1].lstrip("\r").rstrip()) <= 40


def test_clear_keeps_the_line_away_until_the_next_step_and_close_erases_it(lines):
    line, term, clock = lines()
    report = line.stage("Import")
    clock.now += 1
    line.clear()
    assert term.getvalue().endswith("\r")
    clock.now += 5
    line.tick()
    report(1.0, "Done")
    assert len(term.draws) == 1  # the summaries printed now are not cut into
    line.stage("Compute user")
    assert len(term.draws) == 2
    line.close()
    tail = term.getvalue().rsplit("\r", 2)
    assert tail[-1] == "" and tail[-2].strip() == ""  # blanked, and the cursor back at the start
    line.update(0.5, "late report")  # after close: nothing
    assert len(term.draws) == 2


def test_quiet_or_a_stream_that_is_not_a_terminal_draws_nothing():
    assert isinstance(progress_line(quiet=True, stream=FakeTerminal()), NoProgressLine)
    assert isinstance(progress_line(quiet=False, stream=io.StringIO()), NoProgressLine)
    nothing = progress_line(quiet=True, stream=FakeTerminal())
    assert nothing.stage("Import") is None  # the core then skips its progress work
    line = progress_line(quiet=False, stream=FakeTerminal())
    try:
        assert isinstance(line, ProgressLine)
    finally:
        line.close()


# -- the command line ---------------------------------------------------------------------
@pytest.fixture
def terminal(monkeypatch):
    """The command's line is drawn on a fake terminal (pytest's capture owns sys.stderr), on
    a clock that moves a second at each reading, so that every step is drawn however fast
    the demo dump goes."""
    import sparkdesk.progress_line

    term = FakeTerminal()
    real = sparkdesk.progress_line.progress_line

    def progress_line(quiet=False, stream=None):
        made = real(quiet, term)
        if isinstance(made, NoProgressLine):
            return made
        made.close()
        return ProgressLine(term, clock=Clock(step=1.0), ticker=False, ncols=200)

    monkeypatch.setattr(sparkdesk.progress_line, "progress_line", progress_line)
    return term


def drawn_steps(term: FakeTerminal) -> list[str]:
    """The steps drawn, in order, each once."""
    steps = [re.match(r"\r(.*?) +\d+% \|", s)[1] for _, s in term.draws]
    return [s for i, s in enumerate(steps) if i == 0 or steps[i - 1] != s]


def test_export_shows_each_step_on_a_terminal(terminal, tmp_path):
    assert main(["export", DEMO, "--type", "all", "--tz", "UTC", "--out", str(tmp_path / "all")]) == 0
    # which export it is on; each is written as it is computed (a folder: a file each)
    steps = [s for i, t in enumerate(EXPORT_IDS, 1) for s in (f"Compute {i}/12 {t}", f"Write {t}")]
    assert drawn_steps(terminal) == ["Import", *steps]
    assert terminal.getvalue().endswith("\r")  # erased at the end
    assert any("Wrote message CSV" in s for _, s in terminal.draws)  # the writer's own words


def test_quiet_silences_export_and_inspect(terminal, tmp_path, capsys):
    assert main(["export", DEMO, "--type", "team", "--quiet", "--out", str(tmp_path / "t.csv")]) == 0
    assert main(["inspect", DEMO, "--quiet"]) == 0
    assert terminal.draws == [] and terminal.getvalue() == ""


def test_inspect_shows_the_line_on_standard_error_and_its_report_on_standard_output(terminal, capsys):
    assert main(["inspect", DEMO]) == 0
    assert drawn_steps(terminal) == ["Import", "Check lock sessions"]
    out = capsys.readouterr().out
    assert out.startswith("Dump: ") and "%" not in out and "\r" not in out


def test_nothing_when_standard_error_is_not_a_terminal(tmp_path, capsys):
    assert main(["export", DEMO, "--type", "team", "--out", str(tmp_path / "t.csv")]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err and not DRAWN.search(err)


def _read_all(fd: int) -> bytes:
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed its end (EIO on Linux)
            return out
        if not chunk:
            return out
        out += chunk


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals: POSIX")
def test_on_a_real_terminal_the_csv_on_standard_output_is_untouched(capsysbinary):
    """`export --out -` with standard error on a pseudo-terminal 60 columns wide: the CSV
    bytes are those of a run without a terminal, the line is on the terminal, cut to its width."""
    import fcntl
    import pty
    import struct
    import termios

    assert main(["export", DEMO, "--type", "team", "--tz", "UTC"]) == 0
    expected = capsysbinary.readouterr().out
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-m", "sparkdesk", "export", DEMO, "--type", "team", "--tz", "UTC"],
        stdout=subprocess.PIPE,
        stderr=follower,
        stdin=subprocess.DEVNULL,
    )
    os.close(follower)
    screen = _read_all(leader).decode("utf-8")
    os.close(leader)
    csv_bytes = child.stdout.read()
    assert child.wait(timeout=120) == 0
    assert csv_bytes == expected
    drawings = [s for s in screen.split("\r") if DRAWN.search(s)]
    assert drawings and drawings[0].startswith("Import ")  # later steps may be too quick to be drawn
    assert all(len(s.rstrip()) <= 60 for s in drawings)
    assert screen.endswith("\r") and screen.rsplit("\r", 2)[-2].strip() == ""


# -- the memory limit on the command line ---------------------------------------------------
@pytest.fixture
def budgets(monkeypatch):
    """The memory_limit each export's plan was given (the real computation runs; one export
    goes through ``export_to_file``, several through ``compute``, both plan with it)."""
    seen: list[int | None] = []
    real = registry.make_plan

    def make_plan(dump, scope, export_id, *, memory_limit=None, parts=None, streamed=False, workers=1):
        seen.append(memory_limit)
        return real(dump, scope, export_id, memory_limit=memory_limit, parts=parts)

    monkeypatch.setattr(registry, "make_plan", make_plan)
    monkeypatch.delenv("SPARKDESK_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(memory, "physical_memory", lambda: 16 * GIB)
    return seen


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        (["--memory-limit", "1.5GiB"], None, 1_610_612_736),
        ([], "300MB", 300_000_000),
        (["--memory-limit", "512MiB"], "300MB", 512 * MIB),  # the flag wins
        ([], None, 8 * GIB),  # half of this (pretended) 16 GiB computer
    ],
)
def test_compute_gets_the_limit_from_the_flag_the_environment_or_the_default(
    budgets, monkeypatch, tmp_path, capsys, flag, env, expected
):
    if env is not None:
        monkeypatch.setenv("SPARKDESK_MEMORY_LIMIT", env)
    assert main(["export", DEMO, "--type", "team", *flag, "--out", str(tmp_path / "t.csv")]) == 0
    assert budgets == [expected]


def test_a_limit_too_small_exits_1_with_its_sentence(monkeypatch, tmp_path, capsys):
    def make_plan(dump, scope, export_id, *, memory_limit=None, parts=None, streamed=False, workers=1):
        raise MemoryLimitTooSmall(1_234_567_890, memory_limit)

    monkeypatch.setattr(registry, "make_plan", make_plan)
    out = tmp_path / "t.csv"
    code = main(["export", DEMO, "--type", "team", "--memory-limit", "300MiB", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines()[-1] == (
        "sparkdesk: A memory limit of 300 MiB is too small for this dump: use at least 1.2 GiB."
    )
    assert "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("command", [["export", DEMO, "--type", "team"], ["inspect", DEMO], ["gui"]])
def test_a_size_that_is_not_one_is_a_wrong_command_line(monkeypatch, capsys, command):
    import sparkdesk.gui.app

    monkeypatch.setattr(sparkdesk.gui.app, "run", lambda dumps, **kw: 0)  # never opens a window
    with pytest.raises(SystemExit) as exc:
        main([*command, "--memory-limit", "4G"])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert "--memory-limit: not a size: '4G'" in err and "Traceback" not in err


@pytest.mark.parametrize("command", [["export", DEMO, "--type", "team"], ["inspect", DEMO], ["gui"]])
def test_an_environment_size_that_is_not_one_is_a_wrong_command_line(monkeypatch, capsys, command):
    import sparkdesk.gui.app

    monkeypatch.setattr(sparkdesk.gui.app, "run", lambda dumps, **kw: 0)  # never opens a window
    monkeypatch.setenv("SPARKDESK_MEMORY_LIMIT", "lots")
    assert main(command) == 2
    err = capsys.readouterr().err
    assert err.startswith("sparkdesk: SPARKDESK_MEMORY_LIMIT is not a size: 'lots'")
    assert len(err.strip().splitlines()) == 1


def test_gui_passes_the_session_limit_to_the_window(monkeypatch):
    import sparkdesk.gui.app

    got = {}
    monkeypatch.setattr(sparkdesk.gui.app, "run", lambda dumps, **kw: got.update(kw) or 0)
    monkeypatch.delenv("SPARKDESK_MEMORY_LIMIT", raising=False)
    assert main(["gui", "--memory-limit", "2GiB"]) == 0
    assert got["memory_limit"] == 2 * GIB
    monkeypatch.setenv("SPARKDESK_MEMORY_LIMIT", "3GiB")
    assert main(["gui"]) == 0
    assert got["memory_limit"] == 3 * GIB
    monkeypatch.delenv("SPARKDESK_MEMORY_LIMIT")
    assert main([]) == 0  # `sparkdesk` alone: the window, with the saved setting
    assert got["memory_limit"] is None


def test_the_import_shows_its_rows_per_second_across_files(lines):
    """The reader's texts lead with the rows read so far, whatever file comes next."""
    line, term, clock = lines()
    report = line.stage("Import")
    report(0.0, "Imported up to row 0: reading conversations.csv")
    clock.now += 2
    report(0.3, "Imported up to row 200,000: read conversations.csv")
    clock.now += 2
    report(0.4, "Imported up to row 1,000,000: reading messages.csv")
    assert "250,000 rows/s · Imported up to row 1,000,000: reading messages.csv" in term.draws[-1][1]


def test_the_reader_reports_the_rows_it_has_read(tmp_path):
    from sparkdesk.dump import load_dumps
    from sparkdesk.resources import bundled_demo_path

    seen: list[str] = []
    dump = load_dumps([bundled_demo_path()], progress=lambda f, text: seen.append(text), cache=False)
    counts = [
        int(t.split("row ")[1].split(":")[0].replace(",", "")) for t in seen if "Imported up to row" in t
    ]
    assert counts == sorted(counts) and counts[0] == 0
    assert counts[-1] == sum(s.read for s in dump.report.stats.values())
