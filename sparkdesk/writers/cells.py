"""Cell text: how one column of a computed export becomes the text a CSV (or the preview) shows.

Formatting is the bottleneck of a big export (see ``shared/notes/performance.md``), so
every kind is formatted column-at-a-time with pyarrow compute kernels: there is no
Python loop over cells, and the work per row is a handful of vectorised passes. The
same function serves the CSV writer (whole chunks) and the preview grid (a small slice
of rows at a time), so it accepts any slice of a column and keeps its index.

The rules are the contract in ``exports.md`` ("Cell formats", "Precise rules"):

- timestamps: local wall-clock time in ``tz`` as ``YYYY-MM-DD HH:MM:SS``, seconds
  truncated (floored); ``iso``: ``YYYY-MM-DDTHH:MM:SS.mmm+HH:MM`` with the offset of
  that instant (``+00:00`` for UTC, never ``Z``). An offset with seconds (local mean
  time, before a zone's standard time: Amsterdam +00:19:32, Kiritimati -10:29:20) is
  cut to its whole minutes towards zero and the clock time written is the instant
  plus that cut offset, so the text always denotes the exact instant (Amsterdam,
  1930-06-01T12:00:00Z: ``1930-06-01T13:19:00.000+01:19``, not the local 13:19:32);
- durations: milliseconds written as seconds with exactly 3 decimals, by integer
  arithmetic so nothing is lost to floating point (``12.000``, ``-0.500``);
- percentages: exactly 2 decimals, half away from zero;
- counts and scores: integers; booleans ``true``/``false``;
- missing values: the empty string;
- formula guard: a text cell (``id``, ``text``, ``enum``) starting with ``=``, ``+``,
  ``-``, ``@``, TAB or CR gets a leading ``'`` so a spreadsheet never runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.catalogue import HEADER_LANGS, TEXT_KINDS

GUARD_CHARS = ("=", "+", "-", "@", "\t", "\r")


def _lit(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


TimeFormat = Literal["local", "iso"]


@dataclass(frozen=True)
class WriteOptions:
    """How an export is written; the defaults are the command line's defaults.

    ``formula_guard`` only changes CSV text (and ``format_column``); XLSX text is always
    written as string cells, which a spreadsheet never evaluates.
    """

    lang: str = "en"
    tz: str = "UTC"
    time_format: TimeFormat = "local"
    bom: bool = True
    formula_guard: bool = True

    def __post_init__(self) -> None:
        if self.lang not in HEADER_LANGS:
            expected = " or ".join(map(repr, HEADER_LANGS))
            raise ValueError(f"unknown header language {self.lang!r} (expected {expected})")
        if self.time_format not in ("local", "iso"):
            raise ValueError(f"unknown time format {self.time_format!r} (expected 'local' or 'iso')")
        ZoneInfo(self.tz)  # fail early, with zoneinfo's own message, on an unknown zone


def format_column(
    series: pd.Series, kind: str, options: WriteOptions, *, guard: bool | None = None
) -> pd.Series:
    """The cell text of ``series`` (any slice of an export column), same index, ``str`` dtype.

    Missing values become ``""``, so the result never holds NA. ``guard`` overrides
    ``options.formula_guard`` (the preview may want to show text without the apostrophe).
    """
    text = format_arrow(series, kind, options, guard=guard)
    return pd.Series(text, index=series.index, dtype="str", name=series.name)


def format_arrow(
    series: pd.Series, kind: str, options: WriteOptions, *, guard: bool | None = None
) -> pa.Array:
    """Like ``format_column`` but returns a pyarrow string array with no nulls.

    The CSV writer works on arrow arrays end to end, so it skips the pandas wrapper.
    """
    use_guard = options.formula_guard if guard is None else guard
    if kind in TEXT_KINDS:
        return _text(series, use_guard)
    formatter = _FORMATTERS.get(kind)
    if formatter is None:
        raise ValueError(f"unknown column kind {kind!r}")
    return formatter(series, options)


# --- text ---------------------------------------------------------------------------------


def text_array(series: pd.Series) -> pa.Array:
    """The column as an arrow string array (nulls kept), whatever pandas dtype it came in."""
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array(series.astype("str"), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pa.array(series.astype("str"), from_pandas=True)
    return arr.cast(pa.large_string())


def _text(series: pd.Series, guard: bool) -> pa.Array:
    arr = text_array(series).fill_null("")
    if guard:
        arr = guard_formulas(arr)
    return arr


def guard_formulas(arr: pa.Array) -> pa.Array:
    """Prefix ``'`` to the cells a spreadsheet would read as a formula.

    Only the first byte of each cell is looked at (a numpy gather over the character
    buffer), and only the few risky cells are rewritten.
    """
    offsets, data = string_buffers(arr)
    starts = offsets[:-1]
    nonempty = offsets[1:] > starts
    first = np.zeros(len(arr), dtype=np.uint8)
    first[nonempty] = data[starts[nonempty]]
    return rewrite_where(arr, _GUARD_LUT[first], lambda risky: join("'", risky))


def string_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, character bytes) of a large-string array with no nulls, zero copy.

    The offsets (``len(arr) + 1`` of them) index straight into the bytes.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    _, offsets_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    return offsets, data


def rows_with_bytes(arr: pa.Array, lut: np.ndarray) -> np.ndarray:
    """Boolean mask of the cells holding at least one byte flagged in ``lut``.

    A byte scan is safe for ASCII targets: UTF-8 never uses ASCII bytes inside a
    multi-byte character.
    """
    offsets, data = string_buffers(arr)
    mask = np.zeros(len(arr), dtype=bool)
    if len(arr) == 0:
        return mask
    lo = offsets[0]
    hits = np.flatnonzero(lut[data[lo : offsets[-1]]]) + lo
    if len(hits):
        mask[np.searchsorted(offsets, hits, side="right") - 1] = True
    return mask


def rewrite_where(arr: pa.Array, mask: np.ndarray, rewrite: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``arr`` with the cells under ``mask`` replaced by ``rewrite`` of those cells."""
    if not mask.any():
        return arr
    selected = pa.array(mask)
    return pc.replace_with_mask(arr, selected, rewrite(arr.filter(selected)))


def byte_lut(chars: str) -> np.ndarray:
    """A 256-entry lookup table flagging the given ASCII characters."""
    lut = np.zeros(256, dtype=bool)
    lut[[ord(c) for c in chars]] = True
    return lut


_GUARD_LUT = byte_lut("".join(GUARD_CHARS))


# --- numbers ------------------------------------------------------------------------------


def _int_values(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(int64 values with 0 where missing, missing mask) of an integer-like column."""
    missing = np.asarray(series.isna(), dtype=bool)
    values = series.to_numpy(dtype=np.int64, na_value=0)
    return values, missing


def _fixed_point(units: np.ndarray, missing: np.ndarray, decimals: int) -> pa.Array:
    """Integers counted in 10**-decimals units written as exact decimals (``-0.500``).

    Pure digit work (print, left-pad, insert the point) keeps every digit exact, which
    float formatting would not promise for large durations.
    """
    negative = units < 0
    digits = pa.array(np.abs(units)).cast(pa.large_string())
    digits = pc.utf8_lpad(digits, decimals + 1, "0")
    text = pc.binary_replace_slice(digits, -decimals, -decimals, ".")
    if negative.any():
        text = rewrite_where(text, negative, lambda cells: join("-", cells))
    return _blank_missing(text, missing)


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Concatenate arrays and literal strings element-wise, as large strings."""
    args = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, pa.scalar(sep, pa.large_string()))


def _blank_missing(text: pa.Array, missing: np.ndarray) -> pa.Array:
    if missing.any():
        text = pc.if_else(pa.array(missing), _lit(""), text)
    return text


def _duration(series: pd.Series, options: WriteOptions) -> pa.Array:
    values, missing = _int_values(series)
    return _fixed_point(values, missing, 3)


def _integer(series: pd.Series, options: WriteOptions) -> pa.Array:
    values, missing = _int_values(series)
    return _blank_missing(pa.array(values).cast(pa.large_string()), missing)


def _percent(series: pd.Series, options: WriteOptions) -> pa.Array:
    values = series.astype("Float64")
    missing = np.asarray(values.isna(), dtype=bool)
    floats = values.to_numpy(dtype=np.float64, na_value=0.0)
    # Half away from zero; the values arrive rounded, so this only removes float noise.
    cents = np.sign(floats) * np.floor(np.abs(floats) * 100 + 0.5)
    return _fixed_point(cents.astype(np.int64), missing, 2)


def _bool(series: pd.Series, options: WriteOptions) -> pa.Array:
    values = series.astype("boolean")
    missing = np.asarray(values.isna(), dtype=bool)
    truth = values.to_numpy(dtype=bool, na_value=False)
    text = pc.if_else(pa.array(truth), _lit("true"), _lit("false"))
    return _blank_missing(text, missing)


# --- timestamps ---------------------------------------------------------------------------


def utc_millis(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(UTC epoch milliseconds with 0 where missing, missing mask).

    Naive timestamps are taken as UTC, which is how the exports store every instant.
    """
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        series = pd.to_datetime(series, utc=not _is_naive(series))
        if not isinstance(series.dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_localize("UTC")
    missing = np.asarray(series.isna(), dtype=bool)
    values = series.dt.tz_convert("UTC").array.as_unit("ms")
    millis = np.asarray(values.asi8, dtype=np.int64).copy()
    millis[missing] = 0
    return millis, missing


def _is_naive(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_dtype(series.dtype) and not isinstance(series.dtype, pd.DatetimeTZDtype)


def local_millis(series: pd.Series, tz: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local wall-clock epoch milliseconds in ``tz``, UTC milliseconds, missing mask)."""
    utc, missing = utc_millis(series)
    instants = pd.DatetimeIndex(utc.astype("datetime64[ms]")).tz_localize("UTC")
    local = instants.tz_convert(tz).tz_localize(None).as_unit("ms")
    return np.asarray(local.asi8, dtype=np.int64), utc, missing


def _timestamp(series: pd.Series, options: WriteOptions) -> pa.Array:
    local, utc, missing = local_millis(series, options.tz)
    if options.time_format == "iso":
        text = _iso(local, utc)
    else:
        # Arrow prints a seconds-unit timestamp as "YYYY-MM-DD HH:MM:SS" with no fraction
        # (printing the ms unit would add ".mmm": the %S trap in performance.md).
        seconds = np.floor_divide(local, 1000)
        text = pa.array(seconds, type=pa.timestamp("s")).cast(pa.large_string())
    return _blank_missing(text, missing)


def _iso(local: np.ndarray, utc: np.ndarray) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SS.mmm+HH:MM``: arrow prints the ms part, the offsets are few.

    ``+HH:MM`` cannot hold an offset's seconds: the offset is cut to whole minutes
    (towards zero) and the clock time is the UTC instant plus that offset, so that the
    text is the instant to the millisecond (the local clock showed up to 59 s more or less).
    """
    offset_ms = local - utc
    offsets = np.sign(offset_ms) * (np.abs(offset_ms) // 60_000)
    stamp = pa.array(utc + offsets * 60_000, type=pa.timestamp("ms")).cast(pa.large_string())
    stamp = pc.utf8_replace_slice(stamp, 10, 11, "T")
    unique, codes = np.unique(offsets, return_inverse=True)
    labels = pa.array([_offset_label(int(m)) for m in unique], type=pa.large_string())
    return join(stamp, labels.take(pa.array(codes.ravel())))


def _offset_label(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"


_FORMATTERS = {
    "timestamp": _timestamp,
    "duration": _duration,
    "count": _integer,
    "score": _integer,
    "percent": _percent,
    "bool": _bool,
}
