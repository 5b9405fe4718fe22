"""Line numbers and raw text of chosen CSV records, found with numpy instead of the csv module.

pyarrow does not say on which line a record starts, and re-reading a 10-million-row
file with the csv module to find one bad row costs about fifteen seconds. In RFC 4180
text a new line ends a record exactly when an even number of quote characters come
before it (an escaped quote is two quotes), so the record boundaries of a whole file
follow from the positions of two byte values, found chunk by chunk with numpy; a
record's cells follow in the same way from its commas outside quotes.

The chosen records' bytes are then gathered (``gather_records``), split into cells by
pyarrow (``raw_cells``) and written as JSON objects by Arrow (``json_rows``): a report
of millions of rejected rows costs seconds, with no Python per row.

Stray quotes inside unquoted cells would break that rule; the scan then finds a
different number of records than pyarrow did, and the caller falls back to the csv
module. Blank lines are skipped, as pyarrow and the csv module both do.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from sparkdesk.dump.containers import TableFile
from sparkdesk.tasks import checkpoint

CHUNK = 1 << 26  # 64 MiB of decompressed text at a time
_QUOTE, _NL, _CR, _COMMA = 34, 10, 13, 44


@dataclass
class _Carry:
    """What one chunk passes on to the next."""

    offset: int = 0  # bytes before the chunk
    newlines: int = 0  # new lines before the chunk
    quotes_odd: int = 0  # parity of the quotes before the chunk
    last_term: int = -1  # byte offset of the last record-ending new line
    last_term_nl: int = -1  # its index among all new lines
    prev_byte: int = -1  # the chunk's last byte
    records: int = 0  # non-blank records so far (the header included)
    commas: int = 0  # commas outside quotes since the last record end


def _chunk_records(buf: np.ndarray, c: _Carry, count_cells: bool = False) -> tuple[np.ndarray, ...]:
    """(start line, start offset, end offset, cells or None) of the non-blank records
    ending in this chunk; cells (a record's unquoted commas + 1) only when asked."""
    nl = np.flatnonzero(buf == _NL)
    quotes = np.flatnonzero(buf == _QUOTE)
    even = ((np.searchsorted(quotes, nl) + c.quotes_odd) & 1) == 0
    term = nl[even]
    cells = _cells(buf, quotes, term, c) if count_cells else None
    term_nl = c.newlines + np.flatnonzero(even)
    prev_term = np.concatenate(([c.last_term], c.offset + term[:-1]))
    prev_nl = np.concatenate(([c.last_term_nl], term_nl[:-1]))
    glob = c.offset + term
    length = glob - prev_term - 1
    before = np.where(term > 0, buf[np.maximum(term - 1, 0)], c.prev_byte)
    blank = (length == 0) | ((length == 1) & (before == _CR))
    if len(term):
        c.last_term, c.last_term_nl = int(glob[-1]), int(term_nl[-1])
    c.offset += len(buf)
    c.newlines += len(nl)
    c.quotes_odd = (c.quotes_odd + len(quotes)) & 1
    c.prev_byte = int(buf[-1]) if len(buf) else c.prev_byte
    keep = ~blank
    return (prev_nl + 2)[keep], (prev_term + 1)[keep], glob[keep], None if cells is None else cells[keep]


def _cells(buf: np.ndarray, quotes: np.ndarray, term: np.ndarray, c: _Carry) -> np.ndarray:
    """Cells of the records ending at ``term``: commas outside quotes, plus one.

    A comma is outside quotes when an even number of quotes come before it (the same
    rule as for new lines); commas after the last record end are carried to the next chunk.
    """
    commas = np.flatnonzero(buf == _COMMA)
    outside = commas[((np.searchsorted(quotes, commas) + c.quotes_odd) & 1) == 0]
    per = np.bincount(np.searchsorted(term, outside), minlength=len(term) + 1)
    per[0] += c.commas
    c.commas = int(per[len(term)])
    return per[: len(term)] + 1


@dataclass
class Spans:
    """Where chosen records sit: per record (ascending index), its start line and byte span."""

    index: np.ndarray  # record index, 0 being the header
    line: np.ndarray  # physical line the record starts on (1-based)
    start: np.ndarray  # offset of its first byte in the decompressed text
    end: np.ndarray  # offset of the new line ending it (or of the end of the text)
    cells: np.ndarray | None = None  # its number of cells, when counted

    def __len__(self) -> int:
        return len(self.index)

    def at(self, positions: np.ndarray | slice) -> Spans:
        """The spans at these positions (not record indices) of this one; a slice copies nothing."""
        cells = None if self.cells is None else self.cells[positions]
        return Spans(
            self.index[positions], self.line[positions], self.start[positions], self.end[positions], cells
        )


def record_spans(tf: TableFile, wanted: np.ndarray | None, count_cells: bool = False) -> tuple[int, Spans]:
    """Count the non-blank records (header included) and locate the wanted ones.

    ``wanted`` holds sorted record indices (0 is the header), or None for every record;
    those beyond the last record are not in the answer. ``count_cells`` also counts
    each record's cells (as pyarrow splits them, when no quote is stray).
    """
    c = _Carry()
    parts: list[tuple] = []
    tail = b""
    for data in _scan(tf):
        *found, cells = _chunk_records(np.frombuffer(data, np.uint8), c, count_cells)
        parts.append(_pick(wanted, c.records, *found, cells))
        c.records += len(found[0])
        tail = data[-2:]
    last = c.offset - 1
    if c.last_term < last and not (c.last_term == last - 1 and tail[-1:] == b"\r"):
        # a final record without a new line after it
        one = np.array
        cells = one([c.commas + 1]) if count_cells else None
        parts.append(
            _pick(
                wanted, c.records, one([c.last_term_nl + 2]), one([c.last_term + 1]), one([c.offset]), cells
            )
        )
        c.records += 1
    cols = [np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, np.int64) for k in range(5)]
    return c.records, Spans(*(col.astype(np.int64) for col in cols[:4]), cols[4] if count_cells else None)


def _pick(wanted: np.ndarray | None, first: int, *cols: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """(index, *cols) of the wanted items among those numbered ``first`` onwards (a column
    given as None comes back as zeros)."""
    n = len(cols[0])
    cols = tuple(np.zeros(n, np.int64) if col is None else col for col in cols)
    if wanted is None:
        return (np.arange(first, first + n), *cols)
    lo, hi = np.searchsorted(wanted, [first, first + n])
    idx = wanted[lo:hi]
    return (idx, *(col[idx - first] for col in cols))


def _scan(tf: TableFile) -> Iterator[bytes]:
    """The file's decompressed bytes, ``CHUNK`` at a time, as the first 30 % of finding its
    reported rows: progress, and Cancel, between chunks."""
    done = 0
    with tf.open_binary() as fh:
        while data := fh.read(CHUNK):
            checkpoint(0.3 * min(done / max(tf.size, 1), 1.0), f"Finding the rows to report in {tf.label}")
            yield data
            done += len(data)


def gather_bytes(tf: TableFile, starts: np.ndarray, ends: np.ndarray) -> bytes:
    """The bytes [start, end) of each range (ascending, disjoint, not empty), one after another.

    The file is read again from the chunk of the first range to the last one; the
    bytes to keep are marked with one cumulative sum per chunk, so no Python runs per
    range.
    """
    if not len(starts):
        return b""
    s, e = starts, ends
    out: list[bytes] = []
    with tf.open_binary() as fh:  # files, gzip and zip members all seek (forward is cheap)
        offset = int(s[0]) - int(s[0]) % CHUNK
        fh.seek(offset)
        while offset < e[-1]:
            data = fh.read(CHUNK)
            if not data:
                break
            n = len(data)
            lo, hi = np.searchsorted(e, offset, side="right"), np.searchsorted(s, offset + n)
            if hi > lo:
                delta = np.zeros(n + 1, np.int8)
                delta[np.clip(s[lo:hi] - offset, 0, n)] += 1  # the ranges are not empty: starts
                delta[np.clip(e[lo:hi] - offset, 0, n)] -= 1  # are distinct, and so are ends
                keep = np.cumsum(delta[:n], dtype=np.int8) > 0
                out.append(np.frombuffer(data, np.uint8)[keep].tobytes())
            offset += n
    return b"".join(out)


def gather_records(tf: TableFile, spans: Spans) -> bytes:
    """The text of the chosen CSV records, in file order, each ended by its new line."""
    text = gather_bytes(tf, spans.start, spans.end + 1)  # + its new line (none past the end)
    return text if text.endswith(b"\n") or not text else text + b"\n"


def raw_cells(tf: TableFile, spans: Spans, ncols: int) -> pa.Table | None:
    """The cells (all text, empty as ``""``) of the chosen records, parsed by pyarrow.

    None when the records do not parse into ``ncols`` cells each, one row per record;
    the caller then reads them with the csv module.
    """
    if not len(spans):
        return pa.table({f"c{i}": pa.array([], pa.large_string()) for i in range(ncols)})
    names = [f"c{i}" for i in range(ncols)]
    try:
        t = pacsv.read_csv(
            pa.BufferReader(gather_records(tf, spans)),
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.large_string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        return None
    return t if t.num_rows == len(spans) else None


def raw_records(tf: TableFile, spans: Spans) -> list[list[str]]:
    """The cells of the chosen records, read one by one with the csv module (the slow way)."""
    out: list[list[str]] = []
    with tf.open_binary() as fh:  # files, gzip and zip members all seek (forward is cheap)
        for start, end in zip(spans.start.tolist(), spans.end.tolist(), strict=True):
            fh.seek(start)
            data = fh.read(end - start)
            text = data.decode("utf-8-sig" if start == 0 else "utf-8")
            out.append(next(csv.reader(io.StringIO(text, newline="")), []))
    return out


# json.dumps(ensure_ascii=False) escapes these, and every other control character as \u00XX
_JSON_ESCAPES = [
    ("\\", "\\\\"),
    ('"', '\\"'),
    ("\n", "\\n"),
    ("\r", "\\r"),
    ("\t", "\\t"),
    ("\b", "\\b"),
    ("\f", "\\f"),
]
_OTHER_CONTROLS = [chr(c) for c in range(32) if chr(c) not in "\n\r\t\b\f"]


def _json_string_body(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """The cells as the inside of JSON strings, escaped exactly as ``json.dumps`` does."""
    if not pc.any(pc.match_substring_regex(col, '[\\x00-\\x1f"\\\\]')).as_py():
        return col  # ids, times and most text: nothing to escape
    for ch, rep in _JSON_ESCAPES:
        if pc.any(pc.match_substring(col, ch)).as_py():
            col = pc.replace_substring(col, ch, rep)
    if pc.any(pc.match_substring_regex(col, "[\\x00-\\x07\\x0b\\x0e-\\x1f]")).as_py():
        for ch in _OTHER_CONTROLS:
            col = pc.replace_substring(col, ch, f"\\u{ord(ch):04x}")
    return col


def json_rows(header: list[str], cells: pa.Table) -> pa.ChunkedArray:
    """Per row, ``json.dumps(dict(zip(header, cells)), ensure_ascii=False)``, built by Arrow.

    As with a dict, a repeated header name keeps its first place and its last value.
    """
    last = {name: i for i, name in enumerate(header)}
    parts: list[object] = []
    for k, name in enumerate(dict.fromkeys(header)):
        parts.append(("{" if k == 0 else ", ") + json.dumps(name, ensure_ascii=False) + ': "')
        parts.append(_json_string_body(cells.column(last[name])))
        parts.append('"')
    if not parts:
        return pa.chunked_array([pa.array(["{}"] * cells.num_rows, pa.large_string())])
    parts.append("}")
    scalars = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*scalars, pa.scalar("", pa.large_string()))


_BLANK = np.zeros(256, bool)
_BLANK[[32, 9, 10, 11, 12, 13]] = True  # the ASCII bytes str.strip() removes


def line_texts(tf: TableFile, spans: Spans) -> pa.ChunkedArray:
    """The text of the chosen lines (``jsonl_lines``), as Arrow strings built from their
    bytes and lengths; checked to be UTF-8."""
    lengths = spans.end - spans.start
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    data = gather_bytes(tf, spans.start, spans.end)
    arr = pa.LargeStringArray.from_buffers(len(spans), pa.py_buffer(offsets), pa.py_buffer(data))
    arr.validate(full=True)
    return pa.chunked_array([arr], pa.large_string())


def jsonl_lines(tf: TableFile, wanted: np.ndarray) -> tuple[int, Spans] | None:
    """JSON Lines: count the non-blank lines (the rows, when no line was rejected as not
    JSON) and locate the wanted ones (row indices): start line, and the byte span of
    their text without the line end.

    Python reads them with universal new lines, which also end a line at a lone carriage
    return: a file with one gives None (the caller reads it the slow way). Python also
    strips more than ASCII white space from a blank line; the count then disagrees with
    the reader's, and the caller knows.
    """
    c = _LineCarry()
    picked: list[tuple[np.ndarray, ...]] = []
    for data in _scan(tf):
        if c.offset == 0 and data[:3] == b"\xef\xbb\xbf":
            c.bom = 3
        found = _chunk_lines(np.frombuffer(data, np.uint8), c)
        if found is None:
            return None
        picked.append(_pick_lines(wanted, c, *found))
    if c.prev_cr:
        return None  # the text ends with a lone carriage return
    if c.has_text:  # a last line without a new line
        one = np.array
        picked.append(
            _pick_lines(wanted, c, one([c.lines + 1]), one([max(c.line_start, c.bom)]), one([c.offset]))
        )
    cols = [np.concatenate([p[k] for p in picked]) if picked else np.zeros(0, np.int64) for k in range(4)]
    return c.rows, Spans(*(col.astype(np.int64) for col in cols))


@dataclass
class _LineCarry:
    """What one chunk of JSON Lines passes on to the next."""

    offset: int = 0  # bytes before the chunk
    lines: int = 0  # new lines before the chunk
    rows: int = 0  # non-blank lines so far
    line_start: int = 0  # offset where the line under way starts
    has_text: bool = False  # the line under way has a byte other than white space
    prev_cr: bool = False  # the last chunk ended with a carriage return
    bom: int = 0  # bytes of a byte-order mark at the start


def _chunk_lines(buf: np.ndarray, c: _LineCarry) -> tuple[np.ndarray, ...] | None:
    """(line number, start, end without the line end) of the non-blank lines ending in
    this chunk, or None at a lone carriage return."""
    n = len(buf)
    nl = np.flatnonzero(buf == _NL)
    cr = np.flatnonzero(buf == _CR)
    if c.prev_cr and (n == 0 or buf[0] != _NL):
        return None
    inner = cr[cr < n - 1]
    if len(inner) and (buf[inner + 1] != _NL).any():
        return None
    crlf = np.zeros(len(nl), bool)  # the new line follows a carriage return, also dropped
    crlf[nl > 0] = buf[nl[nl > 0] - 1] == _CR
    if len(nl) and nl[0] == 0:
        crlf[0] = c.prev_cr
    c.prev_cr = bool(n) and buf[-1] == _CR
    skip = max(c.bom - c.offset, 0)  # a byte-order mark is not text
    local = np.maximum(np.concatenate(([max(c.line_start - c.offset, 0)], nl + 1))[: len(nl)], skip)
    has = _has_text(buf, local, nl)
    if len(nl) and c.has_text:
        has[0] = True
    number = c.lines + np.arange(1, len(nl) + 1)
    start = c.offset + local
    if len(nl):
        if c.line_start < c.offset:  # the first line began in an earlier chunk
            start[0] = max(c.line_start, c.bom)
        c.line_start = c.offset + int(nl[-1]) + 1
        c.has_text = bool((~_BLANK[buf[nl[-1] + 1 :]]).any())
    else:
        c.has_text = c.has_text or bool((~_BLANK[buf[skip:]]).any())
    end = c.offset + nl - crlf
    c.lines += len(nl)
    c.offset += n
    keep = np.flatnonzero(has)
    return number[keep], start[keep], end[keep]


def _has_text(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each range [start, end) of the chunk holds a byte other than white space.

    JSON Lines start with ``{``: a line whose first byte is text is settled by that byte;
    the rest (indented or blank lines, usually none) are summed with one ``reduceat``.
    """
    nonempty = starts < ends
    has = np.zeros(len(starts), bool)
    has[nonempty] = ~_BLANK[buf[starts[nonempty]]]
    look = np.flatnonzero(nonempty & ~has)
    if len(look):
        text = (~_BLANK[buf]).view(np.uint8)
        bounds = np.empty(2 * len(look), np.int64)
        bounds[0::2], bounds[1::2] = starts[look], ends[look]
        has[look] = np.add.reduceat(text, bounds, dtype=np.int64)[0::2] > 0
    return has


def _pick_lines(
    wanted: np.ndarray, c: _LineCarry, numbers: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> tuple[np.ndarray, ...]:
    """(row index, line, start, end) of the wanted rows among these lines; counts them."""
    first = c.rows
    c.rows += len(numbers)
    return _pick(wanted, first, numbers, starts, ends)
