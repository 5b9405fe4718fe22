"""Writers: computed export tables to CSV, XLSX and Parquet files. No Qt here, ever.

``format_column`` is also the preview grid's cell formatter, so the window shows the
same text the CSV will hold. Every file is written whole or not at all (a temporary
file in the destination folder, renamed into place at the end).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from sparkdesk import catalogue
from sparkdesk.catalogue import ExportType
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress

from ._table import resolve_type
from .cells import WriteOptions, format_column
from .csv import CHUNK_ROWS as CSV_CHUNK_ROWS
from .csv import write_csv, write_csv_chunks
from .parquet import CHUNK_ROWS as PARQUET_CHUNK_ROWS
from .parquet import write_parquet, write_parquet_chunks
from .xlsx import CHUNK_ROWS as XLSX_CHUNK_ROWS
from .xlsx import unique_sheet_name, write_xlsx, write_xlsx_chunks

__all__ = [
    "FORMATS",
    "STREAMED_FORMATS",
    "WriteOptions",
    "format_column",
    "format_for",
    "write_all",
    "write_csv",
    "write_export",
    "write_export_chunks",
    "write_parquet",
    "write_xlsx",
]

FORMATS = ("csv", "xlsx", "parquet")
# the file name's extension of each format (and the format of each extension)
EXTENSIONS = {"csv": ".csv", "xlsx": ".xlsx", "parquet": ".parquet"}
PathArg = str | os.PathLike[str]
# The formats written from a stream of row chunks (write_export_chunks), and the chunk size
# that gives the bytes of the whole-table writer (Parquet: one row group per chunk). XLSX
# streams only rows without a local time before 1900-03-01 (``write_xlsx_chunks``).
STREAMED_FORMATS = {"csv": CSV_CHUNK_ROWS, "parquet": PARQUET_CHUNK_ROWS, "xlsx": XLSX_CHUNK_ROWS}


def format_for(path: PathArg, fmt: str | None = None, default: str = "csv") -> str:
    """``fmt`` when given, else from the file name: ``.xlsx`` is XLSX, ``.csv`` CSV,
    ``.parquet`` Parquet, anything else ``default``. The one rule of the command line and
    the window."""
    for f in (fmt, default):
        if f is not None and f not in FORMATS:
            raise ValueError(f"unknown format {f!r} (expected one of {', '.join(map(repr, FORMATS))})")
    if fmt is not None:
        return fmt
    by_extension = {ext: f for f, ext in EXTENSIONS.items()}
    return by_extension.get(Path(os.fspath(path)).suffix.lower(), default)


def write_export(
    table: pd.DataFrame,
    export_type: ExportType | str,
    path: PathArg,
    options: WriteOptions,
    fmt: str | None = None,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Write one export as CSV, XLSX (one sheet, named by the export in ``options.lang``) or
    Parquet."""
    etype = resolve_type(export_type)
    chosen = format_for(path, fmt)
    if chosen == "xlsx":
        write_xlsx([(etype.name(options.lang), table, etype)], path, options, progress, cancel)
    elif chosen == "parquet":
        write_parquet(table, etype, path, options, progress, cancel)
    else:
        write_csv(table, etype, path, options, progress, cancel)


def write_export_chunks(
    chunks: Iterable[pd.DataFrame],
    total: int,
    export_type: ExportType | str,
    path: PathArg,
    options: WriteOptions,
    fmt: str,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Write one export from its rows in order, chunk after chunk, never holding them whole
    (``STREAMED_FORMATS``; chunks of that many rows give the bytes of ``write_export``; XLSX:
    the same cells, and no local time before 1900-03-01). ``total``: the number of rows."""
    etype = resolve_type(export_type)
    if fmt == "xlsx":
        write_xlsx_chunks(etype.name(options.lang), chunks, total, etype, path, options, progress, cancel)
    elif fmt == "parquet":
        write_parquet_chunks(chunks, total, etype, path, options, progress, cancel)
    elif fmt == "csv":
        write_csv_chunks(chunks, total, etype, path, options, progress, cancel)
    else:
        raise ValueError(f"format {fmt!r} is not written from a stream")


def write_all(
    tables: Mapping[str, pd.DataFrame],
    out: PathArg,
    options: WriteOptions,
    fmt: str | None = None,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Write several exports (type id -> table), in catalogue order; returns the files written.

    ``out`` ending in ``.xlsx`` is one workbook with a sheet per export (named by the
    export in the header language, cut to 31 characters, unique). Anything else is a
    folder, created if needed, holding ``<type>.<csv|xlsx|parquet>`` per export; each file is
    whole, but a cancel part-way leaves the files already finished.
    """
    ordered = [(catalogue.export_type(t), tables[t]) for t in catalogue.EXPORT_IDS if t in tables]
    unknown = set(tables) - set(catalogue.EXPORT_IDS)
    if unknown:
        raise KeyError(f"unknown export type(s): {', '.join(sorted(unknown))}")
    prog = as_progress(progress, cancel)
    target = Path(os.fspath(out))
    if target.suffix.lower() == ".xlsx":
        if fmt not in (None, "xlsx"):
            raise ValueError(f"{target.name} is a workbook; format {fmt!r} cannot go in it")
        _workbook(ordered, target, options, prog)
        return [target]
    return _folder(ordered, target, options, format_for("", fmt), prog)


def _workbook(
    ordered: list[tuple[ExportType, pd.DataFrame]], target: Path, options: WriteOptions, prog: Progress
) -> None:
    taken: set[str] = set()
    sheets = [(unique_sheet_name(e.name(options.lang), taken), t, e) for e, t in ordered]
    write_xlsx(sheets, target, options, prog)


def _folder(
    ordered: list[tuple[ExportType, pd.DataFrame]],
    folder: Path,
    options: WriteOptions,
    fmt: str,
    prog: Progress,
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    total = sum(len(t) + 1 for _, t in ordered)  # +1: an empty export still takes a step
    done, written = 0, []
    for etype, table in ordered:
        path = folder / f"{etype.id}.{fmt}"
        sub = prog.sub(done / total, (done + len(table) + 1) / total)
        write_export(table, etype, path, options, fmt, sub)
        written.append(path)
        done += len(table) + 1
    return written
