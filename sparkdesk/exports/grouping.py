"""Small vectorised building blocks shared by the metric definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd


def next_in_group(values: pd.Series, groups: list[pd.Series] | pd.Series) -> pd.Series:
    """For each row, the next non-missing ``values`` strictly after it within its group.

    Rows must already be in order inside each group. This is how "the next event of a
    kind" is found without a loop: shift by one, then back-fill within the group.
    """
    shifted = values.groupby(groups, sort=False, dropna=False).shift(-1)
    return shifted.groupby(groups, sort=False, dropna=False).bfill()


def run_starts(keys: pd.Series, groups: pd.Series) -> pd.Series:
    """True where ``keys`` differs from the previous row of the same group (a new run)."""
    prev = keys.groupby(groups, sort=False, dropna=False).shift(1)
    return (prev.isna() | (keys != prev)).fillna(True).astype(bool)


def join_ordered(keys: pd.Series, columns: dict[str, pd.Series], sep: str = ", ") -> pd.DataFrame:
    """Join each column's values per key, in row order, with ``sep``; missing joins as "".

    Loops over the rank within a group (how many values the longest group has), never
    over groups or rows.
    """
    keys = keys.reset_index(drop=True)
    rank = keys.groupby(keys, sort=False).cumcount().to_numpy()
    out = {}
    for name, col in columns.items():
        col = col.reset_index(drop=True).astype("str").fillna("")
        first = rank == 0
        joined = pd.Series(col[first].to_numpy(dtype=object), index=keys[first].to_numpy())
        for r in range(1, int(rank.max()) + 1 if len(rank) else 1):
            part = rank == r
            idx = keys[part].to_numpy()
            joined.loc[idx] = joined.loc[idx].to_numpy() + sep + col[part].to_numpy(dtype=object)
        out[name] = joined.astype("str")
    return pd.DataFrame(out)


def ms(times: pd.Series) -> pd.Series:
    """Milliseconds since the epoch of a datetime64[ms, UTC] series, as Int64 (NA kept)."""
    values = times.astype("datetime64[ms, UTC]")
    out = pd.Series(
        values.to_numpy(dtype="datetime64[ms]").astype(np.int64), index=times.index, dtype="Int64"
    )
    out[values.isna()] = pd.NA
    return out


def duration_ms(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """later - earlier in integer milliseconds, NA where either is missing."""
    return (ms(later) - ms(earlier)).astype("Int64")


def count_by(keys: pd.Series, mask: pd.Series | None = None, name: str = "n") -> pd.Series:
    """Row counts per key, optionally of the rows where ``mask`` holds."""
    if mask is not None:
        keys = keys[mask.to_numpy(bool)]
    return keys.value_counts(sort=False).rename(name)


def nunique_by(keys: pd.Series, values: pd.Series, mask: pd.Series | None = None) -> pd.Series:
    """Distinct non-missing values per key."""
    frame = pd.DataFrame({"k": keys.to_numpy(), "v": values.to_numpy()})
    if mask is not None:
        frame = frame[mask.to_numpy(bool)]
    frame = frame.dropna()
    return frame.drop_duplicates().groupby("k", sort=False).size()


def lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values[key]`` for every row of ``keys`` (NA for a missing or unknown key).

    Unlike ``Series.map`` this keeps ``values``' dtype even when nothing matches (an empty
    reference table must not turn a timestamp column into floats). ``values`` has a unique
    index: reference tables are de-duplicated by key.
    """
    return values.reindex(keys.to_numpy()).set_axis(keys.index)
