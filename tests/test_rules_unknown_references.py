"""Unknown references (exports.md "Unknown references", dump-format.md "Bad input"): the
row stays, the names stay empty, whether the reference table is missing, has no rows, or
holds only other ids. Issue 12: looking up ids that are all unknown or empty in a table
more than four times larger crashed open-conversation, message and resolved-conversation.
"""

from dumpkit import (
    at,
    conv,
    export,
    inbound,
    make,
    na,
    reply,
    resolve,
    row,
    status,
)

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
