"""Precise rule "Sorting": text by Unicode code point, case-sensitive; ids as strings ("10" < "9");
empty first; ties broken by the id columns."""

from dumpkit import at, conv, export, inbound, make, presence, reply


def test_team_rows_by_name_code_point_then_id(tmp_path):
    # names: "" (t0, unknown team), "Alpha" (t1), "Beta" (t2), "Same" (ids "10" and "9"), "beta" (t3),
    # "Ärger" (t4, U+00C4 sorts after every ASCII letter)
    teams = [
        {"team_id": "t3", "name": "beta"},
        {"team_id": "t4", "name": "Ärger"},
        {"team_id": "9", "name": "Same"},
        {"team_id": "10", "name": "Same"},
    ]
    ids = ["t4", "t3", "9", "10", "t2", "t1", "t0"]
    dump = make(
        tmp_path,
        {
            "teams": teams,
            "conversations": [conv("c1")],
            "messages": [reply(f"r{i}", "c1", at(f"10:0{i}:00.000"), "u1", t) for i, t in enumerate(ids)],
        },
    )
    assert list(export(dump, "team", "2025-03-10")["team_id"]) == ["t0", "t1", "t2", "10", "9", "t3", "t4"]


def test_user_rows_by_name_code_point_then_id(tmp_path):
    # names: "" (u0, unknown), "Ana", "Ben", "Cleo", "Zoe" (ids "10" and "9"), "ana" (u5), "Émile" (u6)
    users = [
        {"user_id": "u5", "name": "ana"},
        {"user_id": "u6", "name": "Émile"},
        {"user_id": "9", "name": "Zoe"},
        {"user_id": "10", "name": "Zoe"},
    ]
    who = ["u6", "u5", "9", "10", "u3", "u2", "u1", "u0"]
    dump = make(
        tmp_path,
        {
            "users": users,
            "presence_events": [presence(u, at(f"10:0{i}:00.000"), "AVAILABLE") for i, u in enumerate(who)],
        },
    )
    assert list(export(dump, "user", "2025-03-10")["user_id"]) == [
        "u0",
        "u1",
        "u2",
        "u3",
        "10",
        "9",
        "u5",
        "u6",
    ]


def test_contact_rows_by_id_as_text(tmp_path):
    # contact ids "9", "10", "K", "k1", "007": code points "007" < "10" < "9" < "K" < "k1"
    contacts = ["9", "10", "K", "k1", "007"]
    dump = make(
        tmp_path,
        {
            "conversations": [conv(f"c{c}", contact=c) for c in contacts],
            "messages": [inbound(f"m{c}", f"c{c}", at("10:00:00.000")) for c in contacts],
        },
    )
    assert list(export(dump, "contact", "2025-03-10")["contact_id"]) == ["007", "10", "9", "K", "k1"]


def test_open_conversations_by_created_at_then_id(tmp_path):
    # same created_at for "c9" and "c10" -> "c10" first; "c2" created earlier comes before both
    dump = make(
        tmp_path,
        {
            "conversations": [
                conv("c9", at("10:00:00.000")),
                conv("c10", at("10:00:00.000")),
                conv("c2", at("09:59:59.999")),
            ],
            "messages": [reply("r1", "c9", at("10:01:00.000"), "u1")],
        },
    )
    assert list(export(dump, "open-conversation")["conversation_id"]) == ["c2", "c10", "c9"]
