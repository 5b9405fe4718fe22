"""Small vectorised building blocks shared by the metric definitions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.tasks import checkpoint


def text_codes(values: pd.Series) -> np.ndarray:
    """Dense int64 codes of a text column by Arrow's hash (missing: -1).

    Grouping on these instead of the strings keeps pandas' factorize (which holds the
    GIL: 50 ms stalls in the window at full size) out of the grouped scans below.
    """
    encoded = pc.dictionary_encode(whole(_arrow_text(values)))  # one piece: one dictionary
    return encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def pair_codes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One int64 code per distinct (a, b) pair of non-negative int codes (-1 stays apart)."""
    width = np.int64(b.max() + 2) if len(b) else np.int64(1)
    return (a.astype(np.int64) + 1) * width + (b.astype(np.int64) + 1)


GroupOrder = tuple[np.ndarray, np.ndarray]


def group_order(groups: np.ndarray) -> GroupOrder:
    """(stable order that puts each group's rows together, True where a group starts in it).

    The sort is most of the cost of the grouped scans below (0.3-0.5 s for five million
    events); a caller scanning one grouping several times computes it once and passes it
    in.
    """
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    start = np.ones(len(g), dtype=bool)
    start[1:] = g[1:] != g[:-1]
    return order, start


def next_in_group(values: np.ndarray, groups: np.ndarray, grouping: GroupOrder | None = None) -> np.ndarray:
    """For each row, the next non-missing (non-NaN) ``values`` strictly after it within its group.

    Rows must already be in order inside each group; ``groups`` are int codes. This is
    how "the next event of a kind" is found without a loop: rows of a group brought
    together by a stable sort, then for each row the first valid row after it
    (``searchsorted``), kept when it is still in the same group. Numpy sorts and
    searches release the GIL, which pandas' grouped shift and back-fill do not.
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    out = np.full(n, np.nan)
    if not n:
        return out
    order, _start = grouping or group_order(groups)
    g, v = groups[order], values[order]
    valid = np.flatnonzero(~np.isnan(v))
    if not len(valid):
        return out
    k = np.searchsorted(valid, np.arange(n), side="right")
    nxt = valid[np.minimum(k, len(valid) - 1)]
    found = (k < len(valid)) & (g[nxt] == g)
    out[order] = np.where(found, v[nxt], np.nan)
    return out


def run_starts(keys: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """True where ``keys`` differs from the previous row of the same group (a new run).

    ``keys`` are int codes, -1 for missing: a missing key, and the row after one,
    always start a run (missing never equals anything).
    """
    n = len(keys)
    out = np.ones(n, dtype=bool)
    if n < 2:
        return out
    order, start = group_order(groups)
    k = keys[order]
    same = np.zeros(n, dtype=bool)
    same[1:] = (k[1:] == k[:-1]) & (k[1:] >= 0) & (k[:-1] >= 0)
    out[order] = start | ~same
    return out


def cumsum_in_group(values: np.ndarray, groups: np.ndarray, grouping: GroupOrder | None = None) -> np.ndarray:
    """Running total of int ``values`` within each group, in row order (inclusive)."""
    values = np.asarray(values, dtype=np.int64)
    out = np.zeros(len(values), dtype=np.int64)
    if not len(values):
        return out
    order, start = grouping or group_order(groups)
    total = np.cumsum(values[order])
    first = np.flatnonzero(start)
    before = np.repeat(total[first] - values[order][first], np.diff(np.r_[first, len(values)]))
    out[order] = total - before
    return out


def join_ordered(keys: pd.Series, columns: dict[str, pd.Series], sep: str = ", ") -> pd.DataFrame:
    """Join each column's values per key, in row order, with ``sep``; missing joins as "".

    Loops over the rank within a group (how many values the longest group has), never
    over groups or rows; the text is joined by Arrow kernels, so no Python string is made
    per row (that would hold the GIL and make the window stutter).
    """
    keys = keys.reset_index(drop=True)
    rank = keys.groupby(keys, sort=False).cumcount().to_numpy()
    first = np.flatnonzero(rank == 0)
    unique_keys = keys.take(first)
    slot = positions(keys, unique_keys) if _is_text(keys) else pd.Index(unique_keys).get_indexer(keys)
    out = {}
    for name, col in columns.items():
        text = arrow_of(col.reset_index(drop=True).astype("str").fillna(""))
        text = (text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text).cast(pa.large_string())
        joined = pc.take(text, pa.array(first))
        for r in range(1, int(rank.max()) + 1 if len(rank) else 1):
            rows = np.flatnonzero(rank == r)
            rows = rows[np.argsort(slot[rows], kind="stable")]  # replace_with_mask fills in slot order
            target = slot[rows]
            mask = np.zeros(len(joined), dtype=bool)
            mask[target] = True
            longer = pc.binary_join_element_wise(
                pc.take(joined, pa.array(target)),
                pc.take(text, pa.array(rows)),
                pa.scalar(sep, pa.large_string()),
            )
            joined = pc.replace_with_mask(joined, pa.array(mask), longer)
        out[name] = pd.Series(pd.StringDtype("pyarrow", na_value=np.nan).__from_arrow__(joined))
    # the keys stay Arrow text: an object index makes a Python string per key (69 ms of GIL
    # for 327,303 tagged messages), and the lookup into it turns them back into Arrow
    return pd.DataFrame(out).set_axis(pd.Index(unique_keys.array))


def sort_key(series: pd.Series) -> pa.Array:
    """An Arrow array that sorts like the column: timestamps as int64 ms, text as strings."""
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
        ints = ms_ints(series)
        return pa.array(ints, mask=ints == NAT_MS)
    if isinstance(series.dtype, pd.StringDtype) or pd.api.types.is_object_dtype(series.dtype):
        return pa.array(series.astype("str"), from_pandas=True).cast(pa.large_string())
    return pa.array(series, from_pandas=True)


def stable_order(columns: list[pd.Series]) -> np.ndarray:
    """Row positions sorted by the columns in turn (ascending, missing first, text in
    code-point order); rows that tie keep their order.

    Arrow's sort releases the GIL and is about twice as fast as ``DataFrame.sort_values``
    on a text key, which holds the GIL in stretches (0.22 s against 0.12 s for the 327,303
    current tags of the full-size demo, where the window benchmark saw a 66 ms stall).
    """
    table = pa.table({str(i): sort_key(c) for i, c in enumerate(columns)})
    keys = [(str(i), "ascending", "at_start") for i in range(len(columns))]
    return pc.sort_indices(table, sort_keys=keys).to_numpy()


NAT_MS = np.iinfo(np.int64).min  # what ms_ints gives for a missing time


def ms_ints(times: pd.Series) -> np.ndarray:
    """Milliseconds since the epoch of a timestamp column, as int64: the one conversion.

    A missing time is NaT's own integer, the smallest int64, so that it sorts first.
    """
    return times.astype("datetime64[ms, UTC]").to_numpy(dtype="datetime64[ms]").astype(np.int64)


def ms(times: pd.Series) -> pd.Series:
    """``ms_ints`` as a nullable Int64 column on the same index (missing stays NA), for arithmetic."""
    ints = ms_ints(times)
    return pd.Series(pd.arrays.IntegerArray(ints, ints == NAT_MS), index=times.index)


def duration_ms(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """later - earlier in integer milliseconds, NA where either is missing."""
    return (ms(later) - ms(earlier)).astype("Int64")


def count_by(keys: pd.Series, mask: pd.Series | None = None, name: str = "n") -> pd.Series:
    """Row counts per key, optionally of the rows where ``mask`` holds."""
    if mask is not None:
        keys = keys[mask.to_numpy(bool)]
    return keys.value_counts(sort=False).rename(name)


def nunique_by(keys: pd.Series, values: pd.Series, mask: pd.Series | None = None) -> pd.Series:
    """Distinct non-missing values per key.

    On integer codes (``factorize``: Arrow's dictionary encoding for text) and a numpy
    sort, which run without the GIL; not ``np.unique`` (numpy 2.4 hashes, holding it).
    """
    if mask is not None:
        m = mask.to_numpy(bool)
        keys, values = keys[m], values[m]
    kc, kuniq = pd.factorize(keys)
    vc, vuniq = pd.factorize(values)
    ok = (kc >= 0) & (vc >= 0)
    width = max(len(vuniq), 1)
    pair = np.sort(kc[ok].astype(np.int64) * width + vc[ok])
    first = np.ones(len(pair), dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    counts = np.bincount(pair[first] // width, minlength=len(kuniq))
    out = pd.Series(counts, index=pd.Index(kuniq, name="k"))
    return out[out > 0]


def labels(names: tuple[str, ...], codes: np.ndarray) -> pd.Series:
    """``names[codes]`` as a pandas text column, built by Arrow: no Python string per row
    (millions of them made, compared and freed while holding the GIL)."""
    arr = pc.take(pa.array(names, type=pa.large_string()), pa.array(codes, type=pa.int64()))
    return pd.Series(pd.StringDtype("pyarrow", na_value=np.nan).__from_arrow__(arr))


PROBE_BLOCK = 1_000_000  # keys looked up per Arrow call, at least (Cancel is checked between calls)


def positions(
    keys: pd.Series | pd.Index, universe: pd.Series | pd.Index, step: Callable[[float], None] | None = None
) -> np.ndarray:
    """Position of each key in ``universe`` (-1 where absent), by Arrow's hash kernel.

    pandas hashes pyarrow-backed strings through Python objects (about 25x slower at a
    million rows); ``pyarrow.compute.index_in`` stays in C++. Two things keep a call at
    ten million rows from holding a worker for seconds without noticing Cancel:

    - a universe much larger than the keys (400,000 tag rows against 10 million
      message ids: 2.1 s, all of it building a hash table of the ten million) is first
      cut down to the values that occur among the keys, by probing it against a table
      of the distinct keys;
    - keys are looked up a block at a time, with ``checkpoint()`` and ``step(fraction
      done)`` in between.
    """
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    if not len(universe):
        return np.full(len(keys), -1, dtype=np.int64)
    if not (_is_text(keys) and _is_text(universe)):
        return pd.Index(universe).get_indexer(keys).astype(np.int64)
    k, u = _arrow_text(keys), _arrow_text(universe)  # probed in their chunks: no copy
    if len(u) > 4 * len(k):
        half = (lambda d: step(d / 2)) if step is not None else None
        occur = np.flatnonzero(_index_in_blocks(u, whole(pc.unique(k)), half) >= 0)
        if not len(occur):  # no key is in the universe (all unknown or missing): nothing to look up
            if step is not None:
                step(1.0)
            return np.full(len(k), -1, dtype=np.int64)
        rest = (lambda d: step(0.5 + d / 2)) if step is not None else None
        pos = _index_in_blocks(k, whole(u.take(pa.array(occur))), rest)
        return np.where(pos >= 0, occur[np.maximum(pos, 0)], -1)
    return _index_in_blocks(k, whole(u), step)


def _index_in_blocks(
    keys: pa.Array | pa.ChunkedArray, universe: pa.Array, step: Callable[[float], None] | None = None
) -> np.ndarray:
    """``index_in`` a block of keys at a time (each call hashes ``universe`` again, so a
    block is at least twice the universe: that costs at most a third more)."""
    block = max(PROBE_BLOCK, 2 * len(universe))
    out = np.empty(len(keys), dtype=np.int64)
    for start in range(0, len(keys), block):
        part = pc.index_in(keys.slice(start, block), value_set=universe)
        out[start : start + len(part)] = part.fill_null(-1).to_numpy(zero_copy_only=False)
        checkpoint()
        if step is not None:
            step(min(start + block, len(keys)) / len(keys))
    return out


def _is_text(values) -> bool:
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype)


def arrow_of(values: pd.Series | pd.Index) -> pa.Array | pa.ChunkedArray:
    """The Arrow data behind an Arrow-backed column, without a copy.

    ``pa.array(series)`` looks at the whole Series first and holds the GIL doing so:
    166 ms for 720,000 contact names (the window stalled on it), against nothing for
    the column's own ``__arrow_array__``.
    """
    array = values.array
    if hasattr(array, "__arrow_array__"):
        return array.__arrow_array__()
    return pa.array(array)


def text_where(values: pd.Series, keep: np.ndarray) -> pd.Series:
    """A text column where ``keep``, else missing, by one Arrow kernel.

    pandas' ``where`` on an Arrow text column held the GIL for 0.3 s at ten million
    rows (the window stalled); ``if_else`` does the same without it.
    """
    arr = _arrow_text(values)
    out = pc.if_else(pa.array(keep, type=pa.bool_()), arr, pa.scalar(None, arr.type))
    return pd.Series(values.dtype.__from_arrow__(out), index=values.index, name=values.name)


def text_fillna(values: pd.Series, other: pd.Series) -> pd.Series:
    """``values.fillna(other)`` for two text columns of one length, by Arrow's ``coalesce``."""
    out = pc.coalesce(_arrow_text(values), _arrow_text(other))
    return pd.Series(values.dtype.__from_arrow__(out), index=values.index, name=values.name)


def _arrow_text(values) -> pa.Array | pa.ChunkedArray:
    """A text column as Arrow ``large_string``, left in its chunks.

    Arrow's kernels read chunks as they are; joining a ten-million-row column into one
    piece first is a copy (0.1-0.4 s, and fresh memory) that only a hash table's
    value set needs (``whole``).
    """
    if _is_arrow_str(values):
        return arrow_of(values).cast(pa.large_string())
    return pa.array(np.asarray(values, dtype=object), type=pa.large_string(), from_pandas=True)


def whole(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array: ``index_in`` wants its value set that way."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _is_arrow_str(values) -> bool:
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def lookup(keys: pd.Series, values: pd.Series, step: Callable[[float], None] | None = None) -> pd.Series:
    """``values[key]`` for every row of ``keys`` (NA for a missing or unknown key).

    Unlike ``Series.map`` this keeps ``values``' dtype even when nothing matches (an empty
    reference table must not turn a timestamp column into floats; numpy bool and int,
    which hold no missing value, become their nullable kin), and it hashes with Arrow. ``values`` has a unique index: reference tables are de-duplicated by key.
    """
    part = part_of(step, 0.0, 0.5)
    return _take_found(values, positions(keys, values.index, part), keys.index, part_of(step, 0.5, 1.0))


def lookup_columns(
    keys: pd.Series, table: pd.DataFrame, columns: list[str], step: Callable[[float], None] | None = None
) -> dict[str, pd.Series]:
    """``lookup`` of several columns of one table: the keys are hashed once, not per column."""
    share = 1.0 / (len(columns) + 1)
    pos = positions(keys, table.index, part_of(step, 0.0, share))
    out = {}
    for i, c in enumerate(columns, 1):
        out[c] = _take_found(table[c], pos, keys.index, part_of(step, share * i, share * (i + 1)))
        checkpoint()
    return out


def part_of(step: Callable[[float], None] | None, lo: float, hi: float) -> Callable[[float], None] | None:
    """``step`` for a part of the work: its 0..1 reported as ``lo..hi`` of the whole."""
    if step is None:
        return None
    return lambda done: step(hi if done >= 1.0 else lo + (hi - lo) * done)  # exact at the end


_NULLABLE = {"b": "boolean", "i": "Int64", "u": "UInt64"}  # numpy kind -> pandas nullable dtype


def _take_found(
    values: pd.Series, pos: np.ndarray, index: pd.Index, step: Callable[[float], None] | None = None
) -> pd.Series:
    """``values`` at ``pos``, NA where ``pos`` is -1, on ``index``."""
    if not len(values):
        # numpy bool and int hold no missing value (bool would make every cell False: an
        # empty topics table wrote Active "false"); their nullable kin keep the cells empty
        dtype = (
            _NULLABLE.get(values.dtype.kind, values.dtype)
            if isinstance(values.dtype, np.dtype)
            else values.dtype
        )
        return pd.Series(pd.array([None] * len(pos), dtype=dtype), index=index)
    return take_rows(values, pos, index, step)


def take_rows(
    values: pd.Series, rows: np.ndarray, index: pd.Index, step: Callable[[float], None] | None = None
) -> pd.Series:
    """``values.take(rows)`` on ``index``; a row of -1 gives a missing value.

    pandas' own ``take``: taking a text column through Arrow here (in blocks, or whole
    with a null mask) cost 1.3 GiB more at the peak of the ten-million-row message
    export, over the 8 GiB budget; blanking missing rows afterwards (``where``) cost
    another copy and held the GIL. Cancel is checked and ``step(1.0)`` reported after.
    """
    if is_identity(rows, len(values)):  # e.g. every message of a dump in time order
        return values.set_axis(index)  # copy-on-write: the dump's column is never changed
    missing = rows < 0
    if _is_arrow_str(values) and len(rows) > TAKE_BLOCK:
        return _take_text_in_blocks(values, rows, missing, index, step)
    if not missing.any():
        out = values.take(rows).set_axis(index)
    elif _is_arrow_str(values):  # one missing value appended for the -1 rows: no second pass
        blank = pd.Series([None], dtype=values.dtype)
        values = pd.concat([values.reset_index(drop=True), blank], ignore_index=True)
        out = values.take(np.where(missing, len(values) - 1, rows)).set_axis(index)
    else:  # numpy dtypes have no missing value of their own: where() widens them as before
        out = values.take(np.where(missing, 0, rows)).set_axis(index).where(~missing)
    checkpoint()
    if step is not None:
        step(1.0)
    return out


TAKE_BLOCK = 1 << 20  # rows of a long text column taken at a time, with progress in between


def is_identity(rows: np.ndarray, n: int) -> bool:
    """Is ``rows`` exactly 0, 1, ..., n-1? Dumps are usually written in time order, so the
    timeline's order of their messages and events is their own: taking them in it is a
    copy of every column for nothing (a quarter of a whole-range export at 1M)."""
    if len(rows) != n:
        return False
    if n == 0:
        return True
    return bool(rows[0] == 0 and rows[-1] == n - 1 and np.all(rows[1:] > rows[:-1]))


def _take_text_in_blocks(
    values: pd.Series,
    rows: np.ndarray,
    missing: np.ndarray,
    index: pd.Index,
    step: Callable[[float], None] | None,
) -> pd.Series:
    """``take_rows`` of a long Arrow text column, a block of rows at a time.

    One take of ten million conversation URLs ran 2-4 s in the window (cold memory, the
    cache being saved beside it) with no progress and no Cancel. The blocks become the
    chunks of the result, without a copy (joining them would double the column at the
    export's peak). Rows in their own order (all messages, in time order) are the
    column itself, as pandas' take gives them: copying ten million message texts put
    the message export 1.3 GiB over its budget. A short source (a million
    conversations for ten million rows) is made one chunk first, which is cheap and
    spares joining its chunks for every block; a long one is taken from its chunks.
    """
    data = arrow_of(values)
    if isinstance(data, pa.ChunkedArray) and data.num_chunks > 1 and 4 * len(data) <= len(rows):
        data = data.combine_chunks()
    pieces = []
    n = len(rows)
    for start in range(0, n, TAKE_BLOCK):
        stop = min(start + TAKE_BLOCK, n)
        block, gap = rows[start:stop], missing[start:stop]
        taken = data.take(pa.array(block, mask=gap) if gap.any() else block)
        pieces.extend(taken.chunks if isinstance(taken, pa.ChunkedArray) else [taken])
        checkpoint()
        if step is not None:
            step(stop / n)
    del data
    out = pd.arrays.ArrowStringArray(pa.chunked_array(pieces, type=pieces[0].type), dtype=values.dtype)
    return pd.Series(out, index=index, copy=False)


def take_frame(frame: pd.DataFrame, rows: np.ndarray, step: Callable[[float], None]) -> pd.DataFrame:
    """``frame.iloc[rows]`` on a fresh RangeIndex, one column at a time with ``step`` in
    between: a long frame taken whole holds a worker for a second or more."""
    index = pd.RangeIndex(len(rows))
    columns = {}
    for i, name in enumerate(frame.columns):
        columns[name] = take_rows(frame[name], rows, index)
        step((i + 1) / len(frame.columns))
    return pd.DataFrame(columns, index=index, columns=frame.columns)


def first_in_group(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(each group, position of its first row), groups ascending; by a stable sort, which
    releases the GIL (``np.unique(return_index=True)`` would do, but promises no order
    among equal values)."""
    order, start = group_order(groups)
    return groups[order][start], order[start]


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique without its hashing path (numpy 2.4 holds the GIL there): sort, then mask."""
    s = np.sort(values)
    if len(s):
        s = s[np.r_[True, s[1:] != s[:-1]]]
    return s


def first_at_or_after(
    left_group: np.ndarray,
    left_time: np.ndarray,
    right_group: np.ndarray,
    right_time: np.ndarray,
    step: Callable[[float], None] | None = None,
) -> np.ndarray:
    """For each left row, the first right row of the same group whose time is >= the left time.

    Returns positions into the right arrays, -1 where there is none. Among right rows
    with equal group and time the earliest position wins (the right arrays are in reading
    order within a time). ``merge_asof`` does this too, but holds the GIL for a quarter
    of a second at ten million rows; this is numpy sorts and ``searchsorted`` on one
    int64 key (dense group rank × number of distinct times + time rank), which release it.
    Groups and times are int64 (conversation/agent codes, epoch milliseconds).
    """
    if not len(left_group) or not len(right_group):
        return np.full(len(left_group), -1, dtype=np.int64)
    step = step or (lambda done: checkpoint())  # each numpy call below takes 0.1-0.3 s at full size
    groups = _sorted_unique(np.concatenate([left_group, right_group]))
    step(0.15)
    times = _sorted_unique(np.concatenate([left_time, right_time]))
    step(0.3)
    span = np.int64(len(times))
    key_r = np.searchsorted(groups, right_group).astype(np.int64) * span + np.searchsorted(times, right_time)
    step(0.45)
    group_l = np.searchsorted(groups, left_group).astype(np.int64)
    key_l = group_l * span + np.searchsorted(times, left_time)
    step(0.6)
    order = np.argsort(key_r, kind="stable")
    sorted_r = key_r[order]
    step(0.8)
    j = np.minimum(np.searchsorted(sorted_r, key_l, side="left"), len(sorted_r) - 1)
    step(0.95)
    found = (sorted_r[j] >= key_l) & (sorted_r[j] // span == group_l)
    return np.where(found, order[j], -1)
