"""Edge cases of the dump reader: odd files, fingerprints, raw rows, loose files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sparkdesk.dump import DumpRefused, load_dumps
from sparkdesk.dump.containers import match_table
from sparkdesk.dump.fingerprint import maybe_duplicates, rows_fingerprint

HEAD = "conversation_id,channel_id,contact_id,created_at"


def folder(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    root = tmp_path / "d"
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


@pytest.mark.parametrize("text", [HEAD, HEAD + "\n", HEAD + "\r\n"])
def test_header_only_file_has_no_rows(tmp_path, text):
    d = load_dumps([folder(tmp_path, {"conversations.csv": text})])
    assert d.tables["conversations"].empty
    assert d.report.stats["conversations"].read == 0


def test_empty_csv_file_is_fatal(tmp_path):
    with pytest.raises(DumpRefused, match="conversations.csv"):
        load_dumps([folder(tmp_path, {"conversations.csv": ""})])


def test_crlf_line_endings_and_no_final_newline(tmp_path):
    text = HEAD + "\r\nc1,ch1,k1,2025-03-10T10:00:00Z\r\nc2,,k1,2025-03-10T10:00:00Z"
    d = load_dumps([folder(tmp_path, {"conversations.csv": text})])
    assert d.tables["conversations"]["created_at"].notna().all()
    assert d.report.rejected["line"].tolist() == [3]


def test_corrupt_gzip_is_fatal(tmp_path):
    data = gzip.compress((HEAD + "\nc1,ch1,k1,2025-03-10T10:00:00Z\n").encode())[:-12] + b"garbage!!!!!"
    with pytest.raises(DumpRefused, match="conversations.csv.gz"):
        load_dumps([folder(tmp_path, {"conversations.csv.gz": data})])


def test_not_utf8_in_later_block_is_fatal(tmp_path):
    rows = "".join(f"c{i},ch1,k1,2025-03-10T10:00:00Z\n" for i in range(50_000))
    data = (HEAD + "\n" + rows).encode() + b"c\xff,ch1,k1,2025-03-10T10:00:00Z\n"
    with pytest.raises(DumpRefused, match="not UTF-8"):
        load_dumps([folder(tmp_path, {"conversations.csv": data})])


def test_raw_row_of_rejected_record_with_quoted_newline(tmp_path):
    text = HEAD + ',language\nc1,ch1,,2025-03-10T10:00:00Z,"e\nn"\n'
    d = load_dumps([folder(tmp_path, {"conversations.csv": text})])
    r = d.report.rejected
    assert r["line"].tolist() == [2]
    assert json.loads(r["raw"][0]) == {
        "conversation_id": "c1",
        "channel_id": "ch1",
        "contact_id": "",
        "created_at": "2025-03-10T10:00:00Z",
        "language": "e\nn",
    }


def test_loose_unrecognised_file_only_is_fatal(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello")
    with pytest.raises(DumpRefused, match="notes.txt"):
        load_dumps([p])


def test_loose_unrecognised_file_among_tables_is_ignored(tmp_path):
    a = tmp_path / "conversations.csv"
    a.write_text(HEAD + "\nc1,ch1,k1,2025-03-10T10:00:00Z\n")
    b = tmp_path / "notes.txt"
    b.write_text("hello")
    d = load_dumps([a, b])
    assert d.report.ignored_files == [str(b)]


def test_nested_folders_and_macos_litter(tmp_path):
    root = folder(
        tmp_path,
        {
            "2025/03/conversations.csv": HEAD + "\nc1,ch1,k1,2025-03-10T10:00:00Z\n",
            "__MACOSX/2025/03/._conversations.csv": b"\x00\x05\x16\x07junk\xff",
            "conversations/._part.csv": b"\x00\x05\x16\x07junk\xff",
        },
    )
    d = load_dumps([root])
    assert d.tables["conversations"]["conversation_id"].tolist() == ["c1"]
    assert len(d.report.ignored_files) == 2


def test_manifest_only_at_root(tmp_path):
    root = folder(
        tmp_path,
        {
            "conversations.csv": HEAD + "\nc1,ch1,k1,2025-03-10T10:00:00Z\n",
            "sub/manifest.json": '{"version": 99}',
        },
    )
    d = load_dumps([root])
    assert d.organization is None
    assert any(p.endswith("manifest.json") for p in d.report.ignored_files)


@pytest.mark.parametrize(
    ("path", "table"),
    [
        ("messages.csv", "messages"),
        ("MESSAGES.CSV.GZ", "messages"),
        ("messages-0001.jsonl", "messages"),
        ("messages-.csv", None),
        ("message_tags-2.ndjson", "message_tags"),
        ("x/tags/anything.parquet", "tags"),
        ("tags/anything.txt", None),
        ("messages_old.csv", None),
        ("contacts.json", None),
        ("Contact_Attributes.Parquet", "contact_attributes"),
    ],
)
def test_table_names(path, table):
    hit = match_table(path)
    assert (hit[0] if hit else None) == table


def test_fingerprints_separate_close_strings_and_nulls():
    values = ["", "a", "a\0", "abcdefgh", "abcdefghi", "abcdefgh\0", "x" * 16, "x" * 17, None, "007", "7"]
    arr = pa.chunked_array([pa.array(values[:5]), pa.array(values[5:])])
    h = rows_fingerprint([arr])
    assert len(set(h.tolist())) == len(values)
    assert not maybe_duplicates([arr])
    sliced = pa.array(["zz", "abc", "abc"]).slice(1)
    assert maybe_duplicates([pa.chunked_array([sliced])])
    assert rows_fingerprint([pa.chunked_array([pa.array(["abc"])])])[0] == rows_fingerprint([sliced])[0]


def test_fingerprints_in_blocks_equal_one_pass(monkeypatch):
    """Hashing a block of rows at a time (for memory) must not change any fingerprint."""
    from sparkdesk.dump import fingerprint

    values = [None if i % 7 == 0 else "id-" + "x" * (i % 13) + str(i) for i in range(1000)]
    arr = pa.chunked_array([pa.array(values, pa.large_string()).slice(3)])
    whole = fingerprint.rows_fingerprint([arr])
    monkeypatch.setattr(fingerprint, "BLOCK", 64)
    blocks = fingerprint.rows_fingerprint([arr])
    assert len(whole) == len(blocks) == 997
    assert (whole == blocks).all()
    assert len(set(whole.tolist())) == len(set(values[3:]))


def test_fingerprints_of_other_types():
    ts = pa.chunked_array([pa.array([0, 1, None, 1], pa.timestamp("ms", "UTC"))])
    flags = pa.chunked_array([pa.array([True, False, None, False])])
    assert maybe_duplicates([ts, flags])
    h = rows_fingerprint([ts, flags])
    assert len(np.unique(h[:3])) == 3


def test_keys_in_order_prove_no_duplicates_without_hashing(monkeypatch):
    """Strictly increasing rows are distinct; anything else goes on to the fingerprints."""
    from sparkdesk.dump import fingerprint

    calls = []
    real = fingerprint.rows_fingerprint
    monkeypatch.setattr(fingerprint, "rows_fingerprint", lambda cols: calls.append(1) or real(cols))
    ids = pa.chunked_array([pa.array(["m-01", "m-02"]), pa.array(["m-03", "m-10"])])
    assert fingerprint.strictly_increasing([ids])
    assert not maybe_duplicates([ids]) and not calls  # proved by order alone
    # lexicographic over two columns: equal first values are ordered by the second
    contact = pa.chunked_array([pa.array(["k1", "k1", "k2", "k2"])])
    attr = pa.chunked_array([pa.array(["a", "b", "a", "c"])])
    assert fingerprint.strictly_increasing([contact, attr])
    assert not fingerprint.strictly_increasing([attr, contact])
    # a repeat next to itself is not strictly increasing; the fingerprints then find it
    repeat = pa.chunked_array([pa.array(["m-01", "m-02", "m-02", "m-03"])])
    assert not fingerprint.strictly_increasing([repeat])
    assert maybe_duplicates([repeat]) and calls
    pair = [pa.chunked_array([pa.array(["k1", "k1"])]), pa.chunked_array([pa.array(["a", "a"])])]
    assert not fingerprint.strictly_increasing(pair) and maybe_duplicates(pair)
    # descending, a missing value after a value and unordered types go to the fingerprints
    assert not fingerprint.strictly_increasing([pa.chunked_array([pa.array(["b", "a"])])])
    assert not fingerprint.strictly_increasing([pa.chunked_array([pa.array(["a", None, "c"])])])
    # missing sorts first: one missing key, then rising ones, are distinct; two missing are not
    assert fingerprint.strictly_increasing([pa.chunked_array([pa.array([None, "a", "c"])])])
    two_missing = [pa.chunked_array([pa.array([None, None, "c"])])]
    assert not fingerprint.strictly_increasing(two_missing) and maybe_duplicates(two_missing)
    ts = pa.chunked_array([pa.array([1, 2, 3], pa.timestamp("ms", "UTC"))])
    assert fingerprint.strictly_increasing([ts])
    lists = pa.chunked_array([pa.array([[1], [2]])])
    assert not fingerprint.strictly_increasing([lists])


def test_duplicate_in_a_file_in_key_order_is_dropped(tmp_path):
    """A dump written in id order with one id repeated: the later row is kept."""
    rows = "".join(f"c{i:04d},ch1,k1,2025-03-10T10:00:00Z\n" for i in range(50))
    rows += "c0049,ch2,k1,2025-03-10T10:00:00Z\n"
    d = load_dumps([folder(tmp_path / "a", {"conversations.csv": HEAD + "\n" + rows})])
    conv = d.tables["conversations"]
    assert len(conv) == 50
    assert conv.loc[conv["conversation_id"] == "c0049", "channel_id"].tolist() == ["ch2"]
    assert d.report.stats["conversations"].duplicates == 1


def test_many_duplicates_across_dumps(tmp_path):
    rows = "".join(f"c{i},ch1,k1,2025-03-10T10:00:00Z\n" for i in range(2000))
    a = folder(tmp_path / "a", {"conversations.csv": HEAD + "\n" + rows})
    b = folder(tmp_path / "b", {"conversations-x.csv": HEAD + "\n" + rows.replace("ch1", "ch2")})
    d = load_dumps([a, b])
    c = d.tables["conversations"]
    assert len(c) == 2000 and (c["channel_id"] == "ch2").all()
    st = d.report.stats["conversations"]
    assert (st.read, st.accepted, st.duplicates) == (4000, 2000, 2000)


def test_files_of_one_table_in_different_formats_combine(tmp_path):
    import pyarrow.parquet as pq

    root = folder(
        tmp_path,
        {
            "topics-1.csv": "topic_id,name,active\nt1,A,yes\n",
            "topics-2.jsonl": '{"topic_id": 2, "name": "B", "active": false}\n',
        },
    )
    pq.write_table(
        pa.table(
            {
                "topic_id": pa.array([3], pa.int32()),
                "name": pa.array(["C"]).dictionary_encode(),
                "active": [True],
            }
        ),
        root / "topics-3.parquet",
    )
    d = load_dumps([root])
    t = d.tables["topics"]
    assert t["topic_id"].tolist() == ["t1", "2", "3"]
    assert t["name"].tolist() == ["A", "B", "C"]
    assert t["active"].tolist() == [True, False, True]
    assert t["topic_id"].dtype == "str"


@pytest.mark.parametrize("n_known", [3, 200])
def test_not_in_agrees_with_sets_whichever_side_is_hashed(n_known):
    """``not_in`` hashes the smaller side when ``known`` is much larger; same answer."""
    from sparkdesk.dump.combine import not_in

    values = pa.chunked_array([pa.array(["a", "b", None, "k7", "zz"]), pa.array(["k150", "b"])])
    known = pa.chunked_array([pa.array([f"k{i}" for i in range(n_known)] + ["b"])])
    expect = [v is None or v not in set(known.to_pylist()) for v in values.to_pylist()]
    assert not_in(values, known).tolist() == expect


def test_not_in_each_hashes_known_once_and_answers_per_column():
    """Several columns probed as one (messages, events and surveys against conversations)
    give each column its own answer, the same as ``not_in`` one by one; a column of
    another type is probed alone."""
    from sparkdesk.dump.combine import not_in, not_in_each

    known = pa.chunked_array([pa.array(["c1", "c2"], pa.large_string()), pa.array(["c3"], pa.large_string())])
    cols = {
        "messages": pa.chunked_array(
            [pa.array(["c1", "x", None], pa.large_string()), pa.array(["c3"], pa.large_string())]
        ),
        "events": pa.chunked_array([pa.array(["c2", "c9"], pa.large_string())]),
        "surveys": pa.chunked_array([pa.array([], pa.large_string())]),
    }
    got = not_in_each(cols, known)
    assert list(got) == ["messages", "events", "surveys"]
    assert got["messages"].tolist() == [False, True, True, False]
    assert got["events"].tolist() == [False, True]
    assert got["surveys"].tolist() == []
    mixed = {**cols, "tags": pa.chunked_array([pa.array(["c3", "c4"])])}
    got = not_in_each(mixed, known)
    for name, col in mixed.items():
        assert got[name].tolist() == not_in(col, known).tolist()


def test_split_future_hands_each_name_its_part_or_the_failure():
    """The shared check's result reaches one future per table; a failure (or a Cancel
    of the shared check) reaches every one of them, and a future added later is kept."""
    from concurrent.futures import CancelledError, Future

    from sparkdesk.dump.combine import _split

    shared: Future = Future()
    parts = _split(shared, ["a", "b"])
    parts["later"] = Future()  # the caller's own futures do not join the split
    shared.set_result({"a": 1, "b": 2})
    assert parts["a"].result(0) == 1 and parts["b"].result(0) == 2
    assert not parts["later"].done()
    failing: Future = Future()
    parts = _split(failing, ["a", "b"])
    own = parts["later"] = Future()
    failing.set_exception(ValueError("boom"))
    assert not own.done()
    for name in ["a", "b"]:
        with pytest.raises(ValueError, match="boom"):
            parts[name].result(0)
    cancelled: Future = Future()
    parts = _split(cancelled, ["a"])
    cancelled.cancel()
    cancelled.set_running_or_notify_cancel()
    with pytest.raises(CancelledError):
        parts["a"].result(0)


def test_arrow_prefers_jemalloc_unless_told_otherwise():
    """Importing the dump reader switches Arrow's pool to jemalloc where the wheel has it,
    and leaves a pool chosen with ARROW_DEFAULT_MEMORY_POOL alone."""
    import os
    import subprocess
    import sys

    code = "import sparkdesk.dump, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    try:
        pa.jemalloc_memory_pool()
        want = "jemalloc"
    except NotImplementedError:
        want = pa.default_memory_pool().backend_name
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert got.stdout.strip() == want
    env["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "system"


def test_parquet_rejected_rows_report_their_row_index_and_native_cells(tmp_path):
    """Parquet has no lines: a rejected row is reported by its row index, and its raw row
    is the JSON of its native cells (a timestamp as Python writes it)."""
    import datetime as dt

    import pyarrow.parquet as pq

    root = tmp_path / "d"
    root.mkdir()
    at = dt.datetime(2025, 3, 10, 10, 0, tzinfo=dt.UTC)
    t = pa.table(
        {
            "conversation_id": ["c0", "c1", "c2", "c3"],
            "channel_id": ["ch1", "ch1", "ch1", "ch1"],
            "contact_id": ["k1", None, "k1", None],
            "created_at": pa.array([at] * 4, pa.timestamp("ms", "UTC")),
        }
    )
    pq.write_table(t, root / "conversations.parquet")
    r = load_dumps([root], cache=False).report.rejected
    assert r["line"].tolist() == [1, 3]
    assert json.loads(r["raw"][0]) == {
        "conversation_id": "c1",
        "channel_id": "ch1",
        "contact_id": None,
        "created_at": "2025-03-10 10:00:00+00:00",
    }


# Cells after the rows the reader samples. The first two keep the timestamp-typed read;
# every other form step one reads, and every bad cell, makes it fail, and the file is
# read again as text.
LATER_TIMESTAMPS = [
    "",  # empty: null either way
    "2025-03-10T10:00:00.5-03:00",
    "2025-03-10T10:00:00.1239Z",  # more than milliseconds: truncated
    "2025-03-10T10:00:00",  # naive: a warning
    "2025-03-10",
    "1741600800123",  # epoch milliseconds
    " 2025-03-10T10:00:00Z",
    "2025-03-10T10:00:00,5Z",
    "2025-02-29T10:00:00Z",  # no such day: rejected
    "not a time",
    "2300-01-01T00:00:00.000000001Z",  # beyond nanoseconds' range
]
USUAL = ["2025-03-10T10:00:00.123Z", "2025-03-10T11:00:00+01:00"]


def _messages_csv(created: list[str], deleted: dict[int, str] | None = None) -> str:
    """Messages with these created_at cells; deleted_at empty but for the rows given."""
    head = "message_id,conversation_id,created_at,direction,updated_at,deleted_at\n"
    rows = [
        f"m{i},c1,{c},INBOUND,2025-03-10T10:00:0{i % 10}Z,{(deleted or {}).get(i, '')}"
        for i, c in enumerate(created)
    ]
    return head + "\n".join(rows) + "\n"


def _message_files(tmp_path: Path, texts: dict[str, str]) -> list:
    from sparkdesk.dump.containers import discover

    root = folder(tmp_path, {f"{name}/messages.csv": text for name, text in texts.items()})
    files = discover([root], 2**30, [])[0].files
    return sorted((f for f in files if f.table == "messages"), key=lambda f: f.label)


@pytest.mark.parametrize("column", ["created_at", "deleted_at"])
@pytest.mark.parametrize("later", LATER_TIMESTAMPS)
def test_timestamps_read_as_timestamps_give_what_text_gives(tmp_path, monkeypatch, later, column):
    """Sampled cells of the usual form (ISO 8601 with an offset, at most milliseconds) or
    empty (deleted_at) have pyarrow read the column as timestamps; a later cell of any
    other form reads the file again as text. Tables, rejected rows and warnings are the
    same as reading every cell as text."""
    from sparkdesk.dump import parse

    monkeypatch.setattr(parse, "SAMPLE_RECORDS", 2)  # the cell below comes after the sample
    created = [*USUAL, "2025-03-10T12:00Z", "2025-03-10T13:00Z"]
    deleted = {}
    if column == "created_at":
        created[2] = later
    else:
        deleted[3] = later
    files = {
        "conversations.csv": HEAD + "\nc1,ch1,k1,2025-03-10T09:00:00Z\n",
        "messages.csv": _messages_csv(created, deleted),
    }
    typed = load_dumps([folder(tmp_path / "typed", files)], cache=False)
    monkeypatch.setattr(parse, "_PLAIN_TS", parse.re.compile(r"(?!)"))  # matches nothing: text
    text = load_dumps([folder(tmp_path / "text", files)], cache=False)
    for name in ("conversations", "messages"):
        assert typed.tables[name].equals(text.tables[name])
    for got, want in (
        (typed.report.rejected, text.report.rejected),
        (typed.report.warnings, text.report.warnings),
    ):
        for frame in (got, want):
            frame["file"] = frame["file"].str.replace(str(tmp_path), "", regex=False).str.split("/").str[-1]
        pd.testing.assert_frame_equal(got, want)


def _read_counting_restarts(tf) -> tuple[object, list[float]]:
    """read_file with a meter; the bar's place before and after every restart."""
    from sparkdesk.dump.parse import read_file

    meter = tf.meter()
    seen: list[float] = []
    real_restart = meter.restart

    def restart() -> None:
        seen.append(meter.fraction)
        real_restart()
        seen.append(meter.fraction)

    meter.restart = restart
    raw = read_file(tf, meter)
    assert meter.fraction == 1.0
    return raw, seen


def test_usual_timestamps_are_read_as_timestamps_in_one_read(tmp_path):
    """The usual case: timestamp columns come out of pyarrow as timestamps, a column still
    empty in the sample (deleted_at) too, in one read of the file."""
    (clean,) = _message_files(tmp_path, {"clean": _messages_csv(USUAL)})
    raw, restarts = _read_counting_restarts(clean)
    for name in ("created_at", "updated_at", "deleted_at"):
        assert raw.table[name].type == pa.timestamp("ms", tz="UTC"), name
    assert raw.table["message_id"].type == pa.large_string()
    assert restarts == []


def test_an_odd_timestamp_in_the_sample_reads_text_at_once(tmp_path):
    (odd,) = _message_files(tmp_path, {"odd": _messages_csv([*USUAL, "2025-03-10"])})
    raw, restarts = _read_counting_restarts(odd)
    assert raw.table["created_at"].type == pa.large_string()
    assert raw.table["updated_at"].type == pa.timestamp("ms", tz="UTC")
    assert restarts == []


def test_an_odd_timestamp_after_the_sample_reads_the_file_again(tmp_path, monkeypatch):
    """A second read of the whole file as text; the bar does not go back meanwhile."""
    from sparkdesk.dump import parse

    monkeypatch.setattr(parse, "SAMPLE_RECORDS", 2)
    (late,) = _message_files(tmp_path, {"late": _messages_csv([*USUAL, "2025-03-10"])})
    raw, restarts = _read_counting_restarts(late)
    for name in ("created_at", "updated_at", "deleted_at"):  # one read for all columns
        assert raw.table[name].type == pa.large_string(), name
    assert raw.table["created_at"].to_pylist()[-1] == "2025-03-10"
    assert restarts == [1.0, 1.0]


def test_meter_restart_keeps_the_bar_where_it_was():
    from sparkdesk.dump.containers import ReadMeter

    meter = ReadMeter(100)
    meter.bytes = 40
    meter.restart()
    assert meter.fraction == pytest.approx(0.4)
    meter.bytes = 50
    assert meter.fraction == pytest.approx(0.7)
    meter.bytes = 100
    assert meter.fraction == 1.0


def test_a_stray_quote_near_the_top_costs_the_sample_no_more_than_its_budget(tmp_path, monkeypatch):
    """A quote that never closes turns the rest of the file into one cell; the sample that
    chooses column types stops at ``SAMPLE_CHARS`` instead of reading it all."""
    from sparkdesk.dump import parse
    from sparkdesk.dump.containers import discover

    monkeypatch.setattr(parse, "SAMPLE_CHARS", 1000)
    rows = [f"m{i},c1,2025-03-10T10:00:00Z,INBOUND,,\n" for i in range(20_000)]
    rows[2] = 'm2,c1,"2025-03-10T10:00:00Z,INBOUND,,\n'  # the quote is never closed
    root = folder(
        tmp_path,
        {
            "messages.csv": "message_id,conversation_id,created_at,direction,updated_at,deleted_at\n"
            + "".join(rows)
        },
    )
    (tf,) = discover([root], 2**30, [])[0].files
    header, sample = parse.read_csv_header(tf, 200)
    assert header[0] == "message_id" and len(sample) == 3
    assert sample[:2] == [
        ["m0", "c1", "2025-03-10T10:00:00Z", "INBOUND", "", ""],
        ["m1", "c1", "2025-03-10T10:00:00Z", "INBOUND", "", ""],
    ]
    assert sum(len(cell) for rec in sample for cell in rec) < 2_000  # the file holds 800,000
