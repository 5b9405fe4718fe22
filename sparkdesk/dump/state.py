"""What ``load_dumps`` gathers as it goes, shared by its three stages.

``reader`` reads and checks every file into a ``State``; ``combine`` applies steps two
and three, the snapshot and the references to it; ``report`` turns its pending rows into
the ``ImportReport``. Each stage waits for its worker threads with ``wait``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from sparkdesk.dump.containers import DumpSource, TableFile
from sparkdesk.dump.model import TableStats
from sparkdesk.dump.parse import BadRecord
from sparkdesk.dump.schema import TABLE_NAMES
from sparkdesk.tasks import Progress

POLL_SECONDS = 0.2  # how often a stage looks at work under way on another thread, for progress and Cancel


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


def wait(future: Future, prog: Progress, fraction: Callable[[], float], text: str):
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
