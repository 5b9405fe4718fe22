"""The dump reader's row checks, duplicates, orphans, snapshot and report (CSV folders)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sparkdesk.dump import DumpRefused, load_dumps
from sparkdesk.dump.schema import TABLES

CONV = "conversation_id,channel_id,contact_id,created_at\n"
MSG = "message_id,conversation_id,created_at,direction,user_id,virtual_agent_id\n"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    """Create a dump folder from {relative path: content}."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            p.write_text(content, encoding="utf-8", newline="")
        else:
            p.write_bytes(content)
    return root


def conv(*rows: str) -> str:
    return CONV + "".join(r + "\n" for r in rows)


def rejected(d, table: str) -> pd.DataFrame:
    r = d.report.rejected
    return r[r["table"] == table].reset_index(drop=True)


def warnings(d, table: str) -> pd.DataFrame:
    w = d.report.warnings
    return w[w["table"] == table].reset_index(drop=True)


BASE = conv("c1,ch1,k1,2025-03-10T10:00:00Z", "c2,ch1,k2,2025-03-10T11:00:00Z")


def test_every_table_present_with_spec_columns_and_dtypes(tmp_path):
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": BASE})])
    assert set(d.tables) == {t.name for t in TABLES}
    for spec in TABLES:
        df = d.tables[spec.name]
        assert list(df.columns) == spec.column_names + ["_seq"]
        assert df["_seq"].dtype == "int64"
        for c in spec.columns:
            dt = df[c.name].dtype
            if c.type == "ts":
                assert str(dt) == "datetime64[ms, UTC]"
            elif c.type == "bool":
                assert dt == "bool"
            elif c.type in ("int", "hhmm"):
                assert dt == "Int64"
            else:
                assert dt == "str", (spec.name, c.name, dt)


def test_ids_stay_text_leading_zeros_and_20_digits(tmp_path):
    big = "12345678901234567890"
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": conv(f"007,{big},7,2025-03-10T10:00:00Z")})])
    c = d.tables["conversations"]
    assert c["conversation_id"].tolist() == ["007"]
    assert c["channel_id"].tolist() == [big]
    assert c["contact_id"].tolist() == ["7"]


def test_text_kept_byte_for_byte_empty_is_missing(tmp_path):
    files = {"channels.csv": 'channel_id,medium,name,display_name\n ch1 ,WA,"  A, ""b"" ",\n'}
    d = load_dumps([write(tmp_path / "d", files)])
    ch = d.tables["channels"]
    assert ch["channel_id"].tolist() == [" ch1 "]
    assert ch["name"].tolist() == ['  A, "b" ']
    assert ch["display_name"].isna().all()


def test_bom_and_quoted_newlines_and_line_numbers(tmp_path):
    text = (
        "\ufeffmessage_id,conversation_id,created_at,direction,content\n"
        'm1,c1,2025-03-10T10:01:00Z,INBOUND,"line one\nline two\nline three"\n'
        'm2,c1,2025-03-10T10:02:00Z,SIDEWAYS,"x"\n'
        'm3,c1,2025-03-10T10:03:00Z,OUTBOUND,"a\r\nb"\n'
        "m4,c1,not a time,OUTBOUND,y\n"
    )
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": BASE, "messages.csv": text.encode()})])
    m = d.tables["messages"]
    assert m["message_id"].tolist() == ["m1", "m3"]
    assert m["content"].tolist() == ["line one\nline two\nline three", "a\r\nb"]
    r = rejected(d, "messages")
    assert r["line"].tolist() == [5, 8]  # m2 starts on line 5 (m1 spans 2..4), m4 on 8
    assert r["column"].tolist() == ["direction", "created_at"]
    assert json.loads(r["raw"][0])["direction"] == "SIDEWAYS"
    assert r["file"][0].endswith("messages.csv")


def test_headers_case_insensitive_trimmed_order_free_unknown_dropped(tmp_path):
    text = " Created_AT ,CONVERSATION_ID,Contact_Id,channel_id,Mood\n2025-03-10T10:00:00Z,c1,k1,ch1,happy\n"
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": text})])
    c = d.tables["conversations"]
    assert c["conversation_id"].tolist() == ["c1"]
    assert "Mood" not in c.columns and "mood" not in c.columns
    w = warnings(d, "conversations")
    assert (w["column"] == "Mood").sum() == 1 and w["line"].isna().all()


def test_enums_case_insensitive_trimmed_upper_cased(tmp_path):
    text = MSG + "m1,c1,2025-03-10T10:01:00Z, inbound ,,\nm2,c1,2025-03-10T10:02:00Z,Outbound,u1,\n"
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": BASE, "messages.csv": text})])
    assert d.tables["messages"]["direction"].tolist() == ["INBOUND", "OUTBOUND"]


@pytest.mark.parametrize(
    "cells, values, bad",
    [
        # exactly as the spec spells them: kept as read (the fast path)
        (["INBOUND", None, "OUTBOUND"], ["INBOUND", None, "OUTBOUND"], [False, False, False]),
        # any other spelling goes through trimming and upper-casing
        (["INBOUND", " outbound", None], ["INBOUND", "OUTBOUND", None], [False, False, False]),
        # blank is not empty (dump-format.md: "any other non-empty value rejects the row")
        (["INBOUND", "   ", "sideways"], ["INBOUND", None, "SIDEWAYS"], [False, True, True]),
    ],
)
def test_parse_enum_exact_and_loose_spellings(cells, values, bad):
    import pyarrow as pa

    from sparkdesk.dump.validate import parse_enum

    a = pa.chunked_array([pa.array(cells[:1], pa.large_string()), pa.array(cells[1:], pa.large_string())])
    out, mask = parse_enum(a, ("INBOUND", "OUTBOUND"))
    assert out.type == pa.large_string()
    assert out.to_pylist() == values
    assert mask.tolist() == bad


def test_timestamps_epoch_ms_offsets_truncation_and_naive_warning(tmp_path):
    text = conv(
        "c1,ch1,k1,1741600800123",  # 2025-03-10T10:00:00.123Z
        "c2,ch1,k1,2025-03-10T11:00:00.123999+01:00",
        "c3,ch1,k1,2025-03-10T10:00:00",  # naive: UTC, warned
        "c4,ch1,k1,2025-03-10",  # fromisoformat date form, naive
        "c5,ch1,k1,2025-03-10T10:00:00.9999999999Z",  # more digits than Arrow reads
    )
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": text})])
    got = d.tables["conversations"].set_index("conversation_id")["created_at"]
    ts = pd.Timestamp
    assert got["c1"] == ts("2025-03-10T10:00:00.123Z")
    assert got["c2"] == ts("2025-03-10T10:00:00.123Z")
    assert got["c3"] == ts("2025-03-10T10:00:00Z")
    assert got["c4"] == ts("2025-03-10T00:00:00Z")
    assert got["c5"] == ts("2025-03-10T10:00:00.999Z")
    w = warnings(d, "conversations")
    naive = w[w["reason"].str.contains("without a UTC offset")]
    assert naive["line"].tolist() == [4, 5]
    assert (naive["column"] == "created_at").all()


def test_sub_millisecond_digits_truncated_not_rounded_fast_path(tmp_path):
    d = load_dumps(
        [write(tmp_path / "d", {"conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00.1239Z")})]
    )
    assert d.tables["conversations"]["created_at"][0] == pd.Timestamp("2025-03-10T10:00:00.123Z")


def test_required_empty_rejected_with_column_and_reason(tmp_path):
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": conv("c1,,k1,2025-03-10T10:00:00Z")})])
    r = rejected(d, "conversations")
    assert r["column"].tolist() == ["channel_id"] and "required" in r["reason"][0]
    assert r["line"].tolist() == [2]


def test_message_with_user_and_va_rejected_and_inbound_with_agent(tmp_path):
    text = MSG + (
        "m1,c1,2025-03-10T10:01:00Z,OUTBOUND,u1,va1\n"
        "m2,c1,2025-03-10T10:02:00Z,INBOUND,u1,\n"
        "m3,c1,2025-03-10T10:03:00Z,INBOUND,,va1\n"
        "m4,c1,2025-03-10T10:04:00Z,OUTBOUND,,va1\n"
    )
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": BASE, "messages.csv": text})])
    assert d.tables["messages"]["message_id"].tolist() == ["m4"]
    r = rejected(d, "messages")
    assert r["line"].tolist() == [2, 3, 4]
    assert r["column"].tolist() == ["virtual_agent_id", "user_id", "virtual_agent_id"]


def test_event_type_requires_its_cell(tmp_path):
    text = (
        "conversation_id,at,type,user_id,status,topic_id,started_by\n"
        "c1,2025-03-10T10:01:00Z,STATUS_CHANGED,,,,\n"
        "c1,2025-03-10T10:02:00Z,LOCKED,,,,\n"
        "c1,2025-03-10T10:03:00Z,TOPIC_ADDED,,,,\n"
        "c1,2025-03-10T10:04:00Z,QUEUED,,,,\n"
        "c1,2025-03-10T10:05:00Z,queued,,,,NEW_INBOUND_MESSAGE\n"
        "c1,2025-03-10T10:06:00Z,status_changed,,resolved,,\n"
        "c1,2025-03-10T10:07:00Z,STATUS_CHANGED,,CLOSED,,\n"
    )
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": BASE, "conversation_events.csv": text})])
    r = rejected(d, "conversation_events")
    assert r["column"].tolist() == ["status", "user_id", "topic_id", "started_by", "status"]
    assert d.tables["conversation_events"]["status"].tolist()[1] == "RESOLVED"


def test_csat_score_range_and_status_default(tmp_path):
    text = (
        "survey_id,conversation_id,sent_at,score,status\n"
        "s1,c1,2025-03-10T12:00:00Z,5,\n"
        "s2,c1,2025-03-10T12:00:00Z,,\n"
        "s3,c1,2025-03-10T12:00:00Z,6,\n"
        "s4,c1,2025-03-10T12:00:00Z,4.5,\n"
        "s5,c2,2025-03-10T12:00:00Z,,expired\n"
    )
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": BASE, "csat_surveys.csv": text})])
    s = d.tables["csat_surveys"]
    assert s["survey_id"].tolist() == ["s1", "s2", "s5"]
    assert s["status"].tolist() == ["COMPLETED", "SENT", "EXPIRED"]
    assert s["score"].tolist()[0] == 5
    assert rejected(d, "csat_surveys")["column"].tolist() == ["score", "score"]


def test_bool_hhmm_date_tz(tmp_path):
    files = {
        "topics.csv": "topic_id,name,active\nt1,A,\nt2,B,No\nt3,C,YES\nt4,D,0\nt5,E,maybe\n",
        "business_hours.csv": (
            "channel_id,timezone,weekday,start,end\n"
            "ch1,Europe/Madrid,monday,08:00,24:00\n"
            "ch1,Mars/Olympus,MONDAY,08:00,20:00\n"
            "ch1,Europe/Madrid,MONDAY,20:00,08:00\n"
            "ch1,Europe/Madrid,MONDAY,25:00,26:00\n"
        ),
        "holidays.csv": "channel_id,date,name\nch1,2025-05-15,X\nch1,2025-02-30,Y\n",
    }
    d = load_dumps([write(tmp_path / "d", files)])
    assert d.tables["topics"]["active"].tolist() == [True, False, True, False]
    bh = d.tables["business_hours"]
    assert bh[["weekday", "start", "end"]].values.tolist() == [["MONDAY", 480, 1440]]
    assert rejected(d, "business_hours")["column"].tolist() == ["timezone", "end", "start"]
    assert d.tables["holidays"]["date"].tolist() == ["2025-05-15"]
    assert rejected(d, "topics")["column"].tolist() == ["active"]


def test_duplicates_last_read_wins_in_its_own_place(tmp_path):
    text = conv(
        "c1,ch1,k1,2025-03-10T10:00:00Z",
        "c2,ch1,k1,2025-03-10T10:00:00Z",
        "c1,ch9,k1,2025-03-10T10:00:00Z",
    )
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": text})])
    c = d.tables["conversations"]
    assert c["conversation_id"].tolist() == ["c2", "c1"]
    assert c["channel_id"].tolist() == ["ch1", "ch9"]
    st = d.report.stats["conversations"]
    assert (st.read, st.accepted, st.rejected, st.duplicates) == (3, 2, 0, 1)
    assert warnings(d, "conversations")["reason"].str.contains("duplicate").sum() == 1


def test_duplicate_keys_compare_parsed_values(tmp_path):
    text = "message_id,tag_id,at,action\nm1,t1,2025-03-10T10:00:00Z,added\nm1,t1,1741600800000,ADDED\n"
    files = {
        "conversations.csv": BASE,
        "messages.csv": MSG + "m1,c1,2025-03-10T10:00:00Z,INBOUND,,\n",
        "message_tags.csv": text,
    }
    d = load_dumps([write(tmp_path / "d", files)])
    assert len(d.tables["message_tags"]) == 1
    assert d.report.stats["message_tags"].duplicates == 1


def test_csat_and_event_alternative_keys(tmp_path):
    files = {
        "conversations.csv": BASE,
        "csat_surveys.csv": (
            "survey_id,conversation_id,sent_at,score\n"
            "s1,c1,2025-03-10T12:00:00Z,1\ns1,c2,2025-03-10T13:00:00Z,2\n"
            ",c1,2025-03-10T12:00:00Z,3\n,c1,2025-03-10T12:00:00Z,4\n,c2,2025-03-10T12:00:00Z,4\n"
        ),
        "conversation_events.csv": (
            "event_id,conversation_id,at,type,user_id\n"
            "e1,c1,2025-03-10T12:00:00Z,LOCKED,u1\ne1,c1,2025-03-10T12:05:00Z,UNLOCKED,u1\n"
            ",c1,2025-03-10T12:00:00Z,LOCKED,u1\n,c1,2025-03-10T12:00:00Z,LOCKED,u1\n"
            ",c1,2025-03-10T12:00:00Z,LOCKED,u2\n"
        ),
    }
    d = load_dumps([write(tmp_path / "d", files)])
    s = d.tables["csat_surveys"]
    assert s["score"].tolist() == [2, 4, 4]
    e = d.tables["conversation_events"]
    assert e["type"].tolist() == ["UNLOCKED", "LOCKED", "LOCKED"]
    assert e["user_id"].tolist() == ["u1", "u1", "u2"]


def test_orphans_cascade_to_tags(tmp_path):
    files = {
        "conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z", "c2,,k1,2025-03-10T10:00:00Z"),
        "messages.csv": MSG + "m1,c1,2025-03-10T10:01:00Z,INBOUND,,\nm2,c2,2025-03-10T10:01:00Z,INBOUND,,\n",
        "message_tags.csv": "message_id,tag_id,at,action\nm1,t,2025-03-10T10:02:00Z,ADDED\n"
        "m2,t,2025-03-10T10:02:00Z,ADDED\nm9,t,2025-03-10T10:02:00Z,ADDED\n",
        "conversation_events.csv": "conversation_id,at,type,status\nc2,2025-03-10T10:03:00Z,STATUS_CHANGED,NEW\n",
        "csat_surveys.csv": "conversation_id,sent_at\nc2,2025-03-10T10:03:00Z\n",
    }
    d = load_dumps([write(tmp_path / "d", files)])
    assert d.tables["messages"]["message_id"].tolist() == ["m1"]
    assert d.tables["message_tags"]["message_id"].tolist() == ["m1"]
    assert d.tables["conversation_events"].empty and d.tables["csat_surveys"].empty
    rt = rejected(d, "message_tags")
    assert rt["line"].tolist() == [3, 4] and rt["reason"].str.contains("orphan").all()
    assert json.loads(rt["raw"][0])["message_id"] == "m2"
    assert rejected(d, "messages")["line"].tolist() == [3]


def test_snapshot_from_manifest_leaves_out_later_rows(tmp_path):
    manifest = {
        "format": "sparkdesk-dump",
        "version": 1,
        "snapshot_at": "2025-03-10T12:00:00Z",
        "organization": "Org",
        "conversation_url_template": "https://x/{conversation_id}",
    }
    files = {
        "manifest.json": json.dumps(manifest),
        "conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z", "c2,ch1,k1,2025-03-10T12:00:01Z"),
        "messages.csv": MSG
        + "m1,c1,2025-03-10T12:00:00Z,INBOUND,,\nm2,c1,2025-03-10T12:00:00.001Z,INBOUND,,\n"
        "m3,c2,2025-03-10T12:00:01Z,INBOUND,,\n",
        "message_tags.csv": "message_id,tag_id,at,action\nm2,t,2025-03-10T11:00:00Z,ADDED\n"
        "m1,t,2025-03-10T11:00:00Z,ADDED\n",
        "presence_events.csv": "user_id,at,presence\nu1,2025-03-10T12:00:00Z,AWAY\nu1,2025-03-11T00:00:00Z,AWAY\n",
        "csat_surveys.csv": "conversation_id,sent_at,responded_at\nc1,2025-03-10T11:00:00Z,2025-03-11T00:00:00Z\n"
        "c1,2025-03-10T13:00:00Z,\n",
    }
    d = load_dumps([write(tmp_path / "d", files)])
    assert d.snapshot == pd.Timestamp("2025-03-10T12:00:00Z")
    assert d.organization == "Org" and d.url_template == "https://x/{conversation_id}"
    assert d.tables["conversations"]["conversation_id"].tolist() == ["c1"]
    assert d.tables["messages"]["message_id"].tolist() == ["m1"]  # at S exists; after S does not
    assert d.tables["message_tags"]["message_id"].tolist() == ["m1"]
    assert len(d.tables["presence_events"]) == 1
    s = d.tables["csat_surveys"]
    assert len(s) == 1 and s["responded_at"][0] == pd.Timestamp("2025-03-11T00:00:00Z")  # kept as is
    st = d.report.stats
    assert (st["conversations"].after_snapshot, st["messages"].after_snapshot) == (1, 2)
    assert (st["message_tags"].after_snapshot, st["csat_surveys"].after_snapshot) == (1, 1)
    assert st["messages"].accepted == 3  # after-snapshot rows stay counted as accepted


def test_snapshot_without_manifest_is_latest_timestamp_of_any_column(tmp_path):
    files = {
        "conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z"),
        "messages.csv": "message_id,conversation_id,created_at,direction,deleted_at\n"
        "m1,c1,2025-03-10T10:01:00Z,INBOUND,2025-03-12T00:00:00Z\n",
    }
    d = load_dumps([write(tmp_path / "d", files)])
    assert d.snapshot == pd.Timestamp("2025-03-12T00:00:00Z")
    assert len(d.tables["messages"]) == 1


def test_rows_after_latest_snapshot_of_combined_dumps(tmp_path):
    m1 = json.dumps({"version": 1, "snapshot_at": "2025-03-10T12:00:00Z"})
    a = write(
        tmp_path / "a", {"manifest.json": m1, "conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z")}
    )
    b = write(tmp_path / "b", {"conversations.csv": conv("c2,ch1,k1,2025-03-11T10:00:00Z")})
    d = load_dumps([a, b])
    assert d.snapshot == pd.Timestamp("2025-03-11T10:00:00Z")
    assert d.tables["conversations"]["conversation_id"].tolist() == ["c1", "c2"]


def test_several_dumps_last_wins(tmp_path):
    a = write(
        tmp_path / "a",
        {"conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z", "c2,ch1,k1,2025-03-10T10:00:00Z")},
    )
    b = write(tmp_path / "b", {"conversations.csv": conv("c1,ch2,k1,2025-03-10T10:00:00Z")})
    d = load_dumps([a, b])
    c = d.tables["conversations"]
    assert c["conversation_id"].tolist() == ["c2", "c1"]
    assert c["channel_id"].tolist() == ["ch1", "ch2"]
    assert c["_seq"].is_monotonic_increasing
    assert d.report.stats["conversations"].files == [
        str(a / "conversations.csv"),
        str(b / "conversations.csv"),
    ]


def test_reference_warnings_keep_rows(tmp_path):
    files = {
        "channels.csv": "channel_id,medium,name\nch1,WA,A\n",
        "conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z", "c2,chX,k1,2025-03-10T10:00:00Z"),
    }
    d = load_dumps([write(tmp_path / "d", files)])
    assert len(d.tables["conversations"]) == 2
    w = warnings(d, "conversations")
    per_row = w[w["column"] == "channel_id"]
    assert per_row["line"].tolist() == [3] and "not found in channels" in per_row["reason"].iloc[0]
    no_table = w[w["column"] == "contact_id"]  # no contacts table: one summary row
    assert len(no_table) == 1 and no_table["line"].isna().all()


def test_read_equals_accepted_plus_rejected_plus_duplicates(tmp_path):
    files = {
        "conversations.csv": conv(
            "c1,ch1,k1,2025-03-10T10:00:00Z",
            "c1,ch1,k1,2025-03-10T10:00:00Z",
            "c3,ch1,,2025-03-10T10:00:00Z",
            "c4,ch1,k1,2030-01-01T00:00:00Z",
        ),
        "messages.csv": MSG + "m1,c1,2025-03-10T10:01:00Z,INBOUND,,\nm1,c1,2025-03-10T10:01:00Z,INBOUND,,\n"
        "m2,c3,2025-03-10T10:01:00Z,INBOUND,,\nm3,c1,x,INBOUND,,\n,\n",
        "manifest.json": json.dumps({"version": 1, "snapshot_at": "2025-03-11T00:00:00Z"}),
    }
    d = load_dumps([write(tmp_path / "d", files)])
    for name, st in d.report.stats.items():
        assert st.read == st.accepted + st.rejected + st.duplicates, name
        assert len(d.tables[name]) == st.accepted - st.after_snapshot
        assert (d.report.rejected["table"] == name).sum() == st.rejected
    m = d.report.stats["messages"]
    assert (m.read, m.accepted, m.rejected, m.duplicates) == (5, 1, 3, 1)


def test_malformed_csv_record_rejected_with_line(tmp_path):
    text = conv("c1,ch1,k1,2025-03-10T10:00:00Z", "c2,ch1", "c3,ch1,k1,2025-03-10T10:00:00Z,extra")
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": text})])
    assert d.tables["conversations"]["conversation_id"].tolist() == ["c1"]
    r = rejected(d, "conversations")
    assert sorted(r["line"].tolist()) == [3, 4]


# ---------------------------------------------------------------- fatal errors


def refused(paths, match: str, **kw) -> str:
    with pytest.raises(DumpRefused) as err:
        load_dumps(paths, **kw)
    msg = str(err.value)
    assert match in msg, msg
    return msg


def test_fatal_missing_path(tmp_path):
    refused([tmp_path / "nope"], "nope")


def test_fatal_no_table_file(tmp_path):
    msg = refused([write(tmp_path / "d", {"readme.txt": "hi"})], "no recognised table file")
    assert str(tmp_path / "d") in msg


def test_fatal_header_lacks_required_column(tmp_path):
    p = write(tmp_path / "d", {"conversations.csv": "conversation_id,channel_id\nc1,ch1\n"})
    msg = refused([p], "conversations.csv")
    assert "contact_id" in msg and "created_at" in msg


def test_fatal_not_utf8(tmp_path):
    data = (CONV + "c1,ch1,k\xe9,2025-03-10T10:00:00Z\n").encode("latin-1")
    msg = refused([write(tmp_path / "d", {"conversations.csv": data})], "not UTF-8")
    assert "conversations.csv" in msg


def test_fatal_manifest_unknown_version(tmp_path):
    p = write(tmp_path / "d", {"manifest.json": '{"version": 2}', "conversations.csv": BASE})
    refused([p], "manifest.json")
    assert "version 2" in refused([p], "manifest.json")


def test_fatal_manifest_not_json(tmp_path):
    p = write(tmp_path / "d", {"manifest.json": "{nope", "conversations.csv": BASE})
    refused([p], "manifest.json")


def test_fatal_not_a_zip(tmp_path):
    p = tmp_path / "dump.zip"
    p.write_bytes(b"not a zip at all")
    refused([p], "dump.zip")


def test_row_warnings_are_listed_up_to_a_cap_then_counted(tmp_path, monkeypatch):
    from sparkdesk.dump import model

    monkeypatch.setattr(model, "WARN_ROWS_LISTED", 2)
    text = conv(*(f"c{i},ch1,k1,2025-03-10T10:00:0{i}" for i in range(5)))
    d = load_dumps([write(tmp_path / "d", {"conversations.csv": text})])
    w = warnings(d, "conversations")
    naive = w[w["reason"].str.startswith("timestamp without a UTC offset")]
    assert naive["line"].tolist()[-2:] == [2, 3]
    assert naive["reason"].str.contains("3 more rows").sum() == 1


def test_reference_warnings_name_only_rows_that_are_kept(tmp_path):
    """Unknown ids are looked for before duplicates, orphans and the snapshot drop rows
    (on a second thread); a row dropped by any of them must not be warned about."""
    manifest = {"format": "sparkdesk-dump", "version": 1, "snapshot_at": "2025-03-10T12:00:00Z"}
    files = {
        "manifest.json": json.dumps(manifest),
        "channels.csv": "channel_id,medium,name\nch1,WA,A\n",
        "users.csv": "user_id,name\nu1,Ann\n",
        "conversations.csv": conv(
            "c1,chX,k1,2025-03-10T10:00:00Z",  # line 2: replaced by line 3, no warning
            "c1,ch1,k1,2025-03-10T10:00:00Z",
            "c2,chY,k1,2025-03-10T10:00:00Z",  # line 4: kept, warned
            "c3,chZ,k1,2025-03-10T13:00:00Z",  # line 5: after the snapshot, no warning
        ),
        "messages.csv": MSG
        + "m1,c1,2025-03-10T10:01:00Z,OUTBOUND,uX,\n"  # line 2: kept, warned
        + "m2,c9,2025-03-10T10:01:00Z,OUTBOUND,uY,\n",  # line 3: orphan, rejected, no warning
    }
    d = load_dumps([write(tmp_path / "d", files)], cache=False)
    w = warnings(d, "conversations")
    w = w[w["reason"].str.contains("not found")]
    assert w[["line", "column"]].values.tolist() == [[4, "channel_id"]]
    wm = warnings(d, "messages")
    wm = wm[wm["reason"].str.contains("not found")]
    assert wm[["line", "column"]].values.tolist() == [[2, "user_id"]]
    assert rejected(d, "messages")["line"].tolist() == [3]


@pytest.mark.parametrize("small_reference", [65_536, 0])
def test_unknown_references_by_distinct_values_or_row_by_row(tmp_path, monkeypatch, small_reference):
    """Both ways of finding unknown ids (distinct values first for small reference tables,
    every row against a large one) warn about the same rows: set, unknown, kept."""
    from sparkdesk.dump import combine

    monkeypatch.setattr(combine, "SMALL_REFERENCE", small_reference)
    files = {
        "users.csv": "user_id,name\nu1,Ann\nu2,Bo\n",
        "conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z"),
        "messages.csv": MSG
        + "m1,c1,2025-03-10T10:01:00Z,OUTBOUND,u1,\n"
        + "m2,c1,2025-03-10T10:02:00Z,OUTBOUND,uX,\n"  # line 3: unknown
        + "m3,c1,2025-03-10T10:03:00Z,INBOUND,,\n"  # no user: nothing to look up
        + "m4,c1,2025-03-10T10:04:00Z,OUTBOUND,uX,\n"  # line 5: the same unknown id
        + "m5,c1,2025-03-10T10:05:00Z,OUTBOUND,u2,\n",
    }
    d = load_dumps([write(tmp_path / "d", files)], cache=False)
    w = warnings(d, "messages")
    w = w[w["reason"].str.contains("not found")]
    assert w[["line", "column"]].values.tolist() == [[3, "user_id"], [5, "user_id"]]


def test_reference_table_without_accepted_rows_makes_every_id_unknown(tmp_path):
    files = {
        "channels.csv": "channel_id,medium,name\nch1,,A\n",  # rejected: medium is required
        "conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z"),
    }
    d = load_dumps([write(tmp_path / "d", files)], cache=False)
    w = warnings(d, "conversations")
    assert w.loc[w["column"] == "channel_id", "line"].tolist() == [2]


def test_tags_of_dropped_messages_are_orphans_whatever_dropped_them(tmp_path):
    """Tags check their message against the messages kept after duplicates and orphans."""
    files = {
        "conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z"),
        "messages.csv": MSG
        + "m1,c1,2025-03-10T10:01:00Z,INBOUND,,\n"
        + "m1,c1,2025-03-10T10:02:00Z,INBOUND,,\n"  # replaces line 2: m1 is still there
        + "m2,c9,2025-03-10T10:01:00Z,INBOUND,,\n",  # orphan
        "message_tags.csv": "message_id,tag_id,at,action\n"
        "m1,t,2025-03-10T10:03:00Z,ADDED\nm2,t,2025-03-10T10:03:00Z,ADDED\nm3,t,2025-03-10T10:03:00Z,ADDED\n",
    }
    d = load_dumps([write(tmp_path / "d", files)], cache=False)
    assert d.tables["message_tags"]["message_id"].tolist() == ["m1"]
    assert rejected(d, "message_tags")["line"].tolist() == [3, 4]


def test_tag_loses_its_message_when_every_row_of_it_is_dropped(tmp_path):
    """m1's first row is replaced by a later one, which is itself an orphan: m1 is gone."""
    files = {
        "conversations.csv": conv("c1,ch1,k1,2025-03-10T10:00:00Z"),
        "messages.csv": MSG
        + "m1,c1,2025-03-10T10:01:00Z,INBOUND,,\n"
        + "m2,c1,2025-03-10T10:01:00Z,INBOUND,,\n"
        + "m1,c9,2025-03-10T10:02:00Z,INBOUND,,\n",  # replaces line 2, then rejected as an orphan
        "message_tags.csv": "message_id,tag_id,at,action\n"
        "m1,t,2025-03-10T10:03:00Z,ADDED\nm2,t,2025-03-10T10:03:00Z,ADDED\n",
    }
    d = load_dumps([write(tmp_path / "d", files)], cache=False)
    assert d.tables["messages"]["message_id"].tolist() == ["m2"]
    assert d.tables["message_tags"]["message_id"].tolist() == ["m2"]
    assert rejected(d, "message_tags")["line"].tolist() == [2]
