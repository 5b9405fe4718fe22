"""Timestamps far from today (issue 12, item 4): what cannot be shown is rejected at import.

Exports show instants as local wall-clock time in any IANA zone, and Python's datetime
(and so every zone conversion) covers only the years 1 to 9999. Offsets reach about +-16 hours (local mean time before time zones), so the
instants read are those from 0001-01-02T00:00:00Z up to, not including,
9999-12-31T00:00:00Z: in every zone their local time stays within the years 1 to 9999.
Any other timestamp, in any timestamp column and any input form (ISO text, epoch
milliseconds as text or JSON number, native Parquet timestamps of every unit, integers),
rejects its row with one reason, which the import report lists. ``inspect`` and
``export`` agree on it; a far ``snapshot_at`` in the manifest refuses the dump.

The timestamps at the very edges of that range flow through all twelve exports, in
the zones with the most extreme offsets, as CSV (local and iso) and XLSX (where a
date-time before 1900, which Excel cannot hold, is a string cell with the CSV's text).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dumpkit import write_dump

from sparkdesk.catalogue import EXPORT_IDS
from sparkdesk.cli import main
from sparkdesk.dump import DumpRefused, load_dumps
from sparkdesk.exports import ExportParams, compute
from sparkdesk.writers import WriteOptions, write_all

FAR = "is a timestamp outside the years 1 to 9999"

GOOD = "2025-03-10T10:00:00.000Z"
GOOD_MS = 1_741_600_800_000
SNAPSHOT = "2025-03-20T00:00:00.000Z"

LO_MS = -62_135_510_400_000  # 0001-01-02T00:00:00Z, the first instant read
HI_MS = 253_402_214_399_999  # 9999-12-30T23:59:59.999Z, the last one
LO = "0001-01-02T00:00:00.000Z"
HI = "9999-12-30T23:59:59.999Z"
YEAR_10000_MS = 253_402_300_800_000  # 10000-01-01T00:00:00Z (the presence event)
YEAR_1_MS = -62_135_596_800_000  # 0001-01-01T00:00:00Z

# Every timestamp column of the dump: one row of each carries a far value in it.
TARGETS = [
    ("teams", "created_at"),
    ("contacts", "updated_at"),
    ("conversations", "created_at"),
    ("messages", "created_at"),
    ("messages", "updated_at"),
    ("messages", "deleted_at"),
    ("conversation_events", "at"),
    ("message_tags", "at"),
    ("csat_surveys", "sent_at"),
    ("csat_surveys", "responded_at"),
    ("presence_events", "at"),
]
TS_COLUMNS = {
    "teams": ("created_at",),
    "contacts": ("updated_at",),
    "conversations": ("created_at",),
    "messages": ("created_at", "updated_at", "deleted_at"),
    "conversation_events": ("at",),
    "message_tags": ("at",),
    "csat_surveys": ("sent_at", "responded_at"),
    "presence_events": ("at",),
}


def good_and_far(good, far) -> dict[str, list[dict]]:
    """One good row in every table and, per far value (``far`` or each of a list) and per
    target, one more row whose only odd cell is that value in the target column.

    No far row has children, so nothing is rejected as an orphan after them.
    """
    tables = {
        "channels": [{"channel_id": "ch1", "medium": "WHATSAPP", "name": "Support"}],
        "users": [{"user_id": "u1", "name": "Ana"}],
        "teams": [{"team_id": "t1", "name": "Alpha", "created_at": good}],
        "contacts": [{"contact_id": "k1", "medium": "WHATSAPP", "updated_at": good}],
        "tags": [{"tag_id": "g1", "name": "Vip"}],
        "conversations": [
            {"conversation_id": "c1", "channel_id": "ch1", "contact_id": "k1", "created_at": good}
        ],
        "messages": [
            {
                "message_id": "m1",
                "conversation_id": "c1",
                "created_at": good,
                "direction": "INBOUND",
                "updated_at": good,
                "deleted_at": good,
            }
        ],
        "conversation_events": [
            {"conversation_id": "c1", "at": good, "type": "STATUS_CHANGED", "status": "PENDING"}
        ],
        "message_tags": [{"message_id": "m1", "tag_id": "g1", "at": good, "action": "ADDED"}],
        "csat_surveys": [
            {"survey_id": "s1", "conversation_id": "c1", "sent_at": good, "responded_at": good, "score": 5}
        ],
        "presence_events": [{"user_id": "u1", "at": good, "presence": "AVAILABLE"}],
    }
    for i, value in enumerate(far if isinstance(far, list) else [far]):
        for table, column in TARGETS:

            def cell(name: str, column: str = column, value=value):
                return value if name == column else good

            if table == "teams":
                row = {"team_id": f"t9-{i}", "name": "Far", "created_at": value}
            elif table == "contacts":
                row = {"contact_id": f"k9-{i}", "medium": "WHATSAPP", "updated_at": value}
            elif table == "conversations":
                row = {
                    "conversation_id": f"c9-{i}",
                    "channel_id": "ch1",
                    "contact_id": "k1",
                    "created_at": value,
                }
            elif table == "messages":
                row = {
                    "message_id": f"m-{column}-{i}",
                    "conversation_id": "c1",
                    "created_at": cell("created_at"),
                    "direction": "INBOUND",
                    "updated_at": cell("updated_at"),
                    "deleted_at": cell("deleted_at"),
                }
            elif table == "conversation_events":
                row = {"conversation_id": "c1", "at": value, "type": "STATUS_CHANGED", "status": "NEW"}
            elif table == "message_tags":
                row = {"message_id": "m1", "tag_id": "g1", "at": value, "action": "REMOVED"}
            elif table == "csat_surveys":
                row = {
                    "survey_id": f"s-{column}-{i}",
                    "conversation_id": "c1",
                    "sent_at": cell("sent_at"),
                    "responded_at": cell("responded_at"),
                    "score": 4,
                }
            else:
                row = {"user_id": "u1", "at": value, "presence": "AWAY"}
            tables[table].append(row)
    return tables


# ----- writing a dump in each input form ---------------------------------------------------


def write_csv_dump(root: Path, tables: dict[str, list[dict]], snapshot_at: str | None = SNAPSHOT) -> Path:
    return write_dump(root, tables, snapshot_at)


def write_jsonl_dump(root: Path, tables: dict[str, list[dict]], snapshot_at: str | None = SNAPSHOT) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        text = "".join(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n" for r in rows)
        (root / f"{name}.jsonl").write_text(text, encoding="utf-8")
    man = {"format": "sparkdesk-dump", "version": 1, "snapshot_at": snapshot_at}
    (root / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    return root


def write_parquet_dump(
    root: Path, tables: dict[str, list[dict]], ts_type: pa.DataType, snapshot_at: str | None = SNAPSHOT
) -> Path:
    """Timestamp cells (given as epoch milliseconds) as ``ts_type``; every other cell as text."""
    root.mkdir(parents=True, exist_ok=True)
    per_ms = {"s": 0.001, "ms": 1, "us": 1000, "ns": 1_000_000}
    for name, rows in tables.items():
        cols: dict[str, list] = {}
        for r in rows:
            for k in r:
                cols.setdefault(k, [])
        for r in rows:
            for k in cols:
                cols[k].append(r.get(k))
        arrays = {}
        for k, values in cols.items():
            if k in TS_COLUMNS.get(name, ()):
                if pa.types.is_timestamp(ts_type):
                    f = per_ms[ts_type.unit]
                    ints = [None if v is None else (v // 1000 if f == 0.001 else v * f) for v in values]
                    arrays[k] = pa.array(ints, pa.int64()).cast(ts_type)
                elif pa.types.is_date32(ts_type):
                    arrays[k] = pa.array([None if v is None else v // 86_400_000 for v in values], pa.int32())
                    arrays[k] = arrays[k].cast(ts_type)
                elif pa.types.is_integer(ts_type):
                    arrays[k] = pa.array(values, ts_type)
                else:
                    arrays[k] = pa.array([None if v is None else str(v) for v in values], pa.string())
            else:
                arrays[k] = pa.array([None if v is None else str(v) for v in values], pa.string())
        pq.write_table(pa.table(arrays), root / f"{name}.parquet")
    man = {"format": "sparkdesk-dump", "version": 1, "snapshot_at": snapshot_at}
    (root / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    return root


def assert_far_rows_rejected(dump, far_values: int = 1) -> None:
    """Exactly the far rows are rejected, each for its far column; nothing else is lost."""
    rej = dump.report.rejected
    got = sorted(zip(rej["table"].tolist(), rej["column"].tolist(), strict=True))
    assert got == sorted(TARGETS * far_values), rej[["table", "column", "reason", "raw"]].to_string()
    for r in rej.itertuples():
        assert r.reason.startswith(f"{r.column} {FAR}"), r.reason
    for name, st in dump.report.stats.items():
        assert st.read == st.accepted + st.rejected + st.duplicates, name
    for table in TS_COLUMNS:
        assert dump.report.stats[table].accepted == 1, table
        assert len(dump.tables[table]) == 1, table
    warned = dump.report.warnings
    naive = warned[warned["reason"].str.contains("without a UTC offset")]
    lines = set(zip(naive["file"], naive["line"], strict=True))
    assert not lines & set(zip(rej["file"], rej["line"], strict=True)), "a rejected cell is also warned about"


# ----- far values are rejected, in every column and every input form ----------------------

# Far values of the plain ISO form, which the CSV reader may read as timestamps straight away.
FAR_PLAIN_ISO = [
    "9999-12-31T00:00:00Z",  # the first instant past the range
    "9999-12-31T00:00:00.000+00:00",
    "9999-12-31T23:00:00-05:00",  # the year 10000 in UTC
    "0001-01-01T23:59:59.999Z",  # one millisecond before the range
    "0001-01-02T00:00:00+00:01",  # one minute before it
    "0001-01-01T00:00:00+14:00",  # the year 0 in UTC
    "0000-06-01T00:00:00Z",  # the year 0 (1 BC), which ISO 8601 and Arrow read
]
FAR_TEXT = FAR_PLAIN_ISO + [
    str(YEAR_10000_MS),  # the presence event, as epoch milliseconds
    str(YEAR_1_MS),  # the lower bound
    "253402214400000",  # 9999-12-31T00:00:00Z
    "-62135510400001",  # one millisecond before 0001-01-02
    "-99999999999999999",
    "99999999999999999999",  # more digits than 64 bits hold
    " 253402300800000 ",
    "9999-12-31T12:00:00.123456Z",  # digits past the millisecond
    "9999-12-31T12:00:00",  # without an offset: rejected, not a warning
    "9999-12-31 12:00+00:00",
    "0000-06-01T00:00:00.5+02:00",
]


@pytest.mark.parametrize(
    ("good", "far"), [(GOOD, FAR_PLAIN_ISO), (str(GOOD_MS), FAR_TEXT)], ids=["typed read", "text read"]
)
def test_far_text_is_rejected_in_every_timestamp_column_csv(tmp_path, good, far):
    """Plain ISO cells only: the reader takes the typed timestamp path; any epoch cell makes
    the columns text. Both reject every far value, with the same reason."""
    dump = load_dumps([write_csv_dump(tmp_path / "d", good_and_far(good, far))], cache=False)
    assert_far_rows_rejected(dump, len(far))


def read_at_type(root: Path) -> pa.DataType:
    """How the CSV reader reads presence_events.at: as timestamps straight away, or as text."""
    from sparkdesk.dump.containers import folder_source
    from sparkdesk.dump.parse import read_csv

    (tf,) = [tf for tf in folder_source(str(root)).files if tf.table == "presence_events"]
    return read_csv(tf).table["at"].type


@pytest.mark.parametrize("far", ["9999-12-31T00:00:00Z", "0000-06-01T00:00:00Z", "0001-01-01T23:59:59.999Z"])
def test_typed_and_text_csv_reads_agree_past_the_sample(tmp_path, far):
    """A far value after the rows the reader samples: the typed read (plain ISO cells only)
    and the text read (one epoch cell among them) reject the same row, same reason."""
    reports = []
    for first in (GOOD, str(GOOD_MS)):
        rows = [{"user_id": "u1", "at": first, "presence": "AVAILABLE"}]
        rows += [
            {"user_id": "u1", "at": f"2025-03-10T10:{i // 60:02d}:{i % 60:02d}Z", "presence": "AWAY"}
            for i in range(300)
        ]
        rows += [{"user_id": "u1", "at": far, "presence": "OFFLINE"}]
        root = write_csv_dump(tmp_path / first[:4], {"presence_events": rows})
        assert read_at_type(root) == (pa.timestamp("ms", "UTC") if first == GOOD else pa.large_string())
        dump = load_dumps([root], cache=False)
        rej = dump.report.rejected
        reports.append(
            list(zip(rej["line"].tolist(), rej["column"].tolist(), rej["reason"].tolist(), strict=True))
        )
        assert dump.report.stats["presence_events"].accepted == 301
    assert reports[0] == reports[1] == [(303, "at", reports[0][0][2])]
    assert reports[0][0][2].startswith(f"at {FAR}")


@pytest.mark.parametrize(
    "far",
    [
        [YEAR_10000_MS, YEAR_1_MS, 253_402_214_400_000, -62_135_510_400_001],  # read as 64-bit integers
        [10**20, YEAR_10000_MS],  # past 64 bits: read exactly, as text
        ["253402300800000", "9999-12-31T00:00:00Z", "0000-06-01T00:00:00Z"],
    ],
    ids=["numbers", "big numbers", "strings"],
)
def test_far_values_are_rejected_in_json_lines(tmp_path, far):
    """JSON numbers (read as native integers, or exactly past 64 bits) and JSON strings."""
    good = GOOD_MS if isinstance(far[0], int) else GOOD
    dump = load_dumps([write_jsonl_dump(tmp_path / "d", good_and_far(good, far))], cache=False)
    assert_far_rows_rejected(dump, len(far))


PARQUET_FAR = [YEAR_10000_MS, YEAR_1_MS, 253_402_214_400_000, -62_135_510_401_000]


@pytest.mark.parametrize(
    "ts_type",
    [
        pa.timestamp("s", tz="UTC"),
        pa.timestamp("ms", tz="UTC"),
        pa.timestamp("us", tz="UTC"),
        pa.timestamp("ms"),  # naive: read as UTC
        pa.timestamp("us", tz="Asia/Manila"),
        pa.date32(),  # a day: its midnight, read as UTC
        pa.int64(),
        pa.string(),
    ],
    ids=str,
)
def test_far_native_parquet_values_are_rejected(tmp_path, ts_type):
    dump = load_dumps(
        [write_parquet_dump(tmp_path / "d", good_and_far(GOOD_MS, PARQUET_FAR), ts_type)], cache=False
    )
    assert_far_rows_rejected(dump, len(PARQUET_FAR))


@pytest.mark.parametrize("ts_type", [pa.timestamp("ms", tz="UTC"), pa.date32()], ids=str)
def test_far_parquet_cells_are_reported_with_their_raw_row(tmp_path, ts_type):
    """The raw row of a rejected Parquet row holds its native cells as Python writes them;
    a year Python cannot hold is written as ISO text instead of stopping the report."""
    root = write_parquet_dump(tmp_path / "d", good_and_far(GOOD_MS, YEAR_10000_MS), ts_type)
    rej = load_dumps([root], cache=False).report.rejected
    raw = json.loads(rej[rej["table"] == "presence_events"]["raw"].iloc[0])
    if pa.types.is_date(ts_type):
        assert raw["at"] == "10000-01-01"
    else:
        assert raw["at"] == "10000-01-01 00:00:00.000+00:00"
    # in the same file, a cell Python can hold is still written by Python's rules
    updated = rej[(rej["table"] == "messages") & (rej["column"] == "updated_at")]
    raw = json.loads(updated["raw"].iloc[0])
    assert raw["created_at"] == ("2025-03-10" if pa.types.is_date(ts_type) else "2025-03-10 10:00:00+00:00")


def test_far_unsigned_parquet_integers_are_rejected(tmp_path):
    far = [YEAR_10000_MS, 2**64 - 1]
    dump = load_dumps(
        [write_parquet_dump(tmp_path / "d", good_and_far(GOOD_MS, far), pa.uint64())], cache=False
    )
    assert_far_rows_rejected(dump, len(far))


def test_far_seconds_do_not_wrap_around():
    """A timestamp[s] so far that its milliseconds pass 64 bits is outside, not read as 1970
    (Parquet has no seconds unit, but the JSON reader infers them)."""
    from sparkdesk.dump.validate import parse_timestamps

    a = pa.chunked_array(
        [pa.array([2**62, GOOD_MS // 1000, None, -(2**62)], pa.int64()).cast(pa.timestamp("s", "UTC"))]
    )
    ts, bad, naive, far = parse_timestamps(a)
    assert far.tolist() == [True, False, False, True]
    assert not bad.any() and not naive.any()
    assert ts.cast(pa.int64()).to_pylist() == [None, GOOD_MS, None, None]


def test_far_rejections_are_listed_in_the_report_csv_with_their_raw_row(tmp_path):
    root = write_csv_dump(tmp_path / "d", good_and_far(GOOD, str(YEAR_10000_MS)))
    out = tmp_path / "report.csv"
    assert (
        main(
            [
                "export",
                str(root),
                "--type",
                "user-presence",
                "--tz",
                "UTC",
                "--out",
                str(tmp_path / "p.csv"),
                "--report",
                str(out),
            ]
        )
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    presence = [r for r in rows if r["table"] == "presence_events"]
    assert len(presence) == 1
    assert json.loads(presence[0]["raw"])["at"] == str(YEAR_10000_MS)
    assert presence[0]["line"] == "3"
    assert len(rows) == len(TARGETS)


# ----- the manifest's snapshot ---------------------------------------------------------------


@pytest.mark.parametrize(
    "snapshot_at",
    [
        "9999-12-31T00:00:00Z",
        "0001-01-01T12:00:00Z",
        YEAR_10000_MS,
        str(YEAR_1_MS),
        "0000-01-01T00:00:00Z",
        10**25,
    ],
)
def test_far_manifest_snapshot_refuses_the_dump(tmp_path, snapshot_at, capsys):
    """The manifest is not a row: a snapshot_at that cannot be read is fatal, one sentence."""
    root = write_csv_dump(tmp_path / "d", {"channels": [{"channel_id": "ch1", "medium": "SMS", "name": "S"}]})
    (root / "manifest.json").write_text(
        json.dumps({"version": 1, "snapshot_at": snapshot_at}), encoding="utf-8"
    )
    with pytest.raises(DumpRefused, match=r"manifest\.json has a snapshot_at outside the years 1 to 9999"):
        load_dumps([root], cache=False)
    for argv in (
        ["inspect", str(root)],
        ["export", str(root), "--type", "all", "--tz", "UTC", "--out", str(tmp_path / "o")],
    ):
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert "snapshot_at outside the years 1 to 9999" in err and "unexpected" not in err
        assert err.count("\n") == 1


@pytest.mark.parametrize("snapshot_at", [LO, HI, str(HI_MS)])
def test_manifest_snapshot_at_the_edges_is_read(tmp_path, snapshot_at):
    root = write_csv_dump(
        tmp_path / "d", {"channels": [{"channel_id": "ch1", "medium": "SMS", "name": "S"}]}, snapshot_at
    )
    assert load_dumps([root], cache=False).snapshot.as_unit("ms").asm8.view("i8") in (LO_MS, HI_MS)


# ----- inspect and export agree ----------------------------------------------------------------


def test_inspect_and_export_agree_on_far_rows(tmp_path, capsys):
    """The issue's dump (a presence event in the year 10000, and more): ``inspect`` and
    ``export --type all`` reject the same rows for the same reasons, and the export runs."""
    far = [str(YEAR_10000_MS), str(YEAR_1_MS), "9999-12-31T00:00:00Z"]
    root = write_csv_dump(tmp_path / "d", good_and_far(GOOD, far))
    assert main(["inspect", str(root), "--json", "--no-cache"]) == 0
    summary = json.loads(capsys.readouterr().out)
    for table in TS_COLUMNS:
        st = summary["tables"][table]
        assert st["read"] == st["accepted"] + st["rejected"] + st["duplicates"]
    rejected = {(p["table"], p["reason"]): p["count"] for p in summary["problems"] if p["kind"] == "rejected"}
    assert sum(rejected.values()) == 3 * len(TARGETS)
    assert all(reason.split(" ", 1)[1].startswith(FAR) for _t, reason in rejected)
    assert {t: st["rejected"] for t, st in summary["tables"].items() if st["rejected"]} == {
        "teams": 3,
        "contacts": 3,
        "conversations": 3,
        "messages": 9,
        "conversation_events": 3,
        "message_tags": 3,
        "csat_surveys": 6,
        "presence_events": 3,
    }

    out = tmp_path / "out"
    assert main(["export", str(root), "--type", "all", "--tz", "Pacific/Kiritimati", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    said = {}
    for line in err.splitlines():
        table, rest = line.removeprefix("sparkdesk: ").split(": ", 1)
        count, kind, reason = rest.split(" ", 2)
        if kind == "rejected:":
            said[(table, reason)] = int(count)
    assert said == rejected
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in EXPORT_IDS)


# ----- the edges of the range flow through every export ---------------------------------------


def minutes(ms: int, n: int) -> int:
    return ms + n * 60_000


def edge_tables(form) -> dict[str, list[dict]]:
    """A conversation at each edge of the range, with everything around it, and presence.

    ``form(ms)`` writes a timestamp cell. Conversation ``lo`` starts at the first instant
    read; ``hi`` and the open conversation ``op`` end at the last one.
    """

    def life(cid: str, start: int, resolved: bool) -> dict[str, list[dict]]:
        t = [form(minutes(start, i)) for i in range(10)]
        return {
            "conversations": [
                {"conversation_id": cid, "channel_id": "ch1", "contact_id": "k1", "created_at": t[0]}
            ],
            "messages": [
                {
                    "message_id": f"{cid}-1",
                    "conversation_id": cid,
                    "created_at": t[0],
                    "direction": "INBOUND",
                    "content": "hola",
                    "updated_at": t[9],
                    "deleted_at": None,
                },
                {
                    "message_id": f"{cid}-2",
                    "conversation_id": cid,
                    "created_at": t[1],
                    "direction": "OUTBOUND",
                    "virtual_agent_id": "va1",
                    "content": "bot",
                },
                {
                    "message_id": f"{cid}-3",
                    "conversation_id": cid,
                    "created_at": t[3],
                    "direction": "OUTBOUND",
                    "user_id": "u1",
                    "team_id": "t1",
                    "content": "hi",
                },
                {
                    "message_id": f"{cid}-4",
                    "conversation_id": cid,
                    "created_at": t[4],
                    "direction": "INBOUND",
                    "content": "bye",
                    "deleted_at": t[9],
                },
            ],
            "conversation_events": [
                {
                    "conversation_id": cid,
                    "at": t[1],
                    "type": "TOPIC_ADDED",
                    "topic_id": "tp1",
                    "virtual_agent_id": "va1",
                },
                {
                    "conversation_id": cid,
                    "at": t[2],
                    "type": "QUEUED",
                    "started_by": "VA_HANDED_OVER_CONVERSATION",
                },
                {"conversation_id": cid, "at": t[2], "type": "LOCKED", "user_id": "u1", "team_id": "t1"},
                {"conversation_id": cid, "at": t[4], "type": "UNLOCKED", "user_id": "u1", "team_id": "t1"},
            ]
            + (
                [
                    {
                        "conversation_id": cid,
                        "at": t[5],
                        "type": "STATUS_CHANGED",
                        "status": "RESOLVED",
                        "user_id": "u1",
                        "team_id": "t1",
                        "resolved_by": "AGENT",
                        "trigger": "HUMAN_AGENT",
                    }
                ]
                if resolved
                else [
                    {
                        "conversation_id": cid,
                        "at": t[5],
                        "type": "STATUS_CHANGED",
                        "status": "PENDING",
                        "user_id": "u1",
                        "team_id": "t1",
                    }
                ]
            ),
            "message_tags": [
                {
                    "message_id": f"{cid}-3",
                    "tag_id": "g1",
                    "at": t[3],
                    "action": "ADDED",
                    "user_id": "u1",
                    "team_id": "t1",
                }
            ],
            "csat_surveys": [
                {
                    "survey_id": f"{cid}-s",
                    "conversation_id": cid,
                    "sent_at": t[6],
                    "responded_at": t[9],
                    "score": 5,
                }
            ]
            if resolved
            else [],
        }

    tables: dict[str, list[dict]] = {
        "channels": [{"channel_id": "ch1", "medium": "WHATSAPP", "name": "Support"}],
        "users": [{"user_id": "u1", "name": "Ana"}],
        "teams": [{"team_id": "t1", "name": "Alpha", "created_at": form(LO_MS)}],
        "virtual_agents": [{"virtual_agent_id": "va1", "name": "Botty"}],
        "contacts": [
            {
                "contact_id": "k1",
                "medium": "WHATSAPP",
                "primary_identifier": "+34600",
                "updated_at": form(HI_MS),
            }
        ],
        "contact_attributes": [{"contact_id": "k1", "attribute_id": "a1", "name": "Plan", "value": "Gold"}],
        "topics": [{"topic_id": "tp1", "name": "Billing"}],
        "tags": [{"tag_id": "g1", "name": "Vip"}],
        # first response in business hours: Manila's local mean time (-15:56:08) in the year 1
        "business_hours": [
            {"channel_id": "ch1", "timezone": "Asia/Manila", "weekday": day, "start": "07:53", "end": "24:00"}
            for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
        ],
        "holidays": [
            {"channel_id": "ch1", "date": "0001-01-03", "name": "First"},
            {"channel_id": "ch1", "date": "9999-12-29", "name": "Last"},
        ],
        "presence_events": [
            {"user_id": "u1", "at": form(LO_MS), "presence": "AVAILABLE"},
            {"user_id": "u1", "at": form(minutes(LO_MS, 30)), "presence": "AWAY", "away_status": "Lunch"},
            {"user_id": "u1", "at": form(minutes(LO_MS, 60)), "presence": "OFFLINE"},
            {"user_id": "u1", "at": form(minutes(HI_MS, -60)), "presence": "AVAILABLE"},
        ],
    }
    for part in (
        life("lo", LO_MS, True),
        life("hi", minutes(HI_MS, -9), True),
        life("op", minutes(HI_MS, -9), False),
    ):
        for name, rows in part.items():
            tables.setdefault(name, []).extend(rows)
    return tables


def iso_ms(ms: int) -> str:
    t = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture(scope="module")
def edge_dump(tmp_path_factory) -> Path:
    return write_csv_dump(tmp_path_factory.mktemp("edge") / "d", edge_tables(iso_ms), snapshot_at=None)


def test_edge_values_are_read_in_every_form(tmp_path):
    """The first and last instants read, in each input form, are accepted exactly."""
    dumps = {
        "iso": write_csv_dump(tmp_path / "iso", edge_tables(iso_ms), snapshot_at=None),
        "epoch text": write_csv_dump(tmp_path / "epoch", edge_tables(str), snapshot_at=None),
        "json number": write_jsonl_dump(tmp_path / "json", edge_tables(int), snapshot_at=None),
    }
    for unit in ("s", "ms", "us"):
        tables = edge_tables(int)
        if unit == "s":  # whole seconds: the last instant read is 9999-12-30T23:59:59Z
            tables = edge_tables(lambda ms: ms - ms % 1000)
        dumps[unit] = write_parquet_dump(
            tmp_path / unit, tables, pa.timestamp(unit, tz="UTC"), snapshot_at=None
        )
    dumps["int64"] = write_parquet_dump(tmp_path / "i", edge_tables(int), pa.int64(), snapshot_at=None)
    offsets = {  # the same instants written with extreme offsets
        LO_MS: "0001-01-02T14:00:00.000+14:00",
        HI_MS: "9999-12-30T11:59:59.999-12:00",
    }
    dumps["offsets"] = write_csv_dump(
        tmp_path / "off", edge_tables(lambda ms: offsets.get(ms) or iso_ms(ms)), snapshot_at=None
    )
    for form, root in dumps.items():
        dump = load_dumps([root], cache=False)
        assert dump.report.rejected.empty, (form, dump.report.rejected.to_string())
        presence = dump.tables["presence_events"]["at"]
        lo = int(presence.min().as_unit("ms").asm8.view("i8"))
        hi = int(dump.snapshot.as_unit("ms").asm8.view("i8"))
        assert lo == LO_MS, form
        assert hi == (HI_MS - HI_MS % 1000 if form == "s" else HI_MS), form
        assert len(dump.tables["messages"]) == 12, form
        assert len(dump.tables["business_hours"]) == 7 and len(dump.tables["holidays"]) == 2, form


def test_edge_values_survive_the_dump_cache(edge_dump, monkeypatch):
    from sparkdesk.dump import reader

    fresh = load_dumps([edge_dump], cache=False)
    load_dumps([edge_dump])  # saved in the cache (if it was not already)
    monkeypatch.setattr(reader, "read_file", lambda *a: pytest.fail("read again, not from the cache"))
    again = load_dumps([edge_dump])
    assert again.snapshot == fresh.snapshot
    assert again.snapshot.as_unit("ms").asm8.view("i8") == HI_MS
    for name, frame in fresh.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name], obj=name)
    at = again.tables["presence_events"]["at"]
    assert at.min().as_unit("ms").asm8.view("i8") == LO_MS


def utc_of(ms: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)


def local_text(ms: int, zone: str) -> str:
    """The wall-clock time of ``ms`` in ``zone``, as the CSV writes it (seconds floored)."""
    t = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
    return t.astimezone(ZoneInfo(zone)).isoformat(sep=" ", timespec="seconds")[:19]


# The widest offsets: +14 in 9999 (Kiritimati), -12 (Etc/GMT+12), and local mean time in
# the year 1: Manila -15:56:08, Kiritimati -10:29:20, Metlakatla +15:13:42.
ZONES = ["Pacific/Kiritimati", "Etc/GMT+12", "Asia/Manila", "America/Metlakatla"]


@pytest.fixture(scope="module")
def edge_loaded(edge_dump):
    return load_dumps([edge_dump], cache=False)


def every_export(dump, zone: str, first: dt.date | None = None, last: dt.date | None = None) -> dict:
    return {t: compute(dump, ExportParams(t, zone, first, last)) for t in EXPORT_IDS}


def csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_edges_flow_through_every_export_on_the_command_line(edge_dump, tmp_path, capsys):
    """The issue's command, on a dump whose rows sit at both edges of the range."""
    out = tmp_path / "out"
    argv = ["export", str(edge_dump), "--type", "all", "--tz", "Pacific/Kiritimati", "--out", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    assert sorted(p.stem for p in out.iterdir()) == sorted(EXPORT_IDS)
    messages = csv_rows(out / "message.csv")
    assert len(messages) == 12
    created = [r["Created at"] for r in messages]
    assert created[0] == "0001-01-01 13:30:40" == local_text(LO_MS, "Pacific/Kiritimati")
    assert created[-1] == "9999-12-31 13:54:59" == local_text(minutes(HI_MS, -5), "Pacific/Kiritimati")
    # from the handover (QUEUED) to the reply, in Manila's hours from 07:53: all of the
    # minute at 0001-01-01 08:05:52 local, all but 1 ms of it at 9999-12-31 07:52:59.999
    frt = {
        r["Conversation ID"]: r["First Response Time (s)"]
        for r in csv_rows(out / "resolved-conversation.csv")
    }
    assert frt == {"lo": "60.000", "hi": "59.999"}


@pytest.mark.parametrize("zone", ZONES)
def test_edges_flow_through_every_export(edge_loaded, tmp_path, zone):
    """Every export over the default range (the first to the last day with data) holds the
    rows at both edges, written as CSV (local and iso time) and XLSX."""
    tables = every_export(edge_loaded, zone)
    empty = [t for t, frame in tables.items() if frame.empty]
    assert empty == [], f"exports with no row: {empty}"
    assert len(tables["message"]) == 12  # the default range reaches both edges
    assert len(tables["resolved-conversation"]) == 2
    assert len(tables["open-conversation"]) == 1
    for time_format in ("local", "iso"):
        out = tmp_path / time_format
        write_all(tables, out, WriteOptions(tz=zone, time_format=time_format))
        assert sorted(p.stem for p in out.iterdir()) == sorted(EXPORT_IDS)
        created = [r["Created at"] for r in csv_rows(out / "message.csv")]
        first, last = local_text(LO_MS, zone), local_text(minutes(HI_MS, -5), zone)
        assert first[:4] == "0001" and last[:4] == "9999"
        if time_format == "local":
            assert (created[0], created[-1]) == (first, last)
        else:  # the exact instants (an offset with seconds is cut to minutes: cells.py)
            assert dt.datetime.fromisoformat(created[0]) == utc_of(LO_MS)
            assert dt.datetime.fromisoformat(created[-1]) == utc_of(minutes(HI_MS, -5))
            assert created[0][:10] == first[:10] and created[-1][:10] == last[:10]
    book_path = tmp_path / "all.xlsx"
    write_all(tables, book_path, WriteOptions(tz=zone))
    book = openpyxl.load_workbook(book_path, read_only=True)
    assert len(book.sheetnames) == len(EXPORT_IDS)
    for sheet in book.worksheets:
        assert sheet.max_row >= 2, sheet.title
    messages = list(book.worksheets[EXPORT_IDS.index("message")].iter_rows(values_only=True))
    assert len(messages) == 13
    assert messages[-1][1] == dt.datetime.fromisoformat(last)


@pytest.mark.parametrize("time_format", ["local", "iso"])
def test_xlsx_keeps_the_first_instants(edge_loaded, tmp_path, time_format):
    """A local time before 1900, which an Excel date cannot hold, is a string cell with the
    CSV's text (it was left empty); the last instants stay date-time cells."""
    tables = every_export(edge_loaded, "UTC")
    options = WriteOptions(tz="UTC", time_format=time_format)
    write_all(tables, tmp_path / "all.xlsx", options)
    write_all(tables, tmp_path / "csv", options, fmt="csv")
    book = openpyxl.load_workbook(tmp_path / "all.xlsx", read_only=True)
    messages = list(book.worksheets[EXPORT_IDS.index("message")].iter_rows(values_only=True))
    created = [r["Created at"] for r in csv_rows(tmp_path / "csv" / "message.csv")]
    assert created[0].startswith(local_text(LO_MS, "UTC").replace(" ", "T" if time_format == "iso" else " "))
    assert created[0][:4] == "0001"
    assert messages[1][1] == created[0]
    assert messages[-1][1] == dt.datetime.fromisoformat(local_text(minutes(HI_MS, -5), "UTC"))


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Etc/GMT-14"])
def test_the_widest_explicit_range_holds_every_edge(edge_loaded, zone):
    """0001-01-01 to 9999-12-31: the range ends at the midnight after the last day that
    Python can name (10000-01-01T12:00Z in Etc/GMT+12), and starts in the year 0 in UTC
    where the zone is ahead of it (0000-12-31T10:00Z in Etc/GMT-14)."""
    tables = every_export(edge_loaded, zone, dt.date(1, 1, 1), dt.date(9999, 12, 31))
    assert len(tables["message"]) == 12
    assert len(tables["resolved-conversation"]) == 2


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12", "Asia/Manila"])
def test_the_first_and_last_days_alone(edge_loaded, zone):
    """Ranges of one day at each edge: the day of the first and of the last instant read."""
    first = dt.date.fromisoformat(local_text(LO_MS, zone)[:10])
    last = dt.date.fromisoformat(local_text(HI_MS, zone)[:10])
    for day, expect in ((first, 4), (last, 8)):
        frame = compute(edge_loaded, ExportParams("message", zone, day, day))
        assert len(frame) == expect, day


def test_the_range_ends_after_the_last_day_python_can_name():
    from sparkdesk.exports.params import local_day_end, local_midnight

    def ms(t):
        return int(t.as_unit("ms").asm8.view("i8"))

    end_of_9999 = 253_402_300_800_000  # 10000-01-01T00:00:00Z
    hour = 3_600_000
    assert ms(local_day_end(dt.date(9999, 12, 31), "UTC")) == end_of_9999
    assert ms(local_day_end(dt.date(9999, 12, 31), "Etc/GMT+12")) == end_of_9999 + 12 * hour
    assert ms(local_day_end(dt.date(9999, 12, 31), "Pacific/Kiritimati")) == end_of_9999 - 14 * hour
    assert ms(local_day_end(dt.date(9999, 12, 30), "Europe/Madrid")) == ms(
        local_midnight(dt.date(9999, 12, 31), "Europe/Madrid")
    )
    assert ms(local_day_end(dt.date(2025, 3, 29), "Europe/Madrid")) == ms(
        local_midnight(dt.date(2025, 3, 30), "Europe/Madrid")
    )


def test_business_hours_far_apart_are_computed_cluster_by_cluster():
    """Pairs years apart are computed over their own spans (a staffed channel with rows in
    the year 1 and the year 9999 took 4 minutes and 3.7 GB); the result is the same as
    over the whole span at once."""
    from sparkdesk.exports import business_hours as bh

    rng = np.random.default_rng(7)
    day = 86_400_000
    t0 = np.concatenate(
        [
            rng.integers(1_546_300_800_000, 1_577_836_800_000, 300),  # 2019
            rng.integers(1_767_225_600_000, 1_798_761_600_000, 300),  # 2026
            np.array([LO_MS, HI_MS - 5 * day]),
        ]
    ).astype(np.int64)
    t1 = t0 + rng.integers(0, 5 * day, len(t0))
    rows = pd.DataFrame(
        {
            "weekday": ["MONDAY", "TUESDAY", "WEDNESDAY", "FRIDAY", "FRIDAY"],
            "start": pd.array([540, 540, 600, 480, 900], "Int64"),
            "end": pd.array([1020, 1440, 840, 720, 1080], "Int64"),
        }
    )
    holidays = {"2019-06-03", "2026-03-10", "9999-12-27"}
    got = bh.open_ms_one_zone(t0, t1, "Europe/Madrid", rows, holidays)
    near = slice(0, 600)
    whole = bh._open_ms_span(t0[near], t1[near], "Europe/Madrid", rows, holidays)
    assert (got[near] == whole).all()
    for i in (600, 601):
        alone = bh._open_ms_span(t0[i : i + 1], t1[i : i + 1], "Europe/Madrid", rows, holidays)
        assert got[i] == alone[0]
    assert (got >= 0).all() and got.sum() > 0
