"""``load_dumps``: read one or several dumps into validated tables and an import report.

The steps follow dump-format.md: find the table files of every dump (``containers``),
read each file's cells (``parse``), check every row on its own (``validate``), then,
per table over all dumps, drop duplicates by key (last read wins), reject orphans
(cascading), fix the snapshot and leave out what comes after it, and finally note
references to unknown ids. Line numbers and raw rows of rejected or warned rows are
looked up at the very end, re-scanning only the files that have any.

Everything stays in Arrow until the end (text is ``large_string``, which is what
pandas' string dtype stores, so the conversion is zero-copy), and no step loops over
rows in Python (only over the *distinct* values of unusual cells).

What callers get (``Dump``):

- ``tables[name]`` for every table of ``schema.TABLES``: exactly the spec columns plus
  ``_seq`` (int64, reading order; rows are sorted by it, RangeIndex). dtypes: id, text,
  enum, date, tz: pandas ``str`` (missing = NaN; enums upper-cased); ts:
  ``datetime64[ms, UTC]``; bool: numpy ``bool`` (default filled in); int and hhmm:
  ``Int64`` (hhmm in minutes, 24:00 = 1440). Only accepted rows that exist at the
  snapshot.
- ``snapshot``: the manifest's ``snapshot_at``, else the latest timestamp of any column
  of the dump's accepted rows; the latest over the dumps combined. Rows strictly after
  it (``t > snapshot``) are left out; a row exactly at the snapshot exists.
- ``report.stats[name]``: read = accepted + rejected + duplicates; ``accepted`` counts
  ``after_snapshot`` rows too, so ``len(tables[name]) == accepted - after_snapshot``.
- ``report.rejected``: every rejected row, in reading order: table, file, line, column,
  reason, raw. ``file`` is the path on disk, or ``<archive>.zip/<entry>``. ``line`` is
  the CSV line where the record starts (header = line 1, quoted new lines counted), the
  JSON Lines line, or the Parquet row index (0-based). ``column`` is empty when the
  record could not be split at all. ``raw`` is JSON text: an object of header -> cell
  as read (JSON Lines: the line itself; a CSV record of the wrong width: a list).
- ``report.warnings`` (table, file, line, column, reason), rows kept:
  per cell: timestamps without an offset; per row and column: ids not found in their
  reference table. Both list at most ``model.WARN_ROWS_LISTED`` rows per table, column and
  reason (naive timestamps: per file), then one row "...: N more rows like this are
  not listed". Per table: duplicates dropped (one row with the count), and ids of a
  reference table the dump does not have at all (one row with the count). Per file:
  ignored files (table empty), unknown and repeated columns (line empty).
- ``organization``, ``url_template``: from the manifests; the last dump that has one wins.
"""

from __future__ import annotations

import os
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.dump import cache as dump_cache
from sparkdesk.dump import model
from sparkdesk.dump.containers import DumpSource, ReadMeter, TableFile, discover
from sparkdesk.dump.fingerprint import maybe_duplicates
from sparkdesk.dump.model import (
    REJECTED_COLUMNS,
    WARNING_COLUMNS,
    Dump,
    DumpRefused,
    ImportReport,
    TableStats,
)
from sparkdesk.dump.parse import BadRecord, Located, RawFile, locate, read_file
from sparkdesk.dump.schema import SNAPSHOT_COLUMNS, TABLE_NAMES, TABLES, TableSpec, table_spec
from sparkdesk.dump.validate import (
    Checked,
    arrow_type,
    check_file,
    in_range_ms,
    np_mask,
    parse_one_timestamp,
)
from sparkdesk.tasks import (
    CancelToken,
    Progress,
    ProgressFn,
    as_progress,
    checkpoint,
    current_progress,
    running,
)

DEFAULT_MAX_UNPACKED = 20 * 2**30
READ_SHARE = 0.85  # of the progress bar: reading and checking files; the rest is combining
CACHE_WRITE_AT = 0.95  # of the progress bar, when caching: saving the result takes the rest

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


@dataclass
class FileRun:
    """One table file as read: where its rows sit in reading order, what it could not split."""

    tf: TableFile
    dump: int
    seq_start: int
    n_rows: int
    ncols: int
    malformed: int
    bad_records: list[BadRecord]


@dataclass
class Pending:
    """Rejections and warnings found by ``_seq``; lines and raw rows are looked up at the end."""

    rejected: list[tuple[str, np.ndarray, str, str]] = field(default_factory=list)  # table, seqs, col, why
    warnings: list[tuple[str, np.ndarray, str, str]] = field(default_factory=list)
    table_warnings: list[dict] = field(default_factory=list)  # ready rows (file-level or table-level)


@dataclass
class State:
    """Everything gathered while reading, table by table."""

    sources: list[DumpSource]
    runs: list[FileRun] = field(default_factory=list)
    parts: dict[str, list[pa.Table]] = field(default_factory=lambda: defaultdict(list))
    stats: dict[str, TableStats] = field(default_factory=dict)
    pending: Pending = field(default_factory=Pending)
    dump_seq_start: list[int] = field(default_factory=list)
    next_seq: int = 0
    dropped_message_ids: pa.ChunkedArray | None = None  # message rows steps two and three dropped

    def __post_init__(self) -> None:
        self.stats = {t: TableStats() for t in TABLE_NAMES}


def load_dumps(
    paths: Sequence[str | os.PathLike],
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED,
    cache: bool = True,
    save_in_background: bool = False,
) -> Dump:
    """Read, check and combine the dumps given (folders, .zip archives, loose table files).

    With ``cache`` (the default), a dump whose files have not changed since an earlier
    import is opened from the user cache folder instead, and a fresh import is saved
    there (``sparkdesk.dump.cache``); either way the same ``Dump`` comes back.

    Saving a large dump takes about as long as importing it (3.3 GB of Arrow for a
    1,000,000-conversation dump: 7.5 s after a 7.2 s import). With
    ``save_in_background`` (the window) the dump is returned at once and saved by a
    background thread (``wait_for_saves``); the command line, which exits when done,
    saves before returning.

    Raises ``DumpRefused`` (one sentence naming the file and why) on a fatal error and
    ``sparkdesk.tasks.Cancelled`` when ``cancel`` is set.
    """
    prog = as_progress(progress, cancel)
    paths = list(paths)
    entry = dump_cache.open_entry(paths, max_unpacked_bytes) if cache else None
    if entry is not None and (dump := entry.load(prog)) is not None:
        return dump
    work = prog.sub(0.0, CACHE_WRITE_AT) if entry is not None and not save_in_background else prog
    zips: list[zipfile.ZipFile] = []
    try:
        sources = discover(paths, max_unpacked_bytes, zips)
        state = State(sources)
        _read_sources(state, work.sub(0.0, READ_SHARE))
        dump = _combine(state, work.sub(READ_SHARE, 1.0))
    finally:
        for zf in zips:
            zf.close()
    if entry is not None and save_in_background:
        dump_cache.save_in_background(entry, dump)
    elif entry is not None:
        entry.store(dump, prog.sub(CACHE_WRITE_AT, 1.0))
    return dump


# ---------------------------------------------------------------- reading


POLL_SECONDS = 0.2  # how often the reading thread looks at a read under way, for progress and Cancel


def _read_sources(state: State, prog: Progress) -> None:
    """Read and check every file, dumps in the order given, files in path order.

    The next file is read on a second thread while this one is checked: pyarrow's
    CSV reader keeps both cores busy, the checks mostly one, so the checks of one file
    fill the idle core during the next file's read. Only one file is read ahead, so
    memory holds at most one raw file more than reading one by one. While it waits
    for a read, this thread reports the bytes read so far (a 1.3 GB file takes a few
    seconds) and, on Cancel, stops the read at its next block.
    """
    files = [tf for src in state.sources for tf in src.files]
    total = sum(tf.size for tf in files) or 1
    done = 0
    ahead = ThreadPoolExecutor(max_workers=1)
    reads: list[tuple[Future, ReadMeter]] = []

    def start(i: int) -> None:
        if i < len(files):
            meter = files[i].meter()
            reads.append((ahead.submit(read_file, files[i], meter), meter))

    try:
        start(0)
        i = 0
        for d, src in enumerate(state.sources):
            state.dump_seq_start.append(state.next_seq)
            for label in src.ignored:
                state.pending.table_warnings.append(
                    _warn_row("", label, None, "", "file ignored: its name matches no table")
                )
            for tf in src.files:
                future, meter = reads[i]
                text = f"Reading {tf.label}"
                raw = _wait(
                    future, prog, lambda m=meter, t=tf, base=done: (base + m.fraction * t.size) / total, text
                )
                i += 1
                start(i)
                prog.step(done / total, f"Checking {tf.label}")
                with running(prog):  # Cancel is looked for while its columns convert
                    _read_one(state, d, tf, raw)
                done += tf.size
                prog.step(done / total, f"Read {tf.label}")
    finally:  # on a refusal or Cancel: stop a read under way, do not wait for it
        for _future, meter in reads:
            meter.stop()
        ahead.shutdown(wait=False, cancel_futures=True)
    prog.step(1.0, "Read every file", force=True)


def _wait(future: Future, prog: Progress, fraction: Callable[[], float], text: str):
    """The future's result, reporting ``fraction()`` every ``POLL_SECONDS`` meanwhile.

    Progress.step raises Cancelled when the task was cancelled, so Cancel is noticed
    within ``POLL_SECONDS`` even while another thread works.
    """
    while True:
        prog.step(fraction(), text)
        try:
            return future.result(timeout=POLL_SECONDS)
        except FutureTimeout:
            continue


def _read_one(state: State, dump: int, tf: TableFile, raw: RawFile) -> None:
    """Check and file away one table file as read."""
    _file_warnings(state, tf, raw)
    checked = check_file(tf.table, raw)
    run = FileRun(tf, dump, state.next_seq, raw.n_rows, len(raw.headers), raw.malformed, raw.bad_records)
    state.runs.append(run)
    state.next_seq += raw.n_rows
    st = state.stats[tf.table]
    st.files.append(tf.label)
    st.read += raw.n_rows + raw.malformed + len(raw.bad_records)
    st.rejected += raw.malformed + len(raw.bad_records)
    seq = np.arange(run.seq_start, run.seq_start + raw.n_rows, dtype=np.int64)
    _note_step_one(state, tf.table, checked, seq)
    ok = checked.errors.code == 0
    tbl = checked.table.append_column("_seq", pa.array(seq, pa.int64()))
    if not ok.all():
        tbl = tbl.filter(pa.array(ok))
    state.parts[tf.table].append(tbl)


def _file_warnings(state: State, tf: TableFile, raw: RawFile) -> None:
    for h in raw.unknown:
        state.pending.table_warnings.append(
            _warn_row(tf.table, tf.label, None, h, "unknown column ignored: it is not part of the table")
        )
    for h in raw.duplicate:
        state.pending.table_warnings.append(
            _warn_row(tf.table, tf.label, None, h, "repeated column ignored: the first one is read")
        )


def _note_step_one(state: State, table: str, checked: Checked, seq: np.ndarray) -> None:
    """Record rejections (first rule broken) and naive-timestamp warnings of one file."""
    code = checked.errors.code
    for i, (column, reason) in enumerate(checked.errors.reasons, 1):
        rows = seq[code == i]
        state.pending.rejected.append((table, rows, column, reason))
        state.stats[table].rejected += len(rows)
    for column, mask in checked.naive.items():
        rows = seq[mask & (code == 0)]
        if len(rows):
            _add_row_warnings(state, table, rows, column, "timestamp without a UTC offset, read as UTC")


# ---------------------------------------------------------------- combining


def _combine(state: State, prog: Progress) -> Dump:
    """Steps two and three, the snapshot, reference warnings, then the report.

    The hashing (duplicates, orphans, unknown references) runs on two threads; Arrow
    and numpy release the GIL, so both cores work.
    """
    tables = {t.name: _concat(state.parts.pop(t.name, []), t) for t in TABLES}
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
        converting = {name: pool.submit(_to_pandas, tables[name]) for name in largest}
        prog.step(0.6, "Checking references")
        _reference_warnings(state, tables, checks.unknown)
        for name, st in state.stats.items():
            st.accepted = tables[name].num_rows + st.after_snapshot
        prog.step(0.7, "Writing the import report")
        with running(prog.sub(0.7, 0.85)):  # checkpoints inside: a report of millions of rows takes seconds
            report = _build_report(state)
        prog.step(0.85, "Preparing tables")
        frames = {name: _wait(converting[name], prog, lambda: 0.9, "Preparing tables") for name in tables}
    finally:  # on Cancel, drop the checks not started and leave the running ones to end alone
        pool.shutdown(wait=False, cancel_futures=True)
    prog.step(1.0, "Done", force=True)
    org, url = _manifest_fields(state.sources)
    return Dump(
        sources=[s.label for s in state.sources],
        tables=frames,
        snapshot=snapshot,
        report=report,
        organization=org,
        url_template=url,
    )


def _empty_table(spec: TableSpec) -> pa.Table:
    fields = [pa.field(c.name, arrow_type(c)) for c in spec.columns] + [pa.field("_seq", pa.int64())]
    return pa.schema(fields).empty_table()


def _concat(parts: list[pa.Table], spec: TableSpec) -> pa.Table:
    if not parts:
        return _empty_table(spec)
    return pa.concat_tables(parts).combine_chunks() if len(parts) > 1 else parts[0]


def _codes(a: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Dense int codes of a column's values (nulls share one code), by hashing in Arrow.

    The column is made one chunk first: encoding chunk by chunk and unifying the
    dictionaries afterwards costs minutes on a 10-million-row column.
    """
    enc = pc.dictionary_encode(_flat(a))
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
    every = spec.column_names
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
        _warn_row(
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
    return ~np_mask(pc.is_in(values, value_set=_flat(known)))


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


def _flat(a: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous array (``is_in`` wants its value set as an Array)."""
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


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
        drop = _wait(checks.duplicates[spec.name], prog, finished, text)
        orphans = checks.orphans.get(spec.name)
        if orphans is not None:
            _wait(orphans, prog, finished, text)
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
    _c, col, parent, _k = next(o for o in OWNERS if o[0] == child)
    seqs = tbl["_seq"].to_numpy()[orphan]
    what = "conversation" if parent == "conversations" else "message"
    state.pending.rejected.append(
        (child, seqs, col, f"orphan: its {what} ({col}) has no accepted row in {parent}")
    )
    state.stats[child].rejected += len(seqs)


# ---------------------------------------------------------------- snapshot


def _dump_snapshot(state: State, d: int, tables: dict[str, pa.Table]) -> pd.Timestamp | None:
    """The manifest's snapshot_at, else the latest timestamp of the dump's accepted rows."""
    src = state.sources[d]
    if src.manifest and src.manifest.get("snapshot_at") not in (None, ""):
        return _manifest_snapshot(state, src)
    lo = state.dump_seq_start[d]
    hi = state.dump_seq_start[d + 1] if d + 1 < len(state.dump_seq_start) else state.next_seq
    best: int | None = None
    for spec in TABLES:
        tbl = tables[spec.name]
        if not tbl.num_rows:
            continue
        seq = tbl["_seq"].to_numpy()
        a, b = np.searchsorted(seq, [lo, hi])
        if a == b:
            continue
        for c in spec.columns:
            if c.type == "ts":
                m = pc.max(tbl[c.name].slice(a, b - a)).cast(pa.int64()).as_py()
                if m is not None and (best is None or m > best):
                    best = m
    return None if best is None else pd.Timestamp(best, unit="ms", tz="UTC")


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
            _warn_row(
                "",
                src.manifest_label or "",
                None,
                "snapshot_at",
                "timestamp without a UTC offset, read as UTC",
            )
        )
    return pd.Timestamp(ms, unit="ms", tz="UTC")


def _snapshot(state: State, tables: dict[str, pa.Table]) -> pd.Timestamp:
    """The latest snapshot of the dumps combined; the time of reading if there is none."""
    found = [s for d in range(len(state.sources)) if (s := _dump_snapshot(state, d, tables)) is not None]
    if found:
        return max(found)
    now = pd.Timestamp.now(tz="UTC").floor("ms")
    state.pending.table_warnings.append(
        _warn_row(
            "",
            "",
            None,
            "snapshot_at",
            "no snapshot_at in a manifest and no timestamp in any row: the snapshot is the time of reading",
        )
    )
    return now


def _cut_at_snapshot(state: State, tables: dict[str, pa.Table], snapshot: pd.Timestamp) -> None:
    """Leave out what happens strictly after the snapshot, with everything that belongs to it."""
    # in milliseconds: ``snapshot.value`` (nanoseconds) overflows after the year 2262
    ms = int(snapshot.as_unit("ms").asm8.view("i8"))
    s = pa.scalar(ms, pa.int64()).cast(arrow_type(table_spec("messages").col("created_at")))
    gone: dict[str, pa.Array] = {}
    for child in (
        "conversations",
        "messages",
        "conversation_events",
        "csat_surveys",
        "message_tags",
        "presence_events",
    ):
        tbl = tables[child]
        if not tbl.num_rows:
            continue
        late = np_mask(pc.greater(tbl[SNAPSHOT_COLUMNS[child]], s))
        for c, col, parent, _key in OWNERS:
            if c == child and parent in gone:
                late |= np_mask(pc.is_in(tbl[col], value_set=gone[parent]))
        if not late.any():
            continue
        parent_key = {"conversations": "conversation_id", "messages": "message_id"}.get(child)
        if parent_key:
            gone[child] = pc.filter(tbl[parent_key], pa.array(late)).combine_chunks()
        state.stats[child].after_snapshot += int(late.sum())
        tables[child] = tbl.filter(pa.array(~late))


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
        unknown = distinct.filter(pc.invert(pc.is_in(distinct, value_set=_flat(known))))
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


def _reference_warnings(state: State, tables: dict[str, pa.Table], unknown: dict[tuple, Future]) -> None:
    """Ids not found in their reference table: the row is kept, with a warning."""
    for table, col, ref, _ref_col in REFERENCES:
        tbl = tables[table]
        if not tbl.num_rows:
            continue
        if not state.stats[ref].files:
            values = tbl[col]
            n = len(values) - values.null_count
            if n:
                state.pending.table_warnings.append(
                    _warn_row(
                        table,
                        "",
                        None,
                        col,
                        f"{n} row{'s' if n > 1 else ''} refer to a {col}, but the dump has no {ref} table",
                    )
                )
            continue
        if (table, col) in unknown:
            seqs = _kept(unknown[(table, col)].result(), tbl["_seq"].to_numpy())
        else:  # the reference table has files but no accepted row: every set id is unknown
            seqs = tbl["_seq"].to_numpy()[~np_mask(pc.is_null(tbl[col]))]
        if len(seqs):
            _add_row_warnings(state, table, seqs, col, f"{col} not found in {ref}")


def _kept(seqs: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """The ``seqs`` still among ``kept`` (both ascending: tables stay in reading order)."""
    if not len(seqs) or not len(kept):
        return seqs[:0]
    at = np.minimum(np.searchsorted(kept, seqs), len(kept) - 1)
    return seqs[kept[at] == seqs]


# ---------------------------------------------------------------- the report


def _add_row_warnings(state: State, table: str, seqs: np.ndarray, column: str, reason: str) -> None:
    """One warning row per row, up to ``model.WARN_ROWS_LISTED``; beyond that one row with the count.

    A dump whose every timestamp is naive would otherwise list millions of warnings,
    and finding their line numbers means re-scanning every file to its end.
    """
    listed = seqs[: model.WARN_ROWS_LISTED]
    state.pending.warnings.append((table, listed, column, reason))
    more = len(seqs) - len(listed)
    if more:
        state.pending.table_warnings.append(
            _warn_row(table, "", None, column, f"{reason}: {more} more rows like this are not listed")
        )


def _warn_row(table: str, file: str, line: int | None, column: str, reason: str) -> dict:
    return {"table": table, "file": file, "line": line, "column": column, "reason": reason}


def _locate_all(state: State) -> dict[int, Located]:
    """Per file run, the line and raw row of every row the report mentions (re-scanning files)."""
    starts = np.array([r.seq_start for r in state.runs], np.int64)
    need: dict[int, list[np.ndarray]] = defaultdict(list)
    for _t, seqs, _c, _r in state.pending.rejected + state.pending.warnings:
        if not len(seqs):
            continue
        fid = np.searchsorted(starts, seqs, side="right") - 1
        for f in np.flatnonzero(np.bincount(fid)).tolist():
            need[f].append(seqs[fid == f] - starts[f])
    found: dict[int, Located] = {}
    todo = [i for i, run in enumerate(state.runs) if i in need or run.malformed]
    sizes = np.array([state.runs[i].tf.size + 1 for i in todo], float)
    bounds = np.concatenate(([0.0], np.cumsum(sizes))) / max(sizes.sum(), 1.0)  # progress by file size
    for k, i in enumerate(todo):
        run = state.runs[i]
        with running(current_progress().sub(bounds[k], bounds[k + 1])):
            checkpoint(0.0, f"Finding the rows to report in {run.tf.label}")
            wanted = np.concatenate(need[i]) if i in need else np.zeros(0, np.int64)
            found[i], bad = locate(run.tf, wanted, run.malformed, run.ncols, run.n_rows)
            run.bad_records = run.bad_records + bad
    return found


def _build_report(state: State) -> ImportReport:
    """Rejected rows (in reading order: file, then line) and warnings, with lines and raw rows."""
    found = _locate_all(state)
    files = sorted(found)
    raw = [ch for f in files for ch in found[f].raw.chunks]
    base = dict(zip(files, np.cumsum([0] + [len(found[f].rows) for f in files]).tolist(), strict=False))
    texts = _Texts()
    bad = _bad_records_rows(state, texts, sum(len(c) for c in raw))
    raw.append(pa.array([b.raw for run in state.runs for b in run.bad_records] + [""], _TEXT))
    pending = _pending_rows(state, state.pending.rejected, found, base, texts)
    rejected = _report_frame([pending, bad], REJECTED_COLUMNS, texts, pa.chunked_array(raw, _TEXT))
    warn = _report_frame(
        [_pending_rows(state, state.pending.warnings, found, base, texts)], WARNING_COLUMNS, texts
    )
    warnings = pd.concat(
        [pd.DataFrame(state.pending.table_warnings, columns=WARNING_COLUMNS), warn],
        ignore_index=True,
    )
    warnings["line"] = warnings["line"].astype("Int64")
    ignored = [label for s in state.sources for label in s.ignored]
    return ImportReport(stats=state.stats, rejected=rejected, warnings=warnings, ignored_files=ignored)


_TEXT = pa.large_string()
_NUMERIC = ("line", "_file", "_key", "_raw")
_MAX_RUNS = 10_000  # raw rows gathered as slices of their source up to this many runs


class _Texts:
    """The report's few distinct texts (tables, files, columns, reasons), as int codes."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._codes: dict[str, int] = {}

    def code(self, text: str) -> int:
        if text not in self._codes:
            self._codes[text] = len(self.values)
            self.values.append(text)
        return self._codes[text]

    def column(self, codes: np.ndarray) -> pd.Series:
        """The texts of ``codes`` as a ``str`` column, built by Arrow."""
        if not len(codes):
            return pd.Series([], dtype=object)  # as pandas makes an empty column of text
        values = pa.array(self.values or [""], _TEXT)
        return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), values).cast(_TEXT).to_pandas()


def _report_frame(
    parts: list[dict[str, np.ndarray]], columns: list[str], texts: _Texts, raw: pa.ChunkedArray | None = None
) -> pd.DataFrame:
    """The parts' rows in reading order (file, then line; ties keep their order), as a frame."""
    cols = {c: np.concatenate([p[c] for p in parts]) for c in parts[0]}
    order = np.lexsort((cols["_key"], cols["_file"]))  # stable
    data: dict[str, object] = {}
    for c in columns:
        if c == "line":
            line = cols["line"][order]
            data[c] = pd.array(np.where(line < 0, 0, line), dtype="Int64")
            data[c][line < 0] = pd.NA
        elif c == "raw":
            data[c] = _gather_text(raw, cols["_raw"][order])
        else:
            data[c] = texts.column(cols[c][order])
    return pd.DataFrame(data, columns=columns)


def _gather_text(source: pa.ChunkedArray, at: np.ndarray) -> pd.Series:
    """``source[at]`` as a ``str`` column. Rows mostly come in runs (a file's rejected rows
    in order), taken as zero-copy slices; a take of 1.5 GB of rows cost up to 4 s."""
    if not len(at):
        return pd.Series([], dtype=object)
    breaks = np.flatnonzero(np.diff(at) != 1) + 1
    if len(breaks) < _MAX_RUNS:
        starts = np.concatenate(([0], breaks)).tolist()
        ends = np.concatenate((breaks, [len(at)])).tolist()
        pieces = [
            source.slice(int(at[a]), b - a) for a, b in zip(starts, ends, strict=True)
        ]  # runs, not rows
        return pa.chunked_array([ch for p in pieces for ch in p.chunks], _TEXT).to_pandas()
    return source.combine_chunks().take(pa.array(at)).to_pandas()


def _pending_rows(
    state: State, items: list, found: dict[int, Located], base: dict[int, int], texts: _Texts
) -> dict[str, np.ndarray]:
    """Report rows for pending rejections or warnings, column by column, with their sort keys.

    A row's key is its line, or its row index in the file when its line was not found;
    ``_raw`` is its position among the raw rows found (``base``: where each file's start),
    or the last raw row (an empty one) when it was not found.
    """
    starts = np.array([r.seq_start for r in state.runs], np.int64)
    file_code = np.array([texts.code(r.tf.label) for r in state.runs] or [0], np.int32)
    no_raw = sum(len(loc.rows) for loc in found.values()) + sum(len(r.bad_records) for r in state.runs)
    out: dict[str, list[np.ndarray]] = defaultdict(list)
    for table, seqs, column, reason in items:
        n = len(seqs)
        fid = np.searchsorted(starts, seqs, side="right") - 1
        rel = seqs - starts[fid]
        line = np.full(n, -1, np.int64)
        at = np.full(n, no_raw, np.int64)
        for f, loc in found.items():
            sel = np.flatnonzero(fid == f)
            if not len(sel) or not len(loc.rows):
                continue
            pos = np.minimum(np.searchsorted(loc.rows, rel[sel]), len(loc.rows) - 1)
            hit = loc.rows[pos] == rel[sel]
            line[sel[hit]] = loc.lines[pos[hit]]
            at[sel[hit]] = base[f] + pos[hit]
        out["table"].append(np.full(n, texts.code(table), np.int32))
        out["file"].append(file_code[fid])
        out["line"].append(line)
        out["column"].append(np.full(n, texts.code(column), np.int32))
        out["reason"].append(np.full(n, texts.code(reason), np.int32))
        out["_file"].append(fid)
        out["_key"].append(np.where(line >= 0, line, rel))
        out["_raw"].append(at)
    names = ["table", "file", "line", "column", "reason", "_file", "_key", "_raw"]
    return {
        c: np.concatenate(out[c]) if out[c] else np.zeros(0, np.int64 if c in _NUMERIC else np.int32)
        for c in names
    }


def _bad_records_rows(state: State, texts: _Texts, first_raw: int) -> dict[str, np.ndarray]:
    """The records no reader could split (one per malformed record: already Python objects);
    their raw rows follow the ones found, from ``first_raw`` on."""
    rows = [(i, run, b) for i, run in enumerate(state.runs) for b in run.bad_records]
    return {
        "table": np.array([texts.code(run.tf.table) for _i, run, _b in rows], np.int32),
        "file": np.array([texts.code(run.tf.label) for _i, run, _b in rows], np.int32),
        "line": np.array([-1 if b.line is None else b.line for _i, _r, b in rows], np.int64),
        "column": np.full(len(rows), texts.code(""), np.int32),
        "reason": np.array([texts.code(b.reason) for _i, _r, b in rows], np.int32),
        "_file": np.array([i for i, _r, _b in rows], np.int64),
        "_key": np.array([b.line or 0 for _i, _r, b in rows], np.int64),
        "_raw": np.arange(first_raw, first_raw + len(rows), dtype=np.int64),
    }


# ---------------------------------------------------------------- pandas


def _pandas_type(t: pa.DataType) -> object:
    if t == pa.int64():
        return pd.Int64Dtype()
    return None


def _to_pandas(tbl: pa.Table) -> pd.DataFrame:
    """Arrow to the dtypes of schema.py; ``_seq`` as plain int64."""
    seq = tbl["_seq"].to_numpy()
    df = tbl.drop_columns(["_seq"]).to_pandas(types_mapper=_pandas_type)
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
