"""Presence intervals (user-presence export), Available / Away time and Utilization (user export)."""

from dumpkit import at, conv, export, lock, make, na, presence, reply, row, ts, unlock

H = 3_600_000


def presence_dump(tmp_path, events):
    """A presence-only dump."""
    return make(tmp_path, {"presence_events": events})


def intervals(frame):
    return [
        (
            r["user_id"],
            r["presence"],
            None if na(r["away_status"]) else r["away_status"],
            r["start"],
            None if na(r["end"]) else r["end"],
            r["duration"],
        )
        for _, r in frame.iterrows()
    ]


def test_intervals_run_to_the_next_event_and_away_status_only_on_away(tmp_path):
    # u1: AVAILABLE 08:00 (away_status "stale" in the dump: empty on AVAILABLE rows),
    #     AWAY "Lunch" 12:00, AVAILABLE 13:00, OFFLINE 17:00 (OFFLINE is no row)
    dump = presence_dump(
        tmp_path,
        [
            presence("u1", at("08:00:00.000"), "AVAILABLE", "stale"),
            presence("u1", at("12:00:00.000"), "AWAY", "Lunch"),
            presence("u1", at("13:00:00.000"), "AVAILABLE"),
            presence("u1", at("17:00:00.000"), "OFFLINE"),
        ],
    )
    frame = export(dump, "user-presence", "2025-03-10")
    assert intervals(frame) == [
        ("u1", "AVAILABLE", None, ts(at("08:00:00.000")), ts(at("12:00:00.000")), 4 * H),
        ("u1", "AWAY", "Lunch", ts(at("12:00:00.000")), ts(at("13:00:00.000")), 1 * H),
        ("u1", "AVAILABLE", None, ts(at("13:00:00.000")), ts(at("17:00:00.000")), 4 * H),
    ]
    assert (frame.loc[0, "user_name"], frame.loc[0, "user_email"]) == ("Ana", "ana@example.com")
    u1 = row(export(dump, "user", "2025-03-10"), user_id="u1")
    # Available 08-12 + 13-17 = 8 h, Away 1 h; no lock session -> Utilization 0 / 8 h = 0.00 (defined)
    assert (u1["available_time"], u1["away_time"], u1["utilization"]) == (8 * H, 1 * H, 0.0)


def test_whole_intervals_overlapping_the_range_and_cut_ones_for_the_user_export(tmp_path):
    dump = presence_dump(
        tmp_path,
        [
            # u2: 03-09 22:00 -> 03-10 02:00 overlaps 03-10: whole row (4 h); user export counts 00:00-02:00
            presence("u2", "2025-03-09T22:00:00.000Z", "AVAILABLE"),
            presence("u2", "2025-03-10T02:00:00.000Z", "OFFLINE"),
            # u3: AWAY 03-09 20:00 -> 03-10 00:00 ends exactly at R.start: no overlap, no row
            presence("u3", "2025-03-09T20:00:00.000Z", "AWAY", "Gone"),
            presence("u3", "2025-03-10T00:00:00.000Z", "OFFLINE"),
            # u3: AVAILABLE from 03-11 00:00 starts exactly at R.end: no row
            presence("u3", "2025-03-11T00:00:00.000Z", "AVAILABLE"),
            presence("u3", "2025-03-11T01:00:00.000Z", "OFFLINE"),
            # u1: 03-10 23:00 -> 03-11 03:00: whole row (4 h); user export counts 23:00-24:00
            presence("u1", "2025-03-10T23:00:00.000Z", "AVAILABLE"),
            presence("u1", "2025-03-11T03:00:00.000Z", "OFFLINE"),
        ],
    )
    frame = export(dump, "user-presence", "2025-03-10")
    # sorted by User Name: Ana (u1), Ben (u2)
    assert intervals(frame) == [
        ("u1", "AVAILABLE", None, ts("2025-03-10T23:00:00.000Z"), ts("2025-03-11T03:00:00.000Z"), 4 * H),
        ("u2", "AVAILABLE", None, ts("2025-03-09T22:00:00.000Z"), ts("2025-03-10T02:00:00.000Z"), 4 * H),
    ]
    users = export(dump, "user", "2025-03-10")
    assert list(users["user_id"]) == ["u1", "u2"]  # u3 has no time in the range -> no row
    assert row(users, user_id="u1")["available_time"] == 1 * H
    assert row(users, user_id="u2")["available_time"] == 2 * H


def test_open_last_interval_runs_to_the_snapshot(tmp_path):
    # S = 2025-03-20T00:00Z. u1 AVAILABLE 03-19 20:00, no later event -> To empty, Duration S - From = 4 h.
    # u2 AVAILABLE 03-19 23:00, AWAY exactly at S: the AVAILABLE interval is closed (To = S, 1 h) and
    # the AWAY interval starting at S has zero length -> left out.
    dump = presence_dump(
        tmp_path,
        [
            presence("u1", "2025-03-19T20:00:00.000Z", "AVAILABLE"),
            presence("u2", "2025-03-19T23:00:00.000Z", "AVAILABLE"),
            presence("u2", "2025-03-20T00:00:00.000Z", "AWAY", "Late"),
        ],
    )
    frame = export(dump, "user-presence", "2025-03-19", "2025-03-20")
    assert intervals(frame) == [
        ("u1", "AVAILABLE", None, ts("2025-03-19T20:00:00.000Z"), None, 4 * H),
        ("u2", "AVAILABLE", None, ts("2025-03-19T23:00:00.000Z"), ts("2025-03-20T00:00:00.000Z"), 1 * H),
    ]
    users = export(dump, "user", "2025-03-19", "2025-03-20")
    assert row(users, user_id="u1")["available_time"] == 4 * H  # cut at S, not at the range's end
    assert (row(users, user_id="u2")["available_time"], row(users, user_id="u2")["away_time"]) == (1 * H, 0)


def test_zero_length_intervals_are_left_out_same_instant_in_file_order(tmp_path):
    # u1: AVAILABLE 10:00 then AWAY "Break" 10:00 (file order), OFFLINE 11:00 -> only AWAY 10:00-11:00
    # u2: AWAY 10:00 then AVAILABLE 10:00, OFFLINE 11:00 -> only AVAILABLE 10:00-11:00
    dump = presence_dump(
        tmp_path,
        [
            presence("u1", at("10:00:00.000"), "AVAILABLE"),
            presence("u1", at("10:00:00.000"), "AWAY", "Break"),
            presence("u1", at("11:00:00.000"), "OFFLINE"),
            presence("u2", at("10:00:00.000"), "AWAY", "Break"),
            presence("u2", at("10:00:00.000"), "AVAILABLE"),
            presence("u2", at("11:00:00.000"), "OFFLINE"),
        ],
    )
    frame = export(dump, "user-presence", "2025-03-10")
    assert intervals(frame) == [
        ("u1", "AWAY", "Break", ts(at("10:00:00.000")), ts(at("11:00:00.000")), 1 * H),
        ("u2", "AVAILABLE", None, ts(at("10:00:00.000")), ts(at("11:00:00.000")), 1 * H),
    ]
    users = export(dump, "user", "2025-03-10")
    assert (row(users, user_id="u1")["available_time"], row(users, user_id="u1")["away_time"]) == (0, 1 * H)
    assert (row(users, user_id="u2")["available_time"], row(users, user_id="u2")["away_time"]) == (1 * H, 0)


def test_presence_ignores_the_channel_filter_and_sorts_unknown_users_first(tmp_path):
    # u0 is not in users: name and email empty, sorted first (empty sorts first); then Ana, Ben.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1", channel="ch1")],
            "messages": [reply("m1", "c1", at("09:00:00.000"), "u1")],
            "presence_events": [
                presence("u2", at("09:00:00.000"), "AVAILABLE"),
                presence("u2", at("10:00:00.000"), "OFFLINE"),
                presence("u1", at("11:00:00.000"), "AVAILABLE"),
                presence("u1", at("11:30:00.000"), "OFFLINE"),
                presence("u0", at("12:00:00.000"), "AWAY", "Ghost"),
                presence("u0", at("12:15:00.000"), "OFFLINE"),
            ],
        },
    )
    for channels in ((), ("ch2",)):
        frame = export(dump, "user-presence", "2025-03-10", channels=channels)
        assert list(frame["user_id"]) == ["u0", "u1", "u2"]
        assert na(frame.loc[0, "user_name"]) and na(frame.loc[0, "user_email"])
        assert list(frame["duration"]) == [15 * 60_000, 30 * 60_000, 1 * H]
    users = export(dump, "user", "2025-03-10", channels=("ch2",))
    assert row(users, user_id="u2")["available_time"] == 1 * H
    assert row(users, user_id="u1")["available_time"] == H // 2
    assert row(users, user_id="u1")["replies"] == 0  # the reply is in ch1, not selected


def utilization_dump(tmp_path):
    return make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2"), conv("c3"), conv("c4")],
            "messages": [reply("m2", "c2", at("09:31:00.000"), "u2")],
            "presence_events": [
                # u1: Available 10:00:00 -> 10:13:20 = 800 s
                presence("u1", at("10:00:00.000"), "AVAILABLE"),
                presence("u1", at("10:13:20.000"), "OFFLINE"),
                # u2: Available 60 s, then Away for an hour
                presence("u2", at("09:00:00.000"), "AVAILABLE"),
                presence("u2", at("09:01:00.000"), "AWAY", "Meeting"),
                presence("u2", at("10:00:00.000"), "OFFLINE"),
                # u3: only Away time
                presence("u3", at("09:00:00.000"), "AWAY", "Out"),
                presence("u3", at("09:10:00.000"), "OFFLINE"),
            ],
            "conversation_events": [
                # u1: a 1 s cherry-picking session -> 1 / 800 x 100 = 0.125 % -> half away from zero -> 0.13
                lock("c1", at("11:00:00.000"), "u1"),
                unlock("c1", at("11:00:01.000"), "u1"),
                # u2: a 120 s handle session while Away -> 120 / 60 x 100 = 200.00 %
                lock("c2", at("09:30:00.000"), "u2"),
                unlock("c2", at("09:32:00.000"), "u2"),
                # u3: a 60 s session and no Available time -> Utilization empty
                lock("c3", at("09:05:00.000"), "u3"),
                unlock("c3", at("09:06:00.000"), "u3"),
            ],
        },
    )


def test_utilization_rounding_over_100_and_empty(tmp_path):
    users = export(utilization_dump(tmp_path), "user", "2025-03-10")
    u1, u2, u3 = (row(users, user_id=u) for u in ("u1", "u2", "u3"))
    assert (u1["available_time"], u1["cherry_picking_time"], u1["utilization"]) == (800_000, 1_000, 0.13)
    assert (u2["available_time"], u2["away_time"], u2["handle_time"], u2["utilization"]) == (
        60_000,
        59 * 60_000,
        120_000,
        200.0,
    )
    assert (u3["available_time"], u3["away_time"], u3["cherry_picking_time"]) == (0, 10 * 60_000, 60_000)
    assert na(u3["utilization"])


def test_utilization_written_with_two_decimals(tmp_path):
    from sparkdesk.writers import WriteOptions, format_column

    users = export(utilization_dump(tmp_path), "user", "2025-03-10")
    text = format_column(users["utilization"], "percent", WriteOptions(tz="UTC"))
    assert list(text) == ["0.13", "200.00", ""]  # Ana, Ben, Cleo


def test_utilization_thirds(tmp_path):
    # u1: Available 3 s, worked 1 s -> 33.333.. -> 33.33; u2: Available 3 s, worked 2 s -> 66.666.. -> 66.67
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1"), conv("c2")],
            "messages": [reply("m0", "c1", at("08:00:00.000"), "u3")],
            "presence_events": [
                presence("u1", at("10:00:00.000"), "AVAILABLE"),
                presence("u1", at("10:00:03.000"), "OFFLINE"),
                presence("u2", at("10:00:00.000"), "AVAILABLE"),
                presence("u2", at("10:00:03.000"), "OFFLINE"),
            ],
            "conversation_events": [
                lock("c1", at("11:00:00.000"), "u1"),
                unlock("c1", at("11:00:01.000"), "u1"),
                lock("c2", at("11:00:00.000"), "u2"),
                unlock("c2", at("11:00:02.000"), "u2"),
            ],
        },
    )
    users = export(dump, "user", "2025-03-10")
    assert row(users, user_id="u1")["utilization"] == 33.33
    assert row(users, user_id="u2")["utilization"] == 66.67


def test_user_export_of_a_presence_only_dump(tmp_path):
    # u1 AVAILABLE 08:00 -> OFFLINE 09:00 and nothing else in the dump -> one row, Available 1 h.
    dump = make(
        tmp_path,
        {
            "presence_events": [
                presence("u1", at("08:00:00.000"), "AVAILABLE"),
                presence("u1", at("09:00:00.000"), "OFFLINE"),
            ]
        },
    )
    users = export(dump, "user", "2025-03-10")
    assert list(users["user_id"]) == ["u1"]
    assert (users.loc[0, "available_time"], users.loc[0, "away_time"]) == (1 * H, 0)
