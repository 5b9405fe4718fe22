"""Reading a Parquet export back, and its cells spelled the CSV's way (cli.md's types)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq

from sparkdesk.catalogue import ExportType
from sparkdesk.writers import WriteOptions
from sparkdesk.writers.cells import GUARD_CHARS, TEXT_KINDS

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
WANTED_TYPES = {
    "id": pa.string(),
    "text": pa.string(),
    "enum": pa.string(),
    "count": pa.int64(),
    "score": pa.int64(),
    "duration": pa.float64(),
    "percent": pa.float64(),
    "bool": pa.bool_(),
}


def read_parquet(path: Path, export: ExportType, options: WriteOptions) -> tuple[list[str], list[list]]:
    """(headers, rows) of a Parquet export, timestamps as UTC epoch milliseconds; checks
    that every column has the type cli.md gives its kind."""
    table = pq.read_table(path)
    for col, f in zip(export.columns, table.schema, strict=True):
        want = pa.timestamp("ms", tz=options.tz) if col.kind == "timestamp" else WANTED_TYPES[col.kind]
        assert f.type == want, f"{export.id} {col.key}: {f.type}, not {want}"
    columns = [
        table.column(i).cast(pa.int64()) if c.kind == "timestamp" else table.column(i)
        for i, c in enumerate(export.columns)
    ]
    rows = [list(r) for r in zip(*(c.to_pylist() for c in columns), strict=True)] if columns else []
    return table.column_names, rows


def as_csv_text(value, kind: str, options: WriteOptions, csv_text: str) -> str:
    """The Parquet cell spelled as the CSV spells it. A timestamp is compared as an instant
    (the CSV's iso text) or as the local clock to the second (its local text)."""
    if value is None:
        return ""
    if kind in TEXT_KINDS:
        if options.formula_guard and value.startswith(GUARD_CHARS):
            return "'" + value
        return value
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("count", "score"):
        return str(value)
    if kind == "duration":
        return f"{value + 0.0:.3f}" if value else "0.000"
    if kind == "percent":
        return f"{value:.2f}" if value else "0.00"
    assert kind == "timestamp", kind
    instant = EPOCH + dt.timedelta(milliseconds=value)
    if options.time_format == "iso":
        parsed = dt.datetime.fromisoformat(csv_text)
        return csv_text if parsed == instant else instant.isoformat()
    local = instant.astimezone(ZoneInfo(options.tz))
    return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local:%H:%M:%S}"
