"""The Parquet writer (cli.md, "Parquet output"): typed columns, read back with pyarrow and
compared with the CSV of the same export, cell by cell."""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from parquetkit import as_csv_text, read_parquet

from sparkdesk.catalogue import EXPORT_IDS, export_type
from sparkdesk.cli import main
from sparkdesk.demo import write_demo
from sparkdesk.dump import load_dumps
from sparkdesk.exports import ExportParams, compute
from sparkdesk.tasks import Cancelled, CancelToken
from sparkdesk.writers import FORMATS, WriteOptions, format_for, write_all, write_export
from sparkdesk.writers.parquet import arrow_type, parquet_schema, write_parquet

TZ = "America/New_York"


@pytest.fixture(scope="module")
def tables(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """Every export of a small demo dump (its text has quotes, emoji, formula starts)."""
    root = write_demo(tmp_path_factory.mktemp("demo") / "acme", conversations=120, seed=4)
    dump = load_dumps([root], cache=False)
    return {t: compute(dump, ExportParams(t, TZ)) for t in EXPORT_IDS}


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@pytest.mark.parametrize(
    "options",
    [WriteOptions(lang="en", tz=TZ), WriteOptions(lang="es", tz=TZ, time_format="iso", formula_guard=False)],
)
def test_every_export_holds_the_csv_values_in_typed_columns(tables, tmp_path, options):
    csv_paths = write_all(tables, tmp_path / "csv", options, fmt="csv")
    pq_paths = write_all(tables, tmp_path / "pq", options, fmt="parquet")
    assert [p.name for p in pq_paths] == [f"{t}.parquet" for t in EXPORT_IDS]
    checked = set()
    for type_id, c_path, p_path in zip(EXPORT_IDS, csv_paths, pq_paths, strict=True):
        export = export_type(type_id)
        header, *csv_rows = read_csv(c_path)
        names, pq_rows = read_parquet(p_path, export, options)
        assert names == header == export.headers(options.lang)
        assert len(pq_rows) == len(csv_rows) == len(tables[type_id]), type_id
        for i, (prow, crow) in enumerate(zip(pq_rows, csv_rows, strict=True)):
            for col, value, text in zip(export.columns, prow, crow, strict=True):
                got = as_csv_text(value, col.kind, options, text)
                assert got == text, f"{type_id} row {i} {col.key}: Parquet {value!r}, CSV {text!r}"
                if value is not None:
                    checked.add(col.kind)
    assert checked == {"id", "text", "enum", "timestamp", "duration", "count", "score", "percent", "bool"}


def test_the_types_are_those_of_cli_md():
    assert [arrow_type(k, TZ) for k in ("id", "text", "enum")] == [pa.string()] * 3
    assert arrow_type("count", TZ) == arrow_type("score", TZ) == pa.int64()
    assert arrow_type("duration", TZ) == arrow_type("percent", TZ) == pa.float64()
    assert arrow_type("timestamp", TZ) == pa.timestamp("ms", tz=TZ)
    assert arrow_type("bool", TZ) == pa.bool_()
    schema = parquet_schema("user", WriteOptions(lang="es", tz="Europe/Madrid"))
    assert schema.names == export_type("user").headers("es")


def test_hand_made_cells_and_missing_values(tmp_path):
    """One row of each kind, worked out by hand; every missing value is null, not ''."""
    table = pd.DataFrame(
        {
            "user_id": pd.array(["=1+1", None], dtype="str"),
            "user_name": pd.array(["Zoë", ""], dtype="str"),
            "email": pd.array([None, None], dtype="str"),
            "reference": pd.array(["r", None], dtype="str"),
            "available_time": pd.array([1500, None], dtype="Int64"),  # ms
            "away_time": pd.array([-500, 0], dtype="Int64"),
            "contacts_helped": pd.array([3, None], dtype="Int64"),
        }
    )
    export = export_type("user")
    for col in export.columns:
        if col.key not in table:
            dtype = {"duration": "Int64", "count": "Int64", "percent": "Float64"}.get(col.kind, "str")
            table[col.key] = pd.array([None, None], dtype=dtype)
    table["utilization"] = pd.array([12.5, None], dtype="Float64")
    path = tmp_path / "u.parquet"
    write_parquet(table, export, path, WriteOptions(tz="UTC"))
    got = pq.read_table(path).to_pylist()
    assert got[0]["User ID"] == "=1+1"  # a typed cell: no formula-guard apostrophe
    assert got[0]["User Name"] == "Zoë" and got[1]["User Name"] == ""
    assert got[0]["User Email Address"] is None and got[1]["User ID"] is None
    assert got[0]["Available Time (s)"] == 1.5 and got[1]["Available Time (s)"] is None
    assert got[0]["Away Time (s)"] == -0.5 and got[1]["Away Time (s)"] == 0.0
    assert got[0]["Contacts Helped"] == 3 and got[1]["Contacts Helped"] is None
    assert got[0]["Utilization (%)"] == 12.5 and got[1]["Utilization (%)"] is None


def test_timestamps_carry_the_export_zone(tables, tmp_path):
    path = tmp_path / "m.parquet"
    write_export(tables["message"], "message", path, WriteOptions(tz=TZ))
    column = pq.read_table(path).column("Created at")
    assert column.type == pa.timestamp("ms", tz=TZ)
    want = tables["message"]["created_at"].dt.tz_convert("UTC").array.as_unit("ms").asi8
    assert column.cast(pa.int64()).to_pylist() == list(want)  # the instants, to the millisecond


def test_an_empty_export_is_a_file_with_the_columns_and_no_rows(tables, tmp_path):
    path = tmp_path / "empty.parquet"
    write_parquet(tables["team"].iloc[0:0], "team", path, WriteOptions())
    table = pq.read_table(path)
    assert table.num_rows == 0 and table.column_names == export_type("team").headers("en")


def test_the_same_table_gives_the_same_bytes(tables, tmp_path):
    write_export(tables["message"], "message", tmp_path / "a.parquet", WriteOptions(tz=TZ))
    write_export(tables["message"], "message", tmp_path / "b.parquet", WriteOptions(tz=TZ))
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_a_cancelled_write_leaves_the_old_file_and_no_temporary(tables, tmp_path):
    path = tmp_path / "m.parquet"
    path.write_bytes(b"old")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        write_parquet(tables["message"], "message", path, WriteOptions(), cancel=token)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.parquet"]


def test_parquet_is_a_format_and_an_extension():
    assert "parquet" in FORMATS
    assert format_for("x.parquet") == format_for("X.PARQUET") == "parquet"
    assert format_for("x.csv", "parquet") == "parquet"
    with pytest.raises(ValueError, match="'parquet'"):
        format_for("x", "feather")


# ----- the command line --------------------------------------------------------------------------


def cli(*args: str) -> tuple[int, str]:
    """(exit status, standard error) of `sparkdesk ARGS`, run in this process."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exit_:
            status = exit_.code
    return status, err.getvalue()


DEMO = str(Path(__file__).parent.parent / "resources" / "demo")


def test_export_writes_parquet_from_the_extension_or_format(tmp_path):
    by_ext = tmp_path / "team.parquet"
    by_flag = tmp_path / "team.out"
    assert cli("export", DEMO, "--type", "team", "--tz", TZ, "--out", str(by_ext))[0] == 0
    status, err = cli(
        "export", DEMO, "--type", "team", "--tz", TZ, "--format", "parquet", "--out", str(by_flag)
    )
    assert status == 0, err
    assert by_ext.read_bytes() == by_flag.read_bytes()
    assert pq.read_table(by_ext).column_names == export_type("team").headers("en")


def test_export_all_to_a_folder_of_parquet_and_the_refusals(tmp_path):
    status, err = cli(
        "export", DEMO, "--type", "all", "--tz", TZ, "--format", "parquet", "--out", str(tmp_path / "all")
    )
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == sorted(f"{t}.parquet" for t in EXPORT_IDS)
    status, err = cli("export", DEMO, "--type", "team", "--format", "parquet")
    assert status == 2 and "PARQUET cannot be written to standard output" in err
    status, err = cli("export", DEMO, "--type", "all", "--out", str(tmp_path / "all.parquet"))
    assert status == 2 and "one Parquet file per export" in err
    assert not (tmp_path / "all.parquet").exists()
