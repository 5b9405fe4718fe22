"""XLSX display formats: every cell shows what the CSV writes (exports.md, "Cell formats").

Number cells carry their column's format (durations ``0.000``, percentages ``0.00``,
counts and scores ``0``, timestamps ``yyyy-mm-dd hh:mm:ss``), booleans are boolean
cells, text is string cells in General. Checked per installed engine (the
``xlsx_engine`` fixture), on every sheet: the sheets a long table is split over and
the workbook of every export. When LibreOffice is installed, a workbook converted
back to CSV by it must show the same text as SparkDesk's own CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from libreoffice import SOFFICE, convert_as_shown

from sparkdesk import catalogue
from sparkdesk.catalogue import Column, ExportType, export_type
from sparkdesk.writers import WriteOptions, format_column, write_all, write_xlsx
from sparkdesk.writers import xlsx as xlsx_writer
from sparkdesk.writers.cells import TEXT_KINDS

try:
    from .test_writers_conformance import CONFORMANCE, parse
    from .test_writers_fixtures import peer_installed, register_peer, xlsx_engine
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_writers_conformance import CONFORMANCE, parse
    from test_writers_fixtures import peer_installed, register_peer, xlsx_engine

__all__ = ["xlsx_engine"]  # a fixture, used by name

FORMATS = {
    "timestamp": "yyyy-mm-dd hh:mm:ss",
    "duration": "0.000",
    "percent": "0.00",
    "count": "0",
    "score": "0",
}
EVERY_KIND = ExportType(
    "every-kind",
    {"en": "Every kind", "es": "Cada tipo"},
    tuple(Column(kind, {"en": kind.title(), "es": kind.title()}, kind) for kind in catalogue.KINDS),
)
MADRID = WriteOptions(tz="Europe/Madrid")


def every_kind_table() -> pd.DataFrame:
    """Three rows: the brief's figures, zeros and false, then every cell empty."""
    return pd.DataFrame(
        {
            "id": pd.Series(["007", "12345678901234567890", None], dtype="str"),
            "text": pd.Series(["=1+1", "Zoë", None], dtype="str"),
            "enum": pd.Series(["NEW", "INBOUND", None], dtype="str"),
            "timestamp": pd.Series(
                pd.to_datetime(["2025-05-14T12:36:21.999Z", "2025-10-26T01:30:00.000Z", None], utc=True)
            ).astype("datetime64[ms, UTC]"),
            "duration": pd.Series([2_801_880, 0, None], dtype="Int64"),
            "count": pd.Series([3, 0, None], dtype="Int64"),
            "score": pd.Series([4, 1, None], dtype="Int64"),
            "percent": pd.Series([12.5, 100.0, None], dtype="Float64"),
            "bool": pd.Series([True, False, None], dtype="boolean"),
        }
    )


def check_cell(cell: openpyxl.cell.Cell, kind: str, where: str) -> None:
    """A non-empty cell has the type and display format of its column kind."""
    assert cell.number_format == FORMATS.get(kind, "General"), where
    if kind in TEXT_KINDS:
        assert cell.data_type == "s" and isinstance(cell.value, str), where
    elif kind == "bool":
        assert cell.data_type == "b" and isinstance(cell.value, bool), where
    elif kind == "timestamp":
        assert cell.is_date and isinstance(cell.value, dt.datetime), where
    else:
        assert cell.data_type == "n" and isinstance(cell.value, int | float), where
        assert not isinstance(cell.value, bool), where
        if kind in ("count", "score"):
            assert float(cell.value).is_integer(), where


def check_sheet(ws: object, etype: ExportType) -> int:
    """Check every non-empty data cell of a sheet; returns how many were checked."""
    checked = 0
    for row in ws.iter_rows(min_row=2):
        for cell, column in zip(row, etype.columns, strict=False):
            if cell.value is not None:
                check_cell(cell, column.kind, f"{ws.title}!{cell.coordinate} ({column.kind})")
                checked += 1
    return checked


def test_every_kind_has_its_display_format() -> None:
    assert xlsx_writer.NUMBER_FORMATS == FORMATS
    assert set(catalogue.KINDS) == set(FORMATS) | TEXT_KINDS | {"bool"}


def test_every_kind_read_back(tmp_path: Path, xlsx_engine: str) -> None:
    path = tmp_path / "kinds.xlsx"
    write_xlsx([("Kinds", every_kind_table(), EVERY_KIND)], path, MADRID)
    ws = openpyxl.load_workbook(path).worksheets[0]
    rows = [dict(zip(catalogue.KINDS, row, strict=True)) for row in ws.iter_rows(min_row=2)]
    assert len(rows) == 2 or all(c.value is None for c in rows[2].values())
    for row in rows[:2]:
        for kind, cell in row.items():
            check_cell(cell, kind, f"{cell.coordinate} ({kind})")
    first, second = rows[0], rows[1]
    assert first["duration"].value == pytest.approx(2801.88)
    assert second["duration"].value == 0
    assert first["percent"].value == pytest.approx(12.5) and second["percent"].value == 100
    assert first["count"].value == 3 and second["count"].value == 0
    assert first["score"].value == 4
    assert first["bool"].value is True and second["bool"].value is False
    assert first["timestamp"].value == dt.datetime(2025, 5, 14, 14, 36, 21)
    assert first["id"].value == "007" and first["text"].value == "=1+1"


def test_split_sheets_keep_the_formats(tmp_path: Path, xlsx_engine: str) -> None:
    path = tmp_path / "split.xlsx"
    table = pd.concat([every_kind_table().iloc[:2]] * 3, ignore_index=True)
    write_xlsx([("Kinds", table, EVERY_KIND)], path, MADRID, max_rows_per_sheet=4)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Kinds", "Kinds (2)"]
    assert [check_sheet(ws, EVERY_KIND) for ws in wb.worksheets] == [4 * 9, 2 * 9]


def conformance_tables(paramset: str = "all_utc") -> tuple[dict[str, pd.DataFrame], str]:
    """The expected CSVs of a conformance run, read back into typed tables (its time zone too)."""
    params_file = CONFORMANCE / "params.json"
    params_list = json.loads(params_file.read_text()) if params_file.exists() else []
    params = next((p for p in params_list if p["name"] == paramset), None)
    folder = CONFORMANCE / "expected" / paramset
    if params is None or not folder.is_dir():
        pytest.skip("no conformance files next to the repository")
    tables = {}
    for type_id in catalogue.EXPORT_IDS:
        with open(folder / f"{type_id}.en.csv", newline="", encoding="utf-8") as f:
            _, *rows = list(csv.reader(f))
        etype = export_type(type_id)
        tables[type_id] = pd.DataFrame(
            {c.key: parse([r[i] for r in rows], c.kind, params["tz"]) for i, c in enumerate(etype.columns)},
            index=range(len(rows)),
        )
    return tables, params["tz"]


def test_workbook_of_every_export_keeps_the_formats(tmp_path: Path, xlsx_engine: str) -> None:
    tables, tz = conformance_tables()
    path = tmp_path / "all.xlsx"
    write_all(tables, path, WriteOptions(tz=tz))
    wb = openpyxl.load_workbook(path)
    assert len(wb.worksheets) == len(catalogue.EXPORT_IDS)
    kinds_seen: set[str] = set()
    for ws, type_id in zip(wb.worksheets, catalogue.EXPORT_IDS, strict=True):
        etype = export_type(type_id)
        assert check_sheet(ws, etype) > 0 or tables[type_id].empty, ws.title
        kinds_seen |= {c.kind for c in etype.columns}
    assert kinds_seen == set(catalogue.KINDS)  # the catalogue really uses every kind


# --- LibreOffice --------------------------------------------------------------------------

needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def libreoffice_sheets() -> list[tuple[str, pd.DataFrame, ExportType]]:
    """The every-kind sheet, then each export of a conformance run (when its files are here)."""
    sheets = [("Kinds", every_kind_table(), EVERY_KIND)]
    try:
        tables, tz = conformance_tables("madrid_week")
    except pytest.skip.Exception:
        return sheets
    assert tz == MADRID.tz
    return sheets + [(export_type(t).name("en"), table, export_type(t)) for t, table in tables.items()]


@pytest.fixture(scope="module")
def libreoffice_views(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, list[list[str]]]]:
    """Engine -> sheet name -> the rows Calc shows: one workbook per installed engine,
    all converted by one LibreOffice run (it takes seconds to start), with a profile of
    its own (never the user's)."""
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("libreoffice")
    books = {}
    with pytest.MonkeyPatch.context() as mp:
        if peer_installed():  # the XlsxWriter peer of the benchmarks, as the xlsx_engine fixture runs it
            register_peer(mp)
        for engine in xlsx_writer.available_engines():
            books[engine] = folder / f"book-{engine}.xlsx"
            write_xlsx(
                libreoffice_sheets(), books[engine], MADRID, engine_factory=xlsx_writer.engine_named(engine)
            )
    out = convert_as_shown(books.values(), folder)
    return {engine: _csv_sheets(out, book.stem) for engine, book in books.items()}


def _csv_sheets(folder: Path, stem: str) -> dict[str, list[list[str]]]:
    """``<stem>-<sheet>.csv`` by sheet name; before LibreOffice 7.2, ``<stem>.csv`` (first sheet) as ``""``."""
    files = {p.stem[len(stem) + 1 :]: p for p in folder.glob(f"{stem}-*.csv")}
    if (folder / f"{stem}.csv").exists():
        files[""] = folder / f"{stem}.csv"
    sheets = {}
    for name, path in files.items():
        with open(path, newline="", encoding="utf-8") as f:
            sheets[name] = without_empty_tail(list(csv.reader(f)))
    assert sheets, f"LibreOffice wrote no CSV for {stem}.xlsx"
    return sheets


def without_empty_tail(rows: list[list[str]]) -> list[list[str]]:
    """Calc ends a sheet at its last cell: an all-empty last row may or may not be there."""
    while rows and not any(rows[-1]):
        rows = rows[:-1]
    return rows


def csv_text(table: pd.DataFrame, etype: ExportType, options: WriteOptions) -> list[list[str]]:
    """The rows SparkDesk's CSV holds, without the formula guard (a string cell needs none)."""
    plain = WriteOptions(tz=options.tz, formula_guard=False)
    columns = [format_column(table[c.key], c.kind, plain).tolist() for c in etype.columns]
    return without_empty_tail([etype.headers("en"), *map(list, zip(*columns, strict=True))])


def as_libreoffice_shows(rows: list[list[str]], etype: ExportType) -> list[list[str]]:
    """Calc shows a boolean cell as TRUE/FALSE where the CSV says true/false."""
    bools = [i for i, c in enumerate(etype.columns) if c.kind == "bool"]
    shown = [list(r) for r in rows]
    for row in shown[1:]:
        for i in bools:
            row[i] = row[i].upper()
    return shown


@needs_soffice
def test_libreoffice_shows_what_the_csv_says(
    libreoffice_views: dict[str, dict[str, list[list[str]]]], xlsx_engine: str
) -> None:
    shown = dict(libreoffice_views[xlsx_engine])
    if list(shown) == [""]:  # before LibreOffice 7.2: only the first sheet
        shown = {"Kinds": shown[""]}
    kind_rows = shown["Kinds"]
    first, second = (dict(zip(catalogue.KINDS, row, strict=True)) for row in kind_rows[1:3])
    assert first["duration"] == "2801.880" and second["duration"] == "0.000"
    assert first["percent"] == "12.50" and second["percent"] == "100.00"
    assert first["count"] == "3" and second["count"] == "0"
    assert first["bool"] == "TRUE" and second["bool"] == "FALSE"
    assert first["timestamp"] == "2025-05-14 14:36:21"
    assert first["id"] == "007" and first["text"] == "=1+1"

    sheets = libreoffice_sheets()
    if len(shown) == 1 and len(sheets) > 1:
        pytest.skip("this LibreOffice converts only the first sheet (7.2+ converts each)")
    for name, table, etype in sheets:
        assert shown[name] == as_libreoffice_shows(csv_text(table, etype, MADRID), etype), name
