"""The import report as a CSV file: every rejected row and every warning, nothing lost."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import pandas as pd

from sparkdesk.dump.model import ImportReport

REPORT_COLUMNS = ["kind", "table", "file", "line", "column", "reason", "raw"]


def report_frame(report: ImportReport) -> pd.DataFrame:
    """Rejected rows first, then warnings, in one table with a ``kind`` column."""
    rejected = report.rejected.assign(kind="rejected")
    warnings = report.warnings.assign(kind="warning", raw="")
    frame = pd.concat([rejected, warnings], ignore_index=True)
    return frame.reindex(columns=REPORT_COLUMNS)


def write_report_csv(report: ImportReport, path: str | os.PathLike) -> int:
    """Write the report as UTF-8 CSV (with BOM, for Excel), atomically; returns the row count."""
    frame = report_frame(report)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    # one row per rejected input row: the writer's loop is over report rows, not data
    writer.writerows(frame.astype(object).where(frame.notna(), "").itertuples(index=False, name=None))
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
            out.write(buf.getvalue())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(frame)
