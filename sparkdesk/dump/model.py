"""What reading dumps produces: the accepted tables, the snapshot and the import report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# Columns of ImportReport.rejected and ImportReport.warnings.
REJECTED_COLUMNS = ["table", "file", "line", "column", "reason", "raw"]
WARNING_COLUMNS = ["table", "file", "line", "column", "reason"]
# The report's row cap: warnings list at most this many rows per table, column and reason
# (per file for naive timestamps), then one row counts the rest. What a report holds
# depends on it, so it is part of the dump cache's key (cache.reader_identity).
WARN_ROWS_LISTED = 1000


class DumpRefused(Exception):
    """A fatal error: the whole dump is refused. ``str(err)`` is one sentence naming the file and why."""


@dataclass
class TableStats:
    """Counts for one table over every file read for it. read = accepted + rejected + duplicates."""

    files: list[str] = field(default_factory=list)
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    after_snapshot: int = 0  # accepted rows left out because they come after the snapshot


@dataclass
class ImportReport:
    """Everything the reader noticed. Nothing is dropped without a line here.

    ``rejected``: one row per rejected input row (file, line number for CSV/JSONL or
    row index for Parquet, the column at fault or empty, a reason sentence, the raw row
    as read, as JSON text). ``warnings``: one row per warning (the row is kept), with the
    same columns but ``raw``; file-level warnings (ignored files, unknown columns) have
    no line.
    """

    stats: dict[str, TableStats] = field(default_factory=dict)
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WARNING_COLUMNS))
    ignored_files: list[str] = field(default_factory=list)

    @property
    def has_problems(self) -> bool:
        return len(self.rejected) > 0 or len(self.warnings) > 0

    def reason_counts(self) -> pd.DataFrame:
        """Counts per table, kind (rejected / warning) and reason, for summaries."""
        parts = []
        for kind, frame in (("rejected", self.rejected), ("warning", self.warnings)):
            if len(frame):
                c = frame.groupby(["table", "reason"], sort=True, dropna=False).size().rename("count")
                parts.append(c.reset_index().assign(kind=kind))
        if not parts:
            return pd.DataFrame(columns=["table", "kind", "reason", "count"])
        return pd.concat(parts, ignore_index=True)[["table", "kind", "reason", "count"]]


# The timestamps whose earliest and latest make a dump's time span (``Dump.time_span``).
TIME_SPAN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("conversations", "created_at"),
    ("messages", "created_at"),
    ("conversation_events", "at"),
    ("message_tags", "at"),
    ("presence_events", "at"),
)


@dataclass
class Dump:
    """One or several dumps read and combined.

    ``tables`` holds every table of ``schema.TABLES`` (an empty frame of the right
    columns and dtypes when the dump has no such file), with only accepted rows that
    exist at the snapshot, de-duplicated, orphans removed, in reading order, each with
    its ``_seq``.
    """

    sources: list[str]
    tables: Mapping[str, pd.DataFrame]
    snapshot: pd.Timestamp  # UTC, millisecond precision
    report: ImportReport
    organization: str | None = None
    url_template: str | None = None
    # A dump opened from the cache: its tables are read when first used (``cache.LazyTables``),
    # ``store`` reads the rows of chosen conversations (``store.Store``), and ``known`` holds
    # what the cache worked out when it saved the dump ("time_span", "channels", "rows").
    store: Any = field(default=None, repr=False, compare=False)
    known: dict = field(default_factory=dict, repr=False, compare=False)

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    def rows(self, name: str) -> int:
        """The number of rows of a table, without reading a table the cache has not opened yet."""
        known = self.known.get("rows", {})
        return known[name] if name in known else len(self.tables[name])

    def time_span(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """Earliest and latest timestamp among conversations, messages, events, tags and presence."""
        if "time_span" in self.known:
            return self.known["time_span"]
        lo, hi = [], []
        for name, col in TIME_SPAN_COLUMNS:
            s = self.tables[name][col]
            if len(s) and s.notna().any():
                lo.append(s.min())
                hi.append(s.max())
        if not lo:
            return None
        return min(lo), max(hi)

    def channels(self) -> pd.DataFrame:
        """Every known channel (from `channels` and conversations' channel_id): channel_id, medium, name."""
        if "channels" in self.known:
            return self.known["channels"].copy()
        ch = self.tables["channels"][["channel_id", "medium", "name"]]
        conv_ids = pd.Index(self.tables["conversations"]["channel_id"].dropna().unique())
        extra = conv_ids.difference(pd.Index(ch["channel_id"]))
        if len(extra):
            ch = pd.concat(
                [ch, pd.DataFrame({"channel_id": extra.astype(str), "medium": pd.NA, "name": pd.NA})],
                ignore_index=True,
            )
        return ch.sort_values("channel_id", kind="stable").reset_index(drop=True)
