"""First response time counted in a channel's business hours (exports.md "Business hours").

Only FRT uses business hours. Channel ch1 gets the rows; ch2 has none (wall-clock).
2025-03-10 is a Monday, 2025-03-14 a Friday, 2025-03-17 the next Monday.
"""

from dumpkit import conv, export, inbound, make, queued, reply, resolve, row

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
H = 3_600_000


def hours(channel, tz, days, start, end):
    return [{"channel_id": channel, "timezone": tz, "weekday": w, "start": start, "end": end} for w in days]


def frts(tmp_path, bh, cases, holidays=(), snapshot="2025-12-31T00:00:00.000Z"):
    """cases: (conversation id, channel, t0 = inbound time, reply time) -> {conversation id: FRT ms}."""
    tables = {
        "conversations": [conv(c, t0, channel=ch) for c, ch, t0, _ in cases],
        "messages": [
            m for c, _, t0, t1 in cases for m in (inbound(c + "-in", c, t0), reply(c + "-re", c, t1, "u1"))
        ],
        "business_hours": bh,
    }
    if holidays:
        tables["holidays"] = list(holidays)
    dump = make(tmp_path, tables, snapshot_at=snapshot)
    frame = export(dump, "open-conversation")
    return {c: row(frame, conversation_id=c)["first_response_time"] for c, *_ in cases}


def test_frt_counts_only_open_hours_and_channel_without_hours_is_wall_clock(tmp_path):
    bh = hours("ch1", "UTC", WEEKDAYS[:5], "09:00", "17:00")
    got = frts(
        tmp_path,
        bh,
        [
            # Fri 16:00 -> Mon 10:00: Fri 16:00-17:00 (1 h) + weekend closed + Mon 09:00-10:00 (1 h) = 2 h
            ("c1", "ch1", "2025-03-14T16:00:00.000Z", "2025-03-17T10:00:00.000Z"),
            # Mon 08:00 -> 09:30: closed until 09:00, then 30 min = 1800.000 s
            ("c2", "ch1", "2025-03-10T08:00:00.000Z", "2025-03-10T09:30:00.000Z"),
            # Mon 18:00 -> 20:00: all closed -> 0.000 s (defined, not empty)
            ("c3", "ch1", "2025-03-10T18:00:00.000Z", "2025-03-10T20:00:00.000Z"),
            # same as c1 on ch2 (no rows): wall-clock Fri 16:00 -> Mon 10:00 = 66 h
            ("c4", "ch2", "2025-03-14T16:00:00.000Z", "2025-03-17T10:00:00.000Z"),
            # inside open hours, millisecond precision: Mon 10:00:00.000 -> 10:00:07.125 = 7.125 s
            ("c5", "ch1", "2025-03-10T10:00:00.000Z", "2025-03-10T10:00:07.125Z"),
        ],
    )
    assert got == {"c1": 2 * H, "c2": H // 2, "c3": 0, "c4": 66 * H, "c5": 7_125}


def test_holidays_close_whole_days_only_on_channels_with_hours(tmp_path):
    bh = hours("ch1", "UTC", WEEKDAYS[:5], "09:00", "17:00")
    holidays = [
        {"channel_id": "ch1", "date": "2025-03-17", "name": "Local feast"},
        {"channel_id": "ch2", "date": "2025-03-17", "name": "Ignored: ch2 has no hours"},
    ]
    got = frts(
        tmp_path,
        bh,
        [
            # Fri 16:00 -> Tue 10:00: Fri 1 h + Mon 17th holiday 0 + Tue 09:00-10:00 1 h = 2 h
            ("c1", "ch1", "2025-03-14T16:00:00.000Z", "2025-03-18T10:00:00.000Z"),
            # ch2: holiday ignored, wall-clock Fri 16:00 -> Tue 10:00 = 90 h
            ("c2", "ch2", "2025-03-14T16:00:00.000Z", "2025-03-18T10:00:00.000Z"),
        ],
        holidays,
    )
    assert got == {"c1": 2 * H, "c2": 90 * H}


def test_overlapping_rows_merge(tmp_path):
    # Monday 09:00-12:00 and 11:00-14:00 merge into 09:00-14:00 (5 h, not 3 h + 3 h = 6 h).
    bh = hours("ch1", "UTC", ["MONDAY"], "09:00", "12:00") + hours("ch1", "UTC", ["MONDAY"], "11:00", "14:00")
    # Mon 08:00 -> Mon 15:00: open 09:00-14:00 = 5 h
    got = frts(tmp_path, bh, [("c1", "ch1", "2025-03-10T08:00:00.000Z", "2025-03-10T15:00:00.000Z")])
    assert got == {"c1": 5 * H}


def test_end_2400_runs_to_midnight(tmp_path):
    # Monday 22:00-24:00 only. Mon 21:00 -> Tue 01:00: open Mon 22:00-24:00 = 2 h (Tuesday closed)
    bh = hours("ch1", "UTC", ["MONDAY"], "22:00", "24:00")
    got = frts(tmp_path, bh, [("c1", "ch1", "2025-03-10T21:00:00.000Z", "2025-03-11T01:00:00.000Z")])
    assert got == {"c1": 2 * H}


def test_hours_and_holidays_are_read_in_the_rows_zone(tmp_path):
    # Asia/Tokyo (UTC+9, no DST), open every day 00:00-24:00, holiday 2025-03-11 (a Tokyo date).
    # t0 2025-03-10T12:00Z = Mar 10 21:00 JST; reply 2025-03-11T18:00Z = Mar 12 03:00 JST.
    # Mar 10 21:00-24:00 = 3 h, Mar 11 holiday = 0, Mar 12 00:00-03:00 = 3 h -> 6 h
    # (a UTC-date holiday would have given 12 h.)
    bh = hours("ch1", "Asia/Tokyo", WEEKDAYS, "00:00", "24:00")
    got = frts(
        tmp_path,
        bh,
        [("c1", "ch1", "2025-03-10T12:00:00.000Z", "2025-03-11T18:00:00.000Z")],
        [{"channel_id": "ch1", "date": "2025-03-11", "name": "Tokyo holiday"}],
    )
    assert got == {"c1": 6 * H}


def test_business_hours_in_a_local_zone(tmp_path):
    # America/New_York, Monday 09:00-17:00 local (EDT, UTC-4 on 2025-03-10).
    # t0 2025-03-10T12:00Z = 08:00 EDT, reply 2025-03-10T14:30Z = 10:30 EDT -> open 09:00-10:30 = 1.5 h
    bh = hours("ch1", "America/New_York", ["MONDAY"], "09:00", "17:00")
    got = frts(tmp_path, bh, [("c1", "ch1", "2025-03-10T12:00:00.000Z", "2025-03-10T14:30:00.000Z")])
    assert got == {"c1": 3 * H // 2}


def test_spring_forward_skipped_hour_is_never_open(tmp_path):
    # Europe/Madrid 2025-03-30 (Sunday): at 01:00Z local 02:00 CET jumps to 03:00 CEST.
    # Row SUNDAY 01:30-03:30 local. Open instants: 01:30-02:00 CET = 00:30Z-01:00Z (30 min)
    # and 03:00-03:30 CEST = 01:00Z-01:30Z (30 min); 02:00-03:00 never exists -> 1 h, not 2 h.
    # t0 2025-03-29T22:00Z (Sat 23:00 CET), reply 2025-03-30T05:00Z (Sun 07:00 CEST).
    bh = hours("ch1", "Europe/Madrid", ["SUNDAY"], "01:30", "03:30")
    got = frts(tmp_path, bh, [("c1", "ch1", "2025-03-29T22:00:00.000Z", "2025-03-30T05:00:00.000Z")])
    assert got == {"c1": H}


def test_spring_forward_round_the_clock_channel(tmp_path):
    # Madrid, open 00:00-24:00 every day. t0 2025-03-29T23:00Z = Sun 00:00 CET,
    # reply 2025-03-30T04:00Z = Sun 06:00 CEST: local clock moves 6 h, minus the skipped hour
    # = 5 h of open time (every instant is open, so it equals the 5 h between the instants).
    bh = hours("ch1", "Europe/Madrid", WEEKDAYS, "00:00", "24:00")
    got = frts(tmp_path, bh, [("c1", "ch1", "2025-03-29T23:00:00.000Z", "2025-03-30T04:00:00.000Z")])
    assert got == {"c1": 5 * H}


def test_fall_back_repeated_hour_counts_each_time(tmp_path):
    # Europe/Madrid 2025-10-26 (Sunday): at 01:00Z local 03:00 CEST goes back to 02:00 CET.
    # Row SUNDAY 02:00-03:00 local: passes at 00:00Z-01:00Z (CEST) and again at 01:00Z-02:00Z (CET)
    # -> 2 h. t0 2025-10-25T22:00Z (Sun 00:00 CEST), reply 2025-10-26T05:00Z (Sun 06:00 CET).
    bh = hours("ch1", "Europe/Madrid", ["SUNDAY"], "02:00", "03:00")
    got = frts(tmp_path, bh, [("c1", "ch1", "2025-10-25T22:00:00.000Z", "2025-10-26T05:00:00.000Z")])
    assert got == {"c1": 2 * H}


def test_fall_back_round_the_clock_channel(tmp_path):
    # Madrid, open 00:00-24:00 every day. t0 2025-10-25T22:00Z = Sun 00:00 CEST,
    # reply 2025-10-26T05:00Z = Sun 06:00 CET: local clock moves 6 h, the repeated hour counts
    # twice -> 7 h (= the 7 h between the two instants; the local-clock difference would be 6 h).
    bh = hours("ch1", "Europe/Madrid", WEEKDAYS, "00:00", "24:00")
    got = frts(tmp_path, bh, [("c1", "ch1", "2025-10-25T22:00:00.000Z", "2025-10-26T05:00:00.000Z")])
    assert got == {"c1": 7 * H}


def test_resolution_and_response_times_ignore_business_hours(tmp_path):
    # ch1 open Mon-Fri 09:00-17:00 UTC. inbound Mon 18:00, resolved Mon 20:00:00.500, reply 21:00
    # resolution time is wall-clock: 2 h 0.500 s = 7200.500 s (its FRT is 0: 18:00-21:00 is closed).
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1", "2025-03-10T18:00:00.000Z")],
            "messages": [
                inbound("m1", "c1", "2025-03-10T18:00:00.000Z"),
                reply("m2", "c1", "2025-03-10T21:00:00.000Z", "u1"),
            ],
            "conversation_events": [
                queued("c1", "2025-03-10T18:00:00.000Z", "NEW_INBOUND_MESSAGE"),
                resolve("c1", "2025-03-10T20:00:00.500Z", "u1", "t1"),
            ],
            "business_hours": hours("ch1", "UTC", WEEKDAYS[:5], "09:00", "17:00"),
        },
    )
    frame = export(dump, "resolved-conversation", "2025-03-10")
    assert row(frame, conversation_id="c1")["resolution_time"] == 7_200_500
    assert row(frame, conversation_id="c1")["first_response_time"] == 0
    # response times are wall-clock too: QUEUED 18:00 -> reply 21:00 = 10800.000 s
    assert (
        row(export(dump, "response-times", "2025-03-10"), conversation_id="c1")["response_time"] == 10_800_000
    )


def test_office_hours_across_the_spring_change_use_each_days_offset(tmp_path):
    # Madrid Mon-Fri 09:00-17:00. t0 2025-03-28T15:00Z = Fri 16:00 CET; reply 2025-03-31T08:00Z = Mon 10:00 CEST
    # (clocks moved on Sunday 03-30). Open: Fri 16:00-17:00 (1 h) + Mon 09:00-10:00 local (1 h) = 2 h.
    # (Keeping Friday's +01:00 offset would put Monday 09:00 at 08:00Z and give 1 h.)
    bh = hours("ch1", "Europe/Madrid", WEEKDAYS[:5], "09:00", "17:00")
    got = frts(tmp_path, bh, [("c1", "ch1", "2025-03-28T15:00:00.000Z", "2025-03-31T08:00:00.000Z")])
    assert got == {"c1": 2 * H}


def test_office_hours_across_the_autumn_change_use_each_days_offset(tmp_path):
    # Madrid Mon-Fri 09:00-17:00. t0 2025-10-25T08:00Z = Sat 10:00 CEST (closed);
    # reply 2025-10-27T09:00Z = Mon 10:00 CET. Open: Mon 09:00-10:00 local = 08:00Z-09:00Z = 1 h.
    # (Keeping Saturday's +02:00 offset would read 09:00Z as 11:00 and give 2 h.)
    bh = hours("ch1", "Europe/Madrid", WEEKDAYS[:5], "09:00", "17:00")
    got = frts(tmp_path, bh, [("c1", "ch1", "2025-10-25T08:00:00.000Z", "2025-10-27T09:00:00.000Z")])
    assert got == {"c1": H}
