"""Unknown references (exports.md "Unknown references", dump-format.md "Bad input"): the
row stays, the names stay empty, whether the reference table is missing, has no rows, or
holds only other ids. Issue 12: looking up ids that are all unknown or empty in a table
more than four times larger crashed open-conversation, message and resolved-conversation.
"""

import pytest
from dumpkit import (
    at,
    conv,
    export,
    inbound,
    load,
    lock,
    make,
    message_tag,
    na,
    presence,
    queued,
    reply,
    resolve,
    row,
    status,
    survey,
    topic_event,
    va_message,
    write_dump,
)

from sparkdesk.catalogue import EXPORT_IDS

D10 = "2025-03-10"

MANY_USERS = [{"user_id": f"u{i:02}", "name": f"User {i}", "reference": f"R{i}"} for i in range(1, 21)]


def test_open_conversation_whose_last_change_agent_is_unknown(tmp_path):
    # one open conversation; its last PENDING change is by uX (not among the 20 users) for tX
    # (not among the teams); no resolution, so the resolved agent is empty too: both lookups
    # probe 1 key against 20 users (> 4x), and no key is found -> empty names, no crash
    dump = make(
        tmp_path,
        {
            "users": MANY_USERS,
            "conversations": [conv("c1")],
            "messages": [inbound("i1", "c1", at("09:00:00.000"))],
            "conversation_events": [status("c1", at("09:10:00.000"), "PENDING", "uX", "tX")],
        },
    )
    c1 = row(export(dump, "open-conversation", D10), conversation_id="c1")
    assert (c1["last_change_user_id"], c1["last_change_team_id"], c1["current_status"]) == (
        "uX",
        "tX",
        "PENDING",
    )
    for key in (
        "last_change_user_name",
        "last_change_user_reference",
        "last_change_team_name",
        "resolved_user_id",
        "resolved_user_name",
        "resolved_user_reference",
    ):
        assert na(c1[key]), key
    assert c1["channel_name"] == "Support"  # the known references still resolve


def test_resolved_conversation_resolved_by_an_unknown_agent(tmp_path):
    dump = make(
        tmp_path,
        {
            "users": MANY_USERS,
            "conversations": [conv("c1")],
            "messages": [inbound("i1", "c1", at("09:00:00.000"))],
            "conversation_events": [resolve("c1", at("09:30:00.000"), "uX", "t1")],
        },
    )
    c1 = row(export(dump, "resolved-conversation", D10), conversation_id="c1")
    assert (c1["resolved_user_id"], c1["last_change_user_id"]) == ("uX", "uX")
    assert na(c1["resolved_user_name"]) and na(c1["last_change_user_name"])
    assert c1["last_change_team_name"] == "Alpha"
    assert c1["resolution_time"] == 30 * 60_000


def test_message_by_an_unknown_user(tmp_path):
    # the only message in the range is by uX: 1 key against 20 users
    dump = make(
        tmp_path,
        {
            "users": MANY_USERS,
            "conversations": [conv("c1")],
            "messages": [
                reply("m1", "c1", at("09:05:00.000"), "uX", "tX"),
                reply("m2", "c1", "2025-03-11T09:05:00.000Z", "u01", "t1"),  # outside the range
            ],
        },
    )
    frame = export(dump, "message", D10)
    assert list(frame["message_id"]) == ["m1"]
    m1 = frame.iloc[0]
    assert (m1["agent_id"], m1["team_id"]) == ("uX", "tX")
    assert na(m1["agent_name"]) and na(m1["agent_reference"]) and na(m1["team_name"])
    assert m1["contact_primary_identifier"] == "+34600000001"


# ----- every export, with reference tables missing, empty, or holding only other ids -------------


REFERENCE_HEADERS = {
    "channels": "channel_id,medium,name,display_name",
    "users": "user_id,name,email,reference",
    "teams": "team_id,name,created_at",
    "virtual_agents": "virtual_agent_id,name",
    "contacts": "contact_id,medium,primary_identifier,secondary_identifier,updated_at",
    "topics": "topic_id,name,active",
    "tags": "tag_id,name,active",
}


def _others(table: str, n: int = 20) -> list[dict]:
    """``n`` rows of a reference table whose ids ("x01".."x20") are none of the facts' ids."""
    key = REFERENCE_HEADERS[table].split(",")[0]
    extra = {"channels": {"medium": "SMS"}, "contacts": {"medium": "SMS"}}.get(table, {})
    return [{key: f"x{i:02}", "name": f"Other {i}", **extra} for i in range(1, n + 1)]


FACTS = {
    "conversations": [conv("c1"), conv("c2")],  # channel ch1, contact k1
    "messages": [
        inbound("m1", "c1", at("09:00:00.000")),
        inbound("m4", "c2", at("09:01:00.000")),
        reply("m2", "c1", at("09:05:00.000"), "u1", "t1"),
        va_message("m3", "c2", at("09:06:00.000"), "va1"),
    ],
    "conversation_events": [
        queued("c1", at("09:00:30.000"), "NEW_INBOUND_MESSAGE"),
        lock("c1", at("09:02:00.000"), "u1", "t1"),
        topic_event("c1", at("09:03:00.000"), "tp1", user_id="u1", team_id="t1"),
        topic_event("c2", at("09:04:00.000"), "tp1", virtual_agent_id="va1"),
        queued("c2", at("09:06:30.000"), "VA_HANDED_OVER_CONVERSATION", virtual_agent_id="va1"),
        status("c1", at("09:10:00.000"), "PENDING", "u1", "t1"),
        resolve("c2", at("09:20:00.000"), "u1", "t1"),
    ],
    "message_tags": [
        message_tag("m1", "g1", at("09:30:00.000"), user_id="u1", team_id="t1"),
        message_tag("m3", "g1", at("09:30:00.000"), virtual_agent_id="va1"),
    ],
    "presence_events": [
        presence("u1", at("08:00:00.000"), "AVAILABLE"),
        presence("u1", at("12:00:00.000"), "OFFLINE"),
    ],
    "csat_surveys": [survey("s1", "c2", at("09:21:00.000"), at("09:22:00.000"), 4)],
    "contact_attributes": [{"contact_id": "k1", "attribute_id": "a1", "name": "plan", "value": "gold"}],
}

# Per export: the id columns and their rows, hand-derived from FACTS for 2025-03-10 (c1 is
# open, PENDING by u1; c2 resolved by u1 at 09:20; the reply m2 answers c1's queue entry).
EXPECTED_IDS = {
    "resolved-conversation": (("conversation_id", "resolved_user_id", "topic_ids"), [("c2", "u1", "tp1")]),
    "open-conversation": (
        ("conversation_id", "last_change_user_id", "last_change_team_id"),
        [("c1", "u1", "t1")],
    ),
    "message": (
        ("message_id", "agent_id", "team_id", "tag_ids"),
        [
            ("m1", None, None, "g1"),
            ("m4", None, None, None),
            ("m2", "u1", "t1", None),
            ("m3", "va1", None, "g1"),
        ],
    ),
    "team": (
        ("team_id", "replies", "resolves_without_reply", "topics_added", "tags_added"),
        [("t1", 1, 1, 1, 1)],
    ),
    "contact": (("contact_id", "conversations", "inbound_messages"), [("k1", 2, 2)]),
    "topic": (("topic_id", "total_conversations", "current_conversations"), [("tp1", 2, 2)]),
    "tag": (("tag_id", "total_contacts", "total_messages"), [("g1", 1, 2)]),
    "user-presence": (("user_id", "presence", "duration"), [("u1", "AVAILABLE", 4 * 3_600_000)]),
    "user": (("user_id", "replies", "handle_time", "csat_4"), [("u1", 1, 8 * 60_000, 1)]),
    "response-times": (("conversation_id", "user_id", "outbound_message_id"), [("c1", "u1", "m2")]),
    "virtual-agent": (("virtual_agent_id", "total_conversations", "handover_to_agent"), [("va1", 1, 1)]),
    "contact-attribute": (("contact_id", "attribute_id", "attribute_value"), [("k1", "a1", "gold")]),
}

# The columns that come from a reference table: empty on every row.
NAMES = {
    "resolved-conversation": (
        "medium",
        "channel_name",
        "channel_display_name",
        "contact_primary_identifier",
        "contact_secondary_identifier",
        "last_change_user_name",
        "last_change_user_reference",
        "last_change_team_name",
        "resolved_user_name",
        "resolved_user_reference",
        "topic_names",
    ),
    "open-conversation": (
        "medium",
        "channel_name",
        "channel_display_name",
        "contact_primary_identifier",
        "contact_secondary_identifier",
        "last_change_user_name",
        "last_change_user_reference",
        "last_change_team_name",
        "topic_names",
    ),
    "message": (
        "medium",
        "channel_name",
        "channel_display_name",
        "contact_primary_identifier",
        "contact_secondary_identifier",
        "agent_name",
        "agent_reference",
        "team_name",
        "tag_names",
    ),
    "team": ("created_at", "team_name"),
    "contact": ("medium", "primary_identifier", "secondary_identifier"),
    "topic": ("topic_name", "active", "medium", "channel_name", "channel_display_name"),
    "tag": ("tag_name", "active", "medium", "channel_name", "channel_display_name"),
    "user-presence": ("user_name", "user_email"),
    "user": ("user_name", "user_email", "user_reference"),
    "response-times": ("medium", "channel_name", "channel_display_name", "user_name", "user_reference"),
    "virtual-agent": ("virtual_agent_name", "medium", "channel_name", "channel_display_name"),
    "contact-attribute": ("contact_primary_identifier", "contact_secondary_identifier"),
}


@pytest.fixture(scope="module")
def dumps(tmp_path_factory):
    out = {}
    out["missing"] = make(tmp_path_factory.mktemp("missing"), FACTS, base=False)
    folder = write_dump(tmp_path_factory.mktemp("empty") / "dump", FACTS)
    for table, header in REFERENCE_HEADERS.items():  # a header and no row
        (folder / f"{table}.csv").write_text(header + "\n", encoding="utf-8")
    out["empty"] = load(folder)
    others = {table: _others(table) for table in REFERENCE_HEADERS}
    out["other ids"] = make(tmp_path_factory.mktemp("other"), {**others, **FACTS}, base=False)
    return out


def blank(value) -> bool:
    """Empty in the written file: missing, or a joined name list of unknown ids ("")."""
    return na(value) or value == ""


@pytest.mark.parametrize("case", ["missing", "empty", "other ids"])
@pytest.mark.parametrize("type_id", EXPORT_IDS)
def test_every_export_keeps_rows_of_unknown_references_with_empty_names(dumps, case, type_id, tmp_path):
    from sparkdesk.writers import WriteOptions, write_export

    dump = dumps[case]
    assert all(len(dump.tables[t]) == (20 if case == "other ids" else 0) for t in REFERENCE_HEADERS)
    frame = export(dump, type_id, D10)
    columns, rows = EXPECTED_IDS[type_id]
    got = [tuple(None if na(r[c]) else r[c] for c in columns) for _, r in frame.iterrows()]
    assert got == rows
    for key in NAMES[type_id]:
        assert frame[key].map(blank).all(), (key, list(frame[key]))
    # and the file says so: no "false" for an unknown topic's or tag's Active
    path = tmp_path / "out.csv"
    write_export(frame, type_id, path, WriteOptions(tz="UTC", bom=False))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(rows)
    if type_id in ("topic", "tag"):
        assert lines[1].split(",")[2] == ""
