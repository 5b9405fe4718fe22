"""Cost that follows the question, and parts (sparkdesk/exports/plan.py, issue 14).

The promise is exact: an export computed from the conversations its range needs, or in
parts of a few contacts each, is the export computed from the whole dump, cell for cell and
type for type. These tests force both on the conformance dump (every parameter set and
type), on the bundled demo dump over single days, and on drawn dumps (Hypothesis), and pin
the two definitions that look across conversations with hand-made dumps.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import channel_subsets, dump_specs, load_or_reject, params, ranges, write_spec

from sparkdesk.catalogue import EXPORT_IDS
from sparkdesk.cli import main
from sparkdesk.dump import load_dumps
from sparkdesk.exports import ExportParams, compute
from sparkdesk.exports.plan import (
    BY_CONVERSATION,
    NARROW_OVERHEAD,
    NARROW_SHARE,
    PROCESS_BYTES,
    WHOLE_FACTOR,
    dump_bytes,
    estimate_peak,
    lock_context,
    make_plan,
    relevant_conversations,
    split_by_contact,
)
from sparkdesk.exports.scope import make_scope
from sparkdesk.memory import MemoryLimitTooSmall
from sparkdesk.resources import bundled_demo_path
from sparkdesk.tasks import Progress

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"


def same(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    pd.testing.assert_frame_equal(got, want, obj=what)


def _conformance_params() -> list:
    sets = json.loads((CONFORMANCE / "params.json").read_text()) if CONFORMANCE.exists() else []
    return [pytest.param(ps, t, id=f"{ps['name']}-{t}") for ps in sets for t in EXPORT_IDS]


@pytest.mark.parametrize(("ps", "type_id"), _conformance_params())
def test_tiny_parts_and_the_narrowed_dump_give_the_whole_result(conformance_dump, ps, type_id):
    """Issue 14 item 6: parts of one or two contacts each, on every export of every set."""
    p = ExportParams(
        type_id,
        ps["tz"],
        dt.date.fromisoformat(ps["from"]) if ps.get("from") else None,
        dt.date.fromisoformat(ps["to"]) if ps.get("to") else None,
        tuple(ps.get("channels", ())),
    )
    whole = compute(conformance_dump, p)
    contacts = conformance_dump.tables["contacts"]["contact_id"].nunique()
    for parts in (1, 3, contacts // 2):  # 14 parts: two contacts each
        same(compute(conformance_dump, p, parts=parts), whole, f"{type_id} in {parts} parts")


@pytest.mark.parametrize("type_id", EXPORT_IDS)
def test_one_day_of_the_demo_reads_a_few_conversations_and_gives_the_same_rows(demo_dump, type_id):
    span = demo_dump.time_span()
    days = pd.date_range(span[0].tz_convert("America/New_York").date(), periods=30, freq="7D")
    for day in days[:2]:
        p = ExportParams(type_id, "America/New_York", day.date(), day.date())
        whole = compute(demo_dump, p)
        same(compute(demo_dump, p, parts=1), whole, f"{type_id} on {day.date()}, narrowed")
        same(compute(demo_dump, p, parts=4), whole, f"{type_id} on {day.date()}, in 4 parts")


def test_a_day_needs_a_small_share_of_the_conversations(demo_dump):
    span = demo_dump.time_span()
    day = span[0].tz_convert("UTC").date() + dt.timedelta(days=20)
    scope = make_scope(demo_dump, ExportParams("message", "UTC", day, day))
    ids = relevant_conversations(demo_dump, scope, "message")
    total = len(demo_dump.tables["conversations"])
    assert 0 < len(ids) < total / 4
    assert not make_plan(demo_dump, scope, "message").whole  # narrowed on its own


def test_no_range_means_every_conversation_and_presence_never_narrows(demo_dump):
    scope = make_scope(demo_dump, ExportParams("open-conversation", "UTC"), range_optional=True)
    assert relevant_conversations(demo_dump, scope, "open-conversation") is None
    scope = make_scope(demo_dump, ExportParams("user-presence", "UTC"))
    assert make_plan(demo_dump, scope, "user-presence", parts=5).whole
    # the default range holds every conversation's creation: no scan, the whole dump
    assert (
        relevant_conversations(demo_dump, make_scope(demo_dump, ExportParams("user", "UTC")), "user") is None
    )


def test_parts_hold_whole_contacts_and_every_conversation_once(demo_dump):
    parts = split_by_contact(demo_dump, None, 7)
    conv = demo_dump.tables["conversations"].set_index("conversation_id")["contact_id"]
    seen = [set(p.to_pylist()) for p in parts]
    assert sum(len(s) for s in seen) == len(conv) == len(set().union(*seen))
    contacts = [set(conv.loc[sorted(s)]) for s in seen]
    for i, a in enumerate(contacts):
        for b in contacts[i + 1 :]:
            assert not a & b


# ----- the definitions that look across conversations, by hand ----------------------------------

_TABLES = {
    "channels.csv": "channel_id,medium,name,display_name\nch,WEB,Web,Web\n",
    "users.csv": "user_id,name,email,reference\nu1,Ann,a@x,A\n",
    "contacts.csv": "contact_id,medium,primary_identifier,secondary_identifier,updated_at\n"
    "k1,WEB,p1,,\nk2,WEB,p2,,\n",
}


def _write(folder: Path, conversations: str, messages: str, events: str) -> Path:
    folder.mkdir()
    for name, text in _TABLES.items():
        (folder / name).write_text(text)
    (folder / "conversations.csv").write_text(
        "conversation_id,channel_id,contact_id,created_at\n" + conversations
    )
    (folder / "messages.csv").write_text(
        "message_id,conversation_id,created_at,direction,user_id\n" + messages
    )
    (folder / "conversation_events.csv").write_text("conversation_id,at,type,user_id,status\n" + events)
    (folder / "manifest.json").write_text('{"snapshot_at": "2025-01-10T00:00:00Z"}')
    return folder


def _ann_on_one_day(folder: Path, day: dt.date) -> pd.Series:
    """Ann's row of the user export of ``day``, narrowed to conversation A with B as its
    lock context, after checking that it equals the export of the whole dump."""
    dump = load_dumps([folder], cache=False)
    p = ExportParams("user", "UTC", day, day)
    ids = relevant_conversations(dump, make_scope(dump, p), "user")
    assert ids.to_pylist() == ["A"]
    assert lock_context(dump, ids).to_pylist() == ["B"]
    narrowed = compute(dump, p, parts=1)
    same(narrowed, compute(dump, p), "narrowed user export")
    return narrowed.iloc[0]


def test_a_session_ends_at_the_agents_next_lock_on_a_conversation_outside_the_day(tmp_path):
    """Ann locks A on the 2nd and B on the 5th: A's session opened on the 2nd ends on the 5th
    (the next lock on another conversation), though B has nothing on the 2nd. One day's
    export must read B too (lock_context) or Ann's handle time would run to the snapshot."""
    folder = _write(
        tmp_path / "d",
        "A,ch,k1,2025-01-02T09:00:00Z\nB,ch,k2,2025-01-05T09:00:00Z\n",
        "m1,A,2025-01-02T09:00:00Z,INBOUND,\nm2,A,2025-01-02T10:00:00Z,OUTBOUND,u1\n"
        "m3,B,2025-01-05T09:00:00Z,INBOUND,\n",
        "A,2025-01-02T09:30:00Z,LOCKED,u1,\nB,2025-01-05T09:30:00Z,LOCKED,u1,\n",
    )
    row = _ann_on_one_day(folder, dt.date(2025, 1, 2))
    assert row["handle_time"] == 3 * 86_400_000  # 2nd 09:30 to 5th 09:30, hand-computed


def test_a_lock_after_a_lock_elsewhere_opens_a_session_though_that_lock_is_outside_the_day(tmp_path):
    """Ann locks A on the 1st, B on the 2nd, A again on the 3rd. On the 3rd she does not
    hold A (her lock on B released it), so the lock opens a session: 09:00 to the
    snapshot, 7 days minus 9 hours. Without B in the sub-dump, the lock of the 3rd would
    follow the lock of the 1st on the same conversation and be ignored (exports.md: "A
    LOCKED by U on the conversation U already holds is ignored")."""
    folder = _write(
        tmp_path / "d",
        "A,ch,k1,2025-01-01T08:00:00Z\nB,ch,k2,2025-01-02T08:00:00Z\n",
        "m1,A,2025-01-01T08:00:00Z,INBOUND,\nm2,B,2025-01-02T08:00:00Z,INBOUND,\n",
        "A,2025-01-01T09:00:00Z,LOCKED,u1,\nB,2025-01-02T09:00:00Z,LOCKED,u1,\n"
        "A,2025-01-03T09:00:00Z,LOCKED,u1,\n",
    )
    row = _ann_on_one_day(folder, dt.date(2025, 1, 3))
    assert row["cherry_picking_time"] == 7 * 86_400_000 - 9 * 3_600_000  # to the snapshot, the 10th


def test_contact_last_updated_reads_the_contacts_conversation_outside_the_day(tmp_path):
    """k1 writes in A on the 2nd and in B on the 6th: its Last Updated (no updated_at) is the
    6th, the latest message of any of its conversations, whatever the range."""
    folder = _write(
        tmp_path / "d",
        "A,ch,k1,2025-01-02T09:00:00Z\nB,ch,k1,2025-01-06T09:00:00Z\n",
        "m1,A,2025-01-02T09:00:00Z,INBOUND,\nm2,B,2025-01-06T11:00:00Z,INBOUND,\n",
        "",
    )
    dump = load_dumps([folder], cache=False)
    p = ExportParams("contact", "UTC", dt.date(2025, 1, 2), dt.date(2025, 1, 2))
    got = compute(dump, p, parts=1)
    assert got["last_updated"].iloc[0] == pd.Timestamp("2025-01-06T11:00:00Z")
    same(got, compute(dump, p), "narrowed contact export")


# ----- drawn dumps ---------------------------------------------------------------------------------


@settings(max_examples=6)  # 24 exports each: the other properties draw these dumps too
@given(data=st.data())
def test_parts_of_drawn_dumps_give_the_whole_result(data):
    spec = data.draw(dump_specs(), label="dump")
    with tempfile.TemporaryDirectory() as tmp:
        dump = load_or_reject(write_spec(spec, Path(tmp) / "dump"))
    rng = data.draw(ranges(spec), label="range")
    channels = data.draw(st.one_of(st.just(()), channel_subsets(dump)), label="channels")
    n = data.draw(st.integers(1, 6), label="parts")
    for type_id in EXPORT_IDS:
        p = params(type_id, spec.tz, rng, channels)
        same(compute(dump, p, parts=n), compute(dump, p), f"{type_id} in {n} parts")


# ----- the memory budget ---------------------------------------------------------------------------


def test_the_estimate_is_the_dump_plus_the_questions_rows(demo_dump):
    """Hand-computed from the dump's bytes: the process, the tables, WHOLE_FACTOR x the rows of the question's share
    of the conversations, and NARROW_OVERHEAD x every conversation's rows when narrowed."""
    held = dump_bytes(demo_dump)
    rows = dump_bytes(demo_dump, (*BY_CONVERSATION, "message_tags"))
    total = len(demo_dump.tables["conversations"])
    assert estimate_peak(demo_dump, total, narrowed=False) == int(PROCESS_BYTES + held + WHOLE_FACTOR * rows)
    tenth = estimate_peak(demo_dump, total // 10, narrowed=True)
    assert tenth == int(PROCESS_BYTES + held + WHOLE_FACTOR * rows / 10 + NARROW_OVERHEAD * rows)


def test_a_budget_too_small_names_the_limit_that_would_do_and_that_limit_does(demo_dump):
    p = ExportParams("user", "UTC")
    scope = make_scope(demo_dump, p)
    whole = estimate_peak(demo_dump, len(demo_dump.tables["conversations"]), narrowed=False)
    with pytest.raises(MemoryLimitTooSmall) as caught:
        make_plan(demo_dump, scope, "user", memory_limit=whole - 1)
    assert caught.value.needed_bytes == whole and "use at least" in str(caught.value)
    assert make_plan(demo_dump, scope, "user", memory_limit=whole).whole
    same(compute(demo_dump, p, memory_limit=whole), compute(demo_dump, p), "user at the named limit")


def test_a_question_too_big_whole_but_small_enough_narrowed_is_narrowed(demo_dump):
    """Two thirds of the demo's days: above NARROW_SHARE, so the dump stays whole, unless
    the budget holds the narrowed question and not the whole dump."""
    span = demo_dump.time_span()
    first, last = span[0].date(), span[1].date()
    p = ExportParams("team", "UTC", first, first + (last - first) * 2 // 3)
    scope = make_scope(demo_dump, p)
    ids = relevant_conversations(demo_dump, scope, "team")
    total = len(demo_dump.tables["conversations"])
    assert NARROW_SHARE * total < len(ids) < total
    assert make_plan(demo_dump, scope, "team").whole
    narrowed = estimate_peak(demo_dump, len(ids), narrowed=True)
    whole = estimate_peak(demo_dump, total, narrowed=False)
    assert narrowed < whole
    plan = make_plan(demo_dump, scope, "team", memory_limit=narrowed)
    assert plan.narrowed is not None
    same(compute(demo_dump, p, memory_limit=narrowed), compute(demo_dump, p), "team narrowed by the budget")


def test_the_command_line_says_the_budget_is_too_small_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "u.csv"
    argv = ["export", str(bundled_demo_path()), "--type", "user", "--tz", "UTC", "--out", str(out)]
    assert main([*argv, "--memory-limit", "1MiB"]) == 1
    err = capsys.readouterr().err
    assert "A memory limit of 1 MiB is too small for this dump: use at least" in err
    assert not out.exists()
    assert main([*argv, "--memory-limit", "256MiB"]) == 0  # room enough: the same file
    within = out.read_bytes()
    assert main(argv) == 0
    assert out.read_bytes() == within


@pytest.mark.parametrize("type_id", ["team", "message", "contact"])
def test_parts_on_two_threads_give_the_same_rows_and_one_bar(demo_dump, type_id):
    p = ExportParams(type_id, "Europe/Madrid")
    seen: list[float] = []
    got = compute(demo_dump, p, lambda fraction, text: seen.append(fraction), parts=5, workers=2)
    same(got, compute(demo_dump, p), f"{type_id} in 5 parts on 2 threads")
    assert seen[-1] == 1.0 and all(0.0 <= f <= 1.0 for f in seen)


def test_the_next_export_over_the_same_days_reuses_the_narrowed_dump(conformance_dump):
    """The window's next Generate, or --type all: one narrowing, and its shared definitions."""
    dump = load_dumps([CONFORMANCE / "dump"], cache=False)  # its own memo
    day = dt.date(2025, 5, 13)
    first = ExportParams("resolved-conversation", "UTC", day, day)
    compute(dump, first)
    ((key, narrowed),) = dump._narrowed.items()
    assert len(narrowed.tables["conversations"]) < len(dump.tables["conversations"]) / 2
    for type_id in ("team", "contact", "user", "message"):
        p = ExportParams(type_id, "UTC", day, day)
        same(compute(dump, p), compute(conformance_dump, p, parts=3), f"{type_id} after the memo")
        assert dump._narrowed[key] is narrowed  # reused, with its facts
    assert list(dump._narrowed) == [key]  # the contact export reads the whole dump
    compute(dump, ExportParams("team", "UTC", day, day), memory_limit=1 << 40)  # another budget
    assert len(dump._narrowed) == 2
    compute(dump, ExportParams("team", "UTC", day, day + dt.timedelta(days=1)))  # another range
    assert key not in dump._narrowed and len(dump._narrowed) == 2


def test_narrowing_moves_the_bar_forward_table_by_table(monkeypatch):
    """Selecting a day's conversations takes seconds at 1M: the bar moves at each table and
    never goes back (the window's "longest without progress")."""
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)  # every report, not ten a second
    dump = load_dumps([bundled_demo_path()], cache=False)  # no narrowed dump remembered yet
    day = dump.time_span()[0].date() + dt.timedelta(days=10)
    seen: list[tuple[float, str]] = []
    compute(dump, ExportParams("user", "UTC", day, day), lambda fraction, text: seen.append((fraction, text)))
    selecting = [f for f, text in seen if text == "Selecting the conversations of the range"]
    assert len(selecting) >= 8  # a step per table
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
