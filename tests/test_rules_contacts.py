"""Contact export (section 5) and contact-attribute export (section 12)."""

from dumpkit import at, conv, export, inbound, make, na, reply, row, ts, va_message

ATTRIBUTES = [
    {"contact_id": "k1", "attribute_id": "a2", "name": "Plan", "value": "Gold", "type": "TEXT"},
    {"contact_id": "k1", "attribute_id": "a1", "name": "Age", "value": "42", "type": "NUMBER"},
    {"contact_id": "k1", "attribute_id": "a4", "name": "age", "value": None, "type": "NUMBER"},
    {"contact_id": "k1", "attribute_id": "a3", "name": "Age", "value": "43", "type": None},
    {"contact_id": "k2", "attribute_id": "a1", "name": "Age", "value": "30", "type": "NUMBER"},
    {"contact_id": "k3", "attribute_id": "a1", "name": "Age", "value": "20", "type": "NUMBER"},
]


def contacts_dump(tmp_path):
    return make(
        tmp_path,
        {
            "contacts": [{"contact_id": "k1x", "medium": "SMS"}],  # never writes: no row
            "contact_attributes": ATTRIBUTES,
            "conversations": [
                conv("c1", contact="k1"),
                conv("c2", contact="k1"),
                conv("c3", "2025-03-09T08:00:00.000Z", contact="k1"),
                conv("c4", contact="k2"),  # k2 is a TWITTER contact writing on ch1 (WHATSAPP)
                conv("c5", channel="ch2", contact="k3"),  # k3 is not in contacts
                conv("c6", channel="ch1", contact="k3"),
            ],
            "messages": [
                # k1 in the range: c1 inbound 10:00, reply 10:05, VA 10:06; c2 deleted inbound 11:00
                # -> 2 conversations, 2 inbound, 2 outbound; Created at = first inbound in range 10:00
                # (the 03-09 inbound in c3 is outside the range)
                inbound("m1", "c1", at("10:00:00.000")),
                reply("m2", "c1", at("10:05:00.000"), "u1"),
                va_message("m3", "c1", at("10:06:00.000"), "va1"),
                inbound("m4", "c2", at("11:00:00.000"), deleted_at=at("11:01:00.000")),
                inbound("m5", "c3", "2025-03-09T09:00:00.000Z"),
                # k2: only an outbound message in the range; an inbound on 03-12 (after the range, before S)
                reply("m6", "c4", at("12:00:00.000"), "u1"),
                inbound("m7", "c4", "2025-03-12T08:00:00.000Z"),
                # k3: inbound in ch2 on 03-10, and in ch1 on 03-14
                inbound("m8", "c5", at("13:00:00.000")),
                inbound("m9", "c6", "2025-03-14T08:00:00.000Z"),
            ],
        },
    )


def test_contact_export_counts_created_at_and_last_updated(tmp_path):
    dump = contacts_dump(tmp_path)
    # k1 has no updated_at -> Last Updated = its latest message up to S: m4 03-10 11:00
    frame = export(dump, "contact", "2025-03-10")
    assert list(frame["contact_id"]) == ["k1", "k2", "k3"]
    k1, k2, k3 = (frame.iloc[i] for i in range(3))
    assert (k1["conversations"], k1["inbound_messages"], k1["outbound_messages"]) == (2, 2, 2)
    assert k1["created_at"] == ts(at("10:00:00.000"))
    assert k1["last_updated"] == ts(at("11:00:00.000"))
    assert (k1["medium"], k1["primary_identifier"], k1["secondary_identifier"]) == (
        "WHATSAPP",
        "+34600000001",
        "Kim",
    )
    # k2: no inbound in the range -> Created at empty; the contact's own medium (TWITTER), not the channel's;
    # Last Updated = its latest message in any date up to S: m7 03-12 08:00
    assert (k2["conversations"], k2["inbound_messages"], k2["outbound_messages"]) == (1, 0, 1)
    assert na(k2["created_at"])
    assert k2["medium"] == "TWITTER" and na(k2["secondary_identifier"])
    assert k2["last_updated"] == ts("2025-03-12T08:00:00.000Z")
    # k3 is unknown: names empty; Last Updated over every selected channel: m9 03-14 (ch1)
    assert na(k3["medium"]) and na(k3["primary_identifier"])
    assert k3["last_updated"] == ts("2025-03-14T08:00:00.000Z")


def test_contact_export_channel_filter(tmp_path):
    dump = contacts_dump(tmp_path)
    # ch2 only: k3 is the only contact with a message there; its Last Updated looks at ch2 messages only
    frame = export(dump, "contact", "2025-03-10", channels=("ch2",))
    assert list(frame["contact_id"]) == ["k3"]
    assert (frame.loc[0, "conversations"], frame.loc[0, "inbound_messages"]) == (1, 1)
    assert frame.loc[0, "last_updated"] == ts(at("13:00:00.000"))
    assert list(export(dump, "contact", "2025-03-10", channels=("ch1",))["contact_id"]) == ["k1", "k2"]


def test_contact_last_updated_prefers_updated_at(tmp_path):
    # the contact's updated_at (2025-03-05, even earlier than its messages) wins over its messages
    dump = make(
        tmp_path,
        {
            "contacts": [{"contact_id": "k7", "medium": "SMS", "updated_at": "2025-03-05T12:00:00.000Z"}],
            "conversations": [conv("c1", contact="k7")],
            "messages": [inbound("m1", "c1", at("10:00:00.000"))],
        },
    )
    k7 = row(export(dump, "contact", "2025-03-10"), contact_id="k7")
    assert k7["last_updated"] == ts("2025-03-05T12:00:00.000Z")
    assert k7["medium"] == "SMS"


def test_contact_attributes_of_contacts_who_wrote(tmp_path):
    dump = contacts_dump(tmp_path)
    frame = export(dump, "contact-attribute", "2025-03-10")
    got = [
        (
            r["contact_id"],
            r["attribute_name"],
            r["attribute_id"],
            None if na(r["attribute_value"]) else r["attribute_value"],
            None if na(r["attribute_type"]) else r["attribute_type"],
        )
        for _, r in frame.iterrows()
    ]
    # k1 and k3 wrote (inbound) in the range; k2 only received a reply -> none of its attributes.
    # Sorted by contact, Attribute Name (code points: "Age" < "Plan" < "age"), Attribute ID.
    assert got == [
        ("k1", "Age", "a1", "42", "NUMBER"),
        ("k1", "Age", "a3", "43", None),
        ("k1", "Plan", "a2", "Gold", "TEXT"),
        ("k1", "age", "a4", None, "NUMBER"),
        ("k3", "Age", "a1", "20", "NUMBER"),
    ]
    assert (frame.loc[0, "contact_primary_identifier"], frame.loc[0, "contact_secondary_identifier"]) == (
        "+34600000001",
        "Kim",
    )
    # ch1 only: k3's inbound in the range is in ch2 -> only k1's rows
    assert set(export(dump, "contact-attribute", "2025-03-10", channels=("ch1",))["contact_id"]) == {"k1"}
