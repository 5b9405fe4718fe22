"""Status timeline, current status, Last Status Change Agent/Team, and the other per-conversation
columns of the conversation exports (counts, Last Updated, URL)."""

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
    survey,
    system_message,
    ts,
    va_message,
)


def open_rows(dump):
    return export(dump, "open-conversation")


def test_conversation_is_new_until_its_first_status_change(tmp_path):
    # c1 has no STATUS_CHANGED at all -> NEW at S; no resolution, no last change agent.
    # c2: PENDING at 10:00 -> PENDING at S.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [
                inbound("m1", "c1", at("09:00:00.000")),
                reply("m2", "c2", at("09:30:00.000"), "u1"),
            ],
            "conversation_events": [status("c2", at("10:00:00.000"), "PENDING", "u1", "t1")],
        },
    )
    frame = open_rows(dump)
    c1 = row(frame, conversation_id="c1")
    assert c1["current_status"] == "NEW"
    assert na(c1["resolved_by"]) and na(c1["resolved_at"]) and na(c1["resolved_user_id"])
    assert na(c1["last_change_user_id"]) and na(c1["last_change_team_id"])
    c2 = row(frame, conversation_id="c2")
    assert c2["current_status"] == "PENDING"
    assert (c2["last_change_user_id"], c2["last_change_user_name"], c2["last_change_user_reference"]) == (
        "u1",
        "Ana",
        "R-1",
    )
    assert (c2["last_change_team_id"], c2["last_change_team_name"]) == ("t1", "Alpha")


def test_current_status_is_the_last_change_and_new_can_be_set_again(tmp_path):
    # c1: PENDING 10:00 by u1/t1, then NEW 11:00 by u2/t2 -> current NEW.
    # Last Status Change Agent is the last change to PENDING or RESOLVED: u1/t1 (NEW does not count).
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("m1", "c1", at("09:00:00.000")),
                reply("m2", "c1", at("09:30:00.000"), "u1"),
            ],
            "conversation_events": [
                status("c1", at("10:00:00.000"), "PENDING", "u1", "t1"),
                status("c1", at("11:00:00.000"), "NEW", "u2", "t2"),
            ],
        },
    )
    c1 = row(open_rows(dump), conversation_id="c1")
    assert c1["current_status"] == "NEW"
    assert (c1["last_change_user_id"], c1["last_change_team_id"]) == ("u1", "t1")


def test_reopened_conversation_in_open_export_shows_latest_resolution(tmp_path):
    # c1: RESOLVED 10:00 by u1/t1 (AGENT, HUMAN_AGENT), then PENDING 12:00 by u2/t2 -> current PENDING.
    # The open export shows the latest resolution (a reopened conversation): AGENT, 10:00, u1 Ana R-1.
    # Last Status Change = the PENDING by u2/t2 (later than the resolution).
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("m1", "c1", at("09:00:00.000")),
                reply("m2", "c1", at("09:30:00.000"), "u1"),
            ],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1", "t1", reason="Done", comment="ok"),
                status("c1", at("12:00:00.000"), "PENDING", "u2", "t2"),
            ],
        },
    )
    c1 = row(open_rows(dump), conversation_id="c1")
    assert c1["current_status"] == "PENDING"
    assert c1["resolved_by"] == "AGENT"
    assert c1["resolved_at"] == ts(at("10:00:00.000"))
    assert (c1["resolved_user_id"], c1["resolved_user_name"], c1["resolved_user_reference"]) == (
        "u1",
        "Ana",
        "R-1",
    )
    assert (c1["last_change_user_id"], c1["last_change_user_name"], c1["last_change_team_name"]) == (
        "u2",
        "Ben",
        "Beta",
    )
    # It was first resolved on 2025-03-10, so it is also a row of the resolved export, status PENDING.
    res = export(dump, "resolved-conversation", "2025-03-10")
    assert list(res["conversation_id"]) == ["c1"]
    assert res.loc[0, "current_status"] == "PENDING"
    assert (res.loc[0, "resolve_reason"], res.loc[0, "resolve_comment"], res.loc[0, "triggered_by"]) == (
        "Done",
        "ok",
        "HUMAN_AGENT",
    )


def test_resolved_conversation_is_not_open(tmp_path):
    # c1 RESOLVED at 10:00 and never reopened -> not in the open export; c2 NEW -> in it.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
            "conversation_events": [resolve("c1", at("10:00:00.000"), "u1", "t1")],
        },
    )
    assert list(open_rows(dump)["conversation_id"]) == ["c2"]


def test_last_status_change_without_user_is_empty(tmp_path):
    # c1: PENDING 10:00 by u1/t1, then RESOLVED 11:00 by nobody (SYSTEM / AUTO_RESOLVE).
    # The last change to PENDING/RESOLVED is the 11:00 one -> agent and team empty (not u1/t1).
    # c2: RESOLVED 10:00 by u2/t2, then NEW 11:00 by u1/t1 -> last PENDING/RESOLVED change is u2/t2.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
            "conversation_events": [
                status("c1", at("10:00:00.000"), "PENDING", "u1", "t1"),
                resolve("c1", at("11:00:00.000")),
                resolve("c2", at("10:00:00.000"), "u2", "t2"),
                status("c2", at("11:00:00.000"), "NEW", "u1", "t1"),
            ],
        },
    )
    res = export(dump, "resolved-conversation", "2025-03-10")
    c1 = row(res, conversation_id="c1")
    assert na(c1["last_change_user_id"]) and na(c1["last_change_user_name"])
    assert na(c1["last_change_user_reference"])
    assert na(c1["last_change_team_id"]) and na(c1["last_change_team_name"])
    assert (c1["resolved_by"], c1["triggered_by"]) == ("SYSTEM", "AUTO_RESOLVE")
    assert na(c1["resolved_user_id"]) and na(c1["resolved_user_name"])
    c2 = row(res, conversation_id="c2")
    assert (c2["last_change_user_id"], c2["last_change_team_id"]) == ("u2", "t2")
    assert c2["current_status"] == "NEW"


def test_last_status_change_team_without_user(tmp_path):
    # "team_id of that event": RESOLVED at 10:00 with team t2 but no user -> agent empty, team t2 Beta.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), None, "t2", resolved_by="BULK_RESOLVE")
            ],
        },
    )
    c1 = row(export(dump, "resolved-conversation", "2025-03-10"), conversation_id="c1")
    assert na(c1["last_change_user_id"])
    assert (c1["last_change_team_id"], c1["last_change_team_name"]) == ("t2", "Beta")
    assert c1["resolved_by"] == "BULK_RESOLVE"


def test_message_counts_include_every_outbound_kind_and_deleted_messages(tmp_path):
    # inbound: m1, m2 (deleted) -> 2. outbound: human m3, VA m4, system m5, deleted human m6 -> 4.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("m1", "c1", at("09:00:00.000")),
                inbound("m2", "c1", at("09:01:00.000"), deleted_at=at("09:02:00.000")),
                reply("m3", "c1", at("09:03:00.000"), "u1"),
                va_message("m4", "c1", at("09:04:00.000"), "va1"),
                system_message("m5", "c1", at("09:05:00.000"), system_user_type="CSAT"),
                reply("m6", "c1", at("09:06:00.000"), "u2", deleted_at=at("09:07:00.000")),
            ],
        },
    )
    c1 = row(open_rows(dump), conversation_id="c1")
    assert (c1["inbound_messages"], c1["outbound_messages"]) == (2, 4)


def test_zero_sums_on_a_conversation_without_locks(tmp_path):
    # Precise rule "Empty or zero": no lock session -> Handle/No Reply/Cherry Picking 0, not empty;
    # no message at all -> counts 0; no inbound -> resolution time empty.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [reply("m1", "c2", at("09:30:00.000"), "u1")],
        },
    )
    c1 = row(open_rows(dump), conversation_id="c1")
    assert (c1["handle_time"], c1["no_reply_time"], c1["cherry_picking_time"]) == (0, 0, 0)
    assert (c1["inbound_messages"], c1["outbound_messages"]) == (0, 0)
    assert na(c1["resolution_time"]) and na(c1["first_response_time"])


def test_last_updated_is_the_latest_of_every_timestamp(tmp_path):
    # S = 2025-03-20. c1: created 09:00, message 09:10 with updated_at 2025-03-25 (after S, kept as is)
    #   -> Last Updated 2025-03-25T00:00.
    # c2: created 09:00, message 09:10 deleted_at 12:00, event 11:00, survey sent 13:00 responded 14:30
    #   -> 14:30 (responded_at).
    # c3: created 09:00, message 09:10, event 15:45:00.123 -> 15:45:00.123.
    # c4: created 09:00, nothing else -> 09:00.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3"), conv("c4")],
            "messages": [
                reply("m1", "c1", at("09:10:00.000"), "u1", updated_at="2025-03-25T00:00:00.000Z"),
                inbound("m2", "c2", at("09:10:00.000"), deleted_at=at("12:00:00.000")),
                inbound("m3", "c3", at("09:10:00.000")),
            ],
            "conversation_events": [
                status("c2", at("11:00:00.000"), "PENDING", "u1"),
                status("c3", at("15:45:00.123"), "PENDING", "u1"),
            ],
            "csat_surveys": [survey("s1", "c2", at("13:00:00.000"), at("14:30:00.000"), 4)],
        },
    )
    frame = open_rows(dump)
    assert row(frame, conversation_id="c1")["last_updated"] == ts("2025-03-25T00:00:00.000Z")
    assert row(frame, conversation_id="c2")["last_updated"] == ts(at("14:30:00.000"))
    assert row(frame, conversation_id="c3")["last_updated"] == ts(at("15:45:00.123"))
    assert row(frame, conversation_id="c4")["last_updated"] == ts(at("09:00:00.000"))


def test_conversation_url_language_and_template(tmp_path):
    # c1 has its own url; c2 has none -> manifest template with {conversation_id} filled in.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1", url="https://x.example/c/one", language="es"), conv("c2")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
        },
        conversation_url_template="https://inbox.example.com/conversations/{conversation_id}",
    )
    frame = open_rows(dump)
    c1, c2 = row(frame, conversation_id="c1"), row(frame, conversation_id="c2")
    assert (c1["conversation_url"], c1["language"]) == ("https://x.example/c/one", "es")
    assert c2["conversation_url"] == "https://inbox.example.com/conversations/c2"
    assert na(c2["language"])


def test_conversation_url_empty_without_url_or_template(tmp_path):
    dump = make(
        tmp_path,
        {"conversations": [conv("c1")], "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")]},
    )
    assert na(row(open_rows(dump), conversation_id="c1")["conversation_url"])


def test_channel_and_contact_columns(tmp_path):
    # c1 in ch1 (WHATSAPP "Support" / "Support WA"), contact k2 (@kai, no secondary)
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1", contact="k2")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
        },
    )
    c1 = row(open_rows(dump), conversation_id="c1")
    assert (c1["medium"], c1["channel_name"], c1["channel_display_name"]) == (
        "WHATSAPP",
        "Support",
        "Support WA",
    )
    assert (c1["contact_id"], c1["contact_primary_identifier"]) == ("k2", "@kai")
    assert na(c1["contact_secondary_identifier"])
    assert c1["created_at"] == ts(at("09:00:00.000"))


def test_open_export_range_keeps_conversations_created_in_it(tmp_path):
    # open export with a range keeps the open conversations CREATED in it:
    # c1 created 2025-03-09 23:59:59.999 (out), c2 2025-03-10 00:00 (in), c3 2025-03-11 00:00 (out).
    dump = make(
        tmp_path,
        {
            "conversations": [
                conv("c1", "2025-03-09T23:59:59.999Z"),
                conv("c2", "2025-03-10T00:00:00.000Z"),
                conv("c3", "2025-03-11T00:00:00.000Z"),
            ],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
        },
    )
    assert list(export(dump, "open-conversation", "2025-03-10")["conversation_id"]) == ["c2"]
    # without a range: every open conversation, sorted by Created at
    assert list(open_rows(dump)["conversation_id"]) == ["c1", "c2", "c3"]


def test_status_changes_at_the_same_instant_keep_file_order(tmp_path):
    # at 10:00: RESOLVED by u1/t1, then PENDING by u2/t2 (file order) -> current PENDING, last change u2/t2;
    # the conversation was still resolved (first resolution 10:00) -> a row of the resolved export too.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1", "t1"),
                status("c1", at("10:00:00.000"), "PENDING", "u2", "t2"),
            ],
        },
    )
    c1 = row(open_rows(dump), conversation_id="c1")
    assert (c1["current_status"], c1["last_change_user_id"], c1["last_change_team_id"]) == (
        "PENDING",
        "u2",
        "t2",
    )
    assert c1["resolved_at"] == ts(at("10:00:00.000"))
    assert list(export(dump, "resolved-conversation", "2025-03-10")["conversation_id"]) == ["c1"]
