"""The preview's item models: Qt's model tester, lazy formatting, sort and filter in pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QModelIndex, Qt

from sparkdesk.gui.models import (
    BLOCK_ROWS,
    ChannelModel,
    FrameModel,
    filter_mask,
    plain_formatter,
    sort_order,
)


def _frame(n: int = 1000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ids = pd.array([f"c{i:05d}" for i in range(n)], dtype="str")
    names = pd.array([None if i % 10 == 0 else f"Name {rng.integers(0, 50)}" for i in range(n)], dtype="str")
    counts = pd.array([None if i % 13 == 0 else int(rng.integers(0, 1000)) for i in range(n)], dtype="Int64")
    return pd.DataFrame({"id": ids, "name": names, "count": counts})


KINDS = ["id", "text", "count"]


class CountingFormatter:
    def __init__(self):
        self.calls = 0
        self.rows = 0

    def __call__(self, series, kind):
        self.calls += 1
        self.rows += len(series)
        return plain_formatter(series, kind)


@pytest.fixture
def model(qtbot):
    m = FrameModel()
    m.set_frame(_frame(), ["ID", "Name", "Count"], KINDS)
    return m


def test_frame_model_passes_qt_model_tester(qtmodeltester, model):
    qtmodeltester.check(model, force_py=True)


def test_frame_model_passes_qt_cpp_model_tester(qtmodeltester, model):
    qtmodeltester.check(model, force_py=False)


def test_frame_model_passes_model_tester_after_sort_and_filter(qtmodeltester, model):
    model.sort(1, Qt.SortOrder.DescendingOrder)
    model.set_mask(filter_mask(model.columns, model.kinds, model.formatter, "name 1"))
    assert 0 < model.rowCount() < 1000
    qtmodeltester.check(model, force_py=True)


def test_empty_model_passes_model_tester(qtmodeltester):
    m = FrameModel()
    qtmodeltester.check(m, force_py=True)
    m.set_frame(_frame(0), ["ID", "Name", "Count"], KINDS)
    qtmodeltester.check(m, force_py=True)


def test_channel_model_passes_model_tester(qtmodeltester):
    m = ChannelModel()
    m.set_channels([("a", "WHATSAPP", "Sales"), ("b", "WHATSAPP", None), ("c", None, "Web")], "(no medium)")
    # Qt's own C++ tester: QStandardItemModel reports check states as plain ints, which
    # pytest-qt's Python tester does not accept under PySide6.
    qtmodeltester.check(m, force_py=False)
    assert m.rowCount() == 2  # grouped by medium
    assert m.checked_ids() == ["a", "b", "c"]
    m.set_all(False)
    assert m.checked_ids() == []
    m.set_checked(["b"])
    assert m.checked_ids() == ["b"]


def test_cells_are_formatted_lazily_one_block_at_a_time():
    fmt = CountingFormatter()
    m = FrameModel()
    m.set_frame(_frame(100_000), ["ID", "Name", "Count"], KINDS, fmt)
    assert fmt.calls == 0  # nothing formatted until asked
    m.data(m.index(50_000, 2))
    assert fmt.calls == 1 and fmt.rows == BLOCK_ROWS
    for r in range(50_000, 50_000 + 20):  # the same block again: cached
        m.data(m.index(r, 2))
    assert fmt.calls == 1


def test_display_text_alignment_and_empty_cells(model):
    assert model.data(model.index(1, 0)) == "c00001"
    assert model.data(model.index(0, 1)) == ""  # missing stays empty
    assert model.data(model.index(0, 2)) == ""
    right = model.data(model.index(1, 2), Qt.ItemDataRole.TextAlignmentRole)
    left = model.data(model.index(1, 1), Qt.ItemDataRole.TextAlignmentRole)
    assert right & int(Qt.AlignmentFlag.AlignRight)
    assert left & int(Qt.AlignmentFlag.AlignLeft)
    assert model.headerData(2, Qt.Orientation.Horizontal) == "Count"
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None


def test_sort_puts_empty_first_and_is_stable(model):
    model.sort(2, Qt.SortOrder.AscendingOrder)
    texts = model.texts(range(model.rowCount()), 2)
    n_empty = sum(1 for t in texts if t == "")
    assert n_empty == len(range(0, 1000, 13))
    assert all(t == "" for t in texts[:n_empty])
    values = [int(t) for t in texts[n_empty:]]
    assert values == sorted(values)
    # stable: among equal counts, original order (ids ascending) is kept
    ids = model.texts(range(model.rowCount()), 0)
    pairs = list(zip(texts[n_empty:], ids[n_empty:], strict=True))
    for (c1, i1), (c2, i2) in zip(pairs, pairs[1:], strict=False):
        if c1 == c2:
            assert i1 < i2
    model.sort(2, Qt.SortOrder.DescendingOrder)
    texts = model.texts(range(model.rowCount()), 2)
    assert texts[-1] == "" and int(texts[0]) == max(values)


def test_filter_then_sort_compose(model):
    mask = filter_mask(model.columns, model.kinds, model.formatter, "NAME 3")
    model.set_mask(mask)
    shown = model.texts(range(model.rowCount()), 1)
    assert shown and all("name 3" in t.lower() for t in shown)
    model.sort(0, Qt.SortOrder.DescendingOrder)
    ids = model.texts(range(model.rowCount()), 0)
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == int(mask.sum())
    model.set_mask(None)
    assert model.rowCount() == 1000


def test_sort_order_sorts_ids_as_text():
    s = pd.Series(pd.array(["9", "10", None, "007"], dtype="str"))
    order = sort_order(s, ascending=True)
    assert list(s.iloc[order].fillna("")) == ["", "007", "10", "9"]


def _chunked(frame: pd.DataFrame, pieces: int) -> pd.DataFrame:
    """The same table with its text columns split into ``pieces`` Arrow chunks."""
    import pyarrow as pa

    out = frame.copy(deep=False)
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        if str(col.dtype) != "str":
            continue
        whole = col.array.__arrow_array__().combine_chunks()
        step = -(-len(whole) // pieces)
        parts = [whole.slice(k, step) for k in range(0, len(whole), step)]
        out.isetitem(i, col.dtype.__from_arrow__(pa.chunked_array(parts, type=whole.type)))
    return out


@pytest.mark.parametrize("seed", range(10))
def test_rows_of_a_column_in_many_chunks_are_the_rows_of_iloc(seed):
    """Rows taken chunk by chunk (a sorted or filtered view) equal pandas' iloc, in order."""
    from sparkdesk.gui.models import rows_of

    rng = np.random.default_rng(seed)
    frame = _frame(2000)
    frame.loc[rng.random(2000) < 0.1, "name"] = None
    chunked = _chunked(frame, int(rng.integers(2, 60)))
    rows = rng.permutation(2000)[: int(rng.integers(1, 300))]
    for name in ("id", "name", "count"):
        got = rows_of(chunked[name], rows)
        expected = frame[name].iloc[rows]
        assert got.dtype == expected.dtype
        pd.testing.assert_series_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    assert rows_of(chunked["id"], np.array([], dtype=np.int64)).tolist() == []


def test_sorted_view_of_a_column_in_many_chunks_reads_the_right_rows():
    m = FrameModel()
    m.set_frame(_chunked(_frame(3000), 200), ["ID", "Name", "Count"], KINDS)
    m.sort(0, Qt.SortOrder.DescendingOrder)
    assert m.texts(range(130, 133), 0) == ["c02869", "c02868", "c02867"]  # second block of rows


def test_blocks_read_by_slice_or_by_position_give_the_same_texts():
    m = FrameModel()
    m.set_frame(_chunked(_frame(3000), 25), ["ID", "Name", "Count"], KINDS)
    for c in range(3):
        sliced = m.texts(range(100, 900), c)  # identity order: a slice of the column
        taken = m.texts(np.arange(100, 900), c)  # positions: a take
        assert sliced == taken
        assert m.head_texts(60, c) == m.texts(range(60), c)
    m.sort(0, Qt.SortOrder.DescendingOrder)
    assert m.texts(range(3), 0) == ["c02999", "c02998", "c02997"]
    assert m.head_texts(2, 0) == ["c02999", "c02998"]
