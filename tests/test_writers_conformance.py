"""Byte-for-byte agreement with the public conformance files (shared/conformance/expected).

Each expected CSV is parsed back into a typed table (the catalogue's storage types)
and written again: with the BOM and the formula guard off (as the expected files were
made), the bytes must be identical. This checks quoting, line endings, number and
timestamp text against an independent implementation, without the export logic.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from sparkdesk.catalogue import EXPORT_IDS, export_type
from sparkdesk.writers import WriteOptions, write_csv

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"
PARAMS = (
    json.loads((CONFORMANCE / "params.json").read_text()) if (CONFORMANCE / "params.json").exists() else []
)
CASES = [
    (p["name"], p["tz"], type_id, lang)
    for p in PARAMS
    for type_id in EXPORT_IDS
    for lang in p["langs"]
    if (CONFORMANCE / "expected" / p["name"] / f"{type_id}.{lang}.csv").exists()
]


def parse(text: list[str], kind: str, tz: str) -> pd.Series:
    """Cell text back to the stored type of its kind (the inverse of format_column)."""
    values = [t if t != "" else None for t in text]
    cells = pd.Series(values, dtype="str")
    if kind in ("id", "text", "enum"):
        return cells
    if kind == "timestamp":
        local = pd.to_datetime(cells, format="%Y-%m-%d %H:%M:%S")
        return local.dt.tz_localize(tz).dt.tz_convert("UTC").astype("datetime64[ms, UTC]")
    if kind == "duration":
        return pd.Series([None if c is None else _millis(c) for c in values], dtype="Int64")
    if kind in ("count", "score"):
        return pd.Series([None if c is None else int(c) for c in values], dtype="Int64")
    if kind == "percent":
        return cells.astype("Float64")
    assert kind == "bool"
    return cells.map({"true": True, "false": False}).astype("boolean")


def _millis(text: str) -> int:
    whole, _, frac = text.lstrip("-").partition(".")
    assert len(frac) == 3, text
    value = int(whole) * 1000 + int(frac)
    return -value if text.startswith("-") else value


@pytest.mark.skipif(not CASES, reason="no conformance files next to the repository")
@pytest.mark.parametrize(("paramset", "tz", "type_id", "lang"), CASES)
def test_rewrite_is_byte_identical(tmp_path: Path, paramset: str, tz: str, type_id: str, lang: str) -> None:
    expected = CONFORMANCE / "expected" / paramset / f"{type_id}.{lang}.csv"
    with open(expected, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    etype = export_type(type_id)
    assert header == etype.headers(lang)
    table = pd.DataFrame(
        {c.key: parse([r[i] for r in rows], c.kind, tz) for i, c in enumerate(etype.columns)},
        index=range(len(rows)),
    )
    out = tmp_path / "out.csv"
    write_csv(table, etype, out, WriteOptions(lang=lang, tz=tz, bom=False, formula_guard=False))
    assert out.read_bytes() == expected.read_bytes()
