"""Small Arrow helpers that checking (``validate``) and combining (``combine``) share."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def np_mask(a: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A boolean Arrow array as numpy, null counting as False."""
    filled = pc.fill_null(a, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks() if filled.num_chunks != 1 else filled.chunk(0)
    return filled.to_numpy(zero_copy_only=False)


def flat(a: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous array (``is_in`` wants its value set as an Array)."""
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
