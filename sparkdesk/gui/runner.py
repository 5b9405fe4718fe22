"""Run core functions on a thread pool and hand their results back to the UI thread.

The pattern is Anki's ``aqt.taskman`` and Orange's ``concurrent`` helpers: a worker is a
plain function ``fn(*args, progress=..., cancel=...)``; it runs on a
``ThreadPoolExecutor``; every callback (progress, done, error, cancelled) is sent to the UI
thread as a closure through a queued signal, so the UI thread never waits and never spins
``processEvents``. Each task sits in a named *slot* (``busy.Slot``): a new task in a slot
cancels the previous one, and a result that arrives for a task that is no longer its slot's
current task is stale and dropped. The signals ``started``, ``progress`` and ``finished``
tell the busy state (``busy.BusyIndicator``) what runs and how far it got.
"""

from __future__ import annotations

import itertools
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from sparkdesk.tasks import Cancelled, CancelToken

Closure = Callable[[], None]


@dataclass
class Task:
    slot: str
    serial: int
    token: CancelToken = field(default_factory=CancelToken)
    future: Future | None = None
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException, str], None] | None = None
    on_cancelled: Callable[[], None] | None = None
    # Progress coalescing: the worker stores its latest value here and posts a closure
    # only when none is pending, so the UI queue holds at most one progress update.
    _latest: tuple[float, str] | None = None
    _pending: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled


class TaskRunner(QObject):
    """Owns the worker threads; lives on the UI thread."""

    _closure = Signal(object)
    # All three on the UI thread. A task took its slot: (slot, the text that says what it does).
    started = Signal(str, str)
    # How far the slot's current task got: (slot, 0..1, step text); at most one is pending.
    progress = Signal(str, float, str)
    # A task of the slot ended (done, error or cancelled); a stale one says nothing.
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None, max_workers: int = 2) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="sparkdesk-worker")
        self._serial = itertools.count(1)
        self._current: dict[str, Task] = {}
        self._closure.connect(self._run_closure, Qt.ConnectionType.QueuedConnection)

    # -- UI thread ---------------------------------------------------------------------
    def submit(
        self,
        slot: str,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException, str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        label: str = "",
        with_progress: bool = True,
        **kwargs: Any,
    ) -> Task:
        """Run ``fn(*args, progress=cb, cancel=token, **kwargs)`` on the pool; ``label``
        says what it does while it runs ("Computing Users…")."""
        previous = self._current.get(slot)
        if previous is not None:
            previous.cancel()
        task = Task(
            slot,
            next(self._serial),
            on_done=on_done,
            on_error=on_error,
            on_cancelled=on_cancelled,
        )
        self._current[slot] = task
        if with_progress:
            kwargs = {**kwargs, "progress": self._progress_fn(task), "cancel": task.token}
        future = self._executor.submit(fn, *args, **kwargs)
        task.future = future
        future.add_done_callback(lambda f, t=task: self._post(lambda: self._finish(t, f)))
        self.started.emit(slot, label)
        return task

    def cancel(self, slot: str) -> None:
        task = self._current.get(slot)
        if task is not None:
            task.cancel()

    def busy(self, slot: str) -> bool:
        task = self._current.get(slot)
        return task is not None and task.future is not None and not task.future.done()

    def current(self, slot: str) -> Task | None:
        return self._current.get(slot)

    def shutdown(self) -> None:
        for task in self._current.values():
            task.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _run_closure(self, closure: Closure) -> None:
        closure()

    def _is_current(self, task: Task) -> bool:
        return self._current.get(task.slot) is task

    def _finish(self, task: Task, future: Future) -> None:
        if not self._is_current(task):
            return  # stale: a newer task took the slot; drop the result
        del self._current[task.slot]
        try:
            if future.cancelled() or task.cancelled:
                if task.on_cancelled:
                    task.on_cancelled()
                return
            exc = future.exception()
            if isinstance(exc, Cancelled):
                if task.on_cancelled:
                    task.on_cancelled()
            elif exc is not None:
                details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                if task.on_error:
                    task.on_error(exc, details)
                else:
                    raise exc
            elif task.on_done:
                task.on_done(future.result())
        finally:
            self.finished.emit(task.slot)

    def _deliver_progress(self, task: Task) -> None:
        with task._lock:
            latest, task._latest, task._pending = task._latest, None, False
        if latest is not None and self._is_current(task) and not task.cancelled:
            self.progress.emit(task.slot, *latest)

    # -- any thread --------------------------------------------------------------------
    def _post(self, closure: Closure) -> None:
        self._closure.emit(closure)

    def _progress_fn(self, task: Task) -> Callable[[float, str], None]:
        def progress(value: float, text: str = "") -> None:
            with task._lock:
                task._latest = (float(value), str(text))
                if task._pending:
                    return
                task._pending = True
            self._post(lambda: self._deliver_progress(task))

        return progress
