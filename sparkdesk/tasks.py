"""Progress and cancellation for long work, without Qt.

Every long core function (reading a dump, computing an export, writing a file) takes a
``progress`` callback and a ``cancel`` token, so that the window can run it on a thread
pool and the command line can run it directly. The idea is Orange's ``TaskState``: the
worker polls ``cancel.raise_if_cancelled()`` between steps, and reports progress as a
fraction with a short text. Progress is throttled here (about ten calls a second), so a
worker can report as often as it likes without flooding the UI thread's event queue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

ProgressFn = Callable[[float, str], None]
T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside a worker when its cancel token was set."""


class CancelToken:
    """A flag a UI thread sets and a worker polls; thread-safe."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


NEVER_CANCELLED = CancelToken()


class Progress:
    """Wraps a progress callback: throttles it, maps sub-steps into a range, checks cancel.

    ``Progress(fn).step(0.4, "Reading messages")`` reports 40 %. ``sub(0.2, 0.6)`` gives a
    Progress whose 0..1 maps onto 20..60 % of this one, so nested steps compose.
    """

    MIN_INTERVAL = 0.1  # seconds: about ten updates a second at most

    def __init__(
        self,
        fn: ProgressFn | None = None,
        cancel: CancelToken | None = None,
        *,
        _lo: float = 0.0,
        _hi: float = 1.0,
        _clock: list[float] | None = None,
    ) -> None:
        self._fn = fn
        self.cancel = cancel or NEVER_CANCELLED
        self._lo = _lo
        self._hi = _hi
        self._last = _clock if _clock is not None else [0.0, ""]  # last report time, last text

    def step(self, fraction: float, text: str = "", *, force: bool = False) -> None:
        """Report ``fraction`` (0..1 of this range); raises Cancelled when cancelled."""
        self.cancel.raise_if_cancelled()
        if self._fn is None:
            return
        if text:
            self._last[1] = text
        else:
            text = self._last[1]  # a step inside a step keeps saying what it is doing
        now = time.monotonic()
        if not force and now - self._last[0] < self.MIN_INTERVAL:
            return
        self._last[0] = now
        # the end of a range is its upper bound exactly: lo + (hi - lo) can exceed hi by a
        # rounding step, and the next range (starting at hi) would then seem to go back
        value = self._hi if fraction >= 1.0 else self._lo + (self._hi - self._lo) * max(fraction, 0.0)
        self._fn(value, text)

    def sub(self, lo: float, hi: float) -> Progress:
        span = self._hi - self._lo
        return Progress(
            self._fn, self.cancel, _lo=self._lo + span * lo, _hi=self._lo + span * hi, _clock=self._last
        )

    def check(self) -> None:
        self.cancel.raise_if_cancelled()


def as_progress(progress: Progress | ProgressFn | None, cancel: CancelToken | None = None) -> Progress:
    """Accept a Progress, a plain callback or nothing."""
    if isinstance(progress, Progress):
        return progress
    return Progress(progress, cancel)


_CURRENT: ContextVar[Progress | None] = ContextVar("sparkdesk_progress", default=None)


def checkpoint(fraction: float | None = None, text: str = "") -> None:
    """Raise Cancelled if the task running in this thread was cancelled; report progress.

    Long core steps call this between statements, so Cancel lands within one statement
    instead of one whole step, and the bar moves inside a long step (``fraction`` is the
    share of the current step done), without passing a token through every function.
    """
    progress = _CURRENT.get()
    if progress is None:
        return
    if fraction is None:
        progress.check()
    else:
        progress.step(fraction, text)


class Steps:
    """The current step cut into ``n`` even parts, counted rather than written as fractions.

    ``tick = checkpoints(3)``, then ``tick()`` after each part: a ``checkpoint`` at 1/3,
    2/3, 1. A part that reports how far it got itself takes ``tick.part()``, its
    ``step(done)`` callback (0..1 of the part); ``with tick.within():`` runs a block whose
    own checkpoints fall inside the part (a shared definition computed there, say).
    Given ``step``, the parts are those of that callback instead (a function's own
    ``step(done)``), and ``within`` does not apply.
    """

    def __init__(self, n: int, step: Callable[[float], None] | None = None) -> None:
        self._n = max(n, 1)
        self._done = 0
        self._report = step or checkpoint

    def _next(self) -> tuple[float, float]:
        lo = min(self._done / self._n, 1.0)
        self._done += 1
        return lo, min(self._done / self._n, 1.0)

    def __call__(self) -> None:
        """The next part is done."""
        self._report(self._next()[1])

    def part(self) -> Callable[[float], None]:
        """The next part's ``step(done)``: its 0..1 as this step's lo..hi, exactly hi at the end."""
        lo, hi = self._next()
        report = self._report
        return lambda done: report(hi if done >= 1.0 else lo + (hi - lo) * max(done, 0.0))

    @contextmanager
    def within(self) -> Iterator[None]:
        """Run the block as the next part: its checkpoints report inside the part's share."""
        lo, hi = self._next()
        with running(current_progress().sub(lo, hi)):
            yield
        self._report(hi)


def checkpoints(n: int, step: Callable[[float], None] | None = None) -> Steps:
    """``n`` even parts of the current step, or of ``step``: see ``Steps``."""
    return Steps(n, step)


def in_steps(*parts: Callable[[], T]) -> list[T]:
    """``[part() for part in parts]``, each part run in an even share of the current step."""
    share = checkpoints(len(parts))
    out = []
    for part in parts:
        with share.within():
            out.append(part())
    return out


def current_progress() -> Progress:
    """The Progress ``checkpoint()`` consults in this thread (a silent one when none is)."""
    return _CURRENT.get() or Progress(None)


@contextmanager
def running(progress: Progress) -> Iterator[Progress]:
    """Make ``progress`` the one ``checkpoint()`` consults in this thread, for the block."""
    token = _CURRENT.set(progress)
    try:
        yield progress
    finally:
        _CURRENT.reset(token)


_STEP: ContextVar[Progress | None] = ContextVar("sparkdesk_step", default=None)


@contextmanager
def own_step() -> Iterator[None]:
    """Run a step that may start inside another (a shared definition that needs another).

    Its checkpoints report into the progress in force, unless the enclosing step reports
    there too and gave it no share of its own (``Steps.within``): then they only check
    Cancel, so that the bar never goes back.
    """
    progress = _CURRENT.get()
    if progress is not None and progress is _STEP.get():
        progress = Progress(None, progress.cancel)
    step, current = _STEP.set(progress), _CURRENT.set(progress)
    try:
        yield
    finally:
        _CURRENT.reset(current)
        _STEP.reset(step)
