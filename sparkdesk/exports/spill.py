"""An external merge: an export computed in parts goes to its file in the spec's order without
ever being held whole (issue 14, item 1).

Each part's rows are sorted as ``plan.merge`` sorts the whole (``shape.sort_rows``),
shaped (``shape.conform``) and written as a *sorted run*: an Arrow IPC file in a scratch
folder, in blocks of ``block_rows`` rows, beside the columns of the file the run also holds
its sort keys (``grouping.sort_key`` of the builder's columns, which may not be the file's:
``first_resolution_at``), so the merge compares exactly what ``sort_rows`` compares.

The merge is vectorised (no heap of rows): it holds one block of every run, sorts those
rows together with Arrow on (keys..., run, row) and gives out every row up to the lowest of
the blocks' last rows, since no row still on disk can come before that one; the run that
block came from is then read on. The order is therefore exactly that of ``sort_rows`` on the
parts' rows put end to end (``plan.merge``): equal keys keep part order, then row order.

The scratch folder is removed when the ``SortedRuns`` closes: at the end, after an error
and after Cancel.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.catalogue import ExportType
from sparkdesk.exports.grouping import sort_key
from sparkdesk.exports.shape import conform, sort_columns, sort_rows
from sparkdesk.tasks import checkpoint

MERGE_ROWS = 100_000  # rows the merge holds at once, over all its runs (block_rows_for)
MIN_BLOCK_ROWS = 1_000  # but at least this many of each run: a round's sort has a floor cost
SLICE_ROWS = 100_000  # rows of a part turned into Arrow at a time as its run is written
_KEY = "__sort_key_"  # the runs' key columns: "__sort_key_0", "__sort_key_1", ...
_RUN, _ROW = "__run", "__row"


def block_rows_for(runs: int) -> int:
    """Rows read from each of ``runs`` runs at a time: the merge then holds about
    ``MERGE_ROWS`` however many parts the budget asked for (a message row with its text is
    about 0.5 KB: some 50 MB, and the copies of one round)."""
    return max(MERGE_ROWS // max(runs, 1), MIN_BLOCK_ROWS)


class SortedRuns:
    """A scratch folder of sorted runs, one per part, and their merge in the spec's order.

    ``add`` each part's rows (as the builder gives them, in part order), then read
    ``frames``; use it as a context manager so that the folder goes whatever happens.
    ``folder``: where the scratch folder is made (the output's folder: the runs take about
    the room of the output, on the disk that is meant to receive it; None: the system's).
    """

    def __init__(
        self,
        export: ExportType,
        folder: str | os.PathLike[str] | None = None,
        block_rows: int = MIN_BLOCK_ROWS,
    ):
        self.export = export
        self.block_rows = max(int(block_rows), 1)
        self.rows = 0
        self._dir = Path(tempfile.mkdtemp(prefix=".sparkdesk-merge-", dir=folder))
        self._runs: list[Path] = []
        self._keys: int | None = None
        self._empty: pa.Table | None = None  # the file's columns, no rows (an empty export)

    @property
    def folder(self) -> Path:
        return self._dir

    def __enter__(self) -> SortedRuns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the scratch folder and every run in it."""
        shutil.rmtree(self._dir, ignore_errors=True)

    def add(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One part's rows (before ``conform``): sorted, shaped and written as a run, a block
        at a time; returns the shaped rows. Pass the only reference to ``frame`` and drop the
        returned rows soon: the sorted copy replaces ``frame``, the shaped one the sorted one."""
        by = list(self.export.sort_by)
        ordered = sort_rows(frame.reset_index(drop=True), by, self.export)
        del frame
        keys = [sort_key(ordered[k]) for k in sort_columns(ordered, by, self.export)]
        shaped = conform(ordered, self.export)
        del ordered
        schema = pa.Schema.from_pandas(shaped.iloc[:0], preserve_index=False)  # with the pandas types
        if self._empty is None:
            self._empty = schema.empty_table()
        if self._keys is None:
            self._keys = len(keys)
        if not len(shaped):
            return shaped
        path = self._dir / f"run-{len(self._runs):06d}.arrow"
        with pa.OSFile(os.fspath(path), "wb") as sink:
            writer = None
            for start in range(0, len(shaped), SLICE_ROWS):  # a slice in Arrow at a time, not the part
                rows = shaped.iloc[start : start + SLICE_ROWS]
                piece = pa.Table.from_pandas(rows, schema=schema, preserve_index=False)
                for i, key in enumerate(keys):
                    piece = piece.append_column(f"{_KEY}{i}", key.slice(start, len(rows)))
                if writer is None:
                    writer = pa.ipc.new_file(sink, piece.schema)
                writer.write_table(piece, max_chunksize=self.block_rows)  # the merge reads a block at a time
            if writer is not None:
                writer.close()
        self._runs.append(path)
        self.rows += len(shaped)
        return shaped

    def frames(self, rows: int) -> Iterator[pd.DataFrame]:
        """The merged rows as frames of exactly ``rows`` rows (the last one fewer), typed as
        ``conform`` types them; one empty frame when there is no row at all."""
        pending: list[pa.Table] = []
        held = 0
        sent = False
        for table in self.tables():
            pending.append(table)
            held += len(table)
            while held >= rows:
                whole = pa.concat_tables(pending)
                yield _frame(whole.slice(0, rows))
                sent = True
                rest = whole.slice(rows)
                pending, held = [rest], len(rest)
        if held or not sent:
            yield _frame(pa.concat_tables(pending) if pending else self._empty_table())

    def tables(self) -> Iterator[pa.Table]:
        """The merged rows, the file's columns only, in pieces of at most runs x block rows."""
        runs = [_Run(path, i) for i, path in enumerate(self._runs)]
        try:
            yield from _merge(runs, self._keys or 0)
        finally:
            for run in runs:
                run.close()

    @property
    def schema(self) -> pa.Schema:
        """The file's columns with their pandas types (known once a part was added)."""
        return self._empty_table().schema

    def _empty_table(self) -> pa.Table:
        if self._empty is None:
            raise ValueError("no part was added")
        return self._empty


class _Run:
    """One run being read: its current block (the rows not yet given out) and where it is."""

    def __init__(self, path: Path, number: int) -> None:
        self.number = number
        self._file = pa.OSFile(os.fspath(path), "rb")
        self._reader = pa.ipc.open_file(self._file)
        self._next = 0  # the next block to read
        self.first_row = 0  # the run's row number of the block's first row
        self.block: pa.Table | None = None

    @property
    def last_block(self) -> bool:
        """Is the block in hand the run's last one (no row of the run is still on disk)?"""
        return self._next >= self._reader.num_record_batches

    def fill(self) -> bool:
        """Read the next block when the one in hand is used up; False when the run is done."""
        if self.block is not None and len(self.block):
            return True
        while not self.last_block:
            batch = self._reader.get_batch(self._next)
            self._next += 1
            if batch.num_rows:  # first_row already counts the rows given out (consume)
                self.block = pa.Table.from_batches([batch])
                return True
        return False

    def consume(self, n: int) -> None:
        """The block's first ``n`` rows were given out."""
        assert self.block is not None
        self.block = self.block.slice(n)
        self.first_row += n

    def close(self) -> None:
        self._file.close()


def _merge(runs: list[_Run], keys: int) -> Iterator[pa.Table]:
    """The k-way merge of sorted runs by (keys..., run, row), block after block."""
    while True:
        checkpoint()  # Cancel reaches the merge between two blocks
        live = [run for run in runs if run.fill()]
        if not live:
            return
        if len(live) == 1:  # the last run left: its rows as they stand
            run = live[0]
            assert run.block is not None
            yield _data(run.block)
            run.consume(len(run.block))
            continue
        blocks = [run.block for run in live]
        sizes = np.array([len(b) for b in blocks], dtype=np.int64)  # type: ignore[arg-type]
        together = pa.concat_tables(blocks)  # type: ignore[arg-type]
        order = _order(together, keys, live, sizes)
        cut = _cut(order, live, sizes)
        taken = order[:cut]
        yield _data(together).take(pa.array(taken))
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        counts = np.bincount(np.searchsorted(starts, taken, side="right") - 1, minlength=len(live))
        for run, n in zip(live, counts, strict=True):
            run.consume(int(n))


def _order(together: pa.Table, keys: int, live: list[_Run], sizes: np.ndarray) -> np.ndarray:
    """Positions of the held rows sorted by (keys..., run, row): a total order, so the
    result is the stable sort of the runs put end to end."""
    run_of = np.repeat(np.array([r.number for r in live], dtype=np.int64), sizes)
    row_of = np.concatenate(
        [r.first_row + np.arange(n, dtype=np.int64) for r, n in zip(live, sizes, strict=True)]
    )
    columns = {f"{_KEY}{i}": together.column(f"{_KEY}{i}") for i in range(keys)}
    columns[_RUN], columns[_ROW] = pa.array(run_of), pa.array(row_of)
    names = list(columns)
    sorting = [(name, "ascending", "at_start") for name in names]
    return pc.sort_indices(pa.table(columns), sort_keys=sorting).to_numpy()


def _cut(order: np.ndarray, live: list[_Run], sizes: np.ndarray) -> int:
    """How many of the sorted rows can go out: up to the lowest last row of a block that is
    not its run's last (a row still on disk comes after it); all of them when none is."""
    ends = np.cumsum(sizes) - 1
    bounded = np.array([not r.last_block for r in live])
    if not bounded.any():
        return len(order)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return int(rank[ends[bounded]].min()) + 1


def _data(table: pa.Table) -> pa.Table:
    """The file's columns of a run's rows (its sort keys left out)."""
    return table.select([name for name in table.column_names if not name.startswith(_KEY)])


def _frame(table: pa.Table) -> pd.DataFrame:
    """Rows of a run as ``conform`` typed them (the pandas types travel in the schema)."""
    return table.to_pandas()
