"""The `sparkdesk` command line (cli.md): a thin layer over the same core the window uses.

Errors are one sentence on standard error and an exit status (1: the dump was refused,
2: the command line is wrong); a traceback never reaches the user, it goes to the log.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from sparkdesk import __version__
from sparkdesk.catalogue import EXPORT_IDS, HEADER_LANGS, export_type
from sparkdesk.localzone import local_zone_name
from sparkdesk.memory import ENV_VAR as MEMORY_ENV_VAR
from sparkdesk.memory import MemoryLimitTooSmall, explicit_memory_limit, parse_size, resolve_memory_limit

log = logging.getLogger("sparkdesk")

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """The command line is wrong; the message is one sentence."""


_DAY_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(text: str) -> dt.date:
    """A calendar day written exactly ``YYYY-MM-DD`` (cli.md).

    ``date.fromisoformat`` alone also takes ISO week dates (``2025-W11-1``), ordinal
    dates (``2025-070``) and the basic form (``20250310``), which a user would not expect
    a date option to read; the form is checked first.
    """
    try:
        if _DAY_FORM.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}")


def _zone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ValueError, OSError, KeyError):
        raise argparse.ArgumentTypeError(f"unknown time zone: {text!r}") from None
    return text


NO_CACHE_HELP = "read the dumps afresh and keep no copy of them in the user cache folder"
QUIET_HELP = "show no progress line (shown on standard error when it is a terminal)"
MEMORY_HELP = (
    f"the most memory the computation may hold, such as 512MiB or 4GiB (also {MEMORY_ENV_VAR}; "
    "default: half of this computer's memory)"
)


def _size(text: str) -> int:
    """A size for --memory-limit (``sparkdesk.memory.parse_size``): bytes."""
    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_memory_limit(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--memory-limit", type=_size, metavar="SIZE", help=MEMORY_HELP)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sparkdesk", description="Sparkcentral data exports, built offline from raw data dumps."
    )
    parser.add_argument("--version", action="version", version=f"sparkdesk {__version__}")
    sub = parser.add_subparsers(dest="command")

    gui = sub.add_parser("gui", help="open the window (the default)")
    gui.add_argument("dumps", nargs="*", metavar="DUMP")
    gui.add_argument("--screenshot", metavar="PATH", help="render the window to a PNG and exit")
    gui.add_argument(
        "--type", dest="export_type", choices=EXPORT_IDS, help="with --screenshot: generate this export"
    )
    gui.add_argument("--tz", type=_zone, help="time zone to preselect")
    _add_memory_limit(gui)

    exp = sub.add_parser("export", help="write one export (or all) from dumps")
    exp.add_argument("dumps", nargs="+", metavar="DUMP")
    exp.add_argument("--type", required=True, help="one of: " + ", ".join(EXPORT_IDS) + ", or all")
    exp.add_argument("--tz", type=_zone, default=None, help="IANA time zone (default: the computer's)")
    exp.add_argument("--from", dest="first_day", type=_date, help="first day, YYYY-MM-DD")
    exp.add_argument("--to", dest="last_day", type=_date, help="last day (inclusive), YYYY-MM-DD")
    exp.add_argument("--channel", action="append", default=[], help="keep this channel id (repeatable)")
    exp.add_argument("--lang", choices=list(HEADER_LANGS), default="en")
    exp.add_argument("--format", dest="fmt", choices=["csv", "xlsx", "parquet"])
    exp.add_argument("--out", default="-", help="file to write ('-': CSV on standard output)")
    exp.add_argument("--time-format", choices=["local", "iso"], default="local")
    exp.add_argument("--no-content", action="store_true")
    exp.add_argument("--no-bom", action="store_true")
    exp.add_argument("--no-formula-guard", action="store_true")
    exp.add_argument("--report", metavar="PATH", help="write the import report as CSV")
    exp.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    exp.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    _add_memory_limit(exp)

    ins = sub.add_parser("inspect", help="what is in the dumps, and what is wrong with them")
    ins.add_argument("dumps", nargs="+", metavar="DUMP")
    ins.add_argument("--json", action="store_true")
    ins.add_argument("--no-cache", action="store_true", help=NO_CACHE_HELP)
    ins.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    _add_memory_limit(ins)

    run = sub.add_parser("run", help="run a saved export job (a TOML job file)")
    run.add_argument("job", metavar="JOB.toml")
    run.add_argument("--as-of", type=_date, help="the run day, YYYY-MM-DD (default: today in the job's zone)")
    run.add_argument("--dry-run", action="store_true", help="print the range and the files; write nothing")
    run.add_argument("--quiet", action="store_true", help="no progress line")
    _add_memory_limit(run)

    demo = sub.add_parser("demo", help="write a synthetic dump")
    demo.add_argument("out_dir", metavar="OUT_DIR")
    demo.add_argument("--conversations", type=int, default=500)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--zip", action="store_true")
    _add_schedule_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sparkdesk` console script and `python -m sparkdesk`."""
    args = build_parser().parse_args(argv)
    try:
        if args.command in (None, "gui"):
            return _gui(args)
        if args.command == "export":
            return _export(args)
        if args.command == "inspect":
            return _inspect(args)
        if args.command == "demo":
            return _demo(args)
        if args.command == "run":
            return _run_job(args)
        if args.command == "schedule":
            return _schedule(args)
    except UsageError as err:
        print(f"sparkdesk: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sparkdesk: interrupted.", file=sys.stderr)
        return 130
    except OSError as err:  # a file that cannot be read or written: say which, and why
        where = f" {err.filename}" if err.filename else ""
        print(f"sparkdesk: cannot write or read{where}: {err.strerror or err}.", file=sys.stderr)
        return EXIT_REFUSED
    except ImportError as err:  # a broken install: importing anything more would fail again
        print(
            f"sparkdesk: this installation is incomplete ({err}); reinstall SparkDesk.",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    except Exception as err:  # never a traceback on the terminal
        if _is_refusal(err):
            print(f"sparkdesk: {err}", file=sys.stderr)
            return EXIT_REFUSED
        path = _log_exception(err)
        print(f"sparkdesk: unexpected error: {err}. Details: {path}", file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_USAGE


def _is_refusal(err: Exception) -> bool:
    """Is this the dump being refused, a memory limit too small for it, or a worker process
    that could not do its part (one sentence for the user), not a bug?"""
    if isinstance(err, MemoryLimitTooSmall):
        return True
    try:
        from sparkdesk.dump.model import DumpRefused
        from sparkdesk.exports.workers import PartReadError, WorkerDied
    except ImportError:  # the core itself cannot load: not a refusal
        return False
    return isinstance(err, DumpRefused | PartReadError | WorkerDied)


def _log_exception(err: BaseException) -> str:
    """Write the traceback to the user's log folder; return where."""
    import traceback

    try:
        from platformdirs import user_log_dir

        folder = Path(user_log_dir("SparkDesk", appauthor=False))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "sparkdesk.log"
        with open(path, "a", encoding="utf-8") as out:
            out.write(f"--- {dt.datetime.now().isoformat()}\n")
            out.write("".join(traceback.format_exception(err)))
        return str(path)
    except (OSError, ImportError):
        return "(the log folder is not writable)"


# ----- gui -------------------------------------------------------------------------------------


def _gui(args: argparse.Namespace) -> int:
    from sparkdesk.gui.app import run

    return run(
        list(getattr(args, "dumps", []) or []),
        screenshot=getattr(args, "screenshot", None),
        export_type=getattr(args, "export_type", None),
        tz=getattr(args, "tz", None),
        memory_limit=_explicit_memory_limit(args),
    )


# ----- memory limit and progress (export, inspect, gui) ---------------------------------------


def _explicit_memory_limit(args: argparse.Namespace) -> int | None:
    """--memory-limit, else SPARKDESK_MEMORY_LIMIT, in bytes; None when neither is given.
    An environment value that is not a size is a wrong command line (exit status 2)."""
    import os

    try:
        return explicit_memory_limit(getattr(args, "memory_limit", None), os.environ)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _memory_limit(args: argparse.Namespace) -> int:
    """The budget in force (cli.md): the flag, else the environment, else half the memory."""
    import os

    try:
        return resolve_memory_limit(getattr(args, "memory_limit", None), os.environ)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _progress_line(args: argparse.Namespace):
    """The command's progress line on standard error (nothing with --quiet or off a terminal)."""
    from sparkdesk.progress_line import progress_line

    return progress_line(quiet=getattr(args, "quiet", False))


# ----- export ----------------------------------------------------------------------------------


def _export(args: argparse.Namespace) -> int:
    with _progress_line(args) as line:  # erased before any sentence that follows
        return _export_steps(args, line)


def _export_steps(args: argparse.Namespace, line) -> int:
    from sparkdesk.dump import load_dumps
    from sparkdesk.exports import ExportParams
    from sparkdesk.writers import WriteOptions

    types = _export_types(args.type)
    if args.first_day and args.last_day and args.last_day < args.first_day:
        raise UsageError(f"--to ({args.last_day}) is before --from ({args.first_day}).")
    fmt = _format_of(args)
    if len(types) > 1 and args.out == "-":
        raise UsageError("--type all needs --out: a folder, or an .xlsx file.")
    if fmt in ("xlsx", "parquet") and args.out == "-":
        raise UsageError(f"{fmt.upper()} cannot be written to standard output; give --out FILE.{fmt}.")
    if len(types) > 1 and args.out != "-" and Path(args.out).suffix.lower() == ".parquet":
        raise UsageError("--type all writes one Parquet file per export: give --out a folder.")
    if args.out != "-":
        parent = Path(args.out).resolve().parent
        if not parent.is_dir():
            raise UsageError(f"the folder {parent} does not exist.")
    tz = args.tz or local_zone_name()
    memory_limit = _memory_limit(args)
    dump = load_dumps(args.dumps, progress=line.stage("Import"), cache=not args.no_cache)
    line.clear()
    _summarise_report(dump)
    if args.report:
        from sparkdesk.dump.report import write_report_csv

        write_report_csv(dump.report, args.report)
    options = WriteOptions(
        lang=args.lang,
        tz=tz,
        time_format=args.time_format,
        bom=not args.no_bom,
        formula_guard=not args.no_formula_guard,
    )

    def params(type_id: str) -> ExportParams:
        return ExportParams(
            type_id,
            tz,
            args.first_day,
            args.last_day,
            tuple(args.channel),
            include_content=not args.no_content,
        )

    def writing():
        if args.out == "-" and sys.stdout.isatty():
            line.close()  # the CSV goes to the same screen: the line would cut into it
        return line.stage("Write")

    if len(types) == 1:  # written as it is computed: a result larger than the budget streams
        _export_one(dump, params(types[0]), args.out, options, fmt or "csv", line, writing, memory_limit)
        return EXIT_OK
    if Path(args.out).suffix.lower() != ".xlsx":  # a folder: one file per export, each streamed
        _export_to_folder(dump, [params(t) for t in types], Path(args.out), options, fmt, line, memory_limit)
        return EXIT_OK
    tables = {}  # one workbook: its sheets are written together
    for i, type_id in enumerate(types):
        step = f"Compute {i + 1}/{len(types)} {type_id}"
        tables[type_id] = _compute(dump, params(type_id), line.stage(step), memory_limit)
    _write(tables, args.out, options, fmt, writing())
    return EXIT_OK


def _export_one(
    dump, params, out, options, fmt: str, line, writing, memory_limit: int, step: str | None = None
) -> None:
    """One export, computed and written by the core's ``export_to_file`` (``step``: its name on
    the progress line); an unknown channel is a wrong command line."""
    from sparkdesk.exports import UnknownChannel, export_to_file

    try:
        export_to_file(
            dump,
            params,
            out,
            options,
            fmt,
            line.stage(step or f"Compute {params.type}"),
            memory_limit=memory_limit,
            write_progress=writing,
        )
    except UnknownChannel as err:
        raise UsageError(str(err)) from None


def _export_to_folder(
    dump, every: list, folder: Path, options, fmt: str | None, line, memory_limit: int
) -> None:
    """``--type all`` into a folder: the files ``writers.write_all`` writes (``<type>.<ext>``,
    each whole), but each export is written as it is computed, one at a time, so that no
    result is held beside another and one larger than the budget streams to its file."""
    from sparkdesk.writers import format_for

    ext = format_for("", fmt)
    folder.mkdir(parents=True, exist_ok=True)
    for i, params in enumerate(every):
        step = f"Compute {i + 1}/{len(every)} {params.type}"
        writing = functools.partial(line.stage, f"Write {params.type}")
        _export_one(
            dump, params, folder / f"{params.type}.{ext}", options, ext, line, writing, memory_limit, step
        )


def _compute(dump, params, progress, memory_limit: int):
    """One export's table within the memory budget; an unknown channel is a wrong command line."""
    from sparkdesk.exports import UnknownChannel, compute

    try:
        return compute(dump, params, progress, memory_limit=memory_limit)
    except UnknownChannel as err:
        raise UsageError(str(err)) from None


def _export_types(value: str) -> list[str]:
    if value == "all":
        return list(EXPORT_IDS)
    if value not in EXPORT_IDS:
        raise UsageError(f"unknown export type {value!r}; choose one of: {', '.join(EXPORT_IDS)}, or all.")
    return [value]


def _format_of(args: argparse.Namespace) -> str | None:
    from sparkdesk.writers import format_for

    fmt = format_for(args.out, args.fmt)
    if args.type == "all" and args.out != "-" and args.fmt is None and fmt != "xlsx":
        return None  # a folder: CSV files, unless --format says otherwise
    return fmt


def _write(tables: dict, out: str, options, fmt: str | None, progress=None) -> None:
    from sparkdesk.writers import write_all, write_export

    if len(tables) == 1:
        ((type_id, table),) = tables.items()
        write_export(table, export_type(type_id), out, options, fmt=fmt or "csv", progress=progress)
    else:
        write_all(tables, out, options, fmt=fmt, progress=progress)


def _summarise_report(dump) -> None:
    """Rejected rows and warnings as counts per table and reason, on standard error."""
    counts = dump.report.reason_counts()
    for row in counts.itertuples(index=False):  # one line per (table, reason): a short list
        print(f"sparkdesk: {row.table}: {row.count} {row.kind}: {row.reason}", file=sys.stderr)


# ----- inspect ---------------------------------------------------------------------------------


def inspect_summary(dump, progress=None, memory_limit: int | None = None) -> dict:
    """What `inspect` prints, as plain data (also its --json form); its problems are those
    of the window's import report (``sparkdesk.inspection``), whose lock sessions report
    to ``progress`` and are checked inside ``memory_limit``."""
    from sparkdesk.inspection import dump_report

    rep = dump.report
    span = dump.time_span()
    channels = dump.channels()
    return {
        "sources": [str(s) for s in dump.sources],
        "organization": dump.organization,
        "snapshot": dump.snapshot.isoformat() if dump.snapshot is not None else None,
        "time_span": [span[0].isoformat(), span[1].isoformat()] if span else None,
        "tables": {
            name: {
                "files": list(st.files),
                "read": st.read,
                "accepted": st.accepted,
                "rejected": st.rejected,
                "duplicates": st.duplicates,
                "after_snapshot": st.after_snapshot,
            }
            for name, st in rep.stats.items()
        },
        "channels": [
            {"channel_id": r.channel_id, "medium": _none(r.medium), "name": _none(r.name)}
            for r in channels.itertuples(index=False)
        ],
        "ignored_files": list(rep.ignored_files),
        "problems": [
            {"table": r.table, "kind": r.kind, "reason": r.reason, "count": int(r.count)}
            for r in dump_report(dump, progress, memory_limit=memory_limit).problems().itertuples(index=False)
        ],
    }


def _none(value):
    """None for any missing value (None, NaN, pd.NA), else the value."""
    import pandas as pd

    return None if pd.isna(value) else value


def _inspect(args: argparse.Namespace) -> int:
    from sparkdesk.dump import load_dumps

    memory_limit = _memory_limit(args)  # a fresh import is still read whole (issue 14)
    with _progress_line(args) as line:  # erased before the summary is printed
        dump = load_dumps(args.dumps, progress=line.stage("Import"), cache=not args.no_cache)
        summary = inspect_summary(dump, line.stage("Check lock sessions"), memory_limit)
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"Dump: {', '.join(summary['sources'])}")
    if summary["organization"]:
        print(f"Organization: {summary['organization']}")
    print(f"Snapshot: {summary['snapshot']}")
    span = summary["time_span"]
    print(f"Time span: {span[0]} to {span[1]}" if span else "Time span: no data")
    print()
    print(f"{'table':<22}{'read':>10}{'accepted':>10}{'rejected':>10}{'duplicates':>12}  files")
    for name, st in summary["tables"].items():
        files = ", ".join(st["files"]) or "-"
        print(
            f"{name:<22}{st['read']:>10}{st['accepted']:>10}{st['rejected']:>10}{st['duplicates']:>12}  {files}"
        )
    print()
    print(f"Channels ({len(summary['channels'])}):")
    for ch in summary["channels"]:
        print(f"  {ch['channel_id']}  {ch['medium'] or '-'}  {ch['name'] or '-'}")
    if summary["ignored_files"]:
        print()
        print("Ignored files:")
        for name in summary["ignored_files"]:
            print(f"  {name}")
    if summary["problems"]:
        print()
        print("Warnings and rejections:")
        for p in summary["problems"]:
            print(f"  {p['table']}: {p['count']} {p['kind']}: {p['reason']}")
    return EXIT_OK


# ----- run -------------------------------------------------------------------------------------


def _run_job(args: argparse.Namespace) -> int:
    """`sparkdesk run JOB.toml`: 0 every file written, 1 refused or not written (the receipt
    says which), 2 a wrong job file (one sentence with the key and its line)."""
    from sparkdesk.jobs import JobFileError, load_job, run_job

    try:
        job = load_job(args.job)
        memory_limit = _memory_limit(args)
        with _progress_line(args) as line:  # erased before the receipt's lines
            receipt = run_job(
                job,
                as_of=args.as_of,
                dry_run=args.dry_run,
                progress=line.stage("Run"),
                memory_limit=memory_limit,
            )
    except JobFileError as err:
        raise UsageError(str(err)) from None
    for warning in receipt.warnings:
        print(f"sparkdesk: {warning}", file=sys.stderr)
    first, last = receipt.range
    if args.dry_run:
        print(f"{job.title}: {job.range} is {first} to {last} ({job.zone}), run day {receipt.as_of}")
        for output in receipt.outputs:
            print(output.path)
        return EXIT_OK
    if receipt.report is not None:
        for problem in receipt.report["problems"]:
            print(
                f"sparkdesk: {problem['table']}: {problem['count']} {problem['kind']}: {problem['reason']}",
                file=sys.stderr,
            )
    if not receipt.ok:
        print(f"sparkdesk: {receipt.error}", file=sys.stderr)
        if receipt.receipt_path:
            print(f"sparkdesk: receipt: {receipt.receipt_path}", file=sys.stderr)
        return EXIT_REFUSED
    for output in receipt.outputs:
        print(output.path)
    print(receipt.receipt_path)
    return EXIT_OK


# ----- demo ------------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from sparkdesk.demo import write_demo

    if args.conversations < 1:
        raise UsageError("--conversations must be at least 1.")
    path = write_demo(args.out_dir, conversations=args.conversations, seed=args.seed, as_zip=args.zip)
    print(path)
    return EXIT_OK


# ----- schedule --------------------------------------------------------------------------------


def _add_schedule_parser(sub) -> None:
    sched = sub.add_parser("schedule", help="run jobs on time with the computer's own scheduler")
    what = sched.add_subparsers(dest="schedule_command", metavar="install|list|remove", required=True)
    inst = what.add_parser("install", help="run a job file on time")
    inst.add_argument("job", metavar="JOB")
    inst.add_argument("--every", required=True, metavar="hourly|daily|weekly")
    inst.add_argument(
        "--at", metavar="HH:MM", help="the time (default 07:00); with hourly, :MM (default :00)"
    )
    inst.add_argument("--day", metavar="DAY", help="with --every weekly: the day (default monday)")
    what.add_parser("list", help="the scheduled jobs")
    rem = what.add_parser("remove", help="stop running a job on time")
    rem.add_argument("job", metavar="JOB")


def _schedule(args: argparse.Namespace) -> int:
    from sparkdesk.jobs import schedule

    try:
        if args.schedule_command == "install":
            when = schedule.parse_schedule(args.every, args.at, args.day)
            done = schedule.install(args.job, when)
            print(f"Scheduled {done.name}: {Path(args.job).absolute()} {when.describe()}.")
            if not done.active:
                print(f"sparkdesk: {done.note}", file=sys.stderr)
            return EXIT_OK
        scheduler = schedule.scheduler_for()
        if args.schedule_command == "remove":
            entry = scheduler.remove(args.job)
            print(f"Removed the schedule {entry.name} of {entry.job_path or args.job}.")
            return EXIT_OK
        _print_schedules(scheduler.list())
        return EXIT_OK
    except schedule.ScheduleError as err:
        raise UsageError(str(err)) from None
    except schedule.SchedulerError as err:
        print(f"sparkdesk: {err}", file=sys.stderr)
        return EXIT_REFUSED


def _print_schedules(entries) -> None:
    if not entries:
        print("No job is scheduled.")
    for e in entries:
        when = e.schedule.describe() if e.schedule else "(a schedule this version cannot read)"
        following = f"; next run {e.next_run}" if e.next_run else ""
        print(f"{e.job_path or '?'}: {when}{following} [{e.name}]")


if __name__ == "__main__":
    sys.exit(main())
