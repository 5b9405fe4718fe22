"""Reading a cached dump selectively: the conversations a question needs, not the archive.

A dump cache entry (``cache.py``) holds each table as an Arrow IPC file in reading order.
This module adds, at the time the entry is written, an index of small numpy files
(``index/*.npy``) that lets a reader fetch the rows of chosen conversations without
touching the rest of the files:

- ``span_lo`` / ``span_hi``: per conversation, the earliest and latest of its timestamps
  that an export selects on (created, its messages, events, CSAT answers, the tags of its
  messages), in milliseconds. A question over R needs at most the conversations whose
  span meets R: a superset of those with a timestamp in R, which gives the same export,
  since every export filters its rows by R itself.
- ``<table>.order`` / ``<table>.start``: per table whose rows belong to a conversation,
  its row numbers grouped by conversation (reading order within one), and where each
  conversation's group starts (a CSR index). ``message_tags`` are grouped by their
  message's conversation; ``contacts``, ``contact_attributes`` and ``conversations``
  by contact code.
- ``contact_code``: per conversation, its contact's number (contacts numbered in the
  order of their first conversation; -1: no contact).
- ``lock_conv`` / ``lock_prev`` / ``lock_next``: per ``LOCKED`` event, its conversation,
  that of the agent's previous lock, and that of the agent's next lock on another
  conversation (``lock_neighbours``): the context a conversation's lock sessions need.

``Store.tables_of(positions)`` gives every table cut to those conversations, rows in
reading order: what ``exports.plan.narrow_dump`` gives from the whole dump in memory,
read from the memory-mapped files page by page. The mapping is closed afterwards, so
the pages read do not stay in the process's memory.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.dump.model import DumpRefused

INDEX_DIR = "index"
INDEX_VERSION = 1
# The tables whose rows belong to one conversation, by their conversation_id column.
BY_CONVERSATION = ("messages", "conversation_events", "csat_surveys")
# What a lock-context conversation brings besides its row: its lock sessions read only events.
LOCK_CONTEXT_TABLES = frozenset({"conversation_events"})
# Grouped by contact code (the conversations too: a contact's every conversation).
BY_CONTACT = ("conversations", "contacts", "contact_attributes")
# The timestamps that put a conversation into a range (exports.md: every "in the range").
SPAN_TIMES = {
    "conversations": "created_at",
    "messages": "created_at",
    "conversation_events": "at",
    "csat_surveys": "responded_at",
}
INDEX_THREADS = 1  # see build_index
NO_TIME = np.iinfo(np.int64).min  # NaT's integer
_LO_EMPTY, _HI_EMPTY = np.iinfo(np.int64).max, np.iinfo(np.int64).min

LockNeighbours = tuple[np.ndarray, np.ndarray, np.ndarray]


class SavedCopyGone(DumpRefused):
    """A file of the saved copy a dump was opened from has gone (the copies were deleted,
    or another SparkDesk pruned them): one sentence, and the dump must be opened again."""


def gone(folder: Path, err: OSError) -> SavedCopyGone:
    return SavedCopyGone(
        f"The saved copy of this dump ({folder}) is no longer there ({err.strerror or err}): "
        "open the dump again to read it afresh."
    )


_LIVE: weakref.WeakSet = weakref.WeakSet()  # every Store of this process, while a dump holds it


def folders_in_use() -> set[Path]:
    """The cache entries open in this process: pruning leaves them alone."""
    return {store.folder for store in list(_LIVE)}


# ---------------------------------------------------------------- building the index


def ms_ints(times: pd.Series) -> np.ndarray:
    """Milliseconds since the epoch as int64 (missing: ``NO_TIME``)."""
    return times.astype("datetime64[ms, UTC]").to_numpy(dtype="datetime64[ms]").astype(np.int64)


def ids(series: pd.Series) -> pa.Array:
    """A text column as one contiguous Arrow array (what ``index_in`` wants)."""
    arr = pa.array(series, type=pa.large_string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def index_in(values: pd.Series, universe: pa.Array) -> np.ndarray:
    """Position of each value in ``universe`` (-1: absent or missing)."""
    found = pc.index_in(ids(values), value_set=universe)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _small(values: np.ndarray) -> np.ndarray:
    """int32 when the values allow it: half the disk and memory of the index."""
    if values.size == 0 or (
        values.min() >= np.iinfo(np.int32).min and values.max() <= np.iinfo(np.int32).max
    ):
        return values.astype(np.int32)
    return values


def csr(groups: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, start): row numbers grouped by ``groups`` (0..n-1; -1: in no group), rows of
    one group in reading order, and where group ``g`` starts (``start[n]``: the total)."""
    order = np.argsort(groups, kind="stable")
    order = order[np.count_nonzero(groups < 0) :]
    counts = np.bincount(groups[groups >= 0], minlength=n)
    start = np.zeros(n + 1, np.int64)
    np.cumsum(counts, out=start[1:])
    return _small(order), start


def lock_neighbours(events: pd.DataFrame, conversation_ids: pa.Array) -> LockNeighbours:
    """Per ``LOCKED`` event: its conversation, that of the agent's previous lock, and that
    of the agent's next lock on another conversation (positions in the conversations
    table, -1: none), in the order of ``Facts.lock_sessions``: the agent's locks by time,
    then reading order. Locks without an agent form one group, as they do there."""
    locked = (events["type"] == "LOCKED").fillna(False).to_numpy(bool)
    locks = events.loc[locked, ["conversation_id", "user_id", "at", "_seq"]]
    user = pc.dictionary_encode(ids(locks["user_id"])).indices.fill_null(-1).to_numpy(zero_copy_only=False)
    conv = index_in(locks["conversation_id"], conversation_ids)
    return lock_neighbours_by_code(conv, user, ms_ints(locks["at"]), locks["_seq"].to_numpy(np.int64))


def lock_neighbours_by_code(
    conv: np.ndarray, user: np.ndarray, at: np.ndarray, seq: np.ndarray
) -> LockNeighbours:
    """``lock_neighbours`` of the locks given by their conversation positions, agents (codes
    in the order they first appear in reading order, -1: none, as ``pc.dictionary_encode``
    numbers them), times (ms) and ``_seq``, in reading order."""
    order = np.lexsort((seq, at, user))
    u, c = user[order], conv[order]
    n = len(order)
    if n == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    same_user_prev = np.zeros(n, bool)
    same_user_prev[1:] = u[1:] == u[:-1]
    prev = np.full(n, -1, np.int64)
    prev[1:] = np.where(same_user_prev[1:], c[:-1], -1)
    run_start = ~same_user_prev | (c != np.roll(c, 1))
    starts = np.flatnonzero(run_start)
    nxt_i = starts[np.minimum(np.searchsorted(starts, np.arange(n), side="right"), len(starts) - 1)]
    nxt = np.where((nxt_i > np.arange(n)) & (u[nxt_i] == u), c[nxt_i], -1)
    return c, prev, nxt


def lock_context(locks: LockNeighbours, core: np.ndarray) -> np.ndarray:
    """Per conversation: is it the previous or the next lock's conversation of a lock of a
    ``core`` conversation, and not core itself?"""
    conv, prev, nxt = locks
    mine = core[conv]
    wanted = np.zeros(len(core), bool)
    wanted[prev[mine & (prev >= 0)]] = True
    wanted[nxt[mine & (nxt >= 0)]] = True
    return wanted & ~core


def build_index(tables: Mapping[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """The index files of a dump's tables (see the module's docstring).

    The tables' lookups and sorts are tasks of a pool of ``INDEX_THREADS``. Arrow's hashing
    and numpy's sorts release the GIL, so two threads build the index of 1M in 3.2 s
    instead of 5.7, but at 3M the import then peaked at 8.6 GiB instead of 7.7 (59 s
    against 69 s): one thread, as memory is what a large import runs out of.
    """
    conv = tables["conversations"]
    cid = ids(conv["conversation_id"])
    n = len(cid)
    lo, hi = empty_spans(n)
    with ThreadPoolExecutor(max_workers=INDEX_THREADS) as pool:
        grouped = {
            name: pool.submit(_by_conversation, tables[name], cid, SPAN_TIMES[name])
            for name in BY_CONVERSATION
        }
        tags = tables["message_tags"]
        message_of_tag = pool.submit(index_in, tags["message_id"], ids(tables["messages"]["message_id"]))
        locks = pool.submit(lock_neighbours, tables["conversation_events"], cid)
        row_conv = {}
        for name in BY_CONVERSATION:
            row_conv[name], times = grouped[name].result()
            widen(lo, hi, row_conv[name], times)
        of_tag = message_of_tag.result()
        tag_conv = np.where(of_tag >= 0, row_conv["messages"][np.maximum(of_tag, 0)], -1)
        widen(lo, hi, tag_conv, ms_ints(tags["at"]))
        row_conv["message_tags"] = tag_conv
        return assemble_index(tables, row_conv, lo, hi, locks.result())


def empty_spans(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per conversation, the earliest and latest span time, before any is known."""
    return np.full(n, _LO_EMPTY, np.int64), np.full(n, _HI_EMPTY, np.int64)


def assemble_index(
    tables: Mapping[str, pd.DataFrame],
    row_conv: dict[str, np.ndarray],
    lo: np.ndarray,
    hi: np.ndarray,
    locks: LockNeighbours,
) -> dict[str, np.ndarray]:
    """The index files, from each grouped table's row conversations (``BY_CONVERSATION``
    and ``message_tags``, rows in reading order) and the spans their times gave; the
    conversations, contacts and contact attributes are read from ``tables``. Each table's
    row conversations are taken out of ``row_conv`` as it is grouped (at 10M, the messages'
    are 395 MB), so that the sorts do not meet them all."""
    n = len(lo)
    widen(lo, hi, np.arange(n), ms_ints(tables["conversations"]["created_at"]))
    out: dict[str, np.ndarray] = {}
    for name in (*BY_CONVERSATION, "message_tags"):
        out[f"{name}.order"], out[f"{name}.start"] = csr(row_conv.pop(name), n)
    out["span_lo"], out["span_hi"] = lo, hi
    out.update(_by_contact(tables))
    c, prev, nxt = locks
    out["lock_conv"], out["lock_prev"], out["lock_next"] = _small(c), _small(prev), _small(nxt)
    return out


def _by_conversation(table: pd.DataFrame, cid: pa.Array, time_column: str) -> tuple[np.ndarray, np.ndarray]:
    """(each row's conversation, its span time)."""
    return index_in(table["conversation_id"], cid), ms_ints(table[time_column])


def _by_contact(tables: Mapping[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Each conversation's contact code, and the CSR index by contact of ``BY_CONTACT``."""
    encoded = pc.dictionary_encode(ids(tables["conversations"]["contact_id"]))
    code = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    contacts = encoded.dictionary
    out = {"contact_code": _small(code)}
    codes = {"conversations": code}
    for name in ("contacts", "contact_attributes"):
        codes[name] = index_in(tables[name]["contact_id"], contacts)
    for name in BY_CONTACT:
        out[f"{name}.by_contact"], out[f"{name}.contact_start"] = csr(codes[name], len(contacts))
    return out


def widen(lo: np.ndarray, hi: np.ndarray, conv: np.ndarray, times: np.ndarray) -> None:
    """Widen the spans of conversations ``conv`` to ``times`` (ms; ``NO_TIME``: none)."""
    ok = (conv >= 0) & (times != NO_TIME)
    np.minimum.at(lo, conv[ok], times[ok])
    np.maximum.at(hi, conv[ok], times[ok])


def write_index(index: Mapping[str, np.ndarray], folder: Path) -> int:
    """Write the index files under ``folder/index``; the bytes written."""
    target = folder / INDEX_DIR
    target.mkdir()
    total = 0
    for name, values in index.items():
        path = target / f"{name}.npy"
        np.save(path, values, allow_pickle=False)
        total += path.stat().st_size
    (target / "index.json").write_text(json.dumps({"version": INDEX_VERSION, "files": sorted(index)}))
    return total


# ---------------------------------------------------------------- reading


def gather(order: np.ndarray, start: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The rows of ``groups`` (sorted group numbers) in a CSR index, ascending: reading order."""
    lo, hi = start[groups], start[groups + 1]
    counts = (hi - lo).astype(np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    offsets = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
    rows = np.asarray(order[offsets], dtype=np.int64)
    rows.sort()
    return rows


def _pick(batch: pa.RecordBatch, rows: np.ndarray) -> pa.RecordBatch:
    """Rows ``rows`` (ascending) of a batch: the batch itself when it is every row, a
    filter when they are many (a sequential pass), else a take."""
    if len(rows) == batch.num_rows:
        return batch
    if len(rows) * 8 >= batch.num_rows:
        keep = np.zeros(batch.num_rows, bool)
        keep[rows] = True
        return batch.filter(pa.array(keep))
    return batch.take(pa.array(rows))


class Store:
    """The index of one cache entry, and row reads of its tables.

    ``frame_of(name, table)`` turns an Arrow table read from ``name``'s file into the
    frame the cache gives back (``cache._to_frame``: dtypes as stored in the manifest);
    ``batch_rows[name]``: the rows of each record batch of that file (``cache._check_file``).
    """

    def __init__(
        self,
        folder: Path,
        rows: Mapping[str, int],
        sizes: Mapping[str, int],
        frame_of: Callable[[str, pa.Table], pd.DataFrame],
        batch_rows: Mapping[str, np.ndarray],
    ):
        self.folder = folder
        self.rows = dict(rows)
        self.bytes = dict(sizes)
        self._frame_of = frame_of
        meta = json.loads((folder / INDEX_DIR / "index.json").read_text())
        if meta.get("version") != INDEX_VERSION:
            raise ValueError("index of another version")
        self._files = set(meta["files"])
        self._batch_rows = dict(batch_rows)
        _LIVE.add(self)

    @property
    def conversations(self) -> int:
        return self.rows["conversations"]

    def array(self, name: str) -> np.ndarray:
        """An index array, memory-mapped: only the pages read come into memory."""
        if name not in self._files:
            raise KeyError(name)
        try:
            return np.load(self.folder / INDEX_DIR / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        except OSError as err:
            raise gone(self.folder, err) from err

    def meeting(self, start: int | None, end: int | None) -> np.ndarray:
        """Positions of the conversations whose span meets [start, end) (ms; None: open)."""
        lo, hi = self.array("span_lo"), self.array("span_hi")
        ok = lo <= hi  # a conversation without any time never meets a range
        if start is not None:
            ok &= hi >= start
        if end is not None:
            ok &= lo < end
        return np.flatnonzero(ok)

    def with_contacts(self, positions: np.ndarray) -> np.ndarray:
        """``positions`` and every other conversation of their contacts, ascending."""
        code = np.asarray(self.array("contact_code")[positions], np.int64)
        contacts = np.unique(code[code >= 0])
        theirs = gather(
            self.array("conversations.by_contact"), self.array("conversations.contact_start"), contacts
        )
        return np.union1d(positions, theirs)

    def lock_neighbours(self) -> LockNeighbours:
        return tuple(np.asarray(self.array(k), np.int64) for k in ("lock_conv", "lock_prev", "lock_next"))  # type: ignore[return-value]

    def with_lock_context(self, core: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(kept, is_core): ``core`` (ascending positions) and the conversations its lock
        sessions need, ascending, and which of them are core."""
        mask = np.zeros(self.conversations, bool)
        mask[core] = True
        keep = mask | lock_context(self.lock_neighbours(), mask)
        kept = np.flatnonzero(keep)
        return kept, mask[kept]

    def tables_of(
        self, kept: np.ndarray, core: np.ndarray, progress: Callable[[], None] = lambda: None
    ) -> Iterator[tuple[str, pd.DataFrame]]:
        """The tables cut to the conversations ``kept`` (ascending positions), rows in reading
        order: the conversations, their events, the messages, CSAT surveys and message tags
        of the ``core`` ones (a mask of ``kept``; the others are lock context, which needs
        only its events: ``LOCK_CONTEXT_TABLES``), and the contacts and contact attributes
        of all."""
        yield "conversations", self.read("conversations", kept)
        progress()
        for name in (*BY_CONVERSATION, "message_tags"):
            of = kept if name in LOCK_CONTEXT_TABLES else kept[core]
            yield name, self.read(name, gather(self.array(f"{name}.order"), self.array(f"{name}.start"), of))
            progress()
        code = np.asarray(self.array("contact_code")[kept], np.int64)
        contacts = np.unique(code[code >= 0])
        for name in ("contacts", "contact_attributes"):
            rows = gather(self.array(f"{name}.by_contact"), self.array(f"{name}.contact_start"), contacts)
            yield name, self.read(name, rows)
            progress()

    def read(self, name: str, rows: np.ndarray) -> pd.DataFrame:
        """Rows ``rows`` (ascending) of table ``name``: only the record batches that hold
        some are read, one at a time, and only those rows kept (a memory map would keep
        every page read in the process's memory until it is closed)."""
        try:
            return self._read(name, rows)
        except OSError as err:
            raise gone(self.folder, err) from err

    def _read(self, name: str, rows: np.ndarray) -> pd.DataFrame:
        path = str(self.folder / f"{name}.arrow")
        ends = np.cumsum(self._batch_rows[name])
        starts = ends - self._batch_rows[name]
        taken = []
        with pa.OSFile(path, "r") as source:
            reader = pa.ipc.open_file(source)
            for i in np.flatnonzero(np.searchsorted(rows, ends) > np.searchsorted(rows, starts)):
                lo, hi = np.searchsorted(rows, [starts[i], ends[i]])
                taken.append(_pick(reader.get_batch(int(i)), rows[lo:hi] - starts[i]))
            schema = reader.schema
        # one chunk per batch read, as a whole table's columns have: no copy to join them
        table = pa.Table.from_batches(taken, schema=schema) if taken else schema.empty_table()
        return self._frame_of(name, table)
