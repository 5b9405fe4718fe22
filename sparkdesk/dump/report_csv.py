"""The import report as a CSV file: every rejected row and every warning, nothing lost."""

from __future__ import annotations

import csv
import io
import os

import pandas as pd

from sparkdesk.dump.model import ImportReport
from sparkdesk.files import atomic_output

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
    with atomic_output(path) as out:
        out.write(buf.getvalue().encode("utf-8-sig"))
    return len(frame)
