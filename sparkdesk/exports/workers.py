"""The parts of an export computed in worker processes (issue 14, item 3).

Threads share one GIL: two parts computed on two threads take turns for much of their
pandas work, and the window's UI thread waits for the same lock. Worker processes have a
GIL each, so the parts use every core and the UI thread never waits for pandas.

A task is small and picklable (``PartTask``): the cache entry's folder, the part's
conversation positions, the export's params and scope. The child opens the entry
(``cache.open_folder``: its files are memory-mapped, nothing is re-hashed), reads the
part's rows (``plan.narrow_from_store``), builds them as ``registry`` does on a thread, and
sends the part's frame back. Only a dump opened from the cache can be handed over that way.

The pool is started with **spawn** (a fork beside Qt's threads can deadlock, and spawn is
what macOS and Windows use anyway) and kept between exports: a process costs about a
second to start (Python, pandas, pyarrow). Its processes share

- a queue, on which each part's progress comes back (throttled by the child's
  ``Progress``), tagged with its export's *slot*; the parent drains it while it waits, and
  passes each part's on to that part's reporter;
- one cancel flag per slot in shared memory, which the child's ``CancelToken`` reads at each
  ``checkpoint``.

A Cancel (or a failed part) sets the slot's flag, drops the parts not yet started, waits for
the running ones to stop at their next checkpoint, and shuts the pool down when no other
export uses it: no process stays behind. An exception raised in a child comes back with
its own type (``MemoryLimitTooSmall``, say); a saved copy deleted under the dump is the
parent's own sentence (``store.SavedCopyGone``), a damaged one another (``PartReadError``),
and a child that dies (the system out of memory) a third (``WorkerDied``).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sparkdesk.dump import store
from sparkdesk.dump.model import DumpRefused
from sparkdesk.exports.params import ExportParams
from sparkdesk.exports.scope import Scope
from sparkdesk.tasks import Cancelled, CancelToken, Progress

SLOTS = 64  # exports that may use the pool at once (the window runs a few at most)
POLL_SECONDS = 0.05  # how often the parent drains progress and looks at Cancel


class PartReadError(Exception):
    """A worker could not read its part from the dump's saved copy: one sentence."""


class WorkerDied(RuntimeError):
    """A worker process ended without an answer (killed, or the system out of memory)."""

    def __init__(self) -> None:
        super().__init__(
            "A worker process stopped before its part was done (the computer may be out of "
            "memory): lower --memory-limit, or close other programs, and export again."
        )


@dataclass(frozen=True)
class PartTask:
    """One part, as a child needs it: small, and picklable under spawn."""

    folder: str  # the cache entry (``dump.store.folder``)
    positions: np.ndarray  # the part's conversations, positions in the entry
    params: ExportParams
    scope: Scope  # ``partial=True`` when the export has several parts
    label: str  # "Part 2 of 3: ", said before each step
    slot: int
    index: int


# ---------------------------------------------------------------- in the child

_QUEUE = None  # the pool's progress queue, set by _start_child
_FLAGS = None  # the pool's cancel flags
_OPENED: tuple[str, object] | None = None  # the last entry opened: the next part reuses it


def _start_child(progress_queue, flags) -> None:
    global _QUEUE, _FLAGS
    _QUEUE, _FLAGS = progress_queue, flags


class _FlagToken(CancelToken):
    """A CancelToken that reads its export's flag in the pool's shared memory."""

    def __init__(self, flags, slot: int) -> None:
        super().__init__()
        self._flags, self._slot = flags, slot

    def cancel(self) -> None:
        self._flags[self._slot] = 1

    @property
    def cancelled(self) -> bool:
        return bool(self._flags[self._slot])

    def raise_if_cancelled(self) -> None:
        if self._flags[self._slot]:
            raise Cancelled()


def _open(folder: str):
    global _OPENED
    from sparkdesk.dump.cache import open_folder

    if _OPENED is None or _OPENED[0] != folder:
        _OPENED = None
        _OPENED = (folder, open_folder(folder))
    return _OPENED[1]


def _read_part(task: PartTask):
    """The part's sub-dump, read from the entry; a file that cannot be read, one sentence."""
    global _OPENED
    from sparkdesk.exports.plan import narrow_from_store

    try:
        return narrow_from_store(_open(task.folder), task.positions)
    except (Cancelled, MemoryError, DumpRefused):  # SavedCopyGone among them: its own sentence
        raise
    except OSError as err:  # deleted under the parent's dump, as the parent would say
        _OPENED = None
        raise store.gone(Path(task.folder), err) from None
    except Exception as err:  # noqa: BLE001 - a damaged file, whatever the library says
        _OPENED = None
        raise PartReadError(
            f"The dump's saved copy in {task.folder} cannot be read ({err}): "
            "export again with --no-cache, or clear the saved dumps."
        ) from None


def _part_in_child(task: PartTask) -> pd.DataFrame:
    """Run in a worker: one part's rows, as ``registry.build_part`` makes them on a thread."""
    from sparkdesk.exports import registry

    def report(fraction: float, text: str) -> None:
        _QUEUE.put((task.slot, task.index, fraction, text))

    prog = Progress(report, _FlagToken(_FLAGS, task.slot))
    # its memory is given back at the end (dump.memory.release_memory): an idle worker holds little
    return registry.build_part(lambda: _read_part(task), task.params, task.scope, prog, task.label)


# ---------------------------------------------------------------- in the parent


class _Pool:
    """The processes, their progress queue and cancel flags, and who uses them."""

    def __init__(self, workers: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.workers = workers
        # written at once by the child (no feeder thread): a part's progress is in the pipe
        # before its result, so the parent's last drain sees all of it
        self.queue = ctx.SimpleQueue()
        self.reading = threading.Lock()  # one reader at a time: empty() then get() must not race
        self.flags = ctx.RawArray("b", SLOTS)
        self.executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_start_child, initargs=(self.queue, self.flags)
        )
        self.free = list(range(SLOTS))
        self.reporters: dict[int, Sequence[Progress]] = {}
        self.doomed = False  # shut down when its last user leaves

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.queue.close()


_LOCK = threading.Lock()
_POOL: _Pool | None = None


@contextmanager
def _lease(workers: int) -> Iterator[tuple[_Pool, int]]:
    """The pool (started, or re-started with ``workers`` processes when idle) and a slot."""
    global _POOL
    with _LOCK:
        pool = _POOL
        idle = pool is not None and len(pool.free) == SLOTS
        if pool is None or pool.doomed or not pool.free or (idle and pool.workers != workers):
            if pool is not None and idle:
                pool.shutdown()
            pool = _POOL = _Pool(workers)
        slot = pool.free.pop()
        pool.flags[slot] = 0
    try:
        yield pool, slot
    finally:
        with _LOCK:
            pool.reporters.pop(slot, None)
            pool.free.append(slot)
            last = len(pool.free) == SLOTS
            if pool.doomed and last:
                pool.shutdown()
                if _POOL is pool:
                    _POOL = None


def shutdown() -> None:
    """Stop the pool's processes, when no export uses them (the next export starts new
    ones): the tests' clean slate, and a benchmark's count of its workers' memory."""
    global _POOL
    with _LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.doomed = True
        pool.shutdown()


def compute_parts(
    folder: str | os.PathLike,
    groups: Sequence[np.ndarray],
    params: ExportParams,
    scope: Scope,
    reporters: Sequence[Progress],
    cancel: CancelToken,
    workers: int,
) -> list[pd.DataFrame]:
    """Each part's frame, computed on ``workers`` processes from the cache entry ``folder``.

    ``groups`` are the parts' conversation positions; ``reporters[i]`` receives part i's
    progress (in this thread); ``cancel`` stops every part. Raises what a part raised."""
    n = len(groups)
    with _lease(workers) as (pool, slot):
        with _LOCK:
            pool.reporters[slot] = reporters
        tasks = [
            PartTask(str(Path(folder)), np.asarray(g, np.int64), params, scope, _label(i, n), slot, i)
            for i, g in enumerate(groups)
        ]
        futures: list[Future] = []
        try:
            for task in tasks:
                futures.append(pool.executor.submit(_part_in_child, task))
            _wait_all(pool, futures, cancel)
            return [f.result() for f in futures]
        except BrokenProcessPool as err:  # a process of the pool died before this export
            _stop(pool, slot, futures)
            raise WorkerDied() from err
        except BaseException:
            _stop(pool, slot, futures)
            raise


def _label(i: int, n: int) -> str:
    return f"Part {i + 1} of {n}: " if n > 1 else ""


def _wait_all(pool: _Pool, futures: list[Future], cancel: CancelToken) -> None:
    """Wait for every part, passing its progress on; Cancelled when ``cancel`` is set, a
    part's own exception as soon as one fails, WorkerDied when a process ended."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_EXCEPTION)
        _drain(pool)
        cancel.raise_if_cancelled()
        for f in done:
            err = f.exception()
            if isinstance(err, BrokenProcessPool):
                raise WorkerDied() from err
            if err is not None:
                raise err


def _drain(pool: _Pool) -> None:
    """Pass the progress the children sent on to their parts' reporters (every export's:
    whichever export drains the queue serves the others)."""
    with pool.reading:
        messages = []
        while not pool.queue.empty():
            messages.append(pool.queue.get())
    for slot, index, fraction, text in messages:
        with _LOCK:
            reporters = pool.reporters.get(slot)
        if reporters is not None:
            try:
                reporters[index].step(fraction, text)
            except Cancelled:
                pass  # that export's own wait sees its Cancel


def _stop(pool: _Pool, slot: int, futures: list[Future]) -> None:
    """After a Cancel or a failure: stop this export's parts, wait for the running ones to
    reach a checkpoint, and have the pool shut down once nobody uses it."""
    pool.flags[slot] = 1
    for f in futures:
        f.cancel()
    running = [f for f in futures if not f.cancelled()]
    while running:
        _done, pending = wait(running, timeout=POLL_SECONDS)
        _drain(pool)
        running = list(pending)
    pool.doomed = True
