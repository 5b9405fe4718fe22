"""XLSX writer: typed cells a spreadsheet can compute with, one or more tables per workbook.

What goes in the cells, and why:

- timestamps are real date-time cells holding the *local* wall-clock time in ``tz``
  (Excel has no time zones), truncated to the second like the CSV, shown as
  ``yyyy-mm-dd hh:mm:ss`` (Excel would round a fraction when displaying seconds,
  so keeping milliseconds could show a different second than the CSV);
- durations are numbers of seconds (``ms / 1000``, the nearest double to the exact
  3-decimal value) shown ``0.000``; percentages numbers shown ``0.00``; counts and
  scores integers; booleans real booleans;
- ids and every text are string cells, never numbers and never formulas (a text
  starting with ``=`` is typed as a string explicitly); no formula-guard apostrophe,
  since a string cell is never evaluated;
- control characters XLSX cannot hold (all below U+0020 but TAB, LF, CR) are removed,
  and a text is cut at 32,767 characters, Excel's limit for one cell.

The header row is bold and frozen, with an autofilter over it. A table longer than
``max_rows_per_sheet`` continues on sheets named ``<name> (2)``, ``<name> (3)``, ... each
with the header repeated.

The engine that produces the file is behind a small interface (``XlsxEngine``), so the
openpyxl engine (write-only mode: correct, but about 2,000 rows/s at 38 columns) can be
replaced by a faster one without touching the cell rules here.
"""

from __future__ import annotations

import io
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.catalogue import ExportType
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress

from ._atomic import atomic_output
from .cells import (
    TEXT_KINDS,
    WriteOptions,
    byte_lut,
    format_column,
    local_millis,
    rows_with_bytes,
    text_array,
)
from .csv import check_columns, resolve_type

EXCEL_MAX_ROWS = 1_048_576  # including the header row
MAX_DATA_ROWS = EXCEL_MAX_ROWS - 1
SHEET_NAME_MAX = 31
CELL_TEXT_MAX = 32_767
CHUNK_ROWS = 5_000
WIDTH_SAMPLE_ROWS = 1_000
WIDTH_MIN, WIDTH_MAX = 8.0, 60.0

NUMBER_FORMATS = {
    "timestamp": "yyyy-mm-dd hh:mm:ss",
    "duration": "0.000",
    "percent": "0.00",
}

_ILLEGAL_CONTROL = byte_lut("".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r"))
_ILLEGAL_CONTROL_RE = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]"
_FORBIDDEN_IN_SHEET_NAMES = str.maketrans({c: "_" for c in "[]:*?/\\"})

PathArg = str | os.PathLike[str]
SheetTable = tuple[str, pd.DataFrame, ExportType | str]


@dataclass(frozen=True)
class SheetLayout:
    """Everything an engine needs to start a sheet, before its first row."""

    name: str
    headers: list[str]
    kinds: list[str]
    widths: list[float]


class SheetSink(Protocol):
    def write_rows(self, columns: Sequence[list[object]]) -> None:
        """Append rows given column by column (Python values, ``None`` for empty)."""

    def finish(self) -> None:
        """No more rows: set the autofilter and whatever needs the row count."""


class XlsxEngine(Protocol):
    def add_sheet(self, layout: SheetLayout) -> SheetSink: ...

    def save(self, out: BinaryIO) -> None: ...

    def discard(self) -> None:
        """Drop everything after a failure or cancel (temporary files included)."""


# --- public entry point -------------------------------------------------------------------


def write_xlsx(
    tables: Sequence[SheetTable],
    path: PathArg,
    options: WriteOptions,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
    max_rows_per_sheet: int = MAX_DATA_ROWS,
    engine_factory: Callable[[], XlsxEngine] | None = None,
) -> None:
    """Write ``(sheet_name, table, export_type)`` triples as one workbook at ``path``.

    Written whole or not at all; ``'-'`` writes the workbook to standard output.
    Raises ``Cancelled`` (leaving any existing file untouched) when cancelled.
    """
    if not 1 <= max_rows_per_sheet <= MAX_DATA_ROWS:
        raise ValueError(f"max_rows_per_sheet must be between 1 and {MAX_DATA_ROWS:,}")
    resolved = [(name, table, resolve_type(etype)) for name, table, etype in tables]
    for _, table, etype in resolved:
        check_columns(table, etype)
    prog = as_progress(progress, cancel)
    engine = (engine_factory or default_engine)()
    try:
        _fill(engine, resolved, options, prog, max_rows_per_sheet)
        _save(engine, path)
    except BaseException:
        engine.discard()
        raise
    prog.step(1.0, "Wrote XLSX", force=True)


def _save(engine: XlsxEngine, path: PathArg) -> None:
    if os.fspath(path) == "-":
        buffer = io.BytesIO()  # a zip is finished at its end: build it, then send it
        engine.save(buffer)
        sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.buffer.flush()
        return
    with atomic_output(path) as out:
        engine.save(out)


def _fill(
    engine: XlsxEngine,
    tables: list[tuple[str, pd.DataFrame, ExportType]],
    options: WriteOptions,
    prog: Progress,
    max_rows: int,
) -> None:
    total = sum(len(t) for _, t, _ in tables) or 1
    taken: set[str] = set()
    done = 0
    for name, table, etype in tables:
        sub = prog.sub(done / total, (done + len(table)) / total)
        _write_table(engine, name, table, etype, options, sub, max_rows, taken)
        done += len(table)


def _write_table(
    engine: XlsxEngine,
    name: str,
    table: pd.DataFrame,
    etype: ExportType,
    options: WriteOptions,
    prog: Progress,
    max_rows: int,
    taken: set[str],
) -> None:
    headers = etype.headers(options.lang)
    kinds = [c.kind for c in etype.columns]
    widths = column_widths(table, etype, options)
    total = len(table)
    for part in range(max(1, math.ceil(total / max_rows))):
        title = unique_sheet_name(name if part == 0 else f"{name} ({part + 1})", taken, suffix_of=name)
        sheet = engine.add_sheet(SheetLayout(title, headers, kinds, widths))
        for start in range(part * max_rows, min(total, (part + 1) * max_rows), CHUNK_ROWS):
            prog.step(start / max(total, 1), f"Writing {etype.id} XLSX: row {start:,} of {total:,}")
            stop = min(start + CHUNK_ROWS, (part + 1) * max_rows, total)
            chunk = table.iloc[start:stop]
            sheet.write_rows([cell_values(chunk[c.key], c.kind, options) for c in etype.columns])
        sheet.finish()


# --- sheet names --------------------------------------------------------------------------


def unique_sheet_name(name: str, taken: set[str], suffix_of: str | None = None) -> str:
    """A legal, unused sheet name: forbidden characters replaced, at most 31 characters.

    A name made as ``<base> (n)`` keeps its suffix when cut (the base is cut instead),
    and a clash (Excel compares names ignoring case) gets ``(2)``, ``(3)``, ...
    """
    clean = name.translate(_FORBIDDEN_IN_SHEET_NAMES).strip().strip("'") or "Sheet"
    candidate = _fit(clean, suffix_of.translate(_FORBIDDEN_IN_SHEET_NAMES) if suffix_of else None)
    n = 2
    while candidate.casefold() in taken:
        candidate = _fit(f"{clean} ({n})", clean)
        n += 1
    taken.add(candidate.casefold())
    return candidate


def _fit(name: str, base: str | None) -> str:
    if len(name) <= SHEET_NAME_MAX:
        return name
    if base and name.startswith(base) and len(name) > len(base):
        suffix = name[len(base) :]
        return base[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
    return name[:SHEET_NAME_MAX]


# --- cell values --------------------------------------------------------------------------


def cell_values(series: pd.Series, kind: str, options: WriteOptions) -> list[object]:
    """The Python values of a column slice for XLSX cells, ``None`` where empty."""
    if kind in TEXT_KINDS:
        return _text_values(series)
    if kind == "timestamp":
        local, _, missing = local_millis(series, options.tz)
        stamps = np.floor_divide(local, 1000).astype("datetime64[s]").astype(object)
        return _with_none(stamps, missing)
    missing = np.asarray(series.isna(), dtype=bool)
    if kind == "duration":
        return _with_none(series.to_numpy(dtype=np.int64, na_value=0) / 1000, missing)
    if kind in ("count", "score"):
        return _with_none(series.to_numpy(dtype=np.int64, na_value=0), missing)
    if kind == "percent":
        return _with_none(series.to_numpy(dtype=np.float64, na_value=0.0), missing)
    if kind == "bool":
        return _with_none(series.to_numpy(dtype=bool, na_value=False), missing)
    raise ValueError(f"unknown column kind {kind!r}")


def _with_none(values: np.ndarray, missing: np.ndarray) -> list[object]:
    result = values.tolist()
    for i in np.flatnonzero(missing).tolist():
        result[i] = None
    return result


def _text_values(series: pd.Series) -> list[object]:
    arr = text_array(series).fill_null("")
    bad = rows_with_bytes(arr, _ILLEGAL_CONTROL)
    if bad.any():
        arr = pc.replace_substring_regex(arr, _ILLEGAL_CONTROL_RE, "")
    if len(arr) and pc.max(pc.utf8_length(arr)).as_py() > CELL_TEXT_MAX:
        arr = pc.utf8_slice_codeunits(arr, 0, CELL_TEXT_MAX)
    # Empty text is an empty cell, not a zero-length string cell.
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr).to_pylist()


def column_widths(table: pd.DataFrame, etype: ExportType, options: WriteOptions) -> list[float]:
    """Widths from the header and the first rows' text, between 8 and 60 characters."""
    sample = table.iloc[:WIDTH_SAMPLE_ROWS]
    widths = []
    for column, header in zip(etype.columns, etype.headers(options.lang), strict=True):
        longest = len(header)
        if len(sample):
            text = format_column(sample[column.key], column.kind, options, guard=False)
            longest = max(longest, int(text.str.len().max()))
        widths.append(min(max(longest + 2.0, WIDTH_MIN), WIDTH_MAX))
    return widths


# --- the openpyxl engine ------------------------------------------------------------------


class OpenpyxlEngine:
    """openpyxl in write-only mode: rows stream to a temporary file per sheet."""

    def __init__(self) -> None:
        from openpyxl import Workbook

        self._wb = Workbook(write_only=True)

    def add_sheet(self, layout: SheetLayout) -> SheetSink:
        return _OpenpyxlSheet(self._wb.create_sheet(layout.name), layout)

    def save(self, out: BinaryIO) -> None:
        self._wb.save(out)

    def discard(self) -> None:
        """Close every sheet's stream and delete its temporary file (openpyxl keeps them)."""
        for ws in self._wb.worksheets:
            _discard_sheet(ws)


def _discard_sheet(ws: object) -> None:
    rows = getattr(ws, "_rows", None)
    writer = getattr(ws, "_writer", None)
    for action in (
        getattr(rows, "close", None),
        getattr(writer, "close", None),
        getattr(writer, "cleanup", None),
    ):
        if action is None:
            continue
        try:
            action()
        except Exception:  # noqa: BLE001 - best effort cleanup after the real error
            pass


class _OpenpyxlSheet:
    def __init__(self, ws: object, layout: SheetLayout) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._ws = ws
        self._layout = layout
        self._rows = 0
        self._new_cell = lambda: WriteOnlyCell(ws)
        self._last_col = get_column_letter(len(layout.headers))
        for i, width in enumerate(layout.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        bold = Font(bold=True)
        ws.append([self._string_cell(h, font=bold) for h in layout.headers])
        self._styled = [
            (i, self._styled_cell(NUMBER_FORMATS[k]))
            for i, k in enumerate(layout.kinds)
            if k in NUMBER_FORMATS
        ]
        self._text = [i for i, k in enumerate(layout.kinds) if k in TEXT_KINDS]

    def _string_cell(self, text: str, font: object = None) -> object:
        """A cell that stays a string even when the text starts with ``=``."""
        cell = self._new_cell()
        cell.value = text
        cell.data_type = "s"
        if font is not None:
            cell.font = font
        return cell

    def _styled_cell(self, number_format: str) -> object:
        cell = self._new_cell()
        cell.number_format = number_format
        return cell

    def write_rows(self, columns: Sequence[list[object]]) -> None:
        for i in self._text:
            columns[i][:] = [self._string_cell(v) if v and v[0] == "=" else v for v in columns[i]]
        append = self._ws.append
        styled = self._styled
        for values in zip(*columns, strict=True):
            row = list(values)
            # One reusable styled cell per column: openpyxl writes each row as it is appended.
            for i, cell in styled:
                if row[i] is not None:
                    cell.value = row[i]
                    row[i] = cell
            append(row)
        self._rows += len(columns[0]) if columns else 0

    def finish(self) -> None:
        self._ws.auto_filter.ref = f"A1:{self._last_col}{self._rows + 1}"


default_engine: Callable[[], XlsxEngine] = OpenpyxlEngine
