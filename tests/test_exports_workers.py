"""Parts computed in worker processes (sparkdesk/exports/workers.py, issue 14 item 3).

The promise: an export whose parts run in worker processes, each reading its part from the
dump's saved copy, is cell for cell the export of the dump read into memory whole; a Cancel
stops it and leaves no process behind; a part that fails says why in one sentence.

The pool is kept between exports (a process costs about a second to start), so the tests
share it; the Cancel and failure tests, which shut it down, come last.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from sparkdesk.catalogue import EXPORT_IDS
from sparkdesk.dump import load_dumps, wait_for_saves
from sparkdesk.dump.cache import open_folder
from sparkdesk.dump.store import SavedCopyGone
from sparkdesk.exports import ExportParams, compute, workers
from sparkdesk.exports.plan import (
    PROCESS_BYTES,
    ROW_TABLES,
    STORE_FACTOR,
    STORE_OVERHEAD,
    StoreParts,
    dump_bytes,
    parts_for,
)
from sparkdesk.exports.scope import make_scope
from sparkdesk.exports.workers import PartReadError, _FlagToken, compute_parts
from sparkdesk.memory import MemoryLimitTooSmall
from sparkdesk.tasks import Cancelled, CancelToken, Progress

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
pytestmark = pytest.mark.skipif(not CONFORMANCE.exists(), reason="the conformance sets are not here")


def cached(paths: list[Path]):
    """The dump as the cache gives it back: saved by a first load, opened by a second."""
    load_dumps(paths)
    assert wait_for_saves(60)
    dump = load_dumps(paths)
    assert dump.store is not None
    return dump


@pytest.fixture(scope="module")
def pair():
    paths = [CONFORMANCE / "dump"]
    yield load_dumps(paths, cache=False), cached(paths)
    workers.shutdown()


def test_every_export_in_parts_on_worker_processes_is_the_whole_result(pair):
    memory, from_cache = pair
    days = (None, None), (dt.date(2025, 5, 5), dt.date(2025, 5, 17))
    for type_id in EXPORT_IDS:
        for first, last in days:
            p = ExportParams(type_id, "Europe/Madrid", first, last)
            seen: list[float] = []
            got = compute(from_cache, p, _recorder(seen), parts=3, workers=2)
            pd.testing.assert_frame_equal(got, compute(memory, p), obj=f"{type_id} {first}..{last}")
            assert seen == sorted(seen) and seen[-1] == 1.0, (type_id, seen)
    assert len(multiprocessing.active_children()) == 2  # kept for the next export


def _recorder(seen: list[float]):
    return lambda fraction, _text: seen.append(fraction)


def test_the_budget_counts_every_worker_and_the_parent(pair):
    _memory, from_cache = pair
    rows = dump_bytes(from_cache, ROW_TABLES)
    base = PROCESS_BYTES + dump_bytes(from_cache) - rows + STORE_OVERHEAD * from_cache.store.conversations
    work = STORE_FACTOR * rows
    # the parent's base, and per worker its base and its part: two at once
    assert parts_for(from_cache, 1.0, int(3 * base + 2 * work / 3) + 1, workers=2) == 3
    assert parts_for(from_cache, 1.0, int(3 * base + 2 * work / 3) + 1, workers=1) == 1
    with pytest.raises(MemoryLimitTooSmall) as err:
        parts_for(from_cache, 1.0, int(3 * base), workers=2)
    assert err.value.needed_bytes == int(3 * base + 2 * work / 256)


def _parts_of(dump, type_id: str, n: int):
    params = ExportParams(type_id, "UTC")
    scope = replace(make_scope(dump, params, range_optional=True), partial=True)
    parts = StoreParts(dump, None, n)
    return params, scope, [parts.ids(i) for i in range(n)]


def test_each_part_reports_its_progress_from_its_worker(pair):
    _memory, from_cache = pair
    params, scope, groups = _parts_of(from_cache, "user", 3)
    said: list[list[str]] = [[], [], []]
    reporters = [Progress(_texts(said[i])) for i in range(3)]
    frames = compute_parts(from_cache.store.folder, groups, params, scope, reporters, CancelToken(), 2)
    assert len(frames) == 3
    # a reporter throttles what follows (ten a second), never its first word
    assert [s[0] for s in said] == [f"Part {i} of 3: selecting conversations" for i in (1, 2, 3)]


def _texts(said: list[str]):
    return lambda _fraction, text: said.append(text)


def test_a_cancelled_token_stops_a_worker_at_its_next_checkpoint():
    flags = multiprocessing.get_context("spawn").RawArray("b", 2)
    token = _FlagToken(flags, 1)
    token.raise_if_cancelled()
    flags[0] = 1  # another export's flag
    assert not token.cancelled
    token.cancel()
    assert flags[1] == 1 and token.cancelled
    with pytest.raises(Cancelled):
        token.raise_if_cancelled()


def test_cancel_stops_the_parts_and_leaves_no_process(pair):
    _memory, from_cache = pair
    params, scope, groups = _parts_of(from_cache, "team", 3)
    token = CancelToken()
    reporters = [Progress(lambda _f, _t: token.cancel()) for _ in range(3)]  # at a part's first word
    with pytest.raises(Cancelled):
        compute_parts(from_cache.store.folder, groups, params, scope, reporters, token, 2)
    assert multiprocessing.active_children() == []
    # and through compute, as the window cancels
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        compute(from_cache, params, None, token, parts=3, workers=2)
    assert multiprocessing.active_children() == []


def test_a_part_that_cannot_be_read_says_so_in_one_sentence(pair, tmp_path):
    _memory, from_cache = pair
    copy = tmp_path / from_cache.store.folder.name  # the manifest names its folder
    shutil.copytree(from_cache.store.folder, copy)
    dump = open_folder(copy)  # opened whole, as the parent had it
    messages = Path(copy) / "messages.arrow"
    messages.write_bytes(messages.read_bytes()[:100])  # then damaged under it
    with pytest.raises(PartReadError) as err:
        compute(dump, ExportParams("message", "UTC"), parts=3, workers=2)
    text = str(err.value)
    assert "\n" not in text and str(copy) in text and "cannot be read" in text, text
    assert multiprocessing.active_children() == []
    # a file of the saved copy deleted under the dump (the parent reads only the index): the
    # sentence the parent would say
    messages.unlink()
    with pytest.raises(SavedCopyGone, match="no longer there"):
        compute(dump, ExportParams("message", "UTC"), parts=3, workers=2)
    assert multiprocessing.active_children() == []
    # the next export starts a new pool, and works
    got = compute(from_cache, ExportParams("tag", "UTC"), parts=2, workers=2)
    pd.testing.assert_frame_equal(got, compute(pair[0], ExportParams("tag", "UTC")))


def test_the_command_line_says_a_worker_s_failure_in_one_sentence(monkeypatch, capsys):
    from sparkdesk import cli

    sentence = "The dump's saved copy in /x cannot be read (gone): export again with --no-cache."

    def fail(*_args, **_kwargs):
        raise PartReadError(sentence)

    monkeypatch.setattr(cli, "_export_one", fail)  # one type: computed and written by export_to_file
    dump = CONFORMANCE / "dump"
    assert cli.main(["export", str(dump), "--type", "team", "--tz", "UTC", "--quiet", "--no-cache"]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == f"sparkdesk: {sentence}"
