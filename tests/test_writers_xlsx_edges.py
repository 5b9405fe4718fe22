"""XLSX cells at the edges, every engine: date-times far from today, and any text.

- Timestamps are Excel serials computed by the writer (``xlsx.excel_serials``), checked
  here against serials computed by hand: before 1970 (where the default engine's own
  date conversion put 1950-06-15 10:00 on 1950-06-16 14:00), from 1900-03-01 and at the
  year 9999; ``excel_serials`` also around Excel's 1900-02-29, which never was.
- A local time before 1900-03-01 is a string cell holding the CSV's text (local or iso
  form), so nothing is lost: an Excel date cannot hold a time before 1900, and Excel and
  LibreOffice read the serials of 1900-01-01 to 1900-02-28 a day apart.
- Any text reads back whole: what XML cannot hold or would change (control characters,
  a carriage return, U+FFFE/U+FFFF) is an OOXML escape ``_xHHHH_``, and a text that
  looks like one has its ``_`` escaped, the same in every engine, as Excel writes them.
  LibreOffice, when installed, shows the texts and the date-times as the CSV does.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from libreoffice import SOFFICE, convert_as_shown

from sparkdesk.catalogue import export_type
from sparkdesk.tasks import Cancelled, CancelToken, Progress
from sparkdesk.writers import WriteOptions, format_column, write_xlsx
from sparkdesk.writers import xlsx as xlsx_writer

try:
    from .test_writers_fixtures import response_times_table, xlsx_engine
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_writers_fixtures import response_times_table, xlsx_engine

__all__ = ["xlsx_engine"]  # a fixture, used by name

RT = export_type("response-times")
QUEUED = RT.keys.index("queued_at")
COLUMN = "ABCDEFGHIJKLMNOP"[QUEUED]


def with_queued_at(*instants: str | None) -> pd.DataFrame:
    """The fixture's response-times rows, repeated, with ``queued_at`` set to ``instants``."""
    base = response_times_table()
    table = pd.concat([base] * len(instants), ignore_index=True).iloc[: len(instants)]
    stamps = pd.to_datetime(list(instants), utc=True, format="ISO8601")
    table["queued_at"] = pd.Series(stamps, index=table.index).astype("datetime64[ms, UTC]")
    return table


def written(tmp_path: Path, table: pd.DataFrame, options: WriteOptions) -> tuple[list, list[str]]:
    """(openpyxl cells of ``queued_at``, the raw ``<c>`` XML of the same cells)."""
    path = tmp_path / "out.xlsx"
    write_xlsx([("RT", table, RT)], path, options)
    ws = openpyxl.load_workbook(path).worksheets[0]
    cells = [ws.cell(row=r, column=QUEUED + 1) for r in range(2, len(table) + 2)]
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    raw = [
        (re.search(rf'<c r="{COLUMN}{r}"[^>]*?(?:/>|>.*?</c>)', xml) or [""])[0]
        for r in range(2, len(table) + 2)
    ]
    return cells, raw


def serial_of(raw: str) -> float:
    return float(re.search(r"<v>([^<]+)</v>", raw)[1])


def hand_serial(days: int, h: int = 0, m: int = 0, s: int = 0) -> float:
    """Excel serial: ``days`` is Excel's day number, worked out by hand in each case."""
    return days + (h * 3600 + m * 60 + s) / 86_400


# (instant, zone, Excel's day number counted by hand and the local time, local date-time)
SERIALS = [
    # 1950-06-15 is 7,140 days before 1970-01-01 (serial 25,569): 18,429
    ("1950-06-15T10:00:00.000Z", "UTC", hand_serial(18_429, 10), dt.datetime(1950, 6, 15, 10)),
    # the epoch seen from New York, and a millisecond before the epoch (truncated, not rounded)
    ("1970-01-01T03:00:00.000Z", "America/New_York", hand_serial(25_568, 22), dt.datetime(1969, 12, 31, 22)),
    (
        "1969-12-31T23:59:59.999Z",
        "UTC",
        hand_serial(25_568, 23, 59, 59),
        dt.datetime(1969, 12, 31, 23, 59, 59),
    ),
    # the first date-time cell: 1900-03-01 is serial 61 (Excel counts a 1900-02-29)
    ("1900-03-01T06:00:00.000Z", "UTC", hand_serial(61, 6), dt.datetime(1900, 3, 1, 6)),
    # Madrid's local mean time in 1900 was -00:14:44: 1900-03-01T00:14:44Z is local midnight
    ("1900-03-01T00:14:44.000Z", "Europe/Madrid", hand_serial(61), dt.datetime(1900, 3, 1)),
    # the last second Excel can show: 9999-12-31 is serial 2,958,465
    (
        "9999-12-30T23:59:59.999Z",
        "Etc/GMT-1",
        hand_serial(2_958_465, 0, 59, 59),
        dt.datetime(9999, 12, 31, 0, 59, 59),
    ),
]


@pytest.mark.parametrize(("instant", "zone", "serial", "local"), SERIALS)
def test_timestamps_are_exact_serials(tmp_path, xlsx_engine, instant, zone, serial, local):
    (cell,), (raw,) = written(tmp_path, with_queued_at(instant), WriteOptions(tz=zone))
    # within a tenth of a millisecond (openpyxl prints 16 digits: 43 microseconds off in 9999)
    assert serial_of(raw) == pytest.approx(serial, rel=0, abs=1e-4 / 86_400)
    assert cell.is_date and cell.value == local  # openpyxl reads the serial to the millisecond
    assert cell.number_format == "yyyy-mm-dd hh:mm:ss"


def test_excel_serials_around_its_1900_02_29():
    """Excel's serials (1 is 1900-01-01, 60 the 1900-02-29 that never was, 61 1900-03-01),
    as openpyxl reads them too; the writer uses them from 1900-03-01 on."""
    from openpyxl.utils.datetime import from_excel

    day = 86_400_000
    jan_1 = -25_567 * day  # 1900-01-01T00:00, 25,567 days before 1970
    local = pd.Series(
        [jan_1, jan_1 + 58 * day + day // 2, jan_1 + 59 * day, jan_1 + 59 * day + 1000]
    ).to_numpy()
    assert xlsx_writer.excel_serials(local).tolist() == [1.0, 59.5, 61.0, 61 + 1 / 86_400]
    assert [from_excel(s) for s in (1.0, 59.5, 61.0)] == [
        dt.datetime(1900, 1, 1),
        dt.datetime(1900, 2, 28, 12),
        dt.datetime(1900, 3, 1),
    ]


def test_serials_read_back_to_the_millisecond():
    """The serials of milliseconds spread over a few far days read back to those milliseconds."""
    from openpyxl.utils.datetime import from_excel

    day = 86_400_000
    starts = [(1900 - 1970) * 365 * day, -1 * day, 0, 2_958_464 * day - 25_569 * day]
    for start in starts:
        local = pd.Series(range(start, start + day, 997)).to_numpy()
        serials = xlsx_writer.excel_serials(local)
        for ms, serial in zip(local[::5000].tolist(), serials[::5000].tolist(), strict=True):
            expect = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)
            if expect >= dt.datetime(1900, 1, 1):
                assert from_excel(serial) == expect, (ms, serial)


@pytest.mark.parametrize("time_format", ["local", "iso"])
def test_a_time_before_march_1900_is_the_csv_text(tmp_path, xlsx_engine, time_format):
    instants = [
        "1900-02-28T23:40:27.999Z",  # 1900-02-28 23:59:59.999 local, the last one written as text
        "1900-02-28T23:40:28.000Z",  # 1900-03-01 00:00:00 local, the first date-time cell
        "0001-01-02T00:00:00.000Z",
        None,
        "2025-05-05T07:12:57.999Z",
        "1850-06-01T12:00:00.000Z",
    ]
    options = WriteOptions(tz="Europe/Amsterdam", time_format=time_format)
    table = with_queued_at(*instants)
    cells, _ = written(tmp_path, table, options)
    text = format_column(table["queued_at"], "timestamp", options).tolist()
    values = [c.value for c in cells]
    # Amsterdam's local mean time was +00:19:32 (the iso form's offset is cut to +00:19)
    assert (
        values[0]
        == text[0]
        == {
            "local": "1900-02-28 23:59:59",
            "iso": "1900-02-28T23:59:27.999+00:19",
        }[time_format]
    )
    assert values[1] == dt.datetime(1900, 3, 1) and cells[1].is_date
    assert values[2] == text[2] and values[2].startswith("0001-01-02")
    assert values[3] is None
    assert values[4] == dt.datetime(2025, 5, 5, 9, 12, 57)
    assert (
        values[5]
        == text[5]
        == {
            "local": "1850-06-01 12:19:32",
            "iso": "1850-06-01T12:19:00.000+00:19",
        }[time_format]
    )
    assert all(c.data_type == "s" for c in (cells[0], cells[2], cells[5]))


def test_a_sheet_with_a_time_before_1900_keeps_its_other_cells(tmp_path, xlsx_engine):
    """Such a sheet takes another road in the Rust engine (Python rows): same cells, header,
    widths, frozen header and filter as the same rows without that time."""
    early = with_queued_at("1899-06-01T00:00:00Z", "2025-05-05T07:12:57.999Z", None)
    plain = early.copy()
    plain.loc[0, "queued_at"] = pd.Timestamp("1999-06-01T00:00:00Z")
    books = {}
    for name, table in (("early", early), ("plain", plain)):
        path = tmp_path / f"{name}.xlsx"
        write_xlsx([("RT", table, RT)], path, WriteOptions(tz="UTC"))
        books[name] = openpyxl.load_workbook(path).worksheets[0]
    a, b = books["early"], books["plain"]
    rows_a = [[c.value for c in row] for row in a.iter_rows()]
    rows_b = [[c.value for c in row] for row in b.iter_rows()]
    assert rows_a[1][QUEUED] == "1899-06-01 00:00:00"
    assert rows_b[1][QUEUED] == dt.datetime(1999, 6, 1)
    rows_a[1][QUEUED] = rows_b[1][QUEUED]
    assert rows_a == rows_b
    formats_a = [[c.number_format for c in row] for row in a.iter_rows()]
    formats_b = [[c.number_format for c in row] for row in b.iter_rows()]
    assert formats_a == formats_b
    assert all(c.font.bold for c in a[1])
    assert (a.freeze_panes, a.auto_filter.ref) == (b.freeze_panes, b.auto_filter.ref) == ("A2", "A1:P4")
    widths = [(a.column_dimensions[k].width, b.column_dimensions[k].width) for k in COLUMN]
    assert all(x == y for x, y in widths)


def test_headers_are_unique_so_python_rows_keep_every_column():
    """Such a sheet goes to the Rust library as {header: value} rows: a header used twice in
    one export would lose a column there."""
    from sparkdesk.catalogue import EXPORTS, HEADER_LANGS

    for etype in EXPORTS:
        for lang in HEADER_LANGS:
            headers = etype.headers(lang)
            assert len(set(headers)) == len(headers), (etype.id, lang)


@pytest.mark.skipif(
    not xlsx_writer.engine_available("rustpy-xlsxwriter"), reason="rustpy-xlsxwriter is not installed"
)
def test_a_sheet_with_a_time_before_1900_can_be_cancelled(tmp_path, monkeypatch):
    from sparkdesk.writers import xlsx_fast

    monkeypatch.setattr(xlsx_writer, "CHUNK_ROWS", 1)
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    token = CancelToken()

    def cancel_at_second_row(fraction: float, text: str) -> None:
        if "row 1 " in text:
            token.cancel()

    path = tmp_path / "out.xlsx"
    path.write_bytes(b"old content")
    with pytest.raises(Cancelled):
        write_xlsx(
            [("RT", with_queued_at("1899-06-01T00:00:00Z", "2025-05-05T07:12:57Z"), RT)],
            path,
            WriteOptions(),
            progress=Progress(cancel_at_second_row, token),
            engine_factory=xlsx_fast.RustpyEngine,
        )
    assert path.read_bytes() == b"old content"


# --- text ---------------------------------------------------------------------------------

TEXTS = {  # text -> as an OOXML string holds it (what Excel and rust_xlsxwriter write)
    "a\rb": "a_x000D_b",  # XML would read a raw CR back as LF
    "ok\ufffe": "ok_xFFFE_",  # not a character XML 1.0 can hold at all
    "\uffff": "_xFFFF_",
    "".join(map(chr, range(32))): "".join(
        f"_x{c:04X}_" if chr(c) not in "\t\n" else chr(c) for c in range(32)
    ),
    "_x0041_": "_x005F_x0041_",  # looks like an escape: its _ is escaped
    "_x0041_x0042_": "_x005F_x0041_x005F_x0042_",  # two, sharing an _
    "_x005F_": "_x005F_x005F_",
    "_X0041_ _x00G1_ _x041_": "_X0041_ _x00G1_ _x041_",  # not escapes
    "tab\tand\nnewline": "tab\tand\nnewline",
    "=1+1": "=1+1",
    "Zoë €_": "Zoë €_",
}


def excel_reads(text: str) -> str:
    """An OOXML string as Excel reads it: ``_xHHHH_`` is U+HHHH, left to right."""
    return re.sub("_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m[1], 16)), text)


def with_user_names(names: list[str]) -> pd.DataFrame:
    base = response_times_table()
    table = pd.concat([base] * len(names), ignore_index=True).iloc[: len(names)]
    table["user_name"] = pd.Series(names, index=table.index, dtype="str")
    return table


def test_any_text_reads_back_whole(tmp_path, xlsx_engine):
    texts = dict(TEXTS)
    if xlsx_engine == "xlsxwriter":  # the benchmarks' peer: XlsxWriter misses overlapping escapes
        del texts["_x0041_x0042_"]
    path = tmp_path / "text.xlsx"
    write_xlsx([("RT", with_user_names(list(texts)), RT)], path, WriteOptions())
    ws = openpyxl.load_workbook(path).worksheets[0]  # raises on a workbook that is not well-formed
    column = RT.keys.index("user_name") + 1
    cells = [ws.cell(row=r, column=column) for r in range(2, len(texts) + 2)]
    assert [c.value for c in cells] == list(texts.values())  # openpyxl shows the escapes as written
    assert [excel_reads(c.value) for c in cells] == list(texts)
    assert all(c.data_type == "s" for c in cells)


def test_ooxml_escape_leaves_other_cells_alone():
    import pyarrow as pa

    cells = pa.array(["NEW_INBOUND", None, "a\rb", "\uf000 plain"], pa.large_string())
    assert xlsx_writer.ooxml_escape(cells).to_pylist() == ["NEW_INBOUND", None, "a_x000D_b", "\uf000 plain"]


# --- LibreOffice --------------------------------------------------------------------------


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_shows_the_csv_text(tmp_path):
    """One workbook per installed engine, converted back to CSV by LibreOffice: the far
    date-times and the escaped texts show as SparkDesk's CSV writes them."""
    instants = [
        "1950-06-15T10:00:00Z",
        "1969-12-31T23:59:59.999Z",
        "1900-03-01T06:00:00Z",
        "1900-02-28T12:00:00Z",
        "1899-12-31T23:59:59Z",
        "0001-01-02T00:00:00Z",
        "9999-12-30T23:59:59.5Z",
        None,
        "2025-05-05T07:12:57.999Z",
    ]
    # not the text of every control character: Calc's CSV shows its CR (after a form feed) as LF
    names = [t for t in TEXTS if "\x0c" not in t][: len(instants)]
    table = with_user_names(names)
    table["queued_at"] = with_queued_at(*instants)["queued_at"].to_numpy()
    options = WriteOptions(tz="UTC", formula_guard=False)
    books = []
    for engine in xlsx_writer.available_engines():
        books.append(tmp_path / f"book-{engine}.xlsx")
        write_xlsx([("RT", table, RT)], books[-1], options, engine_factory=xlsx_writer.engine_named(engine))
    out = convert_as_shown(books, tmp_path)
    want = {
        "queued_at": format_column(table["queued_at"], "timestamp", options).tolist(),
        "user_name": names,
    }
    for book in books:
        (shown,) = [p for p in out.iterdir() if p.name.startswith(book.stem)]
        with open(shown, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))[1:]
        for key, texts in want.items():
            assert [r[RT.keys.index(key)] for r in rows] == texts, (book.name, key)
