"""Containers (folders, zips, loose files) and file formats (csv.gz, JSON Lines, Parquet)."""

from __future__ import annotations

import gzip
import json
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sparkdesk.dump import DumpRefused, load_dumps
from sparkdesk.tasks import Cancelled, CancelToken

CONV = "conversation_id,channel_id,contact_id,created_at\nc1,ch1,k1,2025-03-10T10:00:00Z\n"
CONV2 = "conversation_id,channel_id,contact_id,created_at\nc2,ch1,k1,2025-03-10T11:00:00Z\n"


def make_zip(path: Path, entries: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def ids(d, table: str = "conversations", col: str = "conversation_id") -> list[str]:
    return d.tables[table][col].tolist()


def test_zip_tables_at_root(tmp_path):
    z = make_zip(tmp_path / "d.zip", {"conversations.csv": CONV, "notes.txt": "x"})
    d = load_dumps([z])
    assert ids(d) == ["c1"]
    assert d.report.ignored_files == [f"{z}/notes.txt"]
    w = d.report.warnings
    assert (w["file"] == f"{z}/notes.txt").sum() == 1


def test_zip_tables_in_subfolders_and_manifest_in_single_top_folder(tmp_path):
    manifest = json.dumps({"version": 1, "snapshot_at": "2025-04-01T00:00:00Z", "organization": "Z"})
    z = make_zip(
        tmp_path / "d.zip",
        {
            "export/manifest.json": manifest,
            "export/conversations/part-0001.csv": CONV,
            "export/more/conversations-2.csv": CONV2,
        },
    )
    d = load_dumps([z])
    assert ids(d) == ["c1", "c2"]  # export/conversations/... sorts before export/more/...
    assert d.organization == "Z"
    assert d.snapshot == pd.Timestamp("2025-04-01T00:00:00Z")


def test_zip_entry_escaping_is_fatal(tmp_path):
    z = make_zip(tmp_path / "evil.zip", {"../conversations.csv": CONV})
    with pytest.raises(DumpRefused, match="evil.zip.*escapes"):
        load_dumps([z])
    z2 = make_zip(tmp_path / "abs.zip", {"/etc/conversations.csv": CONV})
    with pytest.raises(DumpRefused, match="abs.zip"):
        load_dumps([z2])


def test_zip_unpacked_size_limit_and_ratio(tmp_path):
    z = make_zip(
        tmp_path / "big.zip", {"conversations.csv": CONV + "c9,ch1,k1,2025-03-10T10:00:00Z\n" * 2000}
    )
    with pytest.raises(DumpRefused, match="big.zip.*limit"):
        load_dumps([z], max_unpacked_bytes=1000)
    bomb = make_zip(tmp_path / "bomb.zip", {"conversations.csv": CONV, "pad.txt": b"\0" * 5_000_000})
    with pytest.raises(DumpRefused, match="bomb.zip.*200 times"):
        load_dumps([bomb])


def test_folder_named_table_wins_over_file_name_and_part_files(tmp_path):
    root = tmp_path / "d"
    (root / "conversations").mkdir(parents=True)
    (root / "conversations" / "users.csv").write_text(CONV)  # the folder wins
    (root / "conversations-2025-02.csv").write_text(CONV2)
    (root / "Conversations-x.CSV").write_text(CONV.replace("c1,", "c3,"))
    d = load_dumps([root])
    # code-point order of path: "Conversations-x.CSV" < "conversations-2025-02.csv" < "conversations/users.csv"
    assert ids(d) == ["c3", "c2", "c1"]
    assert d.tables["users"].empty


def test_unmatched_names_are_ignored_and_listed(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "conversations.csv").write_text(CONV)
    (root / "conversation.csv").write_text(CONV)
    (root / "conversations.txt").write_text(CONV)
    (root / "conversations_old.csv").write_text(CONV)
    d = load_dumps([root])
    assert sorted(Path(p).name for p in d.report.ignored_files) == [
        "conversation.csv",
        "conversations.txt",
        "conversations_old.csv",
    ]


def test_loose_files_with_manifest_form_one_dump_in_place_of_the_first(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    (a / "conversations.csv").write_text(CONV)
    (a / "manifest.json").write_text(json.dumps({"version": 1, "organization": "Loose"}))
    b = tmp_path / "b"
    b.mkdir()
    (b / "conversations.csv").write_text(CONV.replace("ch1", "chB"))
    other = tmp_path / "other"
    other.mkdir()
    (other / "conversations.csv").write_text(CONV.replace("ch1", "chOther"))
    # loose file first, then a folder dump, then the manifest (still part of the loose dump)
    d = load_dumps([a / "conversations.csv", other, a / "manifest.json"])
    assert d.organization == "Loose"
    assert d.tables["conversations"]["channel_id"].tolist() == ["chOther"]  # folder read after: it wins
    d2 = load_dumps([other, a / "conversations.csv"])
    assert d2.tables["conversations"]["channel_id"].tolist() == ["ch1"]


def test_csv_gz(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "conversations.csv.gz").write_bytes(gzip.compress(CONV.encode()))
    assert ids(load_dumps([root])) == ["c1"]
    z = make_zip(tmp_path / "d.zip", {"x/conversations.csv.gz": gzip.compress(CONV2.encode())})
    assert ids(load_dumps([z])) == ["c2"]


JSONL = (
    '{"conversation_id": "007", "channel_id": 12345678901234567890, "contact_id": 7,'
    ' "created_at": 1741600800123, "language": null}\n'
    "\n"
    '{"conversation_id": "c2", "channel_id": "ch1", "contact_id": "k", "created_at": "2025-03-10T10:00:00Z",'
    ' "url": 1.50}\n'
    '{"conversation_id": "c3", "channel_id": "ch1", "created_at": "2025-03-10T10:00:00Z"}\n'
)


@pytest.mark.parametrize("name", ["conversations.jsonl", "conversations.ndjson", "conversations.jsonl.gz"])
def test_json_lines_numbers_become_text_blank_lines_missing_keys(tmp_path, name):
    root = tmp_path / "d"
    root.mkdir()
    data = JSONL.encode()
    (root / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    d = load_dumps([root])
    c = d.tables["conversations"]
    assert c["conversation_id"].tolist() == ["007", "c2"]
    assert c["channel_id"].tolist() == ["12345678901234567890", "ch1"]
    assert c["contact_id"].tolist() == ["7", "k"]
    assert c["url"].tolist()[1] == "1.5"
    assert c["created_at"][0] == pd.Timestamp("2025-03-10T10:00:00.123Z")
    r = d.report.rejected
    assert r["line"].tolist() == [4] and r["column"].tolist() == ["contact_id"]
    assert json.loads(r["raw"][0])["conversation_id"] == "c3"


def test_json_lines_fast_path_all_strings(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    rows = [
        {
            "conversation_id": "c1",
            "channel_id": "ch1",
            "contact_id": "k",
            "created_at": "2025-03-10T10:00:00Z",
        },
        {"conversation_id": "c2", "channel_id": "", "contact_id": "k", "created_at": "2025-03-10T10:00:00Z"},
        {
            "conversation_id": "c3",
            "channel_id": "ch1",
            "contact_id": "k",
            "created_at": "2025-03-10T10:00:00Z",
            "extra": {"a": 1},
        },
    ]
    (root / "conversations.jsonl").write_text("\n\n".join(json.dumps(r) for r in rows) + "\n")
    d = load_dumps([root])
    assert d.tables["conversations"]["conversation_id"].tolist() == ["c1", "c3"]
    assert d.report.rejected["line"].tolist() == [3]
    assert (d.report.warnings["column"] == "extra").sum() == 1


def test_json_lines_bad_line_rejected(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "conversations.jsonl").write_text(
        '{"conversation_id": "c1", "channel_id": "ch1", "contact_id": "k", "created_at": "2025-03-10T10:00:00Z"}\n'
        "this is not json\n"
        "[1, 2]\n"
    )
    d = load_dumps([root])
    assert d.tables["conversations"]["conversation_id"].tolist() == ["c1"]
    st = d.report.stats["conversations"]
    assert (st.read, st.accepted, st.rejected) == (3, 1, 2)
    assert d.report.rejected["line"].tolist() == [2, 3]


def test_parquet_native_and_string_types(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    conv = pa.table(
        {
            "Conversation_ID": ["007", "c2", "c3"],
            "channel_id": ["ch1", "ch1", None],
            "contact_id": ["k", "k", "k"],
            "created_at": pa.array([1741600800123, 1741600800000, 1741600800000], pa.timestamp("ms", "UTC")),
        }
    )
    pq.write_table(conv, root / "conversations.parquet")
    topics = pa.table({"topic_id": ["t1", "t2"], "name": ["A", "B"], "active": [False, None]})
    pq.write_table(topics, root / "topics.parquet")
    msgs = pa.table(
        {
            "message_id": ["m1"],
            "conversation_id": ["007"],
            "created_at": ["2025-03-10T10:00:01+00:00"],
            "direction": ["inbound"],
            "updated_at": pa.array([pd.Timestamp("2025-03-10T10:00:02")], pa.timestamp("us")),
        }
    )
    pq.write_table(msgs, root / "messages.parquet")
    d = load_dumps([root])
    c = d.tables["conversations"]
    assert c["conversation_id"].tolist() == ["007", "c2"]
    assert c["created_at"][0] == pd.Timestamp("2025-03-10T10:00:00.123Z")
    assert d.tables["topics"]["active"].tolist() == [False, True]
    m = d.tables["messages"]
    assert m["direction"].tolist() == ["INBOUND"]
    assert m["updated_at"][0] == pd.Timestamp("2025-03-10T10:00:02Z")
    r = d.report.rejected
    assert r["line"].tolist() == [2]  # Parquet: 0-based row index
    w = d.report.warnings
    assert ((w["table"] == "messages") & (w["column"] == "updated_at")).sum() == 1  # naive native timestamp


def test_parquet_in_zip(tmp_path):
    buf = pa.BufferOutputStream()
    pq.write_table(
        pa.table(
            {
                "conversation_id": ["c1"],
                "channel_id": ["ch"],
                "contact_id": ["k"],
                "created_at": ["2025-03-10T10:00:00Z"],
            }
        ),
        buf,
    )
    z = make_zip(tmp_path / "d.zip", {"conversations.parquet": buf.getvalue().to_pybytes()})
    assert ids(load_dumps([z])) == ["c1"]


def test_unreadable_parquet_is_fatal(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "conversations.parquet").write_bytes(b"PAR1 garbage")
    with pytest.raises(DumpRefused, match="conversations.parquet"):
        load_dumps([root])


def test_progress_and_cancel(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "conversations.csv").write_text(CONV)
    seen: list[tuple[float, str]] = []
    load_dumps([root], progress=lambda f, t: seen.append((f, t)))
    assert seen and seen[-1][0] == pytest.approx(1.0)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        load_dumps([root], cancel=token)


def test_no_qt_in_dump_package():
    import sparkdesk.dump as pkg

    for f in Path(pkg.__file__).parent.glob("*.py"):
        text = f.read_text()
        assert "PySide" not in text and "shiboken" not in text and "sparkdesk.gui" not in text, f


def test_zip_single_top_folder_ignores_macos_litter(tmp_path):
    z = make_zip(
        tmp_path / "mac.zip",
        {
            "export/manifest.json": json.dumps({"version": 1, "organization": "Mac"}),
            "export/conversations.csv": CONV,
            "__MACOSX/export/._conversations.csv": b"\x00\x05\x16\x07",
        },
    )
    d = load_dumps([z])
    assert d.organization == "Mac" and ids(d) == ["c1"]
    assert d.report.ignored_files == [f"{z}/__MACOSX/export/._conversations.csv"]


def test_json_lines_inferred_numbers_and_booleans(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    (root / "topics.jsonl").write_text(
        '{"topic_id": 7, "name": "A", "active": false}\n{"topic_id": 8, "name": "B", "active": true}\n'
    )
    (root / "conversations.jsonl").write_text(
        '{"conversation_id": 1, "channel_id": "ch", "contact_id": "k", "created_at": 1741600800123}\n'
    )
    d = load_dumps([root])
    assert d.tables["topics"]["topic_id"].tolist() == ["7", "8"]
    assert d.tables["topics"]["active"].tolist() == [False, True]
    c = d.tables["conversations"]
    assert c["conversation_id"].tolist() == ["1"]
    assert c["created_at"][0] == pd.Timestamp("2025-03-10T10:00:00.123Z")
