"""First response time counted in a channel's business hours (exports.md, "Business hours").

An instant is open when its local wall-clock time, in a business-hours row's zone, falls
in ``[start, end)`` of a row for that local weekday and its local date is not a holiday.

The open time between two UTC instants is computed without a loop over conversations:

- ``C(x)``: open milliseconds of *local wall-clock* time up to naive local ``x``, from the
  sorted open intervals of every local day in the span (cumulative sums + searchsorted);
- between two DST transitions the zone's offset ``o`` is constant and local time is
  ``t + o``, so ``G(t)``, the open milliseconds up to UTC instant ``t``, is ``C(t + o)``
  plus what the earlier offset segments contributed. A skipped hour is never reached by
  any ``t + o``; a repeated hour is reached by two segments and counts twice, exactly as
  the spec asks.
- open time over ``[t0, t1)`` is ``G(t1) - G(t0)``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from sparkdesk.dump.schema import WEEKDAYS
from sparkdesk.exports.grouping import ms_ints

MS_PER_MIN = 60_000
MS_PER_DAY = 86_400_000
HOUR = 3_600_000
_MARGIN = dt.timedelta(days=2)  # local days computed around the instants asked about


def _offsets_ms(instants_ms: np.ndarray, tz: str) -> np.ndarray:
    """UTC offset (ms) in force at each UTC instant."""
    utc = pd.DatetimeIndex(instants_ms.astype("datetime64[ms]")).as_unit("ms").tz_localize("UTC")
    local = utc.tz_convert(ZoneInfo(tz)).tz_localize(None).as_unit("ms")
    return (local.asi8 - utc.tz_localize(None).asi8).astype(np.int64)


def zone_segments(tz: str, lo_ms: int, hi_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """Transitions T (UTC ms, sorted) in [lo, hi] and the offsets of the len(T)+1 segments.

    Offsets are sampled hourly and each change is located to the millisecond by
    bisection; a loop over transitions (two a year), never over rows.
    """
    hours = np.arange(lo_ms - HOUR, hi_ms + 2 * HOUR, HOUR, dtype=np.int64)
    off = _offsets_ms(hours, tz)
    changes = np.nonzero(off[1:] != off[:-1])[0]
    transitions = []
    for i in changes:
        a, b = int(hours[i]), int(hours[i + 1])  # offset(a) != offset(b)
        oa = off[i]
        while b - a > 1:
            m = (a + b) // 2
            if _offsets_ms(np.array([m]), tz)[0] == oa:
                a = m
            else:
                b = m
        transitions.append(b)
    offsets = np.concatenate([off[:1], off[changes + 1]]) if len(off) else np.zeros(1, np.int64)
    return np.array(transitions, dtype=np.int64), offsets.astype(np.int64)


def _merged_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Per weekday, merge overlapping or touching [start, end) minute ranges."""
    r = rows.sort_values(["weekday", "start", "end"], kind="stable")
    r = r.assign(start=r["start"].astype(np.int64), end=r["end"].astype(np.int64))
    run_end = r.groupby("weekday", sort=False)["end"].cummax()
    prev_end = run_end.groupby(r["weekday"], sort=False).shift(1)
    new_run = prev_end.isna() | (r["start"] > prev_end)
    run = new_run.cumsum()
    return r.groupby(run).agg(weekday=("weekday", "first"), start=("start", "min"), end=("end", "max"))


def _local_open_intervals(rows: pd.DataFrame, holidays: set[str], d0: dt.date, d1: dt.date):
    """Sorted open intervals in naive local ms for every local day d0..d1 (inclusive)."""
    days = pd.date_range(d0, d1, freq="D")
    day_frame = pd.DataFrame(
        {"day_ms": days.as_unit("ms").asi8, "weekday": np.array(WEEKDAYS)[days.day_of_week]}
    )
    day_frame = day_frame[~pd.Index(days.strftime("%Y-%m-%d")).isin(holidays)]
    merged = _merged_rows(rows)
    iv = day_frame.merge(merged, on="weekday", how="inner")
    starts = (iv["day_ms"] + iv["start"] * MS_PER_MIN).to_numpy(np.int64)
    ends = (iv["day_ms"] + iv["end"] * MS_PER_MIN).to_numpy(np.int64)
    order = np.argsort(starts, kind="stable")
    return starts[order], ends[order]


def _cumulative(starts: np.ndarray, ends: np.ndarray):
    lens = ends - starts
    before = np.concatenate([[0], np.cumsum(lens)[:-1]]) if len(lens) else np.zeros(0, np.int64)

    def c(x: np.ndarray) -> np.ndarray:
        if not len(starts):
            return np.zeros(len(x), np.int64)
        i = np.searchsorted(starts, x, side="right") - 1
        ic = np.clip(i, 0, None)
        val = before[ic] + np.clip(x - starts[ic], 0, lens[ic])
        return np.where(i < 0, 0, val)

    return c


SPLIT_SPAN = 4 * 366 * MS_PER_DAY  # instants spread wider are computed in clusters
CLUSTER_GAP = 7 * MS_PER_DAY  # pairs this far from any other form a cluster of their own


def open_ms_one_zone(
    t0: np.ndarray, t1: np.ndarray, tz: str, rows: pd.DataFrame, holidays: set[str]
) -> np.ndarray:
    """Open milliseconds in [t0, t1) (UTC ms arrays) for one channel's rows in one zone.

    The work grows with the time spanned (every local day, the offset every hour), not
    with the rows: pairs far apart in time (a few in the year 1 and the rest in 2025)
    are computed cluster by cluster, each over its own span only.
    """
    ends = np.maximum(t0, t1)
    if int(ends.max()) - int(t0.min()) <= SPLIT_SPAN:
        return _open_ms_span(t0, t1, tz, rows, holidays)
    order = np.argsort(t0, kind="stable")
    reach = np.maximum.accumulate(ends[order])
    breaks = np.flatnonzero(t0[order][1:] > reach[:-1] + CLUSTER_GAP) + 1
    out = np.zeros(len(t0), np.int64)
    for part in np.split(order, breaks):  # a loop over clusters, not rows
        out[part] = _open_ms_span(t0[part], t1[part], tz, rows, holidays)
    return out


def _open_ms_span(
    t0: np.ndarray, t1: np.ndarray, tz: str, rows: pd.DataFrame, holidays: set[str]
) -> np.ndarray:
    """``open_ms_one_zone`` over one span: every local day and every hour's offset in it."""
    lo, hi = int(t0.min()), int(max(t1.max(), t0.max()))
    zone = ZoneInfo(tz)
    # two days' margin, but no further than the days Python can name (instants are read
    # only while their local date, in any zone, stays within them)
    d0 = max(pd.Timestamp(lo, unit="ms", tz="UTC").tz_convert(zone).date(), dt.date.min + _MARGIN) - _MARGIN
    d1 = min(pd.Timestamp(hi, unit="ms", tz="UTC").tz_convert(zone).date(), dt.date.max - _MARGIN) + _MARGIN
    c = _cumulative(*_local_open_intervals(rows, holidays, d0, d1))
    trans, offs = zone_segments(tz, lo, hi)
    # base[k]: open ms before the start of segment k (segment 0 starts at -inf: base 0,
    # and its contribution is measured from C's origin).
    base = np.zeros(len(offs), np.int64)
    seg_start_local = np.zeros(len(offs), np.int64)
    for k in range(1, len(offs)):  # a loop over DST transitions, not rows
        prev_start = trans[k - 2] + offs[k - 1] if k >= 2 else None
        end_prev = c(np.array([trans[k - 1] + offs[k - 1]]))[0]
        start_prev = c(np.array([prev_start]))[0] if prev_start is not None else 0
        base[k] = base[k - 1] + end_prev - start_prev
        seg_start_local[k] = c(np.array([trans[k - 1] + offs[k]]))[0]

    def g(t: np.ndarray) -> np.ndarray:
        k = np.searchsorted(trans, t, side="right")
        return base[k] + c(t + offs[k]) - seg_start_local[k]

    return g(t1) - g(t0)


def business_ms(
    channel_id: pd.Series, t0: pd.Series, t1: pd.Series, business_hours: pd.DataFrame, holidays: pd.DataFrame
) -> pd.Series:
    """Open milliseconds between t0 and t1 per row; wall-clock where the channel has no hours.

    Rows with a missing t0 or t1 give NA. A channel whose rows name several zones gets the
    sum over its zones (the spec assumes one zone per channel).
    """
    valid = (t0.notna() & t1.notna()).to_numpy(bool)
    out = pd.Series(pd.NA, index=t0.index, dtype="Int64")
    if not valid.any():
        return out
    a = ms_ints(t0[valid])
    b = ms_ints(t1[valid])
    result = b - a
    channels = channel_id[valid]
    codes, names = pd.factorize(channels)  # Arrow dictionary encoding: no Python string per row
    if len(business_hours):
        staffed = channels.isin(business_hours["channel_id"].unique()).to_numpy(bool)
        result[staffed] = 0
        hol = holidays.groupby("channel_id")["date"].agg(lambda s: set(s.dropna())).to_dict()
        # a loop over channels and zones (a handful), never over conversations
        for (cid, tz), rows in business_hours.groupby(["channel_id", "timezone"], sort=True):
            k = names.get_indexer([cid])[0] if len(names) else -1
            sel = codes == k if k >= 0 else np.zeros(len(codes), dtype=bool)
            if sel.any():
                result[sel] += open_ms_one_zone(a[sel], b[sel], tz, rows, hol.get(cid, set()))
    out[valid] = result
    return out
