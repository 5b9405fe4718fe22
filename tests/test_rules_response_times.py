"""Response times: each QUEUED entry answered by the first human reply at or after it and before
the conversation's next QUEUED; rows by the reply's time (exports.md section 10)."""

from dumpkit import (
    at,
    conv,
    export,
    inbound,
    make,
    na,
    queued,
    reply,
    row,
    system_message,
    ts,
    va_message,
)


def rows(frame):
    return [
        (
            r["conversation_id"],
            r["started_by"],
            r["queued_at"],
            r["replied_at"],
            r["response_time"],
            r["user_id"],
            None if na(r["inbound_message_id"]) else r["inbound_message_id"],
            r["outbound_message_id"],
        )
        for _, r in frame.iterrows()
    ]


def test_each_queue_entry_answered_by_the_first_reply(tmp_path):
    # c1: inbound m1 10:00, QUEUED 10:00, reply r1 by u1 10:03 -> 180.000 s
    #     inbound m2 11:00, QUEUED 11:00, reply r2 by u2 11:10:30.250 -> 630.250 s; r3 11:12 answers nothing
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1", url="https://x.example/c1")],
            "messages": [
                inbound("m1", "c1", at("10:00:00.000")),
                reply("r1", "c1", at("10:03:00.000"), "u1"),
                inbound("m2", "c1", at("11:00:00.000")),
                reply("r2", "c1", at("11:10:30.250"), "u2"),
                reply("r3", "c1", at("11:12:00.000"), "u1"),
            ],
            "conversation_events": [
                queued("c1", at("10:00:00.000"), "NEW_INBOUND_MESSAGE"),
                queued("c1", at("11:00:00.000"), "REOPENED_BY_CONTACT"),
            ],
        },
    )
    frame = export(dump, "response-times", "2025-03-10")
    assert rows(frame) == [
        (
            "c1",
            "NEW_INBOUND_MESSAGE",
            ts(at("10:00:00.000")),
            ts(at("10:03:00.000")),
            180_000,
            "u1",
            "m1",
            "r1",
        ),
        (
            "c1",
            "REOPENED_BY_CONTACT",
            ts(at("11:00:00.000")),
            ts(at("11:10:30.250")),
            630_250,
            "u2",
            "m2",
            "r2",
        ),
    ]
    first = frame.iloc[0]
    assert (first["user_name"], first["user_reference"], first["conversation_url"]) == (
        "Ana",
        "R-1",
        "https://x.example/c1",
    )
    assert (first["medium"], first["channel_name"], first["channel_display_name"], first["contact_id"]) == (
        "WHATSAPP",
        "Support",
        "Support WA",
        "k1",
    )


def test_reply_must_come_before_the_next_queue_entry(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c2"), conv("c3")],
            "messages": [
                reply("r2", "c2", at("12:40:00.000"), "u1"),
                reply("r3", "c3", at("13:30:00.000"), "u1"),
            ],
            "conversation_events": [
                # c2: QUEUED 12:00, QUEUED 12:30, reply 12:40 -> answers only the 12:30 entry (600.000 s)
                queued("c2", at("12:00:00.000"), "MOVED_BY_AGENT"),
                queued("c2", at("12:30:00.000"), "NEW_INBOUND_MESSAGE"),
                # c3: QUEUED 13:00, QUEUED 13:30, reply at exactly 13:30 -> not before the next entry, so it
                #     answers the 13:30 entry (0.000 s); 13:00 stays unanswered
                queued("c3", at("13:00:00.000"), "MOVED_BY_AGENT"),
                queued("c3", at("13:30:00.000"), "REOPENED_BY_CONTACT"),
            ],
        },
    )
    assert rows(export(dump, "response-times", "2025-03-10")) == [
        (
            "c2",
            "NEW_INBOUND_MESSAGE",
            ts(at("12:30:00.000")),
            ts(at("12:40:00.000")),
            600_000,
            "u1",
            None,
            "r2",
        ),
        ("c3", "REOPENED_BY_CONTACT", ts(at("13:30:00.000")), ts(at("13:30:00.000")), 0, "u1", None, "r3"),
    ]


def test_inbound_message_is_the_latest_at_or_before_the_queue_entry(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c4"), conv("c5")],
            "messages": [
                # c4: inbound a 09:00, b 09:59, c exactly at q.at 10:00, d 10:01 (after) -> "c"
                inbound("a", "c4", at("09:00:00.000")),
                inbound("b", "c4", at("09:59:00.000")),
                inbound("c", "c4", at("10:00:00.000")),
                inbound("d", "c4", at("10:01:00.000")),
                reply("r4", "c4", at("10:05:00.000"), "u1"),
                # c5: the only inbound (10:02) comes after q.at 10:00 -> empty
                inbound("e", "c5", at("10:02:00.000")),
                reply("r5", "c5", at("10:03:00.000"), "u2"),
            ],
            "conversation_events": [
                queued("c4", at("10:00:00.000"), "NEW_INBOUND_MESSAGE"),
                queued("c5", at("10:00:00.000"), "OUTBOUND_BY_AGENT"),
            ],
        },
    )
    frame = export(dump, "response-times", "2025-03-10")
    assert row(frame, conversation_id="c4")["inbound_message_id"] == "c"
    assert na(row(frame, conversation_id="c5")["inbound_message_id"])


def test_rows_by_the_replys_day_only_human_replies_deleted_count(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c6", "2025-03-09T22:00:00.000Z"), conv("c7")],
            "messages": [
                # c6: QUEUED 03-09 23:00, reply 03-10 01:00 -> a row of 03-10 (7200.000 s), not of 03-09
                reply("r6", "c6", "2025-03-10T01:00:00.000Z", "u1"),
                # c7: VA and system messages do not answer; the deleted human reply 10:04 does -> 240.000 s
                va_message("v7", "c7", at("10:01:00.000"), "va1"),
                system_message("s7", "c7", at("10:02:00.000")),
                reply("r7", "c7", at("10:04:00.000"), "u2", deleted_at=at("10:05:00.000")),
            ],
            "conversation_events": [
                queued("c6", "2025-03-09T23:00:00.000Z", "NEW_INBOUND_MESSAGE"),
                queued("c7", at("10:00:00.000"), "va_handed_over_conversation", handover_reason="Error"),
            ],
        },
    )
    assert len(export(dump, "response-times", "2025-03-09")) == 0
    frame = export(dump, "response-times", "2025-03-10")
    assert list(frame["conversation_id"]) == ["c6", "c7"]  # by To: 01:00 then 10:04
    assert row(frame, conversation_id="c6")["response_time"] == 7_200_000
    c7 = row(frame, conversation_id="c7")
    assert (c7["response_time"], c7["outbound_message_id"], c7["user_id"]) == (240_000, "r7", "u2")
    # free text written as given
    assert (c7["started_by"], c7["handover_reason"]) == ("va_handed_over_conversation", "Error")


def test_sorted_by_to_then_conversation_id_and_channel_filter(tmp_path):
    # c10 and c9 both answered at 15:00 -> ids as text: "c10" < "c9"; c8 answered 14:00 comes first.
    # cx in ch2 is left out when only ch1 is selected.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c9"), conv("c10"), conv("c8"), conv("cx", channel="ch2")],
            "messages": [
                reply("r9", "c9", at("15:00:00.000"), "u1"),
                reply("r10", "c10", at("15:00:00.000"), "u1"),
                reply("r8", "c8", at("14:00:00.000"), "u1"),
                reply("rx", "cx", at("14:30:00.000"), "u1"),
            ],
            "conversation_events": [
                queued("c9", at("13:00:00.000"), "NEW_INBOUND_MESSAGE"),
                queued("c10", at("13:00:00.000"), "NEW_INBOUND_MESSAGE"),
                queued("c8", at("13:00:00.000"), "NEW_INBOUND_MESSAGE"),
                queued("cx", at("13:00:00.000"), "NEW_INBOUND_MESSAGE"),
            ],
        },
    )
    assert list(export(dump, "response-times", "2025-03-10")["conversation_id"]) == ["c8", "cx", "c10", "c9"]
    assert list(export(dump, "response-times", "2025-03-10", channels=("ch1",))["conversation_id"]) == [
        "c8",
        "c10",
        "c9",
    ]


def test_same_instant_inbound_and_replies_keep_reading_order(tmp_path):
    # inbound "b" then "a" (reading order) both at 09:59 -> the latest at or before q.at 10:00 is "a";
    # replies "y" then "x" both at 10:01 -> the first reply is "y".
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("b", "c1", at("09:59:00.000")),
                inbound("a", "c1", at("09:59:00.000")),
                reply("y", "c1", at("10:01:00.000"), "u2"),
                reply("x", "c1", at("10:01:00.000"), "u1"),
            ],
            "conversation_events": [queued("c1", at("10:00:00.000"), "NEW_INBOUND_MESSAGE")],
        },
    )
    frame = export(dump, "response-times", "2025-03-10")
    assert rows(frame) == [
        ("c1", "NEW_INBOUND_MESSAGE", ts(at("10:00:00.000")), ts(at("10:01:00.000")), 60_000, "u2", "a", "y")
    ]
