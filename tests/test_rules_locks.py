"""Lock sessions: the five closing rules, ignored events, same-instant order, the three classes,
sessions built before the channel filter, conversation / agent / team sums (exports.md "Lock sessions").

Events are written to conversation_events.csv in list order, so list order is file order.
"""

from dumpkit import at, conv, export, lock, make, na, reply, resolve, row, status, unlock

MIN = 60_000


def conversation_times(dump) -> dict[str, tuple[int, int, int]]:
    """(handle, no reply, cherry picking) ms per conversation, open or resolved in March 2025."""
    out = {}
    for frame in (
        export(dump, "open-conversation"),
        export(dump, "resolved-conversation", "2025-03-01", "2025-03-31"),
    ):
        for _, r in frame.iterrows():
            out[r["conversation_id"]] = (r["handle_time"], r["no_reply_time"], r["cherry_picking_time"])
    return out


def agent_times(dump, first="2025-03-10", last=None, channels=()) -> dict[str, tuple[int, int, int]]:
    frame = export(dump, "user", first, last, channels=channels)
    return {
        r["user_id"]: (r["handle_time"], r["no_reply_time"], r["cherry_picking_time"])
        for _, r in frame.iterrows()
    }


def test_closed_by_unlock_handle(tmp_path):
    # u1 LOCKED 10:00, u1 reply 10:05, u1 UNLOCKED 10:10 -> handle 600.000 s
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m1", "c1", at("10:05:00.000"), "u1")],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1", "t1"),
                unlock("c1", at("10:10:00.000"), "u1"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (10 * MIN, 0, 0)}
    assert agent_times(dump)["u1"] == (10 * MIN, 0, 0)


def test_closed_by_steal(tmp_path):
    # u1 LOCKED 10:00; u2 LOCKED 10:04 (steal: u1's session closes, 4 min);
    # u1 reply 10:05 is after u1's close -> u1 cherry picking; it is not u2's reply -> u2 cherry picking;
    # u1 UNLOCKED 10:08: u1 has no open session -> ignored; u2 UNLOCKED 10:06 -> u2 2 min.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m1", "c1", at("10:05:00.000"), "u1")],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                lock("c1", at("10:04:00.000"), "u2"),
                unlock("c1", at("10:06:00.000"), "u2"),
                unlock("c1", at("10:08:00.000"), "u1"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (0, 0, 6 * MIN)}
    agents = agent_times(dump)
    assert agents["u1"] == (0, 0, 4 * MIN)
    assert agents["u2"] == (0, 0, 2 * MIN)


def test_closed_by_status_change_to_pending_or_resolved(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3"), conv("c4")],
            "messages": [reply("m1", "c1", at("10:02:00.000"), "u1")],
            "conversation_events": [
                # c1: LOCKED 10:00, reply 10:02, PENDING by u1 10:03 closes -> handle 3 min;
                #     UNLOCKED 10:10 finds no open session -> ignored
                lock("c1", at("10:00:00.000"), "u1"),
                status("c1", at("10:03:00.000"), "PENDING", "u1"),
                unlock("c1", at("10:10:00.000"), "u1"),
                # c2: LOCKED 11:00, RESOLVED by u1 11:07, no reply -> no reply 7 min
                lock("c2", at("11:00:00.000"), "u1"),
                resolve("c2", at("11:07:00.000"), "u1"),
                # c3: LOCKED 12:00, RESOLVED by u2 12:05 -> not u1's resolution -> cherry picking 5 min
                lock("c3", at("12:00:00.000"), "u1"),
                resolve("c3", at("12:05:00.000"), "u2"),
                # c4: LOCKED 13:00, PENDING by u1 13:01 -> only RESOLVED makes "no reply" -> cherry 1 min
                lock("c4", at("13:00:00.000"), "u1"),
                status("c4", at("13:01:00.000"), "PENDING", "u1"),
            ],
        },
    )
    assert conversation_times(dump) == {
        "c1": (3 * MIN, 0, 0),
        "c2": (0, 7 * MIN, 0),
        "c3": (0, 0, 5 * MIN),
        "c4": (0, 0, 1 * MIN),
    }
    assert agent_times(dump)["u1"] == (3 * MIN, 7 * MIN, 6 * MIN)


def test_status_change_to_new_does_not_close(tmp_path):
    # LOCKED u2 14:00, STATUS NEW 14:01, UNLOCKED 14:03 -> one session of 3 min (cherry picking)
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m0", "c1", at("09:00:00.000"), "u3")],
            "conversation_events": [
                lock("c1", at("14:00:00.000"), "u2"),
                status("c1", at("14:01:00.000"), "NEW", "u2"),
                unlock("c1", at("14:03:00.000"), "u2"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (0, 0, 3 * MIN)}


def test_closed_by_the_agents_next_lock_on_another_conversation(tmp_path):
    # u1 LOCKED c1 10:00, u1 LOCKED c2 10:05 (closes c1: 5 min), u1 reply in c1 10:06 (after c1's close),
    # u1 UNLOCKED c1 10:07 (no open session on c1 -> ignored; it does not close c2), u1 UNLOCKED c2 10:08
    # (c2: 3 min).
    # u2 LOCKED c3 10:01 / UNLOCKED 10:02 does not touch u1's session.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3")],
            "messages": [reply("m1", "c1", at("10:06:00.000"), "u1")],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                lock("c3", at("10:01:00.000"), "u2"),
                unlock("c3", at("10:02:00.000"), "u2"),
                lock("c2", at("10:05:00.000"), "u1"),
                unlock("c1", at("10:07:00.000"), "u1"),
                unlock("c2", at("10:08:00.000"), "u1"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (0, 0, 5 * MIN), "c2": (0, 0, 3 * MIN), "c3": (0, 0, 1 * MIN)}
    assert agent_times(dump)["u1"] == (0, 0, 8 * MIN)


def test_closed_by_the_snapshot(tmp_path):
    # S = 2025-03-20T00:00Z. u1 LOCKED c1 03-19 23:00, reply 23:30 -> open at S: handle 1 h.
    # u2 LOCKED c2 03-19 23:40, UNLOCKED 03-20 00:10 is after S (does not exist) -> cherry 20 min.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1", "2025-03-19T22:00:00.000Z"), conv("c2", "2025-03-19T22:00:00.000Z")],
            "messages": [reply("m1", "c1", "2025-03-19T23:30:00.000Z", "u1")],
            "conversation_events": [
                lock("c1", "2025-03-19T23:00:00.000Z", "u1"),
                lock("c2", "2025-03-19T23:40:00.000Z", "u2"),
                unlock("c2", "2025-03-20T00:10:00.000Z", "u2"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (60 * MIN, 0, 0), "c2": (0, 0, 20 * MIN)}
    agents = agent_times(dump, "2025-03-19")
    assert agents["u1"] == (60 * MIN, 0, 0)
    assert agents["u2"] == (0, 0, 20 * MIN)


def test_lock_on_the_conversation_already_held_is_ignored(tmp_path):
    # u1 LOCKED 10:00, reply 10:02, LOCKED again 10:05 (already held -> ignored), UNLOCKED 10:10
    # -> one handle session of 10 min (a second session 10:05-10:10 would add 5 min).
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m1", "c1", at("10:02:00.000"), "u1")],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                lock("c1", at("10:05:00.000"), "u1"),
                unlock("c1", at("10:10:00.000"), "u1"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (10 * MIN, 0, 0)}


def test_relock_after_release_or_steal_opens_a_new_session(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [reply("m0", "c1", at("09:00:00.000"), "u3")],
            "conversation_events": [
                # c1: u1 LOCKED 10:00, PENDING 10:01 releases it (1 min), u1 LOCKED 10:02 is NOT held any more
                #     -> new session to UNLOCKED 10:04 (2 min): cherry 3 min
                lock("c1", at("10:00:00.000"), "u1"),
                status("c1", at("10:01:00.000"), "PENDING", "u1"),
                lock("c1", at("10:02:00.000"), "u1"),
                unlock("c1", at("10:04:00.000"), "u1"),
                # c2: u2 LOCKED 11:00, u3 steals 11:01 (u2: 1 min), u2 steals back 11:02 (u3: 1 min),
                #     u2 UNLOCKED 11:04 (u2: 2 min) -> u2 3 min, u3 1 min, c2 4 min
                lock("c2", at("11:00:00.000"), "u2"),
                lock("c2", at("11:01:00.000"), "u3"),
                lock("c2", at("11:02:00.000"), "u2"),
                unlock("c2", at("11:04:00.000"), "u2"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (0, 0, 3 * MIN), "c2": (0, 0, 4 * MIN)}
    agents = agent_times(dump)
    assert agents["u1"] == (0, 0, 3 * MIN)
    assert agents["u2"] == (0, 0, 3 * MIN)
    assert agents["u3"] == (0, 0, 1 * MIN)


def test_unlock_without_open_session_is_ignored(tmp_path):
    # u1 UNLOCKED 09:00 (nothing open), u1 LOCKED 10:00, u2 UNLOCKED 10:05 (u2 holds nothing),
    # u1 UNLOCKED 10:10 -> one session 10:00-10:10 = 10 min cherry picking
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m0", "c1", at("08:00:00.000"), "u3")],
            "conversation_events": [
                unlock("c1", at("09:00:00.000"), "u1"),
                lock("c1", at("10:00:00.000"), "u1"),
                unlock("c1", at("10:05:00.000"), "u2"),
                unlock("c1", at("10:10:00.000"), "u1"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (0, 0, 10 * MIN)}
    assert agent_times(dump)["u1"] == (0, 0, 10 * MIN)


def test_same_instant_events_in_file_order_unlock_then_lock(tmp_path):
    # c1 (u1): LOCKED 10:00; at 10:10 UNLOCKED then LOCKED (file order) -> 10:00-10:10 closed, a new session
    #          10:10-10:20 (UNLOCKED 10:20) -> 20 min.
    # c2 (u2): LOCKED 10:00; at 10:10 LOCKED (held -> ignored) then UNLOCKED -> 10:00-10:10; the UNLOCKED at
    #          10:20 finds nothing open -> 10 min.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [reply("m0", "c1", at("08:00:00.000"), "u3")],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                lock("c2", at("10:00:00.000"), "u2"),
                unlock("c1", at("10:10:00.000"), "u1"),
                lock("c1", at("10:10:00.000"), "u1"),
                lock("c2", at("10:10:00.000"), "u2"),
                unlock("c2", at("10:10:00.000"), "u2"),
                unlock("c1", at("10:20:00.000"), "u1"),
                unlock("c2", at("10:20:00.000"), "u2"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (0, 0, 20 * MIN), "c2": (0, 0, 10 * MIN)}


def test_same_instant_unlock_and_own_resolution_in_file_order(tmp_path):
    # c1 (u1): LOCKED 10:00; at 10:05 UNLOCKED then RESOLVED by u1 -> closed by the unlock -> cherry 5 min.
    # c2 (u2): LOCKED 10:00; at 10:05 RESOLVED by u2 then UNLOCKED -> closed by u2's own RESOLVED
    #          -> no reply 5 min.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [reply("m0", "c1", at("08:00:00.000"), "u3")],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                lock("c2", at("10:00:00.000"), "u2"),
                unlock("c1", at("10:05:00.000"), "u1"),
                resolve("c1", at("10:05:00.000"), "u1"),
                resolve("c2", at("10:05:00.000"), "u2"),
                unlock("c2", at("10:05:00.000"), "u2"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (0, 0, 5 * MIN), "c2": (0, 5 * MIN, 0)}


def test_same_instant_resolution_before_lock_does_not_close_it(tmp_path):
    # at 10:00: RESOLVED by u1, then LOCKED by u1 (file order) -> the resolution is before the lock and
    # does not close it; UNLOCKED 10:05 closes -> cherry picking 5 min (not no reply).
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m0", "c1", at("08:00:00.000"), "u3")],
            "conversation_events": [
                resolve("c1", at("10:00:00.000"), "u1"),
                lock("c1", at("10:00:00.000"), "u1"),
                unlock("c1", at("10:05:00.000"), "u1"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (0, 0, 5 * MIN)}


def test_handle_reply_window_is_inclusive_at_both_ends(tmp_path):
    # c1 (u1): LOCKED 10:00:00.000, reply at exactly 10:00:00.000, UNLOCKED 10:10 -> handle 10 min
    # c2 (u2): LOCKED 10:00, reply at exactly 10:10:00.000, UNLOCKED 10:10:00.000 -> handle 10 min
    # c3 (u3): LOCKED 10:00, UNLOCKED 10:10, reply at 10:10:00.001 (1 ms late) -> cherry 10 min
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3")],
            "messages": [
                reply("m1", "c1", at("10:00:00.000"), "u1"),
                reply("m2", "c2", at("10:10:00.000"), "u2"),
                reply("m3", "c3", at("10:10:00.001"), "u3"),
            ],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                lock("c2", at("10:00:00.000"), "u2"),
                lock("c3", at("10:00:00.000"), "u3"),
                unlock("c1", at("10:10:00.000"), "u1"),
                unlock("c2", at("10:10:00.000"), "u2"),
                unlock("c3", at("10:10:00.000"), "u3"),
            ],
        },
    )
    assert conversation_times(dump) == {
        "c1": (10 * MIN, 0, 0),
        "c2": (10 * MIN, 0, 0),
        "c3": (0, 0, 10 * MIN),
    }


def test_handle_needs_the_agents_own_reply_in_that_conversation(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3"), conv("c4")],
            "messages": [
                # c1: the reply during u1's session is u2's -> u1 cherry picking
                reply("m1", "c1", at("10:05:00.000"), "u2"),
                # u1's own reply in c4 (another conversation) while holding c1 -> no effect on c1
                reply("m4", "c4", at("10:06:00.000"), "u1"),
                # c2: u1's reply 10:59 is before the session opens at 11:00 -> cherry picking
                reply("m2", "c2", at("10:59:00.000"), "u1"),
                # c3: a deleted reply still counts -> handle
                reply("m3", "c3", at("12:01:00.000"), "u1", deleted_at=at("12:01:30.000")),
            ],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                unlock("c1", at("10:10:00.000"), "u1"),
                lock("c2", at("11:00:00.000"), "u1"),
                unlock("c2", at("11:10:00.000"), "u1"),
                lock("c3", at("12:00:00.000"), "u1"),
                unlock("c3", at("12:02:00.000"), "u1"),
            ],
        },
    )
    times = conversation_times(dump)
    assert times["c1"] == (0, 0, 10 * MIN)
    assert times["c2"] == (0, 0, 10 * MIN)
    assert times["c3"] == (2 * MIN, 0, 0)
    assert times["c4"] == (0, 0, 0)


def test_handle_wins_over_no_reply(tmp_path):
    # LOCKED 10:00, reply 10:01, RESOLVED by u1 10:02 -> rule 1 first: handle 2 min (not no reply)
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m1", "c1", at("10:01:00.000"), "u1")],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                resolve("c1", at("10:02:00.000"), "u1"),
            ],
        },
    )
    assert conversation_times(dump) == {"c1": (2 * MIN, 0, 0)}


def test_sessions_are_built_before_the_channel_filter(tmp_path):
    # u1 LOCKED c1 (ch1) 10:00, u1 LOCKED c2 (ch2) 10:05 -> c1's session closes at 10:05 (5 min) even when
    # only ch1 is selected; c2 UNLOCKED 10:08 (3 min) is kept out by the ch1 filter.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1", channel="ch1"), conv("c2", channel="ch2")],
            "messages": [reply("m0", "c1", at("08:00:00.000"), "u3")],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                lock("c2", at("10:05:00.000"), "u1"),
                unlock("c2", at("10:08:00.000"), "u1"),
            ],
        },
    )
    assert agent_times(dump, channels=("ch1",))["u1"] == (0, 0, 5 * MIN)
    assert agent_times(dump, channels=("ch2",))["u1"] == (0, 0, 3 * MIN)
    assert agent_times(dump)["u1"] == (0, 0, 8 * MIN)
    c1 = row(export(dump, "open-conversation", channels=("ch1",)), conversation_id="c1")
    assert c1["cherry_picking_time"] == 5 * MIN


def test_agent_and_team_sums_count_sessions_opened_in_the_range(tmp_path):
    # u1 LOCKED c1 for team t1 at 03-10 23:50, reply (sent for t2) 23:55, UNLOCKED 03-11 00:20
    # -> a 30 min handle session opened on 03-10: all of it counts for u1 and for t1 (the session's
    #    team_id, not the reply's) on 03-10, nothing on 03-11.
    # t1 gets its team row from u2's reply for t1 in c2 at 12:00.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [
                reply("m1", "c1", "2025-03-10T23:55:00.000Z", "u1", "t2"),
                reply("m2", "c2", at("12:00:00.000"), "u2", "t1"),
            ],
            "conversation_events": [
                lock("c1", "2025-03-10T23:50:00.000Z", "u1", "t1"),
                unlock("c1", "2025-03-11T00:20:00.000Z", "u1", "t1"),
            ],
        },
    )
    assert agent_times(dump, "2025-03-10")["u1"] == (30 * MIN, 0, 0)
    assert "u1" not in agent_times(dump, "2025-03-11")
    teams = export(dump, "team", "2025-03-10")
    t1, t2 = row(teams, team_id="t1"), row(teams, team_id="t2")
    assert (t1["handle_time"], t1["no_reply_time"], t1["cherry_picking_time"]) == (30 * MIN, 0, 0)
    assert t1["avg_handle_time"] == 30 * MIN
    assert (t2["handle_time"], t2["no_reply_time"], t2["cherry_picking_time"]) == (0, 0, 0)
    assert na(t2["avg_handle_time"])


def test_average_handle_time_per_distinct_conversation(tmp_path):
    # u1/t1 sessions: c1 10:00:00.000-10:01:40.001 with reply -> handle 100001 ms
    #                 c1 11:00-11:01 no reply -> cherry picking 60000 ms (not in the average)
    #                 c2 12:00:00.000-12:01:40.002 with reply -> handle 100002 ms
    # Avg = (100001 + 100002) / 2 distinct conversations = 100001.5 -> half away from zero -> 100002 ms
    # u2: one cherry-picking session only -> handle 0, average empty.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3")],
            "messages": [
                reply("m1", "c1", at("10:01:00.000"), "u1", "t1"),
                reply("m2", "c2", at("12:01:00.000"), "u1", "t1"),
            ],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1", "t1"),
                unlock("c1", at("10:01:40.001"), "u1", "t1"),
                lock("c1", at("11:00:00.000"), "u1", "t1"),
                unlock("c1", at("11:01:00.000"), "u1", "t1"),
                lock("c2", at("12:00:00.000"), "u1", "t1"),
                unlock("c2", at("12:01:40.002"), "u1", "t1"),
                lock("c3", at("13:00:00.000"), "u2", "t2"),
                unlock("c3", at("13:00:30.000"), "u2", "t2"),
            ],
        },
    )
    users = export(dump, "user", "2025-03-10")
    u1, u2 = row(users, user_id="u1"), row(users, user_id="u2")
    assert (u1["handle_time"], u1["cherry_picking_time"], u1["avg_handle_time"]) == (200_003, 60_000, 100_002)
    assert (u2["handle_time"], u2["cherry_picking_time"]) == (0, 30_000)
    assert na(u2["avg_handle_time"])
    t1 = row(export(dump, "team", "2025-03-10"), team_id="t1")
    assert (t1["handle_time"], t1["cherry_picking_time"], t1["avg_handle_time"]) == (200_003, 60_000, 100_002)


def test_zero_length_session_still_makes_the_agent_active(tmp_path):
    # u1 LOCKED and UNLOCKED c1 at the same instant 10:00 (file order): a session of 0.000 s was opened
    # in the range -> u1 is a row of the user export with every time 0 and Avg. Handle Time empty.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m0", "c1", "2025-03-01T08:00:00.000Z", "u3")],
            "conversation_events": [
                lock("c1", at("10:00:00.000"), "u1"),
                unlock("c1", at("10:00:00.000"), "u1"),
            ],
        },
    )
    users = export(dump, "user", "2025-03-10")
    assert list(users["user_id"]) == ["u1"]
    u1 = users.iloc[0]
    assert (u1["handle_time"], u1["no_reply_time"], u1["cherry_picking_time"], u1["replies"]) == (0, 0, 0, 0)
    assert na(u1["avg_handle_time"])
