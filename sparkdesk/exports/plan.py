"""Which conversations a question needs, and how to compute it in parts (issue 14).

Every definition of exports.md is per conversation (timeline, first response, resolution
cycles, topics, tags, CSAT), with two exceptions, and the figures over agents, teams,
topics, tags and virtual agents are sums and counts. So an export can be computed from a
*sub-dump*: the conversations that matter, whole, plus every reference table. The sub-dump's
conversations table carries a boolean ``_core`` column: its rows count; the other ones are
*context*, there only so that a definition that looks across conversations sees what it
needs (``tables._selected_cx`` leaves them out of every figure).

The two definitions that look across conversations:

- **Lock sessions** (exports.md "Lock sessions before filters"): a session also ends at the
  agent's next ``LOCKED`` on a different conversation, and a lock is ignored by comparing it
  with the agent's previous lock. A lock's session is exact when the conversation of the
  agent's previous lock and that of the agent's next lock on another conversation are in the
  sub-dump: ``lock_context`` adds them.
- **Contact Last Updated**: the latest message of the contact in any conversation. Parts are
  cut by contact, and the contact export takes every conversation of its contacts.

Two uses:

- **Cost follows the question** (``relevant_conversations``): an export over R needs only
  the conversations with a timestamp in R (created, a message, an event, a tag, a CSAT
  answer); a one-day export of a year's archive computes the facts of that day's
  conversations, not the year's.
- **Parts** (``Parts``): the conversations cut into parts of whole contacts; ``merge`` puts
  the parts' rows together in the spec's order (rows of conversations and messages) or adds
  up their figures (agents, teams, topics, tags, virtual agents) and derives the averages
  again from the sums. Exact, and tested with tiny parts; not yet chosen by the memory
  budget, which parts do not keep today (``make_plan``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.dump import store
from sparkdesk.dump.model import Dump
from sparkdesk.exports import tables
from sparkdesk.exports.scope import CORE, Scope
from sparkdesk.exports.shape import sort_rows
from sparkdesk.memory import MemoryLimitTooSmall
from sparkdesk.tasks import checkpoint, checkpoints, current_progress, running

# The tables whose rows belong to one conversation, by their conversation id column.
BY_CONVERSATION = ("conversations", "messages", "conversation_events", "csat_surveys")
# The timestamps that put a conversation into a range (exports.md: every "in the range").
RANGE_TIMES = {
    "conversations": ("created_at",),
    "messages": ("created_at",),
    "conversation_events": ("at",),
    "csat_surveys": ("responded_at",),
}
# Per LOCKED event: its conversation, the agent's previous lock's, the next other lock's.
LockNeighbours = store.LockNeighbours
# Exports whose rows read a contact's other conversations (Contact "Last Updated"). Their
# narrowed dump holds every conversation of the day's contacts: at 1M, a one-day contact
# export took as long narrowed as whole (5.6 s) and 0.7 GiB more, so make_plan narrows it
# only when the memory budget asks.
WHOLE_CONTACTS = frozenset({"contact"})


_ids = store.ids  # a text column as one contiguous Arrow array


def filter_series(series: pd.Series, keep: np.ndarray) -> pd.Series:
    """``series[keep]`` on a fresh index. A text column read from the cache is an Arrow array
    of a thousand chunks; pandas' mask takes it whole (2.2 s for 1 % of ten million
    messages), Arrow's filter goes chunk by chunk (0.3 s)."""
    arrow = getattr(series.array, "_pa_array", None)
    if arrow is None:
        return series[keep].reset_index(drop=True)
    kept = pc.filter(arrow, pa.array(keep, pa.bool_()))
    return pd.Series(type(series.array)(kept, dtype=series.dtype), name=series.name)


def filter_rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame[keep]`` on a fresh index, column by column (``filter_series``)."""
    return pd.DataFrame(
        {name: filter_series(frame[name], keep) for name in frame.columns}, columns=frame.columns
    )


def _in_range(times: pd.Series, scope: Scope) -> np.ndarray:
    return scope.in_range(times).to_numpy(bool)


def relevant_conversations(dump: Dump, scope: Scope, export_id: str) -> pa.Array | None:
    """The ids of the conversations an export over ``scope`` reads (None: all of them).

    A conversation counts when any of its timestamps that an export selects on lies in R.
    Messages tagged in R bring their conversation along.
    """
    if scope.start is None and scope.end is None:
        return None
    t = dump.tables
    if _in_range(t["conversations"]["created_at"], scope).all():
        return None  # every conversation was created in R: a whole-range export pays nothing here
    found = []
    for name, columns in RANGE_TIMES.items():
        table = t[name]
        for col in columns:
            hit = _in_range(table[col], scope)
            if hit.any():
                found.append(_ids(filter_series(table["conversation_id"], hit)))
    tags = t["message_tags"]
    tagged = _in_range(tags["at"], scope)
    if tagged.any():
        messages = t["messages"]
        of_tagged = pc.is_in(
            _ids(messages["message_id"]), value_set=pc.unique(_ids(filter_series(tags["message_id"], tagged)))
        )
        found.append(
            _ids(filter_series(messages["conversation_id"], of_tagged.to_numpy(zero_copy_only=False)))
        )
    ids = pc.unique(pa.concat_arrays(found)) if found else pa.array([], pa.large_string())
    if export_id in WHOLE_CONTACTS:
        ids = _whole_contacts(dump, ids)
    return ids


def _whole_contacts(dump: Dump, ids: pa.Array) -> pa.Array:
    conv = dump.tables["conversations"]
    cid = _ids(conv["conversation_id"])
    contacts = pc.unique(_ids(conv["contact_id"]).filter(pc.is_in(cid, value_set=ids)))
    return cid.filter(pc.is_in(_ids(conv["contact_id"]), value_set=contacts))


class Parts:
    """The conversations of a question cut into ``n`` parts of whole contacts, and each
    part's sub-dump (``narrow_dump`` of its conversations).

    A contact goes to part ``code % n``, its code numbering the contacts in order of their
    first conversation: the parts come out about equal, and the same every run. The lock
    neighbours, a pass over every lock of the dump, are found once for all the parts.
    """

    def __init__(self, dump: Dump, ids: pa.Array | None, n: int) -> None:
        self.dump, self.n = dump, max(n, 1)
        conv = dump.tables["conversations"]
        cid = _ids(conv["conversation_id"])
        keep = np.ones(len(cid), bool) if ids is None else _is_in(cid, ids)
        contact = pc.dictionary_encode(_ids(conv["contact_id"])).indices.fill_null(-1)
        codes = contact.to_numpy(zero_copy_only=False).astype(np.int64)
        self.part_of = np.where(keep, np.maximum(codes, 0) % self.n, -1)
        self._locks = _lock_neighbours(dump)

    def ids(self, p: int) -> pa.Array:
        """The core conversation ids of part ``p``."""
        cid = _ids(self.dump.tables["conversations"]["conversation_id"])
        return cid.filter(pa.array(self.part_of == p))

    def sub_dump(self, p: int) -> Dump:
        """Part ``p``'s conversations, whole, with their lock context and every reference table."""
        return narrow_dump(self.dump, self.ids(p), self._locks)


def narrow_dump(dump: Dump, ids: pa.Array, locks: LockNeighbours | None = None) -> Dump:
    """The dump cut to the conversations ``ids``, whole, with their lock context and every
    reference table; the conversations table marks ``ids`` in ``_core``.

    A context conversation brings its row and its events, which are all its locks' sessions
    read (``LOCK_CONTEXT_TABLES``); its messages and surveys would only feed its own figures,
    which no export counts. Each table is probed against the few ids kept (a hash of a day's
    conversations, not of the whole dump's). ``locks``: the dump's ``_lock_neighbours``,
    when already found.
    """
    tick = checkpoints(8)  # the bar moves at each table: a long one takes a second at 1M
    t = dict(dump.tables)
    cid = _ids(t["conversations"]["conversation_id"])
    core = _is_in(cid, ids)
    keep = core | _context(locks or _lock_neighbours(dump), core)
    kept, own = cid.filter(pa.array(keep)), cid.filter(pa.array(core))
    tick()
    for name in BY_CONVERSATION[1:]:
        wanted = kept if name in store.LOCK_CONTEXT_TABLES else own
        t[name] = filter_rows(t[name], _is_in(_ids(t[name]["conversation_id"]), wanted))
        tick()
    conversations = filter_rows(t["conversations"], keep)
    t["conversations"] = conversations.assign(**{CORE: core[keep]})
    tick()
    tags = t["message_tags"]
    t["message_tags"] = filter_rows(tags, _is_in(_ids(tags["message_id"]), _ids(t["messages"]["message_id"])))
    tick()
    contacts = pc.unique(_ids(conversations["contact_id"]))
    for name in ("contacts", "contact_attributes"):
        t[name] = filter_rows(t[name], _is_in(_ids(t[name]["contact_id"]), contacts))
        tick()
    return replace(dump, tables=t)


_context = store.lock_context


def _is_in(values: pa.Array, value_set: pa.Array) -> np.ndarray:
    return pc.is_in(values, value_set=value_set).to_numpy(zero_copy_only=False)


def _lock_neighbours(dump: Dump) -> LockNeighbours:
    """``store.lock_neighbours`` of the dump's tables (positions in its conversations table)."""
    return store.lock_neighbours(
        dump.tables["conversation_events"], _ids(dump.tables["conversations"]["conversation_id"])
    )


def split_by_contact(dump: Dump, ids: pa.Array | None, parts: int) -> list[pa.Array]:
    """``ids`` (None: every conversation) in ``parts`` groups of whole contacts (``Parts``)."""
    cut = Parts(dump, ids, parts)
    return [cut.ids(p) for p in range(cut.n)]


def lock_context(dump: Dump, core: pa.Array) -> pa.Array:
    """The conversations the lock sessions of ``core`` need besides ``core`` itself.

    For each ``LOCKED`` event of a core conversation, in the agent's locks ordered by time
    and reading order (the order of ``Facts.lock_sessions``): the conversation of the
    previous lock, and that of the next lock on another conversation.
    """
    cid = _ids(dump.tables["conversations"]["conversation_id"])
    return cid.filter(pa.array(_context(_lock_neighbours(dump), _is_in(cid, core))))


# ----- putting parts together ------------------------------------------------------------------

# The exports whose rows are sums over conversations: their key columns. The others have one
# row per conversation, message, contact, reply or interval, which no two parts share.
AGGREGATE_KEYS: dict[str, tuple[str, ...]] = {
    "team": ("team_id",),
    "user": ("user_id",),
    "topic": ("topic_id", "channel_id"),
    "tag": ("tag_id", "channel_id"),
    "virtual-agent": ("virtual_agent_id", "channel_id"),
}
# Figures every part computes whole (from the presence table, which parts do not cut).
_SAME_IN_EVERY_PART = frozenset({"available_time", "away_time"})
# Figures derived from others after the sums (tables.team_averages, tables.user_ratios).
_DERIVED = frozenset({"avg_handle_time", "avg_first_response_time", "avg_resolution_time", "utilization"})
_SUMMED_KINDS = frozenset({"count", "duration"})


def merge(frames: list[pd.DataFrame], export) -> pd.DataFrame:
    """The parts' rows as one export (before ``shape.conform``), sorted as the spec says."""
    frames = [f for f in frames if len(f)] or frames[:1]
    merged = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    keys = AGGREGATE_KEYS.get(export.id)
    if keys is not None and len(frames) > 1:
        merged = _add_up(merged, keys, export)
        if export.id == "team":
            merged = tables.team_averages(merged)
            merged = merged[merged["replies"].fillna(0).to_numpy() > 0]
        elif export.id == "user":
            merged = tables.user_ratios(merged)
    return sort_rows(merged.reset_index(drop=True), list(export.sort_by), export)


def _add_up(frame: pd.DataFrame, keys: tuple[str, ...], export) -> pd.DataFrame:
    kinds = {c.key: c.kind for c in export.columns}
    how = {}
    for col in frame.columns:
        if col in keys or col in _DERIVED:
            continue
        if col in kinds:
            summed = kinds[col] in _SUMMED_KINDS and col not in _SAME_IN_EVERY_PART
        else:  # the builders' own figures (handled conversations, sums behind averages...)
            summed = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
        how[col] = "sum" if summed else "first"
    grouped = frame.groupby(list(keys), sort=False, dropna=False)
    return grouped.agg(how).reset_index()


# ----- the plan --------------------------------------------------------------------------------

# Narrow to the question's conversations when they are at most this share of the dump: above
# it, the copy costs more than it saves, and the whole dump's facts may be cached already.
NARROW_SHARE = 0.5


@dataclass(frozen=True)
class Plan:
    """How ``registry.compute`` runs one export: on the dump as it is, on the ``narrowed``
    dump of the question's conversations, or on the sub-dumps of ``parts``, ``workers`` of
    them at once."""

    parts: Parts | None = None
    workers: int = 1
    narrowed: Dump | None = None

    @property
    def whole(self) -> bool:
        return self.parts is None and self.narrowed is None


def make_plan(
    dump: Dump,
    scope: Scope,
    export_id: str,
    *,
    memory_limit: int | None = None,
    parts: int | None = None,
    streamed: bool = False,
    workers: int = 1,
) -> Plan:
    """Narrow to the conversations the question reads, within the memory budget.

    The budget is checked, not yet kept by parts: at 1M conversations, parts cost more
    memory than the whole dump (every part's filter maps the whole cache in, and a per-row
    export holds every part's rows, their concatenation and its sort; benchmarks/ISSUE14.md),
    so a question that does not fit says so (MemoryLimitTooSmall) instead. ``parts`` forces
    sub-dumps, that many: the tests' tiny parts, and the unit a cluster will run.

    The narrowed dumps are kept with the dump, the last ``MEMO_SIZE`` (``_remembered``): the
    next export over the same days (the window's next Generate, ``--type all``) reuses one
    and the shared definitions computed on it.

    ``workers``: the parts a budget asks for will run that many at once, each in its own
    process (workers.py), and the budget counts them all (``parts_for``).
    """
    if export_id == "user-presence":  # the presence table only
        return Plan()
    key = (scope.start, scope.end, export_id in WHOLE_CONTACTS, memory_limit)
    if parts is None and (known := _remembered(dump, key)) is not None:
        return Plan(narrowed=known)
    if dump.store is not None:
        return _store_plan(dump, scope, (export_id, streamed), memory_limit, parts, key, workers)
    total = dump.rows("conversations")
    if parts is None and export_id in WHOLE_CONTACTS:  # narrowed only when the budget asks
        whole = estimate_peak(dump, total, narrowed=False)
        if memory_limit is None or whole <= memory_limit:
            return Plan()
    ids = relevant_conversations(dump, scope, export_id)
    checkpoint(0.4)
    if parts is not None:
        return Plan(Parts(dump, ids, parts))
    whole_need = estimate_peak(dump, total, narrowed=False)
    worth_it = ids is not None and len(ids) <= NARROW_SHARE * total and export_id not in WHOLE_CONTACTS
    needed = (  # the whole dump does not fit the budget, the narrowed question does
        ids is not None
        and memory_limit is not None
        and whole_need > memory_limit >= estimate_peak(dump, len(ids), True)
    )
    narrow = worth_it or needed
    check_budget(dump, len(ids) if narrow else total, narrow, memory_limit)
    if not narrow:
        return Plan()
    with running(current_progress().sub(0.4, 1.0)):  # its tables, one tick each
        narrowed = narrow_dump(dump, ids)
    _remember(dump, key, narrowed)
    return Plan(narrowed=narrowed)


def _store_plan(
    dump: Dump,
    scope: Scope,
    rows_of: tuple[str, bool],
    memory_limit: int | None,
    parts: int | None,
    key: tuple,
    workers: int = 1,
) -> Plan:
    """``make_plan`` for a dump opened from the cache: the question's conversations are found
    in the cache's index and read from its files (``narrow_from_store``), in as many parts
    as the memory budget asks. ``rows_of``: the export, and whether its rows stream to the
    file part by part (``registry.export_to_file``) or are held to the end."""
    export_id, streamed = rows_of
    st = dump.store
    whole_contacts = export_id in WHOLE_CONTACTS
    pos = _meeting(st, scope)
    if pos is not None and whole_contacts:
        pos = st.with_contacts(pos)
    checkpoint(0.4)
    if parts is not None:
        return Plan(StoreParts(dump, pos, parts))
    total = max(st.conversations, 1)
    share = 1.0 if pos is None else len(pos) / total
    if pos is None or share > NARROW_SHARE:  # most of the dump: read it whole, as it is
        if memory_limit is None or estimate_peak(dump, total, narrowed=False) <= memory_limit:
            return Plan()
    reserve = 0 if streamed else result_reserve(dump, export_id, share)  # the rows held to the end
    rows = export_id if streamed else ""  # else each part holds its own rows while it spills them
    try:
        n = parts_for(dump, share, memory_limit, reserve, rows, workers)
        parts = _fitting_parts(dump, pos, n, memory_limit, reserve, rows, workers) if n > 1 else None
    except MemoryLimitTooSmall as err:  # name the smaller of the limits that would do
        whole = estimate_peak(dump, total, narrowed=False)
        raise MemoryLimitTooSmall(min(err.needed_bytes, whole), memory_limit) from None
    if parts is not None:
        return Plan(parts)
    with running(current_progress().sub(0.4, 1.0)):
        narrowed = narrow_from_store(dump, np.arange(st.conversations) if pos is None else pos)
    _remember(dump, key, narrowed)
    return Plan(narrowed=narrowed)


def _fitting_parts(
    dump: Dump,
    pos: np.ndarray | None,
    n: int,
    memory_limit: int,
    reserve: int = 0,
    rows_of: str = "",
    workers: int = 1,
) -> StoreParts:
    """StoreParts whose largest part, lock context included, fits the budget beside
    ``reserve``, ``workers`` of them at once: ``n`` parts, or more when the context (the
    agents' neighbouring locks, in other parts) makes a part larger than its share (at 1M,
    four parts of 250,000 conversations read 435,000-495,000 each)."""
    total = max(dump.store.conversations, 1)
    while True:
        parts = StoreParts(dump, pos, n)
        biggest = max(parts.kept(p) for p in range(parts.n)) / total
        more = parts_for(dump, biggest, memory_limit, reserve, rows_of, workers)  # the biggest, cut again
        if more <= 1:
            return parts
        if n >= MAX_PARTS or parts.n < n:  # no more parts to cut: say what would fit
            raise MemoryLimitTooSmall(parts_at_once(dump, biggest, reserve, rows_of, workers), memory_limit)
        n = min(MAX_PARTS, max(n + 1, n * more))


def parts_within(dump: Dump, memory_limit: int | None) -> StoreParts | None:
    """Parts of every conversation of a cached dump that keep a pass over all of them (the
    import report's lock sessions) inside the budget; None when the dump is taken whole (it
    fits, or it is in memory already)."""
    if memory_limit is None or dump.store is None:
        return None
    if estimate_peak(dump, dump.rows("conversations"), narrowed=False) <= memory_limit:
        return None
    return _fitting_parts(dump, None, parts_for(dump, 1.0, memory_limit), memory_limit)


def result_reserve(dump: Dump, export_id: str, share: float) -> int:
    """The memory a per-row export's rows take when they are held until the end (and then
    put together: twice), for ``share`` of a cached dump's conversations (``RESULT_SOURCES``)."""
    if export_id not in RESULT_SOURCES:
        return 0
    table, factor = RESULT_SOURCES[export_id]
    return int(2 * factor * dump_bytes(dump, (table,)) * share)


def _meeting(st: store.Store, scope: Scope) -> np.ndarray | None:
    """Positions of the conversations whose time span meets R (None: all of them)."""
    if scope.start is None and scope.end is None:
        return None
    pos = st.meeting(_ms(scope.start), _ms(scope.end))
    return None if len(pos) == st.conversations else pos


def _ms(t: pd.Timestamp | None) -> int | None:
    return None if t is None else int(pd.Timestamp(t).tz_convert("UTC").as_unit("ms").asm8.view("i8"))


def narrow_from_store(
    dump: Dump, core: np.ndarray, context: tuple[np.ndarray, np.ndarray] | None = None
) -> Dump:
    """``narrow_dump`` read from the cache: the conversations at positions ``core`` whole,
    with their lock context, and every reference table; only their rows are read.
    ``context``: ``Store.with_lock_context(core)``, when already found."""
    st = dump.store
    kept, is_core = context if context is not None else st.with_lock_context(core)
    tick = checkpoints(8)
    tick()
    cut = dict(st.tables_of(kept, is_core, tick))
    t = {name: cut[name] if name in cut else dump.tables[name] for name in dump.tables}
    t["conversations"] = t["conversations"].assign(**{CORE: is_core})
    return replace(dump, tables=t, store=None, known={})


class StoreParts:
    """The conversations of a question (``positions``; None: all) cut into ``n`` parts of
    whole contacts, read from the cache one at a time.

    Whole contacts, as ``Parts``: a distinct count of contacts (Contacts Helped) adds up
    over parts only when no contact is in two. A part is a run of contacts numbered next to
    each other (by their first conversation), so that its rows lie close together in the
    cache's files; conversations without a contact are cut by position."""

    def __init__(self, dump: Dump, positions: np.ndarray | None, n: int) -> None:
        st = dump.store
        pos = np.arange(st.conversations) if positions is None else np.asarray(positions, np.int64)
        self.dump, self.n = dump, max(1, min(n, len(pos)))
        self._groups = [pos[part] for part in _cut(st, pos, self.n)]
        self._context: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _with_context(self, p: int) -> tuple[np.ndarray, np.ndarray]:
        """``Store.with_lock_context`` of part ``p``, found once (the budget sizes the parts
        with it, then each part reads it)."""
        if p not in self._context:
            self._context[p] = self.dump.store.with_lock_context(self._groups[p])
        return self._context[p]

    def kept(self, p: int) -> int:
        """How many conversations part ``p`` reads: its own and their lock context."""
        return len(self._with_context(p)[0])

    def ids(self, p: int) -> np.ndarray:
        """Positions of part ``p``'s conversations."""
        return self._groups[p]

    def sub_dump(self, p: int) -> Dump:
        return narrow_from_store(self.dump, self._groups[p], self._with_context(p))


def _cut(st: store.Store, pos: np.ndarray, n: int) -> list[np.ndarray]:
    """Per part, a mask of ``pos``: runs of contacts (in the order of their codes) holding
    about ``len(pos) / n`` conversations each; conversations without a contact by position."""
    if not len(pos):
        return [np.zeros(0, bool)]
    code = np.asarray(st.array("contact_code")[pos], np.int64)
    has = code >= 0
    sizes = np.bincount(code[has], minlength=int(code.max()) + 1 if has.any() else 0)
    before = np.cumsum(sizes) - sizes  # the conversations of the contacts coded lower
    part = np.arange(len(pos)) * n // len(pos)
    part[has] = before[code[has]] * n // max(int(sizes.sum()), 1)
    return [part == p for p in range(n)]


# The most parts a budget may ask for: below a 256th of the dump per part, what every part
# reads besides its conversations (the reference tables, the index) dominates.
MAX_PARTS = 256


def parts_for(
    dump: Dump,
    share: float,
    memory_limit: int | None,
    reserve: int = 0,
    rows_of: str = "",
    workers: int = 1,
) -> int:
    """How many parts keep an export over ``share`` of a cached dump's conversations inside
    ``memory_limit``, beside ``reserve`` (the rows kept until the end; ``rows_of``: the
    export whose rows each part holds while it spills them); MemoryLimitTooSmall when even
    ``MAX_PARTS`` would not.

    With ``workers`` > 1 the parts run in worker processes, that many at once, and all of
    them must fit beside the parent (``parts_at_once``)."""
    if memory_limit is None:
        return 1
    base = parts_at_once(dump, 0.0, reserve, workers=workers)
    work = parts_at_once(dump, share, reserve, rows_of, workers) - base
    room = memory_limit - base
    if room <= 0 or work / room > MAX_PARTS:
        raise MemoryLimitTooSmall(int(base + work / MAX_PARTS), memory_limit)
    return max(1, int(np.ceil(work / room)))


def parts_at_once(dump: Dump, share: float, reserve: int = 0, rows_of: str = "", workers: int = 1) -> int:
    """The peak memory of parts of ``share`` each computed ``workers`` at once, beside
    ``reserve``: one part in this process (``estimate_part``), or a part in each worker
    process beside the parent's own base (the process, the reference tables, the index) and
    the parent's ``reserve`` (the parts' rows come back to it)."""
    if workers <= 1:
        return estimate_part(dump, share, rows_of) + reserve
    return estimate_part(dump, 0.0) + reserve + workers * estimate_part(dump, share, rows_of)


def estimate_part(dump: Dump, share: float, rows_of: str = "") -> int:
    """The peak memory of computing ``share`` of a cached dump's conversations at once: the
    process, the reference tables every part reads whole, the index, ``STORE_FACTOR`` x the
    share of the conversations' rows, and the part's own rows of export ``rows_of``."""
    rows = dump_bytes(dump, ROW_TABLES)
    base = PROCESS_BYTES + dump_bytes(dump) - rows + STORE_OVERHEAD * dump.store.conversations
    return int(base + STORE_FACTOR * rows * share + result_reserve(dump, rows_of, share))


_MEMO_LOCK = threading.Lock()
MEMO_SIZE = 2  # narrowed dumps kept: going back and forth between two ranges costs nothing


def _remembered(dump: Dump, key: tuple) -> Dump | None:
    with _MEMO_LOCK:
        return getattr(dump, "_narrowed", {}).get(key)


def _remember(dump: Dump, key: tuple, narrowed: Dump) -> None:
    with _MEMO_LOCK:
        memo = dict(getattr(dump, "_narrowed", {}))
        memo.pop(key, None)
        memo[key] = narrowed
        dump._narrowed = dict(list(memo.items())[-MEMO_SIZE:])  # type: ignore[attr-defined]


def dump_bytes(dump: Dump, names: tuple[str, ...] | None = None) -> int:
    """Bytes held by the dump's tables (or ``names``): Arrow buffers and numpy arrays.

    Counted once per table and kept with the dump (0.4 s at 1M: a cached text column is a
    thousand Arrow chunks)."""
    if dump.store is not None:  # the cache's files: as large as the tables they hold
        sizes = dump.store.bytes
        return sum(sizes[n] for n in (sizes if names is None else names))
    with _MEMO_LOCK:
        sizes = getattr(dump, "_table_bytes", None)
        if sizes is None:
            sizes = {n: int(t.memory_usage(index=False, deep=False).sum()) for n, t in dump.tables.items()}
            dump._table_bytes = sizes  # type: ignore[attr-defined]
    return sum(sizes[n] for n in (sizes if names is None else names))


def estimate_peak(dump: Dump, conversations: int, narrowed: bool) -> int:
    """The peak memory of an export over ``conversations`` of the dump's, the dump included:
    the process itself (``PROCESS_BYTES``), the dump's tables, ``WHOLE_FACTOR`` × those conversations' rows, and when narrowed the
    passes over the whole dump (``NARROW_OVERHEAD`` × every conversation's rows)."""
    total = max(dump.rows("conversations"), 1)
    rows = dump_bytes(dump, (*BY_CONVERSATION, "message_tags"))
    need = PROCESS_BYTES + dump_bytes(dump) + WHOLE_FACTOR * rows * conversations / total
    return int(need + (NARROW_OVERHEAD * rows if narrowed else 0))


def check_budget(dump: Dump, conversations: int, narrowed: bool, memory_limit: int | None) -> None:
    """MemoryLimitTooSmall, naming the limit that would do, when the estimate exceeds it."""
    if memory_limit is None:
        return
    need = estimate_peak(dump, conversations, narrowed)
    if need > memory_limit:
        raise MemoryLimitTooSmall(need, memory_limit)


# Measured at 1,000,000 conversations (benchmarks/ISSUE14.md): 3.3 GiB of dump tables, of
# which 3.0 GiB conversation rows; the whole-range exports peaked at 5.4-5.9 GiB, one-day
# exports at 3.8-3.9 GiB.
WHOLE_FACTOR = 1.0
NARROW_OVERHEAD = 0.2
# The process before any table: Python, pandas, pyarrow and SparkDesk imported (116 MiB
# measured on Linux) and the interpreter's working room.
PROCESS_BYTES = 160 * 2**20
# A part read from the cache: its rows, read (1.0) and the facts computed from them.
# Measured peaks: 1.3 x the part's rows beside the process and reference tables (user, whole
# range, 1M in 4 parts and 3M in 24); 1.6 keeps a margin for the heavier definitions.
STORE_FACTOR = 1.6
# The rows of a per-row export, per byte of the table they come from (measured on the demo at
# 3M, three days: resolved-conversation 566 B a row and 0.87 rows a conversation, against
# 87 B a conversation of the conversations table; message 437 B a row against 223 B a
# message in the cache, 1.0 because its text column shares the cache's buffers (the whole
# message export at 1M peaks at 5.6 GiB, 2.3 GiB above its 3.3 GiB of tables); ...). Held
# until the end unless the rows are streamed to the file.
RESULT_SOURCES: dict[str, tuple[str, float]] = {
    "resolved-conversation": ("conversations", 6.0),
    "open-conversation": ("conversations", 1.0),
    "message": ("messages", 1.0),
    "contact": ("contacts", 1.0),
    "contact-attribute": ("contact_attributes", 1.0),
    "response-times": ("messages", 0.15),
}
STORE_OVERHEAD = 64  # bytes per conversation of the dump: the index arrays a part reads whole
# The tables cut to a part's conversations (the others are read whole by every part).
ROW_TABLES = (*BY_CONVERSATION, "message_tags", "contacts", "contact_attributes")
