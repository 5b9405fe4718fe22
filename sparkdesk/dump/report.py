"""The import report: built from the rows ``load_dumps`` noted, and written as CSV.

While reading and combining, rejected and warned rows are noted by ``_seq`` only
(``State.pending``); ``build_report`` looks up their lines and raw rows at the very end,
re-scanning only the files that have any (``parse.locate``), and makes the
``ImportReport``. ``write_report_csv`` writes a report as one CSV file: every rejected
row and every warning, nothing lost.
"""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict

import numpy as np
import pandas as pd
import pyarrow as pa

from sparkdesk.dump import model
from sparkdesk.dump.model import REJECTED_COLUMNS, WARNING_COLUMNS, ImportReport
from sparkdesk.dump.parse import Located, locate
from sparkdesk.dump.state import State
from sparkdesk.files import atomic_output
from sparkdesk.tasks import checkpoint, current_progress, running

REPORT_COLUMNS = ["kind", "table", "file", "line", "column", "reason", "raw"]  # of the CSV file

# ---------------------------------------------------------------- noting rows


def add_row_warnings(state: State, table: str, seqs: np.ndarray, column: str, reason: str) -> None:
    """One warning row per row, up to ``model.WARN_ROWS_LISTED``; beyond that one row with the count.

    A dump whose every timestamp is naive would otherwise list millions of warnings,
    and finding their line numbers means re-scanning every file to its end.
    """
    listed = seqs[: model.WARN_ROWS_LISTED]
    state.pending.warnings.append((table, listed, column, reason))
    more = len(seqs) - len(listed)
    if more:
        state.pending.table_warnings.append(
            warn_row(table, "", None, column, f"{reason}: {more} more rows like this are not listed")
        )


def warn_row(table: str, file: str, line: int | None, column: str, reason: str) -> dict:
    return {"table": table, "file": file, "line": line, "column": column, "reason": reason}


# ---------------------------------------------------------------- building the report


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


def build_report(state: State) -> ImportReport:
    """Rejected rows (in reading order: file, then line) and warnings, with lines and raw rows."""
    found = _locate_all(state)
    files = sorted(found)
    raw = [ch for f in files for ch in found[f].raw.chunks]
    base = dict(zip(files, np.cumsum([0] + [len(found[f].rows) for f in files]).tolist(), strict=False))
    texts = _Texts()
    bad = _bad_records_rows(state, texts, sum(len(c) for c in raw))
    raw.append(pa.array([b.raw for run in state.runs for b in run.bad_records] + [""], _TEXT))
    pending = _pending_rows(state, state.pending.rejected, found, base, texts)
    rejected = _rows_frame([pending, bad], REJECTED_COLUMNS, texts, pa.chunked_array(raw, _TEXT))
    warn = _rows_frame(
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


def _rows_frame(
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


# ---------------------------------------------------------------- as CSV


def report_frame(report: ImportReport) -> pd.DataFrame:
    """Rejected rows first, then warnings, in one table with a ``kind`` column."""
    rejected = report.rejected.assign(kind="rejected")
    warnings = report.warnings.assign(kind="warning", raw="")
    frame = pd.concat([rejected, warnings], ignore_index=True)
    return frame.reindex(columns=REPORT_COLUMNS)


def write_report_csv(report: ImportReport, path: str | os.PathLike) -> int:
    """Write the report as UTF-8 CSV (with BOM, for Excel), atomically; returns the row count."""
    frame = report_frame(report)
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(REPORT_COLUMNS)
    # one row per rejected input row: the writer's loop is over report rows, not data
    writer.writerows(frame.astype(object).where(frame.notna(), "").itertuples(index=False, name=None))
    with atomic_output(path) as out:
        out.write(buf.getvalue().encode("utf-8-sig"))
    return len(frame)
