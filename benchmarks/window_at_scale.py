"""The window at scale (issue 5, point 3): heartbeat, preview latency, progress and Cancel.

Not a test: run it by hand and read the numbers.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/window_at_scale.py \
        [--dump benchmarks/data/demo-100000-1] [--types message,resolved-conversation,user]

It opens the real ``MainWindow`` offscreen, loads the dump through the window's own task
path (``add_dumps`` -> ``jobs.load`` on the runner), then for each export presses
Generate and measures, with a 10 ms ``QTimer`` heartbeat on the UI thread (every gap kept):

- the heartbeat: max and p99 gap, gaps > 50 ms and > 200 ms, per phase (load, cold
  generate, warm generate, cancels, save);
- computation end -> first paint of the preview: from the moment ``jobs.compute``
  returns on the worker to the end of the first paint of the grid's viewport, split
  into queue (until ``_computed`` starts on the UI thread), set-up (``_computed``) and
  paint;
- progress: the longest interval without a progress update, on the UI (the runner's
  ``progress`` signal) and on the worker (the core's progress callback), Generate to end;
- Cancel: pressed at fractions of the cold compute time, the time until the worker
  thread actually leaves ``jobs.compute`` and until the window says it was cancelled.

Stalls are explained by a watchdog thread: it sleeps 5 ms at a time; whenever it wakes
late (it waited for the GIL) or finds the heartbeat late, it samples the Python stacks
of the worker and the UI thread (``sys._current_frames()``). Each heartbeat gap over
``--stall-ms`` is then attributed from the CPU time each thread used during the gap:
the UI thread (it ran Python for most of the gap), the worker (it was on a CPU while the
UI could not run: a GIL hold), a garbage collection, or neither (the process was not
scheduled: other work on the machine). Worker stalls are placed at the innermost
``sparkdesk`` line on the worker's stack when the GIL came back, which is the line whose
call held it. Stalls are aggregated by site (count, total, max).

Results go to ``benchmarks/data/window-<dump>.json``; ``benchmarks/WINDOW.md`` is written
from every such file present (one section per dump), and the run's tables are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import linecache
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
HEARTBEAT_MS = 10
WATCHDOG_SLEEP = 0.005
SAMPLE_LATE = 0.030  # the watchdog samples when it or the heartbeat is this late
PROFILE_EVERY = 4  # and samples the worker's site every 4th wake-up (about every 20 ms)

perf = time.perf_counter


# ---------------------------------------------------------------------------------------
# instrumentation shared by the UI thread, the worker and the watchdog
@dataclass
class Run:
    """One call of a job function on the pool (load, compute, save)."""

    name: str
    ident: int
    start: float
    end: float | None = None
    outcome: str = "running"
    progress: list[float] = field(default_factory=list)  # worker-side progress call times
    cancel_pressed: float | None = None


class State:
    active: Run | None = None
    runs: list[Run] = []


STATE = State()


def instrument_jobs() -> None:
    """Wrap ``sparkdesk.gui.jobs``' job functions (the window looks them up at call time)."""
    from sparkdesk.gui import jobs
    from sparkdesk.tasks import Cancelled

    def wrap(name, fn):
        def job(*args, progress=None, cancel=None, **kwargs):
            run = Run(name, threading.get_ident(), perf())
            STATE.active = run
            STATE.runs.append(run)

            def prog(value, text=""):
                run.progress.append(perf())
                progress(value, text)

            try:
                result = fn(*args, progress=prog if progress else None, cancel=cancel, **kwargs)
                run.outcome = "done"
                return result
            except Cancelled:
                run.outcome = "cancelled"
                raise
            except BaseException as exc:
                run.outcome = f"error: {exc!r}"
                raise
            finally:
                run.end = perf()

        job.__name__ = fn.__name__
        return job

    for name in ("load", "compute", "save"):
        setattr(jobs, name, wrap(name, getattr(jobs, name)))


def _thread_cpu(ident: int | None) -> float:
    if ident is None:
        return float("nan")
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (OSError, AttributeError):
        return float("nan")


class Heartbeat:
    """A 10 ms timer on the UI thread; every tick keeps the time and both threads' CPU time."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.t: list[float] = []
        self.main_cpu: list[float] = []
        self.main_delay: list[float] = []  # time runnable but not running (the kernel's run delay)
        self._schedstat = f"/proc/self/task/{threading.get_native_id()}/schedstat"
        self.worker: list[int] = []
        self.worker_cpu: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self.beat)

    def beat(self) -> None:
        run = STATE.active
        ident = run.ident if run is not None else 0
        self.t.append(perf())
        self.main_cpu.append(time.thread_time())
        self.main_delay.append(self._run_delay())
        self.worker.append(ident)
        self.worker_cpu.append(_thread_cpu(ident) if ident else float("nan"))

    def _run_delay(self) -> float:
        try:
            with open(self._schedstat) as f:
                return int(f.read().split()[1]) / 1e9
        except (OSError, ValueError, IndexError):
            return float("nan")

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()


@dataclass
class Sample:
    asleep: float  # the watchdog's sleep should have ended here
    woke: float  # it got the GIL back here
    worker: tuple[str, str] | None  # (sparkdesk site, innermost frame)
    main: tuple[str, str] | None


def _short(filename: str) -> str:
    for marker in ("/site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    try:
        return str(Path(filename).resolve().relative_to(ROOT))
    except ValueError:
        return filename


def describe_stack(frame) -> tuple[str, str] | None:
    """(innermost frame of ``sparkdesk`` code, innermost frame) as ``path:line function``."""
    if frame is None:
        return None
    inner = f"{_short(frame.f_code.co_filename)}:{frame.f_lineno} {frame.f_code.co_name}"
    f = frame
    while f is not None:
        name = f.f_code.co_filename
        if "/sparkdesk/" in name and not name.endswith("sparkdesk/tasks.py"):
            return f"{_short(name)}:{f.f_lineno} {f.f_code.co_name}", inner
        f = f.f_back
    if frame.f_code.co_name == "wait_until" and frame.f_code.co_filename == __file__:
        return "(Qt event loop: C++ work, e.g. layout or paint)", inner
    return "(outside sparkdesk) " + inner, inner


class Watchdog(threading.Thread):
    def __init__(self, heartbeat: Heartbeat, main_ident: int) -> None:
        super().__init__(name="watchdog", daemon=True)
        self.heartbeat = heartbeat
        self.main_ident = main_ident
        self.samples: list[Sample] = []
        # a plain profile of the worker, one sample every PROFILE_EVERY wake-ups, to show
        # what runs between two progress calls (where a progress/cancel check would go)
        self.profile: list[tuple[float, str]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        hb = self.heartbeat.t
        n = 0
        while not self._halt.is_set():
            t0 = perf()
            time.sleep(WATCHDOG_SLEEP)
            woke = perf()
            n += 1
            if n % PROFILE_EVERY == 0:
                run = STATE.active
                if run is not None and run.end is None:
                    got = describe_stack(sys._current_frames().get(run.ident))
                    if got is not None:
                        self.profile.append((woke, got[0]))
            last = hb[-1] if hb else woke
            if woke - t0 - WATCHDOG_SLEEP > SAMPLE_LATE or woke - last > SAMPLE_LATE + HEARTBEAT_MS / 1000:
                frames = sys._current_frames()
                run = STATE.active
                worker = (
                    describe_stack(frames.get(run.ident)) if run is not None and run.end is None else None
                )
                main = describe_stack(frames.get(self.main_ident))
                del frames
                self.samples.append(Sample(t0 + WATCHDOG_SLEEP, woke, worker, main))

    def stop(self) -> None:
        self._halt.set()
        self.join()


class GcWatch:
    def __init__(self) -> None:
        self.events: list[tuple[float, float, int, int]] = []  # start, end, generation, thread
        self._start: dict[int, float] = {}

    def __call__(self, phase: str, info: dict) -> None:
        ident = threading.get_ident()
        if phase == "start":
            self._start[ident] = perf()
        else:
            start = self._start.pop(ident, None)
            if start is not None and perf() - start > 0.005:
                self.events.append((start, perf(), info.get("generation", -1), ident))


# ---------------------------------------------------------------------------------------
# the run
class Bench:
    def __init__(self, args) -> None:
        from PySide6.QtCore import QEvent, QObject, QTimer
        from PySide6.QtWidgets import QApplication

        from sparkdesk.gui import settings as settings_mod
        from sparkdesk.gui.window import MainWindow

        self.args = args
        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        self.w = MainWindow(settings_mod.Settings(tz=args.tz))
        self.w.resize(1280, 720)
        self.w.show()
        self.app.processEvents()
        self.hb = Heartbeat()
        self.gcw = GcWatch()
        gc.callbacks.append(self.gcw)
        self.dog = Watchdog(self.hb, threading.get_ident())
        self.phases: list[dict] = []
        self.generates: list[dict] = []
        self.cancels: list[dict] = []
        self.ipcs: list[dict] = []
        self.stalls: list[dict] = []
        self.ui_progress: list[float] = []
        self._marks: dict[str, float] = {}

        w = self.w
        w.runner.progress.connect(lambda _slot, _value, _text: self.ui_progress.append(perf()))
        original_computed = w._computed

        def computed(result):
            self._marks["delivered"] = perf()
            original_computed(result)
            self._marks["set_up"] = perf()

        w._computed = computed
        w.result_ready.connect(lambda: self._marks.__setitem__("ready", perf()))
        w.generate_cancelled.connect(lambda: self._marks.__setitem__("ui_cancelled", perf()))
        w.saved.connect(lambda _p: self._marks.__setitem__("saved", perf()))
        w.dumps_ready.connect(lambda: self._marks.__setitem__("dumps_ready", perf()))
        bench = self

        class PaintWatch(QObject):
            armed = False

            def eventFilter(self, obj, event):  # noqa: N802
                if self.armed and event.type() == QEvent.Type.Paint:
                    self.armed = False
                    bench._marks["paint_start"] = perf()
                    # a zero timer fires once this paint event has been handled
                    QTimer.singleShot(0, lambda: bench._marks.__setitem__("paint_end", perf()))
                return False

        self.paint_watch = PaintWatch()
        w.preview.view.viewport().installEventFilter(self.paint_watch)

    # -- helpers -------------------------------------------------------------------------
    def wait_until(self, predicate, timeout: float) -> bool:
        from PySide6.QtCore import QEventLoop, QTimer

        if predicate():
            return True
        loop = QEventLoop()
        deadline = perf() + timeout
        poll = QTimer()
        poll.setInterval(5)
        poll.timeout.connect(lambda: (predicate() or perf() > deadline) and loop.quit())
        poll.start()
        loop.exec()
        poll.stop()
        return predicate()

    def idle_for(self, seconds: float) -> None:
        end = perf() + seconds
        self.wait_until(lambda: perf() >= end, seconds + 1)

    def worker_stopped(self) -> bool:
        run = STATE.active
        return run is None or run.end is not None

    def phase(self, label: str, start: float, end: float, **extra) -> dict:
        t = np.asarray(self.hb.t)
        i0 = int(np.searchsorted(t, start))
        i1 = int(np.searchsorted(t, end, side="right"))
        # the gap that was open at the phase's start counts from the start
        idx = list(range(max(i0, 1), min(i1 + 1, len(t))))
        gaps = np.array([t[i] - max(t[i - 1], start) for i in idx]) if idx else np.zeros(0)
        stall = self.args.stall_ms / 1000
        rec = {
            "phase": label,
            "seconds": end - start,
            "beats": len(idx),
            "max_gap_ms": float(gaps.max() * 1000) if len(gaps) else 0.0,
            "p99_gap_ms": float(np.percentile(gaps, 99) * 1000) if len(gaps) else 0.0,
            "gaps_over_50": int((gaps > stall).sum()),
            "gaps_over_200": int((gaps > 0.2).sum()),
            "stalled_ms": float(gaps[gaps > stall].sum() * 1000),
            "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            **extra,
        }
        self.phases.append(rec)
        for i, g in zip(idx, gaps, strict=True):
            if g > stall:
                s = self.explain(label, i, t[i] - g, t[i])
                self.stalls.append(s)
                wc = f"{s['worker_cpu']:.2f}" if s["worker_cpu"] is not None else "-"
                print(
                    f"      stall {s['ms']:6.1f} ms at {s['at'] - start:6.2f} s: {s['who']:<6} "
                    f"(ui ran {s['ui_cpu']:.2f}, waited {s['ui_waited'] or 0:.2f}, blocked {s['ui_blocked'] or 0:.2f};"
                    f" worker ran {wc}) {s['site']}  [{s['inner']}]",
                    flush=True,
                )
        self.print_phase(rec)
        return rec

    def explain(self, label: str, i: int, a: float, b: float) -> dict:
        """Who held the UI thread up between heartbeats i-1 and i."""
        hb = self.hb
        g = b - a
        dm = hb.main_cpu[i] - hb.main_cpu[i - 1]
        # the gap = UI thread running + runnable but not scheduled + blocked (on the GIL)
        waited = hb.main_delay[i] - hb.main_delay[i - 1]
        sched = waited == waited  # the kernel's schedstat was readable
        blocked = g - dm - waited if sched else float("nan")
        same_worker = hb.worker[i] and hb.worker[i] == hb.worker[i - 1]
        dw = hb.worker_cpu[i] - hb.worker_cpu[i - 1] if same_worker else float("nan")
        gcs = [e for e in self.gcw.events if e[0] < b and e[1] > a]
        gc_time = sum(min(e[1], b) - max(e[0], a) for e in gcs)
        near = [s for s in self.dog.samples if a - 0.005 <= s.woke <= b + 0.030]
        if gc_time > 0.5 * g:
            who = "gc"
            site = f"gc gen {max(e[2] for e in gcs)}"
            inner = ""
        elif sched and waited >= max(dm, blocked):
            who = "cpu"
            site, inner = "(UI thread runnable but not scheduled: the machine was busy)", ""
        elif (sched and dm >= blocked) or (not sched and dm / g > 0.25 and not (dw == dw and dw > dm)):
            who = "ui"
            sites = Counter(s.main for s in near if s.main is not None)
            site, inner = sites.most_common(1)[0][0] if sites else ("(UI thread, no sample)", "")
        elif sched or (dw == dw and dw / g > 0.25):
            # the UI thread slept through most of the gap with its timer due: the GIL was held
            who = "worker" if dw == dw else "gil"
            # the sample taken when the GIL came back names the line whose call held it
            with_worker = [s for s in near if s.worker is not None]
            best = max(with_worker, key=lambda s: s.woke - max(s.asleep, a), default=None)
            site, inner = best.worker if best is not None else ("(worker, no sample)", "")
        else:
            who = "cpu"
            site, inner = "(neither thread ran: the machine was busy, or I/O)", ""
            seen = [s.worker or s.main for s in near if (s.worker or s.main) is not None]
            if seen:
                inner = "seen: " + seen[-1][0]
        return {
            "phase": label,
            "at": a,
            "ms": g * 1000,
            "who": who,
            "site": site,
            "inner": inner,
            "ui_cpu": dm / g,
            "ui_waited": waited / g if waited == waited else None,
            "ui_blocked": blocked / g if blocked == blocked else None,
            "worker_cpu": (dw / g) if dw == dw else None,
        }

    def print_phase(self, r: dict) -> None:
        print(
            f"  {r['phase']:<38} {r['seconds']:7.2f} s  max gap {r['max_gap_ms']:7.1f} ms  "
            f"p99 {r['p99_gap_ms']:6.1f} ms  >50 ms: {r['gaps_over_50']:3d}  >200 ms: {r['gaps_over_200']:2d}",
            flush=True,
        )

    # -- steps ---------------------------------------------------------------------------
    def load(self, path: str) -> None:
        self._marks.clear()
        t0 = perf()
        self.w.add_dumps([[path]], remember=False)
        ok = self.wait_until(lambda: "dumps_ready" in self._marks, self.args.timeout)
        if not ok:
            raise SystemExit(f"the dump did not load in {self.args.timeout} s")
        run = STATE.runs[-1]
        self.idle_for(0.3)  # whatever the window does right after
        self.phase("load", t0, perf(), worker_s=run.end - run.start)
        self.load_progress = self._progress_stats(t0, run)

    def _progress_stats(self, t0: float, run: Run) -> dict:
        end = run.end or perf()
        ui = [t for t in self.ui_progress if t0 <= t <= end + 1]
        ui_times = [t0, *[t for t in ui if t <= end], end]
        worker_times = [t0, *run.progress, end]
        gaps = np.diff(worker_times)
        k = int(gaps.argmax())
        a, b = worker_times[k], worker_times[k + 1]
        seen = Counter(site for t, site in self.dog.profile if a <= t <= b)
        total = sum(seen.values()) or 1
        return {
            "ui_updates": len(ui),
            "ui_max_interval_s": float(np.diff(ui_times).max()),
            "worker_updates": len(run.progress),
            "worker_max_interval_s": float(gaps.max()),
            # where the worker was during its longest stretch without a progress call
            "no_progress_from_s": a - t0,
            "no_progress_sites": [(site, round(c / total * (b - a), 3)) for site, c in seen.most_common(6)],
        }

    def fresh_facts(self) -> None:
        """Forget the dump's shared definitions so the next compute is cold."""
        self.w.dump._facts = None
        gc.collect()

    def generate(self, type_id: str, label: str) -> dict:
        w = self.w
        w.options.set_type(type_id)
        w.options.apply_preset("all")
        if self.args.first_day:  # a narrower question: the plan reads its days only (issue 14)
            w.options.set_range(self.args.first_day, self.args.last_day or self.args.first_day)
        self._marks.clear()
        self.paint_watch.armed = False
        w.result_ready.connect(self._arm_paint)
        n_before = len(STATE.runs)
        t0 = perf()
        w.options.generate_button.click()
        ok = self.wait_until(lambda: "paint_end" in self._marks, self.args.timeout)
        w.result_ready.disconnect(self._arm_paint)
        if not ok:
            raise SystemExit(f"{label}: no result in {self.args.timeout} s")
        run = STATE.runs[n_before]
        self.wait_until(lambda: not w.is_busy(), 10)
        self.idle_for(0.2)
        m = self._marks
        rows = w.preview.model.total_rows
        rec = {
            "export": type_id,
            "label": label,
            "rows": rows,
            "columns": w.preview.model.columnCount(),
            "compute_s": run.end - run.start,
            "end_to_paint_ms": (m["paint_end"] - run.end) * 1000,
            "queue_ms": (m["delivered"] - run.end) * 1000,
            "set_up_ms": (m["set_up"] - m["delivered"]) * 1000,
            "paint_ms": (m["paint_end"] - m["paint_start"]) * 1000,
            "until_paint_ms": (m["paint_start"] - m["set_up"]) * 1000,
            **self._progress_stats(t0, run),
        }
        self.generates.append(rec)
        self.phase(label, t0, perf(), compute_s=rec["compute_s"])
        print(
            f"    {rows:,} rows; compute {rec['compute_s']:.2f} s; end -> first paint {rec['end_to_paint_ms']:.0f} ms "
            f"(queue {rec['queue_ms']:.0f}, set-up {rec['set_up_ms']:.0f}, "
            f"to paint {rec['until_paint_ms']:.0f}, paint {rec['paint_ms']:.0f}); progress max interval "
            f"UI {rec['ui_max_interval_s']:.2f} s, worker {rec['worker_max_interval_s']:.2f} s",
            flush=True,
        )
        return rec

    def _arm_paint(self) -> None:
        self.paint_watch.armed = True
        self.w.preview.view.viewport().update()

    def cancel(self, type_id: str, after: float, fraction: float, cold: bool) -> dict:
        from PySide6.QtCore import QTimer

        w = self.w
        if cold:
            self.fresh_facts()
        w.options.set_type(type_id)
        w.options.apply_preset("all")
        if self.args.first_day:  # a narrower question: the plan reads its days only (issue 14)
            w.options.set_range(self.args.first_day, self.args.last_day or self.args.first_day)
        self._marks.clear()
        n_before = len(STATE.runs)
        pressed: list[float] = []

        at_press: list[str] = []

        def press():
            pressed.append(perf())
            w.cancel_button.click()
            run = STATE.active
            if run is not None and run.end is None:
                got = describe_stack(sys._current_frames().get(run.ident))
                at_press.append(got[0] if got else "")

        t0 = perf()
        w.options.generate_button.click()
        QTimer.singleShot(int(after * 1000), press)
        ok = self.wait_until(
            lambda: pressed and len(STATE.runs) > n_before and STATE.runs[n_before].end is not None,
            self.args.timeout,
        )
        self.wait_until(lambda: not w.is_busy(), 30)
        run = STATE.runs[n_before]
        if not ok or not pressed:
            raise SystemExit(f"cancel {type_id}: the worker did not stop")
        self.idle_for(0.2)
        rec = {
            "export": type_id,
            "state": "cold" if cold else "warm",
            "fraction": fraction,
            "pressed_after_s": pressed[0] - t0,
            "worker_stop_ms": (run.end - pressed[0]) * 1000,
            "ui_cancelled_ms": (self._marks["ui_cancelled"] - pressed[0]) * 1000
            if "ui_cancelled" in self._marks
            else None,
            "outcome": run.outcome,
            "site_at_press": at_press[0] if at_press else "",
        }
        if run.outcome != "cancelled":
            rec["worker_stop_ms"] = None  # the computation ended before the press
        self.cancels.append(rec)
        self.phase(f"cancel {type_id} {rec['state']} @{fraction:.0%}", t0, perf())
        print(
            f"    pressed {rec['pressed_after_s']:.2f} s after Generate: worker stopped after "
            f"{(run.end - pressed[0]) * 1000:.0f} ms ({run.outcome}); window said cancelled after "
            f"{rec['ui_cancelled_ms'] if rec['ui_cancelled_ms'] is not None else float('nan'):.0f} ms",
            flush=True,
        )
        return rec

    def ipc(self, type_id: str, folder: Path) -> None:
        """What a worker *process* would add: the result written as Arrow IPC (its side) and
        read back memory-mapped into pandas (the window's side, on a thread)."""
        import pyarrow as pa

        frame = self.w.result.frame
        path = folder / f"{type_id}.arrow"
        rec: dict = {"export": type_id, "rows": len(frame), "columns": frame.shape[1]}

        def write():
            t = perf()
            table = pa.Table.from_pandas(frame, preserve_index=False)
            rec["arrow_bytes"] = table.nbytes
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            rec["write_s"] = perf() - t

        def read():
            t = perf()
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
            got = table.to_pandas()
            rec["read_s"] = perf() - t
            rec["equal"] = bool(got.equals(frame)) or _frames_match(got, frame)
            rec["dtypes_equal"] = [str(d) for d in got.dtypes] == [str(d) for d in frame.dtypes]

        for label, fn in (("write", write), ("read", read)):
            th = threading.Thread(target=fn, name=f"ipc-{label}")
            t0 = perf()
            th.start()
            self.wait_until(lambda th=th: not th.is_alive(), self.args.timeout)
            self.phase(f"ipc {label} {type_id}", t0, perf())
        rec["file_mb"] = path.stat().st_size / 1e6
        path.unlink(missing_ok=True)
        self.ipcs.append(rec)
        print(
            f"    arrow IPC: {rec['file_mb']:.0f} MB; write {rec['write_s']:.2f} s; read + to_pandas "
            f"{rec['read_s']:.2f} s; equal {rec['equal']}, dtypes equal {rec['dtypes_equal']}",
            flush=True,
        )

    def save(self, type_id: str, folder: Path) -> None:
        w = self.w
        self._marks.clear()
        path = folder / f"{type_id}.csv"
        t0 = perf()
        w.save_to(str(path), "csv")
        if not self.wait_until(lambda: "saved" in self._marks, self.args.timeout):
            raise SystemExit(f"saving {type_id} did not finish")
        run = STATE.runs[-1]
        self.wait_until(lambda: not w.is_busy(), 10)
        self.phase(f"save {type_id} csv", t0, perf(), worker_s=run.end - run.start)
        path.unlink(missing_ok=True)


def _code_state() -> str:
    """The commit, and the files of sparkdesk/ that differ from it (others edit the tree)."""
    import subprocess

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
            ).stdout.rstrip()
        except OSError:
            return ""

    head = git("rev-parse", "--short=12", "HEAD").strip()
    dirty = [line[3:] for line in git("status", "--porcelain", "--", "sparkdesk").splitlines() if line]
    return head + (f" + uncommitted {', '.join(dirty)}" if dirty else "")


def _frames_match(a, b) -> bool:
    try:
        import pandas as pd

        pd.testing.assert_frame_equal(a, b, check_dtype=False)
        return True
    except AssertionError:
        return False


def site_table(stalls: list[dict]) -> list[dict]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for s in stalls:
        groups[(s["who"], s["site"])].append(s)
    rows = []
    for (who, site), items in groups.items():
        ms = [s["ms"] for s in items]
        inner = Counter(s["inner"] for s in items if s["inner"]).most_common(1)
        rows.append(
            {
                "who": who,
                "site": site,
                "source": _source_of(site),
                "count": len(items),
                "total_ms": sum(ms),
                "max_ms": max(ms),
                "inner": inner[0][0] if inner else "",
                "phases": sorted({s["phase"].split(" @")[0] for s in items}),
            }
        )
    rows.sort(key=lambda r: -r["total_ms"])
    return rows


def _source_of(site: str) -> str:
    try:
        where = site.split(" ", 1)[0]
        path, line = where.rsplit(":", 1)
        text = linecache.getline(str(ROOT / path), int(line)).strip()
        return text[:90]
    except (ValueError, IndexError):
        return ""


# ---------------------------------------------------------------------------------------
# Markdown
def md_section(res: dict) -> str:
    out = []
    m = res["machine"]
    out.append(
        f"## {res['dump_name']}: {res['conversations']:,} conversations, {res['messages']:,} messages\n"
    )
    out.append(
        f"Run {res['when']}: `{res['command']}` on SparkDesk {res.get('code', '?')}  \n"
        f"Machine: {m['cores']} cores, {m['mem_gib']:.1f} GiB, load average {m['load_start']:.2f} at start and "
        f"{m['load_end']:.2f} at the end (shared machine); Python {m['python']}, PySide6 {m['pyside']}, "
        f"pandas {m['pandas']}, pyarrow {m['pyarrow']}; offscreen; heartbeat {HEARTBEAT_MS} ms; "
        f"stall = gap > {res['stall_ms']} ms; watchdog on. Peak RSS {res['peak_rss_gib']:.2f} GiB.\n"
    )
    out.append("### Heartbeat per phase\n")
    out.append(
        "| phase | seconds | max gap (ms) | p99 gap (ms) | gaps > 50 ms | gaps > 200 ms | stalled (ms) |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for p in res["phases"]:
        out.append(
            f"| {p['phase']} | {p['seconds']:.2f} | {p['max_gap_ms']:.0f} | {p['p99_gap_ms']:.0f} | "
            f"{p['gaps_over_50']} | {p['gaps_over_200']} | {p['stalled_ms']:.0f} |"
        )
    out.append("\n### Generate: preview and progress\n")
    out.append(
        "| run | rows × cols | compute (s) | end → first paint (ms) | queue | set-up | to paint | paint "
        "| progress updates (UI) | longest without progress, UI (s) | longest, worker (s) |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for g in res["generates"]:
        out.append(
            f"| {g['label']} | {g['rows']:,} × {g['columns']} | {g['compute_s']:.2f} | "
            f"**{g['end_to_paint_ms']:.0f}** | {g['queue_ms']:.0f} | {g['set_up_ms']:.0f} | "
            f"{g['until_paint_ms']:.0f} | {g['paint_ms']:.0f} | {g['ui_updates']} | "
            f"{g['ui_max_interval_s']:.2f} | {g['worker_max_interval_s']:.2f} |"
        )
    out.append(
        "\nWhere the worker was during its longest stretch without a progress call "
        "(sampled every ~20 ms; seconds per site, estimated):\n"
    )
    for g in res["generates"]:
        sites = "; ".join(f"`{site}` {sec:.2f} s" for site, sec in g.get("no_progress_sites", [])[:4])
        out.append(
            f"- {g['label']}: {g['worker_max_interval_s']:.2f} s from {g.get('no_progress_from_s', 0):.2f} s: {sites}"
        )
    if res.get("load_progress"):
        lp = res["load_progress"]
        out.append(
            f"\nLoad: {lp['ui_updates']} progress updates on the UI, longest interval without one "
            f"{lp['ui_max_interval_s']:.2f} s (worker {lp['worker_max_interval_s']:.2f} s)."
        )
    out.append("\n### Cancel\n")
    out.append(
        "| export | facts | pressed after (s) | worker stopped after (ms) | window said cancelled after (ms) "
        "| worker was at |"
    )
    out.append("|---|---|---:|---:|---:|---|")
    for c in res["cancels"]:
        ui = f"{c['ui_cancelled_ms']:.0f}" if c["ui_cancelled_ms"] is not None else "–"
        out.append(
            f"| {c['export']} | {c['state']} | {c['pressed_after_s']:.2f} ({c['fraction']:.0%}) | "
            + (
                f"**{c['worker_stop_ms']:.0f}** | {ui} |"
                if c["worker_stop_ms"] is not None
                else "(finished first) | – |"
            )
            + f" `{c.get('site_at_press', '')}` |"
        )
    if res.get("ipc"):
        out.append("\n### A worker process instead of a thread: the result through Arrow IPC\n")
        out.append(
            "Measured in this process: `Table.from_pandas` + IPC file write (the child's side), then "
            "memory-mapped read + `to_pandas` (the window's side, on a thread; its heartbeat is in the phases "
            "`ipc read ...`).\n"
        )
        out.append(
            "| export | rows × cols | Arrow (MB) | file (MB) | write (s) | read + to_pandas (s) | same table |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---|")
        for r in res["ipc"]:
            out.append(
                f"| {r['export']} | {r['rows']:,} × {r['columns']} | {r['arrow_bytes'] / 1e6:.0f} | "
                f"{r['file_mb']:.0f} | {r['write_s']:.2f} | {r['read_s']:.2f} | "
                f"{'yes' if r['equal'] else 'no'}{'' if r['dtypes_equal'] else ' (dtypes differ)'} |"
            )
    out.append("\n### Stalls by site (gaps > 50 ms, ranked by total)\n")
    out.append(
        "*who*: each gap is split into the UI thread's CPU time, its run delay (runnable, not scheduled: "
        "`/proc/self/task/<tid>/schedstat`) and the rest, when it slept with its timer due: blocked on the GIL. "
        "**worker** = blocked most, while the worker held the GIL (the site is the worker's innermost SparkDesk "
        "line when the GIL came back, i.e. the line whose call held it); **ui** = the UI thread itself ran most "
        "(Python, or Qt C++ when the site is the event loop); **cpu** = it waited most for a CPU (the machine was "
        "busy); **gc** = a garbage collection.\n"
    )
    out.append("| # | who | site | code | stalls | total (ms) | max (ms) | innermost frame | phases |")
    out.append("|---:|---|---|---|---:|---:|---:|---|---|")
    if not res["sites"]:
        out.append("| – | – | no gap over the limit in any phase | | 0 | 0 | 0 | | |")
    for i, s in enumerate(res["sites"], 1):
        code = s["source"].replace("|", "\\|")
        out.append(
            f"| {i} | {s['who']} | `{s['site']}` | `{code}` | {s['count']} | {s['total_ms']:.0f} | "
            f"{s['max_ms']:.0f} | `{s['inner']}` | {', '.join(s['phases'])} |"
        )
    return "\n".join(out) + "\n"


def write_markdown(out: Path) -> None:
    results = []
    for f in sorted(DATA.glob("window-*.json")):
        try:
            results.append(json.loads(f.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    results.sort(key=lambda r: r["conversations"])
    head = [
        "# The window at scale (issue 5, point 3)\n",
        "Written by `benchmarks/window_at_scale.py` (not a test). Targets: the preview of a 1,000,000-row "
        "export appears < 0.5 s after the computation ends; while an export computes, the UI heartbeat "
        "never stalls > 50 ms; progress moves at least once a second; Cancel takes effect within a second. "
        "The 200 ms check stays in `tests/test_gui_window.py`.\n",
    ]
    if results:
        head.append("## Summary\n")
        head.append(
            "| dump | export | rows | compute (s) | end → first paint (ms) | max gap while computing (ms) "
            "| gaps > 50 ms | longest without progress (s) | worst Cancel → worker stopped (ms) |"
        )
        head.append("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in results:
            for g in r["generates"]:
                if not g["label"].endswith("cold"):
                    continue
                ph = next((p for p in r["phases"] if p["phase"] == g["label"]), None)
                cs = [
                    c["worker_stop_ms"]
                    for c in r["cancels"]
                    if c["export"] == g["export"] and c["worker_stop_ms"]
                ]
                head.append(
                    f"| {r['dump_name']} | {g['export']} | {g['rows']:,} | {g['compute_s']:.1f} | "
                    f"{g['end_to_paint_ms']:.0f} | {ph['max_gap_ms']:.0f} | {ph['gaps_over_50']} | "
                    f"{g['ui_max_interval_s']:.1f} | {max(cs) if cs else float('nan'):.0f} |"
                )
        head.append("")
    body = [md_section(r) for r in results]
    out.write_text("\n".join(head) + "\n" + "\n".join(body), encoding="utf-8")


# ---------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--dump", default=str(DATA / "demo-100000-1"))
    ap.add_argument("--types", default="message,resolved-conversation,user")
    ap.add_argument("--cancel-at", default="0.15,0.45,0.75", help="fractions of the cold compute time")
    ap.add_argument(
        "--save", default="all", help="exports to save as CSV through the window ('all', 'none', a list)"
    )
    ap.add_argument("--tz", default="Europe/Madrid")
    ap.add_argument("--from", dest="first_day", type=dt.date.fromisoformat, help="first day (default: all)")
    ap.add_argument("--to", dest="last_day", type=dt.date.fromisoformat, help="last day (default: --from)")
    ap.add_argument("--stall-ms", type=float, default=50)
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--out", default=str(HERE / "WINDOW.md"))
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument(
        "--ipc", action="store_true", help="also time each result through Arrow IPC (a worker process's cost)"
    )
    ap.add_argument(
        "--cache",
        help="an existing dump cache (SPARKDESK_CACHE_DIR) holding the dump: the window opens the saved "
        "copy, which reads only what each export needs, instead of importing afresh",
    )
    args = ap.parse_args()

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = Path(tempfile.mkdtemp(prefix="sparkdesk-window-"))
    # settings, logs and the dump cache in a scratch folder: every load is a real import
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        os.environ[var] = str(scratch / var.lower())
    os.environ["SPARKDESK_CACHE_DIR"] = args.cache or str(scratch / "cache")
    load_start = os.getloadavg()[0]
    try:
        return run(args, scratch, load_start)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(args, scratch: Path, load_start: float) -> int:
    import pandas as pd
    import pyarrow as pa
    import PySide6

    sys.path.insert(0, str(ROOT))
    instrument_jobs()
    bench = Bench(args)
    bench.hb.start()
    bench.dog.start()
    types = [t for t in args.types.split(",") if t]
    save = types if args.save == "all" else [t for t in args.save.split(",") if t and t != "none"]
    fractions = [float(x) for x in args.cancel_at.split(",") if x]
    dump_path = str(Path(args.dump).resolve())
    print(f"window at scale: {dump_path}", flush=True)
    try:
        bench.load(dump_path)
        dump = bench.w.dump
        for type_id in types:
            bench.fresh_facts()
            cold = bench.generate(type_id, f"{type_id} cold")
            bench.generate(type_id, f"{type_id} warm")
            if args.ipc:
                bench.ipc(type_id, scratch)
            for f in fractions:
                bench.cancel(type_id, f * cold["compute_s"], f, cold=True)
            if type_id in save:
                bench.save(type_id, scratch)
    finally:
        bench.dog.stop()
        bench.hb.stop()
        bench.w.runner.shutdown()
    sites = site_table(bench.stalls)
    res = {
        "dump": dump_path,
        "dump_name": Path(dump_path).name,
        "conversations": len(dump.tables["conversations"]),
        "messages": len(dump.tables["messages"]),
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "code": _code_state(),
        "command": "benchmarks/window_at_scale.py " + " ".join(sys.argv[1:]),
        "stall_ms": args.stall_ms,
        "machine": {
            "cores": os.cpu_count(),
            "mem_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30,
            "load_start": load_start,
            "load_end": os.getloadavg()[0],
            "python": platform.python_version(),
            "pyside": PySide6.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
        },
        "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
        "phases": bench.phases,
        "generates": bench.generates,
        "cancels": bench.cancels,
        "ipc": bench.ipcs,
        "load_progress": getattr(bench, "load_progress", None),
        "stalls": bench.stalls,
        "sites": sites,
        "gc_events": len(bench.gcw.events),
    }
    print()
    print(md_section(res))
    if not args.no_write:
        DATA.mkdir(parents=True, exist_ok=True)
        (DATA / f"window-{res['dump_name']}.json").write_text(json.dumps(res, indent=1), encoding="utf-8")
        write_markdown(Path(args.out))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
