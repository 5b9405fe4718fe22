"""The XLSX engine contract: what ``xlsx`` hands an engine, and what an engine must do.

``xlsx`` applies the cell rules (``xlsx.cell_array``) and plans the sheets; an engine only
lays the cells out as a file. Each sheet arrives as a ``SheetLayout`` and a lazy iterator
of ``Chunk`` s, pulled by the engine while it saves (making a chunk reports progress and
may raise ``Cancelled``). The engines: ``xlsx.OpenpyxlEngine`` (the fallback) and
``xlsx_fast.RustpyEngine`` (the default when installed); ``benchmarks/xlsxwriter_engine.py``
holds a measured peer. This module imports no engine, so each imports it, and
``xlsx`` -> ``xlsx_fast`` -> ``xlsx_engine`` has no cycle.

The cells of a chunk, one arrow array per column, by column kind (``arrow_type``):

- text kinds: ``large_string``, null for an empty cell; the real text, which an engine
  writes as OOXML says (``_xHHHH_`` escapes, see ``xlsx.ooxml_escape``) unless its
  library does so itself;
- timestamps: ``float64`` Excel serials of the local time, shown by the column's date
  format; in a sheet whose layout says ``early_timestamps``, a chunk's timestamp column
  may instead be a dense union of those serials and text (the CSV's text of a local
  time before 1900-03-01), a string cell;
- durations and percentages ``float64``, counts and scores ``int64``, booleans ``bool``.

Every number cell carries the display format of its kind (``NUMBER_FORMATS``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import numpy as np
import pyarrow as pa

from .cells import TEXT_KINDS

NUMBER_FORMATS = {
    "timestamp": "yyyy-mm-dd hh:mm:ss",
    "duration": "0.000",
    "percent": "0.00",
    "count": "0",
    "score": "0",
}
"""The display format of every cell of a column kind, in every engine and every sheet
(``exports.md``, "Cell formats"). Text kinds and booleans keep General."""

_ARROW_TYPES = {
    "timestamp": pa.float64(),  # Excel serials (a dense union with text before 1900-03-01)
    "duration": pa.float64(),
    "percent": pa.float64(),
    "count": pa.int64(),
    "score": pa.int64(),
    "bool": pa.bool_(),
}

Chunk = Sequence[pa.Array]
"""Consecutive rows of a sheet: one typed arrow array per column (see the module docstring)."""


def arrow_type(kind: str) -> pa.DataType:
    """The arrow type of a column kind's cells (a timestamp before 1900-03-01 aside)."""
    return pa.large_string() if kind in TEXT_KINDS else _ARROW_TYPES[kind]


@dataclass(frozen=True)
class SheetLayout:
    """Everything an engine needs to start a sheet, before its first row."""

    name: str
    headers: list[str]
    kinds: list[str]
    widths: list[float]
    early_timestamps: bool = False
    """Some timestamp cell is a local time before 1900-03-01, so a timestamp column's chunk may
    be a dense union of float64 serials and text (``python_values`` reads both)."""


Finishing = Callable[[float], None]
"""Called by an engine, about ten times a second, while it finishes a workbook after the
last row (compressing it): the argument is its estimate of how much of that is done
(0..1). It raises ``Cancelled`` when the user cancels."""


class XlsxEngine(Protocol):
    rows_share: float
    """About how much of a save goes on the rows (the rest is finishing): for progress."""

    def add_sheet(self, layout: SheetLayout, chunks: Iterable[Chunk]) -> None:
        """Append a sheet; its rows are pulled from ``chunks``, in order, during ``save``.

        Pulling a chunk may raise (``Cancelled``): the engine lets it propagate.
        """

    def save(self, out: BinaryIO, finishing: Finishing | None = None) -> None:
        """Write the whole workbook to ``out``."""

    def discard(self) -> None:
        """Drop everything after a failure or cancel (temporary files included)."""


def python_values(cells: pa.Array) -> list[object]:
    """A chunk's column as Python values (``int``, ``float``, ``bool``, ``str``, ``None``);
    a timestamp column's serials are floats, its text (before 1900-03-01) strings."""
    kind = cells.type
    if pa.types.is_large_string(kind) or pa.types.is_string(kind) or pa.types.is_union(kind):
        return cells.to_pylist()
    values = (
        cells.fill_null(False if pa.types.is_boolean(kind) else 0).to_numpy(zero_copy_only=False).tolist()
    )
    if cells.null_count:
        for i in np.flatnonzero(cells.is_null().to_numpy(zero_copy_only=False)).tolist():
            values[i] = None
    return values
