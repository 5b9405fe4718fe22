"""Results larger than the budget stream to the file in the spec's order (issue 14, item 1).

``registry.export_to_file`` with parts sorts each part's rows, spills them as runs and
merges the runs into the file (``exports/spill.py``). The promise is the bytes of
``compute`` then ``write_export``: checked for every per-row export on the conformance sets
and the bundled demo dump with tiny parts and merge blocks of a few rows, CSV and Parquet;
the merge order against ``plan.merge`` on drawn frames with ties and missing values; and
Cancel and errors leave neither the scratch folder nor the output behind.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
import weakref
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparkdesk.catalogue import EXPORT_IDS, Column, ExportType
from sparkdesk.cli import main
from sparkdesk.dump import load_dumps, wait_for_saves
from sparkdesk.exports import ExportParams, compute, export_to_file, registry, spill
from sparkdesk.exports.plan import (
    AGGREGATE_KEYS,
    Parts,
    estimate_part,
    merge,
    result_reserve,
)
from sparkdesk.exports.shape import conform
from sparkdesk.exports.spill import SortedRuns
from sparkdesk.resources import bundled_demo_path
from sparkdesk.tasks import Cancelled, CancelToken
from sparkdesk.writers import WriteOptions, parquet, write_export, xlsx

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
PER_ROW = [t for t in EXPORT_IDS if t not in AGGREGATE_KEYS and t != "user-presence"]
PARTS, BLOCK = 7, 3  # tiny parts, merge blocks of three rows: many runs, many merge rounds
DEMO_BLOCK = 20  # the demo's 5,000 messages in blocks of a few rows: hundreds of merge rounds


@pytest.fixture
def runs_made(monkeypatch):
    """Every SortedRuns export_to_file makes (so a test knows the merge was taken)."""
    made: list[SortedRuns] = []

    class Recorded(SortedRuns):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(registry, "SortedRuns", Recorded)
    return made


def _check_both_ways(
    dump, params: ExportParams, folder: Path, made: list, block: int = BLOCK, fmts=("csv",)
) -> pd.DataFrame:
    """The files written by the merge (tiny parts) are those of compute + write_export, byte
    for byte; returns the whole table."""
    options = WriteOptions(tz=params.tz)
    table = compute(dump, params)
    for fmt in fmts:
        streamed, whole = folder / f"streamed.{fmt}", folder / f"whole.{fmt}"
        before = len(made)
        export_to_file(dump, params, streamed, options, fmt, parts=PARTS, block_rows=block)
        assert len(made) == before + 1, "the external merge was not taken"
        assert made[-1].rows == len(table)
        write_export(table, params.type, whole, options, fmt)
        if fmt == "xlsx":  # the same parts; the zip's own creation time aside
            assert xlsx_parts(streamed) == xlsx_parts(whole)
            continue
        assert streamed.read_bytes() == whole.read_bytes(), fmt
        if fmt == "parquet":  # one row group per chunk of the merge
            groups = pq.ParquetFile(streamed).metadata.num_row_groups
            assert groups == max(math.ceil(len(table) / parquet.CHUNK_ROWS), 1)
    assert not list(folder.glob(".sparkdesk-merge-*"))
    return table


def xlsx_parts(path: Path) -> dict[str, bytes]:
    """A workbook's zip members but ``docProps/core.xml`` (it holds the time of writing)."""
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}


def _conformance_cases() -> list:
    sets = json.loads((CONFORMANCE / "params.json").read_text()) if CONFORMANCE.exists() else []
    return [pytest.param(ps, t, id=f"{ps['name']}-{t}") for ps in sets for t in PER_ROW]


@pytest.mark.parametrize(("ps", "type_id"), _conformance_cases())
def test_the_merge_writes_the_bytes_of_the_whole_table_on_the_conformance_sets(
    conformance_dump, runs_made, tmp_path, ps, type_id
):
    params = ExportParams(
        type_id,
        ps["tz"],
        dt.date.fromisoformat(ps["from"]) if ps.get("from") else None,
        dt.date.fromisoformat(ps["to"]) if ps.get("to") else None,
        tuple(ps.get("channels", ())),
    )
    _check_both_ways(conformance_dump, params, tmp_path, runs_made)


@pytest.mark.parametrize("type_id", PER_ROW)
def test_the_merge_writes_the_bytes_of_the_whole_table_on_the_demo_dump(
    demo_dump, runs_made, tmp_path, monkeypatch, type_id
):
    """CSV, Parquet in row groups of 500 rows (the merge's chunks are the row groups), XLSX."""
    monkeypatch.setattr(parquet, "CHUNK_ROWS", 500)
    monkeypatch.setitem(registry.STREAMED_FORMATS, "parquet", 500)
    params = ExportParams(type_id, "America/New_York", None, None, ())
    fmts = ("csv", "parquet", "xlsx")
    assert (
        len(_check_both_ways(demo_dump, params, tmp_path, runs_made, DEMO_BLOCK, fmts)) > 50
    )  # many merge rounds


def test_aggregates_and_one_part_are_computed_whole_then_written(demo_dump, runs_made, tmp_path):
    """The merge is for per-row exports in parts; the rest is compute + write."""
    cases = [
        ("team", "csv", PARTS),
        ("user", "xlsx", PARTS),
        ("message", "csv", 1),
        ("message", "csv", None),
    ]
    for type_id, fmt, parts in cases:
        params = ExportParams(type_id, "UTC", None, None, ())
        export_to_file(demo_dump, params, tmp_path / f"{type_id}.{fmt}", WriteOptions(), fmt, parts=parts)
    assert runs_made == []
    want = tmp_path / "want.csv"
    write_export(
        compute(demo_dump, ExportParams("team", "UTC", None, None, ())), "team", want, WriteOptions()
    )
    assert (tmp_path / "team.csv").read_bytes() == want.read_bytes()


# -- the merge order ------------------------------------------------------------------------

TOY = ExportType(
    "toy",
    {"en": "Toy", "es": "Juguete"},
    tuple(
        Column(key, {"en": key, "es": key}, kind)
        for key, kind in (("name", "text"), ("at", "timestamp"), ("toy_id", "id"), ("n", "count"))
    ),
    sort_by=("name", "at"),
)
_NAMES = st.sampled_from([None, "", "a", "B", "b", "é", "ab"])  # empty first, code-point order
_TIMES = st.sampled_from([None, -5, 0, 7, 1_700_000_000_000])
_IDS = st.sampled_from([None, "1", "10", "9"])  # ids as strings: "10" < "9"


@st.composite
def _parts(draw) -> list[pd.DataFrame]:
    frames, n = [], 0
    for _ in range(draw(st.integers(1, 5))):
        rows = draw(st.lists(st.tuples(_NAMES, _TIMES, _IDS), max_size=9))
        at = pd.to_datetime([t for _, t, _ in rows], unit="ms", utc=True).as_unit("ms")
        frames.append(
            pd.DataFrame(
                {
                    "name": pd.array([r[0] for r in rows], dtype="str"),
                    "at": pd.Series(at, dtype="datetime64[ms, UTC]"),
                    "toy_id": pd.array([r[2] for r in rows], dtype="str"),
                    "n": pd.array(range(n, n + len(rows)), dtype="Int64"),  # which row it was
                }
            )
        )
        n += len(rows)
    return frames


@settings(max_examples=100, deadline=None)
@given(parts=_parts(), block=st.integers(1, 4), chunk=st.integers(1, 6))
def test_the_merge_order_is_the_sort_of_the_parts_put_end_to_end(tmp_path_factory, parts, block, chunk):
    want = conform(merge([p.copy() for p in parts], TOY), TOY)
    with SortedRuns(TOY, tmp_path_factory.getbasetemp(), block) as runs:
        for part in parts:
            runs.add(part)
        pieces = list(runs.tables())
        frames = list(runs.frames(chunk))
    assert all(len(p) <= len(parts) * block for p in pieces)  # never more than a block per run
    assert [len(f) for f in frames[:-1]] == [chunk] * (len(frames) - 1) and len(frames[-1]) <= chunk
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), want)
    assert not runs.folder.exists()


# -- Cancel and errors ----------------------------------------------------------------------


def _export_message(dump, out: Path, cancel=None, write_progress=None) -> None:
    params = ExportParams("message", "UTC", None, None, ())
    export_to_file(
        dump,
        params,
        out,
        WriteOptions(),
        "csv",
        cancel=cancel,
        parts=3,
        block_rows=50,
        write_progress=write_progress,
    )


def test_cancel_while_writing_leaves_no_scratch_and_no_file(demo_dump, runs_made, tmp_path):
    token = CancelToken()

    def writing():
        assert list(runs_made[0].folder.glob("run-*.arrow"))  # the runs are on disk by now
        token.cancel()
        return None

    with pytest.raises(Cancelled):
        _export_message(demo_dump, tmp_path / "m.csv", token, writing)
    assert list(tmp_path.iterdir()) == []


def test_an_error_in_the_merge_leaves_no_scratch_and_no_file(demo_dump, runs_made, tmp_path, monkeypatch):
    real, calls = spill._frame, []

    def failing(table):
        calls.append(1)
        if len(calls) > 1:  # the first chunk is written, then the disk "fails"
            raise OSError(28, "No space left on device")
        return real(table)

    monkeypatch.setattr(spill, "_frame", failing)
    monkeypatch.setattr(registry, "STREAMED_FORMATS", {"csv": 100, "parquet": 100})
    with pytest.raises(OSError, match="No space"):
        _export_message(demo_dump, tmp_path / "m.csv")
    assert len(calls) == 2 and list(tmp_path.iterdir()) == []


def test_an_error_in_a_part_leaves_no_scratch_and_no_file(demo_dump, runs_made, tmp_path, monkeypatch):
    real, calls = registry._build, []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise MemoryError
        return real(*args, **kwargs)

    monkeypatch.setattr(registry, "_build", failing)
    with pytest.raises(MemoryError):
        _export_message(demo_dump, tmp_path / "m.csv")
    assert runs_made and list(tmp_path.iterdir()) == []


# -- XLSX from a stream -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "rows", "per_sheet"), [("rustpy-xlsxwriter", 3000, 700), ("openpyxl", 300, 120)]
)
def test_an_xlsx_from_chunks_holds_the_cells_of_the_whole_table(demo_dump, tmp_path, engine, rows, per_sheet):
    """Sheets cut in the middle of chunks of every size: the workbook of write_xlsx."""
    if engine not in xlsx.available_engines():
        pytest.skip(f"{engine} is not installed")
    table = compute(demo_dump, ExportParams("message", "UTC", None, None, ())).iloc[:rows]
    sizes = [1, 7, 500, 2, 1000]
    chunks, start = [], 0
    while start < len(table):
        n = sizes[len(chunks) % len(sizes)]
        chunks.append(table.iloc[start : start + n].reset_index(drop=True))
        start += n
    kw = {"max_rows_per_sheet": per_sheet, "engine_factory": xlsx.engine_named(engine)}
    options = WriteOptions(tz="Europe/Madrid")
    xlsx.write_xlsx_chunks(
        "Messages", iter(chunks), len(table), "message", tmp_path / "s.xlsx", options, **kw
    )
    xlsx.write_xlsx([("Messages", table, "message")], tmp_path / "w.xlsx", options, **kw)
    got = xlsx_parts(tmp_path / "s.xlsx")
    assert got == xlsx_parts(tmp_path / "w.xlsx")
    assert sum(name.startswith("xl/worksheets/sheet") for name in got) == math.ceil(rows / per_sheet)


def test_a_date_before_1900_is_refused_by_the_stream_and_written_whole_by_export_to_file(
    demo_dump, runs_made, tmp_path, monkeypatch
):
    table = compute(demo_dump, ExportParams("message", "UTC", None, None, ()))
    early = table.copy()
    early.loc[100, "created_at"] = pd.Timestamp("1899-12-31 12:00", tz="UTC")
    with pytest.raises(ValueError, match="before 1900"):
        xlsx.write_xlsx_chunks("M", [early], len(early), "message", tmp_path / "m.xlsx", WriteOptions())
    assert list(tmp_path.iterdir()) == []
    # export_to_file sees such a date in a part and writes the workbook from the table
    seen = []
    monkeypatch.setattr(registry, "early_timestamps", lambda frame, export, options: seen.append(1) or True)
    monkeypatch.setattr(registry, "write_export_chunks", None)  # never called
    params = ExportParams("message", "UTC", None, None, ())
    export_to_file(demo_dump, params, tmp_path / "m.xlsx", WriteOptions(), parts=3)
    write_export(table, "message", tmp_path / "w.xlsx", WriteOptions())
    assert seen and xlsx_parts(tmp_path / "m.xlsx") == xlsx_parts(tmp_path / "w.xlsx")


def test_each_part_s_dump_is_freed_before_the_next_part(demo_dump, tmp_path, monkeypatch):
    """A part's sub-dump and its Facts refer to each other; export_to_file breaks the cycle,
    so a part's dump is gone without waiting for the cycle collector (here switched off)."""
    alive: list[weakref.ref] = []
    real = Parts.sub_dump

    def sub_dump(self, i):
        assert all(ref() is None for ref in alive), "the previous part's dump is still in memory"
        sub = real(self, i)
        alive.append(weakref.ref(sub))
        return sub

    monkeypatch.setattr(Parts, "sub_dump", sub_dump)
    gc.collect()
    gc.disable()
    try:
        _export_message(demo_dump, tmp_path / "m.csv")
    finally:
        gc.enable()
    assert len(alive) == 3 and all(ref() is None for ref in alive)


# -- a dump read from the cache, in the parts the memory budget asks for ---------------------


@pytest.fixture(scope="module")
def cached_demo():
    paths = [bundled_demo_path()]
    load_dumps(paths)  # saves the cache
    assert wait_for_saves(60)
    dump = load_dumps(paths)
    assert dump.store is not None, "the second load came from the cache"
    return dump


def test_the_command_line_streams_a_result_cut_by_the_budget(demo_dump, cached_demo, runs_made, tmp_path):
    """``export --memory-limit``: the budget cuts the cached dump into parts (a part: at most
    40 % of the conversations, beside the rows' reserve), the message export streams through
    the merge, and the file is the whole table's."""
    limit = estimate_part(cached_demo, 0.4) + result_reserve(cached_demo, "message", 1.0)
    out = tmp_path / "m.csv"
    argv = ["export", str(bundled_demo_path()), "--type", "message", "--tz", "UTC", "--out", str(out)]
    assert main([*argv, "--memory-limit", f"{limit // 1024}KiB"]) == 0
    assert len(runs_made) == 1 and runs_made[0].rows > 1000  # the merge was taken: parts, not one
    write_export(
        compute(demo_dump, ExportParams("message", "UTC", None, None, ())),
        "message",
        tmp_path / "w.csv",
        WriteOptions(tz="UTC"),
    )
    assert out.read_bytes() == (tmp_path / "w.csv").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.csv", "w.csv"]


def test_the_merge_holds_about_the_same_rows_however_many_parts():
    assert spill.block_rows_for(1) == spill.MERGE_ROWS == 100_000
    assert spill.block_rows_for(4) == 25_000
    assert spill.block_rows_for(256) == spill.MIN_BLOCK_ROWS == 1_000  # a floor per run
