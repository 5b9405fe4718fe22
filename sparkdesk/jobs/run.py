"""Running a job (jobs.md): resolve the range and the dumps, compute, write, leave a receipt.

The run is all or nothing. Every file is first written whole under a hidden staging
name in its own folder; only when every export is computed and every file written are
they renamed into place (``os.replace``: a file of the same name is replaced
atomically). A failure leaves no output file, only the receipt with its one-sentence
error. The ``since-last-run`` state (``<job>.state.json``) is written after the
receipt, so a run whose files are not all in place never moves it on.

Where the receipt goes: "beside the files". ``out_dir`` may hold fields; the receipt's
folder is ``out_dir`` up to (not including) the first folder that holds a field other
than ``{from}``, ``{to}``, ``{run}`` and ``{tz}`` (those are known before the dumps are
read, so a refused dump's receipt lands in the same folder as a good run's).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import glob
import hashlib
import json
import logging
import os
import re
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sparkdesk.files import atomic_output
from sparkdesk.tasks import Cancelled, CancelToken, Progress, ProgressFn, as_progress

from . import names
from .model import Job, check_job
from .ranges import resolve_range, run_day

log = logging.getLogger("sparkdesk.jobs")

RUN_LEVEL_FIELDS = frozenset({"from", "to", "run", "tz"})
SUMMARY_WARNING = (
    "summary = true is accepted but not applied: the Summary sheet (summary.md) is not "
    "available in this version, so the files have no Summary sheet."
)


class RunError(Exception):
    """The run cannot be done (no dump matches the glob, ...): one sentence for the receipt."""


@dataclass(frozen=True)
class Output:
    """One file of a run: the exports it holds and their row counts."""

    path: Path
    types: tuple[str, ...]
    rows: dict[str, int] = field(default_factory=dict)
    sha256: str | None = None
    size: int | None = None

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "types": list(self.types),
            "rows": sum(self.rows.values()) if self.rows else None,
            "rows_by_type": dict(self.rows),
            "bytes": self.size,
            "sha256": self.sha256,
        }


@dataclass
class Receipt:
    """What a run did: ``ok``, the ``error`` sentence when not, the files, the range."""

    job: Job
    run: str  # the run's start, YYYYMMDDTHHMMSS in the job's zone ({run})
    started: dt.datetime
    as_of: dt.date
    first_day: dt.date
    last_day: dt.date
    ok: bool = False
    error: str | None = None
    outputs: list[Output] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    report: dict | None = None
    warnings: list[str] = field(default_factory=list)
    finished: dt.datetime | None = None
    receipt_path: Path | None = None
    dry_run: bool = False

    @property
    def range(self) -> tuple[dt.date, dt.date]:
        return self.first_day, self.last_day

    @property
    def nothing_new(self) -> bool:
        """``since-last-run`` found no day after the last run's last day: no file to write."""
        return self.first_day > self.last_day

    def as_dict(self) -> dict:
        from sparkdesk import __version__

        tz = ZoneInfo(self.job.zone)
        return {
            "sparkdesk_version": __version__,
            "ok": self.ok,
            "error": self.error,
            "job": {"path": str(self.job.path) if self.job.path else None, **self.job.to_dict(full=True)},
            "run": self.run,
            "as_of": self.as_of.isoformat(),
            "range": {
                "name": self.job.range,
                "tz": self.job.zone,
                "first_day": self.first_day.isoformat(),
                "last_day": self.last_day.isoformat(),
            },
            "started": self.started.astimezone(tz).isoformat(timespec="milliseconds"),
            "finished": self.finished.astimezone(tz).isoformat(timespec="milliseconds")
            if self.finished
            else None,
            "inputs": self.inputs,
            "outputs": [o.as_dict() for o in self.outputs],
            "import_report": self.report,
            "warnings": self.warnings,
        }


# ----- the run -----------------------------------------------------------------------------------


def run_job(
    job: Job,
    *,
    as_of: dt.date | None = None,
    dry_run: bool = False,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
    now: dt.datetime | None = None,
    memory_limit: int | None = None,
) -> Receipt:
    """Run ``job`` once; the receipt says how it went (``ok``, ``error``) and is also written
    as ``run-<run>.json`` beside the files (not with ``dry_run``, which writes nothing).

    ``as_of`` is the run day (default: today in the job's zone); ``now`` the run's start
    (default: the clock), for ``{run}`` and the receipt; ``memory_limit`` the budget of every
    export's computation (cli.md ``--memory-limit``; None: none). A wrong job raises
    ``JobFileError``; everything that goes wrong after that is in the receipt, except a
    cancel, which raises ``Cancelled`` after the receipt is written.
    """
    check_job(job)
    prog = as_progress(progress, cancel)
    started = now if now is not None else dt.datetime.now(dt.UTC)
    tz = job.zone
    stamp = started.astimezone(ZoneInfo(tz)).strftime("%Y%m%dT%H%M%S")
    day = as_of if as_of is not None else run_day(tz, started)
    first, last = resolve_range(job, day, tz, job.week_starts, read_state(job))
    receipt = Receipt(job, stamp, started, day, first, last, dry_run=dry_run)
    if job.summary:
        receipt.warnings.append(SUMMARY_WARNING)
    if job.range == "since-last-run" and job.path is None:
        receipt.warnings.append("since-last-run keeps no state for a job that is not saved to a file.")
    try:
        _run(job, receipt, prog, memory_limit)
        receipt.ok = True
    except Cancelled:
        receipt.error = "The run was cancelled."
        _finish(receipt)
        raise
    except Exception as err:  # every failure is a sentence in the receipt, never a traceback
        receipt.error = error_sentence(err)
    _finish(receipt)
    return receipt


def _run(job: Job, receipt: Receipt, prog: Progress, memory_limit: int | None = None) -> None:
    if receipt.nothing_new:
        receipt.warnings.append(
            f"Nothing new: the last run already covered every day up to {receipt.last_day}; no file written."
        )
        return
    paths = dump_paths(job)
    values = _run_values(job, receipt, org=None)
    if receipt.dry_run:
        if "org" in _used_fields(job):
            values["org"] = _organization(paths)
        receipt.outputs = [Output(p, t) for p, t in plan_files(job, values)]
        return
    receipt.inputs = input_files(paths, prog.sub(0.0, 0.05))
    from sparkdesk.dump import load_dumps

    dump = load_dumps(paths, prog.sub(0.05, 0.45))
    receipt.report = report_counts(dump)
    values["org"] = dump.organization or ""
    planned = plan_files(job, values)
    rows = write_outputs(job, dump, receipt, planned, prog.sub(0.45, 0.97), memory_limit)
    receipt.outputs = [
        Output(p, types, {t: rows[t] for t in types}, sha256_of(p), p.stat().st_size) for p, types in planned
    ]
    prog.step(1.0, "Done", force=True)


def _finish(receipt: Receipt) -> None:
    """The end time, the receipt file, and (after a good run) the since-last-run state."""
    receipt.finished = dt.datetime.now(dt.UTC)
    if receipt.dry_run:
        return
    try:
        receipt.receipt_path = write_receipt(receipt)
    except OSError as err:
        receipt.ok = False
        receipt.error = receipt.error or f"The receipt could not be written: {error_sentence(err)}"
        return
    if receipt.ok and receipt.job.range == "since-last-run" and not receipt.nothing_new:
        try:
            write_state(receipt)
        except OSError as err:
            receipt.ok = False
            receipt.error = f"The since-last-run state could not be written: {error_sentence(err)}"


def error_sentence(err: BaseException) -> str:
    """One sentence for the receipt and the command line."""
    if isinstance(err, OSError):
        where = f" {err.filename}" if err.filename else ""
        return f"Cannot write or read{where}: {err.strerror or err}."
    from sparkdesk.dump.model import DumpRefused
    from sparkdesk.exports import UnknownChannel
    from sparkdesk.memory import MemoryLimitTooSmall

    if isinstance(err, DumpRefused | RunError | UnknownChannel | MemoryLimitTooSmall):
        return str(err)
    log.error("unexpected error in a job run", exc_info=err)
    return f"Unexpected error: {err}."


# ----- inputs ------------------------------------------------------------------------------------


def dump_paths(job: Job) -> list[Path]:
    """The dumps the job reads: ``dumps`` as given, or every ``dumps_glob`` match, newest last
    (by modification time, then name). Relative paths start from the job file's folder."""
    if job.dumps:
        return [_from_job(job, d) for d in job.dumps]
    pattern = _from_job(job, job.dumps_glob or "")
    matches = [Path(m) for m in glob.glob(str(pattern), recursive=True)]
    if not matches:
        raise RunError(f"dumps_glob {job.dumps_glob} matches no file or folder.")
    return sorted(matches, key=lambda p: (p.stat().st_mtime_ns, str(p)))


def _from_job(job: Job, text: str) -> Path:
    path = Path(os.path.expanduser(text))
    return Path(os.path.normpath(path if path.is_absolute() else job.folder / path))


def input_files(paths: list[Path], prog: Progress) -> list[dict]:
    """Every file read (a folder's files, recursively) with its size and SHA-256."""
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p])
    out = []
    for i, f in enumerate(files):
        prog.step(i / max(len(files), 1), f"Checksum of {f.name}")
        if f.exists():  # a missing dump is refused by the reader, with its own sentence
            out.append({"path": str(f), "bytes": f.stat().st_size, "sha256": sha256_of(f)})
    return out


def sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _organization(paths: list[Path]) -> str:
    from sparkdesk.dump import load_dumps

    return load_dumps(paths).organization or ""


def report_counts(dump) -> dict:
    """The import report's counts: per table, and per table, kind and reason."""
    return {
        "tables": {name: dataclasses.asdict(st) for name, st in dump.report.stats.items()},
        "problems": [
            {"table": r.table, "kind": r.kind, "reason": r.reason, "count": int(r.count)}
            for r in dump.report.reason_counts().itertuples(index=False)
        ],
    }


def _params(job: Job, receipt: Receipt, type_id: str):
    from sparkdesk.exports import ExportParams

    return ExportParams(
        type_id,
        job.zone,
        receipt.first_day,
        receipt.last_day,
        tuple(job.channels),
        include_content=job.options.content,
    )


# ----- names and files ---------------------------------------------------------------------------


def _used_fields(job: Job) -> set[str]:
    return set(names.fields_of(job.pattern)) | set(names.fields_of(job.out_dir))


def _run_values(job: Job, receipt: Receipt, org: str | None) -> dict[str, str]:
    values = {
        "from": receipt.first_day.isoformat(),
        "to": receipt.last_day.isoformat(),
        "run": receipt.run,
        "tz": job.zone.replace("/", "-"),
        "ext": job.format,
    }
    if org is not None:
        values["org"] = org
    return values


def plan_files(job: Job, values: dict[str, str]) -> list[tuple[Path, tuple[str, ...]]]:
    """(path, export ids) of each file the run writes: one per export, or one workbook."""
    from sparkdesk.catalogue import export_type

    groups = [job.export_types] if job.one_workbook else [(t,) for t in job.export_types]
    planned = []
    for types in groups:
        per_file = {"uuid": str(uuid.uuid4())}
        if len(types) == 1:
            per_file |= {"type": types[0], "name": export_type(types[0]).name(job.lang)}
        all_values = {**values, **per_file}
        folder = _from_job(job, names.render(job.out_dir, all_values))
        planned.append((folder / names.render(job.pattern, all_values), types))
    paths = [p for p, _ in planned]
    if len(set(paths)) < len(paths):
        raise RunError("name_pattern gives two files of this run the same name; put {type} in it.")
    return planned


def write_outputs(
    job: Job, dump, receipt: Receipt, planned, prog: Progress, memory_limit: int | None
) -> dict[str, int]:
    """Compute every export and write every file under a staging name, then rename them all
    into place; the rows of each export.

    A file of one export is written as it is computed (``export_to_file``): no result is
    held beside another, and one larger than the budget streams to its file. A workbook of
    several exports is laid out from their tables, computed first.
    """
    from sparkdesk.exports import compute, export_to_file
    from sparkdesk.writers import WriteOptions, write_all

    options = WriteOptions(
        lang=job.lang,
        tz=job.zone,
        time_format=job.options.time_format,
        bom=job.options.bom,
        formula_guard=job.options.formula_guard,
    )
    staged: list[tuple[Path, Path]] = []
    made: list[Path] = []
    rows: dict[str, int] = {}
    try:
        for i, (final, types) in enumerate(planned):
            _make_folder(final.parent, made)
            stage = final.with_name(f".{final.name}.{secrets.token_hex(4)}.part{final.suffix}")
            staged.append((stage, final))
            sub = prog.sub(i / len(planned), (i + 1) / len(planned))
            if len(types) == 1:
                sub.step(0.0, f"Computing {types[0]}", force=True)
                params = _params(job, receipt, types[0])
                rows[types[0]] = export_to_file(
                    dump, params, stage, options, job.format, sub, memory_limit=memory_limit
                )
                continue
            tables = {}
            for k, type_id in enumerate(types):
                part = sub.sub(0.8 * k / len(types), 0.8 * (k + 1) / len(types))
                part.step(0.0, f"Computing {type_id}", force=True)
                tables[type_id] = compute(
                    dump, _params(job, receipt, type_id), part, memory_limit=memory_limit
                )
                rows[type_id] = len(tables[type_id])
            write_all(tables, stage, options, fmt="xlsx", progress=sub.sub(0.8, 1.0))
        prog.check()
        for stage, final in staged:
            os.replace(stage, final)
    except BaseException:
        for stage, _ in staged:
            with contextlib.suppress(OSError):
                stage.unlink()
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only folders this run made, and only when empty
        raise
    return rows


def _make_folder(folder: Path, made: list[Path]) -> None:
    missing = []
    probe = folder
    while not probe.exists() and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True)
    made.extend(reversed(missing))


# ----- the receipt and the state -----------------------------------------------------------------


def receipt_folder(job: Job, values: dict[str, str] | None) -> Path:
    """Where a run's receipt goes (module docstring); with ``values`` None, a glob pattern."""
    parts = re.split(r"(?<=[/\\])", job.out_dir)
    kept = []
    for part in parts:
        if not set(names.fields_of(part)) <= RUN_LEVEL_FIELDS:
            break
        kept.append(part)
    text = "".join(kept)
    if values is None:
        base = _from_job(job, names.static_prefix(text) or ".")
        rest = text[len(names.static_prefix(text)) :]
        return Path(glob.escape(str(base))) / names.as_glob(rest) if rest else Path(glob.escape(str(base)))
    return _from_job(job, names.render(text, values) or ".")


def write_receipt(receipt: Receipt) -> Path:
    folder = receipt_folder(receipt.job, _run_values(receipt.job, receipt, org=None))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{receipt.run}.json"
    n = 2
    while path.exists():  # another job, same folder, same second: keep both receipts
        path = folder / f"run-{receipt.run}-{n}.json"
        n += 1
    receipt.receipt_path = path
    text = json.dumps(receipt.as_dict(), indent=2, ensure_ascii=False) + "\n"
    with atomic_output(path) as out:
        out.write(text.encode("utf-8"))
    return path


def state_path(job: Job) -> Path | None:
    """``<job>.state.json`` beside the job file (None for a job not saved to a file)."""
    return job.path.with_name(f"{job.path.stem}.state.json") if job.path is not None else None


def read_state(job: Job) -> dict | None:
    """The since-last-run state, or None (first run, or another range)."""
    path = state_path(job)
    if job.range != "since-last-run" or path is None or not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        dt.date.fromisoformat(state["last_day"])
    except (OSError, ValueError, KeyError, TypeError):
        from .model import JobFileError

        raise JobFileError(
            f"{path.name} is not a since-last-run state file SparkDesk wrote; delete it to start afresh."
        ) from None
    return state


def write_state(receipt: Receipt) -> None:
    path = state_path(receipt.job)
    if path is None:
        return
    state = {
        "last_day": receipt.last_day.isoformat(),
        "first_day": receipt.first_day.isoformat(),
        "run": receipt.run,
        "receipt": str(receipt.receipt_path),
    }
    with atomic_output(path) as out:
        out.write((json.dumps(state, indent=2) + "\n").encode("utf-8"))


def last_receipt(job_path: str | os.PathLike[str]) -> dict | None:
    """The newest receipt of the job in ``job_path`` (its ``run-*.json`` with this job's
    path), as a dict; None when it never ran or the job file cannot be read."""
    from .model import JobFileError, load_job

    try:
        job = load_job(job_path)
    except JobFileError:
        return None
    pattern = receipt_folder(job, None) / "run-*.json"
    candidates = sorted(glob.glob(str(pattern)), key=lambda p: (Path(p).name, p), reverse=True)
    for candidate in candidates:
        try:
            data = json.loads(Path(candidate).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and (data.get("job") or {}).get("path") == str(job.path):
            return data
    return None
