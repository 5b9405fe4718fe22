"""The date range (half-open, time zones, DST days, default range), the channel filter and the
snapshot bound. Messages are the simplest rows: one per message created in the range."""

import pandas as pd
import pytest
from dumpkit import at, conv, export, inbound, make, message_tag, na, presence, reply, row, status, ts

LATE = "2025-12-31T00:00:00.000Z"


def messages_at(tmp_path, instants, snapshot=LATE):
    """One conversation, one inbound message per instant, ids m0, m1, ..."""
    first = min(instants)
    return make(
        tmp_path,
        {
            "conversations": [conv("c1", first)],
            "messages": [inbound(f"m{i}", "c1", t) for i, t in enumerate(instants)],
        },
        snapshot_at=snapshot,
    )


def ids(frame):
    return list(frame["message_id"])


def test_range_is_half_open_in_utc(tmp_path):
    dump = messages_at(
        tmp_path,
        [
            "2025-03-09T23:59:59.999Z",  # m0 out
            "2025-03-10T00:00:00.000Z",  # m1 in (R.start)
            "2025-03-10T23:59:59.999Z",  # m2 in
            "2025-03-11T00:00:00.000Z",  # m3 out (R.end)
        ],
    )
    assert ids(export(dump, "message", "2025-03-10")) == ["m1", "m2"]
    assert ids(export(dump, "message", "2025-03-09", "2025-03-11")) == ["m0", "m1", "m2", "m3"]


@pytest.mark.parametrize(
    ("tz", "day", "start", "end"),
    [
        # Europe/Madrid in winter, UTC+1: 2025-03-10 = [03-09 23:00Z, 03-10 23:00Z)
        ("Europe/Madrid", "2025-03-10", "2025-03-09T23:00:00.000Z", "2025-03-10T23:00:00.000Z"),
        # spring forward, a 23 h day: 03-30 00:00 CET = 03-29 23:00Z, 03-31 00:00 CEST = 03-30 22:00Z
        ("Europe/Madrid", "2025-03-30", "2025-03-29T23:00:00.000Z", "2025-03-30T22:00:00.000Z"),
        # fall back, a 25 h day: 10-26 00:00 CEST = 10-25 22:00Z, 10-27 00:00 CET = 10-26 23:00Z
        ("Europe/Madrid", "2025-10-26", "2025-10-25T22:00:00.000Z", "2025-10-26T23:00:00.000Z"),
        # half-hour zone, UTC+05:30: 2025-03-10 = [03-09 18:30Z, 03-10 18:30Z)
        ("Asia/Kolkata", "2025-03-10", "2025-03-09T18:30:00.000Z", "2025-03-10T18:30:00.000Z"),
        # 45-minute zone, UTC+05:45: [03-09 18:15Z, 03-10 18:15Z)
        ("Asia/Kathmandu", "2025-03-10", "2025-03-09T18:15:00.000Z", "2025-03-10T18:15:00.000Z"),
        # America/Havana 2025-03-09: local midnight does not exist (00:00 EST -> 01:00 CDT at 05:00Z);
        # the day starts at the first instant after the gap, 05:00Z; 03-10 00:00 CDT = 04:00Z (23 h)
        ("America/Havana", "2025-03-09", "2025-03-09T05:00:00.000Z", "2025-03-10T04:00:00.000Z"),
        # America/Havana 2025-11-02: local midnight happens twice (01:00 CDT -> 00:00 CST at 05:00Z);
        # the day starts at its first occurrence, 04:00Z; 11-03 00:00 CST = 05:00Z (25 h)
        ("America/Havana", "2025-11-02", "2025-11-02T04:00:00.000Z", "2025-11-03T05:00:00.000Z"),
        # the day before the fold ends at that first occurrence of midnight
        ("America/Havana", "2025-11-01", "2025-11-01T04:00:00.000Z", "2025-11-02T04:00:00.000Z"),
    ],
)
def test_range_in_a_time_zone(tmp_path, tz, day, start, end):
    s, e = ts(start), ts(end)
    one = pd.Timedelta(milliseconds=1)
    instants = [s - one, s, e - one, e]  # m0 out, m1 in, m2 in, m3 out
    dump = messages_at(tmp_path, [t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" for t in instants])
    assert ids(export(dump, "message", day, tz=tz)) == ["m1", "m2"]


def test_timestamps_are_written_in_the_zone_seconds_truncated(tmp_path):
    from sparkdesk.writers import WriteOptions, format_column

    # 2025-03-09T18:15:00.000Z in Asia/Kathmandu (+05:45) is 2025-03-10 00:00:00;
    # 2025-03-10T10:02:30.999Z in UTC is 2025-03-10 10:02:30 (truncated, not rounded to :31)
    dump = messages_at(tmp_path, ["2025-03-09T18:15:00.000Z", "2025-03-10T10:02:30.999Z"])
    frame = export(dump, "message", "2025-03-09", "2025-03-10")
    assert list(format_column(frame["created_at"], "timestamp", WriteOptions(tz="Asia/Kathmandu"))) == [
        "2025-03-10 00:00:00",
        "2025-03-10 15:47:30",
    ]
    assert list(format_column(frame["created_at"], "timestamp", WriteOptions(tz="UTC"))) == [
        "2025-03-09 18:15:00",
        "2025-03-10 10:02:30",
    ]


def default_range_dump(tmp_path):
    # earliest timestamp: conversation 03-10 07:00Z; latest: presence AVAILABLE 03-10 22:00Z (open to S).
    # S = 2025-03-12T00:00Z is later but is not data.
    return make(
        tmp_path,
        {
            "conversations": [conv("c1", "2025-03-10T07:00:00.000Z")],
            "messages": [reply("m1", "c1", "2025-03-10T08:00:00.000Z", "u2")],
            "presence_events": [presence("u1", "2025-03-10T22:00:00.000Z", "AVAILABLE")],
        },
        snapshot_at="2025-03-12T00:00:00.000Z",
    )


@pytest.mark.parametrize(
    ("tz", "available_ms"),
    [
        # UTC: days 03-10..03-10 -> R ends 03-11 00:00Z -> Available 22:00Z-24:00Z = 2 h (not 26 h to S)
        ("UTC", 2 * 3_600_000),
        # Madrid: 07:00Z = 08:00 local 03-10, 22:00Z = 23:00 local 03-10 -> R ends 03-10 23:00Z -> 1 h
        ("Europe/Madrid", 1 * 3_600_000),
        # New York (EDT, UTC-4): 07:00Z = 03:00 03-10, 22:00Z = 18:00 03-10 -> R ends 03-11 04:00Z -> 6 h
        ("America/New_York", 6 * 3_600_000),
    ],
)
def test_default_range_is_first_to_last_day_with_data(tmp_path, tz, available_ms):
    dump = default_range_dump(tmp_path)
    users = export(dump, "user", tz=tz)
    assert row(users, user_id="u1")["available_time"] == available_ms
    assert row(users, user_id="u2")["replies"] == 1


def test_channel_filter_and_unknown_channel(tmp_path):
    from sparkdesk.exports import UnknownChannel

    # c3's channel "ch9" is not in channels but is a conversation's channel_id -> known.
    # c4 in "ch8" is created after S -> does not exist -> "ch8" is unknown.
    dump = make(
        tmp_path,
        {
            "conversations": [
                conv("c1", channel="ch1"),
                conv("c2", channel="ch2"),
                conv("c3", channel="ch9"),
                conv("c4", "2025-03-20T00:00:00.001Z", channel="ch8"),
            ],
            "messages": [
                inbound("m1", "c1", at("10:00:00.000")),
                inbound("m2", "c2", at("10:00:00.000")),
                inbound("m3", "c3", at("10:00:00.000")),
                reply("m4", "c1", at("10:01:00.000"), "u1"),
            ],
        },
    )
    assert ids(export(dump, "message", "2025-03-10")) == ["m1", "m2", "m3", "m4"]
    assert ids(export(dump, "message", "2025-03-10", channels=("ch1",))) == ["m1", "m4"]
    assert ids(export(dump, "message", "2025-03-10", channels=("ch2", "ch9"))) == ["m2", "m3"]
    m3 = row(export(dump, "message", "2025-03-10", channels=("ch9",)), message_id="m3")
    assert na(m3["channel_name"])  # unknown reference: names empty
    with pytest.raises(UnknownChannel):
        export(dump, "message", "2025-03-10", channels=("nope",))
    with pytest.raises(UnknownChannel):
        export(dump, "message", "2025-03-10", channels=("ch1", "ch8"))


def test_snapshot_bounds_everything(tmp_path):
    # S = 2025-03-20T00:00:00.000Z
    dump = make(
        tmp_path,
        {
            "tags": [{"tag_id": "g1", "name": "Late"}],
            "conversations": [
                conv("c1", "2025-03-19T08:00:00.000Z"),
                # created after S: it does not exist, nor its message (created before S)
                conv("c9", "2025-03-20T01:00:00.000Z"),
            ],
            "messages": [
                inbound("m1", "c1", "2025-03-19T09:00:00.000Z"),
                inbound("m2", "c1", "2025-03-20T00:00:00.000Z"),  # exactly at S: exists
                inbound("m3", "c1", "2025-03-20T00:00:00.001Z"),  # after S: does not
                inbound("m9", "c9", "2025-03-19T10:00:00.000Z"),
                reply("m4", "c1", "2025-03-19T09:05:00.000Z", "u1"),
            ],
            "conversation_events": [status("c1", "2025-03-20T00:00:00.001Z", "RESOLVED", "u1")],
            "message_tags": [message_tag("m1", "g1", "2025-03-20T00:00:00.001Z")],
        },
    )
    assert ids(export(dump, "message", "2025-03-19", "2025-03-20")) == ["m1", "m4", "m2"]
    m1 = row(export(dump, "message", "2025-03-19"), message_id="m1")
    assert na(m1["tag_ids"])  # the tag added after S does not exist
    # the RESOLVED after S does not exist: c1 is still NEW, with 2 inbound (m1, m2) and 1 outbound
    open_ = export(dump, "open-conversation")
    assert list(open_["conversation_id"]) == ["c1"]
    c1 = open_.iloc[0]
    assert (c1["current_status"], c1["inbound_messages"], c1["outbound_messages"]) == ("NEW", 2, 1)
    assert len(export(dump, "resolved-conversation", "2025-03-19", "2025-03-20")) == 0


def test_default_range_ignores_other_timestamps(tmp_path):
    # Reading: "the latest timestamp among conversations, messages, events, tags and presence" means
    # their own times (created_at / at), not a message's updated_at / deleted_at; surveys are not listed.
    # Data times: 03-10 07:00Z .. 03-10 22:00Z (presence, open to S = 03-12). A message updated 03-11 12:00Z,
    # deleted 03-11 13:00Z and a survey responded 03-11 14:00Z do not stretch the range past 03-10:
    # Available = 22:00Z-24:00Z = 2 h (26 h if the range ran to 03-11).
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1", "2025-03-10T07:00:00.000Z")],
            "messages": [
                reply(
                    "m1",
                    "c1",
                    "2025-03-10T08:00:00.000Z",
                    "u2",
                    updated_at="2025-03-11T12:00:00.000Z",
                    deleted_at="2025-03-11T13:00:00.000Z",
                )
            ],
            "csat_surveys": [
                {
                    "survey_id": "s1",
                    "conversation_id": "c1",
                    "sent_at": "2025-03-10T09:00:00.000Z",
                    "responded_at": "2025-03-11T14:00:00.000Z",
                    "score": 5,
                }
            ],
            "presence_events": [presence("u1", "2025-03-10T22:00:00.000Z", "AVAILABLE")],
        },
        snapshot_at="2025-03-12T00:00:00.000Z",
    )
    assert row(export(dump, "user"), user_id="u1")["available_time"] == 2 * 3_600_000
