"""The vectorised building blocks against plain, obviously-right Python on random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sparkdesk.exports.grouping import first_at_or_after, nunique_by


def _first_at_or_after_by_hand(lg, lt, rg, rt):
    out = []
    for g, t in zip(lg, lt, strict=True):
        best = -1
        for j, (g2, t2) in enumerate(zip(rg, rt, strict=True)):
            if g2 == g and t2 >= t and (best < 0 or t2 < rt[best]):
                best = j
        out.append(best)
    return np.array(out, dtype=np.int64)


@pytest.mark.parametrize("seed", range(30))
def test_first_at_or_after_matches_a_brute_force_search(seed):
    rng = np.random.default_rng(seed)
    n_left, n_right = rng.integers(0, 40, size=2)
    lg = rng.integers(0, 5, n_left).astype(np.int64) * 10**9  # large group codes
    rg = rng.integers(0, 5, n_right).astype(np.int64) * 10**9
    lt = rng.integers(0, 12, n_left).astype(np.int64) * 10**12  # epoch-like milliseconds, many ties
    rt = np.sort(rng.integers(0, 12, n_right).astype(np.int64) * 10**12)  # right side in time order
    assert first_at_or_after(lg, lt, rg, rt).tolist() == _first_at_or_after_by_hand(lg, lt, rg, rt).tolist()


def test_nunique_by_counts_distinct_non_missing_values_per_key():
    keys = pd.Series(["a", "a", "a", "b", "b", None, "c"], dtype="str")
    values = pd.Series(["x", "x", "y", None, "z", "x", None], dtype="str")
    # a: {x, y} -> 2; b: {z} -> 1; missing key dropped; c has only a missing value -> no row
    assert nunique_by(keys, values).sort_index().to_dict() == {"a": 2, "b": 1}


def test_sort_rows_breaks_time_ties_by_id_and_keeps_rising_times_as_they_are():
    from sparkdesk.catalogue import export_type
    from sparkdesk.exports.shape import sort_rows

    export = export_type("message")
    t = pd.to_datetime(
        ["2025-01-01 10:00:00.001", "2025-01-01 10:00:00.001", "2025-01-01 10:00:00.002"], utc=True
    )
    tied = pd.DataFrame({"created_at": t, "message_id": pd.Series(["b", "a", "c"], dtype="str")})
    assert sort_rows(tied, ["created_at", "message_id"], export)["message_id"].tolist() == ["a", "b", "c"]
    rising = tied.iloc[[1, 2]]
    assert sort_rows(rising, ["created_at", "message_id"], export)["message_id"].tolist() == ["a", "c"]
    falling = tied.iloc[[2, 1]]
    assert sort_rows(falling, ["created_at", "message_id"], export)["message_id"].tolist() == ["a", "c"]


def _random_keys(rng, n):
    """Few distinct values and some missing ones: many ties, nulls at any place."""
    t = pd.Series(pd.to_datetime(rng.integers(0, 4, n) * 1000, unit="ms", utc=True))
    t[rng.random(n) < 0.2] = pd.NaT
    ids = pd.Series(rng.choice(["a", "b", "c", None], n), dtype="str")
    other = pd.Series(rng.choice(["x", "y", None], n), dtype="str")
    return pd.DataFrame({"created_at": t, "message_id": ids, "conversation_id": other})


def _sorted_by_hand(frame):
    """Sorted as sort_rows promises: each key ascending, missing first, stable."""
    rows = list(range(len(frame)))
    for k in reversed(["created_at", "message_id", "conversation_id"]):
        col = frame[k].tolist()
        rows.sort(key=lambda i, col=col: (not pd.isna(col[i]), None if pd.isna(col[i]) else col[i]))
    return rows


@pytest.mark.parametrize("seed", range(40))
def test_sort_rows_and_the_in_order_check_match_a_sort_by_hand(seed):
    from sparkdesk.catalogue import export_type
    from sparkdesk.exports.grouping import sort_key
    from sparkdesk.exports.shape import in_order, sort_rows

    rng = np.random.default_rng(seed)
    frame = _random_keys(rng, int(rng.integers(0, 12)))
    frame = frame.assign(pos=np.arange(len(frame)))
    export = export_type("message")
    expected = _sorted_by_hand(frame)
    got = sort_rows(frame, ["created_at", "message_id"], export)
    assert got["pos"].tolist() == expected
    keys = ["created_at", "message_id", "conversation_id"]
    import pyarrow as pa

    table = pa.table({k: sort_key(frame[k]) for k in keys})
    assert in_order(table) == (expected == list(range(len(frame))))
    again = sort_rows(got, ["created_at", "message_id"], export)  # sorted rows are in order
    assert in_order(pa.table({k: sort_key(got[k]) for k in keys}))
    assert again["pos"].tolist() == expected


@pytest.mark.parametrize("seed", range(20))
def test_stable_order_matches_a_sort_by_hand(seed):
    """The Arrow sort behind the current tags: each key ascending, missing first, ties
    in their order (text with non-ASCII letters in code-point order)."""
    from sparkdesk.exports.grouping import stable_order

    rng = np.random.default_rng(seed)
    frame = _random_keys(rng, int(rng.integers(0, 30)))
    frame["message_id"] = frame["message_id"].replace({"c": "é", "b": "Z"})
    cols = [frame[k] for k in ["created_at", "message_id", "conversation_id"]]
    assert stable_order(cols).tolist() == _sorted_by_hand(frame)


def test_rows_in_order_are_not_sorted_again(monkeypatch):
    """Messages in time order, ties in id order: no sort and no take of the columns."""
    import pyarrow.compute as pc

    from sparkdesk.catalogue import export_type
    from sparkdesk.exports import shape

    t = pd.to_datetime(["2025-01-01 10:00:00.001"] * 2 + ["2025-01-01 10:00:00.002"], utc=True)
    frame = pd.DataFrame({"created_at": t, "message_id": pd.Series(["a", "b", "a"], dtype="str")})
    monkeypatch.setattr(shape.pc, "sort_indices", lambda *a, **k: pytest.fail("sorted again"))
    out = shape.sort_rows(frame, ["created_at", "message_id"], export_type("message"))
    assert out["message_id"].tolist() == ["a", "b", "a"]
    monkeypatch.setattr(shape.pc, "sort_indices", pc.sort_indices)


def _positions_by_hand(keys, universe):
    first = {}
    for i, u in enumerate(universe):
        first.setdefault(u, i)
    return np.array(
        [first.get(k, -1) if k is not None else first.get(None, -1) for k in keys], dtype=np.int64
    )


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("shape", ["universe much larger", "keys larger"])
def test_positions_matches_a_dictionary_whichever_side_is_cut_and_in_blocks(seed, shape, monkeypatch):
    """Both of positions' paths, looked up a few keys at a time: first occurrence wins,
    missing keys give -1."""
    from sparkdesk.exports import grouping

    monkeypatch.setattr(grouping, "PROBE_BLOCK", 3)
    rng = np.random.default_rng(seed)
    n_keys, n_universe = (rng.integers(1, 8), rng.integers(40, 80))
    if shape == "keys larger":
        n_keys, n_universe = n_universe, n_keys
    universe = [f"id{v}" for v in rng.integers(0, 30, n_universe)]
    keys = [None if v == 0 else f"id{v}" for v in rng.integers(0, 40, n_keys)]
    got = grouping.positions(pd.Series(keys, dtype="str"), pd.Series(universe, dtype="str"))
    assert got.tolist() == _positions_by_hand(keys, universe).tolist()


@pytest.mark.parametrize(
    "keys", [["x", "y", "x"], [None, None], ["x", None], []], ids=["unknown", "null", "mixed", "no keys"]
)
@pytest.mark.parametrize("dtype", ["str", "object"])
def test_positions_of_keys_absent_from_a_much_larger_universe(keys, dtype):
    """Issue 12: the universe (> 4x the keys) is first cut to the values that occur among
    the keys; when none does, every key is -1 (a crash indexed the empty cut), and the
    progress still reaches its end."""
    from sparkdesk.exports.grouping import positions

    universe = pd.Series([f"u{i}" for i in range(4 * max(len(keys), 1) + 1)], dtype="str")
    done = []
    got = positions(pd.Series(keys, dtype=dtype), universe, done.append)
    assert got.dtype == np.int64
    assert got.tolist() == [-1] * len(keys)
    assert done[-1:] == ([1.0] if keys else [])


def test_positions_notice_cancel_between_blocks(monkeypatch):
    from sparkdesk.exports import grouping
    from sparkdesk.tasks import Cancelled, CancelToken, Progress, running

    monkeypatch.setattr(grouping, "PROBE_BLOCK", 10)
    token = CancelToken()
    token.cancel()
    keys = pd.Series([f"k{i}" for i in range(100)], dtype="str")
    with running(Progress(None, token)), pytest.raises(Cancelled):
        grouping.positions(keys, keys.iloc[:5])


@pytest.mark.parametrize("seed", range(10))
def test_first_in_group_is_the_first_row_of_each_group(seed):
    from sparkdesk.exports.grouping import first_in_group

    groups = np.random.default_rng(seed).integers(0, 8, 60).astype(np.int64)
    expect: dict[int, int] = {}
    for i, g in enumerate(groups.tolist()):
        expect.setdefault(g, i)
    got_groups, got_first = first_in_group(groups)
    assert got_groups.tolist() == sorted(expect)
    assert got_first.tolist() == [expect[g] for g in sorted(expect)]


def _groups_and_values(seed: int):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 50))
    groups = rng.integers(0, 5, n).astype(np.int64)
    values = np.where(rng.random(n) < 0.4, np.nan, rng.integers(0, 100, n).astype(float))
    return rng, groups, values


@pytest.mark.parametrize("seed", range(25))
def test_next_in_group_agrees_with_pandas_shift_and_bfill(seed):
    """The numpy definition against the pandas one it replaced (which held the GIL)."""
    from sparkdesk.exports.grouping import next_in_group

    _rng, groups, values = _groups_and_values(seed)
    s, g = pd.Series(values), pd.Series(groups)
    expect = s.groupby(g, sort=False).shift(-1).groupby(g, sort=False).bfill()
    np.testing.assert_array_equal(next_in_group(values, groups), expect.to_numpy(dtype=float))
    from sparkdesk.exports.grouping import group_order

    shared = group_order(groups)  # one sort shared by several scans gives the same answers
    np.testing.assert_array_equal(next_in_group(values, groups, shared), expect.to_numpy(dtype=float))


@pytest.mark.parametrize("seed", range(25))
def test_run_starts_and_cumsum_in_group_agree_with_pandas(seed):
    from sparkdesk.exports.grouping import cumsum_in_group, run_starts

    rng, groups, _values = _groups_and_values(seed)
    keys = rng.integers(-1, 3, len(groups)).astype(np.int64)  # -1: missing
    k = pd.Series(np.where(keys < 0, np.nan, keys))
    prev = k.groupby(pd.Series(groups), sort=False).shift(1)
    expect_runs = (prev.isna() | (k != prev)).fillna(True).astype(bool).to_numpy()
    assert run_starts(keys, groups).tolist() == expect_runs.tolist()
    ones = rng.integers(0, 3, len(groups)).astype(np.int64)
    expect_sum = pd.Series(ones).groupby(pd.Series(groups), sort=False).cumsum().to_numpy()
    assert cumsum_in_group(ones, groups).tolist() == expect_sum.tolist()
    from sparkdesk.exports.grouping import group_order

    assert cumsum_in_group(ones, groups, group_order(groups)).tolist() == expect_sum.tolist()


def test_text_and_pair_codes_keep_pairs_apart():
    from sparkdesk.exports.grouping import pair_codes, text_codes

    codes = text_codes(pd.Series(["b", None, "a", "b"], dtype="str"))
    assert codes[0] == codes[3] and codes[1] == -1 and len({codes[0], codes[2]}) == 2
    a = np.array([0, 0, 1, 1, 2], dtype=np.int64)
    b = np.array([0, 1, 0, 1, -1], dtype=np.int64)
    assert len(set(pair_codes(a, b).tolist())) == 5


def test_text_where_and_fillna_agree_with_pandas():
    from sparkdesk.exports.grouping import text_fillna, text_where

    a = pd.Series(["x", None, "y", "z", None], dtype="str", index=[5, 6, 7, 8, 9], name="a")
    b = pd.Series(["p", "q", None, "r", None], dtype="str", index=a.index)
    keep = np.array([True, True, False, True, False])
    pd.testing.assert_series_equal(text_where(a, keep), a.where(keep))
    pd.testing.assert_series_equal(text_fillna(a, b), a.fillna(b))


@pytest.mark.parametrize("dtype", ["str", "Int64", "datetime64[ms, UTC]", "bool", "int64"])
def test_take_rows_in_blocks_with_missing_rows(dtype, monkeypatch):
    from sparkdesk.exports import grouping

    raw = {
        "str": ["a", None, "c", "d"],
        "Int64": [1, None, 3, 4],
        "bool": [True, False, True, False],
        "int64": [1, 2, 3, 4],
    }.get(dtype)
    if raw is None:
        raw = pd.to_datetime(["2025-01-01", None, "2025-01-03", "2025-01-04"], utc=True)
    values = pd.Series(raw, dtype=dtype, index=["w", "x", "y", "z"])
    rows = np.array([3, -1, 0, 2, 2, 1, -1], dtype=np.int64)
    got = grouping.take_rows(values, rows, pd.RangeIndex(7, 14))
    expect = values.iloc[np.where(rows < 0, 0, rows)].where(rows >= 0).set_axis(pd.RangeIndex(7, 14))
    pd.testing.assert_series_equal(got, expect, check_names=False)


def test_join_ordered_joins_in_row_order_and_keeps_text_keys_as_arrow(monkeypatch):
    """Values joined per key in row order ("" for a missing one), keys in first-seen
    order; text keys stay Arrow-backed and are never made Python strings (one per key,
    holding the GIL: 69 ms for the current tags at full size), integer keys stay integers."""
    from pandas.core.arrays.string_arrow import ArrowStringArray

    from sparkdesk.exports.grouping import join_ordered

    def no_python_strings(self, *args, **kwargs):
        raise AssertionError("text keys were turned into Python strings")

    keys = pd.Series(["m2", "m1", "m2", "m2"], dtype="str")
    vals = pd.Series(["b", "x", None, "a"], dtype="str")
    with monkeypatch.context() as m:
        m.setattr(ArrowStringArray, "to_numpy", no_python_strings)
        got = join_ordered(keys, {"v": vals})
    assert got.index.tolist() == ["m2", "m1"]
    assert got["v"].tolist() == ["b, , a", "x"]
    assert isinstance(got.index.dtype, pd.StringDtype) and got.index.dtype.storage == "pyarrow"
    by_int = join_ordered(pd.Series([7, 3, 7]), {"v": pd.Series(["p", "q", "r"], dtype="str")})
    assert by_int.index.dtype == np.int64 and by_int["v"].tolist() == ["p, r", "q"]
