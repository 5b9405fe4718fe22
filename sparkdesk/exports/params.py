"""The user's choices for one export: type, time zone, date range, channels, content."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd


class UnknownChannel(ValueError):
    """A --channel id that is neither in `channels` nor any conversation's channel_id."""


@dataclass(frozen=True)
class ExportParams:
    type: str
    tz: str = "UTC"
    first_day: dt.date | None = None  # None: the default range (first day with data)
    last_day: dt.date | None = None  # inclusive; None: last day with data
    channels: tuple[str, ...] = ()  # empty: every channel
    include_content: bool = True


def local_midnight(day: dt.date, tz: str) -> pd.Timestamp:
    """The first instant of ``day`` in ``tz``, as a UTC timestamp.

    Where local midnight does not exist (a DST gap) the day starts at the first instant
    after the gap; where it happens twice (a fold) at its first occurrence.
    """
    naive = pd.Timestamp(day.year, day.month, day.day)
    ts = naive.tz_localize(ZoneInfo(tz), ambiguous=True, nonexistent="shift_forward")
    return ts.tz_convert("UTC").as_unit("ms")


def local_day_end(day: dt.date, tz: str) -> pd.Timestamp:
    """The first instant after ``day`` in ``tz`` (the next day's ``local_midnight``), as UTC.

    The day after 9999-12-31 has no ``date``, and zoneinfo cannot place its midnight:
    the end of 9999-12-31 is then one millisecond after its last millisecond, read at
    the offset in force then (10000-01-01T12:00Z in Etc/GMT+12).
    """
    if day < dt.date.max:
        return local_midnight(day + dt.timedelta(days=1), tz)
    last = dt.datetime(9999, 12, 31, 23, 59, 59, 999000)
    offset = ZoneInfo(tz).utcoffset(last) or dt.timedelta(0)
    ms = (last - dt.datetime(1970, 1, 1) - offset) // dt.timedelta(milliseconds=1) + 1
    return pd.Timestamp(np.datetime64(ms, "ms")).tz_localize("UTC")


def default_range(span: tuple[pd.Timestamp, pd.Timestamp] | None, tz: str) -> tuple[dt.date, dt.date] | None:
    """From the day of the earliest to the day of the latest timestamp, read in ``tz``.

    ``span`` is the dump's ``time_span()``: its earliest and latest UTC instants (None
    for a dump without dated rows, which has no default range).
    """
    if span is None:
        return None
    lo, hi = (t.tz_convert(ZoneInfo(tz)) for t in span)
    return lo.date(), hi.date()
