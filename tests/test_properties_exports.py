"""Property tests of the exports (Hypothesis): small drawn dumps and filters, see tests/strategies.py.

- no export ever raises, for any of the twelve types, any zone, range and channel subset;
- a channel subset's conversation rows are the whole run's rows of those channels;
- splitting the range into days and joining the per-day rows gives the whole range's rows.

Profiles (registered in tests/conftest.py): "ci" is the default, derandomized, 25 examples
per property. The long run, by hand (thousands of random examples per property; set
HYPOTHESIS_MAX_EXAMPLES to change how many, default 3000):

    cd /work/main && HYPOTHESIS_PROFILE=long SPARKDESK_CACHE_DIR=$(mktemp -d) \\
        QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -q tests/test_properties_*.py \\
        --hypothesis-show-statistics

A failure prints the shrunk example (the drawn DumpSpec, range and channels) and a
``@reproduce_failure`` blob; tests/test_properties_found.py pins the bugs found so far.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import event, given
from hypothesis import strategies as st
from strategies import (
    RANGE_KINDS,
    channel_subsets,
    day_list,
    dump_specs,
    load_or_reject,
    params,
    ranges,
    write_spec,
    zones,
)

from sparkdesk.catalogue import EXPORT_IDS, export_type
from sparkdesk.exports import compute
from sparkdesk.writers import WriteOptions, format_column

# Exports with one row per conversation, message or answered queue entry.
CONVERSATION_EXPORTS = ("resolved-conversation", "open-conversation", "message", "response-times")


def row_ids(type_id: str, frame: pd.DataFrame) -> list[tuple]:
    """What identifies a row of the export (exports.md: one row per ...)."""
    if type_id == "message":
        cols = ["message_id"]
    elif type_id == "response-times":
        cols = ["conversation_id", "queued_at", "replied_at", "outbound_message_id"]
    else:
        cols = ["conversation_id"]
    return list(frame[cols].itertuples(index=False, name=None))


def drawn_dump(data, **kw):
    """(spec, dump): a drawn dump written to a temporary folder and loaded."""
    spec = data.draw(dump_specs(**kw), label="dump")
    with tempfile.TemporaryDirectory() as tmp:
        dump = load_or_reject(write_spec(spec, Path(tmp) / "dump"))
    return spec, dump


def same_frame(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    pd.testing.assert_frame_equal(
        got.reset_index(drop=True), want.reset_index(drop=True), check_index_type=False, obj=what
    )


@given(data=st.data())
def test_no_export_ever_raises(data):
    """Every type computes a table of the catalogue's columns, and every cell formats."""
    spec, dump = drawn_dump(data)
    tz = data.draw(st.one_of(st.just(spec.tz), zones()), label="tz")
    rng = data.draw(ranges(spec), label="range")
    channels = data.draw(st.one_of(st.just(()), channel_subsets(dump)), label="channels")
    content = data.draw(st.booleans(), label="include_content")
    options = WriteOptions(
        tz=tz, time_format=data.draw(st.sampled_from(("local", "iso")), label="time format")
    )
    for type_id in EXPORT_IDS:
        table = compute(dump, params(type_id, tz, rng, channels, content))
        export = export_type(type_id)
        assert list(table.columns) == export.keys, type_id
        event(f"{type_id}: {'rows' if len(table) else 'empty'}")
        for col in export.columns:
            text = format_column(table[col.key], col.kind, options)
            assert len(text) == len(table) and not text.isna().any(), (type_id, col.key)


@given(data=st.data())
def test_a_channel_subset_keeps_exactly_its_conversations_rows(data):
    """Conversation-level rows do not depend on the channel filter (lock sessions are built
    before it): the subset's rows are the whole run's rows of the selected channels, in order."""
    spec, dump = drawn_dump(data)
    subset = data.draw(channel_subsets(dump), label="channels")
    rng = data.draw(ranges(spec, kinds=RANGE_KINDS[:-1]), label="range")
    conversations = dump.tables["conversations"]
    channel_of = dict(zip(conversations["conversation_id"], conversations["channel_id"], strict=True))
    for type_id in CONVERSATION_EXPORTS:
        whole = compute(dump, params(type_id, spec.tz, rng))
        part = compute(dump, params(type_id, spec.tz, rng, subset))
        missing = set(row_ids(type_id, part)) - set(row_ids(type_id, whole))
        assert not missing, f"{type_id}: rows of the subset {subset} not in the whole run: {missing}"
        keep = whole["conversation_id"].map(channel_of).isin(subset).to_numpy(bool)
        same_frame(part, whole[keep], f"{type_id} for channels {subset}")


SPLIT_EXPORTS = ("resolved-conversation", "message", "open-conversation", "response-times")


@given(data=st.data())
def test_splitting_the_range_into_days_gives_the_same_rows(data):
    """Days are consecutive half-open intervals, so per-day rows joined in day order are the
    whole range's rows (by id and in full), whatever the zone's daylight saving does."""
    spec, dump = drawn_dump(data)
    rng = data.draw(ranges(spec, kinds=("around", "around", "single", "outside", "default")), label="range")
    first, last = rng.first, rng.last
    if first is None:
        span = dump.time_span()  # the default range: the days of the earliest and latest instants
        if span is None:
            return
        first, last = (t.tz_convert(spec.tz).date() for t in span)
        if (last - first).days > 6:
            return  # a default range reaching far instants: too many days to split
    days = day_list(first, last)
    for type_id in SPLIT_EXPORTS:
        whole = compute(dump, params(type_id, spec.tz, rng))
        parts = [compute(dump, params(type_id, spec.tz, type(rng)(d, d, "day"))) for d in days]
        joined = pd.concat(parts, ignore_index=True) if parts else whole.iloc[:0]
        assert row_ids(type_id, joined) == row_ids(type_id, whole), f"{type_id} over {days}"
        same_frame(joined.astype(whole.dtypes.to_dict()), whole, f"{type_id} joined by day")


def test_row_ids_are_unique_in_a_known_dump(tmp_path):
    """The ids the properties compare by identify rows (a sanity check of ``row_ids``)."""
    from dumpkit import at, conv, inbound, make, queued, reply, resolve

    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2", channel="ch2")],
            "messages": [
                inbound("m1", "c1", at("09:01:00.000")),
                reply("m2", "c1", at("09:02:00.000"), "u1", "t1"),
                inbound("m3", "c2", at("09:03:00.000")),
            ],
            "conversation_events": [
                queued("c1", at("09:01:00.000"), "NEW_INBOUND_MESSAGE"),
                resolve("c1", at("09:05:00.000"), "u1", "t1"),
            ],
        },
    )
    from dumpkit import export

    for type_id, n in (
        ("resolved-conversation", 1),
        ("open-conversation", 1),
        ("message", 3),
        ("response-times", 1),
    ):
        ids = row_ids(type_id, export(dump, type_id, "2025-03-10"))
        assert len(ids) == n == len(set(ids)), type_id
    assert np.array_equal(
        [c for (c,) in row_ids("message", export(dump, "message", "2025-03-10"))], ["m1", "m2", "m3"]
    )
