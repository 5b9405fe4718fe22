"""Step one of the checks: every row on its own (types, required cells, enumerations).

Everything is vectorised over Arrow arrays. Where a cell form is unusual (odd timestamp
forms, booleans, clock times, zone names) the Python work is done once per *distinct*
value, never once per row, so a 10-million-row file costs a few passes of C code.

The result of a file is its converted columns (Arrow, typed as in ``schema.py``) and,
per row, the code of the first rule it breaks (0: accepted), plus masks of cells that
deserve a warning (naive timestamps).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.dump.arrays import np_mask
from sparkdesk.dump.parse import RawFile
from sparkdesk.dump.schema import EVENT_REQUIRES, Col, TableSpec, table_spec
from sparkdesk.tasks import checkpoint

CANCEL_POLL_SECONDS = 0.2  # how often step one looks for a Cancel while a column converts

TS_TYPE = pa.timestamp("ms", tz="UTC")
# Text is large_string throughout: pandas' string dtype stores large_string, so the final
# conversion to pandas is zero-copy (with plain string it copies every text column).
STR = pa.large_string()
ARROW_TYPES = {"ts": TS_TYPE, "bool": pa.bool_(), "int": pa.int64(), "hhmm": pa.int64()}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The instants read: from 0001-01-02T00:00:00Z up to, not including, 9999-12-31T00:00:00Z.
# Exports show local wall-clock time in any IANA zone through Python's datetime, which
# holds only the years 1 to 9999; offsets reach about +-16 h (local mean time before time
# zones, e.g. Asia/Manila -15:56 in the year 1, Pacific/Kiritimati +14 in 9999), so one
# day's margin at each end keeps every local time, and every local day, within them.
TS_FIRST_MS = -62_135_510_400_000  # 0001-01-02T00:00:00Z
TS_END_MS = 253_402_214_400_000  # 9999-12-31T00:00:00Z, excluded
OUTSIDE_YEARS = "is a timestamp outside the years 1 to 9999 (from 0001-01-02 to 9999-12-30, UTC)"
_FAR_MS = 2**60  # where a value too far for 64 bits is put: still outside, and packable
_400_YEARS_MS = 146_097 * 86_400_000  # the Gregorian calendar repeats every 400 years
_INT_RE = r"^\s*[+-]?\d{1,18}\s*$"
_AWARE_RE = r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|z|[+-]\d\d(:?\d\d)?)$"
_NAIVE_RE = r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?$"
_INVALID = object()


def arrow_type(col: Col) -> pa.DataType:
    return ARROW_TYPES.get(col.type, STR)


@dataclass
class RowErrors:
    """Per row, the first rule broken (index into ``reasons`` + 1; 0 means none)."""

    n: int
    code: np.ndarray = field(init=False)
    reasons: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.code = np.zeros(self.n, dtype=np.int32)

    def add(self, mask: np.ndarray, column: str, reason: str) -> None:
        """Mark rows of ``mask`` not yet rejected as breaking (column, reason)."""
        if not mask.any():  # the usual case: skip the full-length passes below
            return
        new = mask & (self.code == 0)
        if new.any():
            self.reasons.append((column, reason))
            self.code[new] = len(self.reasons)


@dataclass
class Checked:
    """One file after step one: typed columns (all rows) and what is wrong with which row."""

    table: pa.Table
    errors: RowErrors
    naive: dict[str, np.ndarray] = field(default_factory=dict)


def _chunked(a: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray:
    return a if isinstance(a, pa.ChunkedArray) else pa.chunked_array([a])


# ---------------------------------------------------------------- text


def _format_float(v: float) -> str:
    if v == int(v) and abs(v) < 1e18:
        return str(int(v))
    return repr(v)


def as_text(a: pa.ChunkedArray) -> pa.ChunkedArray:
    """Any native column as text: numbers as decimal text, booleans as true/false."""
    t = a.type
    if pa.types.is_dictionary(t):
        a = a.cast(t.value_type)
        t = a.type
    if pa.types.is_string(t) or pa.types.is_string_view(t):
        a = a.cast(STR)
    elif pa.types.is_boolean(t):
        a = pc.if_else(a, "true", "false")
    elif pa.types.is_floating(t):
        vals = [None if v is None else _format_float(v) for v in a.to_pylist()]
        a = pa.chunked_array([pa.array(vals, STR)])
    elif pa.types.is_timestamp(t):
        a = pc.strftime(a, "%Y-%m-%dT%H:%M:%S")
    if a.type != STR:
        a = a.cast(STR)
    return _chunked(a)  # empty strings are already null (parse.py), native values never empty


def map_distinct(
    a: pa.ChunkedArray, fn: Callable[[str], object], out_type: pa.DataType
) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Apply ``fn`` once per distinct non-null value; (converted, invalid mask).

    ``fn`` returns ``_INVALID`` for a value that cannot be read.
    """
    uniq = pc.unique(a).drop_null()
    out = [fn(v) for v in uniq.to_pylist()]
    bad = pa.array([v is _INVALID for v in out], pa.bool_())
    vals = pa.array([None if v is _INVALID else v for v in out], out_type)
    idx = pc.index_in(a, value_set=uniq)
    return _chunked(pc.take(vals, idx)), np_mask(_chunked(pc.take(bad, idx)))


# ---------------------------------------------------------------- timestamps


def in_range_ms(ms: int) -> bool:
    """True for the epoch milliseconds of an instant that is read (``TS_FIRST_MS`` ..)."""
    return TS_FIRST_MS <= ms < TS_END_MS


def parse_one_timestamp(v: str) -> tuple[int, bool] | object:
    """(epoch ms, naive) for any form ``datetime.fromisoformat`` reads; digits past ms truncated.

    Whatever the instant: ``in_range_ms`` tells whether it is read. The year 0000 (1 BC),
    which ISO 8601 and Arrow's parser accept but datetime does not, is read too (as the
    year 400, 400 Gregorian years earlier), so that the text and the typed CSV reads
    agree that it is a timestamp, outside the years read.
    """
    s = v.strip()
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s), False
    shift = 0
    if s.startswith("0000"):  # every form fromisoformat reads starts with the year
        s, shift = "0400" + s[4:], _400_YEARS_MS
    try:
        d = datetime.fromisoformat(s)
    except ValueError:
        return _INVALID
    naive = d.tzinfo is None
    if naive:
        d = d.replace(tzinfo=UTC)
    delta = d - _EPOCH
    return (delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000 - shift), naive


def _ns_to_ms(a: pa.ChunkedArray) -> np.ndarray:
    """Timestamp (any unit, any zone) to int64 epoch ms, flooring (= truncating the digits)."""
    unit = a.type.unit
    div = {"s": None, "ms": 1, "us": 1000, "ns": 1_000_000}[unit]
    ints = pc.fill_null(a.cast(pa.int64()), 0).to_numpy()
    if div is None:
        return ints * 1000
    return ints // div if div != 1 else ints


def _ts_from_ms(ms: np.ndarray, valid: np.ndarray) -> pa.ChunkedArray:
    arr = pa.array(ms, pa.int64(), mask=~valid).cast(TS_TYPE)
    return pa.chunked_array([arr])


def _to_ms(ts: pa.ChunkedArray) -> pa.ChunkedArray:
    """Any timestamp column as ``timestamp[ms, UTC]``, digits past the millisecond truncated.

    Arrow's unsafe cast truncates toward zero, which is flooring for instants after 1970;
    the rare column with earlier instants goes through numpy's floor division.
    """
    lowest = pc.min(ts).cast(pa.int64()).as_py()
    if lowest is None or lowest >= 0:
        return _chunked(ts.cast(pa.timestamp(ts.type.unit, tz="UTC")).cast(TS_TYPE, safe=False))
    return _ts_from_ms(_ns_to_ms(ts), ~np_mask(pc.is_null(ts)))


def _outside(values: pa.ChunkedArray, first: int, end: int) -> np.ndarray:
    """True where an integer or timestamp cell is not in [first, end) (a null is not).

    One min/max pass answers the usual column, every cell inside; only a column with a
    cell outside pays for the comparisons and the mask.
    """
    if not pa.types.is_uint64(values.type):  # 2**64 - 1 fits no int64: compared as is
        values = _chunked(values.cast(pa.int64()))
    low, high = (s.as_py() for s in pc.min_max(values).values())
    if low is None or (low >= first and high < end):
        return np.zeros(len(values), bool)
    if pa.types.is_uint64(values.type):
        return np_mask(pc.greater_equal(values, pa.scalar(end, values.type)))
    return np_mask(pc.or_(pc.less(values, first), pc.greater_equal(values, end)))


def _null_where(a: pa.ChunkedArray, mask: np.ndarray) -> pa.ChunkedArray:
    if not mask.any():
        return a
    return _chunked(pc.if_else(pa.array(mask), pa.scalar(None, a.type), a))


# Per unit, how many of it make a millisecond (None: seconds, a thousandth of one).
_PER_MS = {"s": None, "ms": 1, "us": 1000, "ns": 1_000_000}


def _native_outside(a: pa.ChunkedArray) -> np.ndarray:
    """Cells of a native timestamp column outside the instants read, checked in its own
    unit, before any conversion can overflow (seconds times 1000 may pass 64 bits)."""
    per_ms = _PER_MS[a.type.unit]
    if per_ms is None:  # TS_FIRST_MS and TS_END_MS are whole days: exact in seconds
        return _outside(a, TS_FIRST_MS // 1000, TS_END_MS // 1000)
    if TS_FIRST_MS * per_ms < -(2**63):  # nanoseconds: 64 bits hold only 1677 to 2262
        return np.zeros(len(a), bool)
    return _outside(a, TS_FIRST_MS * per_ms, TS_END_MS * per_ms)


def parse_timestamps(a: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray, np.ndarray, np.ndarray]:
    """(timestamps, invalid mask, naive mask, outside mask). Fast path: one Arrow cast.

    *Outside* cells are timestamps, but not of an instant read (``TS_FIRST_MS`` to
    ``TS_END_MS``); they, like invalid cells, are null in the result and not naive.
    """
    n = len(a)
    if pa.types.is_date(a.type):  # a native date: its midnight, without an offset, as its text is read
        a = _chunked(a.cast(pa.timestamp("ms")))
    t = a.type
    if pa.types.is_timestamp(t):
        far = _native_outside(a)
        a = _null_where(a, far)
        naive = np.full(n, t.tz is None) & ~np_mask(pc.is_null(a))
        return _to_ms(a), np.zeros(n, bool), naive, far
    if pa.types.is_integer(t):
        far = _outside(a, TS_FIRST_MS, TS_END_MS)
        a = _null_where(a, far)
        return _chunked(a.cast(pa.int64()).cast(TS_TYPE)), np.zeros(n, bool), np.zeros(n, bool), far
    a = as_text(a)
    present = ~np_mask(pc.is_null(a))
    try:
        ts = a.cast(pa.timestamp("ns", tz="UTC"))  # 64-bit nanoseconds: 1677 to 2262, all read
        return _to_ms(_chunked(ts)), np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    ts, bad, naive = _parse_timestamps_mixed(a, present)
    far = _outside(ts, TS_FIRST_MS, TS_END_MS)
    return _null_where(ts, far), bad, naive & ~far, far


def _parse_timestamps_mixed(
    a: pa.ChunkedArray, present: np.ndarray
) -> tuple[pa.ChunkedArray, np.ndarray, np.ndarray]:
    """Column with several forms: epoch ms, ISO with offset, naive ISO, then Python for the rest."""
    n = len(a)
    ms = np.zeros(n, np.int64)
    done = np.zeros(n, bool)
    naive = np.zeros(n, bool)
    for pattern, is_naive in ((_INT_RE, None), (_AWARE_RE, False), (_NAIVE_RE, True)):
        sel = np_mask(pc.match_substring_regex(a, pattern)) & ~done
        if not sel.any():
            continue
        part = pc.filter(a, pa.array(sel))
        try:
            if is_naive is None:
                vals = pc.utf8_trim_whitespace(part).cast(pa.int64()).to_numpy()
            else:
                tz = None if is_naive else "UTC"
                vals = _ns_to_ms(_chunked(part.cast(pa.timestamp("ns", tz=tz))))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue  # some value of this form is odd: the Python path reads them all
        ms[sel] = vals
        done |= sel
        naive |= sel & bool(is_naive)
    rest = present & ~done
    bad = np.zeros(n, bool)
    if rest.any():
        part = pc.filter(a, pa.array(rest))
        conv, part_bad = map_distinct(part, _py_timestamp_packed, pa.int64())
        vals = pc.fill_null(conv, 0).to_numpy()
        ms[rest] = vals >> 1
        naive[rest] = (vals & 1).astype(bool) & ~part_bad
        bad[rest] = part_bad
    valid = present & ~bad
    return _ts_from_ms(ms, valid), bad, naive & valid


def _py_timestamp_packed(v: str) -> int | object:
    """``_py_timestamp`` packed into one int (ms << 1 | naive), so map_distinct can carry it."""
    r = parse_one_timestamp(v)
    if r is _INVALID:
        return _INVALID
    ms, naive = r  # type: ignore[misc]
    ms = min(max(ms, -_FAR_MS), _FAR_MS)  # a count past 64 bits: as far, still outside
    return (ms << 1) | int(naive)


# ---------------------------------------------------------------- other types


def _py_bool(v: str) -> bool | object:
    s = v.strip().lower()
    if s in ("true", "1", "yes"):
        return True
    if s in ("false", "0", "no"):
        return False
    return _INVALID


def _py_hhmm(v: str) -> int | object:
    m = re.fullmatch(r"\s*(\d{1,2}):(\d\d)\s*", v)
    if not m:
        return _INVALID
    h, mi = int(m.group(1)), int(m.group(2))
    if (h < 24 and mi < 60) or (h == 24 and mi == 0):
        return h * 60 + mi
    return _INVALID


def _py_date(v: str) -> str | object:
    s = v.strip()
    if not re.fullmatch(r"\d{4}-\d\d-\d\d", s):
        return _INVALID
    try:
        date.fromisoformat(s)
    except ValueError:
        return _INVALID
    return s


def _py_tz(v: str) -> str | object:
    s = v.strip()
    try:
        ZoneInfo(s)
    except (ValueError, KeyError, OSError, Exception):  # noqa: BLE001 - any failure: not a zone
        return _INVALID
    return s


def parse_bool(a: pa.ChunkedArray, default: object) -> tuple[pa.ChunkedArray, np.ndarray]:
    if pa.types.is_boolean(a.type):
        return _chunked(pc.fill_null(a, bool(default))), np.zeros(len(a), bool)
    if pa.types.is_integer(a.type):
        a = a.cast(STR)
    vals, bad = map_distinct(as_text(a), _py_bool, pa.bool_())
    return _chunked(pc.fill_null(vals, bool(default))), bad


def parse_int(a: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    t = a.type
    if pa.types.is_integer(t):
        return _chunked(a.cast(pa.int64())), np.zeros(len(a), bool)
    a = as_text(a)
    ok = np_mask(pc.match_substring_regex(a, _INT_RE))
    present = ~np_mask(pc.is_null(a))
    clean = pc.if_else(pa.array(ok), a, pa.scalar(None, STR))
    vals = pc.utf8_trim_whitespace(clean).cast(pa.int64())
    return _chunked(vals), present & ~ok


def parse_enum(a: pa.ChunkedArray, values: tuple[str, ...]) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Trimmed and upper-cased, worked out on the distinct values only.

    A blank cell (spaces only) is not empty: like any other value outside the set it
    rejects the row (dump-format.md), and its converted value is null.

    A column already written exactly as the spec spells it (the usual case) is kept as it
    is: checking that costs one hash probe per cell (0.1 s for 10 million), where encoding
    and rebuilding it cost 0.3-0.4 s.
    """
    text = as_text(a)
    exact = pc.sum(pc.is_in(text, value_set=pa.array(values, STR))).as_py() or 0
    if exact == len(text) - text.null_count:
        return text, np.zeros(len(text), bool)
    enc = pc.dictionary_encode(text.combine_chunks())
    up = pc.utf8_upper(pc.utf8_trim_whitespace(enc.dictionary))
    up = pc.if_else(pc.equal(up, ""), pa.scalar(None, STR), up)
    bad = pc.invert(pc.fill_null(pc.is_in(up, value_set=pa.array(values, STR)), True))
    return _chunked(pc.take(up, enc.indices)), np_mask(pc.take(bad, enc.indices))


# ---------------------------------------------------------------- a whole file


def _null_column(col: Col, n: int) -> pa.ChunkedArray:
    if col.type == "bool":
        return pa.chunked_array([pa.array(np.full(n, bool(col.default)), pa.bool_())])
    return pa.chunked_array([pa.nulls(n, arrow_type(col))])


@dataclass
class Converted:
    """One column converted to its type, with the cells that could not be read."""

    values: pa.ChunkedArray
    bad: np.ndarray | None  # None: this type cannot fail
    naive: np.ndarray | None  # timestamps without an offset
    what: str  # "is not ...", the end of the rejection reason
    outside: np.ndarray | None = None  # timestamps of an instant not read (OUTSIDE_YEARS)


def convert_values(col: Col, a: pa.ChunkedArray) -> Converted:
    """Convert one column to its type. Touches nothing shared, so columns can convert side by side."""
    kind = col.type
    if kind == "ts":
        out, bad, nv, far = parse_timestamps(a)
        return Converted(out, bad, nv, "is not a timestamp (ISO 8601 or epoch milliseconds)", far)
    if kind == "enum":
        out, bad = parse_enum(a, col.values)
        return Converted(out, bad, None, f"is not one of {', '.join(col.values)}")
    if kind == "bool":
        out, bad = parse_bool(a, col.default)
        return Converted(out, bad, None, "is not a boolean (true/false, 1/0, yes/no)")
    if kind == "int":
        out, bad = parse_int(a)
        return Converted(out, bad, None, "is not an integer")
    if kind == "hhmm":
        out, bad = map_distinct(as_text(a), _py_hhmm, pa.int64())
        return Converted(out, bad, None, "is not a time of day HH:MM (00:00 to 24:00)")
    if kind == "date":
        out, bad = map_distinct(as_text(a), _py_date, STR)
        return Converted(out, bad, None, "is not a date YYYY-MM-DD")
    if kind == "tz":
        out, bad = map_distinct(as_text(a), _py_tz, STR)
        return Converted(
            out, bad, None, "is not a time zone name known to this computer (IANA, e.g. Europe/Madrid)"
        )
    return Converted(as_text(a), None, None, "")


def record_column(col: Col, conv: Converted, errors: RowErrors, naive: dict[str, np.ndarray]) -> None:
    """Note a converted column's unreadable cells and empty required cells, in column order."""
    if conv.naive is not None and conv.naive.any():
        naive[col.name] = conv.naive
    bad = conv.bad
    if conv.outside is not None and conv.outside.any():
        bad = conv.outside if bad is None else bad | conv.outside  # read, but not empty
    if col.required and conv.values.null_count:
        empty = np_mask(pc.is_null(conv.values))
        errors.add(empty if bad is None else empty & ~bad, col.name, f"{col.name} is required but empty")
    if conv.bad is not None:
        errors.add(conv.bad, col.name, f"{col.name} {conv.what}")
    if conv.outside is not None:
        errors.add(conv.outside, col.name, f"{col.name} {OUTSIDE_YEARS}")


PARALLEL_ROWS = 200_000  # files at least this long convert two columns at a time


def check_file(table: str, raw: RawFile) -> Checked:
    """Step one for one file: typed columns plus the first rule each row breaks.

    Columns convert on two threads for long files (Arrow and numpy release the GIL);
    the rules are then applied in column order, which decides a row's first rule broken.
    """
    spec = table_spec(table)
    n = raw.n_rows
    errors = RowErrors(n)
    naive: dict[str, np.ndarray] = {}
    cols: dict[str, pa.ChunkedArray] = {}
    present = [c for c in spec.columns if c.name in raw.table.column_names]
    pool = ThreadPoolExecutor(max_workers=2 if n >= PARALLEL_ROWS else 1)
    try:
        pending = {c.name: pool.submit(convert_values, c, _chunked(raw.table[c.name])) for c in present}
        for col in spec.columns:
            if col.name in pending:
                conv = _result(pending.pop(col.name))
                record_column(col, conv, errors, naive)
                cols[col.name] = conv.values
            else:
                cols[col.name] = _null_column(col, n)
                if col.required:
                    errors.add(np.ones(n, bool), col.name, f"{col.name} is required but empty")
    finally:  # on Cancel: drop the columns not started, leave the running ones to end alone
        pool.shutdown(wait=False, cancel_futures=True)
    table_rules(spec, cols, errors)
    return Checked(pa.table(cols), errors, naive)


def _result(future: Future) -> object:
    """The future's result, checking for Cancel meanwhile (a column of ten million bad
    timestamps takes seconds to sort out)."""
    while True:
        try:
            return future.result(timeout=CANCEL_POLL_SECONDS)
        except FutureTimeout:
            checkpoint()


# ---------------------------------------------------------------- rules across columns


def _isset(a: pa.ChunkedArray) -> np.ndarray:
    if not a.null_count:
        return np.ones(len(a), bool)
    return ~np_mask(pc.is_null(a))


def table_rules(spec: TableSpec, cols: dict[str, pa.ChunkedArray], errors: RowErrors) -> None:
    """Rules that look at several cells of one row (dump-format.md, per table)."""
    name = spec.name
    if name == "messages":
        user, va = _isset(cols["user_id"]), _isset(cols["virtual_agent_id"])
        errors.add(
            user & va, "virtual_agent_id", "a message cannot have both a user_id and a virtual_agent_id"
        )
        inbound = np_mask(pc.equal(cols["direction"], "INBOUND"))
        errors.add(inbound & user, "user_id", "an INBOUND message cannot have a user_id")
        errors.add(inbound & va, "virtual_agent_id", "an INBOUND message cannot have a virtual_agent_id")
    elif name == "conversation_events":
        # one hash pass gives each row its type's place in EVENT_REQUIRES (-1: other types)
        kind = pc.index_in(cols["type"], value_set=pa.array(list(EVENT_REQUIRES), STR))
        kind = _chunked(pc.fill_null(kind, -1)).to_numpy()
        missing = {need: ~_isset(cols[need]) for need in set(EVENT_REQUIRES.values())}
        for i, (etype, need) in enumerate(EVENT_REQUIRES.items()):
            errors.add((kind == i) & missing[need], need, f"a {etype} event needs a {need}")
    elif name == "csat_surveys":
        score = cols["score"]
        out = np_mask(pc.or_(pc.less(score, 1), pc.greater(score, 5)))
        errors.add(out, "score", "score must be an integer from 1 to 5")
        has_score = pc.is_valid(score)
        default = pc.if_else(has_score, pa.scalar("COMPLETED", STR), pa.scalar("SENT", STR))
        cols["status"] = _chunked(pc.coalesce(cols["status"], default))
    elif name == "business_hours":
        start, end = cols["start"], cols["end"]
        errors.add(np_mask(pc.less_equal(end, start)), "end", "end must be after start")
