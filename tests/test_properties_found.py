"""Bugs the property tests (tests/test_properties_*.py) found, pinned as small explicit dumps.

Each test is the shrunk example written out by hand, marked ``xfail(strict=True)`` while the
bug is open: when a fix lands the test passes, pytest reports XPASS as a failure, and the
marker comes off. Bugs already known and being fixed when these tests were written (the
``grouping.positions`` crash on all-unknown ids, team rows without a reply, topic/tag
Active for unknown ids, timestamps past the years 1..9999) are not repeated here.
"""

from __future__ import annotations

import csv
import datetime as dt

import openpyxl
import pytest
from dumpkit import conv, export, inbound, make

from sparkdesk.writers import WriteOptions, write_export


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


@pytest.mark.xfail(
    strict=True,
    reason="XLSX (default engine rustpy-xlsxwriter): a local time before 1970-01-01 that is not "
    "midnight is written a day late with its time mirrored (1950-06-15 10:00 -> serial 18430.583, "
    "shown 1950-06-16 14:00; 1969-12-31 12:00 -> 1970-01-01 12:00); the CSV is right",
)
@pytest.mark.parametrize(
    ("instant", "tz", "day", "local"),
    [
        ("1950-06-15T10:00:00.000Z", "UTC", "1950-06-15", dt.datetime(1950, 6, 15, 10, 0)),
        # the epoch, seen from New York: 1969-12-31 22:00 local
        ("1970-01-01T03:00:00.000Z", "America/New_York", "1969-12-31", dt.datetime(1969, 12, 31, 22, 0)),
    ],
)
def test_xlsx_keeps_a_local_time_before_1970(tmp_path, instant, tz, day, local):
    text, value = created_at_cells(tmp_path, instant, tz, day)
    assert text == local.strftime("%Y-%m-%d %H:%M:%S")
    assert value == local


@pytest.mark.xfail(
    strict=True,
    reason="XLSX (default engine): a timestamp before 1899-12-30 has no Excel serial and its cell "
    "is left out (empty) while the CSV shows it; 1899-12-30/31 become bare times. The spec asks "
    "for date-time cells, which Excel cannot hold before 1900: the cell should at least show the "
    "CSV's text",
)
def test_xlsx_shows_a_timestamp_before_1900(tmp_path):
    text, value = created_at_cells(tmp_path, "1850-06-01T08:30:00.000Z", "UTC", "1850-06-01")
    assert text == "1850-06-01 08:30:00"
    assert value == dt.datetime(1850, 6, 1, 8, 30) or value == text
