"""The staged import (sparkdesk/dump/staged.py) gives the Dump the import in memory gives.

A large dump is read a block at a time into its cache entry, and only its slim columns
are combined in memory. Every test here forces it on a small dump (any size is staged,
blocks of a few KiB, so a file is many blocks) and compares it with ``load_dumps(...,
cache=False)``: every table with its dtypes, the report (rejected rows with their lines
and raw text, warnings, counts), the snapshot, the time span and the channels.
"""

from __future__ import annotations

import os
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dumpkit import conv, event, inbound, message_tag, reply, write_dump
from hypothesis import given, settings
from strategies import dump_specs, split_spec, write_spec

from sparkdesk.dump import DumpRefused, buckets, cache, load_dumps, staged, store
from sparkdesk.dump.cache import LazyTables
from sparkdesk.tasks import Cancelled, CancelToken

SMALL_BLOCK = 4096
SMALL_BUCKET = 2048  # of input per bucket: a test dump's largest tables get several


@pytest.fixture
def staging(monkeypatch, tmp_path):
    """Every dump staged, in blocks of ``SMALL_BLOCK`` bytes, into an empty cache."""
    monkeypatch.setattr(staged, "STAGED_MIN_BYTES", 0)
    monkeypatch.setattr(staged, "BLOCK_BYTES", SMALL_BLOCK)
    monkeypatch.setattr(buckets, "BUCKET_INPUT_BYTES", SMALL_BUCKET)
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    return tmp_path / "cache"


def assert_same_dump(expected, got) -> None:
    assert list(got.tables) == list(expected.tables)
    for name in expected.tables:
        pd.testing.assert_frame_equal(got.tables[name], expected.tables[name], check_exact=True, obj=name)
    pd.testing.assert_frame_equal(got.report.rejected, expected.report.rejected, obj="rejected")
    pd.testing.assert_frame_equal(got.report.warnings, expected.report.warnings, obj="warnings")
    assert got.report.stats == expected.report.stats
    assert got.report.ignored_files == expected.report.ignored_files
    read_now = expected.report.warnings["reason"].str.contains("the snapshot is the time of reading").any()
    assert got.snapshot == expected.snapshot or read_now  # "now" is a little later the second time
    assert got.time_span() == expected.time_span()
    pd.testing.assert_frame_equal(_missing_as_none(got.channels()), _missing_as_none(expected.channels()))
    assert (got.organization, got.url_template, got.sources) == (
        expected.organization,
        expected.url_template,
        expected.sources,
    )


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Channels only known from conversations have no medium or name: ``pd.NA`` in memory,
    None once through any cache entry (staged or not). Both are a missing value."""
    return frame.astype(object).where(frame.notna(), None)


def load_both(paths: list[Path]):
    """(in memory, staged); the staged one is checked to come from the cache entry it wrote."""
    in_memory = load_dumps(paths, cache=False)
    got = load_dumps(paths)
    assert isinstance(got.tables, LazyTables) and got.store is not None, "not staged"
    assert got.tables.opened() == []  # nothing read yet: the entry is opened, not loaded
    assert_same_index(got.store, store.build_index(in_memory.tables))
    return in_memory, got


def assert_same_index(saved: store.Store, expected: dict) -> None:
    """The staged entry's index (built from its buckets) is the index of the tables in memory."""
    for name, values in expected.items():
        got = saved.array(name)
        assert got.dtype == values.dtype, name
        np.testing.assert_array_equal(got, values, err_msg=name)


def no_temporary_folders(root: Path) -> bool:
    return not root.exists() or not any(p.name.startswith(".tmp-") for p in root.glob("dumps/*"))


def test_the_conformance_dump_staged_is_the_dump_read_in_memory(staging):
    from conftest import CONFORMANCE

    if not CONFORMANCE.exists():
        pytest.skip("the conformance sets are not next to this checkout")
    assert_same_dump(*load_both([CONFORMANCE / "dump"]))
    assert no_temporary_folders(staging)


def test_the_demo_staged_from_a_zip_is_the_demo_read_in_memory(staging, tmp_path):
    from sparkdesk.demo import write_demo

    path = write_demo(tmp_path / "demo", conversations=300, seed=3, as_zip=True)
    expected, got = load_both([path])
    assert_same_dump(expected, got)
    assert len(got.tables["messages"]) > 1000  # many blocks of SMALL_BLOCK bytes


def _duplicates_and_orphans(folder: Path, later: bool = False, **manifest) -> Path:
    """Duplicated keys (the last read wins), orphans that cascade, events without an id
    that repeat or differ only in a payload cell, unknown references, naive timestamps."""
    t = "10:00:05.000Z" if not later else "10:00:09.000Z"
    return write_dump(
        folder,
        {
            "conversations": [
                conv("c1"),
                conv("c2"),
                conv("c1", channel="ch2"),
                conv("c9", contact="k-unknown"),
            ],
            "messages": [
                inbound("m1", "c1", "2025-03-03T10:00:00.000Z"),
                inbound("m1", "c1", "2025-03-03T10:00:01.000Z"),  # replaces the first m1
                inbound("m2", "c-missing", "2025-03-03T10:00:02.000Z"),  # orphan
                reply("m3", "c2", f"2025-03-03T{t}", "u1", content="hello, again"),
                inbound("m4", "c2", "2025-03-03 10:00:06"),  # naive
            ],
            "conversation_events": [
                event("c1", "2025-03-03T10:00:00.000Z", "QUEUED", event_id=None, started_by="CONTACT"),
                event("c1", "2025-03-03T10:00:00.000Z", "QUEUED", event_id=None, started_by="CONTACT"),
                event("c1", "2025-03-03T10:00:00.000Z", "QUEUED", event_id=None, started_by="AGENT"),
                event("c2", "2025-03-03T10:00:03.000Z", "LOCKED", event_id="e1", user_id="u1"),
                event("c2", "2025-03-03T10:00:04.000Z", "LOCKED", event_id="e1", user_id="u-unknown"),
            ],
            "message_tags": [
                message_tag("m2", "t1", "2025-03-03T10:00:03.000Z"),  # its message is an orphan
                message_tag("m3", "t1", "2025-03-03T10:00:07.000Z"),
            ],
        },
        **manifest,
    )


@pytest.mark.parametrize("bucket_bytes", [SMALL_BUCKET, 1])
def test_duplicates_orphans_and_keyless_events_are_found_as_in_memory(
    staging, tmp_path, monkeypatch, bucket_bytes
):
    """With one byte of input per bucket, every row of the largest tables is in a bucket
    of its own unless a row it is compared with hashes alike (buckets.py)."""
    monkeypatch.setattr(buckets, "BUCKET_INPUT_BYTES", bucket_bytes)
    expected, got = load_both([_duplicates_and_orphans(tmp_path / "d")])
    assert_same_dump(expected, got)
    stats = got.report.stats
    assert stats["messages"].duplicates == 1 and stats["messages"].rejected == 1
    assert stats["message_tags"].rejected == 1  # cascades from its orphan message
    assert stats["conversation_events"].duplicates == 2  # one keyless twin, one e1; not the AGENT one


def test_a_dump_without_a_snapshot_takes_its_latest_time_from_the_buckets(staging, tmp_path, monkeypatch):
    """No snapshot_at: the snapshot is the latest time of the rows kept, here a message's
    updated_at (10:00:09), which only the messages' buckets hold; the later m9 is an orphan."""
    monkeypatch.setattr(buckets, "BUCKET_INPUT_BYTES", 1)
    folder = write_dump(
        tmp_path / "d",
        {
            "conversations": [conv("c1", created_at="2025-03-03T09:00:00.000Z")],
            "messages": [
                inbound("m1", "c1", "2025-03-03T10:00:00.000Z"),
                inbound("m5", "c1", "2025-03-03T10:00:04.000Z", updated_at="2025-03-03T10:00:09.000Z"),
                inbound("m9", "c-missing", "2025-03-03T11:00:00.000Z"),
            ],
            "conversation_events": [
                event("c1", "2025-03-03T10:00:01.000Z", "QUEUED", event_id="e1", started_by="CONTACT"),
            ],
            "message_tags": [message_tag("m1", "t1", "2025-03-03T10:00:02.000Z")],
        },
        snapshot_at=None,
    )
    expected, got = load_both([folder])
    assert_same_dump(expected, got)
    assert got.snapshot == pd.Timestamp("2025-03-03T10:00:09Z")


def test_what_comes_after_the_snapshot_is_cut_with_its_tags_in_buckets(staging, tmp_path, monkeypatch):
    """A message after the snapshot goes with its tag (dated before it), and a conversation
    created after it goes with its messages and events, whatever bucket they are in."""
    monkeypatch.setattr(buckets, "BUCKET_INPUT_BYTES", 1)
    folder = write_dump(
        tmp_path / "d",
        {
            "conversations": [
                conv("c1", created_at="2025-03-03T09:00:00.000Z"),
                conv("c2", created_at="2025-03-03T10:00:08.000Z"),
            ],
            "messages": [
                inbound("m1", "c1", "2025-03-03T10:00:00.000Z"),
                inbound("m5", "c1", "2025-03-03T10:00:09.000Z"),  # after the snapshot
                inbound("m6", "c2", "2025-03-03T10:00:08.500Z"),  # of c2, after too
            ],
            "conversation_events": [
                event("c1", "2025-03-03T10:00:01.000Z", "QUEUED", event_id="e1", started_by="CONTACT"),
                event("c2", "2025-03-03T10:00:01.000Z", "QUEUED", event_id="e2", started_by="CONTACT"),
            ],
            "message_tags": [
                message_tag("m1", "t1", "2025-03-03T10:00:02.000Z"),
                message_tag("m5", "t1", "2025-03-03T10:00:03.000Z"),  # before it, but of m5
            ],
        },
        snapshot_at="2025-03-03T10:00:05.000Z",
    )
    expected, got = load_both([folder])
    assert_same_dump(expected, got)
    stats = got.report.stats
    assert stats["conversations"].after_snapshot == 1  # c2
    assert stats["messages"].after_snapshot == 2  # m5, m6
    assert stats["conversation_events"].after_snapshot == 1  # e2, of c2
    assert stats["message_tags"].after_snapshot == 1  # m5's
    assert list(got.tables["messages"]["message_id"]) == ["m1"]


def test_several_dumps_staged_together(staging, tmp_path):
    a = _duplicates_and_orphans(tmp_path / "a")
    b = _duplicates_and_orphans(tmp_path / "b", later=True)
    assert_same_dump(*load_both([a, b]))


def test_a_timestamp_of_another_form_deep_in_a_file_restarts_it_as_text(staging, tmp_path):
    """pyarrow parses the first blocks' timestamps itself; a later cell of another form
    fails the read mid-file, which starts again as text (parse.RESTART)."""
    rows = [inbound(f"m{i}", "c1", f"2025-03-03T10:{i // 60 % 60:02d}:{i % 60:02d}.000Z") for i in range(400)]
    rows.append(inbound("m-late", "c1", "03/03/2025 10:00"))  # not a timestamp: rejected
    rows.append(inbound("m-naive", "c1", "2025-03-03 11:00:00"))
    folder = write_dump(tmp_path / "d", {"conversations": [conv("c1")], "messages": rows})
    assert os.path.getsize(folder / "messages.csv") > 4 * SMALL_BLOCK
    expected, got = load_both([folder])
    assert_same_dump(expected, got)
    assert got.report.stats["messages"].rejected == 1
    assert len(got.tables["messages"]) == 401


def test_a_refused_dump_is_refused_in_the_same_words(staging, tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "messages.csv").write_bytes(b"message_id,conversation_id\n\xff\xfe,1\n")
    with pytest.raises(DumpRefused) as in_memory:
        load_dumps([folder], cache=False)
    with pytest.raises(DumpRefused) as got:
        load_dumps([folder])
    assert str(got.value) == str(in_memory.value)
    assert no_temporary_folders(staging)


def test_a_record_longer_than_a_block_is_imported_in_memory_instead(staging, tmp_path, monkeypatch):
    monkeypatch.setattr(staged, "BLOCK_BYTES", 1024)
    long_text = "x" * 5000
    folder = write_dump(
        tmp_path / "d",
        {
            "conversations": [conv("c1")],
            "messages": [inbound("m1", "c1", "2025-03-03T10:00:00.000Z", content=long_text)],
        },
    )
    got = load_dumps([folder])
    assert got.store is None  # the import in memory, saved to the cache as before
    assert got.tables["messages"]["content"].tolist() == [long_text]
    assert no_temporary_folders(staging)
    again = load_dumps([folder])
    assert again.store is not None and again.tables["messages"]["content"].tolist() == [long_text]


def test_no_room_on_the_disk_imports_in_memory(staging, tmp_path, monkeypatch):
    monkeypatch.setattr(cache.CacheEntry, "room_for", lambda self, need: False)
    got = load_dumps([_duplicates_and_orphans(tmp_path / "d")])
    assert got.store is None and len(got.tables["messages"]) == 3


def test_a_cancelled_staged_import_leaves_nothing_behind(staging, tmp_path):
    from sparkdesk.demo import write_demo

    path = write_demo(tmp_path / "demo", conversations=200, seed=1)
    token = CancelToken()
    seen = []

    def progress(fraction: float, text: str) -> None:
        seen.append(text)
        if "messages" in text:
            token.cancel()

    with pytest.raises(Cancelled):
        load_dumps([path], progress, token)
    assert any("messages" in t for t in seen)
    assert no_temporary_folders(staging)
    assert not [t for t in threading.enumerate() if t.name == "sparkdesk-read-ahead"]  # the read stopped
    assert not list(staging.glob("dumps/*/manifest.json"))


@pytest.mark.parametrize("step", ["Removing duplicates and orphans", "Applying the snapshot"])
def test_cancel_while_the_buckets_are_combined_stops_both_threads(staging, tmp_path, monkeypatch, step):
    from sparkdesk.demo import write_demo

    monkeypatch.setattr(buckets, "BUCKET_INPUT_BYTES", 1024)  # dozens of buckets
    path = write_demo(tmp_path / "demo", conversations=200, seed=1)
    token = CancelToken()

    def progress(fraction: float, text: str) -> None:
        if text.startswith(step):
            token.cancel()

    with pytest.raises(Cancelled):
        load_dumps([path], progress, token)
    assert no_temporary_folders(staging)
    assert not [t for t in threading.enumerate() if t.name.startswith("sparkdesk-buckets")]
    assert not list(staging.glob("dumps/*/manifest.json"))


def test_the_rows_read_are_counted_block_by_block(staging, tmp_path, monkeypatch):
    """The command line's rows per second follow the count inside a long file, not only
    between files."""
    from sparkdesk.demo import write_demo
    from sparkdesk.tasks import Progress

    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    path = write_demo(tmp_path / "demo", conversations=200, seed=1)
    texts = []
    load_dumps([path], lambda f, t: texts.append(t))
    shown = [t for t in texts if t.startswith("Imported up to")]
    counts = [int(t.split("row ")[1].split(":")[0].replace(",", "")) for t in shown]
    assert counts == sorted(counts)
    during = {c for c, t in zip(counts, shown, strict=True) if t.endswith("messages.csv") and "reading" in t}
    assert len(during) > 3


@settings(max_examples=max(settings.default.max_examples // 2, 10), deadline=None)
@given(spec=dump_specs())
def test_drawn_dumps_staged_are_the_dumps_read_in_memory(spec):
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_spec(spec, Path(tmp) / "dump")
        with _forced(Path(tmp) / "cache"):
            try:
                expected = load_dumps([folder], cache=False)
            except DumpRefused as err:
                with pytest.raises(DumpRefused) as again:
                    load_dumps([folder])
                assert str(again.value) == str(err)
                return
            got = load_dumps([folder])
            assert got.store is not None, "not staged"
            assert_same_dump(expected, got)


@settings(max_examples=max(settings.default.max_examples // 4, 5), deadline=None)
@given(spec=dump_specs(), data=dump_specs())
def test_drawn_pairs_of_dumps_staged_together(spec, data):
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a", Path(tmp) / "b"
        split_spec(spec, {}, a, b)
        c = write_spec(data, Path(tmp) / "c")
        with _forced(Path(tmp) / "cache"):
            try:
                expected = load_dumps([a, c], cache=False)
            except DumpRefused:
                return
            got = load_dumps([a, c])
            assert got.store is not None, "not staged"
            assert_same_dump(expected, got)


class _forced:
    """Staging forced, into ``folder``, for one Hypothesis example (fixtures are per test)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> None:
        self.saved = (
            staged.STAGED_MIN_BYTES,
            staged.BLOCK_BYTES,
            buckets.BUCKET_INPUT_BYTES,
            os.environ.get(cache.ENV_VAR),
        )
        staged.STAGED_MIN_BYTES, staged.BLOCK_BYTES, buckets.BUCKET_INPUT_BYTES = 0, 64 * 1024, 256
        os.environ[cache.ENV_VAR] = str(self.folder)

    def __exit__(self, *exc) -> None:
        staged.STAGED_MIN_BYTES, staged.BLOCK_BYTES, buckets.BUCKET_INPUT_BYTES, env = self.saved
        if env is None:
            os.environ.pop(cache.ENV_VAR, None)
        else:
            os.environ[cache.ENV_VAR] = env


def test_zip_members_are_read_in_blocks_too(staging, tmp_path):
    folder = _duplicates_and_orphans(tmp_path / "d")
    archive = tmp_path / "d.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, f"export/{p.name}")
    assert_same_dump(*load_both([archive]))


def test_an_input_changing_while_it_is_staged_is_read_again_and_not_saved(staging, tmp_path, monkeypatch):
    """The entry would not be of the files as they are now: the import in memory reads
    them again (and, the key having moved, saves nothing either)."""
    folder = _duplicates_and_orphans(tmp_path / "d")
    real = staged.read_blocks

    def read_then_change(tf, meter, block_bytes):
        yield from real(tf, meter, block_bytes)
        if tf.table == "messages":
            path = folder / "messages.csv"
            width = len(path.read_text(encoding="utf-8").splitlines()[0].split(","))
            with open(path, "a", encoding="utf-8") as fh:
                fh.write("m9,c1,2025-03-03T10:00:09.000Z,INBOUND" + "," * (width - 4) + "\n")

    monkeypatch.setattr(staged, "read_blocks", read_then_change)
    got = load_dumps([folder])
    assert got.store is None and "m9" in set(got.tables["messages"]["message_id"])
    assert not list(staging.glob("dumps/*/manifest.json"))
    assert no_temporary_folders(staging)
