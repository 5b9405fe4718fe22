"""``load_dumps``: read one or several dumps into validated tables and an import report.

The steps follow dump-format.md: find the table files of every dump (``containers``),
read each file's cells (``parse``), check every row on its own (``validate``), then,
per table over all dumps, drop duplicates by key (last read wins), reject orphans
(cascading), fix the snapshot and leave out what comes after it, and finally note
references to unknown ids. Line numbers and raw rows of rejected or warned rows are
looked up at the very end, re-scanning only the files that have any. Reading and
checking are here; steps two and three, the snapshot and the references are in
``combine``; the report is built in ``report``; what the stages share is in ``state``.

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
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from sparkdesk.dump import cache as dump_cache
from sparkdesk.dump import staged
from sparkdesk.dump.combine import combine
from sparkdesk.dump.containers import ReadMeter, TableFile, discover
from sparkdesk.dump.model import Dump
from sparkdesk.dump.parse import RawFile, read_file
from sparkdesk.dump.state import State, wait
from sparkdesk.dump.step_one import FileNotes, accepted, add_run, file_warnings, start_dump
from sparkdesk.dump.validate import check_file
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress, running

DEFAULT_MAX_UNPACKED = 20 * 2**30
READ_SHARE = 0.85  # of the progress bar: reading and checking files; the rest is combining
CACHE_WRITE_AT = 0.95  # of the progress bar, when caching: saving the result takes the rest


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

    A dump of ``staged.STAGED_MIN_BYTES`` or more, imported with the cache on, is not held
    in memory at all: it is read a block at a time into its cache entry and combined on
    its ids and times only (``sparkdesk.dump.staged``), and the ``Dump`` returned reads its
    tables from the entry (1,000,000 conversations: 3.1-3.2 GiB at most instead of 5.1).

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
        if entry is not None and staged.wanted(sources):  # large: imported into the cache entry
            dump = staged.import_into(entry, sources, prog)
            if dump is not None:
                return dump
        state = State(sources)
        _read_sources(state, work.sub(0.0, READ_SHARE))
        dump = combine(state, work.sub(READ_SHARE, 1.0))
    finally:
        for zf in zips:
            zf.close()
    if entry is not None and save_in_background:
        dump_cache.save_in_background(entry, dump)
    elif entry is not None:
        entry.store(dump, prog.sub(CACHE_WRITE_AT, 1.0))
    return dump


# ---------------------------------------------------------------- reading


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
    done = rows = 0  # bytes and rows read so far: every text leads with the rows, so that
    # the command line's progress line gives the import's rows per second
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
            start_dump(state, src)
            for tf in src.files:
                future, meter = reads[i]
                text = f"Imported up to row {rows:,}: reading {tf.label}"
                raw = wait(
                    future, prog, lambda m=meter, t=tf, base=done: (base + m.fraction * t.size) / total, text
                )
                i += 1
                start(i)
                prog.step(done / total, f"Imported up to row {rows:,}: checking {tf.label}")
                with running(prog):  # Cancel is looked for while its columns convert
                    _read_one(state, d, tf, raw)
                done += tf.size
                rows += raw.n_rows
                prog.step(done / total, f"Imported up to row {rows:,}: read {tf.label}")
    finally:  # on a refusal or Cancel: stop a read under way, do not wait for it
        for _future, meter in reads:
            meter.stop()
        ahead.shutdown(wait=False, cancel_futures=True)
    prog.step(1.0, f"Imported up to row {rows:,}: read every file", force=True)


def _read_one(state: State, dump: int, tf: TableFile, raw: RawFile) -> None:
    """Check and file away one table file as read."""
    file_warnings(state, tf, raw)
    seq = np.arange(state.next_seq, state.next_seq + raw.n_rows, dtype=np.int64)
    checked = check_file(tf.table, raw)
    notes = FileNotes()
    notes.add(checked, seq)
    add_run(state, dump, tf, raw.n_rows, len(raw.headers), raw.malformed, raw.bad_records)
    notes.note(state, tf.table)
    state.parts[tf.table].append(accepted(checked, seq))
