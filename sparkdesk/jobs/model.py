"""A job file (jobs.md): reading it with its checks, writing it back.

A wrong job file is refused with one sentence naming the key and its line
(``JobFileError``; the command line exits 2). ``tomllib`` gives no positions, so the line
is found in the text (``_toml.key_line``). The same per-key checks run when a ``Job`` is
built in code (the window's "Save as job…"), there without a line.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sparkdesk.catalogue import EXPORT_IDS, HEADER_LANGS
from sparkdesk.files import atomic_output

from . import names
from ._toml import key_line, toml_value
from .ranges import WEEKDAYS, range_problem

FORMATS = ("csv", "xlsx", "parquet")
REQUIRED = ("types", "range", "out_dir")  # and dumps or dumps_glob
TIME_FORMATS = ("local", "iso")


class JobFileError(ValueError):
    """A job file (or a Job) that is wrong: ``str(err)`` is one sentence naming the key and line."""

    def __init__(self, message: str, key: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.line = line


@dataclass(frozen=True)
class JobOptions:
    """The ``options`` table: how the files are written (as ``export``'s options)."""

    time_format: str = "local"
    content: bool = True
    bom: bool = True
    formula_guard: bool = True

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_value(f"options.{f.name}", getattr(self, f.name))


@dataclass(frozen=True)
class Job:
    """A saved export job: every key of jobs.md, and ``path``, the file it was read from.

    ``dumps``, ``out_dir`` and ``dumps_glob`` are kept as written; relative ones are taken
    from the job file's folder when the job runs (``folder``). ``tz`` None is the
    computer's zone at run time (as ``export`` without ``--tz``).
    """

    dumps: tuple[str, ...] = ()
    dumps_glob: str | None = None
    types: tuple[str, ...] = ()
    range: str = "yesterday"
    out_dir: str = ""
    name: str = ""
    tz: str | None = None
    week_starts: str = "monday"
    channels: tuple[str, ...] = ()
    lang: str = "en"
    format: str = "csv"
    summary: bool = False
    name_pattern: str = names.DEFAULT_PATTERN
    options: JobOptions = field(default_factory=JobOptions)
    path: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        for key in ("dumps", "types", "channels"):
            value = getattr(self, key)
            if isinstance(value, list):
                object.__setattr__(self, key, tuple(value))
        if isinstance(self.options, dict):
            object.__setattr__(self, "options", JobOptions(**self.options))
        if self.path is not None:  # absolute, so a receipt's job path is the same text every run
            object.__setattr__(self, "path", Path(os.path.abspath(self.path)))
        for key in _CHECKS:
            value = getattr(self, key)
            if value is None or (key in ("dumps", "types", "out_dir") and not value):
                continue  # not given: check_job says what is missing
            _check_value(key, value)

    @property
    def title(self) -> str:
        """The name shown in the window and in logs: ``name``, else the file's stem."""
        return self.name or (self.path.stem if self.path else "job")

    @property
    def zone(self) -> str:
        if self.tz:
            return self.tz
        from sparkdesk.localzone import local_zone_name

        return local_zone_name()

    @property
    def folder(self) -> Path:
        """Where relative paths start: the job file's folder (the working folder for a Job
        that was never saved)."""
        return self.path.parent if self.path is not None else Path.cwd()

    @property
    def export_types(self) -> tuple[str, ...]:
        """The export ids, ``all`` expanded, in catalogue order."""
        return EXPORT_IDS if "all" in self.types else tuple(t for t in EXPORT_IDS if t in self.types)

    @property
    def pattern(self) -> str:
        """``name_pattern`` with ``sparkcentral`` expanded."""
        return names.expand_pattern(self.name_pattern)

    @property
    def one_workbook(self) -> bool:
        """xlsx and no field telling the exports apart: one workbook, a sheet per export
        (as ``export --type all --out x.xlsx``). Else a file per export."""
        if self.format != "xlsx":
            return False
        used = set(names.fields_of(self.pattern)) | set(names.fields_of(self.out_dir))
        return not (used & {"type", "name"})

    def to_dict(self, *, full: bool = False) -> dict:
        """The job's keys as a job file holds them: defaults left out (``full``: every key,
        ``tz`` the zone it runs in), ``path`` never."""
        if full:
            out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "path"}
            out = {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}
            return {**out, "tz": self.zone, "options": dataclasses.asdict(self.options)}
        out: dict = {}
        for f in dataclasses.fields(self):
            if f.name == "path":
                continue
            value = getattr(self, f.name)
            if f.name == "options":
                opts = {o.name: getattr(value, o.name) for o in dataclasses.fields(value)}
                defaults = dataclasses.asdict(JobOptions())
                opts = {k: v for k, v in opts.items() if v != defaults[k]}
                if opts:
                    out["options"] = opts
                continue
            if value is None or (value == f.default and f.name not in (*REQUIRED, "dumps")):
                continue
            out[f.name] = list(value) if isinstance(value, tuple) else value
        if self.dumps_glob is not None:
            out.pop("dumps", None)
        return out


# ----- the checks of each key ----------------------------------------------------------------


def _string(value) -> str | None:
    return None if isinstance(value, str) else "must be a text in quotes"


def _nonempty_string(value) -> str | None:
    return _string(value) or (None if value.strip() else "must not be empty")


def _bool(value) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _one_of(choices) -> Callable[[object], str | None]:
    def check(value) -> str | None:
        if not isinstance(value, str) or value not in choices:
            return f"must be one of {', '.join(choices)}, not {value!r}"
        return None

    return check


def _strings(value, *, nonempty: bool) -> str | None:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return "must be a list of texts in quotes"
    if nonempty and not value:
        return "must not be an empty list"
    if nonempty and not all(v.strip() for v in value):
        return "must not hold an empty text"
    return None


def _zone(value) -> str | None:
    if problem := _nonempty_string(value):
        return problem
    try:
        ZoneInfo(value)
    except (ValueError, OSError, KeyError):
        return f"is not a known time zone: {value!r}"
    return None


def _types(value) -> str | None:
    if problem := _strings(value, nonempty=True):
        return problem
    unknown = [t for t in value if t not in (*EXPORT_IDS, "all")]
    if unknown:
        return f"holds {unknown[0]!r}, not an export; use {', '.join(EXPORT_IDS)}, or all"
    if len(set(value)) < len(value):
        return "names an export twice"
    if "all" in value and len(value) > 1:
        return 'holds "all" and more: "all" is every export already'
    return None


def _range(value) -> str | None:
    return _string(value) or range_problem(value)


def _pattern(is_name: bool) -> Callable[[object], str | None]:
    def check(value) -> str | None:
        return _string(value) or names.pattern_problem(value, is_name=is_name)

    return check


_CHECKS: dict[str, Callable[[object], str | None]] = {
    "name": _string,
    "dumps": lambda v: _strings(v, nonempty=True),
    "dumps_glob": _nonempty_string,
    "types": _types,
    "tz": _zone,
    "range": _range,
    "week_starts": _one_of(WEEKDAYS),
    "channels": lambda v: _strings(v, nonempty=False),
    "lang": _one_of(tuple(HEADER_LANGS)),
    "format": _one_of(FORMATS),
    "summary": _bool,
    "out_dir": _pattern(is_name=False),
    "name_pattern": _pattern(is_name=True),
    "options": lambda v: (
        None if isinstance(v, dict | JobOptions) else "must be a table: { key = value, ... }"
    ),
}
_OPTION_CHECKS: dict[str, Callable[[object], str | None]] = {
    "time_format": _one_of(TIME_FORMATS),
    "content": _bool,
    "bom": _bool,
    "formula_guard": _bool,
}


def _check_value(key: str, value) -> None:
    table, _, sub = key.partition(".")
    check = _OPTION_CHECKS[sub] if sub else _CHECKS[key]
    problem = check(value)
    if problem:
        raise JobFileError(f"{key} {problem}.", key=key)


def check_job(job: Job) -> None:
    """The checks that concern several keys, or a key that is missing."""
    if job.dumps and job.dumps_glob:
        raise JobFileError("dumps_glob cannot be given with dumps: give one of them.", key="dumps_glob")
    if not job.dumps and not job.dumps_glob:
        raise JobFileError("dumps (or dumps_glob) is missing: say which dumps the job reads.", key="dumps")
    if not job.types:
        raise JobFileError("types is missing: say which exports the job writes.", key="types")
    if not job.out_dir:
        raise JobFileError("out_dir is missing: say where the job writes its files.", key="out_dir")
    if len(job.export_types) > 1 and not job.one_workbook:
        used = set(names.fields_of(job.pattern)) | set(names.fields_of(job.out_dir))
        if not used & names.TYPE_FIELDS:
            raise JobFileError(
                "name_pattern gives every export the same file name; put {type} in it.",
                key="name_pattern",
            )


# ----- reading and writing ---------------------------------------------------------------------


def load_job(path: str | os.PathLike[str]) -> Job:
    """Read and check a job file; ``JobFileError`` (one sentence, key and line) if it is wrong.

    An unreadable file raises ``JobFileError`` too (the command line's exit 2).
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise JobFileError(f"cannot read the job file {path}: {err.strerror or err}.") from None
    except UnicodeDecodeError:
        raise JobFileError(f"the job file {path.name} is not UTF-8 text.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise JobFileError(f"{path.name} is not a valid TOML file: {err}.") from None
    return _job_from(data, text, path)


def _job_from(data: dict, text: str, path: Path) -> Job:
    def fail(key: str, problem: str, table: str | None = None):
        line = key_line(text, key, table)
        where = f"{path.name}, line {line}" if line else path.name
        shown = f"{table}.{key}" if table else key
        raise JobFileError(f"{where}: {shown} {problem}.", key=shown, line=line)

    for key in data:
        if key not in _CHECKS:
            fail(key, f"is not a key of a job file (the keys: {', '.join(_CHECKS)})")
    for key, value in data.items():
        if problem := _CHECKS[key](value):
            fail(key, problem)
    for key, value in (data.get("options") or {}).items():
        if key not in _OPTION_CHECKS:
            fail(key, f"is not an option (the options: {', '.join(_OPTION_CHECKS)})", "options")
        if problem := _OPTION_CHECKS[key](value):
            fail(key, problem, "options")
    for key in REQUIRED:
        if key not in data:
            raise JobFileError(f"{path.name}: {key} is missing (required).", key=key)
    job = Job(**{**data, "path": path})
    try:
        check_job(job)
    except JobFileError as err:
        if err.key in data:
            fail(err.key, str(err).removeprefix(f"{err.key} ").rstrip("."))
        raise JobFileError(f"{path.name}: {err}", key=err.key) from None
    return job


def job_to_toml(job: Job) -> str:
    """The job as a job file's text; ``load_job`` reads it back to an equal ``Job``."""
    lines = ["# A SparkDesk export job (jobs.md); run it with: sparkdesk run THIS_FILE"]
    for key, value in job.to_dict().items():
        lines.append(f"{key} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def save_job(job: Job, path: str | os.PathLike[str]) -> Path:
    """Check ``job`` and write it to ``path`` whole or not at all (the folder is created).

    Returns the path written. The job's relative paths stay as they are, so they are then
    taken from ``path``'s folder.
    """
    check_job(job)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path) as out:
        out.write(job_to_toml(job).encode("utf-8"))
    return path


def user_jobs_dir() -> Path:
    """The folder of the user's job files (the window lists it): the user data folder's ``jobs``."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("SparkDesk", appauthor=False)) / "jobs"
