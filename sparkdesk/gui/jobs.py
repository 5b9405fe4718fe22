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
    frame: Any  # pandas.DataFrame with the catalogue's keys as columns
    params: Any  # sparkdesk.exports.ExportParams
    seconds: float


def load(paths: list[str], progress: ProgressFn | None = None, cancel: CancelToken | None = None):
    """Read one dump (or several combined) with ``sparkdesk.dump.load_dumps``."""
    from sparkdesk.dump import load_dumps

    return load_dumps([str(p) for p in paths], progress=progress, cancel=cancel)


def compute(dump, params, progress: ProgressFn | None = None, cancel: CancelToken | None = None) -> Computed:
    from sparkdesk.exports import compute as compute_export

    start = time.perf_counter()
    frame = compute_export(dump, params, progress=progress, cancel=cancel)
    return Computed(frame, params, time.perf_counter() - start)


def save(
    computed: Computed,
    path: str,
    options,
    fmt: str | None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> str:
    from sparkdesk.writers import write_export

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
) -> str:
    """Compute every export, then write them together (a folder, or one workbook)."""
    from sparkdesk.exports import compute as compute_export
    from sparkdesk.writers import write_all

    p = as_progress(progress, cancel)
    tables = {}
    n = len(params_by_type)
    for i, (type_id, params) in enumerate(params_by_type.items()):
        sub = p.sub(0.8 * i / n, 0.8 * (i + 1) / n)
        sub.step(0.0, type_id, force=True)
        tables[type_id] = compute_export(dump, params, progress=sub, cancel=p.cancel)
    write_all(tables, out, options, fmt=fmt, progress=p.sub(0.8, 1.0), cancel=p.cancel)
    return out


def save_report(
    report, path: str, progress: ProgressFn | None = None, cancel: CancelToken | None = None
) -> str:
    """The import report (every rejected row) as CSV, written whole or not at all."""
    from sparkdesk.dump.report_csv import write_report_csv

    write_report_csv(report, path)
    return path
