"""Team, user and virtual-agent aggregates (exports.md sections 4, 9 and 11)."""

from dumpkit import (
    at,
    conv,
    export,
    inbound,
    lock,
    make,
    message_tag,
    na,
    queued,
    reply,
    resolve,
    row,
    status,
    topic_event,
    ts,
    unlock,
    va_message,
)

D9 = "2025-03-09"


def test_team_rows_replies_contacts_tags_topics(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [
                conv("c1", contact="k1"),
                conv("c2", contact="k1"),
                conv("c3", contact="k2"),
                conv("c4", channel="ch2", contact="k2"),
            ],
            "messages": [
                # t1 replies in the range: c1 x2 (k1), c2 (k1), c3 deleted (k2), c4 in ch2 (k2) -> 5 replies,
                # contacts k1, k2 -> 2; only ch1: 4 replies, still k1 and k2 -> 2
                reply("r1", "c1", at("10:00:00.000"), "u1", "t1"),
                reply("r2", "c1", at("10:01:00.000"), "u2", "t1"),
                reply("r3", "c2", at("10:02:00.000"), "u1", "t1"),
                reply("r4", "c3", at("10:03:00.000"), "u1", "t1", deleted_at=at("10:04:00.000")),
                reply("r5", "c4", at("10:05:00.000"), "u1", "t1"),
                # outside the range: not counted
                reply("r6", "c1", "2025-03-11T10:00:00.000Z", "u1", "t1"),
                # t9 is not in teams: a row with empty name and created_at
                reply("r7", "c1", at("11:00:00.000"), "u3", "t9"),
                # a reply without team makes no team row
                reply("r8", "c2", at("11:00:00.000"), "u3"),
            ],
            "conversation_events": [
                # t2: a resolution and a lock session but no reply -> no row
                resolve("c3", at("12:00:00.000"), "u2", "t2"),
                lock("c2", at("12:00:00.000"), "u2", "t2"),
                unlock("c2", at("12:01:00.000"), "u2", "t2"),
                # topics for t1: two TOPIC_ADDED in range (one later removed: still added) -> 2;
                # the TOPIC_REMOVED is not an addition; one on 03-11 is out of range
                topic_event("c1", at("13:00:00.000"), "tp1", user_id="u1", team_id="t1"),
                topic_event("c2", at("13:00:00.000"), "tp1", user_id="u1", team_id="t1"),
                topic_event("c2", at("13:30:00.000"), "tp1", added=False, user_id="u1", team_id="t1"),
                topic_event("c3", "2025-03-11T13:00:00.000Z", "tp1", user_id="u1", team_id="t1"),
            ],
            "message_tags": [
                # tags for t1: two ADDED rows in range -> 2 (REMOVED not counted, 03-11 out of range)
                message_tag("r1", "g1", at("14:00:00.000"), user_id="u1", team_id="t1"),
                message_tag("r1", "g1", at("14:10:00.000"), added=False, user_id="u1", team_id="t1"),
                message_tag("r1", "g1", at("14:20:00.000"), user_id="u1", team_id="t1"),
                message_tag("r2", "g1", "2025-03-11T14:00:00.000Z", user_id="u1", team_id="t1"),
            ],
        },
    )
    teams = export(dump, "team", "2025-03-10")
    # sorted by Team Name: "" (t9) before "Alpha" (t1)
    assert list(teams["team_id"]) == ["t9", "t1"]
    t9 = teams.iloc[0]
    assert na(t9["team_name"]) and na(t9["created_at"]) and t9["replies"] == 1
    t1 = teams.iloc[1]
    assert (t1["team_name"], t1["created_at"]) == ("Alpha", ts("2024-01-01T00:00:00.000Z"))
    assert (t1["replies"], t1["contacts_helped"], t1["tags_added"], t1["topics_added"]) == (5, 2, 2, 2)
    t1_ch1 = row(export(dump, "team", "2025-03-10", channels=("ch1",)), team_id="t1")
    assert (t1_ch1["replies"], t1_ch1["contacts_helped"]) == (4, 2)


def test_team_average_resolution_time(tmp_path):
    # first resolutions in the range made for t1:
    #   c1: inbound 09:00 -> RESOLVED 10:00 -> 3 600 000 ms
    #   c2: inbound 09:00 -> RESOLVED 09:30:00.001 -> 1 800 001 ms
    #   c3: no inbound -> undefined, left out of the average
    # not t1's: c4 first resolved 03-09 (t1) and again 03-10 (t1): first resolution out of range;
    #           c5 first resolved by t2, later by t1.
    # mean = (3 600 000 + 1 800 001) / 2 = 2 700 000.5 -> half away from zero -> 2 700 001 ms
    dump = make(
        tmp_path,
        {
            "conversations": [
                conv("c1"),
                conv("c2"),
                conv("c3"),
                conv("c4", "2025-03-09T08:00:00.000Z"),
                conv("c5"),
            ],
            "messages": [
                inbound("i1", "c1", at("09:00:00.000")),
                inbound("i2", "c2", at("09:00:00.000")),
                inbound("i4", "c4", "2025-03-09T09:00:00.000Z"),
                inbound("i5", "c5", at("09:00:00.000")),
                reply("r1", "c1", at("09:10:00.000"), "u1", "t1"),
            ],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1", "t1"),
                resolve("c2", at("09:30:00.001"), "u1", "t1"),
                resolve("c3", at("10:00:00.000"), "u1", "t1"),
                resolve("c4", "2025-03-09T10:00:00.000Z", "u1", "t1"),
                status("c4", "2025-03-09T11:00:00.000Z", "NEW"),
                resolve("c4", at("10:00:00.000"), "u1", "t1"),
                resolve("c5", at("09:05:00.000"), "u2", "t2"),
                status("c5", at("09:06:00.000"), "NEW"),
                resolve("c5", at("11:00:00.000"), "u1", "t1"),
            ],
        },
    )
    t1 = row(export(dump, "team", "2025-03-10"), team_id="t1")
    assert t1["avg_resolution_time"] == 2_700_001


def test_team_average_first_response_time(tmp_path):
    # conversations whose first response (the reply ending FRT) was sent for t1 in the range:
    #   c1: inbound 03-09 23:00, first reply 03-10 00:30 (t1) -> 5 400 000 ms (t0 before the range is fine)
    #   c2: inbound 10:00, first reply 10:00:00.003 (t1) -> 3 ms
    # not counted: c3 first response on 03-09 (a later t1 reply on 03-10 is not a first response);
    #              c4 first response for t2.
    # mean = 5 400 003 / 2 = 2 700 001.5 -> 2 700 002 ms
    dump = make(
        tmp_path,
        {
            "conversations": [
                conv("c1", "2025-03-09T22:00:00.000Z"),
                conv("c2"),
                conv("c3", "2025-03-09T08:00:00.000Z"),
                conv("c4"),
            ],
            "messages": [
                inbound("i1", "c1", "2025-03-09T23:00:00.000Z"),
                reply("r1", "c1", "2025-03-10T00:30:00.000Z", "u1", "t1"),
                inbound("i2", "c2", at("10:00:00.000")),
                reply("r2", "c2", at("10:00:00.003"), "u2", "t1"),
                inbound("i3", "c3", "2025-03-09T09:00:00.000Z"),
                reply("r3a", "c3", "2025-03-09T09:05:00.000Z", "u1", "t1"),
                reply("r3b", "c3", at("09:00:00.000"), "u1", "t1"),
                inbound("i4", "c4", at("10:00:00.000")),
                reply("r4", "c4", at("10:10:00.000"), "u1", "t2"),
            ],
        },
    )
    teams = export(dump, "team", "2025-03-10")
    assert row(teams, team_id="t1")["avg_first_response_time"] == 2_700_002
    assert row(teams, team_id="t2")["avg_first_response_time"] == 600_000


def test_team_rows_are_the_teams_with_a_reply_in_the_range_only(tmp_path):
    # Issue 12. t1 (ch1) first-resolves c1 and c2 on 03-10 but replies only on 03-09 and 03-11;
    # t2 (ch2) replies once on 03-10 and resolves nothing.
    #   c1 (ch1, k1): inbound 03-09 09:00, r1 t1 03-09 09:10, RESOLVED t1 03-10 10:00 (cycle holds r1)
    #   c2 (ch1, k1): inbound 03-10 09:00, RESOLVED t1 03-10 11:00 (no reply in its cycle), r2 t1 03-11 09:00
    #   c3 (ch2, k2): inbound 03-10 09:00, r3 t2 03-10 09:30 -> FRT 1 800 000 ms
    dump = make(
        tmp_path,
        {
            "conversations": [
                conv("c1", "2025-03-09T08:00:00.000Z", contact="k1"),
                conv("c2", contact="k1"),
                conv("c3", channel="ch2", contact="k2"),
            ],
            "messages": [
                inbound("i1", "c1", "2025-03-09T09:00:00.000Z"),
                reply("r1", "c1", "2025-03-09T09:10:00.000Z", "u1", "t1"),
                inbound("i2", "c2", at("09:00:00.000")),
                reply("r2", "c2", "2025-03-11T09:00:00.000Z", "u1", "t1"),
                inbound("i3", "c3", at("09:00:00.000")),
                reply("r3", "c3", at("09:30:00.000"), "u2", "t2"),
            ],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1", "t1"),
                resolve("c2", at("11:00:00.000"), "u1", "t1"),
            ],
        },
    )
    # 03-10, every channel: t1's first resolutions are in the range, its replies are not -> t2 only
    teams = export(dump, "team", "2025-03-10")
    assert list(teams["team_id"]) == ["t2"]
    t2 = teams.iloc[0]
    assert (t2["team_name"], t2["created_at"]) == ("Beta", ts("2024-02-01T00:00:00.000Z"))
    assert (t2["replies"], t2["contacts_helped"], t2["avg_first_response_time"]) == (1, 1, 1_800_000)
    assert (t2["resolves_with_reply"], t2["resolves_without_reply"], t2["handle_time"]) == (0, 0, 0)
    assert na(t2["avg_resolution_time"]) and na(t2["avg_handle_time"])
    assert list(export(dump, "team", "2025-03-10", channels=("ch2",))["team_id"]) == ["t2"]
    # only ch1: no human reply in the range at all -> no row (t1 used to appear, averages filled)
    assert list(export(dump, "team", "2025-03-10", channels=("ch1",))["team_id"]) == []
    # 03-11: r2 is t1's reply in the range -> t1 is a row; c2's first response is r2 (24 h after i2);
    # no first resolution and no resolution on 03-11
    t1 = row(export(dump, "team", "2025-03-11"), team_id="t1")
    assert (t1["replies"], t1["contacts_helped"], t1["avg_first_response_time"]) == (1, 1, 86_400_000)
    assert (t1["resolves_with_reply"], t1["resolves_without_reply"]) == (0, 0)
    assert na(t1["avg_resolution_time"])
    # 03-09..03-10 with ch1: r1 is in the range -> t1, with both first resolutions:
    # c1 25 h 00 min = 90 000 000 ms, c2 2 h = 7 200 000 ms -> mean 48 600 000 ms; c1 with reply, c2 without
    t1 = row(export(dump, "team", "2025-03-09", "2025-03-10", channels=("ch1",)), team_id="t1")
    assert (t1["avg_resolution_time"], t1["avg_first_response_time"]) == (48_600_000, 600_000)
    assert (t1["resolves_with_reply"], t1["resolves_without_reply"], t1["replies"]) == (1, 1, 1)


def test_user_rows_from_any_activity_in_the_range(tmp_path):
    dump = make(
        tmp_path,
        {
            "users": [{"user_id": "u4", "name": "Dora"}],
            "conversations": [conv("c1"), conv("c2")],
            "messages": [
                inbound("i1", "c1", at("09:00:00.000")),
                # u9 is not in users: a row with empty name/email/reference, sorted first
                reply("r9", "c1", at("09:30:00.000"), "u9"),
                # u4's only reply is on 03-09 -> no row on 03-10
                reply("r4", "c2", "2025-03-09T09:30:00.000Z", "u4"),
            ],
            "conversation_events": [
                # u2: only a topic added
                topic_event("c1", at("10:00:00.000"), "tp1", user_id="u2"),
                # u3: only a resolution (no reply in its cycle... r9 at 09:30 is in it -> with reply)
                resolve("c1", at("11:00:00.000"), "u3"),
            ],
            "message_tags": [
                # u1: only a tag added
                message_tag("i1", "g1", at("12:00:00.000"), user_id="u1"),
            ],
        },
    )
    users = export(dump, "user", "2025-03-10")
    assert list(users["user_id"]) == ["u9", "u1", "u2", "u3"]  # "", Ana, Ben, Cleo
    u9, u1, u2, u3 = (users.iloc[i] for i in range(4))
    assert na(u9["user_name"]) and na(u9["user_email"]) and na(u9["user_reference"])
    assert (u9["replies"], u9["contacts_helped"]) == (1, 1)
    assert (u1["user_email"], u1["user_reference"], u1["tags_added"], u1["replies"]) == (
        "ana@example.com",
        "R-1",
        1,
        0,
    )
    assert (u2["topics_added"], u2["tags_added"]) == (1, 0)
    assert (u3["resolves_with_reply"], u3["resolves_without_reply"]) == (1, 0)


def test_user_replies_and_contacts_helped_with_channel_filter(tmp_path):
    # u1 replies: c1 (k1) x2, c2 (k1), c3 (k2, deleted), c4 (k2, ch2) -> 5 replies, 2 contacts;
    # ch1 only: 4 replies, contacts k1, k2 -> 2; ch2 only: 1 reply, contact k2 -> 1.
    dump = make(
        tmp_path,
        {
            "conversations": [
                conv("c1", contact="k1"),
                conv("c2", contact="k1"),
                conv("c3", contact="k2"),
                conv("c4", channel="ch2", contact="k2"),
            ],
            "messages": [
                reply("r1", "c1", at("10:00:00.000"), "u1"),
                reply("r2", "c1", at("10:01:00.000"), "u1"),
                reply("r3", "c2", at("10:02:00.000"), "u1"),
                reply("r4", "c3", at("10:03:00.000"), "u1", deleted_at=at("10:04:00.000")),
                reply("r5", "c4", at("10:05:00.000"), "u1"),
            ],
        },
    )
    for channels, expected in (((), (5, 2)), (("ch1",), (4, 2)), (("ch2",), (1, 1))):
        u1 = row(export(dump, "user", "2025-03-10", channels=channels), user_id="u1")
        assert (u1["replies"], u1["contacts_helped"]) == expected, channels


def virtual_agent_dump(tmp_path):
    h = "VA_HANDED_OVER_CONVERSATION"
    return make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3"), conv("c9", channel="ch2")],
            "messages": [
                # va1 messages in ch1: c1 twice, c2 -> 2 conversations; in ch2: c9 -> 1
                va_message("v1", "c1", at("09:00:00.000"), "va1"),
                va_message("v2", "c1", at("09:01:00.000"), "va1"),
                va_message("v3", "c2", at("09:02:00.000"), "va1"),
                va_message("v9", "c9", at("09:03:00.000"), "va1"),
                # out of range
                va_message("v4", "c3", "2025-03-11T09:00:00.000Z", "va1"),
                reply("r1", "c1", at("09:30:00.000"), "u1"),
            ],
            "conversation_events": [
                # handovers by va1: c1 empty reason (not ERROR) -> to agent; c3 "TIMEOUT" twice -> to agent (once);
                # c2 reason "error" -> by error (compared ignoring case)
                queued("c1", at("09:10:00.000"), h, virtual_agent_id="va1"),
                queued(
                    "c3",
                    at("09:10:00.000"),
                    "va_handed_over_conversation",
                    virtual_agent_id="va1",
                    handover_reason="TIMEOUT",
                ),
                queued("c3", at("09:20:00.000"), h, virtual_agent_id="va1", handover_reason="TIMEOUT"),
                queued("c2", at("09:10:00.000"), h, virtual_agent_id="va1", handover_reason="error"),
                # not VA handovers: AR handover carrying va1; a VA handover without a virtual_agent_id
                queued("c1", at("09:40:00.000"), "AR_HANDED_OVER_CONVERSATION", virtual_agent_id="va1"),
                queued("c2", at("09:40:00.000"), h),
                # resolved by va1: c1 twice (one conversation) and c2 -> 2
                resolve(
                    "c1", at("10:00:00.000"), None, None, virtual_agent_id="va1", resolved_by="VIRTUAL_AGENT"
                ),
                status("c1", at("10:30:00.000"), "NEW"),
                resolve(
                    "c1", at("11:00:00.000"), None, None, virtual_agent_id="va1", resolved_by="VIRTUAL_AGENT"
                ),
                resolve(
                    "c2", at("10:00:00.000"), None, None, virtual_agent_id="va1", resolved_by="VIRTUAL_AGENT"
                ),
                # topics by va1: c1 (two topics) and c2 -> 2 conversations; a removal on c3 does not count
                topic_event("c1", at("12:00:00.000"), "tp1", virtual_agent_id="va1"),
                topic_event("c1", at("12:01:00.000"), "tp2", virtual_agent_id="va1"),
                topic_event("c2", at("12:02:00.000"), "tp1", virtual_agent_id="va1"),
                topic_event("c3", at("12:03:00.000"), "tp1", added=False, virtual_agent_id="va1"),
                # va2: removals and an AR handover count for nothing; its one VA handover with reason
                # "ERROR" (and an out-of-range one) -> a row with Handover by Error 1 and every other figure 0
                topic_event("c3", at("12:04:00.000"), "tp2", added=False, virtual_agent_id="va2"),
                queued("c3", at("12:05:00.000"), "AR_HANDED_OVER_CONVERSATION", virtual_agent_id="va2"),
                queued("c3", at("12:06:00.000"), h, virtual_agent_id="va2", handover_reason="ERROR"),
                queued("c2", "2025-03-11T12:00:00.000Z", h, virtual_agent_id="va2"),
            ],
            "message_tags": [
                # tags by va1: v1 g1, v1 g2, v3 g1 -> 2 tagged messages, 3 message tags; the removal does not count
                message_tag("v1", "g1", at("13:00:00.000"), virtual_agent_id="va1"),
                message_tag("v1", "g2", at("13:01:00.000"), virtual_agent_id="va1"),
                message_tag("v3", "g1", at("13:02:00.000"), virtual_agent_id="va1"),
                message_tag("v2", "g1", at("13:03:00.000"), added=False, virtual_agent_id="va1"),
                message_tag("v2", "g3", at("13:04:00.000"), added=False, virtual_agent_id="va2"),
            ],
        },
    )


def test_virtual_agent_counts(tmp_path):
    frame = export(virtual_agent_dump(tmp_path), "virtual-agent", "2025-03-10")
    got = [
        (
            r["virtual_agent_id"],
            r["channel_name"],
            r["total_conversations"],
            r["handover_to_agent"],
            r["handover_by_error"],
            r["resolved"],
            r["conversations_with_topic"],
            r["tagged_messages"],
            r["message_tags"],
        )
        for _, r in frame.iterrows()
    ]
    # sorted by Agent Name ("Alfred" < "Botty"), Agent ID, Channel: "Social" (ch2) before "Support" (ch1)
    assert got == [
        ("va2", "Support", 0, 0, 1, 0, 0, 0, 0),
        ("va1", "Social", 1, 0, 0, 0, 0, 0, 0),
        ("va1", "Support", 2, 2, 1, 2, 2, 2, 3),
    ]
    assert (
        frame.loc[2, "virtual_agent_name"],
        frame.loc[2, "medium"],
        frame.loc[2, "channel_display_name"],
    ) == (
        "Botty",
        "WHATSAPP",
        "Support WA",
    )


def test_virtual_agent_channel_filter(tmp_path):
    frame = export(virtual_agent_dump(tmp_path), "virtual-agent", "2025-03-10", channels=("ch2",))
    assert list(
        zip(frame["virtual_agent_id"], frame["channel_name"], frame["total_conversations"], strict=True)
    ) == [("va1", "Social", 1)]


def test_virtual_agent_export_without_activity_is_empty(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("i1", "c1", at("09:00:00.000")),
                reply("r1", "c1", at("09:30:00.000"), "u1"),
            ],
        },
    )
    frame = export(dump, "virtual-agent", "2025-03-10")
    assert len(frame) == 0
    assert list(frame.columns) == [
        "virtual_agent_id",
        "virtual_agent_name",
        "medium",
        "channel_name",
        "channel_display_name",
        "total_conversations",
        "handover_to_agent",
        "handover_by_error",
        "resolved",
        "conversations_with_topic",
        "tagged_messages",
        "message_tags",
    ]
