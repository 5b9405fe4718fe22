"""Turning computed columns into the catalogue's typed, sorted table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkdesk.catalogue import ExportType

_DTYPES = {
    "id": "str",
    "text": "str",
    "enum": "str",
    "timestamp": "datetime64[ms, UTC]",
    "duration": "Int64",
    "count": "Int64",
    "score": "Int64",
    "percent": "Float64",
    "bool": "boolean",
}


def conform(frame: pd.DataFrame, export: ExportType) -> pd.DataFrame:
    """Exactly the export's columns, in order, each of its kind's dtype, index 0..n-1."""
    cols = {}
    for c in export.columns:
        s = frame[c.key] if c.key in frame else pd.Series(pd.NA, index=frame.index)
        if c.kind == "count":
            s = s.fillna(0)
        cols[c.key] = s.reset_index(drop=True).astype(_DTYPES[c.kind])
    return pd.DataFrame(cols, columns=export.keys)


def sort_rows(frame: pd.DataFrame, by: list[str], export: ExportType) -> pd.DataFrame:
    """Sort by ``by``, then by the export's id columns in order; empty first, code-point order."""
    ids = [c.key for c in export.columns if c.kind == "id" and c.key not in by and c.key in frame]
    keys = by + ids
    return frame.sort_values(keys, kind="stable", na_position="first").reset_index(drop=True)


def round_div(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator rounded half away from zero to an integer; NA where den is 0/NA.

    Integer arithmetic, so an average of milliseconds is exact to the millisecond.
    """
    num = numerator.astype("Int64")
    den = denominator.astype("Int64")
    ok = den.notna() & num.notna() & (den != 0)
    n = num[ok].astype(np.int64).to_numpy()
    d = den[ok].astype(np.int64).to_numpy()
    q = (2 * np.abs(n) + d) // (2 * d)
    out = pd.Series(pd.NA, index=numerator.index, dtype="Int64")
    out[ok.to_numpy(bool)] = np.sign(n) * q
    return out


def mean_ms(values: pd.Series, keys: pd.Series) -> pd.Series:
    """Mean per key of the defined values (integer ms), rounded half away from zero."""
    frame = pd.DataFrame({"k": keys.to_numpy(), "v": values.astype("Int64").to_numpy()}).dropna()
    g = frame.groupby("k", sort=False)["v"]
    return round_div(g.sum(), g.count())
