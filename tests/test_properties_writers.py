"""Property tests of the writers (Hypothesis): the twelve exports of a drawn dump, written.

- the header language changes the header row only: the same cells in English and Spanish;
- CSV and XLSX hold the same values: every XLSX cell, shown in its number format, is the
  CSV's text (exports.md "Cell formats": durations ``0.000``, percentages ``0.00``, counts
  ``0``, timestamps ``yyyy-mm-dd hh:mm:ss`` local time, booleans, text as strings), for
  every XLSX engine installed (``xlsx.available_engines()``: the default and the openpyxl
  fallback). The XLSX side is normalised only where the writers document a difference (no
  formula-guard apostrophe; timestamps the local clock to the second, whatever the CSV's
  time format, and text before 1900-03-01) and where OOXML escapes a character (``_x000D_`` is
  a carriage return, ``_x005F_`` an underscore, as Excel reads them): every text, control
  characters included, reads back whole.

- CSV and Parquet hold the same values, in the types of cli.md (text as strings, counts
  int64, durations and percentages float64, timestamps ``timestamp[ms, tz]`` in the
  export's zone, booleans): every Parquet cell, spelled the CSV's way
  (``parquetkit.as_csv_text``: no formula-guard apostrophe in a typed cell, a timestamp
  the same instant as the iso text or the same local clock to the second), is the CSV's
  text, and a missing value is null.

Profiles and the long run: see tests/test_properties_exports.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from hypothesis import given
from hypothesis import strategies as st
from parquetkit import as_csv_text, read_parquet
from strategies import compute_all, dump_specs, load_or_reject, ranges, write_spec

from sparkdesk.catalogue import EXPORT_IDS, export_type
from sparkdesk.writers import WriteOptions, write_all
from sparkdesk.writers.cells import GUARD_CHARS, TEXT_KINDS
from sparkdesk.writers.xlsx import available_engines, engine_named, unique_sheet_name, write_xlsx

OOXML_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def ooxml_unescape(text: str) -> str:
    """``_xHHHH_`` is the character U+HHHH in a shared or inline string (ECMA-376 22.9.2.19);
    openpyxl leaves the escapes as they are, Excel reads them."""
    return OOXML_ESCAPE.sub(lambda m: chr(int(m[1], 16)), text)


@st.composite
def written_cases(draw):
    """(tables, options): every export of a drawn dump, and drawn write options."""
    spec = draw(dump_specs())
    with tempfile.TemporaryDirectory() as tmp:
        dump = load_or_reject(write_spec(spec, Path(tmp) / "dump"))
    rng = draw(ranges(spec, kinds=("around", "around", "single", "default")))
    options = WriteOptions(
        lang=draw(st.sampled_from(("en", "es"))),
        tz=spec.tz,
        time_format=draw(st.sampled_from(("local", "iso"))),
        bom=draw(st.booleans()),
        formula_guard=draw(st.booleans()),
    )
    return compute_all(dump, spec.tz, rng), options


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@given(case=written_cases())
def test_english_and_spanish_files_differ_in_the_header_only(case):
    tables, options = case
    with tempfile.TemporaryDirectory() as tmp:
        en = write_all(tables, Path(tmp) / "en", replace(options, lang="en"), fmt="csv")
        es = write_all(tables, Path(tmp) / "es", replace(options, lang="es"), fmt="csv")
        assert [p.name for p in en] == [p.name for p in es] == [f"{t}.csv" for t in EXPORT_IDS]
        for type_id, p_en, p_es in zip(EXPORT_IDS, en, es, strict=True):
            rows_en, rows_es = read_csv(p_en), read_csv(p_es)
            assert rows_en[0] == export_type(type_id).headers("en"), type_id
            assert rows_es[0] == export_type(type_id).headers("es"), type_id
            assert len(rows_en) == len(tables[type_id]) + 1, type_id
            assert rows_en[1:] == rows_es[1:], type_id


def xlsx_text(value, number_format: str, kind: str, options: WriteOptions) -> str:
    """The text a spreadsheet shows for an XLSX cell, spelled the CSV's way (``true`` for TRUE)."""
    if value is None:
        return ""
    if kind in TEXT_KINDS:
        assert isinstance(value, str), f"a {kind} cell holds {value!r}, not text"
        value = ooxml_unescape(value)
        if options.formula_guard and value.startswith(GUARD_CHARS):
            return "'" + value
        return value
    if kind == "bool":
        assert isinstance(value, bool), f"a bool cell holds {value!r}"
        return "true" if value else "false"
    if kind == "timestamp":
        if isinstance(value, str):
            return value  # a date-time before 1900-03-01 is the CSV's text (csv_text checks when)
        assert isinstance(value, dt.datetime), f"a timestamp cell holds {value!r}"
        assert number_format == "yyyy-mm-dd hh:mm:ss", f"timestamp shown as {number_format!r}"
        v = value
        return f"{v.year:04d}-{v.month:02d}-{v.day:02d} {v.hour:02d}:{v.minute:02d}:{v.second:02d}"
    assert isinstance(value, int | float) and not isinstance(value, bool), f"a {kind} cell holds {value!r}"
    decimals = {"0.000": 3, "0.00": 2, "0": 0}.get(number_format)
    if decimals is None and number_format == "General" and float(value).is_integer():
        decimals = 0
    assert decimals is not None, f"a {kind} cell {value!r} shown as {number_format!r}"
    return f"{value:.{decimals}f}"


def csv_text(text: str, kind: str, options: WriteOptions, xlsx_value: object = None) -> str:
    """The CSV cell, normalised where XLSX is documented to differ."""
    if kind == "timestamp" and text:
        local = local_clock(text, options)
        if local < "1900-03-01":
            assert isinstance(xlsx_value, str), f"{text} (local {local}) is a date-time cell"
            return text  # a string cell holding the CSV's text
        return local
    return text


def local_clock(text: str, options: WriteOptions) -> str:
    """The local wall-clock time, to the second, of a CSV timestamp. The iso form's clock
    is UTC plus the offset cut to minutes (local mean time has seconds): read the instant."""
    if options.time_format == "local":
        return text
    local = dt.datetime.fromisoformat(text).astimezone(ZoneInfo(options.tz))
    return local.isoformat(sep=" ", timespec="seconds")[:19]


@given(case=written_cases(), engine=st.sampled_from(available_engines()))
def test_csv_and_xlsx_hold_the_same_values(case, engine):
    tables, options = case
    with tempfile.TemporaryDirectory() as tmp:
        csv_paths = write_all(tables, Path(tmp) / "csv", options, fmt="csv")
        book = Path(tmp) / "all.xlsx"
        taken: set[str] = set()  # as write_all names the sheets of a workbook
        sheets = [
            (unique_sheet_name(export_type(t).name(options.lang), taken), tables[t], t) for t in EXPORT_IDS
        ]
        write_xlsx(sheets, book, options, engine_factory=engine_named(engine))
        wb = openpyxl.load_workbook(book, read_only=True)
        try:
            sheets = wb.worksheets
            assert len(sheets) == len(EXPORT_IDS)
            for type_id, path, sheet in zip(EXPORT_IDS, csv_paths, sheets, strict=True):
                export = export_type(type_id)
                from_csv = read_csv(path)
                from_xlsx = [[(c.value, c.number_format) for c in row] for row in sheet.iter_rows()]
                assert [v for v, _ in from_xlsx[0]] == from_csv[0] == export.headers(options.lang)
                assert len(from_xlsx) == len(from_csv), type_id
                for i, (xrow, crow) in enumerate(zip(from_xlsx[1:], from_csv[1:], strict=True), 1):
                    xrow = xrow + [(None, "General")] * (len(crow) - len(xrow))  # trailing empty cells
                    for col, (value, fmt), text in zip(export.columns, xrow, crow, strict=True):
                        want = csv_text(text, col.kind, options, value)
                        got = xlsx_text(value, fmt, col.kind, options)
                        assert got == want, f"{type_id} row {i} {col.key}: XLSX {got!r}, CSV {text!r}"
        finally:
            wb.close()


@given(case=written_cases())
def test_csv_and_parquet_hold_the_same_values(case):
    tables, options = case
    with tempfile.TemporaryDirectory() as tmp:
        csv_paths = write_all(tables, Path(tmp) / "csv", options, fmt="csv")
        pq_paths = write_all(tables, Path(tmp) / "parquet", options, fmt="parquet")
        for type_id, c_path, p_path in zip(EXPORT_IDS, csv_paths, pq_paths, strict=True):
            export = export_type(type_id)
            header, *csv_rows = read_csv(c_path)
            names, pq_rows = read_parquet(p_path, export, options)
            assert names == header == export.headers(options.lang)
            assert len(pq_rows) == len(csv_rows), type_id
            for i, (prow, crow) in enumerate(zip(pq_rows, csv_rows, strict=True), 1):
                for col, value, text in zip(export.columns, prow, crow, strict=True):
                    got = as_csv_text(value, col.kind, options, text)
                    assert got == text, f"{type_id} row {i} {col.key}: Parquet {value!r}, CSV {text!r}"
