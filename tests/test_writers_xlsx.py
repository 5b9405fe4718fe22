"""XLSX round trips: read back with openpyxl and check cell types, header, split, atomicity.

Every test that writes a workbook runs once per installed engine (the ``xlsx_engine``
fixture swaps the default engine), so each engine is proven on the same cases.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sparkdesk.catalogue import export_type
from sparkdesk.tasks import Cancelled, CancelToken, Progress
from sparkdesk.writers import WriteOptions, write_xlsx
from sparkdesk.writers import xlsx as xlsx_writer
from sparkdesk.writers.xlsx import unique_sheet_name

try:
    from .test_writers_fixtures import response_times_table, topic_table, user_table, xlsx_engine
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_writers_fixtures import response_times_table, topic_table, user_table, xlsx_engine

__all__ = ["xlsx_engine"]  # a fixture, used by name

RT = export_type("response-times")
# XLSX has one number type, a double. rust_xlsxwriter writes each one with a decimal point
# (<v>10.0</v>), which openpyxl reads back as the float 10.0 (Excel and pandas show 10).
INTEGERS_AS_DOUBLES = {"rustpy-xlsxwriter"}
USER = export_type("user")
MADRID = WriteOptions(tz="Europe/Madrid")


def write_one(
    tmp_path: Path, table: pd.DataFrame, type_id: str, options: WriteOptions = MADRID, **kw
) -> Path:
    path = tmp_path / "out.xlsx"
    write_xlsx([("Sheet", table, type_id)], path, options, **kw)
    return path


def cells(path: Path, sheet: str | None = None) -> list[list[openpyxl.cell.Cell]]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [list(row) for row in ws.iter_rows()]


def col(rows: list[list[openpyxl.cell.Cell]], key: str, etype=RT) -> list[openpyxl.cell.Cell]:
    index = etype.keys.index(key)
    return [row[index] for row in rows[1:]]


def test_timestamps_are_local_datetimes(tmp_path: Path, xlsx_engine: str) -> None:
    rows = cells(write_one(tmp_path, response_times_table(), "response-times"))
    queued = col(rows, "queued_at")
    # 07:12:57.999 UTC is 09:12:57 in Madrid (CEST), truncated to the second like the CSV;
    # 01:30 UTC on the autumn fold day is 02:30 CET.
    assert [c.value for c in queued] == [
        dt.datetime(2025, 5, 5, 9, 12, 57),
        dt.datetime(2025, 10, 26, 2, 30),
        None,
    ]
    assert queued[0].data_type == "d" and queued[0].is_date
    assert queued[0].number_format == "yyyy-mm-dd hh:mm:ss"


def test_timestamps_in_utc(tmp_path: Path, xlsx_engine: str) -> None:
    rows = cells(write_one(tmp_path, response_times_table(), "response-times", WriteOptions(tz="UTC")))
    assert col(rows, "replied_at")[0].value == dt.datetime(2025, 5, 5, 7, 19, 19)


def test_numbers_are_numbers(tmp_path: Path, xlsx_engine: str) -> None:
    rows = cells(write_one(tmp_path, user_table(), "user"))
    available = col(rows, "available_time", USER)
    assert available[0].data_type == "n" and available[0].value == pytest.approx(330040.955)
    assert available[0].number_format == "0.000"
    assert col(rows, "avg_handle_time", USER)[1].value is None
    replies = col(rows, "replies", USER)
    assert [c.value for c in replies] == [10, 0, 0]
    assert all(c.data_type == "n" and float(c.value).is_integer() for c in replies)
    if xlsx_engine not in INTEGERS_AS_DOUBLES:
        assert all(isinstance(c.value, int) for c in replies)
    util = col(rows, "utilization", USER)
    assert util[0].value == pytest.approx(1.14) and util[0].number_format == "0.00"
    assert util[2].value is None


def test_counts_read_back_as_integers_by_pandas(tmp_path: Path, xlsx_engine: str) -> None:
    frame = pd.read_excel(write_one(tmp_path, user_table(), "user"), dtype_backend="numpy_nullable")
    replies = frame[USER.headers("en")[USER.keys.index("replies")]]
    assert str(replies.dtype) == "Int64" and replies.tolist() == [10, 0, 0]


def test_durations_are_seconds(tmp_path: Path, xlsx_engine: str) -> None:
    rows = cells(write_one(tmp_path, response_times_table(), "response-times"))
    times = col(rows, "response_time")
    assert [c.value for c in times] == [12, 0.001, None]
    assert times[1].data_type == "n"


def test_ids_and_text_are_strings_never_formulas(tmp_path: Path, xlsx_engine: str) -> None:
    table = user_table()
    table.loc[1, "user_id"] = "12345678901234567890"
    table.loc[2, "user_reference"] = "=1+1"
    table.loc[0, "user_email"] = "@home"
    table.loc[2, "user_name"] = "-Zoë 😊 Ødegaard"
    rows = cells(write_one(tmp_path, table, "user"))
    ids = col(rows, "user_id", USER)
    assert [c.value for c in ids] == ["p-laura", "12345678901234567890", "007"]
    assert all(c.data_type == "s" for c in ids)
    name = col(rows, "user_name", USER)[1]
    assert name.value == "=cmd|' /C calc'!A0" and name.data_type == "s"
    assert col(rows, "user_name", USER)[2].value == "-Zoë 😊 Ødegaard"
    ref = col(rows, "user_reference", USER)
    assert ref[1].value == "+34 600" and ref[1].data_type == "s"
    assert ref[2].value == "=1+1" and ref[2].data_type == "s"
    assert col(rows, "user_email", USER)[0].value == "@home"  # no guard apostrophe in XLSX


def test_formulas_absent_from_the_file(tmp_path: Path, xlsx_engine: str) -> None:
    import zipfile

    table = user_table()
    table.loc[2, "user_reference"] = "=1+1"
    path = write_one(tmp_path, table, "user")
    with zipfile.ZipFile(path) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert all(b"<f>" not in s and b"<f " not in s for s in sheets)


def test_booleans_and_empty_cells(tmp_path: Path, xlsx_engine: str) -> None:
    rows = cells(write_one(tmp_path, topic_table(), "topic"))
    active = col(rows, "active", export_type("topic"))
    assert active[0].value is True and active[0].data_type == "b"
    assert active[1].value is None
    assert col(rows, "topic_name", export_type("topic"))[1].value is None


def test_control_characters_escaped(tmp_path: Path, xlsx_engine: str) -> None:
    """Kept, as OOXML escapes (openpyxl shows them as written; Excel reads the character)."""
    table = response_times_table()
    table.loc[0, "user_name"] = "bell\x07 and\ttab\nnewline"
    rows = cells(write_one(tmp_path, table, "response-times"))
    assert col(rows, "user_name")[0].value == "bell_x0007_ and\ttab\nnewline"


def test_header_bold_frozen_filtered(tmp_path: Path, xlsx_engine: str) -> None:
    path = write_one(tmp_path, response_times_table(), "response-times", WriteOptions(lang="es"))
    ws = openpyxl.load_workbook(path).worksheets[0]
    header = [c.value for c in ws[1]]
    assert header == RT.headers("es")
    assert all(c.font.bold for c in ws[1])
    assert not ws["A2"].font.bold
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:P4"


def test_column_widths_sensible(tmp_path: Path, xlsx_engine: str) -> None:
    ws = openpyxl.load_workbook(write_one(tmp_path, response_times_table(), "response-times")).worksheets[0]
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(1, 17)]
    assert all(8 <= w <= 60 for w in widths)
    url = RT.keys.index("conversation_url")
    assert widths[url] > widths[RT.keys.index("medium")]  # a long URL widens its column


def test_split_over_sheets_with_header_repeated(tmp_path: Path, xlsx_engine: str) -> None:
    table = pd.concat([response_times_table()] * 3, ignore_index=True)  # 9 rows
    path = tmp_path / "out.xlsx"
    write_xlsx([("Response Times", table, RT)], path, MADRID, max_rows_per_sheet=4)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Response Times", "Response Times (2)", "Response Times (3)"]
    sizes = [ws.max_row for ws in wb.worksheets]
    assert sizes == [5, 5, 2]
    for ws in wb.worksheets:
        assert [c.value for c in ws[1]] == RT.headers("en")
        assert ws.freeze_panes == "A2"
    ids = [ws.cell(r, 1).value for ws in wb.worksheets for r in range(2, ws.max_row + 1)]
    assert ids == table["conversation_id"].tolist()
    assert wb.worksheets[2].auto_filter.ref == "A1:P2"


def test_split_with_a_long_name_stays_within_31_characters(tmp_path: Path, xlsx_engine: str) -> None:
    table = user_table()
    path = tmp_path / "out.xlsx"
    write_xlsx([("Usuarios (métricas de agentes)", table, USER)], path, MADRID, max_rows_per_sheet=1)
    names = openpyxl.load_workbook(path).sheetnames
    assert len(names) == 3 and all(len(n) <= 31 for n in names)
    assert names[0] == "Usuarios (métricas de agentes)"
    assert names[1].endswith(" (2)") and names[2].endswith(" (3)")


def test_empty_table_gives_a_header_only_sheet(tmp_path: Path, xlsx_engine: str) -> None:
    rows = cells(write_one(tmp_path, response_times_table().iloc[:0], "response-times"))
    assert len(rows) == 1 and [c.value for c in rows[0]] == RT.headers("en")


def test_sheet_names() -> None:
    taken: set[str] = set()
    assert unique_sheet_name("a/b:c?", taken) == "a_b_c_"
    assert unique_sheet_name("A/B:C?", taken) == "A_B_C_ (2)"  # Excel ignores case
    long = "x" * 40
    assert unique_sheet_name(long, taken) == "x" * 31
    assert unique_sheet_name(long, taken) == "x" * 27 + " (2)"


@pytest.fixture
def private_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Engines stream each sheet to a temporary file: keep ours apart to count them.

    ``tempfile.tempdir`` for the Python engines, ``TMPDIR`` for the Rust one.
    """
    folder = tmp_path / "system-temp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def test_cancel_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tempdir: Path, xlsx_engine: str
) -> None:
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"old content")
    table = pd.concat([response_times_table()] * 4, ignore_index=True)
    monkeypatch.setattr(xlsx_writer, "CHUNK_ROWS", 2)
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    token = CancelToken()

    def cancel_midway(fraction: float, text: str) -> None:
        if fraction > 0.3:
            token.cancel()

    with pytest.raises(Cancelled):
        write_xlsx([("RT", table, RT)], path, MADRID, progress=Progress(cancel_midway, token))
    assert path.read_bytes() == b"old content"
    assert sorted(os.listdir(tmp_path)) == ["out.xlsx", "system-temp"]
    # A cancel seen after the last chunk is raised while the Rust worker still compresses
    # into its scratch file, which it deletes when done (under load this took a moment).
    _wait_for_rust_workers()
    assert os.listdir(private_tempdir) == []  # the engine's sheet files are gone too


def test_sheet_files_removed_after_success(private_tempdir: Path, tmp_path: Path, xlsx_engine: str) -> None:
    write_one(tmp_path, response_times_table(), "response-times")
    assert os.listdir(private_tempdir) == []


def test_failure_while_saving_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xlsx_engine: str
) -> None:
    path = tmp_path / "new.xlsx"

    def broken_save(self, out, finishing=None) -> None:
        out.write(b"PK partial")
        raise OSError("disk full")

    monkeypatch.setattr(type(xlsx_writer.default_engine()), "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_xlsx([("RT", response_times_table(), RT)], path, MADRID)
    assert os.listdir(tmp_path) == []


def test_several_tables_one_workbook(tmp_path: Path, xlsx_engine: str) -> None:
    path = tmp_path / "out.xlsx"
    seen: list[float] = []
    write_xlsx(
        [("Users", user_table(), "user"), ("Response Times", response_times_table(), RT)],
        path,
        MADRID,
        progress=lambda f, t: seen.append(f),
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Users", "Response Times"]
    assert wb["Users"]["A1"].value == "User ID"
    assert seen[-1] == 1.0


def test_bad_max_rows_refused(tmp_path: Path, xlsx_engine: str) -> None:
    with pytest.raises(ValueError):
        write_xlsx([("RT", response_times_table(), RT)], tmp_path / "x.xlsx", MADRID, max_rows_per_sheet=0)


# -- choosing an engine, and the Rust engine's worker thread -------------------------------


def test_default_engine_is_the_fastest_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = "rustpy-xlsxwriter" if xlsx_writer.engine_available("rustpy-xlsxwriter") else "openpyxl"
    assert xlsx_writer.default_engine_name() == expected
    assert xlsx_writer.available_engines()[-1] == "openpyxl"
    monkeypatch.setitem(xlsx_writer.ENGINES, "rustpy-xlsxwriter", ("no_such_module_here", lambda: None))
    assert xlsx_writer.default_engine_name() == "openpyxl"
    assert isinstance(xlsx_writer.default_engine(), xlsx_writer.OpenpyxlEngine)


class _FakeRustpy:
    """Stands in for rustpy_xlsxwriter: pulls every sheet's batches, then 'compresses'."""

    def __init__(self, compress_seconds: float) -> None:
        self.compress_seconds = compress_seconds
        self.rows: dict[str, int] = {}
        lib = self

        class Format:
            def set_bold(self):
                return self

            def set_num_format(self, code):
                return self

        class FastExcel:
            def __init__(self, target, output_format=None):
                self.target, self.sheets = target, []

            def format(self, **kw):
                return self

            def freeze(self, **kw):
                return self

            def sheet(self, name, reader, **kw):
                self.sheets.append((name, reader))
                return self

            def save(self):
                for name, reader in self.sheets:
                    try:
                        lib.rows[name] = reader.read_all().num_rows
                    except Exception as exc:  # what the real library does with a failing stream
                        raise RuntimeError(f"Failed to read Arrow batch: {exc}") from None
                time.sleep(lib.compress_seconds)
                Path(self.target).write_bytes(b"PK fake workbook")

        self.Format, self.FastExcel = Format, FastExcel


def test_rust_engine_reports_progress_while_it_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tempdir: Path
) -> None:
    from sparkdesk.writers import xlsx_fast

    fake = _FakeRustpy(compress_seconds=0.5)
    monkeypatch.setitem(sys.modules, "rustpy_xlsxwriter", fake)
    monkeypatch.setattr(xlsx_fast.RustpyEngine, "TICK", 0.02)
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    seen: list[tuple[float, str]] = []
    path = tmp_path / "out.xlsx"
    table = pd.concat([response_times_table()] * 3, ignore_index=True)
    write_xlsx(
        [("RT", table, RT)],
        path,
        MADRID,
        progress=lambda f, t: seen.append((f, t)),
        max_rows_per_sheet=5,
        engine_factory=xlsx_fast.RustpyEngine,
    )
    assert fake.rows == {"RT": 5, "RT (2)": 4}
    assert path.read_bytes() == b"PK fake workbook"
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    finishing = [f for f, t in seen if t == "Finishing the XLSX file"]
    assert len(finishing) >= 5 and all(xlsx_fast.RustpyEngine.rows_share < f <= 1.0 for f in finishing)
    assert os.listdir(private_tempdir) == []  # the scratch file is gone


def _wait_for_rust_workers() -> None:
    for thread in threading.enumerate():
        if thread.name == "xlsx-rustpy":
            thread.join(5.0)


def test_rust_engine_cancel_while_finishing_is_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tempdir: Path
) -> None:
    from sparkdesk.writers import xlsx_fast

    monkeypatch.setitem(sys.modules, "rustpy_xlsxwriter", _FakeRustpy(compress_seconds=1.5))
    monkeypatch.setattr(xlsx_fast.RustpyEngine, "TICK", 0.02)
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"old content")
    token = CancelToken()

    def cancel_when_finishing(fraction: float, text: str) -> None:
        if text == "Finishing the XLSX file":
            token.cancel()

    start = time.monotonic()
    with pytest.raises(Cancelled):
        write_xlsx(
            [("RT", response_times_table(), RT)],
            path,
            MADRID,
            progress=Progress(cancel_when_finishing, token),
            engine_factory=xlsx_fast.RustpyEngine,
        )
    assert time.monotonic() - start < 1.0  # the worker is left to finish into its scratch file
    assert path.read_bytes() == b"old content"
    assert sorted(os.listdir(tmp_path)) == ["out.xlsx", "system-temp"]
    assert len(os.listdir(private_tempdir)) == 1
    _wait_for_rust_workers()
    assert os.listdir(private_tempdir) == []  # ... and deletes it when done


def test_rust_engine_raises_what_a_chunk_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_tempdir: Path
) -> None:
    """The library wraps a failing stream in RuntimeError; the caller gets the original."""
    from sparkdesk.writers import xlsx_fast

    monkeypatch.setitem(sys.modules, "rustpy_xlsxwriter", _FakeRustpy(compress_seconds=0.0))
    monkeypatch.setattr(xlsx_writer, "CHUNK_ROWS", 1)
    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    token = CancelToken()

    def cancel_at_second_row(fraction: float, text: str) -> None:
        if "row 1 " in text:
            token.cancel()

    with pytest.raises(Cancelled):
        write_xlsx(
            [("RT", response_times_table(), RT)],
            tmp_path / "out.xlsx",
            MADRID,
            progress=Progress(cancel_at_second_row, token),
            engine_factory=xlsx_fast.RustpyEngine,
        )
    assert os.listdir(tmp_path) == ["system-temp"] and os.listdir(private_tempdir) == []


@pytest.mark.skipif(
    not xlsx_writer.engine_available("rustpy-xlsxwriter"), reason="rustpy-xlsxwriter is not installed"
)
def test_rust_engine_reads_sliced_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks reach the library as zero-copy slices (offsets into the arrays): values stay put."""
    from sparkdesk.writers import xlsx_fast

    monkeypatch.setattr(xlsx_fast.RustpyEngine, "BATCH_ROWS", 2)
    table = pd.concat([response_times_table()] * 3, ignore_index=True)
    path = tmp_path / "out.xlsx"
    write_xlsx([("RT", table, RT)], path, MADRID, engine_factory=xlsx_fast.RustpyEngine)
    rows = cells(path)
    assert [c.value for c in col(rows, "conversation_id")] == table["conversation_id"].tolist()
    assert [c.value for c in col(rows, "response_time")] == [12, 0.001, None] * 3
    assert [c.value for c in col(rows, "queued_at")] == [
        dt.datetime(2025, 5, 5, 9, 12, 57),
        dt.datetime(2025, 10, 26, 2, 30),
        None,
    ] * 3
    assert [c.value for c in col(rows, "handover_reason")] == [None, "Customer asked for a human", None] * 3
