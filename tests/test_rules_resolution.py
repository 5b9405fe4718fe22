"""First and latest resolution, resolution cycles (with / without reply), resolution time."""

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
    system_message,
    ts,
    va_message,
)

H = 3_600_000


def user_row(dump, user, first="2025-03-10", last=None):
    return row(export(dump, "user", first, last), user_id=user)


def test_first_resolution_selects_the_row_latest_resolution_fills_it(tmp_path):
    # c1: RESOLVED 03-10 10:00 by u1/t1 (reason A), NEW 03-11 09:00, RESOLVED 03-12 10:00 by u2/t2 (reason B).
    # First resolution 03-10 -> a row of 2025-03-10 only; its Resolved columns are the LATEST one (03-12, u2, B).
    # Resolution time uses the first resolution: inbound 03-10 09:00 -> 10:00 = 3600.000 s.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("m1", "c1", at("09:00:00.000")),
                reply("m2", "c1", at("09:30:00.000"), "u1"),
            ],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1", "t1", reason="A"),
                status("c1", "2025-03-11T09:00:00.000Z", "NEW"),
                resolve("c1", "2025-03-12T10:00:00.000Z", "u2", "t2", reason="B", comment="again"),
            ],
        },
    )
    frame = export(dump, "resolved-conversation", "2025-03-10")
    assert list(frame["conversation_id"]) == ["c1"]
    c1 = frame.iloc[0]
    assert c1["resolved_at"] == ts("2025-03-12T10:00:00.000Z")
    assert (
        c1["resolved_user_id"],
        c1["resolved_user_name"],
        c1["resolve_reason"],
        c1["resolve_comment"],
    ) == (
        "u2",
        "Ben",
        "B",
        "again",
    )
    assert c1["current_status"] == "RESOLVED"
    assert c1["resolution_time"] == H
    # the later resolution does not make it a row of its own day
    assert len(export(dump, "resolved-conversation", "2025-03-11", "2025-03-12")) == 0


def test_resolved_rows_sorted_by_first_resolution_time(tmp_path):
    # first resolutions: c1 10:00, c2 08:00, c3 09:00 -> order c2, c3, c1
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3")],
            "messages": [reply("m1", "c1", at("07:00:00.000"), "u1")],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1"),
                resolve("c2", at("08:00:00.000"), "u1"),
                resolve("c3", at("09:00:00.000"), "u1"),
            ],
        },
    )
    assert list(export(dump, "resolved-conversation", "2025-03-10")["conversation_id"]) == ["c2", "c3", "c1"]


def test_resolution_time(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [conv(c) for c in ("c1", "c2", "c3", "c4", "c5")],
            "messages": [
                # c1: first inbound 10:00:00.000, first resolution 10:30:15.250 -> 1815.250 s
                inbound("m1", "c1", at("10:00:00.000")),
                inbound("m1b", "c1", at("10:10:00.000")),
                # c2: resolution at the first inbound's instant -> 0.000, not empty
                inbound("m2", "c2", at("10:00:00.000")),
                # c3: resolution 09:00 before the first inbound 10:00 -> empty
                inbound("m3", "c3", at("10:00:00.000")),
                # c4: no inbound at all -> empty
                reply("m4", "c4", at("09:30:00.000"), "u1"),
                # c5: the first inbound is deleted but still counts: 10:00 -> 10:00:01.001 = 1.001 s
                inbound("m5", "c5", at("10:00:00.000"), deleted_at=at("10:00:00.500")),
            ],
            "conversation_events": [
                resolve("c1", at("10:30:15.250"), "u1"),
                resolve("c1", at("11:00:00.000"), "u1"),
                resolve("c2", at("10:00:00.000"), "u1"),
                resolve("c3", at("09:00:00.000"), "u1"),
                resolve("c4", at("10:00:00.000"), "u1"),
                resolve("c5", at("10:00:01.001"), "u1"),
            ],
        },
    )
    frame = export(dump, "resolved-conversation", "2025-03-10")
    got = {r["conversation_id"]: r["resolution_time"] for _, r in frame.iterrows()}
    assert got["c1"] == 1_815_250
    assert got["c2"] == 0
    assert na(got["c3"])
    assert na(got["c4"])
    assert got["c5"] == 1_001


def test_resolution_time_of_a_reopened_open_conversation(tmp_path):
    # open export: "to the first resolution, if it was ever resolved".
    # inbound 09:00, RESOLVED 09:20:00.020, PENDING 10:00 -> open, resolution time 1200.020 s
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("m1", "c1", at("09:00:00.000")),
                reply("m2", "c1", at("09:10:00.000"), "u1"),
            ],
            "conversation_events": [
                resolve("c1", at("09:20:00.020"), "u1"),
                status("c1", at("10:00:00.000"), "PENDING", "u1"),
            ],
        },
    )
    assert row(export(dump, "open-conversation"), conversation_id="c1")["resolution_time"] == 1_200_020


def test_cycles_with_and_without_reply(tmp_path):
    # c1: inbound 09:00, reply by u2 09:30, RESOLVED by u1 10:00 -> cycle [.., 10:00] has a reply (any agent)
    #     inbound 11:00, RESOLVED by u1 12:00 -> cycle (10:00, 12:00] has none -> without reply
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("m1", "c1", at("09:00:00.000")),
                reply("m2", "c1", at("09:30:00.000"), "u2"),
                inbound("m3", "c1", at("11:00:00.000")),
            ],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1"),
                resolve("c1", at("12:00:00.000"), "u1"),
            ],
        },
    )
    u1 = user_row(dump, "u1")
    assert (u1["resolves_with_reply"], u1["resolves_without_reply"]) == (1, 1)
    u2 = user_row(dump, "u2")
    assert (u2["resolves_with_reply"], u2["resolves_without_reply"], u2["replies"]) == (0, 0, 1)


def test_reply_at_the_resolution_instant_belongs_to_that_cycle(tmp_path):
    # reply 10:00:00.000 and RESOLVED 10:00:00.000 -> the first cycle includes r.at -> with reply;
    # RESOLVED 11:00: cycle (10:00, 11:00] excludes 10:00 -> without reply.
    # A reply at 11:00:00.001 falls after the second resolution: no third resolution, no effect.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                reply("m1", "c1", at("10:00:00.000"), "u2"),
                reply("m2", "c1", at("11:00:00.001"), "u2"),
            ],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1"),
                resolve("c1", at("11:00:00.000"), "u1"),
            ],
        },
    )
    u1 = user_row(dump, "u1")
    assert (u1["resolves_with_reply"], u1["resolves_without_reply"]) == (1, 1)


def test_reply_one_millisecond_after_a_resolution_is_in_the_next_cycle(tmp_path):
    # RESOLVED 10:00:00.000 (nothing before it -> without), reply 10:00:00.001, RESOLVED 11:00 -> with
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m1", "c1", at("10:00:00.001"), "u2")],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1"),
                resolve("c1", at("11:00:00.000"), "u1"),
            ],
        },
    )
    u1 = user_row(dump, "u1")
    assert (u1["resolves_with_reply"], u1["resolves_without_reply"]) == (1, 1)


def test_deleted_reply_counts_and_va_or_system_messages_do_not(tmp_path):
    # c1: only a deleted human reply before the resolution -> with reply.
    # c2: a VA message and a system message only -> without reply.
    # c3: a human reply before any inbound (the first cycle covers everything up to r.at) -> with reply.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3")],
            "messages": [
                reply("m1", "c1", at("09:00:00.000"), "u2", deleted_at=at("09:05:00.000")),
                va_message("m2", "c2", at("09:00:00.000"), "va1"),
                system_message("m3", "c2", at("09:01:00.000")),
                reply("m4", "c3", at("08:00:00.000"), "u2"),
                inbound("m5", "c3", at("09:00:00.000")),
            ],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1"),
                resolve("c2", at("10:00:00.000"), "u1"),
                resolve("c3", at("10:00:00.000"), "u1"),
            ],
        },
    )
    u1 = user_row(dump, "u1")
    assert (u1["resolves_with_reply"], u1["resolves_without_reply"]) == (2, 1)


def test_resolution_before_the_range_still_bounds_the_next_cycle(tmp_path):
    # RESOLVED 03-09 10:00 (reply 03-09 09:00 -> with), RESOLVED 03-10 10:00: cycle (03-09 10:00, 03-10 10:00]
    # has no reply -> for the range 03-10, u1 has 0 with and 1 without.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1", "2025-03-09T08:00:00.000Z")],
            "messages": [reply("m1", "c1", "2025-03-09T09:00:00.000Z", "u2")],
            "conversation_events": [
                resolve("c1", "2025-03-09T10:00:00.000Z", "u1"),
                resolve("c1", "2025-03-10T10:00:00.000Z", "u1"),
            ],
        },
    )
    u1 = user_row(dump, "u1")
    assert (u1["resolves_with_reply"], u1["resolves_without_reply"]) == (0, 1)
    u1_prev = user_row(dump, "u1", "2025-03-09")
    assert (u1_prev["resolves_with_reply"], u1_prev["resolves_without_reply"]) == (1, 0)


def test_team_resolves_by_event_team(tmp_path):
    # Team t2 has a reply in the range (u2/t2 09:30) -> a row. Resolutions by the event's team_id:
    #   c1 RESOLVED 10:00 by u1 for t2 (cycle has the 09:30 reply) -> with;
    #   c2 RESOLVED 10:00 by nobody for t2 (no reply) -> without;
    #   c3 RESOLVED 10:00 by u2 for t1 -> not t2's.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u2", "t2")],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1", "t2"),
                resolve("c2", at("10:00:00.000"), None, "t2"),
                resolve("c3", at("10:00:00.000"), "u2", "t1"),
            ],
        },
    )
    teams = export(dump, "team", "2025-03-10")
    assert list(teams["team_id"]) == ["t2"]  # t1 has a resolution but no reply -> no row
    t2 = teams.iloc[0]
    assert (t2["resolves_with_reply"], t2["resolves_without_reply"]) == (1, 1)
