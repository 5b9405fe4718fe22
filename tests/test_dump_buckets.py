"""The buckets of a staged import's largest tables (dump/buckets.py): equal keys must land
in one bucket whatever the blocks they were read in; the rest of the rules are checked by
tests/test_dump_staged.py, which compares staged imports in many buckets with imports in memory."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from sparkdesk.dump import buckets
from sparkdesk.dump.containers import DumpSource, TableFile


def test_equal_texts_hash_alike_whatever_their_array():
    values = ["m-000000001", "", None, "m-000000001", "ünïcode ✓", "x" * 200]
    whole = buckets.string_hash(pa.array(values))
    assert whole[0] == whole[3]
    assert whole[2] == 0  # a null
    assert len(set(whole[[0, 1, 4, 5]].tolist())) == 4
    sliced = buckets.string_hash(pa.array(values).slice(3))
    chunked = buckets.string_hash(pa.chunked_array([pa.array(values[:2]), pa.array(values[2:])]))
    narrow = buckets.string_hash(pa.array(values, pa.string()))
    np.testing.assert_array_equal(sliced, whole[3:])
    np.testing.assert_array_equal(chunked, whole)
    np.testing.assert_array_equal(narrow, whole)


@given(st.lists(st.text(max_size=80), min_size=1, max_size=60), st.integers(0, 59))
def test_a_text_hashes_the_same_in_any_block(texts, cut):
    cut = min(cut, len(texts))
    together = buckets.string_hash(pa.array(texts))
    apart = np.concatenate(
        [buckets.string_hash(pa.array(texts[:cut])), buckets.string_hash(pa.array(texts[cut:]))]
    )
    np.testing.assert_array_equal(together, apart)
    for i, t in enumerate(texts):
        assert together[i] == together[texts.index(t)]


def test_sequential_ids_spread_over_the_buckets():
    ids = pa.array([f"m-{i:09d}" for i in range(100_000)])
    which = buckets.bucket_of("messages", pa.table({"message_id": ids}), 16)
    counts = np.bincount(which, minlength=16)
    assert counts.min() > 0.8 * 100_000 / 16 and counts.max() < 1.2 * 100_000 / 16


def test_an_event_without_an_id_is_bucketed_by_its_conversation():
    events = pa.table(
        {
            "event_id": pa.array([None, "e1", None], pa.large_string()),
            "conversation_id": pa.array(["c7", "c7", "c7"], pa.large_string()),
        }
    )
    alone = pa.table({"event_id": pa.array(["c7"], pa.large_string()), "conversation_id": ["x"]})
    which = buckets.bucket_of("conversation_events", events, 64)
    assert which[0] == which[2] == buckets.bucket_of("conversation_events", alone, 64)[0]


def _source(sizes: dict[str, int]) -> DumpSource:
    files = [
        TableFile(
            table=t, path=f"{t}.csv", label=f"{t}.csv", fmt="csv", gz=False, size=n, open_binary=io.BytesIO
        )
        for t, n in sizes.items()
    ]
    return DumpSource(label="d", files=files)


def test_the_bucket_count_follows_the_input_and_tags_share_the_messages():
    mib = 2**20
    counts = buckets.plan([_source({"messages": 300 * mib, "conversation_events": 100 * mib})])
    assert counts == {"messages": 3, "message_tags": 3, "conversation_events": 1}
    assert buckets.plan([_source({})]) == {"messages": 1, "message_tags": 1, "conversation_events": 1}


def test_a_lookup_finds_exact_positions_and_nothing_else():
    known = pa.array(["c1", "c2", "c3", "ü"], pa.large_string())
    lookup = buckets.Lookup(known)
    values = pa.chunked_array([pa.array(["c3", None, "c9"]), pa.array(["ü", "c1", ""])])
    np.testing.assert_array_equal(lookup.index(values), [2, -1, -1, 3, 0, -1])
    np.testing.assert_array_equal(lookup.absent(values), [False, True, True, False, False, True])
    assert lookup.exact


def test_a_lookup_of_texts_hashing_alike_falls_back_to_arrow(monkeypatch):
    """Two known texts with one hash: looked up by Arrow's hashing instead, still exact."""
    monkeypatch.setattr(buckets, "string_hash", lambda values: np.zeros(len(values), np.uint64))
    lookup = buckets.Lookup(pa.array(["c1", "c2"]))
    assert not lookup.exact
    np.testing.assert_array_equal(lookup.index(pa.array(["c2", "c1", "c3"])), [1, 0, -1])
