"""The dump cache: a re-open gives back exactly the first load, and any change to an input misses.

Every test here points ``SPARKDESK_CACHE_DIR`` at its own temporary folder, so nothing
is written into the real user cache. Whether a load was answered from the cache is seen
by counting calls to the reader's file parser (``reader.read_file``).
"""

from __future__ import annotations

import json
import os
import threading
import time
import zipfile
from pathlib import Path

import pandas as pd
import platformdirs
import pytest

from sparkdesk.dump import DumpRefused, load_dumps, reader, staged
from sparkdesk.dump import cache as dump_cache
from sparkdesk.tasks import Cancelled, CancelToken

CONV = "conversation_id,channel_id,contact_id,created_at,language,extra\n"
MESSY = {
    "manifest.json": json.dumps(
        {
            "version": 1,
            "snapshot_at": "2025-03-20T00:00:00Z",
            "organization": "Acme",
            "conversation_url_template": "https://x.example/c/{conversation_id}",
        }
    ),
    "channels.csv": "channel_id,medium,name\nch1,WHATSAPP,Support\n",
    "users.csv": "user_id,name\nu1,Ana\n",
    "conversations.csv": CONV
    + "c1,ch1,k1,2025-03-10T10:00:00Z,en,x\n"
    + "c2,ch1,k1,2025-03-10T10:00:00,,x\n"  # naive timestamp: a warning
    + "c3,,k1,2025-03-10T10:00:00Z,,\n"  # required cell empty: rejected
    + "c1,ch1,k1,2025-03-10T10:00:00Z,es,y\n"  # duplicate: the last one wins
    + "c4,ch1,k1,2025-03-25T10:00:00Z,,\n",  # after the snapshot
    "messages.csv": "message_id,conversation_id,created_at,direction,user_id\n"
    + "m1,c1,2025-03-10T10:01:00Z,inbound,\n"
    + "m2,c1,2025-03-10T10:02:00Z,OUTBOUND,u9\n"  # unknown user: a warning
    + "m3,c9,2025-03-10T10:02:00Z,INBOUND,\n",  # orphan: rejected
    "business_hours.csv": "channel_id,timezone,weekday,start,end\nch1,Europe/Madrid,monday,09:00,24:00\n",
    "holidays.csv": "channel_id,date,name\nch1,2025-03-19,San José\n",
    "topics.csv": "topic_id,name,active\nt1,Billing,no\nt2,Other,\n",
    "csat_surveys.csv": "conversation_id,sent_at,score\nc1,2025-03-10T11:00:00Z,5\nc1,2025-03-11T11:00:00Z,\n",
    "users-2.csv": 'user_id,name\n"u5,Eve\nu6\n',  # a record that cannot be split
    "notes.txt": "not a table",  # ignored
}
CLEAN = {
    "conversations.csv": "conversation_id,channel_id,contact_id,created_at\nc1,ch1,k1,2025-03-10T10:00:00Z\n",
}
# no manifest and a row in the year 2300: the snapshot is past what nanoseconds can hold
FAR = {
    "conversations.csv": "conversation_id,channel_id,contact_id,created_at\nc1,ch1,k1,2300-03-10T10:00:00Z\n",
}


@pytest.fixture(autouse=True)
def cache_dir(tmp_path_factory, monkeypatch) -> Path:
    """This test's own cache folder (``$SPARKDESK_CACHE_DIR``); entries live in ``dumps/``."""
    base = tmp_path_factory.mktemp("sparkdesk-cache")
    monkeypatch.setenv(dump_cache.ENV_VAR, str(base))
    return base / "dumps"


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """Labels of the files the reader parsed (none when a load comes from the cache)."""
    seen: list[str] = []
    real = reader.read_file

    def counting(tf, meter=None):
        seen.append(tf.label)
        return real(tf, meter)

    def counting_blocks(tf, meter, block_bytes):  # a staged import (pytest --staged)
        seen.append(tf.label)
        return real_blocks(tf, meter, block_bytes)

    real_blocks = staged.read_blocks
    monkeypatch.setattr(reader, "read_file", counting)
    monkeypatch.setattr(staged, "read_blocks", counting_blocks)
    return seen


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.iterdir()) if cache_dir.is_dir() else []


def assert_same_dump(a, b) -> None:
    """Equal tables (values, dtypes, column order, index), snapshot, report and the rest."""
    assert list(a.tables) == list(b.tables)
    for name in a.tables:
        x, y = a.tables[name], b.tables[name]
        pd.testing.assert_frame_equal(x, y, check_exact=True, check_index_type=True)
        assert [str(t) for t in x.dtypes] == [str(t) for t in y.dtypes], name
        assert list(x.dtypes) == list(y.dtypes), name
    for frame in ("rejected", "warnings"):
        x, y = getattr(a.report, frame), getattr(b.report, frame)
        pd.testing.assert_frame_equal(x, y, check_exact=True, check_index_type=True)
        assert list(x.dtypes) == list(y.dtypes), frame
    assert a.report.stats == b.report.stats
    assert a.report.ignored_files == b.report.ignored_files
    assert a.snapshot == b.snapshot
    assert (a.snapshot.unit, str(a.snapshot.tz)) == (b.snapshot.unit, str(b.snapshot.tz))
    assert (a.sources, a.organization, a.url_template) == (b.sources, b.organization, b.url_template)


# ---------------------------------------------------------------- hits


@pytest.mark.parametrize("files", [MESSY, CLEAN, FAR], ids=["messy", "clean", "year-2300"])
def test_second_load_comes_from_the_cache_and_equals_the_first(tmp_path, cache_dir, monkeypatch, files):
    root = write(tmp_path / "d", files)
    first = load_dumps([root])
    assert len(entries(cache_dir)) == 1

    def no_parsing(tf):
        raise AssertionError(f"{tf.label} was parsed again: the cache was not used")

    monkeypatch.setattr(reader, "read_file", no_parsing)
    second = load_dumps([root])
    assert_same_dump(first, second)
    monkeypatch.undo()
    assert_same_dump(load_dumps([root], cache=False), second)


def test_a_save_in_the_background_is_the_same_entry(tmp_path, cache_dir, monkeypatch):
    """The window gets its dump before the cache entry is written; the entry is the same."""
    from sparkdesk.dump import wait_for_saves
    from sparkdesk.dump.cache import CacheEntry

    root = write(tmp_path / "d", MESSY)
    real_store = CacheEntry.store
    may_save = threading.Event()

    def held_store(self, dump, prog):
        assert may_save.wait(10)
        return real_store(self, dump, prog)

    monkeypatch.setattr(CacheEntry, "store", held_store)
    first = load_dumps([root], save_in_background=True)
    assert entries(cache_dir) == []  # returned while the save waits
    may_save.set()
    assert wait_for_saves(30)
    assert len(entries(cache_dir)) == 1
    monkeypatch.setattr(reader, "read_file", lambda tf, meter=None: pytest.fail("parsed again"))
    assert_same_dump(first, load_dumps([root]))


def test_a_background_save_stopped_at_exit_leaves_no_temporary_folder(tmp_path, cache_dir, monkeypatch):
    """Leaving SparkDesk while the cache is still being written stops the save, which
    removes its half-written folder; a daemon thread killed mid-write left it behind."""
    from sparkdesk.dump import cache, cancel_saves

    root = write(tmp_path / "d", MESSY)
    writing = threading.Event()

    def endless_write(tbl, path, prog, lo, hi, text):
        writing.set()
        while True:  # as a very large table would: progress (and the Cancel check) between batches
            prog.step(lo, text)
            time.sleep(0.01)

    monkeypatch.setattr(cache, "_write_arrow", endless_write)
    load_dumps([root], save_in_background=True)
    assert writing.wait(10)
    assert [p.name for p in cache_dir.iterdir() if p.name.startswith(".tmp-")]
    assert cancel_saves(10)
    assert list(cache_dir.iterdir()) == []


def test_leaving_python_during_a_background_save_cleans_up(tmp_path, cache_dir):
    """The same, for real: a process that ends while its save is under way."""
    import subprocess
    import sys
    import textwrap

    root = write(tmp_path / "d", MESSY)
    code = textwrap.dedent(
        f"""
        import threading, time
        from sparkdesk.dump import cache, load_dumps
        writing = threading.Event()
        def endless_write(tbl, path, prog, lo, hi, text):
            writing.set()
            while True:
                prog.step(lo, text)
                time.sleep(0.01)
        cache._write_arrow = endless_write
        load_dumps([{str(root)!r}], save_in_background=True)
        assert writing.wait(10)
        print("writing", flush=True)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "writing"
    assert list(cache_dir.iterdir()) == []


def test_messy_dump_really_exercises_every_dtype_and_the_report(tmp_path):
    """Guards the equality test above: the messy dump has all of it."""
    d = load_dumps([write(tmp_path / "d", MESSY)], cache=False)
    dtypes = {str(t) for df in d.tables.values() for t in df.dtypes}
    assert {"str", "int64", "Int64", "bool", "datetime64[ms, UTC]"} <= dtypes
    r = d.report
    assert len(r.rejected) >= 3 and len(r.warnings) >= 4 and r.ignored_files
    assert d.report.stats["conversations"].after_snapshot == 1
    assert d.report.stats["conversations"].duplicates == 1


def test_zip_and_loose_files_are_cached_too(tmp_path, reads):
    z = tmp_path / "d.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for name, data in MESSY.items():
            zf.writestr(f"export/{name}", data)
    loose = write(tmp_path / "loose", CLEAN)
    paths = [z, loose / "conversations.csv"]
    first = load_dumps(paths)
    n = len(reads)
    second = load_dumps(paths)
    assert len(reads) == n
    assert_same_dump(first, second)


def test_progress_reaches_the_end_on_a_hit(tmp_path):
    root = write(tmp_path / "d", MESSY)
    load_dumps([root])
    seen: list[tuple[float, str]] = []
    load_dumps([root], progress=lambda f, text: seen.append((f, text)))
    assert seen[-1][0] == 1.0


def test_cache_false_bypasses_the_cache(tmp_path, cache_dir, reads):
    root = write(tmp_path / "d", MESSY)
    load_dumps([root], cache=False)
    assert entries(cache_dir) == []
    load_dumps([root])
    n = len(reads)
    load_dumps([root], cache=False)
    assert len(reads) > n


# ---------------------------------------------------------------- misses


def _change_content_same_size_and_mtime(root: Path) -> None:
    p = root / "conversations.csv"
    st = p.stat()
    p.write_bytes(p.read_bytes().replace(b",en,", b",fr,"))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert p.stat().st_size == st.st_size and p.stat().st_mtime_ns == st.st_mtime_ns


def _change_size(root: Path) -> None:
    with open(root / "conversations.csv", "a", encoding="utf-8") as fh:
        fh.write("c5,ch1,k1,2025-03-10T12:00:00Z,,\n")


def _touch(root: Path) -> None:
    p = root / "conversations.csv"
    st = p.stat()
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def _add_file(root: Path) -> None:
    (root / "readme.md").write_text("an extra file: listed as ignored")


def _remove_file(root: Path) -> None:
    (root / "notes.txt").unlink()


def _change_end_of_big_file_same_size_and_mtime(root: Path) -> None:
    """A file larger than the two samples: a change in its last 64 KiB is seen."""
    p = root / "conversations.csv"
    st = p.stat()
    data = p.read_bytes()
    assert data.endswith(b",en,x\n")
    p.write_bytes(data[:-5] + b"fr,x\n")
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize(
    "change",
    [
        _change_content_same_size_and_mtime,
        _change_size,
        _touch,
        _add_file,
        _remove_file,
    ],
)
def test_any_change_to_an_input_file_misses(tmp_path, reads, change):
    root = write(tmp_path / "d", MESSY)
    load_dumps([root])
    change(root)
    n = len(reads)
    again = load_dumps([root])
    assert len(reads) > n, "the changed dump was answered from the cache"
    assert_same_dump(again, load_dumps([root], cache=False))


def test_change_near_the_end_of_a_large_file_misses(tmp_path, reads):
    rows = "".join(f"c{i},ch1,k1,2025-03-10T10:00:00Z,en,x\n" for i in range(10_000))
    root = write(tmp_path / "d", {"conversations.csv": CONV + rows})
    assert (root / "conversations.csv").stat().st_size > 2 * dump_cache.SAMPLE_BYTES
    load_dumps([root])
    _change_end_of_big_file_same_size_and_mtime(root)
    n = len(reads)
    d = load_dumps([root])
    assert len(reads) > n
    assert d.tables["conversations"]["language"].iloc[-1] == "fr"


def test_changing_the_order_of_dumps_misses(tmp_path, reads):
    a = write(tmp_path / "a", MESSY)
    b = write(tmp_path / "b", {"conversations.csv": CONV + "c1,ch1,k1,2025-03-10T10:00:00Z,de,z\n"})
    ab = load_dumps([a, b])
    n = len(reads)
    ba = load_dumps([b, a])
    assert len(reads) > n
    assert ab.tables["conversations"]["language"].tolist() != ba.tables["conversations"]["language"].tolist()
    n = len(reads)
    assert_same_dump(load_dumps([a, b]), ab)  # each order has its own entry
    assert len(reads) == n


def test_changing_a_zip_member_misses(tmp_path, reads):
    z = tmp_path / "d.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("conversations.csv", CLEAN["conversations.csv"])
    load_dumps([z])
    st = z.stat()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("conversations.csv", CLEAN["conversations.csv"].replace("k1", "k2"))
    os.utime(z, ns=(st.st_atime_ns, st.st_mtime_ns))
    n = len(reads)
    d = load_dumps([z])
    assert len(reads) > n
    assert d.tables["conversations"]["contact_id"].tolist() == ["k2"]


def test_a_new_cache_version_or_limit_misses(tmp_path, reads, monkeypatch):
    root = write(tmp_path / "d", MESSY)
    load_dumps([root])
    n = len(reads)
    load_dumps([root], max_unpacked_bytes=2**30)
    assert len(reads) > n
    monkeypatch.setattr(dump_cache, "CACHE_VERSION", dump_cache.CACHE_VERSION + 1)
    n = len(reads)
    load_dumps([root])
    assert len(reads) > n
    n = len(reads)
    load_dumps([root])
    assert len(reads) == n


def test_an_input_changing_while_it_is_read_is_not_saved(tmp_path, cache_dir, monkeypatch):
    root = write(tmp_path / "d", MESSY)
    real = reader.read_file

    def read_then_change(tf, meter=None):
        out = real(tf, meter)
        if tf.table == "conversations":
            _change_size(root)
        return out

    monkeypatch.setattr(reader, "read_file", read_then_change)
    load_dumps([root])
    assert entries(cache_dir) == []


# ---------------------------------------------------------------- never fatal


def _truncate(entry: Path) -> None:
    p = entry / "conversations.arrow"
    p.write_bytes(p.read_bytes()[:-100])


def _garble_footer(entry: Path) -> None:
    p = entry / "messages.arrow"
    data = bytearray(p.read_bytes())
    data[-64:] = b"\xff" * 64
    p.write_bytes(bytes(data))


def _garble_manifest(entry: Path) -> None:
    (entry / "manifest.json").write_text("{not json")


def _drop_a_file(entry: Path) -> None:
    (entry / "_warnings.arrow").unlink()


def _lie_about_dtypes(entry: Path) -> None:
    m = json.loads((entry / "manifest.json").read_text())
    m["frames"]["conversations"]["dtypes"][0] = "Int64"
    (entry / "manifest.json").write_text(json.dumps(m))


def _replace_with_other_table(entry: Path) -> None:
    (entry / "users.arrow").write_bytes((entry / "channels.arrow").read_bytes())


@pytest.mark.parametrize(
    "damage",
    [_truncate, _garble_footer, _garble_manifest, _drop_a_file, _lie_about_dtypes, _replace_with_other_table],
)
def test_a_corrupt_entry_is_rebuilt(tmp_path, cache_dir, reads, damage):
    root = write(tmp_path / "d", MESSY)
    first = load_dumps([root])
    (entry,) = entries(cache_dir)
    damage(entry)
    n = len(reads)
    again = load_dumps([root])
    assert len(reads) > n
    assert_same_dump(first, again)
    n = len(reads)
    assert_same_dump(first, load_dumps([root]))  # rebuilt: a hit again
    assert len(reads) == n


def test_an_unwritable_cache_folder_costs_only_the_cache(tmp_path, monkeypatch, reads):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(dump_cache.ENV_VAR, str(blocker))
    root = write(tmp_path / "d", MESSY)
    first = load_dumps([root])
    n = len(reads)
    assert_same_dump(first, load_dumps([root]))
    assert len(reads) > n


def test_a_refused_dump_is_not_cached(tmp_path, cache_dir):
    root = write(tmp_path / "d", {"conversations.csv": "conversation_id,channel_id\nc1,ch1\n"})
    with pytest.raises(DumpRefused):
        load_dumps([root])
    late = write(
        tmp_path / "late",
        {**CLEAN, "manifest.json": json.dumps({"version": 1, "snapshot_at": "yesterday"})},
    )
    with pytest.raises(DumpRefused, match="snapshot_at"):  # refused after every file was read
        load_dumps([late])
    with pytest.raises(DumpRefused, match="does not exist"):
        load_dumps([tmp_path / "missing"])
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []


def test_a_load_cancelled_while_saving_leaves_nothing(tmp_path, cache_dir, monkeypatch):
    root = write(tmp_path / "d", MESSY)
    token = CancelToken()

    def cancel_when_saving(fraction: float, text: str) -> None:
        if text.startswith("Saving"):
            token.cancel()

    with pytest.raises(Cancelled):
        load_dumps([root], progress=cancel_when_saving, cancel=token)
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []


def test_a_cancelled_reopen_raises(tmp_path):
    root = write(tmp_path / "d", MESSY)
    load_dumps([root])
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        load_dumps([root], cancel=token)


# ---------------------------------------------------------------- where, and how much


def test_the_env_var_chooses_the_folder(tmp_path, cache_dir, monkeypatch):
    root = write(tmp_path / "d", CLEAN)
    load_dumps([root])
    (entry,) = entries(cache_dir)
    assert (entry / "manifest.json").is_file()
    assert dump_cache.cache_root() == cache_dir
    monkeypatch.delenv(dump_cache.ENV_VAR)
    expected = Path(platformdirs.user_cache_dir("SparkDesk", appauthor=False)) / "dumps"
    assert dump_cache.cache_root() == expected


def test_pruning_keeps_the_most_recently_used_entries(tmp_path, cache_dir, monkeypatch, reads):
    monkeypatch.setattr(dump_cache, "MAX_ENTRIES", 2)
    roots = [write(tmp_path / f"d{i}", CLEAN) for i in range(3)]
    load_dumps([roots[0]])
    load_dumps([roots[1]])
    os.utime(next(e for e in entries(cache_dir)) / "manifest.json", (1, 1))  # make one look old
    old = {e.name for e in entries(cache_dir) if (e / "manifest.json").stat().st_mtime == 1}
    load_dumps([roots[2]])
    left = {e.name for e in entries(cache_dir)}
    assert len(left) == 2 and not (old & left)


def test_pruning_honours_the_size_cap_and_clears_stale_temporaries(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setattr(dump_cache, "MAX_BYTES", 1)
    stale = cache_dir / ".tmp-crashed-write"
    stale.mkdir(parents=True)
    os.utime(stale, (1, 1))
    junk = cache_dir / "no-manifest"
    junk.mkdir()
    for i in range(2):
        load_dumps([write(tmp_path / f"d{i}", CLEAN)])
    (entry,) = entries(cache_dir)  # only the newest, even though it is over the cap
    assert (entry / "manifest.json").is_file()


def test_clear_deletes_every_saved_dump_and_says_how_much(tmp_path, cache_dir):
    """ "Delete saved copies": the cache keeps customer data; clearing it leaves nothing
    behind, reports the bytes freed, and the next open reads the files again."""
    a = write(tmp_path / "a", MESSY)
    b = write(tmp_path / "b", {"channels.csv": "channel_id,medium,name\nch1,WA,A\n"})
    load_dumps([a])
    load_dumps([b])
    assert len(entries(cache_dir)) == 2
    held = dump_cache.stored_bytes(cache_dir)
    assert held > 0
    assert dump_cache.clear(cache_dir) == held
    assert list(cache_dir.iterdir()) == []
    assert dump_cache.stored_bytes(cache_dir) == 0
    assert dump_cache.clear(cache_dir) == 0  # nothing left: nothing freed
    assert dump_cache.clear(tmp_path / "never-made") == 0


def test_the_command_line_can_keep_no_copy(tmp_path, cache_dir, capsys):
    """``--no-cache``: read afresh and write nothing to the cache folder."""
    from sparkdesk.cli import main

    root = write(tmp_path / "d", MESSY)
    assert main(["inspect", str(root), "--no-cache", "--json"]) == 0
    assert (
        main(
            [
                "export",
                str(root),
                "--type",
                "team",
                "--tz",
                "UTC",
                "--no-cache",
                "--out",
                str(tmp_path / "t.csv"),
            ]
        )
        == 0
    )
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []
    assert main(["inspect", str(root), "--json"]) == 0  # without the flag: saved
    assert len(entries(cache_dir)) == 1
    capsys.readouterr()
