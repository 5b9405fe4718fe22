"""Item models over pandas tables, for the preview grid and the import report.

``FrameModel`` shows a DataFrame of any size: columns are read by position, cells are
formatted lazily, a block of rows of one column at a time, with the same vectorised
formatter the writers use (``sparkdesk.writers.format_column``); formatted blocks are kept
in a small LRU cache. Sorting and filtering never touch Qt's proxy models: they are pandas
operations that produce a row permutation (``sort_order``, ``filter_mask``), cheap enough
to run inline for small tables and run on the thread pool for big ones.

pandas and numpy are imported lazily so that the window can show before they load.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from sparkdesk.catalogue import NUMERIC_KINDS, TEXT_KINDS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from sparkdesk.exports.ondisk import DiskResult

BLOCK_ROWS = 128
MAX_CACHED_BLOCKS = 600

Formatter = Callable[["pd.Series", str], "pd.Series"]

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def plain_formatter(series: pd.Series, kind: str) -> pd.Series:
    """Text of any value, empty for missing: for tables that are not exports (the import report)."""
    return series.astype("object").where(series.notna(), "").astype(str)


def _to_texts(formatted: Any) -> list[str]:
    dtype = getattr(formatted, "dtype", None)
    if dtype is not None and str(dtype) in ("str", "string"):
        # the writers' formatter gives text without NA: one conversion in C, no loop
        return formatted.to_numpy(dtype=object, na_value="").tolist()
    out = []
    for v in list(formatted):
        if v is None or (isinstance(v, float) and v != v):
            out.append("")
        else:
            try:
                import pandas as pd

                out.append("" if v is pd.NA else str(v))
            except TypeError:
                out.append(str(v))
    return out


def rows_of(series: pd.Series, rows: np.ndarray) -> pd.Series:
    """``series.iloc[rows]`` that costs the rows read, however many chunks the column has.

    pyarrow's take on a chunked column joins every chunk first: 60 ms for a 128-row block
    of ten million message texts, on the UI thread at every paint of a sorted view.
    Here each chunk that holds some of the rows is taken from on its own (a block of rows
    touches at most a block of chunks), and the pieces are put back in the rows' order.
    Joining the chunks once after the export instead cost the worker 1.5 s without
    progress or Cancel for one column at full size.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    dtype = series.dtype
    arrow_backed = isinstance(dtype, pd.ArrowDtype) or (
        isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
    )
    data = series.array.__arrow_array__() if arrow_backed else None  # numpy-backed: one buffer
    if not isinstance(data, pa.ChunkedArray) or data.num_chunks < 2 or not len(rows):
        return series.iloc[rows]
    ends = np.cumsum([len(c) for c in data.chunks])
    which = np.searchsorted(ends, rows, side="right")
    order = np.argsort(which, kind="stable")
    starts = np.r_[0, ends[:-1]]
    pieces = []
    for chunk in np.unique(which):  # one take per chunk touched: at most one per row read
        inside = rows[order][which[order] == chunk] - starts[chunk]
        pieces.append(data.chunk(int(chunk)).take(pa.array(inside)))
    back = np.empty(len(rows), dtype=np.int64)
    back[order] = np.arange(len(rows))
    taken = pa.concat_arrays(pieces).take(pa.array(back))
    return pd.Series(dtype.__from_arrow__(pa.chunked_array([taken])), name=series.name, copy=False)


def sort_order(column: pd.Series, ascending: bool) -> np.ndarray:
    """Row positions of ``column`` sorted stably; empty first when ascending (exports.md)."""
    values = column.reset_index(drop=True)
    ordered = values.sort_values(
        ascending=ascending, kind="stable", na_position="first" if ascending else "last"
    )
    return ordered.index.to_numpy()


def filter_mask(
    columns: Sequence[pd.Series],
    kinds: Sequence[str],
    formatter: Formatter,
    text: str,
    progress: Callable[[float, str], None] | None = None,
    cancel: Any = None,
) -> np.ndarray:
    """True for rows where any cell's shown text contains ``text`` (ignoring case)."""
    import numpy as np

    from sparkdesk.tasks import as_progress

    p = as_progress(progress, cancel)
    n = len(columns[0]) if columns else 0
    mask = np.zeros(n, dtype=bool)
    for i, (col, kind) in enumerate(zip(columns, kinds, strict=True)):
        p.step(i / max(len(columns), 1))
        shown = col if kind in TEXT_KINDS else formatter(col, kind)
        if shown.dtype != "str":
            shown = shown.astype("str")
        # case=False, regex=False runs as one pyarrow kernel (no Python loop over cells)
        hits = shown.str.contains(text, case=False, regex=False, na=False)
        mask |= hits.to_numpy(dtype=bool, na_value=False)
    p.step(1.0)
    return mask


class FrameModel(QAbstractTableModel):
    """A read-only table over a DataFrame, with a row permutation for sort and filter.

    Or over a result kept on disk (``sparkdesk.exports.ondisk.DiskResult``, too large for
    memory): a block of rows is read from its file when painted, formatted by the same
    formatter, so a cell reads the same either way; such a result is not sorted or
    filtered here (``on_disk``: the window says so), since both need every row at once."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._columns: list[pd.Series] = []
        self._disk: DiskResult | None = None  # rows read from a file instead of _columns
        self._ncols = 0
        self._headers: list[str] = []
        self._tooltips: list[str] = []
        self._kinds: list[str] = []
        self._formatter: Formatter = plain_formatter
        self._nrows = 0
        self._perm: np.ndarray | None = None  # None: identity
        self._sort_perm: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._cache: OrderedDict[tuple[int, int], list[str]] = OrderedDict()
        self.sort_column = -1
        self.sort_ascending = True

    # -- content -----------------------------------------------------------------------
    def set_frame(
        self,
        frame: pd.DataFrame | DiskResult | None,
        headers: Sequence[str] | None = None,
        kinds: Sequence[str] | None = None,
        formatter: Formatter | None = None,
        tooltips: Sequence[str] | None = None,
    ) -> None:
        self.beginResetModel()
        self._disk = None
        if frame is None:
            self._columns, self._headers, self._kinds, self._tooltips, self._nrows = [], [], [], [], 0
            self._ncols = 0
        else:
            from sparkdesk.exports.ondisk import DiskResult

            if isinstance(frame, DiskResult):
                self._disk, self._columns, names = frame, [], frame.column_names
            else:
                self._columns, names = [frame.iloc[:, i] for i in range(frame.shape[1])], list(frame.columns)
            ncols = self._ncols = len(names)
            self._headers = list(headers) if headers is not None else [str(c) for c in names]
            self._kinds = list(kinds) if kinds is not None else ["text"] * ncols
            self._tooltips = list(tooltips) if tooltips is not None else list(self._headers)
            self._nrows = len(frame)
        self._formatter = formatter or plain_formatter
        self._perm = self._sort_perm = self._mask = None
        self.sort_column, self.sort_ascending = -1, True
        self._cache.clear()
        self.endResetModel()

    def set_headers(self, headers: Sequence[str], tooltips: Sequence[str] | None = None) -> None:
        self._headers = list(headers)
        self._tooltips = list(tooltips) if tooltips is not None else list(headers)
        if self._headers:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._headers) - 1)

    def set_formatter(self, formatter: Formatter) -> None:
        """New cell formats (time format, zone...): drop the cache and repaint."""
        self._formatter = formatter
        self._cache.clear()
        if self._nrows and self._ncols:
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self._ncols - 1))

    @property
    def columns(self) -> list[pd.Series]:
        """The columns in memory (none for a result on disk: see ``on_disk``)."""
        return self._columns

    @property
    def on_disk(self) -> bool:
        """Are the rows read from a file (a result too large for memory: no sort, no filter)?"""
        return self._disk is not None

    @property
    def kinds(self) -> list[str]:
        return self._kinds

    @property
    def formatter(self) -> Formatter:
        return self._formatter

    @property
    def total_rows(self) -> int:
        return self._nrows

    def set_sort(self, column: int, ascending: bool, order: np.ndarray | None) -> None:
        self.sort_column, self.sort_ascending = column, ascending
        self._sort_perm = order
        self._apply_perm()

    def set_mask(self, mask: np.ndarray | None) -> None:
        self._mask = mask
        self._apply_perm()

    def _apply_perm(self) -> None:
        import numpy as np

        self.beginResetModel()
        if self._sort_perm is None and self._mask is None:
            self._perm = None
        else:
            perm = self._sort_perm if self._sort_perm is not None else np.arange(self._nrows)
            if self._mask is not None:
                perm = perm[self._mask[perm]]
            self._perm = perm
        self._cache.clear()
        self.endResetModel()

    def source_rows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        import numpy as np

        rows = np.asarray(rows, dtype=np.int64)
        return rows if self._perm is None else self._perm[rows]

    def texts(self, rows: Sequence[int] | np.ndarray, column: int) -> list[str]:
        """Shown text of ``column`` for view rows ``rows`` (vectorised)."""
        if self._disk is not None:  # never sorted nor filtered: view rows are the file's
            if isinstance(rows, range) and rows.step == 1:
                part = self._disk.column(column, rows.start, rows.stop)
            else:
                part = self._disk.column_rows(column, self.source_rows(rows))
            return _to_texts(self._formatter(part, self._kinds[column]))
        series = self._columns[column]
        if self._perm is None and isinstance(rows, range) and rows.step == 1:
            part = series.iloc[rows.start : rows.stop]  # a slice: no copy, whatever the chunks
        else:
            part = rows_of(series, self.source_rows(rows))
        return _to_texts(self._formatter(part, self._kinds[column]))

    # -- QAbstractTableModel -----------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return self._nrows if self._perm is None else len(self._perm)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._ncols

    def _block(self, block: int, column: int) -> list[str]:
        key = (block, column)
        texts = self._cache.get(key)
        if texts is None:
            start = block * BLOCK_ROWS
            stop = min(start + BLOCK_ROWS, self.rowCount())
            texts = self.texts(range(start, stop), column)
            self._cache[key] = texts
            if len(self._cache) > MAX_CACHED_BLOCKS:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return texts

    def _cell(self, row: int, column: int) -> str:
        block = row // BLOCK_ROWS
        return self._block(block, column)[row - block * BLOCK_ROWS]

    def head_texts(self, n: int, column: int) -> list[str]:
        """Shown text of the first ``n`` view rows, through the block cache (the first
        paint then finds them formatted)."""
        out: list[str] = []
        block = 0
        n = min(n, self.rowCount())
        while len(out) < n:
            out.extend(self._block(block, column))
            block += 1
        return out[:n]

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if row >= self.rowCount() or col >= self._ncols:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(row, col)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if self._kinds[col] in NUMERIC_KINDS else _LEFT
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self._cell(row, col)
            return text if len(text) > 40 else None
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(self._headers):
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return self._headers[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return self._tooltips[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return _RIGHT if self._kinds[section] in NUMERIC_KINDS else _LEFT
            return None
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < self.rowCount():
            return str(section + 1)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Synchronous sort (Qt's API); the window sorts big tables on the pool instead."""
        if self._disk is not None or not 0 <= column < len(self._columns):
            return  # a result on disk is not sorted here (on_disk)
        ascending = order == Qt.SortOrder.AscendingOrder
        self.set_sort(column, ascending, sort_order(self._columns[column], ascending))


class ChannelModel(QStandardItemModel):
    """Channels as a checkable tree grouped by medium; every channel checked by default."""

    ID_ROLE = Qt.ItemDataRole.UserRole + 1

    def set_channels(self, rows: Sequence[tuple[str, str | None, str | None]], unknown_medium: str) -> None:
        self.clear()
        groups: dict[str, QStandardItem] = {}
        root = self.invisibleRootItem()
        for channel_id, medium, name in rows:
            label = medium or unknown_medium
            parent = groups.get(label)
            if parent is None:
                parent = QStandardItem(label)
                parent.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsUserCheckable
                    | Qt.ItemFlag.ItemIsAutoTristate
                )
                parent.setCheckState(Qt.CheckState.Checked)
                groups[label] = parent
                root.appendRow(parent)
            item = QStandardItem(f"{name} ({channel_id})" if name else str(channel_id))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setData(str(channel_id), self.ID_ROLE)
            item.setToolTip(str(channel_id))
            parent.appendRow(item)

    def channel_items(self) -> list[QStandardItem]:
        items = []
        root = self.invisibleRootItem()
        for g in range(root.rowCount()):
            group = root.child(g)
            items.extend(group.child(r) for r in range(group.rowCount()))
        return items

    def set_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        root = self.invisibleRootItem()
        for g in range(root.rowCount()):
            root.child(g).setCheckState(state)
        for item in self.channel_items():
            item.setCheckState(state)

    def checked_ids(self) -> list[str]:
        return [i.data(self.ID_ROLE) for i in self.channel_items() if i.checkState() == Qt.CheckState.Checked]

    def all_ids(self) -> list[str]:
        return [i.data(self.ID_ROLE) for i in self.channel_items()]

    def set_checked(self, ids: Sequence[str]) -> None:
        wanted = set(ids)
        for item in self.channel_items():
            item.setCheckState(
                Qt.CheckState.Checked if item.data(self.ID_ROLE) in wanted else Qt.CheckState.Unchecked
            )
