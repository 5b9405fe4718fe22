"""Step one of dump-format.md for one file, shared by the import in memory (``reader``)
and the staged import (``staged``): the file's place in reading order, its rows that pass,
and what it rejects or warns about, noted once per file however many blocks it is read in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from sparkdesk.dump.containers import DumpSource, TableFile
from sparkdesk.dump.parse import RawFile
from sparkdesk.dump.report import add_row_warnings, warn_row
from sparkdesk.dump.schema import table_spec
from sparkdesk.dump.state import FileRun, State
from sparkdesk.dump.validate import Checked


def start_dump(state: State, src: DumpSource) -> None:
    """A dump's rows start here in reading order; the files it ignored are noted."""
    state.dump_seq_start.append(state.next_seq)
    for label in src.ignored:
        state.pending.table_warnings.append(
            warn_row("", label, None, "", "file ignored: its name matches no table")
        )


def accepted(checked: Checked, seq: np.ndarray) -> pa.Table:
    """The rows that passed step one, with their ``_seq``."""
    ok = checked.errors.code == 0
    tbl = checked.table.append_column("_seq", pa.array(seq, pa.int64()))
    return tbl if ok.all() else tbl.filter(pa.array(ok))


def add_run(
    state: State, dump: int, tf: TableFile, n_rows: int, ncols: int, malformed: int, bad_records: list
) -> None:
    """File a table file's place in reading order and its counts (its rows come next)."""
    state.runs.append(FileRun(tf, dump, state.next_seq, n_rows, ncols, malformed, bad_records))
    state.next_seq += n_rows
    st = state.stats[tf.table]
    st.files.append(tf.label)
    st.read += n_rows + malformed + len(bad_records)
    st.rejected += malformed + len(bad_records)


def file_warnings(state: State, tf: TableFile, raw: RawFile) -> None:
    for h in raw.unknown:
        state.pending.table_warnings.append(
            warn_row(tf.table, tf.label, None, h, "unknown column ignored: it is not part of the table")
        )
    for h in raw.duplicate:
        state.pending.table_warnings.append(
            warn_row(tf.table, tf.label, None, h, "repeated column ignored: the first one is read")
        )


@dataclass
class FileNotes:
    """What step one found in one file (rejections by first rule broken, naive timestamps),
    gathered block by block and noted once per file, as a file read whole notes them."""

    rejected: dict[tuple[str, str], list[np.ndarray]] = field(default_factory=dict)  # (column, reason)
    naive: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, checked: Checked, seq: np.ndarray) -> None:
        code = checked.errors.code
        for i, (column, reason) in enumerate(checked.errors.reasons, 1):
            self.rejected.setdefault((column, reason), []).append(seq[code == i])
        for column, mask in checked.naive.items():
            self.naive.setdefault(column, []).append(seq[mask & (code == 0)])

    def note(self, state: State, table: str) -> None:
        """Record the rejections and the naive-timestamp warnings (in column order)."""
        for (column, reason), parts in self.rejected.items():
            rows = np.concatenate(parts)
            state.pending.rejected.append((table, rows, column, reason))
            state.stats[table].rejected += len(rows)
        for col in table_spec(table).columns:
            rows = np.concatenate(self.naive.get(col.name, [np.zeros(0, np.int64)]))
            if len(rows):
                add_row_warnings(state, table, rows, col.name, "timestamp without a UTC offset, read as UTC")
