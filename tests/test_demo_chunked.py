"""The demo made in chunks (``sparkdesk.demo.chunked``), for dumps bigger than memory.

Up to ``chunked.IN_MEMORY_UP_TO`` conversations the demo is made in memory, and its bytes
must not change (the bundled demo, the fixtures and many tests depend on them): the digests
below were taken before the chunked path existed. Above, the chunks are merged in time
order; tiny chunks force that path here.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
import zipfile

import numpy as np
import pytest

from sparkdesk.demo import chunked, write_demo
from sparkdesk.demo.conversations import released_unlocks
from sparkdesk.demo.generation import FACT_TABLES
from sparkdesk.tasks import Cancelled, CancelToken

# sha256 over (file name, NUL, bytes, NUL) of every file, sorted by name; made by the
# generator of main at c5d202c, before the chunked path
BEFORE_CHUNKS = {
    (1, 1): "b5841449576ae175ff2e6132cf77ebaffcbf6deb47a1b5bb4f2e25063da8ae16",
    (40, 3): "061d48d23565a6db4a6e3b51724e81167d72a5ef2627a6606b0edb6a7176acc8",
    (1200, 7): "cf7b32038ea8ea64ce14e197f41aed44e839e2c2873c81fb5f588ee03b994be1",
}


def _digest(folder: pathlib.Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _files(folder: pathlib.Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture
def chunks(monkeypatch: pytest.MonkeyPatch):
    """Force the chunked path with ``chunks(size)`` (every dump above 0 conversations)."""

    def use(size: int) -> None:
        monkeypatch.setattr(chunked, "IN_MEMORY_UP_TO", 0)
        monkeypatch.setattr(chunked, "CHUNK", size)

    return use


@pytest.mark.parametrize(("conversations", "seed"), sorted(BEFORE_CHUNKS))
def test_small_dumps_keep_their_bytes(tmp_path: pathlib.Path, conversations: int, seed: int) -> None:
    out = write_demo(tmp_path / "d", conversations=conversations, seed=seed)
    assert _digest(out) == BEFORE_CHUNKS[(conversations, seed)]


@pytest.mark.parametrize(("conversations", "seed"), sorted(BEFORE_CHUNKS))
def test_one_chunk_on_disk_is_the_dump_made_in_memory(
    tmp_path: pathlib.Path, chunks, conversations: int, seed: int
) -> None:
    """Same random numbers in the same order, same merge: the spill and merge change nothing."""
    chunks(conversations)
    out = write_demo(tmp_path / "d", conversations=conversations, seed=seed)
    assert _digest(out) == BEFORE_CHUNKS[(conversations, seed)]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_chunks_are_deterministic_and_leave_nothing_behind(tmp_path: pathlib.Path, chunks) -> None:
    chunks(97)
    a = write_demo(tmp_path / "a", conversations=600, seed=5)
    b = write_demo(tmp_path / "b", conversations=600, seed=5)
    assert _files(a) == _files(b)
    assert _digest(a) != BEFORE_CHUNKS.get((600, 5))
    z = write_demo(tmp_path / "z", conversations=600, seed=5, as_zip=True)
    with zipfile.ZipFile(z) as zf:
        assert {name: zf.read(name) for name in zf.namelist()} == _files(a)
    assert sorted(p.name for p in (tmp_path / "z").iterdir()) == [z.name]  # no scratch folder left
    assert json.loads((a / "manifest.json").read_text("utf-8"))["demo"]["conversations"] == 600


def test_the_scratch_folder_shrinks_as_tables_are_written(
    tmp_path: pathlib.Path, chunks, monkeypatch
) -> None:
    """Each fact table's spill files go once the table is written (disk: dump plus scratch)."""
    import sparkdesk.demo.writing as writing

    chunks(100)
    left: dict[str, list[str]] = {}
    write_big = writing._write_big

    def note(out, table, progress):
        write_big(out, table, progress)
        scratch = next((tmp_path / "d").glob(".sparkdesk-demo-chunks-*"))
        left[table.name] = sorted(p.name.split("-", 1)[1] for p in scratch.iterdir())

    monkeypatch.setattr(writing, "_write_big", note)
    write_demo(tmp_path / "d", conversations=300, seed=1)
    assert set(left["messages"]) == {
        "messages.bin",
        "conversation_events.bin",
        "message_tags.bin",
        "csat_surveys.bin",
    }
    # noted as each table is written, before it goes: the messages went before the events
    assert set(left["conversation_events"]) == {
        "conversation_events.bin",
        "message_tags.bin",
        "csat_surveys.bin",
    }
    assert left["presence_events"] == []


def test_the_merge_is_a_global_sort_of_the_chunks(tmp_path: pathlib.Path, chunks, monkeypatch) -> None:
    """What the chunks give, merged, equals the in-memory rules applied to all of them at once:
    chunks concatenated in order and sorted by time (stable), tags pointing at the sorted
    messages, and ``released_unlocks`` over the whole event stream."""
    recorded: list[dict[str, dict[str, np.ndarray]]] = []
    add_chunk = chunked.FactsOnDisk.add_chunk

    def record(self, facts):
        recorded.append({t: {k: v.copy() for k, v in cols.items()} for t, cols in facts.items()})
        add_chunk(self, facts)

    monkeypatch.setattr(chunked.FactsOnDisk, "add_chunk", record)
    monkeypatch.setattr(chunked, "SPAN_ROWS", 300)  # many spans too
    chunks(50)
    seen: dict[str, dict[str, np.ndarray]] = {}

    def keep(data):
        for table in FACT_TABLES:
            parts = [cols for _, cols in data.facts.batches(table, 128)]
            seen[table] = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        return data

    finish = chunked.finish
    monkeypatch.setattr(chunked, "finish", lambda *a: keep(finish(*a)))
    write_demo(tmp_path / "d", conversations=2000, seed=3)
    assert len(recorded) == 40

    def merged(table: str, time_col: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
        cols = {k: np.concatenate([r[table][k] for r in recorded]) for k in recorded[0][table]}
        order = np.argsort(cols[time_col], kind="stable")
        return {k: v[order] for k, v in cols.items()}, order

    messages, msg_order = merged("messages", "t")
    msg_first = np.cumsum([0] + [r["messages"]["t"].size for r in recorded[:-1]])
    for first, r in zip(msg_first, recorded, strict=True):
        r["message_tags"]["msg"] = r["message_tags"]["msg"] + first
    tags, _ = merged("message_tags", "t")
    new_row = np.empty(msg_order.size, dtype=np.int64)
    new_row[msg_order] = np.arange(msg_order.size)
    tags["msg"] = new_row[tags["msg"]]
    events, event_order = merged("conversation_events", "t")
    drop = released_unlocks(events)
    events = {k: v[~drop] for k, v in events.items() if k not in ("open", "lock")}
    surveys, _ = merged("csat_surveys", "sent")
    expected = {
        "messages": messages,
        "conversation_events": events,
        "message_tags": tags,
        "csat_surveys": surveys,
    }
    for table in FACT_TABLES:
        assert seen[table].keys() == expected[table].keys()
        for k in expected[table]:
            assert np.array_equal(seen[table][k], expected[table][k]), (table, k)
    # the pairing needed other chunks: per chunk alone, 8 UNLOCKED would be judged otherwise
    alone = np.concatenate([released_unlocks(r["conversation_events"]) for r in recorded])[event_order]
    assert drop.sum() > 0 and (alone != drop).sum() > 0


def test_the_merge_breaks_ties_by_chunk_then_row(tmp_path: pathlib.Path) -> None:
    minute = chunked.D0_MS + 10 * chunked.MIN
    a = chunked.Spill(
        tmp_path / "a", {"t": np.array([minute, minute + 5, minute + 5]), "x": np.array([0, 1, 2])}, "t"
    )
    b = chunked.Spill(tmp_path / "b", {"t": np.array([minute - 1, minute + 5]), "x": np.array([3, 4])}, "t")
    spans = chunked._spans([a, b], 1)
    merged = [chunked._merge_span([a, b], b0, b1, "t", None) for b0, b1 in spans]
    assert [x for cols, _, _ in merged for x in cols["x"]] == [3, 0, 1, 2, 4]
    assert [c for _, chunk, _ in merged for c in chunk] == [1, 0, 0, 0, 1]
    assert [r for _, _, local in merged for r in local] == [0, 0, 1, 2, 1]
    assert len(spans) == 2  # minute by minute: 1 row, then 4 rows of one minute (never split)


@pytest.mark.parametrize(("conversations", "seed", "size"), [(3000, 7, 400), (3000, 2, 250)])
def test_a_chunked_dump_is_a_valid_demo(tmp_path: pathlib.Path, chunks, conversations, seed, size) -> None:
    """Inspect warns only of what the manifest says is on purpose, and every export has rows."""
    from sparkdesk.catalogue import EXPORTS
    from sparkdesk.cli import inspect_summary
    from sparkdesk.dump import load_dumps
    from sparkdesk.exports import ExportParams, compute, lock_warnings

    chunks(size)
    folder = write_demo(tmp_path / "d", conversations=conversations, seed=seed)
    dump = load_dumps([folder], cache=False)
    assert lock_warnings(dump)["unpaired_unlocked"] == 0
    summary = inspect_summary(dump)
    on_purpose = json.loads((folder / "manifest.json").read_text("utf-8"))["demo"][
        "inspect_warnings_on_purpose"
    ]
    assert summary["ignored_files"] == []
    assert all(p["kind"] == "warning" and p["reason"] in on_purpose for p in summary["problems"]), summary
    ids = dump.tables["messages"]["message_id"]
    assert ids.is_unique and ids.is_monotonic_increasing
    tags = dump.tables["message_tags"]
    assert tags["message_id"].isin(ids).all()
    for export in EXPORTS:
        assert len(compute(dump, ExportParams(type=export.id, tz="Europe/Madrid"))) > 0, export.id


def test_progress_and_cancel_in_chunks(tmp_path: pathlib.Path, chunks, monkeypatch) -> None:
    chunks(100)
    seen: list[float] = []
    write_demo(tmp_path / "p", conversations=450, progress=lambda f, _text: seen.append(f))
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 1

    token = CancelToken()
    settle = chunked.FactsOnDisk.settle

    def cancel_then_settle(self, *args):  # a cancel arriving after the chunks, before the merge
        token.cancel()
        settle(self, *args)

    monkeypatch.setattr(chunked.FactsOnDisk, "settle", cancel_then_settle)
    for name, as_zip in (("c", False), ("c.zip", True)):
        with pytest.raises(Cancelled):
            write_demo(tmp_path / name, conversations=450, as_zip=as_zip, cancel=token)
    assert not (tmp_path / "c.zip").exists()
    assert [p.name for p in (tmp_path / "c").iterdir()] == []  # the scratch folder is gone
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
