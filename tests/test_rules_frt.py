"""First response time and first responder (exports.md "First response time").

Every conversation here is in ch1, which has no business hours: FRT is wall-clock.
The open-conversation export without a range lists every NEW/PENDING conversation.
"""

from dumpkit import at, conv, export, inbound, make, na, queued, reply, row, system_message, va_message

HANDOVER_VA = "VA_HANDED_OVER_CONVERSATION"
HANDOVER_AR = "AR_HANDED_OVER_CONVERSATION"


def frt(tmp_path, messages, events=()):
    dump = make(
        tmp_path, {"conversations": [conv("c1")], "messages": messages, "conversation_events": list(events)}
    )
    return row(export(dump, "open-conversation"), conversation_id="c1")["first_response_time"]


def test_frt_from_first_inbound_to_first_human_reply(tmp_path):
    # t0 = first inbound 10:00:00.000, first human reply 10:02:30.500 -> 150.500 s
    value = frt(
        tmp_path,
        [
            inbound("m1", "c1", at("10:00:00.000")),
            inbound("m2", "c1", at("10:01:00.000")),
            reply("m3", "c1", at("10:02:30.500"), "u1"),
            reply("m4", "c1", at("10:05:00.000"), "u2"),
        ],
    )
    assert value == 150_500


def test_frt_reply_at_t0_is_zero(tmp_path):
    # inbound 10:00:00.000 and reply 10:00:00.000 -> "at or after t0" -> 0.000 s (not empty)
    value = frt(
        tmp_path, [inbound("m1", "c1", at("10:00:00.000")), reply("m2", "c1", at("10:00:00.000"), "u1")]
    )
    assert value == 0


def test_frt_va_handover_before_first_reply_is_t0(tmp_path):
    # inbound 10:00, handovers 10:05 and 10:06, reply 10:07:00.250
    # t0 = the FIRST qualifying handover 10:05 -> 2 min 0.250 s = 120.250 s
    value = frt(
        tmp_path,
        [inbound("m1", "c1", at("10:00:00.000")), reply("m2", "c1", at("10:07:00.250"), "u1")],
        [
            queued("c1", at("10:00:00.000"), "NEW_INBOUND_MESSAGE"),
            queued("c1", at("10:05:00.000"), HANDOVER_VA, virtual_agent_id="va1"),
            queued("c1", at("10:06:00.000"), HANDOVER_AR),
        ],
    )
    assert value == 120_250


def test_frt_ar_handover_and_started_by_compared_ignoring_case(tmp_path):
    # started_by "ar_handed_over_conversation" (lower case) is an AR handover (dump-format: compared
    # ignoring case). inbound 10:00, handover 10:30, reply 10:31 -> t0 = 10:30 -> 60.000 s
    value = frt(
        tmp_path,
        [inbound("m1", "c1", at("10:00:00.000")), reply("m2", "c1", at("10:31:00.000"), "u1")],
        [queued("c1", at("10:30:00.000"), "ar_handed_over_conversation")],
    )
    assert value == 60_000


def test_frt_other_queue_entries_are_not_t0(tmp_path):
    # MOVED_BY_AGENT at 10:30 is no handover: t0 = first inbound 10:00, reply 10:31 -> 1860.000 s
    value = frt(
        tmp_path,
        [inbound("m1", "c1", at("10:00:00.000")), reply("m2", "c1", at("10:31:00.000"), "u1")],
        [queued("c1", at("10:30:00.000"), "MOVED_BY_AGENT")],
    )
    assert value == 1_860_000


def test_frt_handover_at_the_first_reply_instant_is_not_strictly_before(tmp_path):
    # handover 10:07:00.000 == first reply 10:07:00.000: not strictly earlier -> ignored;
    # t0 = first inbound 10:00 -> 420.000 s
    value = frt(
        tmp_path,
        [inbound("m1", "c1", at("10:00:00.000")), reply("m2", "c1", at("10:07:00.000"), "u1")],
        [queued("c1", at("10:07:00.000"), HANDOVER_VA, virtual_agent_id="va1")],
    )
    assert value == 420_000


def test_frt_handover_after_first_reply_is_ignored(tmp_path):
    # inbound 10:00, reply 10:03, handover 10:05, reply 10:09
    # handover not before the first reply -> t0 = 10:00, first response 10:03 -> 180.000 s
    value = frt(
        tmp_path,
        [
            inbound("m1", "c1", at("10:00:00.000")),
            reply("m2", "c1", at("10:03:00.000"), "u1"),
            reply("m3", "c1", at("10:09:00.000"), "u1"),
        ],
        [queued("c1", at("10:05:00.000"), HANDOVER_VA, virtual_agent_id="va1")],
    )
    assert value == 180_000


def test_frt_agent_reply_before_first_inbound_is_not_the_first_response(tmp_path):
    # outbound-first: reply 09:50 (before any inbound), inbound 10:00, reply 10:04:00.001
    # t0 = 10:00; first reply at or after t0 = 10:04:00.001 -> 240.001 s
    value = frt(
        tmp_path,
        [
            reply("m0", "c1", at("09:50:00.000"), "u1"),
            inbound("m1", "c1", at("10:00:00.000")),
            reply("m2", "c1", at("10:04:00.001"), "u2"),
        ],
    )
    assert value == 240_001


def test_frt_handover_after_an_outbound_first_reply_is_ignored(tmp_path):
    # Literal reading: the handover must be strictly earlier than the conversation's FIRST human
    # reply (09:00, sent before any inbound). reply 09:00, inbound 09:10, handover 09:20, reply 09:30
    # -> the 09:20 handover is not before 09:00 -> t0 = first inbound 09:10 -> reply 09:30 -> 1200.000 s
    value = frt(
        tmp_path,
        [
            reply("m0", "c1", at("09:00:00.000"), "u1"),
            inbound("m1", "c1", at("09:10:00.000")),
            reply("m2", "c1", at("09:30:00.000"), "u1"),
        ],
        [queued("c1", at("09:20:00.000"), HANDOVER_VA, virtual_agent_id="va1")],
    )
    assert value == 1_200_000


def test_frt_handover_without_inbound_is_t0(tmp_path):
    # no inbound at all; handover 10:00, reply 10:01:30.000 -> t0 = 10:00 -> 90.000 s
    value = frt(
        tmp_path,
        [reply("m2", "c1", at("10:01:30.000"), "u1")],
        [queued("c1", at("10:00:00.000"), HANDOVER_VA, virtual_agent_id="va1")],
    )
    assert value == 90_000


def test_frt_empty_without_t0(tmp_path):
    # no inbound, no handover: no t0 -> empty even though a human reply exists
    value = frt(tmp_path, [reply("m2", "c1", at("10:01:30.000"), "u1")])
    assert na(value)


def test_frt_empty_without_human_reply(tmp_path):
    # c1: VA and system messages are not human replies -> no first response -> empty.
    # (c2 holds the dump's only human reply: inbound 10:00, reply 10:00:01 -> 1.000 s.)
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [
                inbound("m1", "c1", at("10:00:00.000")),
                va_message("m2", "c1", at("10:00:05.000"), "va1"),
                system_message("m3", "c1", at("10:00:06.000")),
                inbound("m4", "c2", at("10:00:00.000")),
                reply("m5", "c2", at("10:00:01.000"), "u1"),
            ],
        },
    )
    frame = export(dump, "open-conversation")
    assert na(row(frame, conversation_id="c1")["first_response_time"])
    assert row(frame, conversation_id="c2")["first_response_time"] == 1_000


def test_frt_empty_when_the_dump_has_no_human_reply_at_all(tmp_path):
    # The same rule when no conversation of the dump has a human reply: FRT empty, no crash.
    value = frt(
        tmp_path,
        [
            inbound("m1", "c1", at("10:00:00.000")),
            va_message("m2", "c1", at("10:00:05.000"), "va1"),
        ],
    )
    assert na(value)


def test_frt_empty_when_only_reply_is_before_inbound(tmp_path):
    # reply 09:00, inbound 10:00, no later reply -> no reply at or after t0 -> empty
    value = frt(
        tmp_path, [reply("m0", "c1", at("09:00:00.000"), "u1"), inbound("m1", "c1", at("10:00:00.000"))]
    )
    assert na(value)


def test_frt_deleted_reply_still_counts(tmp_path):
    # Precise rule "Deleted messages": a deleted human reply is still the first response.
    # inbound 10:00, deleted reply 10:00:42.042 -> 42.042 s
    value = frt(
        tmp_path,
        [
            inbound("m1", "c1", at("10:00:00.000")),
            reply("m2", "c1", at("10:00:42.042"), "u1", deleted_at=at("10:01:00.000")),
            reply("m3", "c1", at("10:05:00.000"), "u1"),
        ],
    )
    assert value == 42_042


def test_frt_deleted_inbound_is_still_t0(tmp_path):
    # a deleted inbound message still counts as the first inbound: t0 = 10:00, reply 10:00:10 -> 10.000 s
    value = frt(
        tmp_path,
        [
            inbound("m1", "c1", at("10:00:00.000"), deleted_at=at("10:00:30.000")),
            reply("m2", "c1", at("10:00:10.000"), "u1"),
        ],
    )
    assert value == 10_000


def test_frt_written_with_three_decimals(tmp_path):
    from sparkdesk.writers import WriteOptions, format_column

    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("m1", "c1", at("10:00:00.000")),
                reply("m2", "c1", at("10:02:30.500"), "u1"),
            ],
        },
    )
    frame = export(dump, "open-conversation")
    text = format_column(frame["first_response_time"], "duration", WriteOptions(tz="UTC"))
    assert list(text) == ["150.500"]


def test_first_responder_team_gets_the_frt(tmp_path):
    # c1: reply by u1/t1 at 09:50 is before the first inbound (10:00) -> not the first response;
    #     first response is u2/t2 at 10:04 -> FRT 240.000 s for team t2.
    # Team t1 has a reply in the range (a row) but no first response -> average empty.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                reply("m0", "c1", at("09:50:00.000"), "u1", "t1"),
                inbound("m1", "c1", at("10:00:00.000")),
                reply("m2", "c1", at("10:04:00.000"), "u2", "t2"),
            ],
        },
    )
    teams = export(dump, "team", "2025-03-10")
    assert list(teams["team_id"]) == ["t1", "t2"]
    assert na(row(teams, team_id="t1")["avg_first_response_time"])
    assert row(teams, team_id="t2")["avg_first_response_time"] == 240_000


def test_replies_at_the_same_instant_keep_reading_order(tmp_path):
    # Precise rule "Same instant": rows sharing a timestamp keep their reading order.
    # inbound 10:00; replies "r2" (u2/t2, read first) and "r1" (u1/t1, read second) both at 10:05
    # -> the first response is r2: FRT 300.000 s for team t2; t1 has a reply but no first response.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("m1", "c1", at("10:00:00.000")),
                reply("r2", "c1", at("10:05:00.000"), "u2", "t2"),
                reply("r1", "c1", at("10:05:00.000"), "u1", "t1"),
            ],
        },
    )
    teams = export(dump, "team", "2025-03-10")
    assert row(teams, team_id="t2")["avg_first_response_time"] == 300_000
    assert na(row(teams, team_id="t1")["avg_first_response_time"])


def test_frt_empty_when_the_only_handover_follows_the_first_reply_and_no_inbound(tmp_path):
    # reply 10:00, handover 10:05, reply 10:10, no inbound: the handover is not before the first reply,
    # and there is no inbound -> no t0 -> empty
    value = frt(
        tmp_path,
        [reply("m1", "c1", at("10:00:00.000"), "u1"), reply("m2", "c1", at("10:10:00.000"), "u1")],
        [queued("c1", at("10:05:00.000"), HANDOVER_VA, virtual_agent_id="va1")],
    )
    assert na(value)
