"""Reading one table file into an Arrow table of raw cells, and finding rows again later.

Every cell of a CSV is read as a string (never inferred: ``007`` stays ``007``), except
timestamp columns of the usual form, which pyarrow reads as timestamps (``_PLAIN_TS``). JSON
Lines go through pyarrow with an explicit all-string schema; when a file holds JSON
numbers or booleans where that schema says string, a slower exact Python reader takes
over for that file. Parquet keeps its native types; ``validate.py`` copes with both.

Line numbers and raw rows are only needed for rejected or warned rows, so they are not
computed while reading: ``locate`` re-scans a file for just the rows asked for.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from sparkdesk.dump.containers import ReadMeter, TableFile, as_buffer_reader
from sparkdesk.dump.lines import (
    Spans,
    json_rows,
    jsonl_lines,
    line_texts,
    raw_cells,
    raw_records,
    record_spans,
)
from sparkdesk.dump.model import DumpRefused
from sparkdesk.dump.schema import table_spec
from sparkdesk.tasks import checkpoint

csv.field_size_limit(2**31 - 1)


@dataclass
class BadRecord:
    """A record the reader could not even split into cells (wrong cell count, not JSON)."""

    line: int | None
    raw: str
    reason: str


@dataclass
class RawFile:
    """A file's rows as read: one Arrow column per known spec column present in the file."""

    table: pa.Table  # columns named by spec column name
    headers: list[str]  # the header names as written, in file order
    unknown: list[str] = field(default_factory=list)  # header names matching no column
    duplicate: list[str] = field(default_factory=list)  # repeated header names (first kept)
    bad_records: list[BadRecord] = field(default_factory=list)
    malformed: int = 0  # CSV records with a wrong cell count; found again by ``locate``
    n_rows: int = -1  # rows in ``table`` (set even when it has no known column)

    def __post_init__(self) -> None:
        if self.n_rows < 0:
            self.n_rows = self.table.num_rows


def _not_utf8(tf: TableFile) -> DumpRefused:
    return DumpRefused(f"{tf.label} cannot be read: it is not UTF-8 text.")


def _unreadable(tf: TableFile, err: Exception) -> DumpRefused:
    msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if "utf8" in msg.lower() or "utf-8" in msg.lower():
        return _not_utf8(tf)
    return DumpRefused(f"{tf.label} cannot be read ({msg}).")


def map_headers(
    tf: TableFile, headers: list[str], require: bool = True
) -> tuple[dict[str, int], list[str], list[str]]:
    """Spec column -> position, matched case-insensitively after trimming; refuse missing required."""
    spec = table_spec(tf.table)
    known = set(spec.column_names)
    pos: dict[str, int] = {}
    unknown: list[str] = []
    dup: list[str] = []
    for i, h in enumerate(headers):
        key = h.strip().lower()
        if key not in known:
            unknown.append(h)
        elif key in pos:
            dup.append(h)
        else:
            pos[key] = i
    missing = [c for c in spec.required if c not in pos]
    if missing and require:
        cols = ", ".join(missing)
        raise DumpRefused(f"{tf.label} lacks the required column{'s' if len(missing) > 1 else ''} {cols}.")
    return pos, unknown, dup


# ---------------------------------------------------------------- CSV


def _csv_text(tf: TableFile) -> io.TextIOWrapper:
    return io.TextIOWrapper(tf.open_binary(), encoding="utf-8-sig", newline="")


SAMPLE_RECORDS = 200  # data records read ahead with the header, to choose column types
SAMPLE_CHARS = 1 << 20  # text read for them at most: a stray quote can run to the file's end


class _Lines:
    """The lines of a text file, up to ``limit`` characters from where it was set (None:
    all of them); ``csv.reader`` takes one line at a time, so it reads no further."""

    def __init__(self, fh: io.TextIOWrapper) -> None:
        self._fh = fh
        self.used = 0
        self.limit: int | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.limit is not None and self.used >= self.limit:
            raise StopIteration
        line = next(self._fh)
        self.used += len(line)
        return line


def read_csv_header(tf: TableFile, sample: int = 1) -> tuple[list[str], list[list[str]]]:
    """The first record of the file (it may hold quoted new lines too), and up to ``sample``
    records after it (the first rows of data; none when the header ends the file). Past
    the first row, only ``SAMPLE_CHARS`` of text are read; a record cut there is partial."""
    try:
        with _csv_text(tf) as fh:
            lines = _Lines(fh)
            records = (rec for rec in csv.reader(lines) if rec)
            header = next(records, None)
            if header is not None:
                first = next(records, None)
                if first is None:
                    return header, []
                lines.limit = lines.used + SAMPLE_CHARS
                return header, [first, *_more_records(records, sample - 1)]
    except UnicodeDecodeError:
        raise _not_utf8(tf) from None
    except (OSError, EOFError, csv.Error) as err:
        raise _unreadable(tf, err) from None
    raise DumpRefused(f"{tf.label} is empty: a CSV table file needs a header line.")


def _more_records(records, n: int) -> list[list[str]]:
    """Up to ``n`` more records; fewer when the text read so far ends inside one."""
    out: list[list[str]] = []
    try:
        out.extend(rec for _, rec in zip(range(n), records, strict=False))
    except (csv.Error, UnicodeDecodeError):
        pass  # cut in the middle of a record or character: the sample is what came before
    return out


# The usual form of a dump's timestamps: ISO 8601 with an offset, at most milliseconds.
# pyarrow's CSV reader turns exactly these into the instant that validate.py's cast
# gives (the same ISO 8601 parser), so a column whose first cells have this form (or are
# empty) is read as timestamps straight away: no string column to build and convert,
# 0.4-0.5 s and 0.3 GiB less on ten million messages. Any cell of another form makes
# the read fail, and the file is read again as strings, where step one sorts out every form.
_PLAIN_TS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:\d\d)")
_PLAIN_TS_TYPE = pa.timestamp("ms", tz="UTC")


def _timestamp_columns(tf: TableFile, pos: dict[str, int], names: list[str], sample: list[list[str]]) -> dict:
    """The columns pyarrow may read as timestamps: timestamp columns whose sampled cells are
    all of the usual form or empty (a column empty so far, like deleted_at, counts)."""
    typed = {}
    for col in table_spec(tf.table).columns:
        i = pos.get(col.name)
        if col.type != "ts" or i is None:
            continue
        cells = [rec[i] for rec in sample if i < len(rec) and rec[i] != ""]
        if all(_PLAIN_TS.fullmatch(c) for c in cells):
            typed[names[i]] = _PLAIN_TS_TYPE
    return typed


def read_csv(tf: TableFile, meter: ReadMeter | None = None) -> RawFile:
    """All cells as strings, empty cells as null, RFC 4180 quoting with new lines in values
    (timestamp columns of the usual form as timestamps, see ``_PLAIN_TS``)."""
    setup = _csv_setup(tf)
    if setup.empty:  # pyarrow cannot skip a header that ends the file without a new line
        return setup.raw(_empty_strings(setup.pos), 0)
    try:
        try:
            t, malformed = _read_csv_as(tf, meter, setup, setup.first_types)
        except pa.ArrowInvalid:
            if not setup.typed or (meter is not None and meter.stopped):
                raise
            if meter is not None:
                meter.restart()
            t, malformed = _read_csv_as(tf, meter, setup, setup.strings)
    except (pa.ArrowInvalid, OSError, EOFError) as err:
        raise _unreadable(tf, err) from None
    return setup.raw(t, malformed)


@dataclass
class _CsvSetup:
    """What the header and the first records decide before pyarrow reads a CSV."""

    headers: list[str]
    pos: dict[str, int]  # spec column -> position in the file
    unknown: list[str]
    duplicate: list[str]
    names: list[str]  # the names pyarrow gives the file's columns
    strings: dict  # every column as text
    typed: dict  # the timestamp columns pyarrow may parse itself
    empty: bool  # no record after the header

    @property
    def first_types(self) -> dict:
        return {**self.strings, **self.typed}

    def raw(self, t: pa.Table, malformed: int) -> RawFile:
        n = t.num_rows
        t = t.rename_columns(list(self.pos.keys()))
        return RawFile(t, self.headers, self.unknown, self.duplicate, malformed=malformed, n_rows=n)


def _csv_setup(tf: TableFile) -> _CsvSetup:
    headers, sample = read_csv_header(tf, SAMPLE_RECORDS)
    pos, unknown, dup = map_headers(tf, headers)
    names = [f"c{i}" for i in range(len(headers))]
    strings = {n: pa.large_string() for n in names}
    typed = _timestamp_columns(tf, pos, names, sample) if sample else {}
    return _CsvSetup(headers, pos, unknown, dup, names, strings, typed, not sample)


def _empty_strings(pos: dict[str, int]) -> pa.Table:
    return pa.table({c: pa.array([], pa.large_string()) for c in pos})


def _csv_options(setup: _CsvSetup, types: dict, on_invalid: Callable, block_bytes: int | None = None) -> dict:
    read = pacsv.ReadOptions(column_names=setup.names, skip_rows_after_names=1)
    if block_bytes:
        read.block_size = block_bytes
    return {
        "read_options": read,
        "parse_options": pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        "convert_options": pacsv.ConvertOptions(
            column_types=types,
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            include_columns=[setup.names[i] for i in setup.pos.values()],
        ),
    }


def _read_csv_as(
    tf: TableFile, meter: ReadMeter | None, setup: _CsvSetup, types: dict
) -> tuple[pa.Table, int]:
    """The file's known columns with these types, and the number of records skipped for
    a wrong cell count."""
    malformed = [0]

    def on_invalid(_row: object) -> str:
        malformed[0] += 1
        return "skip"

    with tf.open_arrow(meter) as stream:
        t = pacsv.read_csv(stream, **_csv_options(setup, types, on_invalid))
    return t, malformed[0]


RESTART = None  # what ``read_blocks`` yields when the file is read again from its start


def read_blocks(tf: TableFile, meter: ReadMeter | None, block_bytes: int) -> Iterator[RawFile | None]:
    """The file's cells a block of about ``block_bytes`` at a time, as ``read_file`` reads
    them whole: a file larger than memory is never held at once.

    A CSV whose timestamps the first records said pyarrow could parse may hold another
    form further on: the read then fails mid-file and starts again with every column as
    text. ``RESTART`` is yielded first, and the caller drops what it had of the file.
    Other formats come whole, as one block.
    """
    if tf.fmt != "csv":
        yield read_file(tf, meter)
        return
    setup = _csv_setup(tf)
    if setup.empty:
        yield setup.raw(_empty_strings(setup.pos), 0)
        return
    attempts = [setup.first_types, setup.strings] if setup.typed else [setup.strings]
    for k, types in enumerate(attempts):
        try:
            yield from _csv_blocks(tf, meter, setup, types, block_bytes)
            return
        except pa.ArrowInvalid as err:
            if k + 1 == len(attempts) or (meter is not None and meter.stopped):
                raise _unreadable(tf, err) from None
            if meter is not None:
                meter.restart()
        except (OSError, EOFError) as err:
            raise _unreadable(tf, err) from None
        yield RESTART


def _csv_blocks(
    tf: TableFile, meter: ReadMeter | None, setup: _CsvSetup, types: dict, block_bytes: int
) -> Iterator[RawFile]:
    malformed = [0]

    def on_invalid(_row: object) -> str:
        malformed[0] += 1
        return "skip"

    with tf.open_arrow(meter) as stream:
        reader = pacsv.open_csv(stream, **_csv_options(setup, types, on_invalid, block_bytes))
        seen = 0
        for batch in reader:
            count, seen = malformed[0] - seen, malformed[0]
            yield setup.raw(pa.Table.from_batches([batch]), count)
        if malformed[0] > seen:  # records skipped after the last block
            yield setup.raw(reader.schema.empty_table(), malformed[0] - seen)


def _csv_records(tf: TableFile):
    """(start line, cells) of every non-blank record, the header included."""
    with _csv_text(tf) as fh:
        reader = csv.reader(fh)
        prev = 0
        for rec in reader:
            start = prev + 1
            prev = reader.line_num
            if rec:
                yield start, rec


# ---------------------------------------------------------------- JSON Lines


def _json_token_text(token: str) -> str:
    """A JSON number as decimal text: integers without ``.0``, no exponent."""
    try:
        d = Decimal(token)
    except InvalidOperation:
        return token
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def _json_cell(v: object) -> str | None:
    if v is None or isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    raise ValueError("nested")


def read_jsonl(tf: TableFile, meter: ReadMeter | None = None) -> RawFile:
    """pyarrow with an all-string schema, else with inferred types when they lose nothing,
    else an exact Python reader (JSON numbers as their decimal text, whatever their size)."""
    spec = table_spec(tf.table)
    schema = pa.schema([(c, pa.large_string()) for c in spec.column_names])
    t = _pyarrow_json(tf, schema, meter)
    if meter is not None and meter.stopped:
        raise DumpRefused(f"{tf.label} was not read: reading was stopped.")
    if t is None:
        t = _pyarrow_json(tf, None)
        if t is None or not _inferred_types_ok(tf.table, t):
            return _read_jsonl_python(tf)
    known = set(spec.column_names)
    if any(n not in known and n.strip().lower() in known for n in t.column_names):
        return _read_jsonl_python(tf)  # keys in another case: let the exact reader sort them
    return _from_named_table(tf, t, require=False)


def _pyarrow_json(tf: TableFile, schema: pa.Schema | None, meter: ReadMeter | None = None) -> pa.Table | None:
    """The file through pyarrow's JSON reader, or None when the cells do not fit ``schema``."""
    opts = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    try:
        with tf.open_arrow(meter) as stream:
            return pajson.read_json(
                stream, read_options=pajson.ReadOptions(block_size=1 << 24), parse_options=opts
            )
    except pa.ArrowInvalid as err:
        if "utf8" in str(err).lower() or "utf-8" in str(err).lower():
            raise _not_utf8(tf) from None
        return None
    except (OSError, EOFError) as err:
        raise _unreadable(tf, err) from None


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


_FITS = {
    "ts": (_is_text, pa.types.is_integer, pa.types.is_timestamp, pa.types.is_null),
    "bool": (_is_text, pa.types.is_boolean, pa.types.is_integer, pa.types.is_null),
    "int": (_is_text, pa.types.is_integer, pa.types.is_null),
}
_TEXT_FITS = (_is_text, pa.types.is_integer, pa.types.is_boolean, pa.types.is_null)


def _inferred_types_ok(table: str, t: pa.Table) -> bool:
    """Inferred column types that convert to text exactly (no doubles, no parsed dates in text)."""
    spec = table_spec(table)
    for name in t.column_names:
        key = name.strip().lower()
        if key not in spec.column_names:
            continue
        checks = _FITS.get(spec.col(key).type, _TEXT_FITS)
        if not any(check(t.schema.field(name).type) for check in checks):
            return False
    return True


def _from_named_table(tf: TableFile, t: pa.Table, require: bool) -> RawFile:
    """Keep the spec columns of a table whose columns are named; note unknown ones.

    JSON Lines have no header: a key missing everywhere only makes cells empty (the rows
    are then rejected one by one), so ``require`` is off for them.
    """
    headers = list(t.column_names)
    pos, unknown, dup = map_headers(tf, headers, require=require)
    cols = {c: _empty_as_null(t.column(i)) for c, i in pos.items()}
    return RawFile(pa.table(cols), headers, unknown, dup, n_rows=t.num_rows)


def _empty_as_null(a: pa.ChunkedArray) -> pa.ChunkedArray:
    """An empty string means empty, as in CSV (where pyarrow already reads it as null)."""
    if not (pa.types.is_string(a.type) or pa.types.is_large_string(a.type)) or a.null_count == len(a):
        return a
    empty = pc.equal(a, "")
    if not pc.any(empty).as_py():
        return a
    return pc.if_else(empty, pa.scalar(None, a.type), a)


def _read_jsonl_python(tf: TableFile) -> RawFile:
    """Exact reader: JSON numbers become their decimal text, whatever their size."""
    rows: list[dict[str, str | None]] = []
    bad: list[BadRecord] = []
    keys: dict[str, None] = {}
    try:
        with tf.open_binary() as fh:
            for lineno, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8-sig", newline=None), 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line, parse_float=_json_token_text, parse_int=str)
                    if not isinstance(obj, dict):
                        raise ValueError("not an object")
                    row = {k: _json_cell(v) for k, v in obj.items()}
                except ValueError:
                    bad.append(BadRecord(lineno, line.rstrip("\r\n"), "the line is not a flat JSON object"))
                    continue
                for k in row:
                    keys.setdefault(k, None)
                rows.append(row)
    except UnicodeDecodeError:
        raise _not_utf8(tf) from None
    except (OSError, EOFError) as err:
        raise _unreadable(tf, err) from None
    names = list(keys)
    t = pa.table({k: pa.array([r.get(k) for r in rows], pa.large_string()) for k in names})
    raw = _from_named_table(tf, t, require=False)
    raw.bad_records = bad
    return raw


def _jsonl_lines(tf: TableFile):
    """(line number, text) of every non-blank line."""
    with tf.open_binary() as fh:
        for lineno, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8-sig", newline=None), 1):
            if line.strip():
                yield lineno, line.rstrip("\r\n")


# ---------------------------------------------------------------- Parquet


def read_parquet(tf: TableFile, meter: ReadMeter | None = None) -> RawFile:
    try:
        t = pq.read_table(as_buffer_reader(tf))
    except (pa.ArrowException, OSError, EOFError) as err:
        raise _unreadable(tf, err) from None
    return _from_named_table(tf, t, require=True)


# ---------------------------------------------------------------- dispatch and locate

READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


def read_file(tf: TableFile, meter: ReadMeter | None = None) -> RawFile:
    """The file's cells; ``meter`` (CSV and JSON Lines) counts the bytes read, and stops the read when told."""
    return READERS[tf.fmt](tf, meter)


@dataclass
class Located:
    """The rows of one file that the report mentions, found again: ascending row indices,
    with the line each starts on (-1 when not found) and its raw text ("" when not found)."""

    rows: np.ndarray
    lines: np.ndarray
    raw: pa.ChunkedArray

    @classmethod
    def from_dict(cls, found: dict[int, tuple[int, str]]) -> Located:
        """From the slow readers' {row: (line, raw)}."""
        rows = np.array(sorted(found), np.int64)
        lines = np.array([found[r][0] for r in rows.tolist()], np.int64)
        raw = pa.chunked_array([pa.array([found[r][1] for r in rows.tolist()], pa.large_string())])
        return cls(rows, lines, raw)


def _locate_csv_fast(tf: TableFile, rows: np.ndarray, n_rows: int) -> Located | None:
    """Line and raw row of the given data rows by a numpy scan; None if it disagrees with pyarrow."""
    wanted = rows + 1  # record 0 is the header
    count, spans = record_spans(tf, wanted)
    if count != n_rows + 1 or len(spans) != len(wanted):
        return None
    return _located(tf, rows, spans)


def _locate_csv_malformed(
    tf: TableFile, rows: np.ndarray, n_rows: int, ncols: int, malformed: int
) -> tuple[Located, list[BadRecord]] | None:
    """As ``_locate_csv_fast`` in a file with records of a wrong cell count, which pyarrow
    skipped: the scan counts every record's cells to tell which data row is which record,
    and returns the records skipped. None if its count of them disagrees with pyarrow's."""
    count, every = record_spans(tf, None, count_cells=True)
    cells = every.cells[1:]
    good = np.flatnonzero(cells == ncols) + 1
    skipped = np.flatnonzero(cells != ncols) + 1
    if count != n_rows + malformed + 1 or len(skipped) != malformed or len(good) != n_rows:
        return None
    bad_spans = every.at(skipped)
    bad = [
        BadRecord(
            line,
            json.dumps(rec, ensure_ascii=False),
            f"the record has {len(rec)} cells where the header has {ncols}",
        )
        for line, rec in zip(bad_spans.line.tolist(), raw_records(tf, bad_spans), strict=True)
    ]
    return _located(tf, rows, every.at(good[rows])), bad


RAW_BLOCK = 250_000  # records made raw rows at a time (about 0.6 s): bounds the text held, and progress moves


def _located(tf: TableFile, rows: np.ndarray, spans: Spans) -> Located:
    """The raw rows (JSON objects of header and cells) of data ``rows`` found at ``spans``."""
    header = read_csv_header(tf)[0]

    def raw_rows(part: Spans) -> list[pa.Array]:
        cells = raw_cells(tf, part, len(header))
        if cells is None:  # pyarrow splits them otherwise: the csv module decides, record by record
            recs = raw_records(tf, part)
            raw = [json.dumps(dict(zip(header, rec, strict=False)), ensure_ascii=False) for rec in recs]
            return [pa.array(raw, pa.large_string())]
        return json_rows(header, cells).chunks

    return Located(rows, spans.line, _in_blocks(tf, spans, raw_rows))


def _in_blocks(tf: TableFile, spans: Spans, make: Callable[[Spans], list[pa.Array]]) -> pa.ChunkedArray:
    """``make``'s raw rows for ``spans``, ``RAW_BLOCK`` at a time, with progress between.

    The records' text, their cells and the escaped cells of one block are dropped before
    the next, so only the raw rows add up (5 million rejected messages: 1.5 GB of them).
    """
    chunks: list[pa.Array] = []
    for lo in range(0, len(spans), RAW_BLOCK):  # a few blocks, not rows
        checkpoint(0.3 + 0.7 * lo / len(spans), f"Writing the raw rows of {tf.label}")
        chunks.extend(make(spans.at(slice(lo, lo + RAW_BLOCK))))
    return pa.chunked_array(chunks, pa.large_string())


def _json_default(v: object) -> str:
    return str(v)


def _python_rows(t: pa.Table) -> list[dict]:
    """The rows as Python dicts, native cells as Python values; a timestamp or date that
    Python cannot hold (a rejected year 10000) as the ISO text of its UTC instant or day."""
    try:
        return t.to_pylist()
    except (OverflowError, ValueError):
        pass
    columns = [
        [_python_date(v) for v in col] if _is_dated(col.type) else col.to_pylist() for col in t.columns
    ]
    return [dict(zip(t.column_names, cells, strict=True)) for cells in zip(*columns, strict=True)]


def _is_dated(t: pa.DataType) -> bool:
    return pa.types.is_timestamp(t) or pa.types.is_date(t)


def _python_date(v: pa.Scalar) -> object:
    """A timestamp or date cell as Python's ``datetime``/``date``, else numpy's ISO text."""
    try:
        return v.as_py()
    except (OverflowError, ValueError):
        if pa.types.is_date32(v.type):
            return str(np.datetime64(v.cast(pa.int32()).as_py(), "D"))
        if pa.types.is_date64(v.type):
            return str(np.datetime64(v.cast(pa.int64()).as_py(), "ms").astype("datetime64[D]"))
        text = str(np.datetime64(v.value, v.type.unit)).replace("T", " ")
        return text + ("+00:00" if v.type.tz is not None else "")


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique`` of integers by one sort (numpy's hashing unique was 4x slower here)."""
    if len(a) < 2 or bool((a[1:] > a[:-1]).all()):
        return a
    a = np.sort(a)
    return a[np.concatenate(([True], a[1:] != a[:-1]))]


def locate(
    tf: TableFile, wanted: np.ndarray, malformed: int, ncols: int, n_rows: int = -1
) -> tuple[Located, list[BadRecord]]:
    """Line number (CSV/JSONL; Parquet: row index) and raw row text of the given data rows.

    For CSV the line is the physical line where the record starts, counting the header
    as line 1, right even when quoted cells hold new lines. Records with a wrong cell
    count (skipped by the fast reader; ``malformed`` says how many) are returned as
    BadRecords.
    """
    bad: list[BadRecord] = []
    wanted = sorted_unique(np.asarray(wanted, np.int64))
    want_malformed = malformed > 0
    if tf.fmt == "csv" and n_rows >= 0 and not want_malformed:
        fast = _locate_csv_fast(tf, wanted, n_rows)
        if fast is not None:
            return fast, bad
    if tf.fmt == "csv" and n_rows >= 0 and want_malformed:
        found_bad = _locate_csv_malformed(tf, wanted, n_rows, ncols, malformed)
        if found_bad is not None:
            return found_bad
    if tf.fmt == "jsonl" and n_rows >= 0 and not want_malformed:
        lines_found = jsonl_lines(tf, wanted)
        if lines_found is not None and lines_found[0] == n_rows and len(lines_found[1]) == len(wanted):
            spans = lines_found[1]
            return Located(
                wanted, spans.line, _in_blocks(tf, spans, lambda part: line_texts(tf, part).chunks)
            ), bad
    found: dict[int, tuple[int, str]] = {}
    rows = set(wanted.tolist())
    last = int(wanted[-1]) if len(wanted) else -1
    if tf.fmt == "csv":
        header: list[str] | None = None
        idx = -1
        for line, rec in _csv_records(tf):
            if header is None:
                header = rec
                continue
            if len(rec) != ncols:
                if want_malformed:
                    bad.append(
                        BadRecord(
                            line,
                            json.dumps(rec, ensure_ascii=False),
                            f"the record has {len(rec)} cells where the header has {ncols}",
                        )
                    )
                continue
            idx += 1
            if idx in rows:
                found[idx] = (line, json.dumps(dict(zip(header, rec, strict=True)), ensure_ascii=False))
            if idx >= last and not want_malformed:
                break
    elif tf.fmt == "jsonl":
        idx = -1
        for line, text in _jsonl_lines(tf):
            try:
                ok = isinstance(json.loads(text), dict)
            except ValueError:
                ok = False
            if not ok:
                continue
            idx += 1
            if idx in rows:
                found[idx] = (line, text)
            if idx >= last:
                break
    else:
        t = pq.read_table(as_buffer_reader(tf))
        keep = wanted[wanted < t.num_rows]
        # one take, then JSON per row: native cells (dates, numbers) are written by Python's rules
        raw = [
            json.dumps(rec, ensure_ascii=False, default=_json_default) for rec in _python_rows(t.take(keep))
        ]
        found = dict(zip(keep.tolist(), zip(keep.tolist(), raw, strict=True), strict=True))
    return Located.from_dict(found), bad
