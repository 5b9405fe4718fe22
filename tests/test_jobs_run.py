"""Running jobs for real on the bundled demo dump (jobs.md): the files are those of
``sparkdesk export`` with the same choices, the names, the receipt, the state of
since-last-run, a failed run, and ``sparkdesk run`` itself."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import textwrap
import uuid
from pathlib import Path

import openpyxl
import pytest

from sparkdesk import __version__, cli
from sparkdesk.catalogue import export_type
from sparkdesk.dump import load_dumps
from sparkdesk.jobs import (
    Job,
    JobFileError,
    JobOptions,
    last_receipt,
    load_job,
    run_job,
    save_job,
    state_path,
)
from sparkdesk.jobs import run as run_mod
from sparkdesk.jobs.run import SUMMARY_WARNING, dump_paths, plan_files
from sparkdesk.tasks import Cancelled, CancelToken

DEMO = Path(__file__).parent.parent / "resources" / "demo"
TZ = "Europe/Madrid"
NOW = dt.datetime(2025, 7, 1, 5, 0, 0, tzinfo=dt.UTC)  # 07:00 in Madrid: {run} = 20250701T070000
JUNE = "2025-06-01..2025-06-30"


def make_job(tmp_path: Path, **keys) -> Job:
    """A job saved as tmp_path/jobs/job.toml, reading the demo dump, writing to tmp_path/out."""
    base = dict(
        dumps=(str(DEMO),), types=("resolved-conversation", "user"), range=JUNE, out_dir="../out", tz=TZ
    )
    path = save_job(Job(**{**base, **keys}), tmp_path / "jobs" / "job.toml")
    return load_job(path)


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def export(*args: str) -> None:
    assert cli.main(["export", str(DEMO), "--tz", TZ, *args]) == 0


def xlsx_cells(path: Path) -> dict:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}
    finally:
        wb.close()


# ----- the files are those of `sparkdesk export` ---------------------------------------------------


def test_csv_files_are_byte_identical_to_export(tmp_path):
    options = JobOptions(time_format="iso", content=False, bom=False, formula_guard=False)
    job = make_job(tmp_path, lang="es", channels=("ch-web", "ch-sms"), options=options)
    receipt = run_job(job, now=NOW)
    assert receipt.ok, receipt.error
    out = tmp_path / "out"
    assert files_in(out) == [
        "resolved-conversation_2025-06-01_2025-06-30.csv",
        "run-20250701T070000.json",
        "user_2025-06-01_2025-06-30.csv",
    ]
    flags = ["--from", "2025-06-01", "--to", "2025-06-30", "--lang", "es", "--channel", "ch-web"]
    flags += ["--channel", "ch-sms", "--time-format", "iso", "--no-content", "--no-bom", "--no-formula-guard"]
    for type_id in ("resolved-conversation", "user"):
        export("--type", type_id, *flags, "--out", str(tmp_path / f"{type_id}.csv"))
        ours = (out / f"{type_id}_2025-06-01_2025-06-30.csv").read_bytes()
        assert ours == (tmp_path / f"{type_id}.csv").read_bytes(), type_id
        assert len(ours) > 500


def test_parquet_files_are_byte_identical_to_export(tmp_path):
    job = make_job(tmp_path, format="parquet", types=("message",), name_pattern="{name}.{ext}")
    assert run_job(job, now=NOW).ok
    export(
        "--type",
        "message",
        "--from",
        "2025-06-01",
        "--to",
        "2025-06-30",
        "--out",
        str(tmp_path / "m.parquet"),
    )
    assert (tmp_path / "out" / "Messages.parquet").read_bytes() == (tmp_path / "m.parquet").read_bytes()


def test_xlsx_without_type_in_the_name_is_one_workbook_as_export_all(tmp_path):
    """A sheet per export, named in the header language: what ``export --type all --out
    x.xlsx`` writes (``writers.write_all``), here for two exports."""
    from sparkdesk.exports import ExportParams, compute
    from sparkdesk.writers import WriteOptions, write_all

    job = make_job(tmp_path, format="xlsx", types=("user", "team"), name_pattern="week-{to}.{ext}", lang="es")
    receipt = run_job(job, now=NOW)
    assert receipt.ok, receipt.error
    (output,) = receipt.outputs
    assert output.path == tmp_path / "out" / "week-2025-06-30.xlsx"
    assert output.types == ("team", "user") and set(output.rows) == {"team", "user"}  # catalogue order
    dump = load_dumps([DEMO])
    first, last = dt.date(2025, 6, 1), dt.date(2025, 6, 30)
    tables = {t: compute(dump, ExportParams(t, TZ, first, last)) for t in ("team", "user")}
    write_all(tables, tmp_path / "a.xlsx", WriteOptions(lang="es", tz=TZ))
    cells = xlsx_cells(output.path)
    assert list(cells) == ["Equipos", "Usuarios (métricas de agentes)"]
    assert cells == xlsx_cells(tmp_path / "a.xlsx")  # (an XLSX has its time of writing inside)


def test_xlsx_with_type_in_the_name_is_a_workbook_per_export(tmp_path):
    receipt = run_job(make_job(tmp_path, format="xlsx"), now=NOW)
    assert [o.path.name for o in receipt.outputs] == [
        "resolved-conversation_2025-06-01_2025-06-30.xlsx",
        "user_2025-06-01_2025-06-30.xlsx",
    ]
    export("--type", "user", "--from", "2025-06-01", "--to", "2025-06-30", "--out", str(tmp_path / "u.xlsx"))
    assert xlsx_cells(receipt.outputs[1].path) == xlsx_cells(tmp_path / "u.xlsx")


# ----- the receipt -------------------------------------------------------------------------------


def test_the_receipt_records_what_jobs_md_lists(tmp_path):
    job = make_job(tmp_path, range="last-month")
    receipt = run_job(job, now=NOW)
    data = json.loads(receipt.receipt_path.read_text(encoding="utf-8"))
    assert data == receipt.as_dict()
    assert receipt.receipt_path == tmp_path / "out" / "run-20250701T070000.json"
    assert data["ok"] is True and data["error"] is None and data["warnings"] == []
    assert data["sparkdesk_version"] == __version__
    assert data["job"]["path"] == str(tmp_path / "jobs" / "job.toml")
    assert data["job"]["range"] == "last-month" and data["job"]["types"] == ["resolved-conversation", "user"]
    assert data["range"] == {
        "name": "last-month",
        "tz": TZ,
        "first_day": "2025-06-01",
        "last_day": "2025-06-30",
    }
    assert data["as_of"] == "2025-07-01" and data["run"] == "20250701T070000"
    assert data["started"] == "2025-07-01T07:00:00.000+02:00"
    assert dt.datetime.fromisoformat(data["finished"]) >= NOW
    # every input file: path, size, SHA-256
    demo_files = sorted(p for p in DEMO.iterdir() if p.is_file())
    assert [i["path"] for i in data["inputs"]] == [str(p) for p in demo_files]
    for entry, path in zip(data["inputs"], demo_files, strict=True):
        assert entry["bytes"] == path.stat().st_size
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    # every output: path, rows, SHA-256
    for entry in data["outputs"]:
        path = Path(entry["path"])
        lines = path.read_bytes().count(b"\r\n")  # (no line break inside the cells of `user`)
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size
        assert entry["rows"] == sum(entry["rows_by_type"].values()) > 0
        if entry["types"] == ["user"]:
            assert entry["rows"] == lines - 1
    # the import report's counts, as `sparkdesk inspect` gives them
    summary = cli.inspect_summary(load_dumps([DEMO]))
    tables = data["import_report"]["tables"]
    for name, st in summary["tables"].items():
        assert {k: tables[name][k] for k in ("read", "accepted", "rejected", "duplicates")} == {
            k: st[k] for k in ("read", "accepted", "rejected", "duplicates")
        }
    assert last_receipt(job.path) == data


def test_summary_is_accepted_and_ignored_with_a_warning(tmp_path):
    receipt = run_job(make_job(tmp_path, format="xlsx", summary=True, types=("team",)), now=NOW)
    assert receipt.ok and receipt.warnings == [SUMMARY_WARNING]
    assert "not available in this version" in SUMMARY_WARNING
    assert list(xlsx_cells(receipt.outputs[0].path)) == ["Teams"]  # no Summary sheet
    assert json.loads(receipt.receipt_path.read_text())["warnings"] == [SUMMARY_WARNING]


def test_last_receipt_is_the_newest_of_this_job_in_a_dated_folder(tmp_path):
    job = make_job(tmp_path, types=("team",), range="yesterday", out_dir="../out/{from}")
    other = save_job(Job(**{**job.to_dict(), "name": "other"}), tmp_path / "jobs" / "other.toml")
    run_job(job, now=NOW)
    second = run_job(job, now=NOW + dt.timedelta(days=1))
    run_job(load_job(other), now=NOW + dt.timedelta(days=2))  # another job, same folders
    assert second.receipt_path == tmp_path / "out" / "2025-07-01" / "run-20250702T070000.json"
    assert last_receipt(job.path)["run"] == "20250702T070000"
    assert last_receipt(other)["run"] == "20250703T070000"


# ----- names -------------------------------------------------------------------------------------


def test_every_name_field(tmp_path):
    pattern = "{type}~{name}~{from}~{to}~{run}~{tz}~{org}~{uuid}.{ext}"
    job = make_job(tmp_path, types=("user",), lang="es", name_pattern=pattern, out_dir="../out/{tz}/{type}")
    receipt = run_job(job, now=NOW)
    (output,) = receipt.outputs
    assert output.path.parent == tmp_path / "out" / "Europe-Madrid" / "user"
    parts = output.path.name.removesuffix(".csv").split("~")
    assert parts[:7] == [
        "user",
        "Usuarios (métricas de agentes)",
        "2025-06-01",
        "2025-06-30",
        "20250701T070000",
        "Europe-Madrid",
        "Acme Demo Org",
    ]
    assert uuid.UUID(parts[7]).version == 4
    assert (
        receipt.receipt_path.parent == tmp_path / "out" / "Europe-Madrid"
    )  # before the first per-file field


@pytest.mark.parametrize(
    ("org", "zone", "expected"),
    [
        (
            "Acme/EU: West\\Coast",
            "America/Argentina/Buenos_Aires",
            "Acme-EU- West-Coast_America-Argentina-Buenos_Aires",
        ),
        ("tab\there\nnewline", "UTC", "tab-here-newline_UTC"),
        ("C:", "Etc/GMT+5", "C-_Etc-GMT+5"),
    ],
)
def test_a_field_never_puts_a_separator_or_colon_in_a_name(tmp_path, org, zone, expected):
    """Decision: each '/', '\\', ':' (and control character) of a field's value becomes '-'."""
    job = make_job(tmp_path, types=("user",), tz=zone, name_pattern="{org}_{tz}.{ext}")
    values = {"from": "2025-06-01", "to": "2025-06-30", "run": "r", "tz": zone, "ext": "csv", "org": org}
    ((path, _),) = plan_files(job, values)
    assert path == tmp_path / "out" / f"{expected}.csv"


def test_a_slash_written_in_the_pattern_is_a_subfolder(tmp_path):
    job = make_job(tmp_path, types=("team", "user"), name_pattern="{from}/{type}.{ext}")
    receipt = run_job(job, now=NOW)
    assert files_in(tmp_path / "out") == [
        "2025-06-01/team.csv",
        "2025-06-01/user.csv",
        "run-20250701T070000.json",
    ]
    assert receipt.ok


def test_the_sparkcentral_layout(tmp_path):
    job = make_job(
        tmp_path, name_pattern="sparkcentral", range="yesterday", types=("resolved-conversation", "message")
    )
    receipt = run_job(job, now=NOW)
    assert receipt.ok, receipt.error
    out = tmp_path / "out"
    names = files_in(out)
    assert names[-1] == "run-20250701T070000.json"
    for type_id, name in zip(("message", "resolved-conversation"), names[:2], strict=True):
        folder, file = name.split("/")[1:]
        assert name.startswith(f"export/{type_id}/")
        prefix = f"[Acme Demo Org][{type_id}][2025-06-30][2025-06-30]["
        assert file.startswith(prefix) and file.endswith("].csv"), file
        assert uuid.UUID(file[len(prefix) : -len("].csv")])
    assert {o.path.name for o in receipt.outputs} == {n.split("/")[-1] for n in names[:2]}


def test_a_name_that_exists_is_replaced(tmp_path):
    job = make_job(tmp_path, types=("team",))
    target = tmp_path / "out" / "team_2025-06-01_2025-06-30.csv"
    target.parent.mkdir()
    target.write_text("old")
    assert run_job(job, now=NOW).ok
    assert target.read_text(encoding="utf-8-sig").startswith(",".join(export_type("team").headers("en")))


# ----- dumps_glob --------------------------------------------------------------------------------


def test_dumps_glob_takes_every_match_newest_last(tmp_path):
    drops = tmp_path / "drops"
    drops.mkdir()
    for i, name in enumerate(["c.zip", "a.zip", "b.zip"]):
        (drops / name).write_bytes(b"")
        os.utime(drops / name, (1_700_000_000 + i * 60, 1_700_000_000 + i * 60))
    (drops / "notes.txt").write_text("not a dump")
    job = Job(
        dumps_glob="../drops/*.zip",
        types=("user",),
        range="today",
        out_dir="o",
        path=tmp_path / "j" / "j.toml",
    )
    assert [p.name for p in dump_paths(job)] == ["c.zip", "a.zip", "b.zip"]
    os.utime(drops / "c.zip", (1_800_000_000, 1_800_000_000))
    assert [p.name for p in dump_paths(job)] == ["a.zip", "b.zip", "c.zip"]


def test_a_glob_run_reads_the_newest_dumps_combined(tmp_path):
    drops = tmp_path / "drops"
    shutil.copytree(DEMO, drops / "2025-06-30")
    (drops / "2025-06-30" / "users.csv").unlink()  # an older, partial dump of the same organisation
    shutil.copytree(DEMO, drops / "2025-07-01")
    os.utime(drops / "2025-06-30", (1_700_000_000, 1_700_000_000))
    job = make_job(tmp_path, dumps=(), dumps_glob="../drops/2025-*", types=("user",))
    receipt = run_job(job, now=NOW)
    assert receipt.ok, receipt.error
    dirs = [Path(i["path"]).parent.name for i in receipt.inputs]
    assert dirs == sorted(dirs) and set(dirs) == {"2025-06-30", "2025-07-01"}  # the newest last
    export("--type", "user", "--from", "2025-06-01", "--to", "2025-06-30", "--out", str(tmp_path / "u.csv"))
    assert receipt.outputs[0].path.read_bytes() == (tmp_path / "u.csv").read_bytes()


def test_a_glob_that_matches_nothing_fails_with_a_receipt(tmp_path):
    receipt = run_job(make_job(tmp_path, dumps=(), dumps_glob="../drops/*.zip"), now=NOW)
    assert not receipt.ok and receipt.error == "dumps_glob ../drops/*.zip matches no file or folder."
    assert files_in(tmp_path / "out") == ["run-20250701T070000.json"]


# ----- a failed run ------------------------------------------------------------------------------


def refused_dump(tmp_path: Path) -> Path:
    bad = tmp_path / "bad"
    shutil.copytree(DEMO, bad)
    manifest = json.loads((bad / "manifest.json").read_text())
    (bad / "manifest.json").write_text(json.dumps({**manifest, "snapshot_at": "soon"}))
    return bad


def test_a_refused_dump_leaves_a_receipt_with_the_error_and_no_output(tmp_path):
    job = make_job(tmp_path, dumps=(str(refused_dump(tmp_path)),))
    old = tmp_path / "out" / "user_2025-06-01_2025-06-30.csv"
    old.parent.mkdir()
    old.write_text("last month's file")
    receipt = run_job(job, now=NOW)
    assert not receipt.ok
    assert "snapshot_at that is not a timestamp" in receipt.error and "\n" not in receipt.error
    assert files_in(tmp_path / "out") == ["run-20250701T070000.json", "user_2025-06-01_2025-06-30.csv"]
    assert old.read_text() == "last month's file"  # untouched
    data = json.loads(receipt.receipt_path.read_text())
    assert data["ok"] is False and data["error"] == receipt.error and data["outputs"] == []
    assert len(data["inputs"]) == len(list(DEMO.iterdir()))  # what it was given, with checksums
    assert last_receipt(job.path)["error"] == receipt.error


def test_a_file_that_cannot_be_written_leaves_none_of_the_run(tmp_path, monkeypatch):
    """The first export is written, the second fails: neither is put in place."""
    from sparkdesk import writers

    real = writers.write_export
    calls = []

    def failing(table, type_id, path, *args, **kwargs):
        calls.append(getattr(type_id, "id", type_id))  # an id, or the ExportType itself
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        return real(table, type_id, path, *args, **kwargs)

    from sparkdesk.exports import registry

    monkeypatch.setattr(writers, "write_export", failing)
    monkeypatch.setattr(registry, "write_export", failing)  # each export is written as it is computed
    job = make_job(tmp_path, out_dir="../out/new/{type}")
    receipt = run_job(job, now=NOW)
    assert calls == ["resolved-conversation", "user"]
    assert not receipt.ok and "No space left on device" in receipt.error
    assert files_in(tmp_path / "out") == ["new/run-20250701T070000.json"]  # no file, no staging file
    assert [p.name for p in (tmp_path / "out" / "new").iterdir()] == ["run-20250701T070000.json"]


def test_a_cancelled_run_writes_its_receipt_and_no_file(tmp_path):
    token = CancelToken()
    token.cancel()
    job = make_job(tmp_path)
    with pytest.raises(Cancelled):
        run_job(job, now=NOW, cancel=token)
    assert files_in(tmp_path / "out") == ["run-20250701T070000.json"]
    assert last_receipt(job.path)["error"] == "The run was cancelled."


# ----- since-last-run ----------------------------------------------------------------------------


def test_since_last_run_across_runs(tmp_path):
    job = make_job(tmp_path, range="since-last-run", types=("team",), name_pattern="{type}_{from}_{to}.{ext}")
    state = state_path(job)
    assert state == tmp_path / "jobs" / "job.state.json"
    first = run_job(job, as_of=dt.date(2025, 6, 10), now=NOW)  # the first run: yesterday
    assert first.ok and first.range == (dt.date(2025, 6, 9), dt.date(2025, 6, 9))
    assert json.loads(state.read_text())["last_day"] == "2025-06-09"
    second = run_job(job, as_of=dt.date(2025, 6, 13), now=NOW + dt.timedelta(hours=1))
    assert second.range == (dt.date(2025, 6, 10), dt.date(2025, 6, 12))
    assert json.loads(state.read_text()) == {
        "last_day": "2025-06-12",
        "first_day": "2025-06-10",
        "run": "20250701T080000",
        "receipt": str(second.receipt_path),
    }
    # the same day again: nothing new, no file, the state stays
    third = run_job(job, as_of=dt.date(2025, 6, 13), now=NOW + dt.timedelta(hours=2))
    assert third.ok and third.outputs == [] and third.nothing_new
    assert "Nothing new" in third.warnings[0]
    assert json.loads(state.read_text())["last_day"] == "2025-06-12"
    assert sorted(p.name for p in (tmp_path / "out").glob("*.csv")) == [
        "team_2025-06-09_2025-06-09.csv",
        "team_2025-06-10_2025-06-12.csv",
    ]
    assert len(list((tmp_path / "out").glob("run-*.json"))) == 3  # a receipt for "nothing new" too


def test_a_failed_run_does_not_move_since_last_run(tmp_path):
    job = make_job(tmp_path, range="since-last-run", types=("team",))
    assert run_job(job, as_of=dt.date(2025, 6, 10), now=NOW).ok
    bad = Job(**{**job.to_dict(), "dumps": (str(refused_dump(tmp_path)),), "path": job.path})
    failed = run_job(bad, as_of=dt.date(2025, 6, 20), now=NOW + dt.timedelta(hours=1))
    assert not failed.ok and failed.range == (dt.date(2025, 6, 10), dt.date(2025, 6, 19))
    assert json.loads(state_path(job).read_text())["last_day"] == "2025-06-09"
    again = run_job(job, as_of=dt.date(2025, 6, 20), now=NOW + dt.timedelta(hours=2))
    assert again.ok and again.range == (dt.date(2025, 6, 10), dt.date(2025, 6, 19))


def test_the_state_is_written_after_every_file_is_in_place(tmp_path, monkeypatch):
    job = make_job(tmp_path, range="since-last-run", types=("team",))
    seen = []
    real = run_mod.write_state

    def spy(receipt):
        seen.append((files_in(tmp_path / "out"), receipt.receipt_path.exists()))
        real(receipt)

    monkeypatch.setattr(run_mod, "write_state", spy)
    assert run_job(job, as_of=dt.date(2025, 6, 10), now=NOW).ok
    assert seen == [(["run-20250701T070000.json", "team_2025-06-09_2025-06-09.csv"], True)]


def test_a_state_file_that_is_not_ours_is_a_job_file_error(tmp_path):
    job = make_job(tmp_path, range="since-last-run", types=("team",))
    state_path(job).write_text("{}")
    with pytest.raises(JobFileError, match="job.state.json is not a since-last-run state file"):
        run_job(job, now=NOW)


# ----- dry run -----------------------------------------------------------------------------------


def test_a_dry_run_resolves_everything_and_writes_nothing(tmp_path):
    job = make_job(tmp_path, range="since-last-run", name_pattern="{org}/{type}_{from}_{to}.{ext}")
    receipt = run_job(job, as_of=dt.date(2025, 6, 10), dry_run=True, now=NOW)
    assert receipt.ok and receipt.range == (dt.date(2025, 6, 9), dt.date(2025, 6, 9))
    assert [o.path for o in receipt.outputs] == [
        tmp_path / "out" / "Acme Demo Org" / "resolved-conversation_2025-06-09_2025-06-09.csv",
        tmp_path / "out" / "Acme Demo Org" / "user_2025-06-09_2025-06-09.csv",
    ]
    assert receipt.receipt_path is None
    assert not (tmp_path / "out").exists() and not state_path(job).exists()


# ----- sparkdesk run -----------------------------------------------------------------------------


def write_job_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "weekly.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_sparkdesk_run_writes_and_prints_the_files(tmp_path, capsys):
    path = write_job_file(
        tmp_path,
        f"""\
        name = "Weekly Madrid report"
        dumps = [{json.dumps(str(DEMO))}]
        types = ["team"]
        tz = "Europe/Madrid"
        range = "last-week"
        out_dir = "reports"
        """,
    )
    assert cli.main(["run", str(path), "--as-of", "2025-06-18", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Weekly Madrid report: last-week is 2025-06-09 to 2025-06-15 (Europe/Madrid), run day 2025-06-18",
        str(tmp_path / "reports" / "team_2025-06-09_2025-06-15.csv"),
    ]
    assert not (tmp_path / "reports").exists()
    assert cli.main(["run", str(path), "--as-of", "2025-06-18", "--quiet"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == str(tmp_path / "reports" / "team_2025-06-09_2025-06-15.csv")
    assert Path(printed[1]).name.startswith("run-") and Path(printed[1]).is_file()


def test_sparkdesk_run_exit_statuses(tmp_path, capsys):
    wrong = write_job_file(
        tmp_path, 'dumps = ["d"]\ntypes = ["user"]\nrange = "fortnightly"\nout_dir = "o"\n'
    )
    assert cli.main(["run", str(wrong)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("sparkdesk: weekly.toml, line 3: range 'fortnightly' is not a range")
        and err.count("\n") == 1
    )
    assert cli.main(["run", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read the job file" in capsys.readouterr().err
    refused = write_job_file(
        tmp_path,
        f'dumps = [{json.dumps(str(refused_dump(tmp_path)))}]\ntypes = ["user"]\nrange = "yesterday"\nout_dir = "o"\n',
    )
    assert cli.main(["run", str(refused), "--as-of", "2025-06-18"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert "snapshot_at that is not a timestamp" in err[0]
    assert err[1].startswith("sparkdesk: receipt: ") and err[1].endswith(".json")
    assert not list((tmp_path / "o").glob("*.csv"))
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", str(refused), "--as-of", "18/06/2025"])
    assert exit_.value.code == 2


def test_an_unknown_channel_fails_the_run_with_the_exports_sentence(tmp_path):
    receipt = run_job(make_job(tmp_path, channels=("ch-nowhere",)), now=NOW)
    assert not receipt.ok and "ch-nowhere" in receipt.error and "\n" not in receipt.error
    assert files_in(tmp_path / "out") == ["run-20250701T070000.json"]


def test_the_receipt_holds_every_key_of_the_job(tmp_path):
    job = make_job(tmp_path, tz=None, types=("team",))
    data = run_job(job, now=NOW).as_dict()["job"]
    from sparkdesk.localzone import local_zone_name

    assert data["tz"] == local_zone_name()  # the zone it ran in
    assert data["week_starts"] == "monday" and data["format"] == "csv" and data["summary"] is False
    assert data["options"] == {"time_format": "local", "content": True, "bom": True, "formula_guard": True}
    assert data["name_pattern"] == "{type}_{from}_{to}.{ext}" and data["dumps_glob"] is None


def test_progress_goes_forward_to_the_end(tmp_path):
    seen: list[float] = []
    assert run_job(make_job(tmp_path), now=NOW, progress=lambda f, _text: seen.append(f)).ok
    assert seen and seen == sorted(seen) and seen[-1] == 1.0


# ----- the memory budget (cli.md --memory-limit, issue 14) -----------------------------------------


def test_a_run_within_a_budget_that_holds_it_writes_the_same_files(tmp_path):
    """256 MiB holds the process, the 1.9 MB demo and its computation: the files of a run
    without a limit."""
    whole = run_job(make_job(tmp_path / "a"), now=NOW)
    parted = run_job(make_job(tmp_path / "b"), now=NOW, memory_limit=256 << 20)
    assert whole.ok and parted.ok, (whole.error, parted.error)
    for a, b in zip(whole.outputs, parted.outputs, strict=True):
        assert a.sha256 == b.sha256 and a.rows == b.rows


def test_a_budget_too_small_fails_the_run_with_its_sentence_and_no_file(tmp_path, capsys):
    job = make_job(tmp_path)
    assert cli.main(["run", str(job.path), "--memory-limit", "1MiB", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "A memory limit of 1 MiB is too small for this dump: use at least" in err
    assert "Unexpected" not in err
    assert files_in(tmp_path / "out") == [
        name for name in files_in(tmp_path / "out") if name.startswith("run-")
    ]
    with pytest.raises(SystemExit) as wrong:  # not a size: argparse's usage and exit 2
        cli.main(["run", str(job.path), "--memory-limit", "4G"])
    assert wrong.value.code == 2
