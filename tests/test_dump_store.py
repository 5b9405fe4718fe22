"""Reading a cached dump selectively (sparkdesk/dump/store.py, issue 14 item 2).

The promise: an export of a dump opened from the cache, which reads only the rows of the
conversations its range needs (or reads them in parts, one at a time, under a memory
budget), is cell for cell the export of the same dump read into memory whole. And a
question over a few days never reads the big tables whole.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparkdesk.catalogue import EXPORT_IDS
from sparkdesk.dump import load_dumps, wait_for_saves
from sparkdesk.dump.store import csr, gather
from sparkdesk.exports import ExportParams, compute
from sparkdesk.exports.plan import (
    PROCESS_BYTES,
    ROW_TABLES,
    STORE_FACTOR,
    STORE_OVERHEAD,
    StoreParts,
    dump_bytes,
    estimate_part,
    estimate_peak,
    make_plan,
    narrow_dump,
    narrow_from_store,
    parts_for,
    result_reserve,
)
from sparkdesk.exports.scope import make_scope
from sparkdesk.memory import MemoryLimitTooSmall
from sparkdesk.resources import bundled_demo_path

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
BIG = ("conversations", "messages", "conversation_events", "message_tags", "csat_surveys")


def same(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    pd.testing.assert_frame_equal(got, want, obj=what)


def cached(paths: list[Path]):
    """The dump as the cache gives it back: saved by a first load, opened by a second."""
    load_dumps(paths)
    assert wait_for_saves(60)
    dump = load_dumps(paths)
    assert dump.store is not None, "the second load came from the cache"
    return dump


@pytest.fixture(scope="module")
def conformance_pair():
    if not CONFORMANCE.exists():
        pytest.skip("the conformance sets are not next to this checkout")
    paths = [CONFORMANCE / "dump"]
    return load_dumps(paths, cache=False), cached(paths)


@pytest.fixture(scope="module")
def demo_pair():
    paths = [bundled_demo_path()]
    return load_dumps(paths, cache=False), cached(paths)


def _conformance_params() -> list:
    sets = json.loads((CONFORMANCE / "params.json").read_text()) if CONFORMANCE.exists() else []
    return [pytest.param(ps, t, id=f"{ps['name']}-{t}") for ps in sets for t in EXPORT_IDS]


def _params(ps: dict, type_id: str) -> ExportParams:
    day = dt.date.fromisoformat
    return ExportParams(
        type_id,
        ps["tz"],
        day(ps["from"]) if ps.get("from") else None,
        day(ps["to"]) if ps.get("to") else None,
        tuple(ps.get("channels", ())),
    )


@pytest.mark.parametrize(("ps", "type_id"), _conformance_params())
def test_the_cached_dump_read_selectively_or_in_parts_gives_the_whole_result(conformance_pair, ps, type_id):
    memory, from_cache = conformance_pair
    p = _params(ps, type_id)
    whole = compute(memory, p)
    same(compute(from_cache, p), whole, f"{type_id} from the cache")
    same(compute(from_cache, p, parts=5), whole, f"{type_id} in 5 parts read from the cache")


@pytest.mark.parametrize("type_id", EXPORT_IDS)
def test_a_budget_that_asks_for_parts_gives_the_whole_result(conformance_pair, type_id):
    memory, from_cache = conformance_pair
    p = ExportParams(type_id, "Europe/Madrid")
    rows = dump_bytes(from_cache, ROW_TABLES)
    base = PROCESS_BYTES + dump_bytes(from_cache) - rows + STORE_OVERHEAD * from_cache.store.conversations
    # room for half the dump at a time, beside the rows a per-row export keeps to the end
    limit = int(base + STORE_FACTOR * rows / 2) + result_reserve(from_cache, type_id, 1.0)
    scope = make_scope(from_cache, p, range_optional=True)
    plan = make_plan(from_cache, scope, type_id, memory_limit=limit)
    whole = estimate_peak(from_cache, from_cache.store.conversations, narrowed=False)
    if type_id != "user-presence" and whole > limit:  # two parts, or more if the lock context swells one
        parts = plan.parts
        assert isinstance(parts, StoreParts) and parts.n >= 2
        biggest = max(parts.kept(i) for i in range(parts.n)) / from_cache.store.conversations
        assert parts_for(from_cache, biggest, limit) == 1
    same(compute(from_cache, p, memory_limit=limit), compute(memory, p), f"{type_id} under {limit} bytes")


def test_one_day_reads_a_few_conversations_and_never_a_big_table_whole(demo_pair):
    memory, from_cache = demo_pair
    span = memory.time_span()
    day = span[0].tz_convert("America/New_York").date() + dt.timedelta(days=9)
    for type_id in EXPORT_IDS:
        p = ExportParams(type_id, "America/New_York", day, day)
        same(compute(from_cache, p), compute(memory, p), f"{type_id} on {day}")
    assert not set(BIG) & set(from_cache.tables.opened()), from_cache.tables.opened()
    # the day's conversations (and, for the contact export, their contacts' others), read
    # once each and kept for the next export over the same day
    sizes = [len(d.tables["conversations"]) for d in from_cache._narrowed.values()]
    assert len(sizes) == 2 and all(0 < n < len(memory.tables["conversations"]) / 4 for n in sizes), sizes


def test_a_whole_range_export_reads_the_tables_whole_as_before(demo_pair):
    memory, from_cache = demo_pair
    scope = make_scope(from_cache, ExportParams("team", "UTC"))
    assert make_plan(from_cache, scope, "team").whole


def test_opening_a_cached_dump_reads_no_table_and_knows_its_span_channels_and_rows(demo_pair):
    memory, _ = demo_pair
    from_cache = load_dumps([bundled_demo_path()])
    assert from_cache.tables.opened() == []
    assert from_cache.time_span() == memory.time_span()
    same(from_cache.channels(), memory.channels(), "channels")
    assert {n: from_cache.rows(n) for n in memory.tables} == {n: len(t) for n, t in memory.tables.items()}
    assert from_cache.tables.opened() == []


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_the_rows_read_for_any_conversations_are_narrow_dump_s(demo_pair, data):
    memory, from_cache = demo_pair
    n = len(memory.tables["conversations"])
    picked = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), max_size=40))), np.int64)
    ids = pa.array(memory.tables["conversations"]["conversation_id"].iloc[picked].tolist(), pa.large_string())
    want, got = narrow_dump(memory, ids), narrow_from_store(from_cache, picked)
    assert list(got.tables) == list(want.tables)
    for name in want.tables:
        same(got.tables[name], want.tables[name].reset_index(drop=True), name)


def test_parts_read_from_the_cache_hold_whole_contacts_once(demo_pair):
    memory, from_cache = demo_pair
    parts = StoreParts(from_cache, None, 5)
    contact = memory.tables["conversations"]["contact_id"].to_numpy()
    groups = [parts.ids(p) for p in range(parts.n)]
    assert sorted(np.concatenate(groups).tolist()) == list(range(len(contact)))
    owners = [set(contact[g]) for g in groups]
    for i, a in enumerate(owners):
        for b in owners[i + 1 :]:
            assert not a & b


# ----- the index, by hand ------------------------------------------------------------------------


def test_csr_groups_rows_by_conversation_in_reading_order():
    order, start = csr(np.array([2, 0, -1, 2, 0, 1]), 4)
    assert order.tolist() == [1, 4, 5, 0, 3]
    assert start.tolist() == [0, 2, 3, 5, 5]
    assert gather(order, start, np.array([0, 2])).tolist() == [0, 1, 3, 4]
    assert gather(order, start, np.array([3])).tolist() == []
    assert gather(order, start, np.array([], np.int64)).tolist() == []


_TABLES = {
    "channels.csv": "channel_id,medium,name,display_name\nch,WEB,Web,Web\n",
    "users.csv": "user_id,name,email,reference\nu1,Ann,a@x,A\n",
    "contacts.csv": "contact_id,medium,primary_identifier,secondary_identifier,updated_at\nk1,WEB,p1,,\nk2,WEB,p2,,\n",
    "conversations.csv": "conversation_id,channel_id,contact_id,created_at\n"
    "old,ch,k1,2025-01-01T10:00:00Z\n"  # created long before, a message in R
    "tagged,ch,k2,2025-01-02T10:00:00Z\n"  # created long before, a tag in R
    "inside,ch,k1,2025-03-10T10:00:00Z\n"  # created in R
    "after,ch,k2,2025-04-01T10:00:00Z\n",  # nothing in R
    "messages.csv": "message_id,conversation_id,created_at,direction,author_type,author_id,text\n"
    "m1,old,2025-01-01T10:00:01Z,INBOUND,CONTACT,k1,hi\n"
    "m2,old,2025-03-10T11:00:00Z,INBOUND,CONTACT,k1,again\n"
    "m3,tagged,2025-01-02T10:00:01Z,INBOUND,CONTACT,k2,hi\n"
    "m4,inside,2025-03-10T10:00:01Z,INBOUND,CONTACT,k1,hi\n",
    "message_tags.csv": "message_id,tag_id,at,action,user_id\nm3,t1,2025-03-10T12:00:00Z,ADDED,u1\n",
    "tags.csv": "tag_id,name\nt1,Billing\n",
}


def _write_tables(folder: Path) -> Path:
    folder.mkdir()
    for name, text in _TABLES.items():
        (folder / name).write_text(text)
    return folder


def test_the_index_selects_every_conversation_with_a_time_in_the_range(tmp_path):
    from_cache = cached([_write_tables(tmp_path / "d")])
    assert len(from_cache.report.rejected) == 0
    start = int(pd.Timestamp("2025-03-10T00:00:00Z").value // 1_000_000)
    end = int(pd.Timestamp("2025-03-11T00:00:00Z").value // 1_000_000)
    pos = from_cache.store.meeting(start, end)
    ids = from_cache.tables["conversations"]["conversation_id"].iloc[pos].tolist()
    assert ids == ["old", "tagged", "inside"]
    assert from_cache.store.meeting(None, start).tolist() == [0, 1]
    assert from_cache.store.with_contacts(np.array([0])).tolist() == [0, 2]  # k1's two


def test_parts_for_is_the_budget_divided_by_what_a_part_needs(demo_pair):
    _, from_cache = demo_pair
    rows = dump_bytes(from_cache, ROW_TABLES)
    base = PROCESS_BYTES + dump_bytes(from_cache) - rows + STORE_OVERHEAD * from_cache.store.conversations
    work = STORE_FACTOR * rows
    assert parts_for(from_cache, 1.0, None) == 1
    assert parts_for(from_cache, 1.0, int(base + work) + 1) == 1
    assert parts_for(from_cache, 1.0, int(base + work / 3) + 1) == 3
    assert parts_for(from_cache, 0.5, int(base + work / 3) + 1) == 2
    with pytest.raises(MemoryLimitTooSmall) as err:
        parts_for(from_cache, 1.0, int(base))
    assert err.value.needed_bytes == int(base + work / 256)


def test_a_budget_no_number_of_parts_can_keep_is_refused_with_a_larger_limit(conformance_pair):
    """Each part also reads its lock context: on the conformance dump, whose agents lock
    conversations of every contact, no part can be as small as 1 % of the conversations."""
    _, from_cache = conformance_pair
    limit = estimate_part(from_cache, 0.01)
    scope = make_scope(from_cache, ExportParams("team", "UTC"))
    with pytest.raises(MemoryLimitTooSmall) as err:
        make_plan(from_cache, scope, "team", memory_limit=limit)
    assert err.value.needed_bytes > limit and err.value.limit_bytes == limit


def test_the_import_report_checked_in_parts_counts_the_lock_warnings_of_the_whole(conformance_pair):
    from sparkdesk.inspection import dump_report

    memory, from_cache = conformance_pair
    whole = dump_report(memory).lock_warnings
    assert sum(whole.values()) > 0, "the conformance dump has lock warnings to count"
    limit = estimate_part(from_cache, 0.5)
    seen: list[str] = []
    parted = dump_report(from_cache, lambda f, text: seen.append(text), memory_limit=limit)
    assert parted.lock_warnings == whole
    assert any("part 2 of" in text for text in seen)  # it did run in parts
    assert dump_report(from_cache, memory_limit=None).lock_warnings == whole


def test_inspect_under_a_small_limit_lists_the_same_problems(conformance_pair, capsys):
    from sparkdesk.cli import main

    _, from_cache = conformance_pair
    dump = str(CONFORMANCE / "dump")
    assert main(["inspect", dump, "--json", "--quiet"]) == 0
    whole = json.loads(capsys.readouterr().out)
    limit = str(estimate_part(from_cache, 0.5))
    assert main(["inspect", dump, "--json", "--quiet", "--memory-limit", limit]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == whole["problems"]
    assert any("LOCKED" in p["reason"] for p in whole["problems"])


# ----- the saved copy under the open dump ---------------------------------------------------------


def test_a_saved_copy_deleted_under_an_open_dump_gives_one_sentence(tmp_path, monkeypatch):
    import shutil

    from sparkdesk.dump.store import SavedCopyGone

    monkeypatch.setenv("SPARKDESK_CACHE_DIR", str(tmp_path / "cache"))
    dump = cached([bundled_demo_path()])
    shutil.rmtree(dump.store.folder)
    p = ExportParams("user", "UTC", dt.date(2025, 6, 1), dt.date(2025, 6, 1))
    with pytest.raises(SavedCopyGone, match="open the dump again"):
        compute(dump, p)
    with pytest.raises(SavedCopyGone, match="is no longer there"):
        dump.tables["messages"]


def test_pruning_keeps_the_entry_of_a_dump_open_in_this_process(tmp_path, monkeypatch):
    import gc

    from sparkdesk.dump import cache

    monkeypatch.setenv("SPARKDESK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cache, "MAX_ENTRIES", 1)
    first = cached([bundled_demo_path()])
    folder = first.store.folder
    cached([_write_tables(tmp_path / "other")])  # a second entry: one is kept, and the open one besides
    assert folder.exists()
    assert compute(first, ExportParams("team", "UTC")).shape[0] > 0
    del first
    gc.collect()
    cache.prune(folder.parent, keep=None)
    assert not folder.exists()  # closed: an entry like any other


def test_a_per_row_export_keeps_room_for_its_rows_and_an_aggregate_does_not(demo_pair):
    _, from_cache = demo_pair
    messages = dump_bytes(from_cache, ("messages",))
    assert result_reserve(from_cache, "message", 0.5) == int(2 * 1.0 * messages * 0.5)
    assert result_reserve(from_cache, "user", 1.0) == 0
    base = estimate_part(from_cache, 0.0)
    work = estimate_part(from_cache, 1.0) - base
    limit = int(base + work / 3) + 1
    assert parts_for(from_cache, 1.0, limit) == 3
    assert (
        parts_for(
            from_cache,
            1.0,
            limit + result_reserve(from_cache, "message", 1.0),
            result_reserve(from_cache, "message", 1.0),
        )
        == 3
    )
    assert parts_for(from_cache, 1.0, limit, work // 6) == 6  # a third of the room gone: twice the parts


def test_a_refusal_names_the_smaller_limit_of_the_whole_and_the_parts(demo_pair):
    """The message export's rows, held to the end, make its parts need more than the whole
    dump would: the sentence names what would really do."""
    _, from_cache = demo_pair
    scope = make_scope(from_cache, ExportParams("message", "UTC"))
    whole = estimate_peak(from_cache, from_cache.store.conversations, narrowed=False)
    with pytest.raises(MemoryLimitTooSmall) as err:
        make_plan(from_cache, scope, "message", memory_limit=estimate_part(from_cache, 0.0) + 1)
    assert err.value.needed_bytes <= whole
    assert make_plan(from_cache, scope, "message", memory_limit=whole).whole


# ----- drawn dumps ---------------------------------------------------------------------------------


@settings(max_examples=4, deadline=None)  # 12 exports, three ways each
@given(data=st.data())
def test_drawn_dumps_from_their_saved_copy_give_the_in_memory_result(data, tmp_path_factory):
    """The strangest dumps the strategies draw (empty tables, missing times, conversations
    without contacts, locks without agents...), saved, opened again and read selectively or
    in parts, give what the dump read into memory gives."""
    from strategies import channel_subsets, dump_specs, load_or_reject, params, ranges, write_spec

    spec = data.draw(dump_specs(), label="dump")
    folder = write_spec(spec, tmp_path_factory.mktemp("drawn") / "dump")
    memory = load_or_reject(folder)
    from_cache = cached([folder])
    rng = data.draw(ranges(spec), label="range")
    channels = data.draw(st.one_of(st.just(()), channel_subsets(memory)), label="channels")
    n = data.draw(st.integers(2, 5), label="parts")
    for type_id in EXPORT_IDS:
        p = params(type_id, spec.tz, rng, channels)
        want = compute(memory, p)
        same(compute(from_cache, p), want, f"{type_id} from the saved copy")
        same(compute(from_cache, p, parts=n), want, f"{type_id} in {n} parts from the saved copy")


def test_rows_streamed_to_the_file_need_no_room_held_to_the_end(demo_pair):
    _, from_cache = demo_pair
    scope = make_scope(from_cache, ExportParams("message", "UTC"))
    limit = estimate_part(from_cache, 0.5, "message") + 1  # half the dump and half its rows at once
    streamed = make_plan(from_cache, scope, "message", memory_limit=limit, streamed=True)
    assert isinstance(streamed.parts, StoreParts) and streamed.parts.n >= 2
    try:  # held to the end, the rows leave less room: more parts, or a refusal
        held = make_plan(from_cache, scope, "message", memory_limit=limit)
    except MemoryLimitTooSmall as err:
        assert err.needed_bytes > limit
    else:
        assert held.parts is not None and held.parts.n > streamed.parts.n
