"""CSAT of a conversation (latest survey by sent_at) and CSAT attribution (team and user exports)."""

from dumpkit import at, conv, export, make, na, reply, resolve, row, status, survey

CSAT = ["csat_1", "csat_2", "csat_3", "csat_4", "csat_5"]


def scores(frame, key, value):
    r = row(frame, **{key: value})
    return [int(r[c]) for c in CSAT]


def test_conversation_csat_is_the_latest_survey_by_sent_at(tmp_path):
    # c1: s2 (sent 03-11 09:00, no score, EXPIRED) is listed first in the file, s1 (03-10 12:00, score 2)
    #     after it; the latest by sent_at is s2 -> score empty, status EXPIRED, its question, no answer.
    # c2: s4 (11:00, score 1) and s3 (12:00, score 4, empty status -> COMPLETED since it has a score) -> s3.
    # c3: s5 no score, empty status -> SENT.
    # c4: s6 (12:00, score 3) and s7 sent 2025-03-20T01:00Z, after S -> does not exist -> s6.
    dump = make(
        tmp_path,
        {
            "conversations": [conv(c) for c in ("c1", "c2", "c3", "c4")],
            "messages": [reply("m1", "c1", at("09:30:00.000"), "u1")],
            "conversation_events": [
                resolve(c, at("10:00:00.000"), "u1", "t1") for c in ("c1", "c2", "c3", "c4")
            ],
            "csat_surveys": [
                survey("s2", "c1", "2025-03-11T09:00:00.000Z", status="EXPIRED", followup_question="Q2"),
                survey(
                    "s1",
                    "c1",
                    at("12:00:00.000"),
                    at("12:05:00.000"),
                    2,
                    status="COMPLETED",
                    followup_question="Q1",
                    followup_answer="A1",
                ),
                survey("s4", "c2", at("11:00:00.000"), at("11:01:00.000"), 1),
                survey("s3", "c2", at("12:00:00.000"), at("12:01:00.000"), 4, followup_answer="great"),
                survey("s5", "c3", at("12:00:00.000")),
                survey("s6", "c4", at("12:00:00.000"), at("12:01:00.000"), 3),
                survey("s7", "c4", "2025-03-20T01:00:00.000Z", None, None),
            ],
        },
    )
    frame = export(dump, "resolved-conversation", "2025-03-10")
    c1, c2, c3, c4 = (row(frame, conversation_id=c) for c in ("c1", "c2", "c3", "c4"))
    assert na(c1["csat_score"]) and c1["csat_status"] == "EXPIRED"
    assert c1["csat_question"] == "Q2" and na(c1["csat_answer"])
    assert (c2["csat_score"], c2["csat_status"], c2["csat_answer"]) == (4, "COMPLETED", "great")
    assert na(c3["csat_score"]) and c3["csat_status"] == "SENT"
    assert (c4["csat_score"], c4["csat_status"]) == (3, "COMPLETED")


def test_csat_attribution_to_the_latest_resolution_at_or_before_sent_at(tmp_path):
    dump = make(
        tmp_path,
        {
            "conversations": [conv(c) for c in ("c1", "c2", "c3", "c4", "c5")],
            "messages": [
                reply("m1", "c1", at("08:00:00.000"), "u1", "t1"),
                reply("m2", "c1", at("08:01:00.000"), "u2", "t2"),
            ],
            "conversation_events": [
                # c1: RESOLVED 10:00 by u1/t1, reopened 11:00, RESOLVED 14:00 by u2/t2
                resolve("c1", at("10:00:00.000"), "u1", "t1"),
                status("c1", at("11:00:00.000"), "NEW"),
                resolve("c1", at("14:00:00.000"), "u2", "t2"),
                # c2: RESOLVED 10:00 by u1 with no team
                resolve("c2", at("10:00:00.000"), "u1"),
                # c3: RESOLVED 10:00 by u2/t2 (after its survey was sent)
                resolve("c3", at("10:00:00.000"), "u2", "t2"),
                # c4: RESOLVED 09:00 by u1/t1, reopened, RESOLVED 10:00 by nobody (team t2 only)
                resolve("c4", at("09:00:00.000"), "u1", "t1"),
                status("c4", at("09:30:00.000"), "NEW"),
                resolve("c4", at("10:00:00.000"), None, "t2"),
                # c5: RESOLVED 09:00 by u2/t2
                resolve("c5", at("09:00:00.000"), "u2", "t2"),
            ],
            "csat_surveys": [
                # s1 sent 12:00 -> latest resolution at or before is 10:00 (u1/t1): u1, t1 score 5
                survey("s1", "c1", at("12:00:00.000"), at("12:30:00.000"), 5),
                # s2 sent 15:00 -> 14:00 (u2/t2): u2, t2 score 3
                survey("s2", "c1", at("15:00:00.000"), at("15:10:00.000"), 3),
                # s3 sent exactly at the resolution's instant 10:00 -> u1 (no team: agent only) score 4
                survey("s3", "c2", at("10:00:00.000"), at("10:05:00.000"), 4),
                # s4 sent 09:00, before c3's only resolution -> nobody
                survey("s4", "c3", at("09:00:00.000"), at("09:30:00.000"), 1),
                # s5: latest resolution (10:00) has no agent -> nobody (not u1, not t2)
                survey("s5", "c4", at("11:00:00.000"), at("11:05:00.000"), 2),
                # s6: no score -> not counted; s7: EXPIRED but scored and responded -> counts for u2/t2, score 5
                survey("s6", "c5", at("11:00:00.000"), at("11:05:00.000"), None, status="COMPLETED"),
                survey("s7", "c5", at("12:00:00.000"), at("12:01:00.000"), 5, status="EXPIRED"),
            ],
        },
    )
    users = export(dump, "user", "2025-03-10")
    assert scores(users, "user_id", "u1") == [0, 0, 0, 1, 1]
    assert scores(users, "user_id", "u2") == [0, 0, 1, 0, 1]
    teams = export(dump, "team", "2025-03-10")
    assert scores(teams, "team_id", "t1") == [0, 0, 0, 0, 1]
    assert scores(teams, "team_id", "t2") == [0, 0, 1, 0, 1]


def csat_next_day_dump(tmp_path):
    # RESOLVED 03-10 10:00 by u1/t1; survey sent 03-10 12:00, responded 03-11 08:00, score 5.
    return make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [reply("m1", "c1", at("09:00:00.000"), "u1", "t1")],
            "conversation_events": [resolve("c1", at("10:00:00.000"), "u1", "t1")],
            "csat_surveys": [survey("s1", "c1", at("12:00:00.000"), "2025-03-11T08:00:00.000Z", 5)],
        },
    )


def test_csat_counts_in_the_range_of_responded_at_not_sent_at(tmp_path):
    # Range 03-10 (the day it was sent): u1 is a row (reply, resolution) but the survey is not counted.
    dump = csat_next_day_dump(tmp_path)
    assert scores(export(dump, "user", "2025-03-10"), "user_id", "u1") == [0, 0, 0, 0, 0]
    assert scores(export(dump, "team", "2025-03-10"), "team_id", "t1") == [0, 0, 0, 0, 0]


def test_an_attributed_survey_alone_makes_a_user_row(tmp_path):
    # Range 03-11 (the day it was responded): u1 is a row only because of the attributed survey;
    # every other figure 0 and Utilization / Avg. Handle Time empty.
    dump = csat_next_day_dump(tmp_path)
    day2 = export(dump, "user", "2025-03-11")
    assert list(day2["user_id"]) == ["u1"]
    u1 = day2.iloc[0]
    assert [int(u1[c]) for c in CSAT] == [0, 0, 0, 0, 1]
    assert (u1["replies"], u1["resolves_with_reply"], u1["resolves_without_reply"]) == (0, 0, 0)
    assert (u1["available_time"], u1["away_time"], u1["handle_time"]) == (0, 0, 0)
    assert na(u1["utilization"]) and na(u1["avg_handle_time"])
