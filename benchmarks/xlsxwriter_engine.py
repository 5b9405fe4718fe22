"""XlsxWriter as an XLSX engine: a measured peer of SparkDesk's engines, not shipped with it.

XlsxWriter (pure Python, one call per cell) is not a dependency of SparkDesk. This engine
follows the engine contract (``sparkdesk.writers.xlsx_engine``) and is registered by whoever
wants it: ``benchmarks/xlsx_engines.py`` (``--engines xlsxwriter``) and the writer tests
(``tests/test_writers_fixtures.py``), each when XlsxWriter is installed::

    from sparkdesk.writers import xlsx
    xlsx.ENGINES[NAME] = (MODULE, XlsxWriterEngine)

It writes in ``constant_memory`` mode, row by row in order (pandas' ``to_excel`` writes
column by column, which that mode silently drops: ``shared/notes/performance.md``).
XlsxWriter escapes control characters itself (``_xHHHH_``), though not an escape-like
text that overlaps another (``_x0041_x0042_``), which rust_xlsxwriter and openpyxl's
engine do.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from sparkdesk.writers.cells import TEXT_KINDS
from sparkdesk.writers.xlsx_engine import NUMBER_FORMATS, Chunk, Finishing, SheetLayout, python_values

NAME = "xlsxwriter"
MODULE = "xlsxwriter"
"""The engine's name, and the module it needs (``xlsx.ENGINES`` entries are name -> (module, factory))."""


class XlsxWriterEngine:
    """XlsxWriter, constant-memory mode, cells written in row order with explicit types."""

    name = "xlsxwriter"
    rows_share = 0.95

    def __init__(self) -> None:
        import xlsxwriter

        self._lib = xlsxwriter
        self._sheets: list[tuple[SheetLayout, Iterable[Chunk]]] = []
        self._wb: Any = None

    def add_sheet(self, layout: SheetLayout, chunks: Iterable[Chunk]) -> None:
        self._sheets.append((layout, chunks))

    def save(self, out: BinaryIO, finishing: Finishing | None = None) -> None:
        wb = self._wb = self._lib.Workbook(
            out,
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        bold = wb.add_format({"bold": True})
        formats = {kind: wb.add_format({"num_format": code}) for kind, code in NUMBER_FORMATS.items()}
        for layout, chunks in self._sheets:
            ws = wb.add_worksheet(layout.name)
            for col, width in enumerate(layout.widths):
                ws.set_column(col, col, width)
            ws.freeze_panes(1, 0)
            for col, header in enumerate(layout.headers):
                ws.write_string(0, col, header, bold)
            writers = [(col, _writer(ws, kind), formats.get(kind)) for col, kind in enumerate(layout.kinds)]
            row = 1
            for chunk in chunks:
                for values in zip(*(python_values(cells) for cells in chunk), strict=True):
                    for (col, write, fmt), value in zip(writers, values, strict=True):
                        if value is not None:
                            write(row, col, value, fmt)
                    row += 1
            ws.autofilter(0, 0, row - 1, len(layout.headers) - 1)
        wb.close()

    def discard(self) -> None:
        """Close and delete the sheets' temporary row files; mark the book closed (no destructor noise)."""
        wb, self._wb = self._wb, None
        if wb is None:
            return
        for ws in wb.worksheets():
            for action in (
                getattr(ws.row_data_fh, "close", None),
                lambda ws=ws: ws.row_data_filename and os.unlink(ws.row_data_filename),
            ):
                try:
                    if action is not None:
                        action()
                except Exception:  # noqa: BLE001 - best effort cleanup after the real error
                    pass
        wb.fileclosed = True


def _writer(ws: Any, kind: str) -> Callable[..., Any]:
    if kind in TEXT_KINDS:
        return ws.write_string  # never write(): that turns "=..." into a formula
    if kind == "timestamp":
        # a serial, shown by the column's date format; text for a local time before 1900-03-01
        return lambda row, col, value, fmt: (
            ws.write_string(row, col, value, fmt)
            if isinstance(value, str)
            else ws.write_number(row, col, value, fmt)
        )
    if kind == "bool":
        return ws.write_boolean
    return ws.write_number
