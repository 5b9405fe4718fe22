"""The numpy record scanner agrees with the csv module on line numbers and cells."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest

from sparkdesk.dump import lines, load_dumps, parse
from sparkdesk.dump.containers import folder_source


def _cell(rng: random.Random) -> str:
    kind = rng.randrange(7)
    if kind == 0:
        return ""
    if kind == 1:
        return '"a\nb"'
    if kind == 2:
        return '"x\r\ny, ""q"""'
    if kind == 3:
        return '"' + "\n" * rng.randrange(3) + '"'
    if kind == 4:
        return rng.choice(['"tab\there"', "back\\slash", '"ctl\x01\x1f\x0b"', '"form\x0cfeed\x08"', "ñandú"])
    return rng.choice(["abc", "007", "2025-03-10T10:00:00Z", "ñandú", "x y"])


def _csv(rng: random.Random, rows: int, crlf: bool, bom: bool, final_newline: bool) -> bytes:
    eol = "\r\n" if crlf else "\n"
    out = ["a,b,c"]
    for _ in range(rows):
        if rng.random() < 0.15:
            out.append("")  # a blank line, skipped
        out.append(",".join(_cell(rng) for _ in range(3)))
    text = eol.join(out) + (eol if final_newline else "")
    return (("\ufeff" if bom else "") + text).encode()


def _one_file(tmp_path: Path, name: str, data: bytes, gz: bool):
    """A dump folder holding one table file (gzipped when asked): its TableFile."""
    root = tmp_path / "d"
    root.mkdir()
    (root / (name + ".gz" if gz else name)).write_bytes(gzip.compress(data) if gz else data)
    return folder_source(root).files[0]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("chunk", [5, 64, 1 << 20])
def test_scan_matches_csv_module(tmp_path, monkeypatch, seed, chunk):
    rng = random.Random(seed)
    data = _csv(rng, 40, crlf=seed % 2 == 0, bom=seed % 3 == 0, final_newline=seed % 4 != 1)
    tf = _one_file(tmp_path, "users.csv", data, gz=seed % 5 == 0)
    expected = list(parse._csv_records(tf))
    monkeypatch.setattr(lines, "CHUNK", chunk)
    wanted = np.arange(len(expected))
    count, spans = lines.record_spans(tf, wanted)
    assert count == len(expected)
    assert spans.line.tolist() == [line for line, _ in expected]
    data = lines.Spans(*(a[1:] for a in (spans.index, spans.line, spans.start, spans.end)))
    records = [rec for _, rec in expected[1:]]
    assert lines.raw_records(tf, data) == records
    cells = lines.raw_cells(tf, data, 3)  # pyarrow splits them as the csv module does
    assert cells is not None
    assert [list(r.values()) for r in cells.to_pylist()] == records
    header = expected[0][1]
    want = [json.dumps(dict(zip(header, rec, strict=True)), ensure_ascii=False) for rec in records]
    assert lines.json_rows(header, cells).to_pylist() == want
    _, every = lines.record_spans(tf, None, count_cells=True)
    assert every.cells.tolist() == [len(rec) for _, rec in expected]
    some = np.array(sorted(rng.sample(range(1, count), min(5, count - 1))))
    count2, picked = lines.record_spans(tf, some)
    assert count2 == count and picked.index.tolist() == some.tolist()
    got = lines.raw_cells(tf, picked, 3)
    assert [list(r.values()) for r in got.to_pylist()] == [expected[i][1] for i in some.tolist()]


def test_json_rows_repeated_header_keeps_first_place_and_last_value():
    """As ``dict(zip(header, cells))``: a repeated name sits where it first appears and
    holds the last cell under it; every control character is escaped as json.dumps does."""
    import pyarrow as pa

    header = ["a", "b", "a", 'q"uote']
    rows = [["1", "2", "3", "x"], ["\x00\x7f\u2028é", "\\", '"', "\x1b"]]
    cells = pa.table({f"c{i}": pa.array([r[i] for r in rows], pa.large_string()) for i in range(4)})
    want = [json.dumps(dict(zip(header, r, strict=True)), ensure_ascii=False) for r in rows]
    assert lines.json_rows(header, cells).to_pylist() == want
    assert want[0] == '{"a": "3", "b": "2", "q\\"uote": "x"}'


def test_gather_records_reads_records_across_chunk_ends(tmp_path, monkeypatch):
    """Records cut by the reading chunk are joined again; each ends with its new line,
    the last one too when the file does not end with one."""
    root = tmp_path / "d"
    root.mkdir()
    (root / "users.csv").write_bytes(b'a,b\r\n1,"x\ny"\r\n2,z\r\n\r\n3,"w"')
    tf = folder_source(root).files[0]
    monkeypatch.setattr(lines, "CHUNK", 3)
    count, spans = lines.record_spans(tf, np.array([1, 3]))
    assert count == 4 and spans.line.tolist() == [2, 6]
    assert lines.gather_records(tf, spans) == b'1,"x\ny"\r\n3,"w"\n'


def test_rejected_lines_in_a_large_file(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    body = "".join(
        f'c{i},ch1,k1,2025-03-10T10:00:00Z,"multi\nline"\n'
        if i % 1000
        else f"c{i},ch1,,2025-03-10T10:00:00Z,x\n"
        for i in range(20_000)
    )
    (root / "conversations.csv").write_text(
        "conversation_id,channel_id,contact_id,created_at,language\n" + body
    )
    d = load_dumps([root])
    r = d.report.rejected
    assert len(r) == 20
    # row i starts on line 2 + 2*i - (number of single-line rows before it)
    expect = [2 + 2 * i - (i // 1000) for i in range(0, 20_000, 1000)]
    assert r["line"].tolist() == expect
    assert all('"contact_id": ""' in raw for raw in r["raw"])


def test_stray_quote_falls_back_to_csv_module(tmp_path):
    root = tmp_path / "d"
    root.mkdir()
    text = 'conversation_id,channel_id,contact_id,created_at\nc"1,ch1,k1,2025-03-10T10:00:00Z\nc2,ch1,,2025-03-10T10:00:00Z\n'
    (root / "conversations.csv").write_text(text)
    d = load_dumps([root])
    assert d.report.rejected["line"].tolist() == [3]
    assert Path(d.report.rejected["file"][0]).name == "conversations.csv"


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_malformed_records_found_by_the_scan_as_by_the_csv_module(tmp_path, monkeypatch, chunk):
    """A file with records of a wrong cell count: the scan (cells counted outside quotes)
    finds the same skipped records, lines and raw rows as the csv module does."""
    root = tmp_path / "d"
    root.mkdir()
    rows = ["conversation_id,channel_id,contact_id,created_at"]
    for i in range(60):
        if i % 9 == 4:
            rows.append(f'c{i},ch1,"k,{i}",2025-03-10T10:00:00Z,extra')  # 5 cells, one comma quoted
        elif i % 9 == 7:
            rows.append(f'c{i},"ch\n1"')  # 2 cells over two lines
        else:
            contact = "" if i % 5 == 0 else f'"k,""{i}"""'
            rows.append(f"c{i},ch1,{contact},2025-03-10T10:00:00Z")
    (root / "conversations.csv").write_text("\n".join(rows) + "\n")
    tf = folder_source(root).files[0]
    skipped = sum(1 for i in range(60) if i % 9 in (4, 7))
    n_rows = 60 - skipped
    wanted = np.arange(0, n_rows, 3)
    monkeypatch.setattr(lines, "CHUNK", chunk)
    fast = parse._locate_csv_malformed(tf, wanted, n_rows, 4, skipped)
    assert fast is not None
    monkeypatch.setattr(parse, "_locate_csv_malformed", lambda *a: None)
    slow = parse.locate(tf, wanted, skipped, 4, n_rows)
    assert fast[0].rows.tolist() == slow[0].rows.tolist() == wanted.tolist()
    assert fast[0].lines.tolist() == slow[0].lines.tolist()
    assert fast[0].raw.to_pylist() == slow[0].raw.to_pylist()
    assert fast[1] == slow[1] and len(fast[1]) == skipped == 13
    assert (
        parse._locate_csv_malformed(tf, wanted, n_rows, 4, skipped - 1) is None
    )  # pyarrow counted otherwise
    d = load_dumps([root])
    r = d.report.rejected
    no_contact = sum(1 for i in range(60) if i % 9 not in (4, 7) and i % 5 == 0)
    assert len(r) == skipped + no_contact
    assert sorted(r["line"].tolist()) == r["line"].tolist()


def _jsonl(rng: random.Random, rows: int, crlf: bool, bom: bool, final_newline: bool) -> bytes:
    eol = "\r\n" if crlf else "\n"
    out = []
    for i in range(rows):
        if rng.random() < 0.15:
            out.append(rng.choice(["", "   ", "\t", " \x0b\x0c "]))  # blank lines, skipped
        pad = rng.choice(["", "", "  ", "\t"])  # an indented line is still a row
        value = rng.choice(["abc", "ñandú", 'q\\"uote', "tab\\there", "x" * rng.randrange(1, 40)])
        out.append(f'{pad}{{"user_id": "u{i}", "name": "{value}"}}{pad}')
    text = eol.join(out) + (eol if final_newline else "")
    return (("\ufeff" if bom else "") + text).encode()


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("chunk", [3, 50, 1 << 20])
def test_jsonl_scan_matches_python_lines(tmp_path, monkeypatch, seed, chunk):
    """Rows of JSON Lines found by the numpy scan: the same line numbers and texts as
    Python's universal-newline reading, blank and white-space lines skipped."""
    rng = random.Random(seed)
    data = _jsonl(rng, 30, crlf=seed % 2 == 0, bom=seed % 3 == 0, final_newline=seed % 4 != 1)
    tf = _one_file(tmp_path, "users.jsonl", data, gz=seed % 5 == 0)
    expected = list(parse._jsonl_lines(tf))
    monkeypatch.setattr(lines, "CHUNK", chunk)
    count, spans = lines.jsonl_lines(tf, np.arange(len(expected)))
    assert count == len(expected) == 30
    assert spans.line.tolist() == [line for line, _ in expected]
    assert lines.line_texts(tf, spans).to_pylist() == [text for _, text in expected]
    some = np.array([0, 7, 29])
    _, picked = lines.jsonl_lines(tf, some)
    assert lines.line_texts(tf, picked).to_pylist() == [expected[i][1] for i in some.tolist()]


@pytest.mark.parametrize(
    "data",
    [b'{"a": "1"}\r{"a": "2"}\n', b'{"a": "1"}\n{"a": "2"}\r', b'{"a": "1"}\r\r\n{"a": "2"}\n'],
)
def test_jsonl_scan_gives_up_at_a_lone_carriage_return(tmp_path, monkeypatch, data):
    """Python ends a line at a lone carriage return too: the scan leaves such files to it."""
    root = tmp_path / "d"
    root.mkdir()
    (root / "users.jsonl").write_bytes(data)
    tf = folder_source(root).files[0]
    for chunk in (1, 11, 1 << 20):
        monkeypatch.setattr(lines, "CHUNK", chunk)
        assert lines.jsonl_lines(tf, np.arange(2)) is None


def test_jsonl_rejected_rows_keep_their_lines_and_text(tmp_path):
    """End to end: rejected JSON Lines rows (one after a line Python calls blank but the
    scan does not: the count disagrees, and the slow way answers) carry line and text."""
    for filler in ["   ", "\x1c"]:
        root = tmp_path / f"d{ord(filler[0])}"
        root.mkdir()
        rows = [
            '{"user_id": "u1", "name": "A"}',
            filler,
            '{"user_id": "u2"}',
            '{"user_id": "u3", "name": "C"}',
        ]
        (root / "users.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
        r = load_dumps([root], cache=False).report.rejected
        assert r["line"].tolist() == [3]
        assert r["raw"].tolist() == ['{"user_id": "u2"}']
