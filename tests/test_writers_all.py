"""write_export and write_all: format choice, one file per export, or one sheet per export."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from sparkdesk.catalogue import export_type
from sparkdesk.writers import WriteOptions, format_for, write_all, write_export

try:
    from .test_writers_fixtures import response_times_table, topic_table, user_table, xlsx_engine
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_writers_fixtures import response_times_table, topic_table, user_table, xlsx_engine

__all__ = ["xlsx_engine"]  # a fixture, used by name: the XLSX tests run once per installed engine

OPTIONS = WriteOptions(tz="Europe/Madrid")


def tables() -> dict:
    # Deliberately not in catalogue order: the output follows the catalogue.
    return {"user": user_table(), "response-times": response_times_table(), "topic": topic_table()}


def read_csv(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def test_format_for() -> None:
    assert format_for("out.xlsx") == "xlsx"
    assert format_for("OUT.XLSX") == "xlsx"
    assert format_for("out.csv") == "csv"
    assert format_for("out.txt") == "csv"
    assert format_for("-") == "csv"
    assert format_for("out.csv", "xlsx") == "xlsx"
    with pytest.raises(ValueError):
        format_for("out.csv", "ods")
    # the window's save dialog: a name without .csv or .xlsx takes the chosen file type
    assert format_for("out.txt", default="xlsx") == "xlsx" and format_for("out", default="xlsx") == "xlsx"
    assert format_for("out.CSV", default="xlsx") == "csv" and format_for("out.xlsx", default="csv") == "xlsx"
    with pytest.raises(ValueError):
        format_for("out", default="ods")


def test_write_export_by_extension(tmp_path: Path, xlsx_engine: str) -> None:
    write_export(user_table(), "user", tmp_path / "u.csv", OPTIONS)
    assert read_csv(tmp_path / "u.csv")[0] == export_type("user").headers("en")
    write_export(user_table(), "user", tmp_path / "u.xlsx", WriteOptions(lang="es"))
    assert openpyxl.load_workbook(tmp_path / "u.xlsx").sheetnames == ["Usuarios (métricas de agentes)"]


def test_write_export_fmt_overrides_extension(tmp_path: Path, xlsx_engine: str) -> None:
    write_export(user_table(), export_type("user"), tmp_path / "u.dat", OPTIONS, fmt="xlsx")
    with open(tmp_path / "u.dat", "rb") as f:  # openpyxl judges a path by its extension
        assert openpyxl.load_workbook(f).worksheets[0]["A2"].value == "p-laura"


def test_write_all_to_a_folder_of_csv(tmp_path: Path) -> None:
    out = tmp_path / "new" / "exports"
    seen: list[float] = []
    written = write_all(tables(), out, OPTIONS, progress=lambda f, t: seen.append(f))
    assert [p.name for p in written] == ["topic.csv", "user.csv", "response-times.csv"]
    assert sorted(p.name for p in out.iterdir()) == ["response-times.csv", "topic.csv", "user.csv"]
    rows = read_csv(out / "user.csv")
    assert rows[0] == export_type("user").headers("en") and len(rows) == 4
    assert seen == sorted(seen) and seen[-1] == 1.0


def test_write_all_to_a_folder_of_xlsx(tmp_path: Path, xlsx_engine: str) -> None:
    written = write_all(tables(), tmp_path, OPTIONS, fmt="xlsx")
    assert {p.name for p in written} == {"topic.xlsx", "user.xlsx", "response-times.xlsx"}
    wb = openpyxl.load_workbook(tmp_path / "topic.xlsx")
    assert wb.sheetnames == ["Topics"]


@pytest.mark.parametrize(
    ("lang", "names"),
    [
        ("en", ["Topics", "Users (agent metrics)", "Response Times"]),
        ("es", ["Temas", "Usuarios (métricas de agentes)", "Tiempos de respuesta"]),
    ],
)
def test_write_all_to_one_workbook(tmp_path: Path, lang: str, names: list[str], xlsx_engine: str) -> None:
    path = tmp_path / "all.xlsx"
    assert write_all(tables(), path, WriteOptions(lang=lang, tz="UTC")) == [path]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == names
    assert all(len(n) <= 31 for n in wb.sheetnames)
    users = wb[names[1]]
    assert [c.value for c in users[1]] == export_type("user").headers(lang)
    assert users["A4"].value == "007" and users["A4"].data_type == "s"
    assert list(tmp_path.iterdir()) == [path]


def test_write_all_one_export_workbook(tmp_path: Path, xlsx_engine: str) -> None:
    path = tmp_path / "all.xlsx"
    write_all({"response-times": response_times_table()}, path, WriteOptions(lang="es"))
    assert openpyxl.load_workbook(path).sheetnames == ["Tiempos de respuesta"]


def test_write_all_refuses_a_csv_workbook(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_all(tables(), tmp_path / "all.xlsx", OPTIONS, fmt="csv")


def test_write_all_refuses_unknown_types(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="nope"):
        write_all({"nope": user_table()}, tmp_path, OPTIONS)
