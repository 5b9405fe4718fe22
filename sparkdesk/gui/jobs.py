"""The plain functions the window runs on its thread pool.

Each takes ``progress`` and ``cancel`` like every core function, calls the core (the same
functions as the command line), and returns a value for the UI thread. No Qt here, and no
metric logic: that lives in ``sparkdesk.exports``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sparkdesk.tasks import CancelToken, ProgressFn, as_progress


@dataclass
class Computed:
    frame: Any  # pandas.DataFrame with the catalogue's keys as columns, or an ondisk.DiskResult
    params: Any  # sparkdesk.exports.ExportParams
    seconds: float


@dataclass
class DumpSummary:
    """What the window shows of a dump, worked out once on the pool.

    ``Dump.time_span()`` and ``Dump.channels()`` scan whole columns (ten million message
    times at full size: 0.1-0.3 s each, holding the GIL); the window asks for them on
    every label refresh, so they are computed here, on the worker, and kept with the dump.
    """

    span: Any  # (earliest, latest) UTC Timestamps, or None
    channels: list[tuple[str, str | None, str | None]]  # (channel_id, medium, name)


def summarize(dump) -> DumpSummary:
    """The dump's summary: computed at most once per dump, then kept on it."""
    found = getattr(dump, "_gui_summary", None)
    if found is None:
        import pandas as pd

        def text(value) -> str | None:
            return None if pd.isna(value) else str(value)

        found = DumpSummary(
            dump.time_span(),
            [
                (str(r.channel_id), text(r.medium), text(r.name))
                for r in dump.channels().itertuples(index=False)
            ],
        )
        dump._gui_summary = found
    return found


def default_range(dump, tz: str):
    """``sparkdesk.exports.default_range`` of the span in the dump's kept summary (no column scan)."""
    from sparkdesk.exports import default_range as core_default_range

    return core_default_range(summarize(dump).span, tz)


def load(
    paths: list[str],
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    keep_copy: bool = True,
):
    """Read one dump (or several combined) with ``sparkdesk.dump.load_dumps``; with
    ``keep_copy`` (the user's choice), through the dump cache."""
    from sparkdesk.dump import load_dumps

    # The window has the dump as soon as it is read; saving it for a quick re-open
    # (as long again at full size) goes on behind, while the user picks an export.
    dump = load_dumps(
        [str(p) for p in paths], progress=progress, cancel=cancel, cache=keep_copy, save_in_background=True
    )
    summarize(dump)
    # What the UI thread calls into once a dump is there (ranges, preview formats): imported
    # here, so that the first result does not compile and run their modules on the UI thread.
    import sparkdesk.exports  # noqa: F401
    import sparkdesk.writers  # noqa: F401

    return dump


def clear_saved_dumps(progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> int:
    """Stop a save under way, then delete every saved dump; the bytes freed."""
    from sparkdesk.dump import cache

    cache.cancel_saves(10.0)
    return cache.clear()


def compute(
    dump,
    params,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    memory_limit: int | None = None,
) -> Computed:
    """The export's table within ``memory_limit`` bytes (``sparkdesk.exports.compute_or_spill``):
    in memory, or, when the limit cannot hold a per-row result, a ``DiskResult`` in a scratch
    folder of the cache's (``result_folder``), which the window closes when it lets it go."""
    from sparkdesk.exports import compute_or_spill
    from sparkdesk.exports.ondisk import DiskResult
    from sparkdesk.tasks import Cancelled

    start = time.perf_counter()
    prog = as_progress(progress, cancel)
    frame = compute_or_spill(dump, params, progress=prog, memory_limit=memory_limit, folder=result_folder())
    if cancel is not None and cancel.cancelled and isinstance(frame, DiskResult):
        frame.close()  # Cancel came as it finished: the window will not take it, its file goes now
        raise Cancelled()
    prog.step(1.0, "Done", force=True)
    return Computed(frame, params, time.perf_counter() - start)


def result_folder():
    """Where a result too large for memory is kept: beside the saved dumps (a disk meant for
    big files; the system's temporary folder may be in memory)."""
    from sparkdesk.dump.cache import cache_root

    return cache_root().parent / "results"


def on_disk(computed: Computed | None) -> bool:
    """Is this result kept on disk (``sparkdesk.exports.ondisk.DiskResult``)?"""
    if computed is None:
        return False
    from sparkdesk.exports.ondisk import DiskResult

    return isinstance(computed.frame, DiskResult)


def release(computed: Computed | None) -> None:
    """Let a result go: a result on disk closes, which removes its scratch folder."""
    if on_disk(computed):
        computed.frame.close()  # type: ignore[union-attr]


def save(
    computed: Computed,
    path: str,
    options,
    fmt: str | None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> str:
    """Write the result (a result on disk streams from its file, as ``sparkdesk export``)."""
    from sparkdesk.exports.ondisk import save_result
    from sparkdesk.writers import write_export

    if on_disk(computed):
        save_result(computed.frame, path, options, fmt, progress=progress, cancel=cancel)
        return path
    write_export(
        computed.frame, computed.params.type, path, options, fmt=fmt, progress=progress, cancel=cancel
    )
    return path


def export_all(
    dump,
    params_by_type: dict[str, Any],
    out: str,
    options,
    fmt: str | None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    memory_limit: int | None = None,
) -> str:
    """Compute every export within ``memory_limit`` bytes, then write them together (a
    folder, or one workbook)."""
    from sparkdesk.exports import compute as compute_export
    from sparkdesk.writers import write_all

    p = as_progress(progress, cancel)
    tables = {}
    n = len(params_by_type)
    for i, (type_id, params) in enumerate(params_by_type.items()):
        sub = p.sub(0.8 * i / n, 0.8 * (i + 1) / n)
        sub.step(0.0, type_id, force=True)
        tables[type_id] = compute_export(
            dump, params, progress=sub, cancel=p.cancel, memory_limit=memory_limit
        )
    write_all(tables, out, options, fmt=fmt, progress=p.sub(0.8, 1.0), cancel=p.cancel)
    return out


def dump_report(
    dump,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    memory_limit: int | None = None,
):
    """The dump's whole report, lock warnings included (``sparkdesk.inspection``, as
    ``sparkdesk inspect``): builds the lock sessions, which then stay for the exports
    (in parts, within ``memory_limit``, for a cached dump too large for it)."""
    from sparkdesk.inspection import dump_report as core_dump_report

    return core_dump_report(dump, progress, cancel, memory_limit=memory_limit)


def save_report(
    report, path: str, progress: ProgressFn | None = None, cancel: CancelToken | None = None
) -> str:
    """The import report (every rejected row) as CSV, written whole or not at all."""
    from sparkdesk.dump.report import write_report_csv

    write_report_csv(report, path)
    return path


# ----- saved export jobs (the Jobs dialog) ------------------------------------------------------


def run_job_file(
    path: str,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    memory_limit: int | None = None,
):
    """Run the job file at ``path`` once, as ``sparkdesk run`` does, within the window's
    memory limit: its ``Receipt``."""
    from sparkdesk.jobs import load_job, run_job

    return run_job(load_job(path), progress=progress, cancel=cancel, memory_limit=memory_limit)


def schedule_job(path: str, schedule, progress: ProgressFn | None = None, cancel: CancelToken | None = None):
    """Register the job file with the computer's scheduler, as ``sparkdesk schedule install``
    (it may wait on ``systemctl``/``launchctl``/``schtasks``): the ``Installed``."""
    from sparkdesk.jobs.schedule import install

    return install(path, schedule)


def unschedule_job(path: str, progress: ProgressFn | None = None, cancel: CancelToken | None = None):
    """Unload and delete the job file's schedule, as ``sparkdesk schedule remove``."""
    from sparkdesk.jobs.schedule import scheduler_for

    return scheduler_for().remove(path)
