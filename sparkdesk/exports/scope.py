"""The user's filters made concrete: the instant range R, the selected conversations."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sparkdesk.dump.model import Dump
from sparkdesk.exports.params import (
    ExportParams,
    UnknownChannel,
    default_range,
    local_day_end,
    local_midnight,
)

# The column of a sub-dump's conversations (``plan.sub_dump``) that marks the conversations
# whose rows count; the others are there as context for the lock sessions.
CORE = "_core"


@dataclass(frozen=True)
class Scope:
    """R = [start, end) in UTC, the snapshot S, and the channel selection.

    ``start``/``end`` are None only for an open-conversation export without a range.
    """

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    snapshot: pd.Timestamp
    channels: frozenset[str] | None  # None: every channel
    # computing one part of several (plan.py): keep every key with a figure, and the
    # sums behind each average, so that the parts add up (``plan.merge``)
    partial: bool = False

    def in_range(self, times: pd.Series) -> pd.Series:
        """R.start <= t < R.end; missing times are never in the range."""
        ok = times.notna()
        if self.start is not None:
            ok &= times >= self.start
        if self.end is not None:
            ok &= times < self.end
        return ok.fillna(False).astype(bool)

    def channel_ok(self, channel_ids: pd.Series) -> pd.Series:
        if self.channels is None:
            return pd.Series(np.ones(len(channel_ids), dtype=bool), index=channel_ids.index)
        return channel_ids.isin(self.channels).fillna(False).astype(bool)


def make_scope(dump: Dump, params: ExportParams, *, range_optional: bool = False) -> Scope:
    """Turn the params into a Scope; raise UnknownChannel for a channel id nobody knows."""
    channels = None
    if params.channels:
        known = set(dump.channels()["channel_id"].dropna())
        unknown = [c for c in params.channels if c not in known]
        if unknown:
            raise UnknownChannel(f"Unknown channel id: {', '.join(unknown)}.")
        channels = frozenset(params.channels)
    first, last = params.first_day, params.last_day
    if range_optional and first is None and last is None:
        return Scope(None, None, dump.snapshot, channels)
    if first is None or last is None:
        span = default_range(dump.time_span(), params.tz)
        if span is None:  # an empty dump: an empty range
            return Scope(dump.snapshot, dump.snapshot, dump.snapshot, channels)
        first = first if first is not None else span[0]
        last = last if last is not None else span[1]
    start = local_midnight(first, params.tz)
    end = local_day_end(last, params.tz)
    return Scope(start, end, dump.snapshot, channels)
