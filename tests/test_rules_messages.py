"""Message export (section 3): agent columns by message kind, content on/off, Last Updated, Deleted At,
pass-through columns and sort order."""

from dumpkit import at, conv, export, inbound, make, na, reply, row, system_message, ts, va_message

CONTENT = '  hi, "there"\nsecond line '  # kept byte for byte


def messages_dump(tmp_path):
    return make(
        tmp_path,
        {
            "conversations": [conv("c1", url="https://x.example/c1")],
            "messages": [
                inbound(
                    "m1",
                    "c1",
                    at("10:00:00.000"),
                    content=CONTENT,
                    message_type="TEXT",
                    origin="CONTACT",
                    post_url="https://wa.example/p/1",
                ),
                reply(
                    "m2",
                    "c1",
                    at("10:01:00.000"),
                    "u1",
                    "t1",
                    content="=1+1",
                    outbound_type="REPLY",
                    origin="AGENT_CONSOLE",
                    updated_at=at("10:02:00.000"),
                    deleted_at=at("10:03:00.000"),
                ),
                va_message("m3", "c1", at("10:04:00.000"), "va1", content="bot says", origin="VIRTUAL_AGENT"),
                system_message("m4", "c1", at("10:05:00.000"), content="auto"),
                # unknown user and unknown virtual agent: ids kept, names empty
                reply("m5", "c1", at("10:06:00.000"), "u9", "t9"),
                va_message("m6", "c1", at("10:07:00.000"), "va9"),
            ],
        },
    )


def agent(r):
    return tuple(
        None if na(r[k]) else r[k]
        for k in ("agent_id", "agent_name", "agent_reference", "team_id", "team_name")
    )


def test_agent_columns_by_message_kind(tmp_path):
    frame = export(messages_dump(tmp_path), "message", "2025-03-10")
    assert agent(row(frame, message_id="m1")) == (None, None, None, None, None)  # inbound
    assert agent(row(frame, message_id="m2")) == ("u1", "Ana", "R-1", "t1", "Alpha")  # human reply
    # virtual agent message: Agent ID is its virtual_agent_id, Agent Name the virtual agent's name,
    # no reference (only users have one)
    assert agent(row(frame, message_id="m3")) == ("va1", "Botty", None, None, None)
    m4 = row(frame, message_id="m4")
    assert agent(m4) == (None, None, None, None, None)  # system message
    assert m4["system_user_type"] == "AUTO_RESPONDER"
    assert agent(row(frame, message_id="m5")) == ("u9", None, None, "t9", None)
    assert agent(row(frame, message_id="m6")) == ("va9", None, None, None, None)


def test_columns_last_updated_and_deleted_at(tmp_path):
    frame = export(messages_dump(tmp_path), "message", "2025-03-10")
    m1, m2 = row(frame, message_id="m1"), row(frame, message_id="m2")
    assert (m1["direction"], m1["message_type"], m1["origin"], m1["post_url"]) == (
        "INBOUND",
        "TEXT",
        "CONTACT",
        "https://wa.example/p/1",
    )
    assert (m2["direction"], m2["outbound_type"], m2["origin"]) == ("OUTBOUND", "REPLY", "AGENT_CONSOLE")
    assert (m1["conversation_id"], m1["conversation_url"], m1["contact_id"], m1["medium"]) == (
        "c1",
        "https://x.example/c1",
        "k1",
        "WHATSAPP",
    )
    # Last Updated: updated_at, else created_at; Deleted At shown (the deleted message is still a row)
    assert m1["last_updated"] == ts(at("10:00:00.000")) and na(m1["deleted_at"])
    assert m2["last_updated"] == ts(at("10:02:00.000"))
    assert m2["deleted_at"] == ts(at("10:03:00.000"))


def test_content_on_and_off(tmp_path):
    dump = messages_dump(tmp_path)
    on = export(dump, "message", "2025-03-10")
    assert row(on, message_id="m1")["content"] == CONTENT
    assert row(on, message_id="m2")["content"] == "=1+1"
    off = export(dump, "message", "2025-03-10", include_content=False)
    assert len(off) == 6
    assert off["content"].isna().all()


def test_formula_guard_on_written_content(tmp_path):
    from sparkdesk.writers import WriteOptions, format_column

    frame = export(messages_dump(tmp_path), "message", "2025-03-10")
    text = format_column(frame["content"], "text", WriteOptions(tz="UTC"))
    assert list(text[:4]) == [CONTENT, "'=1+1", "bot says", "auto"]


def test_sorted_by_created_at_then_message_id_as_text(tmp_path):
    # four messages at the same instant: ids sort by code point "10" < "9" < "B" < "a";
    # an earlier message "z" comes first by time.
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [
                inbound("a", "c1", at("10:00:00.000")),
                inbound("9", "c1", at("10:00:00.000")),
                inbound("B", "c1", at("10:00:00.000")),
                inbound("10", "c1", at("10:00:00.000")),
                inbound("z", "c1", at("09:59:59.999")),
            ],
        },
    )
    assert list(export(dump, "message", "2025-03-10")["message_id"]) == ["z", "10", "9", "B", "a"]
