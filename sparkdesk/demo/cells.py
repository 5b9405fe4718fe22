"""CSV cells formatted column by column (vectorised, fixed width where possible).

Fixed-width ids and timestamps are written digit by digit into byte matrices that become
Arrow string arrays without a copy; text comes from small vocabularies, quoted once per
vocabulary entry (RFC 4180, only where needed).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.demo.organisation import DAY, HOUR, MIN, SEC

LS = pa.large_string()
EMPTY = pa.scalar("", LS)


def _csv_cell(text: str) -> str:
    """RFC 4180 quoting, only where needed."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _from_matrix(mat: np.ndarray) -> pa.Array:
    """Rows of a uint8 matrix as strings (zero-copy into an Arrow array)."""
    n, w = mat.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    data = np.ascontiguousarray(mat)
    return pa.Array.from_buffers(LS, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _put_digits(mat: np.ndarray, col: int, width: int, values: np.ndarray) -> None:
    x = values.astype(np.int64, copy=True)
    for c in range(col + width - 1, col - 1, -1):
        mat[:, c] = 48 + x % 10
        x //= 10


def template_cells(template: str, values: np.ndarray) -> pa.Array:
    """Fill the '#' of ``template`` with the digits of ``values`` (zero-padded, least significant last)."""
    raw = template.encode()
    mat = np.empty((values.size, len(raw)), dtype=np.uint8)
    mat[:] = np.frombuffer(raw, dtype=np.uint8)
    slots = [i for i, b in enumerate(raw) if b == ord("#")]
    x = values.astype(np.int64, copy=True)
    for c in reversed(slots):
        mat[:, c] = 48 + x % 10
        x //= 10
    return _from_matrix(mat)


def id_cells(prefix: str, index: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``index + 1``; empty where index < 0."""
    arr = template_cells(prefix + "#" * width, np.maximum(index, 0) + 1)
    return blank_where(arr, index < 0)


def blank_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), EMPTY, arr)


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day from days since 1970-01-01 (proleptic Gregorian, vectorised)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def timestamp_cells(ms: np.ndarray) -> pa.Array:
    """ISO 8601 UTC with milliseconds (``2025-05-05T07:12:56.902Z``); empty where ms < 0."""
    raw = b"0000-00-00T00:00:00.000Z"
    mat = np.empty((ms.size, len(raw)), dtype=np.uint8)
    mat[:] = np.frombuffer(raw, dtype=np.uint8)
    t = np.maximum(ms, 0)
    days, rest = np.divmod(t, DAY)
    y, m, d = _civil(days)
    for col, width, values in (
        (0, 4, y),
        (5, 2, m),
        (8, 2, d),
        (11, 2, rest // HOUR),
        (14, 2, rest // MIN % 60),
        (17, 2, rest // SEC % 60),
        (20, 3, rest % SEC),
    ):
        _put_digits(mat, col, width, values)
    return blank_where(_from_matrix(mat), ms < 0)


def vocab_cells(values: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Text from a vocabulary by code (-1 is empty), quoted for CSV where needed."""
    table = pa.array([_csv_cell(v) for v in values] + [""], LS)
    idx = np.where(codes < 0, len(values), codes)
    return pc.take(table, pa.array(idx.astype(np.int64)))


def join_cells(parts: Sequence[pa.Array | str]) -> pa.Array:
    """Concatenate string columns and literals cell by cell."""
    items = [pa.scalar(p, LS) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*items, EMPTY)


def id_width(n: int, minimum: int = 6) -> int:
    return max(minimum, len(str(max(n, 1))))
