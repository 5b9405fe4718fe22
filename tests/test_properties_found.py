"""Bugs the property tests (tests/test_properties_*.py) found, pinned as small explicit dumps.

Each test is the shrunk example written out by hand, marked ``xfail(strict=True)`` while the
bug is open: when a fix lands the test passes, pytest reports XPASS as a failure, and the
marker comes off. Bugs already known and being fixed when these tests were written (the
``grouping.positions`` crash on all-unknown ids, team rows without a reply, topic/tag
Active for unknown ids, timestamps past the years 1..9999) are not repeated here, nor is the
XLSX cell left empty for a date-time before 1900, which the properties found too but
tests/test_dump_far_timestamps.py pins (``test_xlsx_keeps_the_first_instants``).
"""

from __future__ import annotations

import csv
import datetime as dt
import re

import openpyxl
import pytest
from dumpkit import DAY, at, conv, export, inbound, make

from sparkdesk.catalogue import export_type
from sparkdesk.writers import WriteOptions, write_export
from sparkdesk.writers.xlsx import engine_named, write_xlsx


def created_at_cells(tmp_path, instant: str, tz: str, day: str):
    """(CSV text, XLSX cell value) of the message export's Created at for one message at ``instant``."""
    dump = make(
        tmp_path, {"conversations": [conv("c1", instant)], "messages": [inbound("m1", "c1", instant)]}
    )
    table = export(dump, "message", day, tz=tz)
    assert list(table["message_id"]) == ["m1"]
    options = WriteOptions(tz=tz)
    write_export(table, "message", tmp_path / "m.csv", options)
    write_export(table, "message", tmp_path / "m.xlsx", options)
    with open(tmp_path / "m.csv", encoding="utf-8-sig", newline="") as fh:
        csv_rows = list(csv.reader(fh))
    wb = openpyxl.load_workbook(tmp_path / "m.xlsx")
    value = wb.worksheets[0].cell(row=2, column=2).value
    wb.close()
    assert csv_rows[0][1] == "Created at"
    return csv_rows[1][1], value


@pytest.mark.parametrize(
    ("instant", "tz", "day", "local"),
    [
        ("1950-06-15T10:00:00.000Z", "UTC", "1950-06-15", dt.datetime(1950, 6, 15, 10, 0)),
        # the epoch, seen from New York: 1969-12-31 22:00 local
        ("1970-01-01T03:00:00.000Z", "America/New_York", "1969-12-31", dt.datetime(1969, 12, 31, 22, 0)),
    ],
)
def test_xlsx_keeps_a_local_time_before_1970(tmp_path, instant, tz, day, local):
    """Was: the default engine (rustpy-xlsxwriter) wrote such a time a day late with its time
    mirrored (1950-06-15 10:00 as serial 18430.583, shown 1950-06-16 14:00), its own date
    conversion dividing negative epoch seconds towards zero; the writer now computes the
    Excel serial itself (``xlsx.excel_serials``) for every engine."""
    text, value = created_at_cells(tmp_path, instant, tz, day)
    assert text == local.strftime("%Y-%m-%d %H:%M:%S")
    assert value == local


def content_cells(tmp_path, content: str, engine: str):
    """(CSV text, XLSX cell value) of the message export's Content, the XLSX by ``engine``."""
    dump = make(
        tmp_path,
        {
            "conversations": [conv("c1")],
            "messages": [inbound("m1", "c1", at("09:01:00.000"), content=content)],
        },
    )
    table = export(dump, "message", DAY)
    write_export(table, "message", tmp_path / "m.csv", WriteOptions())
    write_xlsx(
        [("Messages", table, "message")],
        tmp_path / "m.xlsx",
        WriteOptions(),
        engine_factory=engine_named(engine),
    )
    with open(tmp_path / "m.csv", encoding="utf-8-sig", newline="") as fh:
        csv_rows = list(csv.reader(fh))
    column = export_type("message").keys.index("content")
    wb = openpyxl.load_workbook(tmp_path / "m.xlsx")  # raises on a workbook that is not well-formed XML
    value = wb.worksheets[0].cell(row=2, column=column + 1).value
    wb.close()
    return csv_rows[1][column], value


def test_openpyxl_engine_writes_a_readable_workbook_for_any_text(tmp_path):
    """Was: the openpyxl engine (the fallback) wrote a text holding U+FFFE or U+FFFF, which
    XML 1.0 cannot hold, as is, and the workbook was not well-formed (openpyxl could not
    open it, Excel repairs it); now escaped as _xFFFE_ (xlsx.ooxml_escape), as the default
    engine does."""
    text, value = content_cells(tmp_path, "ok\ufffe", "openpyxl")
    assert text == "ok\ufffe"
    assert value in ("ok\ufffe", "ok_xFFFE_")


def test_openpyxl_engine_keeps_a_carriage_return(tmp_path):
    """Was: the openpyxl engine wrote a carriage return raw, which XML reads back as a line
    feed ('a\\rb' showed 'a\\nb'); now escaped as _x000D_, as the default engine does."""
    text, value = content_cells(tmp_path, "a\rb", "openpyxl")
    assert text == "a\rb"
    assert value in ("a\rb", "a_x000D_b")


def test_default_engine_keeps_a_carriage_return_and_a_noncharacter(tmp_path):
    """The same texts through the default engine: escaped, as OOXML says (the control case)."""
    text, value = content_cells(tmp_path, "a\rb\ufffe", "rustpy-xlsxwriter")
    assert text == "a\rb\ufffe"
    assert re.sub("_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), value) == text  # as Excel reads it
