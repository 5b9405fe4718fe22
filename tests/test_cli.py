"""The command line as scripts call it (cli.md): outputs, exit codes, one-sentence errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile

import openpyxl
import pytest

from sparkdesk.catalogue import EXPORT_IDS, export_type
from sparkdesk.cli import main
from sparkdesk.resources import bundled_demo_path

DEMO = str(bundled_demo_path())


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_on_standard_output_with_bom_and_english_headers(capsysbinary):
    code = main(["export", DEMO, "--type", "team", "--tz", "UTC"])
    out = capsysbinary.readouterr().out
    assert code == 0
    assert out.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(out.decode("utf-8-sig"))))
    assert rows[0] == export_type("team").headers("en")
    assert len(rows) > 1


def test_spanish_headers_and_no_bom(tmp_path, capsys):
    out = tmp_path / "t.csv"
    code, _, _ = run(
        capsys, "export", DEMO, "--type", "user", "--tz", "UTC", "--lang", "es", "--no-bom", "--out", str(out)
    )
    assert code == 0
    data = out.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert next(csv.reader(io.StringIO(data.decode("utf-8")))) == export_type("user").headers("es")


def test_xlsx_from_the_extension(tmp_path, capsys):
    out = tmp_path / "messages.xlsx"
    code, _, _ = run(capsys, "export", DEMO, "--type", "message", "--tz", "Europe/Madrid", "--out", str(out))
    assert code == 0
    sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    header = next(sheet.iter_rows(max_row=1, values_only=True))
    assert list(header) == export_type("message").headers("en")


def test_type_all_to_a_folder_and_to_a_workbook(tmp_path, capsys):
    folder = tmp_path / "all"
    assert run(capsys, "export", DEMO, "--type", "all", "--tz", "UTC", "--out", str(folder))[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.csv" for t in EXPORT_IDS)
    for type_id in EXPORT_IDS:  # each file is the export on its own
        alone = tmp_path / f"{type_id}.csv"
        assert run(capsys, "export", DEMO, "--type", type_id, "--tz", "UTC", "--out", str(alone))[0] == 0
        assert (folder / f"{type_id}.csv").read_bytes() == alone.read_bytes(), type_id
    book = tmp_path / "all.xlsx"
    assert run(capsys, "export", DEMO, "--type", "all", "--tz", "UTC", "--out", str(book))[0] == 0
    assert len(openpyxl.load_workbook(book, read_only=True).sheetnames) == len(EXPORT_IDS)


def test_no_content_empties_the_content_column(tmp_path, capsys):
    out = tmp_path / "m.csv"
    assert (
        run(capsys, "export", DEMO, "--type", "message", "--tz", "UTC", "--no-content", "--out", str(out))[0]
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows and all(r["Content"] == "" for r in rows)


def test_iso_time_format(tmp_path, capsys):
    out = tmp_path / "m.csv"
    run(
        capsys,
        "export",
        DEMO,
        "--type",
        "message",
        "--tz",
        "Asia/Kolkata",
        "--time-format",
        "iso",
        "--out",
        str(out),
    )
    first = next(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert first["Created at"].endswith("+05:30") and first["Created at"][10] == "T"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--type", "nope"], "unknown export type"),
        (["--type", "team", "--from", "2025-13-01"], "YYYY-MM-DD"),
        # date.fromisoformat reads these; cli.md's options take YYYY-MM-DD only
        (["--type", "team", "--from", "2025-W11-1"], "YYYY-MM-DD"),
        (["--type", "team", "--from", "2025-070"], "YYYY-MM-DD"),
        (["--type", "team", "--to", "20250310"], "YYYY-MM-DD"),
        (["--type", "team", "--from", "2025-3-10"], "YYYY-MM-DD"),
        (["--type", "team", "--from", "２０２５-03-10"], "YYYY-MM-DD"),
        (["--type", "team", "--from", "2025-02-29"], "YYYY-MM-DD"),
        (["--type", "team", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["--type", "team", "--channel", "no-such-channel"], "Unknown channel id: no-such-channel"),
        (["--type", "team", "--from", "2025-06-02", "--to", "2025-06-01"], "before --from"),
        (["--type", "all"], "needs --out"),
    ],
)
def test_wrong_command_lines_exit_2_with_one_sentence(capsys, argv, needle):
    try:
        code = main(["export", DEMO, *argv])
    except SystemExit as exc:  # argparse's own errors (bad date, bad zone) exit the same way
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


def test_a_refused_dump_exits_1_with_the_file_named(tmp_path, capsys):
    bogus = tmp_path / "notes.zip"
    bogus.write_text("not a zip", encoding="utf-8")
    code, _, err = run(capsys, "export", str(bogus), "--type", "team")
    assert code == 1
    assert "notes.zip" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_rejections_are_summarised_and_the_report_written(tmp_path, capsys):
    dump = tmp_path / "d"
    dump.mkdir()
    (dump / "conversations.csv").write_text(
        "conversation_id,channel_id,contact_id,created_at\n"
        "c1,ch,k1,2025-05-05T10:00:00Z\n"
        "c2,ch,k1,not a time\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.csv"
    code, _, err = run(
        capsys,
        "export",
        str(dump),
        "--type",
        "open-conversation",
        "--tz",
        "UTC",
        "--out",
        str(tmp_path / "o.csv"),
        "--report",
        str(report),
    )
    assert code == 0
    assert "conversations: 1 rejected" in err
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8-sig"))))
    rejected = [r for r in rows if r["kind"] == "rejected"]
    assert len(rejected) == 1 and rejected[0]["line"] == "3" and rejected[0]["column"] == "created_at"


def test_inspect_text_and_json(capsys):
    code, out, _ = run(capsys, "inspect", DEMO)
    assert code == 0 and "messages" in out and "Snapshot:" in out
    code, out, _ = run(capsys, "inspect", DEMO, "--json")
    data = json.loads(out)
    assert code == 0
    msgs = data["tables"]["messages"]
    assert msgs["read"] == msgs["accepted"] + msgs["rejected"] + msgs["duplicates"] > 0
    assert data["channels"] and data["snapshot"].startswith("2025")


def test_demo_writes_a_dump_that_exports(tmp_path, capsys):
    code, out, _ = run(capsys, "demo", str(tmp_path / "d"), "--conversations", "20", "--seed", "3", "--zip")
    assert code == 0
    archive = out.strip()
    assert zipfile.is_zipfile(archive)
    assert (
        run(
            capsys,
            "export",
            archive,
            "--type",
            "resolved-conversation",
            "--tz",
            "UTC",
            "--out",
            str(tmp_path / "r.csv"),
        )[0]
        == 0
    )


def test_python_dash_m_and_version():
    result = subprocess.run(
        [sys.executable, "-m", "sparkdesk", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout.startswith("sparkdesk ")


def test_an_existing_file_survives_a_failed_export(tmp_path, capsys):
    out = tmp_path / "keep.csv"
    out.write_text("old", encoding="utf-8")
    code, _, _ = run(capsys, "export", DEMO, "--type", "team", "--channel", "nope", "--out", str(out))
    assert code == 2
    assert out.read_text(encoding="utf-8") == "old"


def test_an_output_folder_that_does_not_exist_is_one_sentence(tmp_path, capsys):
    code, _, err = run(
        capsys, "export", DEMO, "--type", "all", "--out", str(tmp_path / "missing" / "book.xlsx")
    )
    assert code == 2
    assert "does not exist" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_inspect_reports_unpaired_unlocks(tmp_path, capsys):
    dump = tmp_path / "d"
    dump.mkdir()
    (dump / "conversations.csv").write_text(
        "conversation_id,channel_id,contact_id,created_at\nc1,ch,k1,2025-05-05T10:00:00Z\n", encoding="utf-8"
    )
    (dump / "conversation_events.csv").write_text(
        "conversation_id,at,type,user_id\nc1,2025-05-05T10:01:00Z,UNLOCKED,u1\n", encoding="utf-8"
    )
    code, out, _ = run(capsys, "inspect", str(dump), "--json")
    problems = json.loads(out)["problems"]
    assert code == 0
    assert {"table": "conversation_events", "kind": "warning", "count": 1} == {
        k: v for k, v in problems[-1].items() if k != "reason"
    }


def test_a_broken_install_is_one_sentence_not_a_traceback(capsys, monkeypatch):
    """A dependency that cannot be imported (a broken install) ends in one sentence, exit 1.

    The handler of unexpected errors used to import the dump package again to check for a
    refusal, which failed the same way and let the traceback out.
    """
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow.") or name.startswith("sparkdesk.dump"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    def export_needing_pyarrow(args):
        import pyarrow  # noqa: F401

    monkeypatch.setattr("sparkdesk.cli._export", export_needing_pyarrow)
    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    code = main(["export", DEMO, "--type", "team"])
    err = capsys.readouterr().err
    assert code == 1
    assert "installation is incomplete" in err and "pyarrow" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
