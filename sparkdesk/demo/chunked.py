"""Generation in chunks, for demo dumps bigger than memory.

``generate`` in ``generation`` lives every conversation at once: 1.5 GiB at a million
conversations and about 0.85 GiB more per million, too much at ten million. Here the conversations are
lived ``CHUNK`` at a time, in creation order, with the world (agents, teams, shifts) and
the per-conversation draws (creation time, channel, contact, language) made once for all:

- each chunk's fact rows (messages, events, tags, surveys), cut at the snapshot and sorted
  by time within the chunk, go to a ``Spill`` file in a scratch folder (raw column bytes,
  column after column), with the row where every minute of the window starts;
- the tables are then read back in global time order by a *merge*: the minute counts of
  all chunks cut the window into spans of about a batch of rows; each span reads its rows
  from every chunk (contiguous, since each chunk is sorted), concatenates them in chunk
  order and sorts them by time, stably. Ties thus go to the earlier chunk, then to the
  order within the chunk, and nothing depends on timing or file names;
- what crosses chunks is settled by two merge passes over a few columns, before anything
  is written: the messages' global row numbers, which the tags refer to, and the agent's
  last lock on any conversation, which decides which UNLOCKED events are dropped
  (``conversations.released_unlocks``; the rest of that rule is per conversation, and a
  conversation never spans chunks).

The random numbers come from the one generator, in the same order as ``generate`` (the
chunks' simulations one after another), so a dump of one chunk is byte for byte the one
``generate`` gives. Memory is the world and the per-conversation arrays (about 50 bytes per
conversation, its contacts and their attributes included: 0.5 GiB at ten million), one
chunk's simulation (about 0.85 GiB) and one span of the merge. Disk: the spill files take
about 0.64 GB per million conversations (messages 0.43, events 0.18), in a hidden folder
next to the output; a table's files go once it is written.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import numpy as np

from sparkdesk.demo.conversations import Simulation, agents_last_lock, unlock_sessions
from sparkdesk.demo.generation import (
    FACT_TABLES,
    Columns,
    Data,
    Start,
    collect_chunk,
    finish,
    slices,
    start,
)
from sparkdesk.demo.organisation import D0_MS, MIN, SNAPSHOT_MS
from sparkdesk.tasks import Progress

CHUNK = 500_000  # conversations lived at a time
IN_MEMORY_UP_TO = CHUNK  # at most this many conversations, ``generation.generate`` makes the dump
SPAN_ROWS = 500_000  # rows a merge pass reads at a time (about; a minute's rows are never split)
TIME_COLUMN = {
    "messages": "t",
    "conversation_events": "t",
    "message_tags": "t",
    "csat_surveys": "sent",
}
# bins of the merge: every minute from the first calendar day to the snapshot
_BIN_STARTS = np.arange(D0_MS + MIN, SNAPSHOT_MS + 1, MIN, dtype=np.int64)
N_BINS = _BIN_STARTS.size + 1
_KEY_SHIFT = 40  # an event's key across chunks: chunk << 40 | row in the chunk


class Spill:
    """One chunk's rows of one table on disk, in time order, column after column (raw bytes)."""

    def __init__(self, path: pathlib.Path, cols: Columns, time_col: str):
        self.path = path
        self.rows = len(cols[time_col])
        self.dtypes = {k: v.dtype for k, v in cols.items()}
        self.offsets: dict[str, int] = {}
        with open(path, "wb") as fh:
            for name, values in cols.items():
                self.offsets[name] = fh.tell()
                np.ascontiguousarray(values).tofile(fh)
        # the row where every minute bin starts (and the end): a bin's rows are contiguous
        t = cols[time_col]
        self.edges = np.concatenate(([0], np.searchsorted(t, _BIN_STARTS, side="left"), [t.size]))

    def read(self, lo: int, hi: int, names: list[str] | None = None) -> Columns:
        """Rows ``lo`` to ``hi`` of the named columns (all by default)."""
        out = {}
        with open(self.path, "rb") as fh:
            for name in names or list(self.dtypes):
                dtype = self.dtypes[name]
                fh.seek(self.offsets[name] + lo * dtype.itemsize)
                out[name] = np.fromfile(fh, dtype=dtype, count=hi - lo)
        return out

    def rewrite(self, name: str, values: np.ndarray) -> None:
        """Overwrite one column in place (same dtype and length)."""
        with open(self.path, "r+b") as fh:
            fh.seek(self.offsets[name])
            fh.write(np.ascontiguousarray(values, dtype=self.dtypes[name]).tobytes())


def _spans(spills: list[Spill], size: int) -> list[tuple[int, int]]:
    """Bin ranges of about ``size`` rows over all chunks (a bin is never split)."""
    if not spills:
        return []
    counts = np.sum([np.diff(s.edges) for s in spills], axis=0)
    total = np.cumsum(counts)
    targets = np.arange(size, int(total[-1]), size)
    cuts = np.unique(np.concatenate(([0], np.searchsorted(total, targets, side="left") + 1, [N_BINS])))
    before = np.concatenate(([0], total))
    return [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if before[b] > before[a]]


def _merge_span(
    spills: list[Spill], b0: int, b1: int, time_col: str, names: list[str] | None
) -> tuple[Columns, np.ndarray, np.ndarray]:
    """The rows of bins ``b0..b1`` of every chunk, in time order (ties: chunk, then row).

    Returns the columns, and for every merged row its chunk and its row in the chunk.
    """
    parts, chunk, local = [], [], []
    for c, s in enumerate(spills):
        lo, hi = int(s.edges[b0]), int(s.edges[b1])
        if hi > lo:
            parts.append(s.read(lo, hi, names))
            chunk.append(np.full(hi - lo, c, dtype=np.int64))
            local.append(np.arange(lo, hi, dtype=np.int64))
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(cols[time_col], kind="stable")
    return {k: v[order] for k, v in cols.items()}, np.concatenate(chunk)[order], np.concatenate(local)[order]


class FactsOnDisk:
    """The fact tables as spilled chunks, read back in global time order (``generation.Facts``)."""

    def __init__(self, folder: pathlib.Path):
        self.folder = folder
        self.spills: dict[str, list[Spill]] = {t: [] for t in FACT_TABLES}
        self.dropped: list[np.ndarray] = []  # per chunk: event rows to leave out, sorted

    def add_chunk(self, facts: dict[str, Columns]) -> None:
        c = len(self.spills["messages"])
        events = facts["conversation_events"]
        open_session, session_lock = unlock_sessions(events)
        events["open"] = open_session
        events["lock"] = session_lock
        for table, cols in facts.items():
            spill = Spill(self.folder / f"{c:05d}-{table}.bin", cols, TIME_COLUMN[table])
            self.spills[table].append(spill)

    def count(self, table: str) -> int:
        total = sum(s.rows for s in self.spills[table])
        if table == "conversation_events":
            total -= sum(d.size for d in self.dropped)
        return total

    def batches(self, table: str, size: int) -> Iterator[tuple[int, Columns]]:
        time_col = TIME_COLUMN[table]
        spills = self.spills[table]
        first = 0
        for b0, b1 in _spans(spills, max(size, SPAN_ROWS)):
            cols, chunk, local = _merge_span(spills, b0, b1, time_col, None)
            if table == "conversation_events":
                keep = ~self._is_dropped(chunk, local)
                cols = {k: v[keep] for k, v in cols.items() if k not in ("open", "lock")}
            for lo, part in slices(cols, size):
                yield first + lo, part
            first += len(cols[time_col])

    def release(self, table: str) -> None:
        """Delete the table's spill files, so the scratch folder shrinks as the dump grows."""
        for spill in self.spills[table]:
            spill.path.unlink(missing_ok=True)

    def _is_dropped(self, chunk: np.ndarray, local: np.ndarray) -> np.ndarray:
        out = np.zeros(chunk.size, dtype=bool)
        for c, rows in enumerate(self.dropped):
            here = np.flatnonzero(chunk == c)
            if rows.size and here.size:
                pos = np.minimum(np.searchsorted(rows, local[here]), rows.size - 1)
                out[here] = rows[pos] == local[here]
        return out

    # -- what crosses chunks ----------------------------------------------------------------

    def settle(self, n_users: int, progress: Progress) -> None:
        """Tags to global message rows, and the UNLOCKED events of released locks found."""
        self._tags_to_global_messages(progress.sub(0.0, 0.5))
        self._find_released_unlocks(n_users, progress.sub(0.5, 1.0))

    def _tags_to_global_messages(self, progress: Progress) -> None:
        """The tagged messages' rows in the merged table, from a merge of the times alone.

        Only the rows that tags refer to are kept (a few per hundred messages), per chunk.
        """
        spills = self.spills["messages"]
        tag_msgs = [t.read(0, t.rows, ["msg"])["msg"] for t in self.spills["message_tags"]]
        wanted = [np.unique(m) for m in tag_msgs]
        found = [np.full(w.size, -1, dtype=np.int64) for w in wanted]
        first = 0
        spans = _spans(spills, SPAN_ROWS)
        for i, (b0, b1) in enumerate(spans):
            progress.step(i / len(spans), "Numbering messages")
            _, chunk, local = _merge_span(spills, b0, b1, "t", ["t"])
            rows = first + np.arange(chunk.size)
            for c in np.unique(chunk):
                here = np.flatnonzero(chunk == c)  # the chunk's rows, in their order
                at = np.searchsorted(local[here], wanted[c])
                hit = at < here.size
                hit[hit] = local[here[at[hit]]] == wanted[c][hit]
                found[c][hit] = rows[here[at[hit]]]
            first += chunk.size
        for c, tags in enumerate(self.spills["message_tags"]):
            tags.rewrite("msg", found[c][np.searchsorted(wanted[c], tag_msgs[c])])

    def _find_released_unlocks(self, n_users: int, progress: Progress) -> None:
        """The agent's last lock on any conversation, carried from span to span (see module doc)."""
        spills = self.spills["conversation_events"]
        names = ["t", "type", "user", "open", "lock"]
        before = np.full(n_users, -1, dtype=np.int64)
        dropped: list[list[np.ndarray]] = [[] for _ in spills]
        spans = _spans(spills, SPAN_ROWS)
        for i, (b0, b1) in enumerate(spans):
            progress.step(i / len(spans), "Pairing locks and unlocks")
            ev, chunk, local = _merge_span(spills, b0, b1, "t", names)
            ev["key"] = (chunk << _KEY_SHIFT) | local
            held = agents_last_lock(ev, before)
            u = np.flatnonzero(ev["type"] == 2)
            session = np.where(ev["lock"][u] >= 0, (chunk[u] << _KEY_SHIFT) | ev["lock"][u], -2)
            drop = u[~(ev["open"][u] & (held[u] == session))]
            for c in np.unique(chunk[drop]):
                dropped[c].append(local[drop[chunk[drop] == c]])
            locks = np.flatnonzero((ev["type"] == 1) & (ev["user"] >= 0))[::-1]
            users, last = np.unique(ev["user"][locks], return_index=True)
            before[users] = ev["key"][locks[last]]
        self.dropped = [np.sort(np.concatenate(d)) if d else np.zeros(0, np.int64) for d in dropped]


def generate_chunked(
    conversations: int, seed: int, folder: pathlib.Path, progress: Progress, chunk: int | None = None
) -> Data:
    """``generation.generate`` ``chunk`` conversations at a time, fact rows spilled into ``folder``."""
    chunk = chunk or CHUNK
    rng = np.random.default_rng(seed)
    s = start(rng, conversations)
    _narrow(s)
    facts = FactsOnDisk(folder)
    bounds = list(range(0, conversations, chunk)) + [conversations]
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        part = progress.sub(0.8 * i / (len(bounds) - 1), 0.8 * (i + 1) / (len(bounds) - 1))
        sim = Simulation(rng, s.world, s.conv_t[lo:hi], s.conv_ch[lo:hi], part.sub(0.0, 0.75))
        sim.run()
        rows = collect_chunk(sim, part.sub(0.75, 1.0))
        del sim
        for table in ("messages", "conversation_events", "csat_surveys"):
            rows[table]["conv"] += lo
        facts.add_chunk(rows)
        del rows
    facts.settle(s.world.n_agents + 1, progress.sub(0.8, 0.9))
    return finish(rng, s, facts, progress.sub(0.9, 1.0))


def _narrow(s: Start) -> None:
    """The per-conversation and per-contact codes in small integers (only indexes; same cells)."""
    s.conv_ch = s.conv_ch.astype(np.int8)
    s.conv_lang = s.conv_lang.astype(np.int8)
    s.contact_ch = s.contact_ch.astype(np.int8)
    s.conv_contact = s.conv_contact.astype(np.int32)
