"""CSV round trips: read back with the csv module, as Excel would, and compare cell text."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd
import pytest

from sparkdesk.catalogue import export_type
from sparkdesk.tasks import Cancelled, CancelToken
from sparkdesk.writers import WriteOptions, write_csv
from sparkdesk.writers import csv as csv_writer

try:
    from .test_writers_fixtures import response_times_table, user_table
except ImportError:  # tests/ is not a package: pytest put it on sys.path
    from test_writers_fixtures import response_times_table, user_table

RT = export_type("response-times")


def read_back(path: Path, bom: bool = True) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") is bom
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.reader(f))


def write_and_read(
    tmp_path: Path, table: pd.DataFrame, type_id: str = "response-times", **opts
) -> list[list[str]]:
    path = tmp_path / "out.csv"
    options = WriteOptions(**{"tz": "UTC", **opts})
    write_csv(table, type_id, path, options)
    return read_back(path, bom=options.bom)


def column(rows: list[list[str]], key: str, type_id: str = "response-times") -> list[str]:
    index = export_type(type_id).keys.index(key)
    return [row[index] for row in rows[1:]]


def test_headers_in_both_languages(tmp_path: Path) -> None:
    table = response_times_table()
    assert write_and_read(tmp_path, table, lang="en")[0] == RT.headers("en")
    rows = write_and_read(tmp_path, table, lang="es")
    assert rows[0] == RT.headers("es")
    assert "Nombre para mostrar del canal del remitente" in rows[0]


def test_bom_present_by_default_and_absent_on_request(tmp_path: Path) -> None:
    table = response_times_table()
    assert len(write_and_read(tmp_path, table)) == len(table) + 1
    assert len(write_and_read(tmp_path, table, bom=False)) == len(table) + 1


def test_lines_end_in_crlf(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(response_times_table(), RT, path, WriteOptions(bom=False))
    raw = path.read_bytes()
    assert raw.count(b"\r\n") >= len(response_times_table()) + 1
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    "value",
    ["a, b", 'say "hi"', "line\nbreak", "cr\rhere", "crlf\r\nhere", "Señor Ñandú 日本 🙂", "  spaced  "],
)
def test_awkward_text_round_trips(tmp_path: Path, value: str) -> None:
    table = response_times_table()
    table.loc[0, "user_name"] = value
    assert column(write_and_read(tmp_path, table), "user_name")[0] == value


def test_only_fields_that_need_it_are_quoted(tmp_path: Path) -> None:
    table = response_times_table()
    table.loc[0, "user_name"] = 'a,"b"'
    table.loc[1, "user_name"] = "plain"
    path = tmp_path / "out.csv"
    write_csv(table, RT, path, WriteOptions(bom=False))
    lines = path.read_bytes().decode("utf-8").split("\r\n")
    assert ',"a,""b""",' in lines[1]
    assert ',"WhatsApp, ES",' in lines[2] and ",plain," in lines[2]
    assert '"' not in lines[0] and '"' not in lines[3]


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_guard_on_and_off(tmp_path: Path, trigger: str) -> None:
    table = response_times_table()
    value = f"{trigger}SUM(A1)"
    table.loc[0, "user_name"] = value
    table.loc[1, "conversation_id"] = value  # ids are text too
    table.loc[2, "medium"] = f"x{trigger}"  # not at the start: untouched
    guarded = write_and_read(tmp_path, table)
    assert column(guarded, "user_name")[0] == "'" + value
    assert column(guarded, "conversation_id")[1] == "'" + value
    assert column(guarded, "medium")[2] == f"x{trigger}"
    plain = write_and_read(tmp_path, table, formula_guard=False)
    assert column(plain, "user_name")[0] == value
    assert column(plain, "conversation_id")[1] == value


def test_guard_never_touches_numbers_or_timestamps(tmp_path: Path) -> None:
    table = response_times_table()
    table["response_time"] = pd.array([-500, -12000, 0], dtype="Int64")
    rows = write_and_read(tmp_path, table)
    assert column(rows, "response_time") == ["-0.500", "-12.000", "0.000"]


def test_empty_cells_are_empty(tmp_path: Path) -> None:
    table = response_times_table()
    path = tmp_path / "out.csv"
    write_csv(table, RT, path, WriteOptions(bom=False))
    rows = read_back(path, bom=False)
    assert column(rows, "handover_reason")[2] == ""
    assert column(rows, "response_time")[2] == ""
    assert column(rows, "queued_at")[2] == ""
    # unquoted: an empty cell is nothing between two commas, never ""
    assert '""' not in path.read_bytes().decode("utf-8")


def test_ids_kept_as_text(tmp_path: Path) -> None:
    table = response_times_table()
    table.loc[0, "contact_id"] = "007"
    table.loc[1, "contact_id"] = "12345678901234567890"
    rows = write_and_read(tmp_path, table)
    assert column(rows, "contact_id")[:2] == ["007", "12345678901234567890"]


def test_durations_and_timestamps(tmp_path: Path) -> None:
    rows = write_and_read(tmp_path, response_times_table(), tz="Europe/Madrid")
    assert column(rows, "response_time") == ["12.000", "0.001", ""]
    assert column(rows, "queued_at")[:2] == ["2025-05-05 09:12:57", "2025-10-26 02:30:00"]
    iso = write_and_read(tmp_path, response_times_table(), tz="Europe/Madrid", time_format="iso")
    assert column(iso, "queued_at")[:2] == ["2025-05-05T09:12:57.999+02:00", "2025-10-26T02:30:00.000+01:00"]


def test_user_export_numbers(tmp_path: Path) -> None:
    rows = write_and_read(tmp_path, user_table(), "user")
    assert column(rows, "utilization", "user") == ["1.14", "100.00", ""]
    assert column(rows, "replies", "user") == ["10", "0", "0"]
    assert column(rows, "available_time", "user") == ["330040.955", "0.000", "0.000"]
    assert column(rows, "avg_handle_time", "user") == ["616.607", "", ""]


def test_empty_table_writes_the_header_only(tmp_path: Path) -> None:
    rows = write_and_read(tmp_path, response_times_table().iloc[:0])
    assert rows == [RT.headers("en")]


def test_missing_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="user_name"):
        write_csv(response_times_table().drop(columns="user_name"), RT, tmp_path / "x.csv", WriteOptions())
    assert not (tmp_path / "x.csv").exists()


def test_chunks_join_seamlessly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = pd.concat([response_times_table()] * 5, ignore_index=True)
    monkeypatch.setattr(csv_writer, "CHUNK_ROWS", 2)
    rows = write_and_read(tmp_path, table)
    whole = write_and_read(tmp_path, table)
    assert len(rows) == 16 and rows == whole
    assert column(rows, "contact_id")[::3] == ["pk-009"] * 5


def test_rows_follow_position_not_index_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = pd.concat([response_times_table()] * 2, ignore_index=True).iloc[::-1]
    table.index = [10, 3, 7, 1, 0, 99]
    monkeypatch.setattr(csv_writer, "CHUNK_ROWS", 4)
    rows = write_and_read(tmp_path, table)
    assert column(rows, "conversation_id") == ["pc-3", "pc-10002", "pc-026"] * 2


def test_progress_is_reported(tmp_path: Path) -> None:
    seen: list[float] = []
    write_csv(
        response_times_table(), RT, tmp_path / "o.csv", WriteOptions(), progress=lambda f, t: seen.append(f)
    )
    assert seen and seen[-1] == 1.0


def test_stdout(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeStdout:
        buffer = io.BytesIO()

    monkeypatch.setattr(csv_writer.sys, "stdout", FakeStdout)
    write_csv(response_times_table(), RT, "-", WriteOptions(bom=False))
    text = FakeStdout.buffer.getvalue().decode()
    assert text.startswith("Conversation ID,Medium,")


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in os.listdir(folder) if p.endswith(".tmp")]


def test_cancel_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old content")
    table = pd.concat([response_times_table()] * 4, ignore_index=True)
    monkeypatch.setattr(csv_writer, "CHUNK_ROWS", 3)
    token = CancelToken()

    def cancel_after_first(fraction: float, text: str) -> None:
        if fraction > 0:
            token.cancel()

    from sparkdesk.tasks import Progress

    monkeypatch.setattr(Progress, "MIN_INTERVAL", 0.0)
    with pytest.raises(Cancelled):
        write_csv(table, RT, path, WriteOptions(), progress=Progress(cancel_after_first, token))
    assert path.read_text() == "old content"
    assert _no_temp_files(tmp_path)


def test_failure_mid_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "new.csv"
    table = pd.concat([response_times_table()] * 4, ignore_index=True)
    monkeypatch.setattr(csv_writer, "CHUNK_ROWS", 3)
    calls = []
    real = csv_writer.encode_rows

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(csv_writer, "encode_rows", failing)
    with pytest.raises(OSError, match="disk full"):
        write_csv(table, RT, path, WriteOptions())
    assert not path.exists()
    assert _no_temp_files(tmp_path)
