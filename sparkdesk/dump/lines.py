"""Line numbers and raw text of chosen CSV records, found with numpy instead of the csv module.

pyarrow does not say on which line a record starts, and re-reading a 10-million-row
file with the csv module to find one bad row costs about fifteen seconds. In RFC 4180
text a new line ends a record exactly when an even number of quote characters come
before it (an escaped quote is two quotes), so the record boundaries of a whole file
follow from the positions of two byte values, found chunk by chunk with numpy.

Stray quotes inside unquoted cells would break that rule; the scan then finds a
different number of records than pyarrow did, and the caller falls back to the csv
module. Blank lines are skipped, as pyarrow and the csv module both do.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from sparkdesk.dump.containers import TableFile

CHUNK = 1 << 26  # 64 MiB of decompressed text at a time
_QUOTE, _NL, _CR = 34, 10, 13


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


def _chunk_records(buf: np.ndarray, c: _Carry) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start line, start offset, end offset) of the non-blank records ending in this chunk."""
    nl = np.flatnonzero(buf == _NL)
    quotes = np.flatnonzero(buf == _QUOTE)
    even = ((np.searchsorted(quotes, nl) + c.quotes_odd) & 1) == 0
    term = nl[even]
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
    return (prev_nl + 2)[keep], (prev_term + 1)[keep], glob[keep]


def record_spans(tf: TableFile, wanted: np.ndarray) -> tuple[int, dict[int, tuple[int, int, int]]]:
    """Count the non-blank records (header included) and locate the wanted ones.

    ``wanted`` holds sorted record indices (0 is the header). Returns the count and,
    per wanted index, (start line, start offset, end offset) in the decompressed bytes.
    """
    c = _Carry()
    found: dict[int, tuple[int, int, int]] = {}
    tail = b""
    with tf.open_binary() as fh:
        while True:
            data = fh.read(CHUNK)
            if not data:
                break
            buf = np.frombuffer(data, np.uint8)
            lines, starts, ends = _chunk_records(buf, c)
            _pick(found, wanted, c.records, lines, starts, ends)
            c.records += len(lines)
            tail = data[-2:]
    last = c.offset - 1
    if c.last_term < last and not (c.last_term == last - 1 and tail[-1:] == b"\r"):
        # a final record without a new line after it
        _pick(
            found,
            wanted,
            c.records,
            np.array([c.last_term_nl + 2]),
            np.array([c.last_term + 1]),
            np.array([c.offset]),
        )
        c.records += 1
    return c.records, found


def _pick(
    found: dict, wanted: np.ndarray, first: int, lines: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> None:
    lo, hi = np.searchsorted(wanted, [first, first + len(lines)])
    for idx in wanted[lo:hi].tolist():
        k = idx - first
        found[idx] = (int(lines[k]), int(starts[k]), int(ends[k]))


def raw_records(tf: TableFile, spans: dict[int, tuple[int, int, int]]) -> dict[int, list[str]]:
    """The cells of the records at the given byte spans, read again with the csv module."""
    out: dict[int, list[str]] = {}
    with tf.open_binary() as fh:  # files, gzip and zip members all seek (forward is cheap)
        for idx, (_line, start, end) in sorted(spans.items(), key=lambda kv: kv[1][1]):
            fh.seek(start)
            data = fh.read(end - start)
            text = data.decode("utf-8-sig" if start == 0 else "utf-8")
            rec = next(csv.reader(io.StringIO(text, newline="")), [])
            out[idx] = rec
    return out
