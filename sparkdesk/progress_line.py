"""One line of progress on a terminal, for the command line (cli.md: ``export``, ``inspect``, ``run``).

The core already reports progress as ``(fraction, text)`` callbacks (``sparkdesk.tasks``);
``ProgressLine.stage(name)`` gives such a callback for one step of a command ("Importing",
"Computing user", "Writing"), and the line shows that step, its percentage, the time since
the command started and, when the core's text says which row it is on ("Writing user CSV:
row 120,000 of 500,000"), the rows per second::

    Writing  24% |███▉            | 00:12 · 85,000 rows/s · Writing user CSV: row 120,000 of 500,000

It is redrawn in place at most ten times a second, whatever the core reports: an update that
comes too soon is kept and drawn by a ticker thread once the tenth of a second is over, and
the ticker also redraws once a second so that the time moves while a long step says nothing.
``close()`` (or leaving the ``with`` block) erases the line, so that what the command prints
next (summaries, an error sentence) starts on a clean line. Nothing is drawn when the stream
is not a terminal, or with ``--quiet``: ``progress_line(quiet)`` then gives a line that does
nothing and whose callbacks are None (the core then skips its progress work).

tqdm draws the line: it fits it to the terminal's width (resized or not), writes it over the
previous one with a carriage return and blanks what a longer line left, draws the bar in
Unicode where the terminal can show it, and erases it at the end. The timing is ours (an
injected clock), so that the throttling is tested without waiting. Qt-free.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from sparkdesk.tasks import ProgressFn

MIN_INTERVAL = 0.1  # seconds between two drawings: ten a second at most
TICK = 1.0  # seconds: a silent step is still redrawn this often, so that its time moves
STEPS = 1000  # the fraction drawn in thousandths
UNCUT = 10_000  # the width when the terminal does not say its own: the line is not cut
BAR_FORMAT = "{step} {percentage:3.0f}% |{bar:16}| {so_far}{rows_rate}{detail}"

_ROW = re.compile(r"\brow ([0-9][0-9,]*)")  # the core's "... row 120,000 of 500,000"
_NUMBER = re.compile(r"[0-9][0-9,]*")


class _RowRate:
    """Rows per second of the current run of texts that count rows ("row N of M").

    A run is the texts whose words up to the count are the same ("Writing user CSV: row N",
    "Imported up to row N": the file named after it may change); a new run (the next table
    written) starts counting afresh. The rate is rows since the run was first seen over the time since.
    """

    def __init__(self) -> None:
        self._run = ""
        self._t0 = 0.0
        self._rows0 = 0

    def rate(self, text: str, now: float) -> float | None:
        match = _ROW.search(text)
        if match is None:
            self._run = ""
            return None
        rows = int(match[1].replace(",", ""))
        run = _NUMBER.sub("#", text[: match.end()])  # what follows the count may change
        if run != self._run or rows < self._rows0:
            self._run, self._t0, self._rows0 = run, now, rows
            return None
        if now <= self._t0 or rows <= self._rows0:
            return None
        return (rows - self._rows0) / (now - self._t0)


class ProgressLine:
    """The progress line of one command, drawn on ``stream`` (a terminal: see ``progress_line``).

    ``clock`` is the time source (monotonic seconds), injected by tests; ``ticker=False``
    leaves the redrawing of late updates to calls of ``tick()`` (tests); ``ncols`` fixes the
    width (default: the terminal's, read at each drawing, so that a resize is followed).
    """

    def __init__(
        self,
        stream: IO[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        ticker: bool = True,
        ncols: int | None = None,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._ncols = ncols
        self._start = clock()
        self._lock = threading.RLock()
        self._bar: Any = None  # the tqdm bar, made by the first drawing
        self._step = ""
        self._fraction = 0.0
        self._text = ""
        self._rows = _RowRate()
        self._rate: float | None = None
        self._last_draw: float | None = None
        self._pending = False
        self._hidden = False  # cleared: nothing drawn until the next step starts
        self._closed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if ticker:
            self._thread = threading.Thread(target=self._tick_loop, name="progress-line", daemon=True)
            self._thread.start()

    # -- what the command calls ----------------------------------------------------------
    def stage(self, name: str) -> ProgressFn | None:
        """Start the step ``name``; the callback the core reports it to, ``(fraction, text)``."""
        with self._lock:
            self._step, self._fraction, self._text, self._rate = name, 0.0, "", None
            self._hidden = False
            self._offer(self._clock())
        return self.update

    def update(self, fraction: float, text: str = "") -> None:
        """The core's report for the current step: drawn now, or within a tenth of a second."""
        with self._lock:
            if self._closed:
                return
            now = self._clock()
            self._fraction = min(max(float(fraction), 0.0), 1.0)
            if text:
                self._text = text
                self._rate = self._rows.rate(text, now)
            self._offer(now)

    def tick(self) -> None:
        """Draw an update held back by the throttle, or redraw a silent step once a second."""
        with self._lock:
            if self._closed or self._hidden or not self._step:
                return
            now = self._clock()
            since = None if self._last_draw is None else now - self._last_draw
            if (self._pending and (since is None or since >= MIN_INTERVAL)) or (since or 0.0) >= TICK:
                self._draw(now)

    def clear(self) -> None:
        """Erase the line, to print something else on standard error; it comes back with the
        next step (``stage``)."""
        with self._lock:
            self._hidden = True
            self._pending = False
            if self._bar is not None:
                self._bar.clear()
                self._stream.flush()

    def close(self) -> None:
        """Erase the line for good and stop the ticker."""
        with self._lock:
            self._closed = True
            self._stop.set()
            if self._bar is not None:
                self._bar.close()
                self._stream.flush()
                self._bar = None
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def __enter__(self) -> ProgressLine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- drawing -------------------------------------------------------------------------
    def _offer(self, now: float) -> None:
        if self._hidden:
            return
        if self._last_draw is None or now - self._last_draw >= MIN_INTERVAL:
            self._draw(now)
        else:
            self._pending = True

    def _draw(self, now: float) -> None:
        if self._closed:
            return
        fields = {
            "step": self._step,
            "so_far": _format_interval(now - self._start),
            "rows_rate": "" if self._rate is None else f" · {self._rate:,.0f} rows/s",
            "detail": f" · {self._text}" if self._text and self._text != self._step else "",
        }
        n = round(self._fraction * STEPS)
        width = self._ncols or _terminal_width(self._stream) or UNCUT
        if self._bar is None:  # tqdm draws the first line as it is made
            self._bar = _make_tqdm(self._stream, width, fields, n)
        else:
            self._bar.fields = fields
            self._bar.n = n
            self._bar.ncols = width
            self._bar.refresh()
        self._last_draw = now
        self._pending = False

    def _tick_loop(self) -> None:
        while not self._stop.wait(MIN_INTERVAL):
            self.tick()


def _terminal_width(stream: IO[str]) -> int | None:
    """The terminal's width now (it may have been resized); None when it does not say (a
    terminal of size 0, as a pseudo-terminal may be)."""
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return None
    return columns if columns > 0 else None


def _format_interval(seconds: float) -> str:
    """``00:12``, ``01:02:03``: tqdm's form of the time so far."""
    from tqdm import tqdm

    return tqdm.format_interval(max(seconds, 0.0))


def _make_tqdm(stream: IO[str], ncols: int, fields: dict[str, str], n: int):
    """A tqdm bar that draws when made and then only when told (``refresh``), with our
    fields in its format."""
    from tqdm import tqdm

    class Bar(tqdm):
        monitor_interval = 0  # no monitor thread: this bar is redrawn by ProgressLine only

        @property
        def format_dict(self):  # tqdm's documented way to add fields to bar_format
            return {**super().format_dict, **self.fields}

    Bar.fields = fields  # read by the drawing in tqdm's __init__
    return Bar(
        total=STEPS,
        initial=n,
        file=stream,
        leave=False,
        ncols=ncols,
        # tqdm reads the terminal's rows when not told, and draws nothing when it says 0
        # rows (a pseudo-terminal of size 0); one line needs none of that
        nrows=24,
        position=0,  # always the line the cursor is on, whatever other tqdm bars exist
        bar_format=BAR_FORMAT,
        mininterval=0,
        miniters=0,
        delay=0,
    )


class NoProgressLine:
    """A command's progress line when nothing is to be drawn: same calls, no effect."""

    def stage(self, name: str) -> ProgressFn | None:
        return None

    def update(self, fraction: float, text: str = "") -> None:
        pass

    def tick(self) -> None:
        pass

    def clear(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> NoProgressLine:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


def progress_line(quiet: bool = False, stream: IO[str] | None = None) -> ProgressLine | NoProgressLine:
    """The line for a command: drawn on ``stream`` (standard error) when it is a terminal and
    the user did not ask for ``--quiet``; else one that draws nothing."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    if quiet or stream is None or not callable(isatty) or not isatty():
        return NoProgressLine()
    return ProgressLine(stream)
