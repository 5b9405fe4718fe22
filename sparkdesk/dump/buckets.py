"""The largest tables of a staged import, kept on disk in buckets of their keys.

A staged import (``staged``) keeps only the *slim* columns of each row in memory, but
those still grow with the dump: about 1.5 GiB per million conversations for the
messages and events, 15 GiB at ten million. So the slim rows of ``BUCKETED`` tables go
to disk too, split into buckets by a hash of their key, and steps two and three run one
bucket at a time (``combine_in_buckets``).

Why a bucket can be checked alone: every comparison those steps make on these tables
is between rows that share a bucket.

- Duplicates: two rows are compared when their keys are equal (``message_id``,
  ``event_id``) or, without a key, when every column is; equal keys hash alike, and an
  event without an ``event_id`` is bucketed by its ``conversation_id``, which every
  column being equal includes. A message tag has no key: every column, its
  ``message_id`` among them.
- Orphans: a message tag's message is looked up among the messages; both are bucketed
  by ``message_id``, so a tag's message, if read, is in the tag's bucket. Messages and
  events find their conversation among the conversations, which stay whole in memory
  (a conversation is about a tenth of its messages).
- The snapshot's cascade (a message of a conversation left out goes too, and a tag of
  such a message) follows the same two lookups.

Within a bucket the rows are in reading order, as each file is read in order and the
files one after the other; results are put back in reading order by ``_seq``.
"""

from __future__ import annotations

import math
import shutil
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.dump import store
from sparkdesk.dump.arrays import flat, np_mask
from sparkdesk.dump.combine import (
    REFERENCES,
    Combined,
    ReferenceFinding,
    _apply_steps_two_three,
    _concat,
    _manifest_fields,
    _note_duplicates,
    _snapshot,
    _tag_orphans,
    _unknown_references,
    cut_table,
    duplicate_mask,
    has_manifest_snapshot,
    latest_of_dump,
    not_in,
    note_orphan_seqs,
    note_references,
    reference_finding,
    snapshot_scalar,
)
from sparkdesk.dump.containers import DumpSource
from sparkdesk.dump.memory import release_memory
from sparkdesk.dump.model import TIME_SPAN_COLUMNS
from sparkdesk.dump.report import build_report
from sparkdesk.dump.schema import TABLES, table_spec
from sparkdesk.dump.state import State, wait
from sparkdesk.tasks import Progress, running

# table -> (the column it is bucketed by, the column used where that one is empty).
# message_tags share the buckets of messages (same hash of the same message_id).
BUCKETED: dict[str, tuple[str, str | None]] = {
    "messages": ("message_id", None),
    "message_tags": ("message_id", None),
    "conversation_events": ("event_id", "conversation_id"),
}
SHARES_BUCKETS_OF = {"message_tags": "messages"}
BUCKET_INPUT_BYTES = 128 * 2**20  # of a table's input files per bucket (about 90 MiB of slim rows)
MAX_BUCKETS = 1024


def plan(sources: Sequence[DumpSource]) -> dict[str, int]:
    """How many buckets each ``BUCKETED`` table gets, from the bytes of its input files."""
    size: dict[str, int] = {}
    for src in sources:
        for tf in src.files:
            size[tf.table] = size.get(tf.table, 0) + (tf.unpacked_size or tf.size)
    counts = {}
    for table in BUCKETED:
        owner = SHARES_BUCKETS_OF.get(table, table)
        counts[table] = max(1, min(MAX_BUCKETS, math.ceil(size.get(owner, 0) / BUCKET_INPUT_BYTES)))
    return counts


def string_hash(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each text (0 for a null), the same for equal texts whatever the
    array they are in.

    A text is cut into 8-byte words (the last one padded with spaces); the hash is the sum
    of each word times a weight of its place, mixed with the text's length. Usual ids
    (ASCII, up to ``FIXED_WIDTH`` bytes) are padded to one width by Arrow, and the words
    read as a matrix of integers: a few passes over the ids (3M in 0.1 s, 40 times faster
    than a pass per byte). Other texts take a pass per byte, to the same sums."""
    if isinstance(values, pa.ChunkedArray):
        parts = [string_hash(c) for c in values.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    arr = values.cast(pa.large_string()) if values.type != pa.large_string() else values
    if len(arr) == 0:
        return np.zeros(0, np.uint64)
    lengths = pc.binary_length(arr).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    width = int(lengths.max())
    if width <= FIXED_WIDTH and pc.all(pc.string_is_ascii(arr)).as_py() is not False:
        sums = _word_sums_fixed(arr, lengths, max(8, -(-width // 8) * 8))
    else:
        sums = _word_sums_any(arr, lengths)
    out = sums ^ (lengths.astype(np.uint64) * _LENGTH)
    for mix in _MIX:  # MurmurHash3's finaliser: every bit of the sums reaches every bit
        out ^= out >> np.uint64(33)
        out *= mix
    out ^= out >> np.uint64(33)
    if arr.null_count:
        out[~np.asarray(arr.is_valid())] = 0
    return out


FIXED_WIDTH = 64  # bytes: longer ids take the pass per byte
_WORD_WEIGHTS = np.random.default_rng(20261208).integers(1, 2**63, 4096, dtype=np.uint64) | np.uint64(1)
_LENGTH = np.uint64(0xC2B2AE3D27D4EB4F)
_MIX = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


def _word_sums_fixed(arr: pa.LargeStringArray, lengths: np.ndarray, width: int) -> np.ndarray:
    padded = pc.utf8_rpad(arr.fill_null(""), width=width, padding=" ")
    offsets = np.frombuffer(padded.buffers()[1], np.int64)[padded.offset : padded.offset + len(padded) + 1]
    data = np.frombuffer(padded.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    words = data.view("<u8").reshape(len(padded), width // 8)
    used = -(-lengths // 8)  # words of each text's own
    sums = np.zeros(len(padded), np.uint64)
    for k in range(width // 8):  # a loop over the words of a row, not over rows
        sums += np.where(k < used, words[:, k] * _WORD_WEIGHTS[k], np.uint64(0))
    return sums


def _word_sums_any(arr: pa.LargeStringArray, lengths: np.ndarray) -> np.ndarray:
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], np.int64)[arr.offset : arr.offset + n + 1]
    used = -(-lengths // 8)
    word_start = np.concatenate(([0], np.cumsum(used)))
    buffer = np.full(int(word_start[-1]) * 8, 0x20, np.uint8)
    if lengths.sum():
        row = np.repeat(np.arange(n), lengths)
        at = np.arange(int(lengths.sum())) - np.repeat(
            np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths
        )
        source = offsets[:-1][row] + at
        buffer[word_start[:-1][row] * 8 + at] = np.frombuffer(arr.buffers()[2], np.uint8)[source]
    words = buffer.view("<u8")
    place = np.arange(len(words)) - np.repeat(word_start[:-1], used)
    weighted = words * _WORD_WEIGHTS[place % len(_WORD_WEIGHTS)]
    sums = np.zeros(n, np.uint64)
    has = used > 0
    if has.any():
        sums[has] = np.add.reduceat(weighted, word_start[:-1][has])
    return sums


def bucket_of(table: str, rows: pa.Table, buckets: int) -> np.ndarray:
    """Each row's bucket (0..buckets-1)."""
    if buckets == 1:
        return np.zeros(rows.num_rows, np.int64)
    column, fallback = BUCKETED[table]
    h = string_hash(rows[column])
    if fallback is not None:
        empty = np.asarray(pc.is_null(rows[column]))
        if empty.any():
            h[empty] = string_hash(rows[fallback].filter(pa.array(empty)))
    return ((h >> np.uint64(32)) * np.uint64(buckets) >> np.uint64(32)).astype(np.int64)


class Lookup:
    """Positions of texts among ``known`` texts, for bucket after bucket of values.

    ``pc.index_in`` hashes its value set at every call: once per bucket, the conversations
    (10 million at 10M) were hashed a hundred times, and the import's time grew with the
    square of the dump. Here ``known`` is hashed once (``string_hash``) into an
    open-addressing table of numpy arrays; a value is looked up by its hash and then
    compared with the text found, so the answer is exact. Should two known texts hash
    alike (about one dump in a million at 10M), it falls back to ``pc.index_in``.
    """

    def __init__(self, known: pa.Array | pa.ChunkedArray) -> None:
        self.known = flat(known).cast(pa.large_string())
        h = string_hash(self.known)
        n = len(h)
        ordered = np.sort(h)
        self.exact = n < 2 or not (ordered[1:] == ordered[:-1]).any()
        del ordered
        size = 1 << max(4, int(1.5 * n).bit_length())  # at most two thirds full: short probes
        self.mask = np.uint64(size - 1)
        self.slots = np.full(size, -1, np.int32 if n < 2**31 else np.int64)  # position in known, -1: empty
        self.hashes = np.zeros(size, np.uint64)
        if self.exact and n:
            self._insert(h)

    def _insert(self, h: np.ndarray) -> None:
        """Every known hash into the table, linear probing, all texts at once per round."""
        waiting = np.arange(len(h))
        slot = (h & self.mask).astype(np.int64)
        while len(waiting):
            free = self.slots[slot] == -1
            self.slots[slot[free]] = waiting[free]  # where several want one slot, one wins
            won = np.zeros(len(waiting), bool)
            won[free] = self.slots[slot[free]] == waiting[free]
            self.hashes[slot[won]] = h[waiting[won]]
            waiting, slot = waiting[~won], (slot[~won] + 1) & int(self.mask)

    def index(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Each value's position in ``known`` (-1: not there, or null)."""
        if not self.exact:
            found = pc.index_in(values, value_set=self.known)
            return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        values = flat(values).cast(pa.large_string())
        out = np.full(len(values), -1, np.int64)
        if not len(self.known) or not len(values):
            return out
        h = string_hash(values)
        asking = np.arange(len(values))
        slot = (h & self.mask).astype(np.int64)
        while len(asking):
            held = self.slots[slot]
            hit = (held >= 0) & (self.hashes[slot] == h[asking])
            out[asking[hit]] = held[hit]
            more = (held >= 0) & ~hit  # another text's slot: probe the next one
            asking, slot = asking[more], (slot[more] + 1) & int(self.mask)
        found = out >= 0
        if found.any():  # equal hashes: compare the texts themselves
            same = np_mask(pc.equal(values.filter(pa.array(found)), self.known.take(pa.array(out[found]))))
            out[np.flatnonzero(found)[~same]] = -1
        return out

    def absent(self, values: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """True where a value is not in ``known`` (a null never is): ``combine.not_in``."""
        return self.index(values) < 0


# lz4: the slim rows of 10M conversations are about 15 GB as they are, beside a cache of
# 36 GB being written (ids compress well, and lz4 costs little time).
_WRITE_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


class _FileBuckets:
    """One input file's slim rows, split into a table's buckets as Arrow IPC streams."""

    def __init__(self, folder: Path, stem: str, buckets: int) -> None:
        self.paths = [folder / f"{stem}.{b}.arrow" for b in range(buckets)]
        self._writers: dict[int, tuple[pa.NativeFile, pa.ipc.RecordBatchStreamWriter]] = {}

    def write(self, table: str, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        which = bucket_of(table, rows, len(self.paths))
        order = np.argsort(which, kind="stable")
        sorted_rows = rows.take(pa.array(order))
        bounds = np.searchsorted(which[order], np.arange(len(self.paths) + 1))
        for b in np.flatnonzero(np.diff(bounds)):
            part = sorted_rows.slice(int(bounds[b]), int(bounds[b + 1] - bounds[b]))
            self._writer(int(b), part.schema).write_table(part)

    def _writer(self, b: int, schema: pa.Schema) -> pa.ipc.RecordBatchStreamWriter:
        if b not in self._writers:
            sink = pa.OSFile(str(self.paths[b]), "wb")
            self._writers[b] = (sink, pa.ipc.new_stream(sink, schema, options=_WRITE_OPTIONS))
        return self._writers[b][1]

    def close(self) -> None:
        for sink, writer in self._writers.values():
            writer.close()
            sink.close()
        self._writers = {}

    def discard(self) -> None:
        self.close()
        for p in self.paths:
            p.unlink(missing_ok=True)


class SlimBuckets:
    """The slim rows of the ``BUCKETED`` tables of one import, file by file and bucket by bucket."""

    def __init__(self, folder: Path, counts: dict[str, int]) -> None:
        self.folder = folder
        folder.mkdir()
        self.counts = counts
        self._files: dict[str, list[_FileBuckets]] = {t: [] for t in BUCKETED}

    def start(self, table: str) -> _FileBuckets:
        f = _FileBuckets(self.folder, f"{table}.{len(self._files[table])}", self.counts[table])
        self._files[table].append(f)
        return f

    def read(self, table: str, bucket: int, empty: pa.Table) -> pa.Table:
        """Bucket ``bucket`` of ``table`` as read (reading order), one chunk per column;
        ``empty`` (the slim table's schema) when no row fell in it."""
        parts = []
        for f in self._files[table]:
            path = f.paths[bucket]
            if path.exists():
                with pa.OSFile(str(path), "rb") as source:
                    parts.append(pa.ipc.open_stream(source).read_all())
        if not parts:
            return empty
        tbl = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        return tbl.combine_chunks()

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


# ---------------------------------------------------------------- combining bucket by bucket


@dataclass
class _Kept:
    """One bucketed table after steps two and three: per bucket, the rows kept (packed bits)."""

    masks: list[tuple[np.ndarray, int]] = field(default_factory=list)  # (packed mask, rows)
    duplicates: int = 0
    orphans: list[np.ndarray] = field(default_factory=list)  # ``_seq`` of the orphans, per bucket
    positions: list[Path] = field(default_factory=list)  # per bucket, the kept rows' conversations

    def add(self, keep: np.ndarray) -> None:
        self.masks.append((np.packbits(keep), len(keep)))

    def mask(self, b: int) -> np.ndarray:
        packed, n = self.masks[b]
        return np.unpackbits(packed, count=n).astype(bool)


@dataclass
class _Final:
    """One bucketed table after the snapshot: its rows kept, counted, and what the
    reference warnings say of them."""

    rows: int = 0
    first: int | None = None  # earliest and latest time (ms) of the time span's column
    last: int | None = None
    references: dict[str, ReferenceFinding] = field(default_factory=dict)

    def add_reference(self, col: str, found: ReferenceFinding) -> None:
        total = self.references.setdefault(col, ReferenceFinding())
        total.rows += found.rows
        total.set_ids += found.set_ids
        if found.unknown is not None:
            total.unknown = (
                found.unknown if total.unknown is None else np.concatenate([total.unknown, found.unknown])
            )

    def add_times(self, times: np.ndarray) -> None:
        times = times[times != store.NO_TIME]
        if len(times):
            lo, hi = int(times.min()), int(times.max())
            self.first = lo if self.first is None else min(self.first, lo)
            self.last = hi if self.last is None else max(self.last, hi)


# The time of a row that Dump.time_span reads; the index's spans read the same columns
# (store.SPAN_TIMES, and a tag's "at" in store.build_index).
SPAN_COLUMN = {name: col for name, col in TIME_SPAN_COLUMNS if name in BUCKETED}


@dataclass
class InBuckets:
    """What the rest of a staged import needs of the bucketed tables once combined: the
    rows kept (a flag per ``_seq``, set by the caller for the other tables), the index's
    parts (``store.assemble_index``) and each table's earliest and latest time."""

    kept: np.ndarray
    rows: dict[str, int]
    row_conv: dict[str, np.ndarray]
    lo: np.ndarray
    hi: np.ndarray
    locks: store.LockNeighbours
    times: dict[str, tuple[int | None, int | None]]


class _Grouped:
    """Per bucketed table, each bucket's kept rows' ``_seq`` and conversation position,
    saved beside the buckets until every row kept is known (then the rows' positions are)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved: dict[str, list[Path]] = {name: [] for name in BUCKETED}
        self.locks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []  # conv, agent, at, seq
        self._agents: dict[str, int] = {}  # agent id -> code, in the order buckets meet them

    def add_locks(self, conv: np.ndarray, users: pa.Array, at: np.ndarray, seq: np.ndarray) -> None:
        """A bucket's kept LOCKED events; the agents kept as codes (4 bytes, not their ids)."""
        distinct = pc.unique(users).drop_null()
        for agent in distinct.to_pylist():  # a loop over the bucket's agents, not its rows
            self._agents.setdefault(agent, len(self._agents))
        codes = np.array([self._agents[a] for a in distinct.to_pylist()] + [-1], np.int32)
        local = pc.index_in(users, value_set=distinct).fill_null(-1).to_numpy(zero_copy_only=False)
        self.locks.append((conv.astype(np.int32), codes[local], at, seq))

    def add(self, name: str, seq: np.ndarray, conv: np.ndarray) -> None:
        path = self.folder / f"{name}.{len(self.saved[name])}.rows.npy"
        np.save(path, np.stack([seq, conv.astype(np.int64)]), allow_pickle=False)
        self.saved[name].append(path)

    def row_conv(self, name: str, rows: int, state: State, ranks: _Ranks) -> np.ndarray:
        """Each kept row's conversation position, rows in reading order (int32: half the
        memory of the largest arrays of the index's making; ``store.csr`` sorts the same)."""
        out = np.full(rows, -1, np.int32)
        runs = [(r.seq_start, r.n_rows) for r in state.runs if r.tf.table == name]
        for path in self.saved[name]:
            seq, conv = np.load(path)
            out[ranks.position(seq, runs)] = conv
            path.unlink()
        return out

    def lock_neighbours(self) -> store.LockNeighbours:
        """``store.lock_neighbours`` of the kept LOCKED events, in reading order."""
        if not self.locks:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        seq = np.concatenate([lock[3] for lock in self.locks])
        order = np.argsort(seq, kind="stable")
        seq = seq[order]
        user = _first_seen_codes(np.concatenate([lock[1] for lock in self.locks])[order])
        conv = np.concatenate([lock[0] for lock in self.locks])[order].astype(np.int64)
        at = np.concatenate([lock[2] for lock in self.locks])[order]
        self.locks = []
        return store.lock_neighbours_by_code(conv, user, at, seq)


def _first_seen_codes(codes: np.ndarray) -> np.ndarray:
    """``codes`` renumbered in the order they first appear (-1 stays): the numbers
    ``pc.dictionary_encode`` gives the agents of the LOCKED events in reading order."""
    out = np.full(len(codes), -1, np.int64)
    valid = codes >= 0
    if not valid.any():
        return out
    distinct, first = np.unique(codes[valid], return_index=True)
    renumber = np.zeros(int(distinct.max()) + 1, np.int64)
    renumber[distinct[np.argsort(first, kind="stable")]] = np.arange(len(distinct))
    out[valid] = renumber[codes[valid]]
    return out


class _Ranks:
    """Where a ``_seq`` kept lands in its table: rows kept before it in the table's runs.

    The flags are packed 64 to a word with a running count per word, so a rank costs two
    lookups and a bit count (170 million rows: 21 MB) instead of a cumulative sum per row.
    """

    def __init__(self, kept: np.ndarray) -> None:
        bits = np.packbits(kept, bitorder="little")
        bits = np.concatenate([bits, np.zeros((-len(bits)) % 8 + 8, np.uint8)])
        self.words = bits.view("<u8")
        self.prefix = np.concatenate([[0], np.cumsum(np.bitwise_count(self.words), dtype=np.int64)])

    def before(self, seq: np.ndarray) -> np.ndarray:
        """Rows kept with a smaller ``_seq``, in every table."""
        w = seq >> 6
        below = (np.uint64(1) << (seq & 63).astype(np.uint64)) - np.uint64(1)
        return self.prefix[w] + np.bitwise_count(self.words[w] & below).astype(np.int64)

    def position(self, seq: np.ndarray, runs: list[tuple[int, int]]) -> np.ndarray:
        """Row numbers in their table of kept ``seq`` of that table, whose files' rows are
        the ``_seq`` ranges ``runs`` (start, rows), in reading order."""
        starts = np.array([a for a, _n in runs], np.int64)
        ends = starts + np.array([n for _a, n in runs], np.int64)
        kept_in = self.before(ends) - self.before(starts)
        base = np.concatenate([[0], np.cumsum(kept_in)])[:-1] - self.before(starts)
        run = np.searchsorted(starts, seq, side="right") - 1
        return base[run] + self.before(seq)


def combine_in_buckets(
    state: State,
    slim_rows: SlimBuckets,
    empty: dict[str, pa.Table],
    prog: Progress,
    finish: Callable[[str, pa.Table], object],
) -> tuple[Combined, InBuckets]:
    """``combine.combine_tables`` for a staged import whose ``BUCKETED`` tables are in
    ``slim_rows`` (their slim rows; ``empty``: their slim schemas) and the others in
    ``state.parts``. The same duplicates, orphans, snapshot, warnings and report. The
    other tables go through ``finish`` as there; a bucketed table's is ``finish`` of no
    row, and what is read of it afterwards is in the ``InBuckets``."""
    whole = {t.name: _concat(state.parts.pop(t.name, []), t) for t in TABLES if t.name not in BUCKETED}
    conversation_ids = whole["conversations"]["conversation_id"]
    latest: dict[int, int] = {}
    # de-duplication never changes which ids exist: orphans are looked up among the distinct ones
    conversations = Lookup(pc.unique(flat(conversation_ids)).drop_null())
    kept = _steps_two_three(state, slim_rows, empty, conversations, latest, prog.sub(0.0, 0.4))
    release_memory()  # the buckets read are gone; Arrow's pool keeps what they held otherwise
    for spec in TABLES:  # the notes in table order, as the import in memory makes them
        if spec.name in BUCKETED:
            if kept[spec.name].duplicates:
                _note_duplicates(state, spec, kept[spec.name].duplicates)
            orphans = np.sort(np.concatenate([np.zeros(0, np.int64), *kept[spec.name].orphans]))
            if len(orphans):
                note_orphan_seqs(state, spec.name, orphans)
            continue
        drop = duplicate_mask(spec, whole[spec.name])
        orphan = None
        if spec.name == "csat_surveys" and whole[spec.name].num_rows:
            orphan = Future()
            orphan.set_result(not_in(whole[spec.name]["conversation_id"], conversation_ids))
        _apply_steps_two_three(state, spec, whole, drop, orphan)
    prog.step(0.45, "Applying the snapshot")
    snapshot = _snapshot(state, whole, latest)
    s = snapshot_scalar(snapshot)
    gone: dict[str, pa.Array] = {}
    whole["conversations"] = cut_table(state, "conversations", whole["conversations"], s, gone)
    walk = _AfterSnapshot(state, slim_rows, empty, kept, whole, s, conversations.known)
    del conversations  # its table: 200 MB at 10M
    final = walk.run(gone, prog.sub(0.45, 0.75))
    release_memory()
    for name in ("csat_surveys", "presence_events"):
        whole[name] = cut_table(state, name, whole[name], s, gone)
    prog.step(0.75, "Checking references")
    _reference_warnings_of(state, whole, final)
    for name, st in state.stats.items():
        st.accepted = (final[name].rows if name in BUCKETED else whole[name].num_rows) + st.after_snapshot
    prog.step(0.8, "Writing the import report")
    with running(prog.sub(0.8, 0.9)):
        report = build_report(state)
    prog.step(0.9, "Indexing the dump's conversations for quick questions")
    in_buckets = walk.finish(final)
    finished = {
        t.name: finish(t.name, whole.pop(t.name) if t.name in whole else empty[t.name]) for t in TABLES
    }
    prog.step(1.0, "Done", force=True)
    org, url = _manifest_fields(state.sources)
    return Combined(finished, snapshot, report, org, url), in_buckets


def _reference_warnings_of(state: State, whole: dict[str, pa.Table], final: dict[str, _Final]) -> None:
    """``combine._reference_warnings``, with the bucketed tables' findings summed."""
    findings = {}
    for table, col, ref, ref_col in REFERENCES:
        if table in BUCKETED:
            findings[(table, col)] = final[table].references.get(col, ReferenceFinding())
            continue
        unknown = None
        if whole[table].num_rows and whole[ref].num_rows:
            unknown = _unknown_references(whole[table], col, whole[ref][ref_col])
        findings[(table, col)] = reference_finding(state, whole[table], col, ref, unknown)
    for found in findings.values():
        if found.unknown is not None:
            found.unknown = np.sort(found.unknown)
    note_references(state, findings)


def _steps_two_three(
    state: State,
    slim_rows: SlimBuckets,
    empty: dict[str, pa.Table],
    conversations: Lookup,
    latest: dict[int, int],
    prog: Progress,
) -> dict[str, _Kept]:
    """Duplicates and orphans of the bucketed tables, bucket by bucket; ``latest`` gets,
    per dump without a snapshot in its manifest, the latest time of the rows kept."""
    kept = {name: _Kept() for name in BUCKETED}
    specs = {name: table_spec(name) for name in BUCKETED}
    undated = [d for d, src in enumerate(state.sources) if not has_manifest_snapshot(src)]
    lock = threading.Lock()

    def checked(
        name: str, tbl: pa.Table, orphan: np.ndarray | None, conv: np.ndarray | None = None
    ) -> pa.Table:
        """The rows kept; ``conv``: each row's position among ``conversations``, kept for
        the kept rows until the conversations are final (``_AfterSnapshot``)."""
        drop = duplicate_mask(specs[name], tbl)
        res = kept[name]
        res.duplicates += int(drop.sum())
        if orphan is not None:
            bad = orphan & ~drop
            res.orphans.append(tbl["_seq"].to_numpy()[bad])
            drop |= bad
        res.add(~drop)
        if conv is not None:
            path = slim_rows.folder / f"{name}.{len(res.positions)}.conv.npy"
            np.save(path, conv[~drop].astype(np.int32), allow_pickle=False)
            res.positions.append(path)
        out = tbl.filter(pa.array(~drop)) if drop.any() else tbl
        for d in undated:
            m = latest_of_dump(state, d, specs[name], out)
            if m is not None:
                with lock:  # the other thread may set it too
                    latest[d] = max(latest.get(d, m), m)
        return out

    def messages_and_tags(b: int) -> None:
        messages = slim_rows.read("messages", b, empty["messages"])
        conv = conversations.index(messages["conversation_id"])
        kept_messages = checked("messages", messages, conv < 0 if messages.num_rows else None, conv)
        tags = slim_rows.read("message_tags", b, empty["message_tags"])
        orphan = None
        if tags.num_rows:
            dropped = None
            if kept_messages.num_rows < messages.num_rows:
                dropped = messages["message_id"].filter(pa.array(~kept["messages"].mask(b)))
            absent = not_in(tags["message_id"], messages["message_id"])
            orphan = _tag_orphans(tags, kept_messages, absent, dropped)
        checked("message_tags", tags, orphan)

    def events(b: int) -> None:
        rows = slim_rows.read("conversation_events", b, empty["conversation_events"])
        conv = conversations.index(rows["conversation_id"])
        checked("conversation_events", rows, conv < 0 if rows.num_rows else None, conv)

    side_by_side(
        [
            (slim_rows.counts["messages"], messages_and_tags),
            (slim_rows.counts["conversation_events"], events),
        ],
        prog,
        "Removing duplicates and orphans",
    )
    return kept


class _AfterSnapshot:
    """The snapshot's cut, the reference checks and the index's parts of the bucketed
    tables, bucket by bucket (the conversations, whole, are cut before)."""

    def __init__(
        self,
        state: State,
        slim_rows: SlimBuckets,
        empty: dict[str, pa.Table],
        kept: dict[str, _Kept],
        whole: dict[str, pa.Table],
        s: pa.Scalar,
        read_ids: pa.Array,
    ) -> None:
        self.state = state
        self.slim_rows = slim_rows
        self.empty = empty
        self.kept = kept
        self.whole = whole
        self.s = s
        final = Lookup(whole["conversations"]["conversation_id"])  # unique: de-duplicated
        self.final_of_read = final.index(read_ids)  # steps two and three looked rows up in read_ids
        self.lo, self.hi = store.empty_spans(len(final.known))
        self.flags = np.zeros(state.next_seq, bool)  # rows kept, by _seq
        self.grouped = _Grouped(slim_rows.folder)
        self.spans = threading.Lock()

    def run(self, gone: dict[str, pa.Array], prog: Progress) -> dict[str, _Final]:
        final = {name: _Final() for name in BUCKETED}
        counts = self.slim_rows.counts

        def messages_and_tags(b: int) -> None:
            bucket_gone = dict(gone)  # a message left out takes its tags, which share its bucket
            messages, before = self._cut("messages", b, bucket_gone, final["messages"])
            conv = self._conversations("messages", b, messages, before)
            self._group("messages", messages, conv, final["messages"])
            tags, _before = self._cut("message_tags", b, bucket_gone, final["message_tags"])
            of_tag = _positions_among(tags["message_id"], messages["message_id"])
            tag_conv = np.where(of_tag >= 0, conv[np.maximum(of_tag, 0)], -1)
            self._group("message_tags", tags, tag_conv, final["message_tags"])

        def events(b: int) -> None:
            rows, before = self._cut("conversation_events", b, dict(gone), final["conversation_events"])
            conv = self._conversations("conversation_events", b, rows, before)
            self._group("conversation_events", rows, conv, final["conversation_events"])
            locked = np_mask(pc.equal(rows["type"], "LOCKED"))
            if locked.any():
                mask = pa.array(locked)
                self.grouped.add_locks(
                    conv[locked],
                    flat(rows["user_id"].filter(mask)).cast(pa.large_string()),
                    _ms(rows["at"])[locked],
                    rows["_seq"].to_numpy()[locked],
                )

        side_by_side(
            [(counts["messages"], messages_and_tags), (counts["conversation_events"], events)],
            prog,
            "Applying the snapshot",
        )
        return final

    def _cut(
        self, name: str, b: int, gone: dict[str, pa.Array], final: _Final
    ) -> tuple[pa.Table, np.ndarray]:
        """Bucket ``b``'s rows kept by steps two and three and the snapshot, its references
        checked; and the ``_seq`` of the rows steps two and three kept."""
        as_read = self.slim_rows.read(name, b, self.empty[name])
        before = as_read.filter(pa.array(self.kept[name].mask(b)))
        tbl = cut_table(self.state, name, before, self.s, gone)
        for table, col, ref, ref_col in REFERENCES:
            if table != name:
                continue
            unknown = None
            if as_read.num_rows and self.whole[ref].num_rows:
                unknown = _unknown_references(as_read, col, self.whole[ref][ref_col])
            final.add_reference(col, reference_finding(self.state, tbl, col, ref, unknown))
        return tbl, before["_seq"].to_numpy()

    def _conversations(self, name: str, b: int, tbl: pa.Table, before: np.ndarray) -> np.ndarray:
        """The rows' positions in the final conversations, from those steps two and three found."""
        path = self.kept[name].positions[b]
        read = np.load(path)
        path.unlink()
        return self.final_of_read[read[np.searchsorted(before, tbl["_seq"].to_numpy())]]

    def _group(self, name: str, tbl: pa.Table, conv: np.ndarray, final: _Final) -> None:
        seq = tbl["_seq"].to_numpy()
        times = _ms(tbl[SPAN_COLUMN[name]])
        final.rows += len(seq)
        final.add_times(times)
        with self.spans:  # the other thread widens them too
            store.widen(self.lo, self.hi, conv, times)  # the same columns put a conversation in a range
        self.flags[seq] = True
        self.grouped.add(name, seq, conv)

    def finish(self, final: dict[str, _Final]) -> InBuckets:
        """The ``InBuckets``, once every bucket is through ``run``."""
        locks = self.grouped.lock_neighbours()  # first: its sorts peak before the rows' arrays exist
        ranks = _Ranks(self.flags)
        rows = {name: f.rows for name, f in final.items()}
        return InBuckets(
            kept=self.flags,
            rows=rows,
            row_conv={name: self.grouped.row_conv(name, rows[name], self.state, ranks) for name in BUCKETED},
            lo=self.lo,
            hi=self.hi,
            locks=locks,
            times={name: (f.first, f.last) for name, f in final.items()},
        )


def _positions_among(values: pa.ChunkedArray, known: pa.ChunkedArray) -> np.ndarray:
    """Each value's position in ``known`` (-1: none), hashing only the ``known`` that occur:
    a bucket's few tags against its million messages."""
    if not len(values):
        return np.zeros(0, np.int64)
    occurs = np_mask(pc.is_in(known, value_set=pc.unique(flat(values))))
    subset = flat(known).filter(pa.array(occurs))
    found = (
        pc.index_in(values, value_set=subset).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    )
    where = np.flatnonzero(occurs)
    return np.where(found >= 0, where[np.maximum(found, 0)], -1)


def _ms(times: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Milliseconds since the epoch (``store.NO_TIME``: none), like ``store.ms_ints``."""
    ints = pc.fill_null(times.cast(pa.int64()), store.NO_TIME)
    return flat(ints).to_numpy(zero_copy_only=False).astype(np.int64)


def side_by_side(streams: list[tuple[int, Callable[[int], None]]], prog: Progress, text: str) -> None:
    """Each stream's ``work(0)``, ``work(1)``... up to its count, the streams on threads of
    their own: the messages' buckets beside the events', so that both cores work (Arrow and
    numpy release the GIL). Progress and Cancel are this thread's; on Cancel or a failure,
    the other streams stop after the bucket they are in."""
    stop = threading.Event()
    done = [0]
    total = sum(count for count, _work in streams) or 1

    def run(count: int, work: Callable[[int], None]) -> None:
        for b in range(count):
            if stop.is_set():
                return
            work(b)
            done[0] += 1

    with ThreadPoolExecutor(max_workers=len(streams), thread_name_prefix="sparkdesk-buckets") as pool:
        futures = [pool.submit(run, count, work) for count, work in streams]
        try:
            for f in futures:
                wait(f, prog, lambda: done[0] / total, text)
        finally:
            stop.set()
