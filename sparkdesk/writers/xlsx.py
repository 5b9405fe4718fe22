"""XLSX writer: typed cells a spreadsheet can compute with, one or more tables per workbook.

What goes in the cells, and why:

- timestamps are real date-time cells holding the *local* wall-clock time in ``tz``
  (Excel has no time zones), truncated to the second like the CSV, shown as
  ``yyyy-mm-dd hh:mm:ss`` (Excel would round a fraction when displaying seconds,
  so keeping milliseconds could show a different second than the CSV). The cell is
  the Excel serial number (days since 1899-12-30, the time as a fraction of a day,
  one day less before 1900-03-01 where Excel counts a 1900-02-29 that never was),
  computed here for every engine (``excel_serials``), so no library's own date
  arithmetic is trusted with times before 1970. A local time before 1900-03-01 is a
  string cell holding the CSV's text instead (local ``YYYY-MM-DD HH:MM:SS``, or the iso
  form with ``time_format="iso"``): nothing is lost, though that cell is not a date to
  Excel. Excel's dates cannot hold a time before 1900-01-01, and the serials of
  1900-01-01 to 1900-02-28 are read a day apart by Excel (1 is 1900-01-01) and by
  LibreOffice or Google Sheets (1 is 1899-12-31, no 1900-02-29): from 1900-03-01 on
  every reader shows the same date-time;
- durations are numbers of seconds (``ms / 1000``, the nearest double to the exact
  3-decimal value) shown ``0.000``; percentages numbers shown ``0.00``; counts and
  scores integral numbers shown ``0``; booleans real booleans (a spreadsheet shows
  them ``TRUE``/``FALSE``). Every number cell carries the display format of its column
  (``NUMBER_FORMATS``), so it shows what the CSV writes, not General's shortest form
  (``2801.88`` for ``2801.880``);
- ids and every text are string cells, never numbers and never formulas (a text
  starting with ``=`` is typed as a string explicitly); no formula-guard apostrophe,
  since a string cell is never evaluated;
- a text is cut at 32,767 characters, Excel's limit for one cell, and otherwise kept
  whole: the characters XML cannot hold or would change (U+0000-U+001F but TAB and LF,
  so CR too, which XML reads back as LF; U+FFFE, U+FFFF) are written as OOXML escapes
  ``_xHHHH_``, and a text that looks like one (``_x0041_``) gets its ``_`` escaped
  (``_x005F_x0041_``), as Excel does, so Excel reads back the very text (``ooxml_escape``;
  rust_xlsxwriter escapes the same way by itself).

The header row is bold and frozen, with an autofilter over it. A table longer than
``max_rows_per_sheet`` continues on sheets named ``<name> (2)``, ``<name> (3)``, ... each
with the header repeated.

Engines. The cell rules are applied here, column at a time, into typed arrow arrays
(``cell_array``); the engine that lays them out as a file is behind a small interface
(``XlsxEngine``, in ``xlsx_engine`` with the rest of the contract). A sheet is handed
to the engine as its layout plus a lazy iterator of row chunks, which the engine pulls
while it saves: progress is reported and cancel checked as each chunk is made, so every
engine, even one that writes a whole workbook in one call, can be cancelled between
chunks. ``default_engine`` is the fastest one
installed: rustpy-xlsxwriter (``xlsx_fast``, Rust, reads the arrow chunks directly)
when importable, else openpyxl write-only. ``benchmarks/xlsx_engines.py`` measures them.
"""

from __future__ import annotations

import importlib
import io
import math
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.catalogue import ExportType
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress

from ._atomic import atomic_output
from ._table import check_columns, resolve_type
from .cells import (
    TEXT_KINDS,
    WriteOptions,
    format_arrow,
    format_column,
    local_millis,
    rewrite_where,
    string_buffers,
    text_array,
    utc_millis,
)
from .xlsx_engine import NUMBER_FORMATS, Chunk, Finishing, SheetLayout, XlsxEngine, python_values

EXCEL_MAX_ROWS = 1_048_576  # including the header row
MAX_DATA_ROWS = EXCEL_MAX_ROWS - 1
SHEET_NAME_MAX = 31
CELL_TEXT_MAX = 32_767
CHUNK_ROWS = 5_000
WIDTH_SAMPLE_ROWS = 1_000
WIDTH_MIN, WIDTH_MAX = 8.0, 60.0

_OOXML_ESCAPED = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_OOXML_LOOKALIKE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_OOXML_CELLS_RE2 = r"[\x00-\x08\x0b-\x1f\x{FFFE}\x{FFFF}]|_x[0-9A-Fa-f]{4}_"  # the cells to rewrite
_FORBIDDEN_IN_SHEET_NAMES = str.maketrans({c: "_" for c in "[]:*?/\\"})

PathArg = str | os.PathLike[str]
SheetTable = tuple[str, pd.DataFrame, ExportType | str]
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
    ``engine_factory`` defaults to ``default_engine``.
    """
    if not 1 <= max_rows_per_sheet <= MAX_DATA_ROWS:
        raise ValueError(f"max_rows_per_sheet must be between 1 and {MAX_DATA_ROWS:,}")
    resolved = [(name, table, resolve_type(etype)) for name, table, etype in tables]
    for _, table, etype in resolved:
        check_columns(table, etype)

    def plan(engine: XlsxEngine, prog: Progress) -> None:
        _plan(engine, resolved, options, prog, max_rows_per_sheet)

    _write_workbook(plan, path, as_progress(progress, cancel), engine_factory)


def write_xlsx_chunks(
    name: str,
    chunks: Iterable[pd.DataFrame],
    total: int,
    export_type: ExportType | str,
    path: PathArg,
    options: WriteOptions,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
    max_rows_per_sheet: int = MAX_DATA_ROWS,
    engine_factory: Callable[[], XlsxEngine] | None = None,
) -> None:
    """One export as a workbook (sheet ``name``, continued on ``name (2)``...), from its
    ``total`` rows in order, chunk after chunk: the engine pulls them as it writes, so no
    more than a chunk or two is held (the engines stream rows to disk). The cells of
    ``write_xlsx`` of the chunks put together.

    A sheet's layout is fixed before its first row: the widths come from the first rows,
    and the rows must hold no local time before 1900-03-01 (such a sheet is laid out
    otherwise, ``early_timestamps``): ValueError when one comes, so the caller checks first.
    """
    if not 1 <= max_rows_per_sheet <= MAX_DATA_ROWS:
        raise ValueError(f"max_rows_per_sheet must be between 1 and {MAX_DATA_ROWS:,}")
    etype = resolve_type(export_type)
    rows = _RowStream(chunks, etype, options)

    def plan(engine: XlsxEngine, prog: Progress) -> None:
        headers, kinds = etype.headers(options.lang), [c.kind for c in etype.columns]
        widths = column_widths(rows.head(WIDTH_SAMPLE_ROWS), etype, options)
        taken: set[str] = set()
        for part in range(max(1, math.ceil(total / max_rows_per_sheet))):
            title = unique_sheet_name(name if part == 0 else f"{name} ({part + 1})", taken, suffix_of=name)
            lo, hi = part * max_rows_per_sheet, min(total, (part + 1) * max_rows_per_sheet)
            layout = SheetLayout(title, headers, kinds, widths, early_timestamps=False)
            engine.add_sheet(layout, rows.chunks(prog, lo, hi, total))

    _write_workbook(plan, path, as_progress(progress, cancel), engine_factory)


def _write_workbook(
    plan: Callable[[XlsxEngine, Progress], None],
    path: PathArg,
    prog: Progress,
    engine_factory: Callable[[], XlsxEngine] | None,
) -> None:
    """Give a fresh engine its sheets (``plan``) and save the workbook, whole or not at all."""
    engine = (engine_factory or default_engine)()
    share = min(max(float(getattr(engine, "rows_share", 1.0)), 0.0), 1.0)

    def finishing(fraction: float) -> None:
        prog.step(share + (1.0 - share) * fraction, "Finishing the XLSX file")

    try:
        plan(engine, prog.sub(0.0, share))
        _save(engine, path, finishing)
    except BaseException:
        engine.discard()
        raise
    prog.step(1.0, "Wrote XLSX", force=True)


class _RowStream:
    """Rows that arrive as frames, handed out in order as the sheets' typed chunks."""

    def __init__(self, frames: Iterable[pd.DataFrame], etype: ExportType, options: WriteOptions) -> None:
        self._frames = iter(frames)
        self._etype, self._options = etype, options
        self._held: list[pd.DataFrame] = []
        self._position = 0  # rows handed out so far

    def head(self, n: int) -> pd.DataFrame:
        """The first ``n`` rows (or all), left in place."""
        return self._fill(n).iloc[:n]

    def chunks(self, prog: Progress, lo: int, hi: int, total: int) -> Iterator[list[pa.Array]]:
        """Rows ``lo:hi`` as typed chunks, like ``_chunks`` of a whole table. The engine
        pulls the sheets in order; a pull out of order raises rather than misplace rows."""
        for start in range(lo, hi, CHUNK_ROWS):
            if start != self._position:
                raise RuntimeError(f"the XLSX engine asked for row {start:,} after row {self._position:,}")
            prog.step(start / max(total, 1), f"Writing {self._etype.id} XLSX: row {start:,} of {total:,}")
            chunk = self._take(min(start + CHUNK_ROWS, hi) - start)
            check_columns(chunk, self._etype)
            if early_timestamps(chunk, self._etype, self._options):
                raise ValueError("a streamed sheet holds a local time before 1900-03-01")
            yield [cell_array(chunk[c.key], c.kind, self._options) for c in self._etype.columns]

    def _fill(self, n: int) -> pd.DataFrame:
        while sum(len(f) for f in self._held) < n and (frame := next(self._frames, None)) is not None:
            self._held.append(frame)
        held = pd.concat(self._held, ignore_index=True) if len(self._held) > 1 else None
        if held is not None:
            self._held = [held]
        return self._held[0] if self._held else pd.DataFrame(columns=self._etype.keys)

    def _take(self, n: int) -> pd.DataFrame:
        held = self._fill(n)
        self._held = [held.iloc[n:].reset_index(drop=True)] if len(held) > n else []
        self._position += n
        return held.iloc[:n]


def _save(engine: XlsxEngine, path: PathArg, finishing: Finishing) -> None:
    if os.fspath(path) == "-":
        buffer = io.BytesIO()  # a zip is finished at its end: build it, then send it
        engine.save(buffer, finishing)
        finishing(1.0)
        sys.stdout.buffer.write(buffer.getvalue())
        sys.stdout.buffer.flush()
        return
    with atomic_output(path) as out:
        engine.save(out, finishing)
        finishing(1.0)  # a cancel that came while the engine finished still wins: no file


def _plan(
    engine: XlsxEngine,
    tables: list[tuple[str, pd.DataFrame, ExportType]],
    options: WriteOptions,
    prog: Progress,
    max_rows: int,
) -> None:
    """Give the engine every sheet, each with the lazy chunks of its rows."""
    total = sum(len(t) for _, t, _ in tables) or 1
    taken: set[str] = set()
    done = 0
    for name, table, etype in tables:
        sub = prog.sub(done / total, (done + len(table)) / total)
        headers = etype.headers(options.lang)
        kinds = [c.kind for c in etype.columns]
        widths = column_widths(table, etype, options)
        rows = len(table)
        for part in range(max(1, math.ceil(rows / max_rows))):
            title = unique_sheet_name(name if part == 0 else f"{name} ({part + 1})", taken, suffix_of=name)
            lo, hi = part * max_rows, min(rows, (part + 1) * max_rows)
            early = early_timestamps(table.iloc[lo:hi], etype, options)
            engine.add_sheet(
                SheetLayout(title, headers, kinds, widths, early), _chunks(table, etype, options, sub, lo, hi)
            )
        done += rows


def _chunks(
    table: pd.DataFrame, etype: ExportType, options: WriteOptions, prog: Progress, lo: int, hi: int
) -> Iterator[list[pa.Array]]:
    """Rows ``lo:hi`` of ``table`` as typed chunks, reporting progress (and cancel) before each."""
    total = max(len(table), 1)
    for start in range(lo, hi, CHUNK_ROWS):
        prog.step(start / total, f"Writing {etype.id} XLSX: row {start:,} of {len(table):,}")
        chunk = table.iloc[start : min(start + CHUNK_ROWS, hi)]
        yield [cell_array(chunk[c.key], c.kind, options) for c in etype.columns]


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


def cell_array(series: pd.Series, kind: str, options: WriteOptions) -> pa.Array:
    """The cells of a column slice as a typed arrow array, null where the cell is empty.

    Text kinds: ``large_string`` (cleaned, cut, empty text null); timestamps:
    ``float64`` Excel serials of the local wall-clock time (``excel_serials``), or where
    one is before 1900-03-01 a dense union of those and the CSV's text; durations: ``float64`` seconds;
    percentages: ``float64``; counts and scores: ``int64``; booleans: ``bool``.
    """
    if kind in TEXT_KINDS:
        return _text_cells(series)
    if kind == "timestamp":
        return _timestamp_cells(series, options)
    missing = np.asarray(series.isna(), dtype=bool)
    if kind == "duration":
        return pa.array(series.to_numpy(dtype=np.int64, na_value=0) / 1000, mask=missing)
    if kind in ("count", "score"):
        return pa.array(series.to_numpy(dtype=np.int64, na_value=0), mask=missing)
    if kind == "percent":
        return pa.array(series.to_numpy(dtype=np.float64, na_value=0.0), mask=missing)
    if kind == "bool":
        return pa.array(series.to_numpy(dtype=bool, na_value=False), mask=missing)
    raise ValueError(f"unknown column kind {kind!r}")


DAY_MS = 86_400_000
EXCEL_EPOCH_MS = -25_569 * DAY_MS
"""1899-12-30T00:00, Excel's day 0 (counted as if 1900 were a leap year: right from 1900-03-01)."""
EXCEL_MARCH_1900_MS = (61 - 25_569) * DAY_MS
"""1900-03-01T00:00, serial 61: before it Excel's serials are one day less (1900-01-01 is 1)."""
DATES_FROM_MS = EXCEL_MARCH_1900_MS
"""The first local time written as a date-time cell (before it: text, see the module docstring)."""


def excel_serials(local_ms: np.ndarray) -> np.ndarray:
    """Excel serial numbers (1900 date system) of local wall-clock epoch milliseconds.

    Integer arithmetic up to one division, so the double is the nearest to the exact
    value (about 40 microseconds apart at worst in the year 9999): a reader rounding to
    the millisecond gets the exact time back. Excel's serials from 1900-01-01 (1) on,
    though the writer uses them from 1900-03-01 (61) on.
    """
    since_epoch = local_ms - EXCEL_EPOCH_MS
    since_epoch = since_epoch - np.where(local_ms < EXCEL_MARCH_1900_MS, DAY_MS, 0)
    return since_epoch / DAY_MS


def _timestamp_cells(series: pd.Series, options: WriteOptions) -> pa.Array:
    """float64 serials of the local time, truncated to the second; a dense union with the
    CSV's text where the local time is before 1900-03-01 (see ``python_values``)."""
    local, _, missing = local_millis(series, options.tz)
    early = (local < DATES_FROM_MS) & ~missing
    serials = pa.array(excel_serials(np.floor_divide(local, 1000) * 1000), mask=missing | early)
    if not early.any():
        return serials
    text = format_arrow(series[early], "timestamp", options)
    types = early.astype(np.int8)
    offsets = np.where(early, np.cumsum(early) - 1, np.arange(len(early))).astype(np.int32)
    return pa.UnionArray.from_dense(
        pa.array(types), pa.array(offsets), [serials, text], field_names=["serial", "text"]
    )


def early_timestamps(table: pd.DataFrame, etype: ExportType, options: WriteOptions) -> bool:
    """True when a timestamp cell of ``table`` is a local time before 1900-03-01 (a text cell)."""
    for column in etype.columns:
        if column.kind != "timestamp":
            continue
        utc, missing = utc_millis(table[column.key])
        near = ~missing & (utc < DATES_FROM_MS + DAY_MS)  # every zone's offset is under a day
        if near.any():
            local, _, _ = local_millis(table[column.key][near], options.tz)
            if (local < DATES_FROM_MS).any():
                return True
    return False


def _text_cells(series: pd.Series) -> pa.Array:
    arr = text_array(series).fill_null("")
    offsets, _ = string_buffers(arr)
    # A cell of at most 32,767 bytes has at most that many characters: count only if longer.
    if len(arr) and int(np.diff(offsets).max()) > CELL_TEXT_MAX:
        arr = pc.utf8_slice_codeunits(arr, 0, CELL_TEXT_MAX)
    # Empty text is an empty cell, not a zero-length string cell.
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def ooxml_escape(cells: pa.Array) -> pa.Array:
    """Text cells as an OOXML string must hold them, for an engine that does not escape.

    ``_xHHHH_`` stands for U+HHHH (ECMA-376 Part 1, 22.9.2.19): every character XML 1.0
    cannot hold or would not keep (U+0000-U+001F but TAB and LF; U+FFFE, U+FFFF) is
    written so, and the ``_`` of a text that looks like an escape becomes ``_x005F_``,
    overlapping ones too (``_x0041_x0042_`` -> ``_x005F_x0041_x005F_x0042_``). A regular
    expression over the whole array finds the few cells to rewrite; only those go
    through Python.
    """
    found = pc.match_substring_regex(cells, _OOXML_CELLS_RE2).fill_null(False)
    return rewrite_where(cells, found.to_numpy(zero_copy_only=False), _escape_cells)


def _escape_cells(cells: pa.Array) -> pa.Array:
    return pa.array([None if t is None else _escape_text(t) for t in cells.to_pylist()], cells.type)


def _escape_text(text: str) -> str:
    text = _OOXML_LOOKALIKE.sub("_x005F_", text)
    return _OOXML_ESCAPED.sub(lambda m: f"_x{ord(m[0]):04X}_", text)


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
    """openpyxl in write-only mode: rows stream to a temporary file per sheet.

    Pure Python, about 1,500 rows/s at 38 columns: the fallback when no faster engine
    is installed. openpyxl writes text as it is (and refuses control characters), so
    text cells are escaped first (``ooxml_escape``).
    """

    name = "openpyxl"
    rows_share = 0.95

    def __init__(self) -> None:
        from openpyxl import Workbook

        self._wb = Workbook(write_only=True)
        self._sheets: list[tuple[SheetLayout, Iterable[Chunk]]] = []

    def add_sheet(self, layout: SheetLayout, chunks: Iterable[Chunk]) -> None:
        self._sheets.append((layout, chunks))

    def save(self, out: BinaryIO, finishing: Finishing | None = None) -> None:
        for layout, chunks in self._sheets:
            sheet = _OpenpyxlSheet(self._wb.create_sheet(layout.name), layout)
            text = [kind in TEXT_KINDS for kind in layout.kinds]
            for chunk in chunks:
                sheet.write_rows(
                    [python_values(ooxml_escape(c) if t else c) for c, t in zip(chunk, text, strict=True)]
                )
            sheet.finish()
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


# --- choosing an engine -------------------------------------------------------------------


def _rustpy_engine() -> XlsxEngine:
    from .xlsx_fast import RustpyEngine

    return RustpyEngine()


ENGINES: dict[str, tuple[str, Callable[[], XlsxEngine]]] = {
    "rustpy-xlsxwriter": ("rustpy_xlsxwriter", _rustpy_engine),
    "openpyxl": ("openpyxl", OpenpyxlEngine),
}
"""Engine name -> (module it needs, factory), fastest first. A peer measured against them
(``benchmarks/xlsxwriter_engine.py``) is registered here by the benchmark and the tests."""

DEFAULT_ORDER = ("rustpy-xlsxwriter", "openpyxl")
"""The engines ``default_engine`` tries, in order."""


def engine_available(name: str) -> bool:
    """True when the engine's package imports here (a broken install counts as absent)."""
    try:
        importlib.import_module(ENGINES[name][0])
    except ImportError:
        return False
    return True


def available_engines() -> list[str]:
    """The names of the engines that can run here, fastest first."""
    return [name for name in ENGINES if engine_available(name)]


def engine_named(name: str) -> Callable[[], XlsxEngine]:
    """The factory of the engine called ``name`` (a key of ``ENGINES``)."""
    return ENGINES[name][1]


def default_engine_name() -> str:
    return next(name for name in DEFAULT_ORDER if engine_available(name))


def default_engine() -> XlsxEngine:
    """A new engine of the fastest kind installed (rustpy-xlsxwriter, else openpyxl)."""
    return engine_named(default_engine_name())()
