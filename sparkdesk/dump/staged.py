"""A large dump imported straight into its cache entry: memory follows its keys, not its text.

The import in memory (``reader``) holds every cell of every table at once: 5.6 GiB for a
1,000,000-conversation dump, about 47 GiB for ten million. Steps two and three, the
snapshot, the reference warnings and the index need only a table's ids, owners and
times. So a dump of ``STAGED_MIN_BYTES`` or more, imported with the cache on, goes
this way instead:

1. Each file is read ``BLOCK_BYTES`` at a time (``parse.read_blocks``) and checked block
   by block (step one). The rows that pass are written at once, in the cache's own form,
   to a staging file of the entry being written; only their *slim* columns (every column
   but ``PAYLOAD``'s: message text, labels, answers...) stay in memory.
2. ``combine.combine_tables`` runs on the slim tables, exactly as on whole ones: the
   same duplicates, orphans, snapshot, warnings and report. Only one comparison reads a
   payload column: an event without an ``event_id`` is a duplicate of another when every
   column is equal, so a slim event keeps ``_payload``, a 64-bit hash of its payload
   cells (set only on such rows; two different rows that are equal in every other
   column would have to collide, a chance of 2**-64).
3. Each table's file is written from its staging files, keeping the rows that are left
   (a staging file is renamed into place when nothing was dropped and it is the table's
   only one), then the index (``store.build_index``, from the slim tables) and the
   manifest. The ``Dump`` returned is the cache entry opened again: its tables are read
   when first used, and ``store.Store`` reads the rows a question needs.

The result is the ``Dump`` that the import in memory gives, report included (the tests
compare both on every test dump, with blocks of a few rows). What is not staged:
JSON Lines and Parquet files are read whole (as one block). When there is no room on
the disk for the staging files, or anything unexpected happens, ``import_into`` gives
None and the caller imports in memory, as before.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.dump import buckets, store
from sparkdesk.dump import cache as dump_cache
from sparkdesk.dump.arrays import np_mask
from sparkdesk.dump.combine import _empty_table, _pandas_type, _to_pandas
from sparkdesk.dump.containers import DumpSource, ReadMeter, TableFile
from sparkdesk.dump.memory import release_memory
from sparkdesk.dump.model import TIME_SPAN_COLUMNS, Dump, DumpRefused
from sparkdesk.dump.parse import RESTART, RawFile, read_blocks
from sparkdesk.dump.schema import TABLES, table_spec
from sparkdesk.dump.state import State
from sparkdesk.dump.step_one import FileNotes, accepted, add_run, file_warnings, start_dump
from sparkdesk.dump.validate import check_file
from sparkdesk.tasks import Cancelled, Progress, running

log = logging.getLogger(__name__)

STAGED_MIN_BYTES = 256 * 2**20  # dumps at least this large (as stored) are staged
BLOCK_BYTES = 32 * 2**20  # of CSV read and checked at a time (about 240,000 messages)
DISK_FACTOR = 2.0  # disk asked for, × the dump's bytes: staging files plus the tables rewritten

# Columns that steps two and three, the snapshot, the references and the index never
# read: they go to the staging files only.
PAYLOAD: dict[str, tuple[str, ...]] = {
    "messages": (
        "direction",
        "message_type",
        "origin",
        "outbound_type",
        "system_user_type",
        "content",
        "post_url",
    ),
    "conversation_events": (
        "status",
        "resolved_by",
        "trigger",
        "reason",
        "comment",
        "started_by",
        "handover_reason",
    ),
    "conversations": ("language", "url"),
    "contacts": ("medium", "primary_identifier", "secondary_identifier"),
    "contact_attributes": ("name", "value", "type"),
    "csat_surveys": ("score", "status", "followup_question", "followup_answer"),
}
PAYLOAD_HASH = "_payload"
KEYLESS_ROWS_COMPARED_WHOLE = {"conversation_events": "event_id"}  # table -> key that may be empty

READ_SHARE = 0.8  # of the progress bar; combining takes the next tenth
WRITE_AT = 0.9  # writing the tables and the index takes the rest


def wanted(sources: Sequence[DumpSource]) -> bool:
    """Is the dump large enough to be staged?"""
    return _bytes(sources) >= STAGED_MIN_BYTES


def _bytes(sources: Sequence[DumpSource]) -> int:
    return sum(tf.unpacked_size or tf.size for s in sources for tf in s.files)


def import_into(entry: dump_cache.CacheEntry, sources: list[DumpSource], prog: Progress) -> Dump | None:
    """Import ``sources`` into ``entry`` and open it; None when the dump must be imported
    in memory instead (no room on the disk, or an unexpected failure, logged).

    Raises ``Cancelled``, leaving nothing on the disk. A refusal (``DumpRefused``) also
    gives None: the import in memory finds it again and says it in its own words, and a
    block too small for a record (``BLOCK_BYTES``) costs a slower import, not a refusal.
    """
    need = int(_bytes(sources) * DISK_FACTOR)
    try:
        if not entry.room_for(need):
            log.info("dump cache: no room for a staged import (%d bytes); importing in memory", need)
            return None
        tmp = entry.temp_folder()
    except OSError as err:
        log.info("dump cache: cannot stage the import (%s); importing in memory", err)
        return None
    try:
        if not _import(entry, sources, tmp, prog):
            return None
    except Cancelled:
        raise
    except DumpRefused as err:  # said again, in its own words, by the import in memory
        log.info("dump cache: staged import refused (%s); importing in memory", err)
        return None
    except Exception as err:  # noqa: BLE001 - the import in memory is the way that always works
        log.warning("dump cache: staged import failed (%s); importing in memory", err, exc_info=True)
        return None
    finally:
        dump_cache._remove(tmp)  # nothing is left there after a successful rename
    return _open(entry, prog)


def _open(entry: dump_cache.CacheEntry, prog: Progress) -> Dump | None:
    dump = entry.load(prog)
    if dump is None:  # removed or broken at once: very unlikely; the import in memory still works
        log.warning("dump cache: the staged entry %s could not be opened; importing in memory", entry.key)
    return dump


def _import(entry: dump_cache.CacheEntry, sources: list[DumpSource], tmp: Path, prog: Progress) -> bool:
    """Write the entry; False when an input changed meanwhile (the entry would not be of it)."""
    state = State(sources)
    staging = Staging(tmp / "staging")
    slim_rows = buckets.SlimBuckets(tmp / "slim", buckets.plan(sources))
    _read_sources(state, staging, slim_rows, prog.sub(0.0, READ_SHARE))
    empty = {name: slim(name, _empty_table(table_spec(name))) for name in buckets.BUCKETED}
    done, parts = buckets.combine_in_buckets(
        state, slim_rows, empty, prog.sub(READ_SHARE, WRITE_AT), _for_the_index
    )
    slim_rows.remove()
    release_memory()  # the slim Arrow tables are gone; the index is built with numpy
    dump = Dump(
        sources=[s.label for s in sources],
        tables=done.tables,  # slim, and empty for the bucketed tables: what the manifest and index read
        snapshot=done.snapshot,
        report=done.report,
        organization=done.organization,
        url_template=done.url_template,
    )
    dump.known["time_span"] = _time_span(done.tables, parts)
    rows = {name: parts.rows.get(name, len(frame)) for name, frame in done.tables.items()}
    for name, frame in done.tables.items():
        if name not in buckets.BUCKETED:
            parts.kept[frame["_seq"].to_numpy()] = True
    write = prog.sub(WRITE_AT, 1.0)
    metas = staging.write_tables(rows, parts.kept, tmp, write.sub(0.0, 0.6))
    parts.kept = np.zeros(0, bool)  # a byte per row read (190 MB at 10M): not needed any more
    shutil.rmtree(staging.folder)
    report = dump_cache.report_frames(dump)
    metas.update(
        dump_cache.write_frames(report, tmp, write.sub(0.6, 0.7), sum(t.nbytes for t, _m in report.values()))
    )
    write.step(0.7, "Indexing the dump's conversations for quick questions")
    store.write_index(_index(done.tables, parts), tmp)
    if entry.inputs_changed():
        log.info("dump cache: an input changed while it was staged; importing in memory")
        return False
    entry.finish(tmp, dump, metas)
    return True


def _time_span(
    tables: dict[str, pd.DataFrame], parts: buckets.InBuckets
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """``Dump.time_span``: the bucketed tables' times from ``parts``, the others' from ``tables``."""
    ends = [(lo, hi) for lo, hi in parts.times.values() if lo is not None and hi is not None]
    for name, col in TIME_SPAN_COLUMNS:
        if name in buckets.BUCKETED:
            continue
        times = store.ms_ints(tables[name][col])
        times = times[times != store.NO_TIME]
        if len(times):
            ends.append((int(times.min()), int(times.max())))
    if not ends:
        return None
    return (
        pd.Timestamp(min(lo for lo, _hi in ends), unit="ms", tz="UTC"),
        pd.Timestamp(max(hi for _lo, hi in ends), unit="ms", tz="UTC"),
    )


def _index(tables: dict[str, pd.DataFrame], parts: buckets.InBuckets) -> dict[str, np.ndarray]:
    """``store.build_index`` of the tables, the bucketed ones given by ``parts``."""
    cid = store.ids(tables["conversations"]["conversation_id"])
    row_conv, parts.row_conv = parts.row_conv, {}  # assemble_index lets each go once grouped
    for name in store.BY_CONVERSATION:
        if name not in buckets.BUCKETED:
            frame = tables[name]
            row_conv[name] = store.index_in(frame["conversation_id"], cid)
            store.widen(parts.lo, parts.hi, row_conv[name], store.ms_ints(frame[store.SPAN_TIMES[name]]))
    return store.assemble_index(tables, row_conv, parts.lo, parts.hi, parts.locks)


# What is read of a combined table once its rows are known: the index (store.build_index),
# the time span and the channels (model.Dump), and ``_seq`` (the rows kept). The slim tables'
# other columns served steps two and three only; tables not named here are small and whole.
AFTER_COMBINING: dict[str, tuple[str, ...]] = {
    "conversations": ("conversation_id", "channel_id", "contact_id", "created_at", "_seq"),
    "messages": ("message_id", "conversation_id", "created_at", "_seq"),
    "conversation_events": ("conversation_id", "at", "type", "user_id", "_seq"),
    "csat_surveys": ("conversation_id", "responded_at", "_seq"),
    "message_tags": ("message_id", "at", "_seq"),
    "contacts": ("contact_id", "_seq"),
    "contact_attributes": ("contact_id", "_seq"),
    "presence_events": ("at", "_seq"),
}


def _for_the_index(name: str, tbl: pa.Table) -> pd.DataFrame:
    """A combined slim table as the frame the rest of the import reads: only its columns
    there (``AFTER_COMBINING``), so that the frames do not hold what the index never reads."""
    columns = AFTER_COMBINING.get(name)
    return _to_pandas(tbl.select(list(columns)) if columns else tbl, _arrow_backed)


def _arrow_backed(t: pa.DataType) -> object:
    """Texts stay in Arrow (ten million ids as Python strings took 1.8 GB at 10M); the
    rest in the dtypes of schema.py, as ``combine._to_pandas`` gives them."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pd.ArrowDtype(t)
    return _pandas_type(t)


# ---------------------------------------------------------------- reading


def _read_sources(state: State, staging: Staging, slim_rows: buckets.SlimBuckets, prog: Progress) -> None:
    """Every file, in the order of ``reader._read_sources``, a block at a time."""
    files = [tf for src in state.sources for tf in src.files]
    total = sum(tf.size for tf in files) or 1
    done = 0
    for d, src in enumerate(state.sources):
        start_dump(state, src)
        for tf in src.files:
            _read_file(state, d, tf, staging, slim_rows, prog, done / total, tf.size / total)
            done += tf.size
    prog.step(1.0, f"Imported up to row {state.next_seq:,}: read every file", force=True)


@dataclass
class _FileSoFar:
    """One file's blocks read so far (dropped whole when its read starts again)."""

    notes: FileNotes = field(default_factory=FileNotes)
    slim: list[pa.Table] = field(default_factory=list)
    first: RawFile | None = None
    rows: int = 0
    malformed: int = 0
    bad: list = field(default_factory=list)


def _read_file(
    state: State,
    dump: int,
    tf: TableFile,
    staging: Staging,
    slim_rows: buckets.SlimBuckets,
    prog: Progress,
    at: float,
    share: float,
) -> None:
    meter = tf.meter()
    out = staging.start(tf.table)
    in_buckets = slim_rows.start(tf.table) if tf.table in buckets.BUCKETED else None
    got = _FileSoFar()
    with running(prog):  # Cancel is looked for while a block's columns convert
        for raw in _read_ahead(read_blocks(tf, meter, BLOCK_BYTES), meter):
            if raw is RESTART:
                out.discard()
                if in_buckets is not None:
                    in_buckets.discard()
                got = _FileSoFar()
                continue
            got.first = got.first or raw
            seq = np.arange(state.next_seq + got.rows, state.next_seq + got.rows + raw.n_rows, dtype=np.int64)
            checked = check_file(tf.table, raw)
            got.notes.add(checked, seq)
            rows = accepted(checked, seq)
            out.write(rows)
            if in_buckets is not None:
                in_buckets.write(tf.table, slim(tf.table, rows))
            else:
                got.slim.append(_compact(slim(tf.table, rows)))
            pa.default_memory_pool().release_unused()
            got.rows += raw.n_rows
            got.malformed += raw.malformed
            got.bad.extend(raw.bad_records)
            prog.step(
                at + share * meter.fraction,
                f"Imported up to row {state.next_seq + got.rows:,}: reading {tf.label}",
            )
    out.close()
    if in_buckets is not None:
        in_buckets.close()
    first = got.first
    assert first is not None  # read_blocks yields at least one block
    file_warnings(state, tf, first)
    add_run(state, dump, tf, got.rows, len(first.headers), got.malformed, got.bad)
    got.notes.note(state, tf.table)
    state.parts[tf.table].extend(got.slim)


def _read_ahead(blocks: Iterator[RawFile | None], meter: ReadMeter) -> Iterator[RawFile | None]:
    """``blocks``, the next one read on another thread while this one is checked: pyarrow
    parses a block without the GIL, so both cores work (at 3M, reading and checking one
    after the other took half as long again as the import in memory). One block is read
    ahead; when the caller stops (Cancel, a refusal), the read is stopped too."""
    box: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def produce() -> None:
        try:
            for block in blocks:
                box.put((True, block))
                if stop.is_set():
                    return
            box.put((False, None))
        except BaseException as err:  # noqa: BLE001 - handed to the caller, raised there
            box.put((False, err))

    reader = threading.Thread(target=produce, name="sparkdesk-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            more, item = box.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        meter.stop()  # a read under way fails at its next bytes
        while reader.is_alive():  # let it put what it has, and end
            try:
                box.get(timeout=0.05)
            except queue.Empty:
                pass


def slim(table: str, rows: pa.Table) -> pa.Table:
    """The columns of ``rows`` that the rest of the import reads (see the module's docstring)."""
    drop = [c for c in PAYLOAD.get(table, ()) if c in rows.column_names]
    if not drop:
        return rows
    out = rows.drop_columns(drop)
    key = KEYLESS_ROWS_COMPARED_WHOLE.get(table)
    if key is not None:
        out = out.append_column(PAYLOAD_HASH, _payload_hash(rows, key, drop))
    return out


def _compact(tbl: pa.Table) -> pa.Table:
    """The table in buffers of its own, just large enough: sliced from the CSV reader's
    block buffers (grown ahead of need), the slim columns kept the whole blocks alive."""
    return pa.Table.from_arrays(
        [pa.concat_arrays(c.chunks) if c.num_chunks else pa.array([], c.type) for c in tbl.columns],
        schema=tbl.schema,
    )


def _payload_hash(rows: pa.Table, key: str, columns: list[str]) -> pa.Array:
    """A hash of the ``columns`` of the rows without a ``key``; null on the others."""
    keyless = np_mask(pc.is_null(rows[key]))
    values = np.zeros(rows.num_rows, np.uint64)
    if keyless.any():
        cells = rows.select(columns).filter(pa.array(keyless)).to_pandas()
        values[keyless] = pd.util.hash_pandas_object(cells, index=False).to_numpy()
    return pa.array(values, pa.uint64(), mask=~keyless)


# ---------------------------------------------------------------- staging files


class _StagingFile:
    """One input file's accepted rows, in the cache's form, as Arrow IPC record batches."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self.batch_rows: list[int] = []
        self.meta: dict | None = None  # columns and dtypes of the frames written
        self._sink: pa.NativeFile | None = None
        self._writer: pa.ipc.RecordBatchFileWriter | None = None
        self._schema: pa.Schema | None = None
        self._read_schema: pa.Schema | None = None  # the Arrow types of the first block, as read

    def write(self, rows: pa.Table) -> None:
        if not rows.num_rows:
            return
        if self._writer is not None and rows.schema.equals(self._read_schema):
            # the cache's form is a round trip through pandas, which the first block made:
            # with the same Arrow types, a later block is the same cast without it (at 1M,
            # 3 s of the import, and a block's texts as Python strings)
            self._write_batches(rows.cast(self._schema))
            return
        tbl, meta = dump_cache._frame_to_arrow(_to_pandas(rows))
        if self._writer is None:
            self._read_schema = rows.schema
            self.meta = {"columns": meta["columns"], "dtypes": meta["dtypes"]}
            self._sink = pa.OSFile(str(self.path), "wb")
            self._schema = tbl.schema
            self._writer = pa.ipc.new_file(self._sink, tbl.schema, options=dump_cache.write_options())
        elif [meta["columns"], meta["dtypes"]] != [self.meta["columns"], self.meta["dtypes"]]:
            raise ValueError(f"{self.path.name}: a block gave other dtypes ({meta['dtypes']})")
        self._write_batches(tbl.cast(self._schema))

    def _write_batches(self, tbl: pa.Table) -> None:
        for batch in tbl.to_batches(max_chunksize=dump_cache.BATCH_ROWS):
            self._writer.write_batch(batch)
            self.batch_rows.append(batch.num_rows)
        self.rows += tbl.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._sink.close()
            self._writer = self._sink = None

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)
        self.rows = 0
        self.batch_rows = []
        self.meta = None

    @property
    def schema(self) -> pa.Schema | None:
        """The schema of the batches written (None before the first)."""
        return self._schema

    def batches(self):
        with pa.memory_map(str(self.path), "r") as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)


class Staging:
    """The staging files of one import, table by table, in reading order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()
        self.files: dict[str, list[_StagingFile]] = {t.name: [] for t in TABLES}

    def start(self, table: str) -> _StagingFile:
        f = _StagingFile(self.folder / f"{table}.{len(self.files[table])}.arrow")
        self.files[table].append(f)
        return f

    def write_tables(
        self, rows: dict[str, int], kept: np.ndarray, folder: Path, prog: Progress
    ) -> dict[str, dict]:
        """Each table's file in ``folder``, of its ``rows`` staged rows whose ``_seq`` is
        flagged in ``kept``; their metas for the manifest."""
        total = sum(f.rows for fs in self.files.values() for f in fs) or 1
        done = 0
        metas = {}
        prog.step(0.0, "Saving the dump for a quick re-open", force=True)
        for name, count in rows.items():
            prog.step(done / total, "Saving the dump for a quick re-open")
            metas[name] = self._write_table(name, count, kept, folder / f"{name}.arrow")
            done += sum(f.rows for f in self.files[name])
        return metas

    def _write_table(self, name: str, count: int, kept: np.ndarray, path: Path) -> dict:
        files = [f for f in self.files[name] if f.rows]
        staged = sum(f.rows for f in files)
        if any(f.meta != files[0].meta for f in files):
            raise ValueError(f"the staged files of {name} have other dtypes")
        if len(files) == 1 and staged == count:  # the usual case: nothing dropped
            os.rename(files[0].path, path)
            meta = {**(files[0].meta or {}), **dump_cache.file_facts(path, files[0].batch_rows)}
        else:
            meta = self._rewrite(name, files, kept if staged != count else None, count, path)
        meta["rows"] = count
        return meta

    def _rewrite(
        self, name: str, files: list[_StagingFile], kept: np.ndarray | None, count: int, path: Path
    ) -> dict:
        """The kept rows of several staging files (or of one that lost rows) in one file."""
        if not files or not count:
            tbl, meta = dump_cache._frame_to_arrow(_to_pandas(_empty_table(table_spec(name))))
            facts = dump_cache._write_arrow(tbl, path, Progress(None), 0, 1, "")
            return {"columns": meta["columns"], "dtypes": meta["dtypes"], **facts}
        batch_rows = []
        with pa.OSFile(str(path), "wb") as sink:
            writer = pa.ipc.new_file(sink, files[0].schema, options=dump_cache.write_options())
            for f in files:
                for batch in f.batches():
                    if kept is not None:
                        batch = batch.filter(pa.array(kept[batch.column("_seq").to_numpy()]))
                    if batch.num_rows:
                        writer.write_batch(batch)
                        batch_rows.append(batch.num_rows)
            writer.close()
        meta = files[0].meta or {}
        return {
            "columns": meta["columns"],
            "dtypes": meta["dtypes"],
            **dump_cache.file_facts(path, batch_rows),
        }
