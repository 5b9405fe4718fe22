"""Job files (jobs.md "The job file"): reading, the checks with the key's line, writing back."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from sparkdesk.jobs import (
    Job,
    JobFileError,
    JobOptions,
    job_to_toml,
    last_receipt,
    load_job,
    save_job,
    user_jobs_dir,
)

FULL = textwrap.dedent(
    """\
    name = "Weekly Madrid report"          # shown in the window and in logs
    dumps = ["D:/exports/acme-dump"]
    types = ["resolved-conversation", "user"]   # or ["all"]
    tz = "Europe/Madrid"
    range = "last-week"                    # see below
    week_starts = "monday"
    channels = []
    lang = "es"
    format = "xlsx"
    summary = true
    out_dir = "D:/reports"
    name_pattern = "{type}_{from}_{to}.{ext}"
    options = { time_format = "local", content = true, bom = true, formula_guard = true }
    """
)


def write(tmp_path: Path, text: str, name: str = "job.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_example_of_jobs_md_reads_as_written(tmp_path):
    job = load_job(write(tmp_path, FULL))
    assert job == Job(
        name="Weekly Madrid report",
        dumps=("D:/exports/acme-dump",),
        types=("resolved-conversation", "user"),
        tz="Europe/Madrid",
        range="last-week",
        lang="es",
        format="xlsx",
        summary=True,
        out_dir="D:/reports",
    )
    assert job.path == (tmp_path / "job.toml").resolve()
    assert job.title == "Weekly Madrid report"
    assert job.export_types == ("resolved-conversation", "user")
    assert job.one_workbook is False  # {type} in the name: a file per export


def test_defaults_of_the_optional_keys(tmp_path):
    job = load_job(write(tmp_path, 'dumps = ["d"]\ntypes = ["all"]\nrange = "yesterday"\nout_dir = "o"\n'))
    assert (job.week_starts, job.lang, job.format, job.summary) == ("monday", "en", "csv", False)
    assert job.name_pattern == "{type}_{from}_{to}.{ext}"
    assert job.options == JobOptions("local", True, True, True)
    assert job.tz is None and job.channels == () and job.dumps_glob is None
    assert job.title == "job"  # the file's stem
    assert len(job.export_types) == 12


@pytest.mark.parametrize(
    "job",
    [
        Job(dumps=("a", "b c/ñ"), types=("all",), range="2025-01-01..2025-01-31", out_dir="out"),
        Job(
            dumps_glob="drops/*.zip",
            types=("message", "user"),
            range="last-30-days",
            out_dir='rep"orts\\{tz}',
            name='Quote " and \\ and \x7f and tab\t',
            tz="America/New_York",
            week_starts="sunday",
            channels=("ch-web", "ch-sms"),
            lang="es",
            format="parquet",
            summary=False,
            name_pattern="sparkcentral",
            options=JobOptions("iso", False, False, False),
        ),
    ],
)
def test_save_job_round_trips_through_load_job(tmp_path, job):
    path = save_job(job, tmp_path / "sub" / "j.toml")
    again = load_job(path)
    assert again == job
    assert job_to_toml(again) == path.read_text(encoding="utf-8")
    assert [p.name for p in path.parent.iterdir()] == ["j.toml"]  # no temporary file left


def test_save_job_refuses_an_incomplete_job_and_writes_nothing(tmp_path):
    with pytest.raises(JobFileError, match="dumps"):
        save_job(Job(types=("user",), range="today", out_dir="o"), tmp_path / "j.toml")
    assert not (tmp_path / "j.toml").exists()


def test_a_job_built_in_code_is_checked_too():
    with pytest.raises(JobFileError, match="^range "):
        Job(dumps=("d",), types=("user",), range="last-fortnight", out_dir="o")
    with pytest.raises(JobFileError, match="^options.time_format "):
        JobOptions(time_format="utc")


def test_user_jobs_dir_is_under_the_user_data_folder(_isolated_user_dirs):
    assert user_jobs_dir() == _isolated_user_dirs / "xdg_data_home" / "SparkDesk" / "jobs"


def test_last_receipt_of_a_job_that_never_ran_is_none(tmp_path):
    path = write(tmp_path, 'dumps = ["d"]\ntypes = ["user"]\nrange = "today"\nout_dir = "o"\n')
    assert last_receipt(path) is None
    assert last_receipt(tmp_path / "missing.toml") is None


# ----- wrong job files: exit 2, one sentence naming the key and its line -------------------------
BASE = {
    "dumps": '["d"]',
    "types": '["user"]',
    "range": '"yesterday"',
    "out_dir": '"o"',
}


def job_text(**keys: str) -> str:
    """A job file: the BASE keys (one per line, in order) then ``keys`` (None: left out)."""
    merged = {**BASE, **keys}
    return "# a comment line\n" + "".join(f"{k} = {v}\n" for k, v in merged.items() if v is not None)


def line_of(text: str, key: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(f"{key} ="))


WRONG = [
    # (key, its TOML, words of the sentence)
    ("colour", '"blue"', "is not a key of a job file"),
    ("name", "3", "must be a text"),
    ("dumps", '"d"', "must be a list of texts"),
    ("dumps", "[]", "must not be an empty list"),
    ("dumps", '["d", 2]', "must be a list of texts"),
    ("dumps_glob", '""', "must not be empty"),
    ("types", '["users"]', "'users', not an export"),
    ("types", '["user", "user"]', "names an export twice"),
    ("types", '["all", "user"]', '"all" is every export already'),
    ("types", '"user"', "must be a list of texts"),
    ("tz", '"Mars/Olympus"', "is not a known time zone"),
    ("tz", "1", "must be a text"),
    ("range", '"last-week2"', "is not a range"),
    ("range", '"last-0-days"', "from 1 to 366, without leading zeros, not 'last-0-days'"),
    ("range", '"last-367-days"', "from 1 to 366, not 367"),
    ("range", '"last-007-days"', "without leading zeros"),
    ("range", '"2025-02-01..2025-01-31"', "ends before it starts"),
    ("range", '"2025-02-30..2025-03-01"', "does not exist"),
    ("range", "2025-01-01", "must be a text"),  # a TOML date, not a text
    ("week_starts", '"Monday"', "must be one of monday"),
    ("channels", '"ch-web"', "must be a list of texts"),
    ("lang", '"fr"', "must be one of en, es"),
    ("format", '"xls"', "must be one of csv, xlsx, parquet"),
    ("summary", '"yes"', "must be true or false"),
    ("out_dir", '""', "is empty"),
    ("out_dir", '"{month}"', "{month}, which is not a field"),
    ("name_pattern", '"../{type}.csv"', "climbs out of out_dir"),
    ("name_pattern", '"{type}_{from:%Y}.csv"', "with a format"),
    ("name_pattern", '"/abs/{type}.csv"', "not an absolute path"),
    ("name_pattern", '"{type}/"', "names no file"),
    ("name_pattern", '"{type"', "not a valid pattern"),
    ("options", '"iso"', "must be a table"),
]


@pytest.mark.parametrize(("key", "value", "words"), WRONG)
def test_a_wrong_key_is_named_with_its_line(tmp_path, key, value, words):
    text = job_text(**{key: value})
    with pytest.raises(JobFileError) as err:
        load_job(write(tmp_path, text))
    line = line_of(text, key)
    assert str(err.value).startswith(f"job.toml, line {line}: {key} "), str(err.value)
    assert words in str(err.value)
    assert (err.value.key, err.value.line) == (key, line)
    assert "\n" not in str(err.value) and str(err.value).endswith(".")


@pytest.mark.parametrize(
    ("options", "key", "words"),
    [
        ('{ time_format = "utc" }', "time_format", "must be one of local, iso"),
        ("{ bom = 1 }", "bom", "must be true or false"),
        ("{ content = false, colour = true }", "colour", "is not an option"),
        ('{ formula_guard = "no" }', "formula_guard", "must be true or false"),
    ],
)
def test_a_wrong_option_is_named_with_the_options_line(tmp_path, options, key, words):
    text = job_text(options=options)
    with pytest.raises(JobFileError, match=rf"^job.toml, line 6: options\.{key} .*{words}"):
        load_job(write(tmp_path, text))


def test_an_option_in_an_options_table_section_has_its_own_line(tmp_path):
    text = job_text() + '\n[options]\ncontent = true\nbom = "no"\n'
    with pytest.raises(JobFileError, match=r"^job.toml, line 9: options\.bom must be true or false"):
        load_job(write(tmp_path, text))


def test_a_key_after_a_multiline_string_has_the_right_line(tmp_path):
    text = 'name = """first\nsecond\nrange = "x"\n"""\n' + job_text(range='"x"')
    with pytest.raises(JobFileError, match=r"^job.toml, line 8: range "):
        load_job(write(tmp_path, text))


@pytest.mark.parametrize("key", ["types", "range", "out_dir"])
def test_a_missing_required_key_is_named(tmp_path, key):
    with pytest.raises(JobFileError, match=rf"^job.toml: {key} is missing \(required\)\.$"):
        load_job(write(tmp_path, job_text(**{key: None})))


def test_dumps_or_dumps_glob_and_not_both(tmp_path):
    with pytest.raises(JobFileError, match=r"^job.toml: dumps \(or dumps_glob\) is missing"):
        load_job(write(tmp_path, job_text(dumps=None)))
    text = job_text(dumps_glob='"*.zip"')
    with pytest.raises(JobFileError, match=r"^job.toml, line 6: dumps_glob cannot be given with dumps"):
        load_job(write(tmp_path, text))
    assert load_job(write(tmp_path, job_text(dumps=None, dumps_glob='"*.zip"'))).dumps_glob == "*.zip"


def test_several_files_need_a_field_that_tells_them_apart(tmp_path):
    text = job_text(types='["user", "team"]', name_pattern='"report.{ext}"')
    with pytest.raises(JobFileError, match=r"^job.toml, line 6: name_pattern gives every export the same"):
        load_job(write(tmp_path, text))
    # xlsx without {type}: one workbook, a sheet per export (the decision, see README)
    job = load_job(
        write(tmp_path, job_text(types='["user", "team"]', name_pattern='"r.{ext}"', format='"xlsx"'))
    )
    assert job.one_workbook
    # {type} in out_dir tells them apart as well
    assert load_job(write(tmp_path, job_text(types='["all"]', out_dir='"o/{type}"', name_pattern='"r.csv"')))


def test_not_toml_says_where(tmp_path):
    with pytest.raises(JobFileError, match=r"^job.toml is not a valid TOML file: .*line 2"):
        load_job(write(tmp_path, 'name = "x"\nrange = \n'))


def test_an_unreadable_job_file_is_one_sentence(tmp_path):
    with pytest.raises(JobFileError, match="cannot read the job file"):
        load_job(tmp_path / "nope.toml")
    (tmp_path / "bin.toml").write_bytes(b"name = '\xff'\n")
    with pytest.raises(JobFileError, match="is not UTF-8"):
        load_job(tmp_path / "bin.toml")


def test_a_date_is_not_a_range_but_a_fixed_range_text_is(tmp_path):
    job = load_job(write(tmp_path, job_text(range='"2025-03-30..2025-04-05"')))
    assert job.range == "2025-03-30..2025-04-05"
    assert dt.date(2025, 3, 30)  # (the range is resolved in test_jobs_ranges.py)


def test_the_readme_job_file_is_a_valid_job(tmp_path):
    """README's "Scheduled exports" shows a complete job file: it must read as one."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Scheduled exports", 1)[1]
    text = section.split("```toml\n", 1)[1].split("```", 1)[0]
    job = load_job(write(tmp_path, text))
    assert job.range == "last-week" and job.format == "xlsx" and job.one_workbook
    assert job.dumps_glob == "D:/drops/acme-*.zip" and job.dumps == ()
