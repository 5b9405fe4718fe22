"""Parquet writer: each column keeps its type (cli.md, "Parquet output").

- text (``id``, ``text``, ``enum``): strings, a missing value null;
- counts and scores: 64-bit integers;
- durations: float64 seconds (``ms / 1000``, the nearest double, as the XLSX cells);
- percentages: float64, as computed (already rounded to 2 places);
- timestamps: ``timestamp[ms, tz]`` with the export's zone as the column's zone (the
  instants are stored as UTC milliseconds, as Parquet always does; a reader shows them
  in that zone);
- booleans: booleans.

The column names are the headers in ``options.lang``. ``time_format``, ``bom`` and the
formula guard are about text files and do not apply: a Parquet cell is typed, never a
formula. Rows go out in row groups of ``CHUNK_ROWS``, so progress and cancel work
between them; the file is written whole or not at all (``atomic_output``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sparkdesk.catalogue import TEXT_KINDS, ExportType
from sparkdesk.files import atomic_output
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress

from ._table import check_columns, resolve_type
from .cells import WriteOptions, text_array, utc_millis

CHUNK_ROWS = 100_000  # one row group each
PathArg = str | os.PathLike[str]


def parquet_schema(export_type: ExportType | str, options: WriteOptions) -> pa.Schema:
    """The file's schema: a field per catalogue column, named by its header in ``options.lang``."""
    etype = resolve_type(export_type)
    return pa.schema(
        [pa.field(c.header(options.lang), arrow_type(c.kind, options.tz)) for c in etype.columns]
    )


def arrow_type(kind: str, tz: str) -> pa.DataType:
    """The Parquet (arrow) type of a column kind."""
    if kind in TEXT_KINDS:
        return pa.string()
    types = {
        "timestamp": pa.timestamp("ms", tz=tz),
        "duration": pa.float64(),
        "percent": pa.float64(),
        "count": pa.int64(),
        "score": pa.int64(),
        "bool": pa.bool_(),
    }
    if kind not in types:
        raise ValueError(f"unknown column kind {kind!r}")
    return types[kind]


def typed_array(series: pd.Series, kind: str, tz: str) -> pa.Array:
    """One column of a computed export as a typed arrow array, missing values null."""
    if kind in TEXT_KINDS:
        return text_array(series).cast(pa.string())
    if kind == "timestamp":
        millis, missing = utc_millis(series)
        return pa.array(millis, type=pa.timestamp("ms", tz=tz), mask=missing)
    missing = np.asarray(series.isna(), dtype=bool)
    if kind == "duration":
        millis = series.to_numpy(dtype=np.int64, na_value=0)
        return pa.array(millis / 1000.0, type=pa.float64(), mask=missing)
    if kind == "percent":
        return pa.array(series.to_numpy(dtype=np.float64, na_value=0.0), type=pa.float64(), mask=missing)
    if kind in ("count", "score"):
        return pa.array(series.to_numpy(dtype=np.int64, na_value=0), type=pa.int64(), mask=missing)
    if kind == "bool":
        return pa.array(series.to_numpy(dtype=bool, na_value=False), type=pa.bool_(), mask=missing)
    raise ValueError(f"unknown column kind {kind!r}")


def arrow_table(table: pd.DataFrame, export_type: ExportType | str, options: WriteOptions) -> pa.Table:
    """The export (or a slice of its rows) as an arrow table of ``parquet_schema``."""
    etype = resolve_type(export_type)
    arrays = [typed_array(table[c.key], c.kind, options.tz) for c in etype.columns]
    return pa.Table.from_arrays(arrays, schema=parquet_schema(etype, options))


def write_parquet(
    table: pd.DataFrame,
    export_type: ExportType | str,
    path: PathArg,
    options: WriteOptions,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Write ``table`` (columns = the export's keys) as a Parquet file at ``path``.

    Raises ``Cancelled`` (leaving any existing file at ``path`` untouched) when cancelled.
    """
    etype = resolve_type(export_type)
    check_columns(table, etype)
    chunks = (table.iloc[start : start + CHUNK_ROWS] for start in range(0, max(len(table), 1), CHUNK_ROWS))
    write_parquet_chunks(chunks, len(table), etype, path, options, progress, cancel)


def write_parquet_chunks(
    chunks: Iterable[pd.DataFrame],
    total: int,
    export_type: ExportType | str,
    path: PathArg,
    options: WriteOptions,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Write the rows of ``chunks`` (``total`` of them, in order), one row group per chunk,
    never holding more than a chunk. Chunks of ``CHUNK_ROWS`` rows (the last one fewer, an
    empty table one empty chunk) give the very bytes of ``write_parquet``."""
    etype = resolve_type(export_type)
    prog = as_progress(progress, cancel)
    start = 0
    with atomic_output(path) as out:
        with pq.ParquetWriter(out, parquet_schema(etype, options)) as writer:
            for chunk in chunks:
                check_columns(chunk, etype)
                prog.step(start / max(total, 1), f"Writing {etype.id} Parquet: row {start:,} of {total:,}")
                writer.write_table(arrow_table(chunk, etype, options))
                start += len(chunk)
    prog.step(1.0, f"Wrote {etype.id} Parquet: {start:,} rows", force=True)
