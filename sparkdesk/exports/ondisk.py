"""A per-row result too large for memory, kept on disk (issue 14, item 4).

When the memory budget can compute a per-row export in parts but cannot hold its rows
(``registry.compute_or_spill``), the parts' sorted runs are merged (``spill.SortedRuns``)
into ONE Arrow IPC file, in the spec's order and typed as ``shape.conform`` types them (the
pandas types travel in the schema). A ``DiskResult`` reads that file through a memory map:
a slice of rows costs those rows (the file's record batches are mapped, not read), so the
window's grid reads only the rows it paints, and a save streams the file to the writers'
chunk functions, a chunk at a time, giving the bytes of ``registry.export_to_file``.

The scratch folder holding the file goes when the result is closed, and, should a result be
dropped without being closed (a result that came back after its task was superseded), when
it is garbage collected.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from sparkdesk.catalogue import ExportType
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress, checkpoint
from sparkdesk.writers import STREAMED_FORMATS, WriteOptions, format_for, write_export, write_export_chunks
from sparkdesk.writers.xlsx import early_timestamps

FILE_NAME = "result.arrow"
BATCH_ROWS = 10_000  # rows of a record batch of the file: a painted block touches one or two
SCRATCH_PREFIX = ".sparkdesk-result-"


def make_scratch_folder(parent: str | os.PathLike[str] | None = None) -> Path:
    """A fresh folder for one result's file (``parent``; None: the system's temporary folder),
    named after this process. Those that a process which is gone left in ``parent`` (a crash,
    a kill: its window could not close them) are removed first."""
    if parent is not None:
        Path(parent).mkdir(parents=True, exist_ok=True)
        remove_abandoned(Path(parent))
    return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=parent))


def remove_abandoned(parent: Path) -> list[Path]:
    """Remove the scratch folders in ``parent`` of processes no longer running; those removed.

    A folder of a running process (another window's result) is left alone, and so is every
    folder on Windows, where asking whether a process runs needs more than ``os.kill``."""
    removed = []
    for folder in parent.glob(f"{SCRATCH_PREFIX}*"):
        pid = _owner(folder.name)
        if pid is not None and pid != os.getpid() and not _running(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _owner(name: str) -> int | None:
    head = name[len(SCRATCH_PREFIX) :].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _running(pid: int) -> bool:
    if os.name == "nt":  # os.kill would end the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: running
        return True
    return True


def write_result(
    tables: Iterable[pa.Table], schema: pa.Schema, rows: int, export: ExportType, folder: Path
) -> DiskResult:
    """The merged ``tables`` (``rows`` rows in all, the columns of ``schema``) written to
    ``folder``'s result file in record batches of ``BATCH_ROWS`` (the last one shorter),
    whatever the sizes of the merge's rounds, then opened. The caller
    removes ``folder`` when this raises (Cancel comes through the merge's checkpoints)."""
    path = folder / FILE_NAME
    written = 0
    pending: list[pa.Table] = []  # rows not yet written: the merge's rounds come in any size
    held = 0
    with pa.OSFile(os.fspath(path), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for table in tables:
            pending.append(table)
            held += len(table)
            if held >= BATCH_ROWS:  # whole batches only, so that every batch is BATCH_ROWS long
                joined = pa.concat_tables(pending)
                whole = held - held % BATCH_ROWS
                writer.write_table(joined.slice(0, whole).combine_chunks(), max_chunksize=BATCH_ROWS)
                rest = joined.slice(whole)
                pending, held = ([rest] if len(rest) else []), len(rest)
            written += len(table)
            checkpoint(written / max(rows, 1))
        if held:
            writer.write_table(pa.concat_tables(pending).combine_chunks(), max_chunksize=BATCH_ROWS)
    return DiskResult(folder, export)


class DiskResult:
    """One export's rows in an Arrow IPC file, read through a memory map.

    ``column(i, start, stop)`` and ``column_rows(i, rows)`` give pandas Series typed as
    ``compute`` types them, reading only those rows; ``frames(rows)`` gives the whole result
    in frames of ``rows`` rows, as ``spill.SortedRuns.frames`` does for the writers.
    """

    def __init__(self, folder: Path, export: ExportType) -> None:
        self.folder = Path(folder)
        self.export = export
        self._map = pa.memory_map(os.fspath(self.folder / FILE_NAME), "r")
        self._table: pa.Table | None = pa.ipc.open_file(self._map).read_all()  # mapped, not read
        # the folder goes with the result even when nobody closes it
        self._finalizer = weakref.finalize(self, _remove, self._map, self.folder)

    @property
    def table(self) -> pa.Table:
        if self._table is None:
            raise ValueError("this result on disk was closed")
        return self._table

    @property
    def rows(self) -> int:
        return self.table.num_rows

    @property
    def column_names(self) -> list[str]:
        return list(self.table.column_names)

    @property
    def closed(self) -> bool:
        return self._table is None

    def __len__(self) -> int:
        return self.rows

    def column(self, i: int, start: int, stop: int) -> pd.Series:
        """Rows ``start`` to ``stop`` of column ``i`` (only those rows are read)."""
        stop = min(max(stop, start), self.rows)
        piece = self.table.select([i]).slice(start, stop - start).to_pandas()
        return piece.iloc[:, 0]

    def column_rows(self, i: int, rows: Sequence[int] | np.ndarray) -> pd.Series:
        """Column ``i`` at the positions ``rows`` (any order): each record batch that holds
        some of them is taken from on its own, so two rows far apart read two batches, not
        every row between them (a copy of a selection in the grid)."""
        rows = np.asarray(rows, dtype=np.int64)
        one = self.table.select([i])
        if not len(rows):
            return one.slice(0, 0).to_pandas().iloc[:, 0]
        column = one.column(0)
        ends = np.cumsum([len(c) for c in column.chunks])
        which = np.searchsorted(ends, rows, side="right")
        order = np.argsort(which, kind="stable")
        starts = np.r_[0, ends[:-1]]
        pieces = []
        for batch in np.unique(which):  # one take per batch touched
            inside = rows[order][which[order] == batch] - starts[batch]
            pieces.append(column.chunk(int(batch)).take(pa.array(inside)))
        back = np.empty(len(rows), dtype=np.int64)
        back[order] = np.arange(len(rows))
        taken = pa.concat_arrays(pieces).take(pa.array(back))
        return pa.Table.from_arrays([taken], schema=one.schema).to_pandas().iloc[:, 0]

    def frames(self, rows: int, columns: Sequence[str] | None = None) -> Iterator[pd.DataFrame]:
        """The result in frames of exactly ``rows`` rows (the last one fewer; one empty frame
        when there is no row), of ``columns`` only when given.

        Read from the file a record batch at a time, not through the map: the pages a map
        has touched count in the process's resident memory until the system needs them
        (a save of 2M messages through the map peaked at 1.0 GiB, read this way at 0.4)."""
        if self.closed:
            raise ValueError("this result on disk was closed")
        with pa.OSFile(os.fspath(self.folder / FILE_NAME), "rb") as file:
            reader = pa.ipc.open_file(file)
            pending: list[pa.RecordBatch] = []
            held, sent = 0, False
            for k in range(reader.num_record_batches):
                pending.append(reader.get_batch(k))
                held += pending[-1].num_rows
                while held >= rows:
                    whole = pa.Table.from_batches(pending, schema=reader.schema)
                    yield _frame(whole.slice(0, rows), columns)
                    sent = True
                    pending = whole.slice(rows).to_batches()
                    held = whole.num_rows - rows
            if held or not sent:
                yield _frame(pa.Table.from_batches(pending, schema=reader.schema), columns)

    def to_frame(self) -> pd.DataFrame:
        """The whole result in memory (the tests; a workbook with a date before 1900)."""
        return self.table.to_pandas()

    def close(self) -> None:
        """Let go of the file and remove its scratch folder."""
        self._table = None
        self._finalizer()

    def __enter__(self) -> DiskResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _frame(table: pa.Table, columns: Sequence[str] | None) -> pd.DataFrame:
    """Rows of the file typed as ``conform`` typed them (``columns`` of them when given)."""
    return (table if columns is None else table.select(list(columns))).to_pandas()


def _remove(mapped: pa.MemoryMappedFile, folder: Path) -> None:
    """Close the map (Arrow keeps the pages of buffers still in use) and remove the folder."""
    mapped.close()
    shutil.rmtree(folder, ignore_errors=True)


def save_result(
    result: DiskResult,
    path: str | os.PathLike[str],
    options: WriteOptions,
    fmt: str | None = None,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> None:
    """Write the result to ``path`` as ``registry.export_to_file`` writes the same rows: in
    the chunks of ``STREAMED_FORMATS``, through the writers' chunk functions (whole or not
    at all). A workbook with a local time before 1900-03-01 is laid out from all its rows,
    as there (``writers.xlsx``), so it is written from the whole table."""
    chosen = format_for(path, fmt)
    prog = as_progress(progress, cancel)
    export = result.export
    if chosen == "xlsx" and _has_early_timestamps(result, options):
        write_export(result.to_frame(), export, path, options, chosen, prog, cancel)
        return
    frames = result.frames(STREAMED_FORMATS[chosen])
    write_export_chunks(frames, result.rows, export, path, options, chosen, prog, cancel)


def _has_early_timestamps(result: DiskResult, options: WriteOptions) -> bool:
    """Does a timestamp cell hold a local time before 1900-03-01 (a pass over those columns)?"""
    keys = [c.key for c in result.export.columns if c.kind == "timestamp"]
    if not keys:
        return False
    return any(early_timestamps(f, result.export, options) for f in result.frames(BATCH_ROWS * 10, keys))
