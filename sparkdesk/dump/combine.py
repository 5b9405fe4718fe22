"""Steps two and three of ``load_dumps``, over every table of all the dumps read, then the rest.

Per table: drop duplicates by key (the last row read wins), then reject orphans, cascading
(messages without their conversation, tags without their message). Then the snapshot of
the dumps combined, and what comes after it left out; ids not found in their reference
table (warnings); the report (``report.build_report``); and the tables as pandas frames.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.dump.arrays import flat, np_mask
from sparkdesk.dump.containers import DumpSource
from sparkdesk.dump.fingerprint import maybe_duplicates
from sparkdesk.dump.model import Dump, DumpRefused, ImportReport
from sparkdesk.dump.report import add_row_warnings, build_report, warn_row
from sparkdesk.dump.schema import SNAPSHOT_COLUMNS, TABLES, TableSpec, table_spec
from sparkdesk.dump.state import State, wait
from sparkdesk.dump.validate import arrow_type, in_range_ms, parse_one_timestamp
from sparkdesk.tasks import Progress, running

# (table, column, reference table, reference column): unknown ids only warn.
REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("conversations", "channel_id", "channels", "channel_id"),
    ("conversations", "contact_id", "contacts", "contact_id"),
    ("contact_attributes", "contact_id", "contacts", "contact_id"),
    *(
        (t, c, ref, c)
        for t in ("messages", "conversation_events", "message_tags")
        for c, ref in (("user_id", "users"), ("team_id", "teams"), ("virtual_agent_id", "virtual_agents"))
    ),
    ("conversation_events", "topic_id", "topics", "topic_id"),
    ("message_tags", "tag_id", "tags", "tag_id"),
    ("presence_events", "user_id", "users", "user_id"),
)

# Child tables whose rows belong to a parent row: (child, column, parent, parent key).
OWNERS: tuple[tuple[str, str, str, str], ...] = (
    ("messages", "conversation_id", "conversations", "conversation_id"),
    ("conversation_events", "conversation_id", "conversations", "conversation_id"),
    ("csat_surveys", "conversation_id", "conversations", "conversation_id"),
    ("message_tags", "message_id", "messages", "message_id"),
)


def combine(state: State, prog: Progress) -> Dump:
    """Steps two and three, the snapshot, reference warnings, then the report."""
    done = combine_tables(state, prog, lambda _name, tbl: _to_pandas(tbl))
    return Dump(
        sources=[s.label for s in state.sources],
        tables=done.tables,
        snapshot=done.snapshot,
        report=done.report,
        organization=done.organization,
        url_template=done.url_template,
    )


@dataclass
class Combined:
    """What ``combine_tables`` gives: each final table passed through ``finish``, and the rest."""

    tables: dict
    snapshot: pd.Timestamp
    report: ImportReport
    organization: str | None
    url_template: str | None


def combine_tables(state: State, prog: Progress, finish: Callable[[str, pa.Table], object]) -> Combined:
    """Steps two and three, the snapshot, reference warnings and the report, over the tables
    of ``state.parts``; each final table goes through ``finish(name, table)`` (to pandas,
    for the import in memory; a staged import keeps only what its index reads).

    The hashing (duplicates, orphans, unknown references) runs on two threads; Arrow
    and numpy release the GIL, so both cores work.
    """
    tables = {}
    for t in TABLES:  # popped: the parts are let go while they are joined
        tables[t.name] = _concat(state.parts.pop(t.name, []), t)
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        checks = _submit_checks(pool, tables)
        _dedup_and_orphans(state, tables, checks, prog.sub(0.0, 0.4))
        prog.step(0.45, "Applying the snapshot")
        snapshot = _snapshot(state, tables)
        _cut_at_snapshot(state, tables, snapshot)
        # the tables are final: the pool converts them (after the reference checks queued
        # before) while this thread collects the warnings and writes the report
        largest = sorted(tables, key=lambda n: -tables[n].num_rows)
        converting = {name: pool.submit(finish, name, tables[name]) for name in largest}
        prog.step(0.6, "Checking references")
        _reference_warnings(state, tables, checks.unknown)
        for name, st in state.stats.items():
            st.accepted = tables[name].num_rows + st.after_snapshot
        prog.step(0.7, "Writing the import report")
        with running(prog.sub(0.7, 0.85)):  # checkpoints inside: a report of millions of rows takes seconds
            report = build_report(state)
        prog.step(0.85, "Preparing tables")
        finished = {name: wait(converting[name], prog, lambda: 0.9, "Preparing tables") for name in tables}
    finally:  # on Cancel, drop the checks not started and leave the running ones to end alone
        pool.shutdown(wait=False, cancel_futures=True)
    prog.step(1.0, "Done", force=True)
    org, url = _manifest_fields(state.sources)
    return Combined(finished, snapshot, report, org, url)


# ---------------------------------------------------------------- steps two and three


def _empty_table(spec: TableSpec) -> pa.Table:
    fields = [pa.field(c.name, arrow_type(c)) for c in spec.columns] + [pa.field("_seq", pa.int64())]
    return pa.schema(fields).empty_table()


def _concat(parts: list[pa.Table], spec: TableSpec) -> pa.Table:
    """One table of one chunk per column (hashing many chunks costs minutes at 10M rows).

    Column by column, each column's parts let go as soon as it is joined: a staged import
    holds hundreds of blocks, and joining them all at once held the table twice.
    """
    if not parts:
        return _empty_table(spec)
    if len(parts) == 1:
        return parts[0]
    schema = parts[0].schema
    columns = []
    for name in schema.names:
        chunks = [chunk for p in parts for chunk in p[name].chunks]
        columns.append(pa.concat_arrays(chunks) if chunks else pa.array([], schema.field(name).type))
        parts = [p.drop_columns([name]) for p in parts]
    return pa.Table.from_arrays(columns, schema=schema)


def _codes(a: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Dense int codes of a column's values (nulls share one code), by hashing in Arrow.

    The column is made one chunk first: encoding chunk by chunk and unifying the
    dictionaries afterwards costs minutes on a 10-million-row column.
    """
    enc = pc.dictionary_encode(flat(a))
    return pc.fill_null(enc.indices, -1).to_numpy().astype(np.int64)


def duplicated_last(cols: list[pa.ChunkedArray]) -> np.ndarray:
    """True for every row that a later row with the same values (in ``cols``) replaces."""
    n = len(cols[0]) if cols else 0
    if not maybe_duplicates(cols):
        return np.zeros(n, bool)
    codes = [_codes(c) for c in cols]
    if len(codes) == 1:
        c = codes[0] + 1
        last = np.full(int(c.max()) + 1, -1, np.int64)
        last[c] = np.arange(n)  # with repeated indices, the last assignment wins
        return last[c] != np.arange(n)
    frame = pd.DataFrame({i: c for i, c in enumerate(codes)})
    return frame.duplicated(keep="last").to_numpy()


def _key_groups(spec: TableSpec, tbl: pa.Table) -> list[tuple[np.ndarray | None, list[str]]]:
    """(rows mask or None for all, key columns) per way of comparing rows of this table."""
    every = [c for c in tbl.column_names if c != "_seq"]  # spec columns (and a slim table's _payload)
    if not spec.key:
        return [(None, every)]
    if spec.name == "conversation_events" or spec.alt_key:
        has = ~np_mask(pc.is_null(tbl[spec.key[0]]))
        other = list(spec.alt_key) if spec.alt_key else every
        return [(has, list(spec.key)), (~has, other)]
    return [(None, list(spec.key))]


def duplicate_mask(spec: TableSpec, tbl: pa.Table) -> np.ndarray:
    """Step two: True for accepted rows replaced by a later row with the same key."""
    drop = np.zeros(tbl.num_rows, bool)
    if tbl.num_rows < 2:
        return drop
    for rows, key in _key_groups(spec, tbl):
        if rows is None or rows.all():
            drop |= duplicated_last([tbl[k] for k in key])
        elif rows.sum() > 1:  # only the key columns: copying the whole table cost seconds
            sub = tbl.select(key).filter(pa.array(rows))
            d = duplicated_last([sub[k] for k in key])
            drop[np.flatnonzero(rows)[d]] = True
    return drop


def _note_duplicates(state: State, spec: TableSpec, count: int) -> None:
    """One warning row per table with the number of duplicates dropped."""
    state.stats[spec.name].duplicates += count
    key_text = "+".join(spec.key) if spec.key else "every column"
    s = "s" if count > 1 else ""
    state.pending.table_warnings.append(
        warn_row(
            spec.name,
            "",
            None,
            key_text,
            f"{count} duplicate row{s} dropped (same key; the last one read is kept)",
        )
    )


def not_in(values: pa.ChunkedArray, known: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """True where a value is not among ``known`` (a null is never known).

    ``is_in`` builds a hash table of ``known``. When ``known`` is much the larger side
    (tags' 400,000 message ids against 10 million messages: 1.8 s), it is first cut
    down to the values that occur, probing it against a table of the few distinct
    ``values`` instead; the answer is the same.
    """
    if len(known) > 4 * len(values):  # cut in its chunks: copying 10M ids into one costs more
        known = known.filter(pc.is_in(known, value_set=pc.unique(values)))
    # is_in wants its value set in one piece; the values it reads in their chunks
    return ~np_mask(pc.is_in(values, value_set=flat(known)))


def not_in_each(columns: dict[str, pa.ChunkedArray], known: pa.ChunkedArray) -> dict[str, np.ndarray]:
    """``not_in`` for several columns against one ``known``, hashing ``known`` once.

    The columns' chunks are probed as one chunked array (no copy): messages, events and
    surveys against a million conversation ids cost 0.54 s this way, 0.73 s one by one.
    """
    if not columns:
        return {}
    cols = list(columns.values())
    if len({c.type for c in cols}) > 1:
        return {name: not_in(c, known) for name, c in columns.items()}
    mask = not_in(pa.chunked_array([ch for c in cols for ch in c.chunks], cols[0].type), known)
    ends = np.cumsum([len(c) for c in cols])
    return {name: part for name, part in zip(columns, np.split(mask, ends[:-1]), strict=True)}


def _split(shared: Future, names: list[str]) -> dict[str, Future]:
    """One future per name, resolved with ``shared``'s result[name] (or its failure)."""
    parts: dict[str, Future] = {name: Future() for name in names}

    def done(f: Future) -> None:
        try:
            result = f.result()
        except BaseException as err:  # noqa: BLE001 - handed on, as the shared future raised it
            for part in parts.values():
                part.set_exception(err)
            return
        for name, part in parts.items():
            part.set_result(result[name])

    shared.add_done_callback(done)
    return dict(parts)  # the caller may add futures of its own


@dataclass
class Checks:
    """The hashing of steps two and three and of the reference warnings, under way."""

    duplicates: dict[str, Future]  # table -> rows replaced by a later row
    orphans: dict[str, Future]  # child table -> rows without a parent (tags: tagged messages)
    unknown: dict[tuple[str, str], Future]  # (table, column) -> _seq of unknown ids


def _submit_checks(pool: ThreadPoolExecutor, tables: dict[str, pa.Table]) -> Checks:
    """Start every check on the tables as read, longest first, so both threads stay busy.

    De-duplication never changes which keys exist, so the orphan checks against
    conversations can run on the tables before de-duplication, side by side with it;
    message tags are checked here against every message read, and later, when the
    messages have lost their duplicates and orphans, against the few ids dropped
    (``_tag_orphans``).
    """
    order = sorted(TABLES, key=lambda t: -tables[t.name].num_rows)
    duplicates = {t.name: pool.submit(duplicate_mask, t, tables[t.name]) for t in order}
    children = {
        child: tables[child][col]
        for child, col, parent, _key in OWNERS
        if parent == "conversations" and tables[child].num_rows
    }
    orphans = _split(
        pool.submit(not_in_each, children, tables["conversations"]["conversation_id"]), list(children)
    )
    if tables["message_tags"].num_rows:
        orphans["message_tags"] = pool.submit(
            not_in, tables["message_tags"]["message_id"], tables["messages"]["message_id"]
        )
    return Checks(duplicates, orphans, _submit_reference_checks(pool, tables))


def _dedup_and_orphans(state: State, tables: dict[str, pa.Table], checks: Checks, prog: Progress) -> None:
    """Steps two and three over every table, in table order, as their checks finish."""
    every = [*checks.duplicates.values(), *checks.orphans.values(), *checks.unknown.values()]

    def finished() -> float:
        return sum(f.done() for f in every) / len(every)

    for spec in TABLES:
        text = "Removing duplicates and orphans"
        drop = wait(checks.duplicates[spec.name], prog, finished, text)
        orphans = checks.orphans.get(spec.name)
        if orphans is not None:
            wait(orphans, prog, finished, text)
        _apply_steps_two_three(state, spec, tables, drop, orphans)


def _tag_orphans(
    tags: pa.Table, messages: pa.Table, absent: np.ndarray, dropped: pa.ChunkedArray | None
) -> np.ndarray:
    """True for the tag rows whose message is not among the messages kept.

    ``absent`` (tags whose message was never read, hashed on the pool while other checks
    ran) is the answer unless steps two and three dropped messages. Then a tag also loses
    its message when no row with its id is left: a duplicate's replaced row drops an id
    that the row replacing it still has.
    """
    if dropped is None or not len(dropped):
        return absent
    lost = dropped.filter(pa.array(not_in(dropped, messages["message_id"])))
    if not len(lost):
        return absent
    return absent | ~not_in(tags["message_id"], lost)


def _apply_steps_two_three(
    state: State, spec: TableSpec, tables: dict[str, pa.Table], drop: np.ndarray, orphan: Future | None
) -> None:
    """Drop one table's duplicates, then reject its orphans (among the rows left)."""
    if drop.any():
        _note_duplicates(state, spec, int(drop.sum()))
    bad = None
    if spec.name == "message_tags" and orphan is not None:
        bad = _tag_orphans(tables[spec.name], tables["messages"], orphan.result(), state.dropped_message_ids)
        bad &= ~drop
    elif orphan is not None:
        bad = orphan.result() & ~drop
    if bad is not None and bad.any():
        _note_orphans(state, spec.name, tables[spec.name], bad)
        drop = drop | bad
    if drop.any():
        if spec.name == "messages":
            state.dropped_message_ids = tables[spec.name]["message_id"].filter(pa.array(drop))
        tables[spec.name] = tables[spec.name].filter(pa.array(~drop))


def _note_orphans(state: State, child: str, tbl: pa.Table, orphan: np.ndarray) -> None:
    note_orphan_seqs(state, child, tbl["_seq"].to_numpy()[orphan])


def note_orphan_seqs(state: State, child: str, seqs: np.ndarray) -> None:
    """The rows ``seqs`` of ``child`` (ascending) are rejected: their parent has no row."""
    _c, col, parent, _k = next(o for o in OWNERS if o[0] == child)
    what = "conversation" if parent == "conversations" else "message"
    state.pending.rejected.append(
        (child, seqs, col, f"orphan: its {what} ({col}) has no accepted row in {parent}")
    )
    state.stats[child].rejected += len(seqs)


# ---------------------------------------------------------------- snapshot


def has_manifest_snapshot(src: DumpSource) -> bool:
    return bool(src.manifest) and src.manifest.get("snapshot_at") not in (None, "")


def _dump_snapshot(
    state: State, d: int, tables: dict[str, pa.Table], more: int | None = None
) -> pd.Timestamp | None:
    """The manifest's snapshot_at, else the latest timestamp of the dump's accepted rows
    (in ``tables``, and ``more``: the latest of rows held elsewhere, in milliseconds)."""
    src = state.sources[d]
    if has_manifest_snapshot(src):
        return _manifest_snapshot(state, src)
    best = more
    for name, tbl in tables.items():
        m = latest_of_dump(state, d, table_spec(name), tbl)
        if m is not None and (best is None or m > best):
            best = m
    return None if best is None else pd.Timestamp(best, unit="ms", tz="UTC")


def latest_of_dump(state: State, d: int, spec: TableSpec, tbl: pa.Table) -> int | None:
    """The latest timestamp (ms) of dump ``d``'s rows in ``tbl`` (rows in reading order)."""
    if not tbl.num_rows:
        return None
    lo = state.dump_seq_start[d]
    hi = state.dump_seq_start[d + 1] if d + 1 < len(state.dump_seq_start) else state.next_seq
    seq = tbl["_seq"].to_numpy()
    a, b = np.searchsorted(seq, [lo, hi])
    best: int | None = None
    if a == b:
        return None
    for c in spec.columns:
        if c.type == "ts":
            m = pc.max(tbl[c.name].slice(a, b - a)).cast(pa.int64()).as_py()
            if m is not None and (best is None or m > best):
                best = m
    return best


def _manifest_snapshot(state: State, src: DumpSource) -> pd.Timestamp:
    value = src.manifest["snapshot_at"] if src.manifest else None
    parsed = (
        parse_one_timestamp(str(value))
        if isinstance(value, (str, int)) and not isinstance(value, bool)
        else None
    )
    if not isinstance(parsed, tuple):
        raise DumpRefused(f"{src.manifest_label} has a snapshot_at that is not a timestamp ({value!r}).")
    ms, naive = parsed
    if not in_range_ms(ms):  # the manifest is no row to reject: like an unreadable one, fatal
        raise DumpRefused(
            f"{src.manifest_label} has a snapshot_at outside the years 1 to 9999"
            f" (from 0001-01-02 to 9999-12-30, UTC): {value!r}."
        )
    if naive:
        state.pending.table_warnings.append(
            warn_row(
                "",
                src.manifest_label or "",
                None,
                "snapshot_at",
                "timestamp without a UTC offset, read as UTC",
            )
        )
    return pd.Timestamp(ms, unit="ms", tz="UTC")


def _snapshot(state: State, tables: dict[str, pa.Table], more: dict[int, int] | None = None) -> pd.Timestamp:
    """The latest snapshot of the dumps combined; the time of reading if there is none.
    ``more``: per dump, the latest timestamp (ms) of its rows not in ``tables``."""
    more = more or {}
    found = [
        s
        for d in range(len(state.sources))
        if (s := _dump_snapshot(state, d, tables, more.get(d))) is not None
    ]
    if found:
        return max(found)
    now = pd.Timestamp.now(tz="UTC").floor("ms")
    state.pending.table_warnings.append(
        warn_row(
            "",
            "",
            None,
            "snapshot_at",
            "no snapshot_at in a manifest and no timestamp in any row: the snapshot is the time of reading",
        )
    )
    return now


CUT_ORDER = (  # parents before their children: what a parent left out takes its children along
    "conversations",
    "messages",
    "conversation_events",
    "csat_surveys",
    "message_tags",
    "presence_events",
)
PARENT_KEY = {"conversations": "conversation_id", "messages": "message_id"}


def snapshot_scalar(snapshot: pd.Timestamp) -> pa.Scalar:
    """The snapshot as a scalar of the tables' timestamp type."""
    # in milliseconds: ``snapshot.value`` (nanoseconds) overflows after the year 2262
    ms = int(snapshot.as_unit("ms").asm8.view("i8"))
    return pa.scalar(ms, pa.int64()).cast(arrow_type(table_spec("messages").col("created_at")))


def _cut_at_snapshot(state: State, tables: dict[str, pa.Table], snapshot: pd.Timestamp) -> None:
    """Leave out what happens strictly after the snapshot, with everything that belongs to it."""
    s = snapshot_scalar(snapshot)
    gone: dict[str, pa.Array] = {}
    for child in CUT_ORDER:
        tables[child] = cut_table(state, child, tables[child], s, gone)


def cut_table(state: State, child: str, tbl: pa.Table, s: pa.Scalar, gone: dict[str, pa.Array]) -> pa.Table:
    """``tbl`` without its rows after ``s`` or of a parent ``gone``; what it leaves out of a
    parent table is added to ``gone``, and counted."""
    if not tbl.num_rows:
        return tbl
    late = np_mask(pc.greater(tbl[SNAPSHOT_COLUMNS[child]], s))
    for c, col, parent, _key in OWNERS:
        if c == child and parent in gone:
            late |= np_mask(pc.is_in(tbl[col], value_set=gone[parent]))
    if not late.any():
        return tbl
    parent_key = PARENT_KEY.get(child)
    if parent_key:
        gone[child] = pc.filter(tbl[parent_key], pa.array(late)).combine_chunks()
    state.stats[child].after_snapshot += int(late.sum())
    return tbl.filter(pa.array(~late))


# ---------------------------------------------------------------- references


SMALL_REFERENCE = 65_536  # reference tables up to this size are checked on distinct values first


def _unknown_references(tbl: pa.Table, col: str, known: pa.ChunkedArray) -> np.ndarray:
    """``_seq`` of the rows whose ``col`` is set but not among ``known``.

    Against a small reference table (users, teams, tags...) the column's distinct values
    are checked first: usually every one is known, and ten million rows then cost one
    pass into a table that fits the cache, without building masks over every row.
    """
    values = tbl[col]
    if values.null_count == len(values):
        return np.zeros(0, np.int64)
    if len(known) <= SMALL_REFERENCE:
        distinct = pc.unique(values).drop_null()
        unknown = distinct.filter(pc.invert(pc.is_in(distinct, value_set=flat(known))))
        if not len(unknown):
            return np.zeros(0, np.int64)
        missing = np_mask(pc.is_in(values, value_set=unknown))  # a null is never among them
    else:
        missing = not_in(values, known) & ~np_mask(pc.is_null(values))
    return tbl["_seq"].to_numpy()[missing]


def _submit_reference_checks(pool: ThreadPoolExecutor, tables: dict[str, pa.Table]) -> dict[tuple, Future]:
    """Unknown-reference checks on the tables as read, to run beside de-duplication.

    Neither de-duplication nor the snapshot changes which ids a reference table holds
    (they have no orphans and nothing is cut from them), so only the rows a check
    finds need to be matched against the rows kept, by ``_seq``, at the end.
    """
    return {
        (table, col): pool.submit(_unknown_references, tables[table], col, tables[ref][ref_col])
        for table, col, ref, ref_col in REFERENCES
        if tables[table].num_rows and tables[ref].num_rows
    }


@dataclass
class ReferenceFinding:
    """What one (table, column) of ``REFERENCES`` has to say, over the rows kept."""

    rows: int = 0  # rows kept
    set_ids: int = 0  # of them, with the column set
    unknown: np.ndarray | None = None  # ``_seq`` of those whose id is not in the reference table


def reference_finding(
    state: State, tbl: pa.Table, col: str, ref: str, unknown: Future | np.ndarray | None
) -> ReferenceFinding:
    """``tbl`` (rows kept) against its reference table; ``unknown``: the check on the rows as read."""
    if not tbl.num_rows:
        return ReferenceFinding()
    values = tbl[col]
    found = ReferenceFinding(tbl.num_rows, len(values) - values.null_count)
    if not state.stats[ref].files:
        return found
    if unknown is not None:
        seqs = unknown.result() if isinstance(unknown, Future) else unknown
        found.unknown = _kept(seqs, tbl["_seq"].to_numpy())
    else:  # the reference table has files but no accepted row: every set id is unknown
        found.unknown = tbl["_seq"].to_numpy()[~np_mask(pc.is_null(values))]
    return found


def _reference_warnings(state: State, tables: dict[str, pa.Table], unknown: dict[tuple, Future]) -> None:
    """Ids not found in their reference table: the row is kept, with a warning."""
    note_references(
        state,
        {
            (table, col): reference_finding(state, tables[table], col, ref, unknown.get((table, col)))
            for table, col, ref, _ref_col in REFERENCES
        },
    )


def note_references(state: State, findings: dict[tuple[str, str], ReferenceFinding]) -> None:
    """The warnings of ``findings``, in the order of ``REFERENCES``."""
    for table, col, ref, _ref_col in REFERENCES:
        found = findings[(table, col)]
        if not found.rows:
            continue
        if not state.stats[ref].files:
            n = found.set_ids
            if n:
                state.pending.table_warnings.append(
                    warn_row(
                        table,
                        "",
                        None,
                        col,
                        f"{n} row{'s' if n > 1 else ''} refer to a {col}, but the dump has no {ref} table",
                    )
                )
            continue
        if found.unknown is not None and len(found.unknown):
            add_row_warnings(state, table, found.unknown, col, f"{col} not found in {ref}")


def _kept(seqs: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The ``seqs`` still among ``kept`` (both ascending: tables stay in reading order)."""
    if not len(seqs) or not len(kept):
        return seqs[:0]
    at = np.minimum(np.searchsorted(kept, seqs), len(kept) - 1)
    return seqs[kept[at] == seqs]


# ---------------------------------------------------------------- pandas


def _pandas_type(t: pa.DataType) -> object:
    if t == pa.int64():
        return pd.Int64Dtype()
    return None


def _to_pandas(tbl: pa.Table, types_mapper: Callable[[pa.DataType], object] = _pandas_type) -> pd.DataFrame:
    """Arrow to the dtypes of schema.py (or of ``types_mapper``); ``_seq`` as plain int64."""
    seq = tbl["_seq"].to_numpy()
    df = tbl.drop_columns(["_seq"]).to_pandas(types_mapper=types_mapper)
    df["_seq"] = seq.astype(np.int64)
    return df


def _manifest_fields(sources: list[DumpSource]) -> tuple[str | None, str | None]:
    """organization and conversation_url_template: the last dump given that has them wins."""
    org = url = None
    for s in sources:
        m = s.manifest or {}
        org = m.get("organization") or org
        url = m.get("conversation_url_template") or url
    return org, url
