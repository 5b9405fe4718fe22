"""A per-row result too large for memory is kept on disk (issue 14, item 4).

``compute_or_spill`` within a limit that computes the message export of the cached demo dump
in parts but cannot hold its rows: the rows go, in the spec's order, to one Arrow file that
``DiskResult`` reads through a memory map. Checked: its rows are ``compute``'s; slices read
the same values; a save gives the bytes of ``sparkdesk export`` with that limit; the scratch
folder goes on close, on Cancel and on error; aggregates and a limit that holds the rows
stay in memory.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sparkdesk.catalogue import export_type
from sparkdesk.cli import main
from sparkdesk.dump import load_dumps, wait_for_saves
from sparkdesk.exports import ExportParams, compute, compute_or_spill, ondisk, registry
from sparkdesk.exports.ondisk import DiskResult, save_result
from sparkdesk.exports.plan import estimate_part, make_plan
from sparkdesk.exports.scope import make_scope
from sparkdesk.memory import MemoryLimitTooSmall
from sparkdesk.resources import bundled_demo_path
from sparkdesk.tasks import Cancelled, CancelToken
from sparkdesk.writers import WriteOptions

MESSAGES = ExportParams("message", "UTC", None, None, ())


@pytest.fixture(scope="module")
def cached_demo():
    """The bundled demo dump opened from the cache (the budget cuts such a dump into parts)."""
    paths = [bundled_demo_path()]
    load_dumps(paths)
    assert wait_for_saves(60)
    dump = load_dumps(paths)
    assert dump.store is not None, "the second load came from the cache"
    return dump


def disk_limit(dump) -> int:
    """A limit that computes the message export in parts of 40 % holding their own rows, but
    not with the whole result held to the end: the held plan refuses it, the streamed one
    cuts parts (checked here, so the tests below cannot quietly hold the rows instead)."""
    limit = estimate_part(dump, 0.4, "message")
    scope = make_scope(dump, MESSAGES)
    with pytest.raises(MemoryLimitTooSmall):
        make_plan(dump, scope, "message", memory_limit=limit)
    streamed = make_plan(dump, scope, "message", memory_limit=limit, streamed=True)
    assert streamed.parts is not None and streamed.parts.n > 1
    return limit


@pytest.fixture(scope="module")
def whole(demo_dump) -> pd.DataFrame:
    return compute(demo_dump, MESSAGES)


def test_the_result_on_disk_holds_compute_s_rows_and_its_folder_goes_on_close(cached_demo, whole, tmp_path):
    result = compute_or_spill(cached_demo, MESSAGES, memory_limit=disk_limit(cached_demo), folder=tmp_path)
    assert isinstance(result, DiskResult)
    assert [p.name for p in tmp_path.iterdir()] == [result.folder.name]
    assert [p.name for p in result.folder.iterdir()] == [ondisk.FILE_NAME]  # the runs are gone
    assert result.rows == len(whole) == 4942 and result.column_names == list(whole.columns)
    pd.testing.assert_frame_equal(result.to_frame(), whole)
    result.close()
    assert result.closed and list(tmp_path.iterdir()) == []


def test_slices_and_picked_rows_read_the_values_of_the_frame(cached_demo, whole, tmp_path, monkeypatch):
    monkeypatch.setattr(ondisk, "BATCH_ROWS", 1000)  # slices across record batches
    with compute_or_spill(cached_demo, MESSAGES, memory_limit=disk_limit(cached_demo), folder=tmp_path) as r:
        assert r.table.column(0).num_chunks == 5
        for i in range(len(whole.columns)):
            for start, stop in [(0, 128), (990, 1010), (4900, 5100), (10, 10)]:
                got = r.column(i, start, stop)
                want = whole.iloc[start:stop, i].reset_index(drop=True)
                pd.testing.assert_series_equal(got, want)
            rows = np.array([4941, 3, 2500, 3])
            pd.testing.assert_series_equal(r.column_rows(i, rows), whole.iloc[rows, i].reset_index(drop=True))
        frames = list(r.frames(2000))
        assert [len(f) for f in frames] == [2000, 2000, 942]
        pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), whole)
        two = list(r.frames(1500, ["created_at", "message_id"]))  # batches cut across frames
        assert [len(f) for f in two] == [1500, 1500, 1500, 442]
        pd.testing.assert_frame_equal(pd.concat(two, ignore_index=True), whole[["created_at", "message_id"]])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_a_save_gives_the_bytes_of_the_command_line_with_the_same_limit(cached_demo, tmp_path, fmt):
    limit = disk_limit(cached_demo)
    theirs = tmp_path / f"cli.{fmt}"
    argv = ["export", str(bundled_demo_path()), "--type", "message", "--tz", "UTC", "--out", str(theirs)]
    assert main([*argv, "--memory-limit", f"{limit // 1024}KiB"]) == 0
    ours = tmp_path / f"ours.{fmt}"
    with compute_or_spill(cached_demo, MESSAGES, memory_limit=limit, folder=tmp_path / "scratch") as r:
        save_result(r, ours, WriteOptions(tz="UTC"))
    if fmt == "xlsx":
        assert xlsx_parts(ours) == xlsx_parts(theirs)
    else:
        assert ours.read_bytes() == theirs.read_bytes()
    assert list((tmp_path / "scratch").iterdir()) == []


def test_cancel_and_errors_leave_no_scratch_folder(cached_demo, tmp_path, monkeypatch):
    limit = disk_limit(cached_demo)
    token = CancelToken()
    real = ondisk.write_result

    def cancelled_while_writing(tables, *args):
        token.cancel()
        return real(tables, *args)

    monkeypatch.setattr(registry, "write_result", cancelled_while_writing)
    with pytest.raises(Cancelled):
        compute_or_spill(cached_demo, MESSAGES, cancel=token, memory_limit=limit, folder=tmp_path)
    assert list(tmp_path.iterdir()) == []

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(registry, "write_result", full_disk)
    with pytest.raises(OSError, match="No space"):
        compute_or_spill(cached_demo, MESSAGES, memory_limit=limit, folder=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_result_nobody_closes_takes_its_folder_when_it_goes(cached_demo, tmp_path):
    result = compute_or_spill(cached_demo, MESSAGES, memory_limit=disk_limit(cached_demo), folder=tmp_path)
    assert isinstance(result, DiskResult)
    del result
    gc.collect()
    assert list(tmp_path.iterdir()) == []


def test_aggregates_and_results_the_limit_holds_stay_in_memory(cached_demo, tmp_path):
    limit = disk_limit(cached_demo)
    held = compute_or_spill(cached_demo, MESSAGES, folder=tmp_path)  # no limit
    assert isinstance(held, pd.DataFrame) and len(held) == 4942
    contacts = compute_or_spill(
        cached_demo, ExportParams("contact", "UTC", None, None, ()), memory_limit=limit
    )
    assert isinstance(contacts, pd.DataFrame)  # its rows are small enough to be held
    with pytest.raises(MemoryLimitTooSmall):  # an aggregate adds its parts up in memory
        compute_or_spill(cached_demo, ExportParams("user", "UTC", None, None, ()), memory_limit=10 * 2**20)
    assert list(tmp_path.iterdir()) == []


def xlsx_parts(path: Path) -> dict[str, bytes]:
    """A workbook's zip members but ``docProps/core.xml`` (it holds the time of writing)."""
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}


def test_an_empty_result_on_disk_has_the_columns_and_no_row(tmp_path):
    frame = pd.DataFrame({"a": pd.array([], dtype="str"), "n": pd.array([], dtype="Int64")})
    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    folder = ondisk.make_scratch_folder(tmp_path)
    with ondisk.write_result([], schema, 0, export_type("message"), folder) as r:
        assert r.rows == 0
        [only] = list(r.frames(10))
        pd.testing.assert_frame_equal(only, frame)
    assert not Path(folder).exists()


def test_type_all_into_a_folder_streams_each_export_within_a_limit_that_would_hold_them(
    cached_demo, tmp_path
):
    """``--type all`` into a folder writes each export as it is computed: at a limit that
    refuses the message rows held to the end (``disk_limit``), every file is still
    written, with the bytes of the export on its own without a limit."""
    limit = disk_limit(cached_demo)
    demo = str(bundled_demo_path())
    folder = tmp_path / "all"
    argv = ["export", demo, "--type", "all", "--tz", "UTC", "--quiet"]
    assert main([*argv, "--memory-limit", f"{limit // 1024}KiB", "--out", str(folder)]) == 0
    for type_id in ("message", "resolved-conversation", "user"):
        alone = tmp_path / f"{type_id}.csv"
        assert main(["export", demo, "--type", type_id, "--tz", "UTC", "--quiet", "--out", str(alone)]) == 0
        assert (folder / f"{type_id}.csv").read_bytes() == alone.read_bytes(), type_id


def test_a_saved_job_streams_its_message_file_within_a_limit_that_would_hold_it(cached_demo, tmp_path):
    """A job writes each file of one export as it is computed: at ``disk_limit`` the run
    succeeds, and its message file has the bytes of the export alone without a limit."""
    from sparkdesk.jobs import Job, load_job, run_job, save_job

    limit = disk_limit(cached_demo)
    demo = str(bundled_demo_path())
    job = Job(
        dumps=(demo,), types=("message", "user"), range="2025-05-01..2025-06-30", out_dir="../out", tz="UTC"
    )
    job = load_job(save_job(job, tmp_path / "jobs" / "job.toml"))
    receipt = run_job(job, memory_limit=limit)
    assert receipt.ok, receipt.error
    (message,) = [o for o in receipt.outputs if o.types == ("message",)]
    alone = tmp_path / "alone.csv"
    days = ["--from", "2025-05-01", "--to", "2025-06-30"]
    assert (
        main(["export", demo, "--type", "message", "--tz", "UTC", *days, "--quiet", "--out", str(alone)]) == 0
    )
    assert message.path.read_bytes() == alone.read_bytes()
    records = list(csv.reader(io.StringIO(alone.read_text(encoding="utf-8-sig"), newline="")))
    assert message.rows == {"message": len(records) - 1}  # texts with new lines: records, not lines


@pytest.mark.skipif(os.name == "nt", reason="whether a process runs is not asked on Windows")
def test_scratch_folders_of_a_process_that_is_gone_are_removed_at_the_next_result(tmp_path):
    """A window that crashed could not close its result: the next result made in the same
    folder removes it, and leaves alone those of processes still running."""
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    dead = tmp_path / f"{ondisk.SCRATCH_PREFIX}{dead_pid}-abc"
    alive = tmp_path / f"{ondisk.SCRATCH_PREFIX}{os.getppid()}-def"  # the process that runs pytest
    other = tmp_path / "not-a-result"
    for folder in (dead, alive, other):
        folder.mkdir()
        (folder / ondisk.FILE_NAME).write_bytes(b"x")
    new = ondisk.make_scratch_folder(tmp_path)
    assert not dead.exists()
    assert alive.exists() and other.exists()
    assert new.name.startswith(f"{ondisk.SCRATCH_PREFIX}{os.getpid()}-")


def test_the_file_is_in_batches_of_batch_rows_whatever_the_rounds_of_the_merge(tmp_path, monkeypatch):
    """A painted block must touch one or two batches: rounds of 3, 1500, 7 and 2433 rows
    become batches of 1000, 1000, 1000 and 943, in order."""
    monkeypatch.setattr(ondisk, "BATCH_ROWS", 1000)
    schema = pa.schema([("n", pa.int64())])
    sizes, start, tables = [3, 1500, 7, 2433], 0, []
    for size in sizes:
        tables.append(pa.table({"n": pa.array(range(start, start + size), pa.int64())}))
        start += size
    folder = tmp_path / "r"
    folder.mkdir()
    with ondisk.write_result(tables, schema, start, export_type("message"), folder) as result:
        assert [len(b) for b in result.table.column(0).chunks] == [1000, 1000, 1000, 943]
        assert result.table.column(0).to_pylist() == list(range(start))
