"""Current topics / tags (order, removals, unknown ids) and the topic and tag exports."""

import csv

import pytest
from dumpkit import (
    at,
    conv,
    export,
    inbound,
    make,
    message_tag,
    na,
    reply,
    row,
    topic_event,
)

TOPICS = [
    {"topic_id": "tp1", "name": "One", "active": "false"},
    {"topic_id": "tp2", "name": "Two"},  # active defaults to true
    {"topic_id": "tp3", "name": "Three"},
    {"topic_id": "9", "name": "Nine"},
    {"topic_id": "10", "name": "Ten"},
]
TAGS = [
    {"tag_id": "g1", "name": "Urgent", "active": "true"},
    {"tag_id": "g2", "name": "VIP", "active": "no"},
    {"tag_id": "g3", "name": "Billing"},
    {"tag_id": "g6", "name": "Spam"},
]


def test_current_topics_ordered_by_last_added_time_then_id(tmp_path):
    # c1: +tp2 10:00, +tp3 10:00, +tp1 10:05, +tpX 10:06 (unknown id), -tp2 10:10, +tp2 10:20
    #   current at S, by (last) added time then id: tp3 (10:00), tp1 (10:05), tpX (10:06), tp2 (10:20)
    #   names in the same order, tpX's empty: "Three, One, , Two"
    # c2: +9 and +10 at the same instant (file order 9, 10) -> by id as text: "10" < "9" -> "10, 9"
    # c3: +tp1 10:00, -tp1 10:01 -> no current topic: empty
    dump = make(
        tmp_path,
        {
            "topics": TOPICS,
            "conversations": [conv("c1"), conv("c2"), conv("c3")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
            "conversation_events": [
                topic_event("c1", at("10:00:00.000"), "tp2", user_id="u1"),
                topic_event("c1", at("10:00:00.000"), "tp3", user_id="u1"),
                topic_event("c1", at("10:05:00.000"), "tp1", user_id="u1"),
                topic_event("c1", at("10:06:00.000"), "tpX", user_id="u1"),
                topic_event("c1", at("10:10:00.000"), "tp2", added=False, user_id="u1"),
                topic_event("c1", at("10:20:00.000"), "tp2", user_id="u1"),
                topic_event("c2", at("10:00:00.000"), "9"),
                topic_event("c2", at("10:00:00.000"), "10"),
                topic_event("c3", at("10:00:00.000"), "tp1"),
                topic_event("c3", at("10:01:00.000"), "tp1", added=False),
            ],
        },
    )
    frame = export(dump, "open-conversation")
    c1, c2, c3 = (row(frame, conversation_id=c) for c in ("c1", "c2", "c3"))
    assert (c1["topic_ids"], c1["topic_names"]) == ("tp3, tp1, tpX, tp2", "Three, One, , Two")
    assert (c2["topic_ids"], c2["topic_names"]) == ("10, 9", "Ten, Nine")
    assert na(c3["topic_ids"]) and na(c3["topic_names"])


def test_current_tags_of_a_message(tmp_path):
    # m1: +g3 09:00; +g2 10:00 and +g1 10:00 (same instant -> by id: g1, g2);
    #     +g5 10:30 then -g5 10:30 (file order) -> removed; -g6 10:30 then +g6 10:30 -> current (10:30);
    #     +gX 10:40 (unknown id) -> kept, empty name; +g4 10:45, -g4 10:50 -> removed.
    # current: g3, g1, g2, g6, gX -> names "Billing, Urgent, VIP, Spam, "
    dump = make(
        tmp_path,
        {
            "tags": TAGS,
            "conversations": [conv("c1")],
            "messages": [
                inbound("m1", "c1", at("08:00:00.000")),
                reply("m2", "c1", at("08:30:00.000"), "u1"),
            ],
            "message_tags": [
                message_tag("m1", "g3", at("09:00:00.000")),
                message_tag("m1", "g2", at("10:00:00.000")),
                message_tag("m1", "g1", at("10:00:00.000")),
                message_tag("m1", "g5", at("10:30:00.000")),
                message_tag("m1", "g5", at("10:30:00.000"), added=False),
                message_tag("m1", "g6", at("10:30:00.000"), added=False),
                message_tag("m1", "g6", at("10:30:00.000")),
                message_tag("m1", "gX", at("10:40:00.000")),
                message_tag("m1", "g4", at("10:45:00.000")),
                message_tag("m1", "g4", at("10:50:00.000"), added=False),
            ],
        },
    )
    frame = export(dump, "message", "2025-03-10")
    m1, m2 = row(frame, message_id="m1"), row(frame, message_id="m2")
    assert (m1["tag_ids"], m1["tag_names"]) == ("g3, g1, g2, g6, gX", "Billing, Urgent, VIP, Spam, ")
    assert na(m2["tag_ids"]) and na(m2["tag_names"])


def test_topic_export_totals_current_and_order(tmp_path):
    d10 = "2025-03-10"
    dump = make(
        tmp_path,
        {
            "topics": TOPICS,
            "conversations": [
                conv("c1", channel="ch1"),
                conv("c2", channel="ch1"),
                conv("c3", channel="ch2"),
                conv("c4", "2025-03-09T08:00:00.000Z", channel="ch1"),
                conv("c5", channel="ch1"),
            ],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
            "conversation_events": [
                # c1 (ch1): +tp1 10:00, -tp1 11:00 -> counted, not current; +tpX (unknown) 10:30
                topic_event("c1", at("10:00:00.000"), "tp1"),
                topic_event("c1", at("10:30:00.000"), "tpX"),
                topic_event("c1", at("11:00:00.000"), "tp1", added=False),
                # c2 (ch1): +tp1 12:00 and 13:00 -> one conversation, current
                topic_event("c2", at("12:00:00.000"), "tp1"),
                topic_event("c2", at("13:00:00.000"), "tp1"),
                # c3 (ch2): +tp1 09:00 -> current
                topic_event("c3", at("09:00:00.000"), "tp1"),
                # c4 (ch1): +tp1 on 03-09 (outside the range) -> in neither figure even though current
                topic_event("c4", "2025-03-09T10:00:00.000Z", "tp1"),
                # c5 (ch1): +tp2 03-10, -tp2 03-11 -> counted, not current at S
                topic_event("c5", at("14:00:00.000"), "tp2"),
                topic_event("c5", "2025-03-11T09:00:00.000Z", "tp2", added=False),
            ],
        },
    )
    frame = export(dump, "topic", d10)
    # sorted by Topic Name (empty first), Topic ID, Channel ("Social" < "Support"), channel id
    got = [
        (
            r["topic_id"],
            r["channel_name"],
            r["total_conversations"],
            r["current_conversations"],
        )
        for _, r in frame.iterrows()
    ]
    assert got == [
        ("tpX", "Support", 1, 1),
        ("tp1", "Social", 1, 1),
        ("tp1", "Support", 2, 1),
        ("tp2", "Support", 1, 0),
    ]
    assert na(frame.loc[0, "topic_name"]) and na(frame.loc[0, "active"])
    assert frame.loc[1, "topic_name"] == "One" and not frame.loc[1, "active"]
    assert frame.loc[3, "topic_name"] == "Two" and bool(frame.loc[3, "active"]) is True
    assert (frame.loc[1, "medium"], frame.loc[1, "channel_display_name"]) == ("TWITTER", "Social TW")


def test_topic_export_channel_filter(tmp_path):
    # same topic added in ch1 and ch2; selecting ch2 keeps only the ch2 row
    dump = make(
        tmp_path,
        {
            "topics": TOPICS,
            "conversations": [conv("c1", channel="ch1"), conv("c2", channel="ch2")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
            "conversation_events": [
                topic_event("c1", at("10:00:00.000"), "tp1"),
                topic_event("c2", at("10:00:00.000"), "tp1"),
            ],
        },
    )
    frame = export(dump, "topic", "2025-03-10", channels=("ch2",))
    assert list(zip(frame["topic_id"], frame["channel_name"], strict=True)) == [("tp1", "Social")]


def test_tag_export_totals_current_and_order(tmp_path):
    dump = make(
        tmp_path,
        {
            "tags": TAGS,
            "conversations": [
                conv("c1", channel="ch1", contact="k1"),
                conv("c2", channel="ch1", contact="k2"),
                conv("c3", channel="ch2", contact="k1"),
            ],
            "messages": [
                inbound("m1", "c1", at("09:00:00.000")),
                inbound("m2", "c1", at("09:01:00.000")),
                inbound("m3", "c2", at("09:02:00.000")),
                inbound("m4", "c3", at("09:03:00.000")),
                inbound("m5", "c1", "2025-03-09T09:00:00.000Z"),
                reply("m6", "c1", at("09:30:00.000"), "u1"),
                inbound("m7", "c1", "2025-03-09T09:00:00.000Z"),
                inbound("m8", "c2", at("09:04:00.000")),
            ],
            "message_tags": [
                # ch1: m1 +10:00 -11:00 (not current), m2 +10:30, m3 +10:40 and +10:50 (one message)
                message_tag("m1", "g1", at("10:00:00.000")),
                message_tag("m1", "g1", at("11:00:00.000"), added=False),
                message_tag("m2", "g1", at("10:30:00.000")),
                message_tag("m3", "g1", at("10:40:00.000")),
                message_tag("m3", "g1", at("10:50:00.000")),
                # m5 (ch1) tagged on 03-09: outside the range
                message_tag("m5", "g1", "2025-03-09T10:00:00.000Z"),
                # m7 (ch1, k1) created 03-09 but tagged 03-10: the tag's time counts -> in, current
                message_tag("m7", "g1", at("10:20:00.000")),
                # m8 (ch1, k2) created 03-10 but tagged 03-11: out
                message_tag("m8", "g1", "2025-03-11T10:00:00.000Z"),
                # ch2: m4
                message_tag("m4", "g1", at("10:00:00.000")),
                # gX is not in tags: a row with empty name and Active, sorted first
                message_tag("m4", "gX", at("10:00:00.000")),
            ],
        },
    )
    frame = export(dump, "tag", "2025-03-10")
    got = [
        (r["tag_id"], r["channel_name"], r["total_contacts"], r["total_messages"], r["current_messages"])
        for _, r in frame.iterrows()
    ]
    # ch1: contacts k1 (m1, m2, m7) and k2 (m3) = 2; messages m1, m2, m3, m7 = 4; current m2, m3, m7 = 3
    # ch2: k1, m4, current 1. Sorted by tag name (empty first), tag id, then Channel: "Social" (ch2) < "Support"
    assert got == [("gX", "Social", 1, 1, 1), ("g1", "Social", 1, 1, 1), ("g1", "Support", 2, 4, 3)]
    assert na(frame.loc[0, "tag_name"]) and na(frame.loc[0, "active"])
    assert (frame.loc[1, "tag_name"], bool(frame.loc[1, "active"])) == ("Urgent", True)


def test_topic_added_twice_sorts_by_its_last_addition(tmp_path):
    # +tp1 10:00, +tp2 10:10, +tp1 again 10:20 (no removal in between): "ordered by the time they were
    # (last) added" -> tp2 (10:10), tp1 (10:20).
    dump = make(
        tmp_path,
        {
            "topics": TOPICS,
            "conversations": [conv("c1")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
            "conversation_events": [
                topic_event("c1", at("10:00:00.000"), "tp1"),
                topic_event("c1", at("10:10:00.000"), "tp2"),
                topic_event("c1", at("10:20:00.000"), "tp1"),
            ],
        },
    )
    c1 = row(export(dump, "open-conversation"), conversation_id="c1")
    assert (c1["topic_ids"], c1["topic_names"]) == ("tp2, tp1", "Two, One")


# ----- Active of unknown ids (issue 12) --------------------------------------------------------

KIND = {
    # export: (reference table, its header, the fact rows adding one id to c1 on 03-10)
    "topic": (
        "topics",
        "topic_id,name,active",
        lambda ref: {"conversation_events": [topic_event("c1", at("10:00:00.000"), ref)]},
    ),
    "tag": (
        "tags",
        "tag_id,name,active",
        lambda ref: {"message_tags": [message_tag("m1", ref, at("10:00:00.000"))]},
    ),
}


def _active_dump(tmp_path, type_id: str, refs: list[str], rows: list[dict] | None):
    """c1 (ch1) with message m1; each of ``refs`` added on 03-10. ``rows``: the reference
    table's rows; ``None``: no file at all; ``[]``: a header without rows."""
    from dumpkit import load, write_dump

    name, header, facts = KIND[type_id]
    tables = {"conversations": [conv("c1")], "messages": [inbound("m1", "c1", at("09:00:00.000"))]}
    for ref in refs:
        for k, v in facts(ref).items():
            tables.setdefault(k, []).extend(v)
    folder = write_dump(tmp_path / "dump", tables)
    if rows == []:
        (folder / f"{name}.csv").write_text(header + "\n", encoding="utf-8")
    elif rows is not None:
        write_dump(folder, {name: rows})
    return load(folder)


def _active_cells(tmp_path, type_id: str, frame) -> dict[str, str]:
    """{id: Active cell text} as the CSV writer writes them."""
    from sparkdesk.writers import WriteOptions, write_csv

    path = tmp_path / f"{type_id}.csv"
    write_csv(frame, type_id, path, WriteOptions(tz="UTC"))
    with open(path, newline="", encoding="utf-8-sig") as fh:
        header, *lines = list(csv.reader(fh))
    assert header[:3] == [f"{type_id.capitalize()} ID", f"{type_id.capitalize()} Name", "Active"]
    return {line[0]: line[2] for line in lines}


@pytest.mark.parametrize("type_id", ["topic", "tag"])
@pytest.mark.parametrize("table", ["missing", "no rows", "other ids"])
def test_active_is_empty_for_an_unknown_id(tmp_path, type_id, table):
    # exports.md, last precise rule: an unknown topic or tag id keeps its row with an empty
    # name, and its Active cell is empty (not "false") whether the table is missing, has a
    # header and no rows, or only holds other ids
    name = KIND[type_id][0]
    rows = {"missing": None, "no rows": [], "other ids": [{f"{name[:-1]}_id": "other", "name": "Other"}]}[
        table
    ]
    dump = _active_dump(tmp_path, type_id, ["x1"], rows)
    frame = export(dump, type_id, "2025-03-10")
    assert list(frame[f"{type_id}_id"]) == ["x1"]
    assert na(frame.loc[0, f"{type_id}_name"]) and na(frame.loc[0, "active"])
    assert str(frame["active"].dtype) == "boolean"
    assert _active_cells(tmp_path, type_id, frame) == {"x1": ""}


@pytest.mark.parametrize("type_id", ["topic", "tag"])
@pytest.mark.parametrize("with_column", [True, False], ids=["empty cell", "no active column"])
def test_active_of_known_ids_defaults_to_true(tmp_path, type_id, with_column):
    # a known id whose active is empty (or whose table has no active column) is active:
    # "active (boolean, default true)"; an explicit false stays false; an unknown id beside
    # known ones is empty. Rows sorted by name, empty first: x9 (unknown), a "A", b "B", c "C".
    name = KIND[type_id][0]
    key = f"{name[:-1]}_id"
    rows = [{key: "a", "name": "A"}, {key: "b", "name": "B"}]
    if with_column:
        rows = [
            {**rows[0], "active": None},
            {**rows[1], "active": "false"},
            {key: "c", "name": "C", "active": "1"},
        ]
    dump = _active_dump(tmp_path, type_id, ["a", "b", "c", "x9"], rows)
    frame = export(dump, type_id, "2025-03-10")
    cells = _active_cells(tmp_path, type_id, frame)
    if with_column:
        assert list(frame[f"{type_id}_name"].fillna("")) == ["", "A", "B", "C"]
        assert cells == {"x9": "", "a": "true", "b": "false", "c": "true"}
    else:  # c is unknown here too
        assert list(frame[f"{type_id}_id"]) == ["c", "x9", "a", "b"]
        assert cells == {"c": "", "x9": "", "a": "true", "b": "true"}
