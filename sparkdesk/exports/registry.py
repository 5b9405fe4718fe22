"""compute(): one export type, one set of choices, one typed table."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pyarrow as pa

from sparkdesk.catalogue import ExportType, export_type
from sparkdesk.dump.memory import release_memory
from sparkdesk.dump.model import Dump
from sparkdesk.exports import tables
from sparkdesk.exports.facts import facts_for, release_facts
from sparkdesk.exports.ondisk import DiskResult, make_scratch_folder, write_result
from sparkdesk.exports.params import ExportParams
from sparkdesk.exports.plan import AGGREGATE_KEYS, Parts, Plan, StoreParts, make_plan, merge
from sparkdesk.exports.scope import Scope, make_scope
from sparkdesk.exports.shape import conform
from sparkdesk.exports.spill import SortedRuns, block_rows_for
from sparkdesk.exports.workers import compute_parts
from sparkdesk.memory import MemoryLimitTooSmall
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress, running
from sparkdesk.writers import STREAMED_FORMATS, WriteOptions, format_for, write_export, write_export_chunks
from sparkdesk.writers.xlsx import early_timestamps

_CONVERSATION_FACTS = (
    "conversations",
    "messages",
    "events",
    "human_replies",
    "resolutions",
    "first_response",
    "lock_sessions",
    "current_topics",
    "conversation_csat",
    "conversation_facts",
)


@dataclass(frozen=True)
class Builder:
    """How an export type's rows are made: ``build(facts, scope, export)`` (with
    ``include_content=`` for a type that ``has_content``), after the shared definitions
    it reads, ``needs`` (``Facts`` properties), computed first, each with its progress step."""

    build: Callable[..., pd.DataFrame]
    needs: tuple[str, ...]


# One entry per catalogue type (tests/test_catalogue.py checks both ways).
BUILDERS: dict[str, Builder] = {
    "resolved-conversation": Builder(tables.resolved_conversation, _CONVERSATION_FACTS),
    "open-conversation": Builder(tables.open_conversation, _CONVERSATION_FACTS),
    "message": Builder(tables.message, ("conversations", "messages", "message_tags", "current_tags")),
    "team": Builder(tables.team, _CONVERSATION_FACTS + ("message_tags", "csat_attribution")),
    "contact": Builder(tables.contact, ("conversations", "messages")),
    "topic": Builder(tables.topic, ("conversations", "events", "current_topic_pairs")),
    "tag": Builder(tables.tag, ("conversations", "messages", "message_tags", "current_tag_pairs")),
    "user-presence": Builder(tables.user_presence, ("presence_intervals",)),
    "user": Builder(
        tables.user,
        (
            "conversations",
            "messages",
            "events",
            "human_replies",
            "resolutions",
            "lock_sessions",
            "message_tags",
            "csat_attribution",
            "presence_intervals",
        ),
    ),
    "response-times": Builder(
        tables.response_times, ("conversations", "messages", "events", "human_replies")
    ),
    "virtual-agent": Builder(tables.virtual_agent, ("conversations", "messages", "events", "message_tags")),
    "contact-attribute": Builder(tables.contact_attribute, ("conversations", "messages")),
}


def compute(
    dump: Dump,
    params: ExportParams,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    memory_limit: int | None = None,
    parts: int | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """The export's table: catalogue keys as columns, typed by kind, sorted as the spec says.

    ``memory_limit`` (bytes, None: no limit) is the budget of cli.md's ``--memory-limit``:
    an export whose estimated peak exceeds it raises MemoryLimitTooSmall (plan.make_plan).
    ``parts`` forces the computation in that many parts of whole contacts, with the same
    result (the tests' tiny parts). A question over a few days of a long archive reads only
    the conversations those days need (plan.py). ``workers`` parts are computed at once:
    the parts of a dump opened from the cache in worker processes (workers.py), each reading
    its part from the cache's files, and the budget counts every process; the parts of a
    dump in memory on threads. The default is one: at 1M conversations, a whole-range export
    in 2 parts on 2 processes cost 2.0-2.2 x the CPU time of the export in one piece and
    1.6-1.7 x its peak memory (every part reads its lock context too), and took longer on our
    2 cores (benchmarks/procs_1m.py).

    Raises UnknownChannel for a channel id nobody knows, KeyError for an unknown type.
    """
    prog = as_progress(progress, cancel)
    with running(prog):  # checkpoint() inside the definitions sees this task's Cancel
        export, scope, plan = _prepare(dump, params, prog, memory_limit, parts, workers)
        result = _compute(dump, params, export, scope, prog.sub(0.1, 1.0), plan)
    prog.step(1.0, "Done", force=True)
    return result


def export_to_file(
    dump: Dump,
    params: ExportParams,
    path: str | os.PathLike[str],
    options: WriteOptions,
    fmt: str | None = None,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    memory_limit: int | None = None,
    parts: int | None = None,
    workers: int = 1,
    write_progress: Callable[[], Progress | ProgressFn | None] | None = None,
    block_rows: int | None = None,
) -> int:
    """Compute one export and write it to ``path`` (``fmt``: as ``writers.format_for``); the
    number of rows written.

    When the plan computes it in parts and it has a row per conversation, message, contact
    or reply (not ``plan.AGGREGATE_KEYS``), the rows are never held whole: each part's rows
    (one part at a time, whatever ``workers``) are sorted and spilled as a run next to the
    output, and the external merge (``spill.SortedRuns``) streams them to the file in the
    spec's order, ``block_rows`` of each run at a time (None: ``spill.block_rows_for``).
    The file holds the bytes that ``compute`` then ``writers.write_export`` write (XLSX:
    the same cells; one with a local time before 1900-03-01 is written from the whole
    table, see ``_early_check``). Otherwise it is exactly that.

    ``write_progress``: called when the writing starts, returns what the writing reports
    to (the command line's "Write" step); None: the writing is the last fifth of ``progress``.
    """
    chosen = format_for(path, fmt)
    prog = as_progress(progress, cancel)
    computing = prog if write_progress is not None else prog.sub(0.0, 0.8)

    def writing() -> Progress:
        computing.step(1.0, "Done", force=True)
        if write_progress is None:
            return prog.sub(0.8, 1.0)
        return as_progress(write_progress(), cancel)

    with running(computing):
        export, scope, plan = _prepare(
            dump, params, computing, memory_limit, parts, workers, streamed=chosen in STREAMED_FORMATS
        )
        if _streams(export, plan, chosen):
            assert plan.parts is not None
            job = _FileJob(path, options, chosen, writing, cancel)
            return _merge_to_file(
                dump, params, export, scope, computing.sub(0.1, 1.0), plan.parts, job, block_rows
            )
        table = _compute(dump, params, export, scope, computing.sub(0.1, 1.0), plan)
    write_export(table, export, path, options, chosen, writing(), cancel)
    return len(table)


def compute_or_spill(
    dump: Dump,
    params: ExportParams,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    memory_limit: int | None = None,
    folder: str | os.PathLike[str] | None = None,
) -> pd.DataFrame | DiskResult:
    """``compute``'s table, or, when ``memory_limit`` cannot hold the rows of a per-row
    export but can compute it in parts, those rows in the spec's order in a file on disk
    (``ondisk.DiskResult``, in a scratch folder made in ``folder``; None: the system's).

    The decision is the plan's own arithmetic: the plan that holds the rows to the end
    (``make_plan``'s reserve) refuses the limit, the plan that streams them finds parts.
    Otherwise exactly ``compute``: an aggregate, or a limit that no parts keep, raises
    MemoryLimitTooSmall. The caller closes the DiskResult (that removes its folder); on
    Cancel and on error nothing is left behind."""
    prog = as_progress(progress, cancel)
    with running(prog):
        try:
            export, scope, plan = _prepare(dump, params, prog, memory_limit, None, 1)
        except MemoryLimitTooSmall:
            if params.type in AGGREGATE_KEYS:
                raise
            export, scope, plan = _prepare(dump, params, prog, memory_limit, None, 1, streamed=True)
            if plan.parts is not None and plan.parts.n > 1:
                result = _merge_to_disk(dump, params, export, scope, prog.sub(0.1, 1.0), plan.parts, folder)
                prog.step(1.0, "Done", force=True)
                return result
        table = _compute(dump, params, export, scope, prog.sub(0.1, 1.0), plan)
    prog.step(1.0, "Done", force=True)
    return table


def _merge_to_disk(
    dump: Dump,
    params: ExportParams,
    export: ExportType,
    scope: Scope,
    prog: Progress,
    parts: Parts,
    folder: str | os.PathLike[str] | None,
) -> DiskResult:
    """The parts spilled as sorted runs, then merged into one result file beside them."""
    scratch = make_scratch_folder(folder)
    try:
        with SortedRuns(export, scratch, block_rows_for(parts.n)) as runs:
            _spill_parts(dump, params, export, scope, prog.sub(0.0, 0.9), parts, runs)
            prog.step(0.9, "Putting the parts together on disk", force=True)
            with running(prog.sub(0.9, 1.0)):
                return write_result(runs.tables(), runs.schema, runs.rows, export, scratch)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


@dataclass(frozen=True)
class _FileJob:
    """Where and how ``export_to_file`` writes: ``writing()`` starts the writing step."""

    path: str | os.PathLike[str]
    options: WriteOptions
    fmt: str
    writing: Callable[[], Progress]
    cancel: CancelToken | None


def _merge_to_file(
    dump: Dump,
    params: ExportParams,
    export: ExportType,
    scope: Scope,
    prog: Progress,
    parts: Parts,
    job: _FileJob,
    block_rows: int | None,
) -> int:
    """The parts spilled as sorted runs next to the output, then merged into the file; the
    rows written."""
    block = block_rows or block_rows_for(parts.n)
    with SortedRuns(export, _scratch_folder(job.path), block) as runs:
        check = _early_check(job.fmt, job.options)
        before_1900 = _spill_parts(dump, params, export, scope, prog, parts, runs, check)
        frames = runs.frames(STREAMED_FORMATS[job.fmt])
        if before_1900:  # a sheet with a date before 1900 is laid out from all its rows
            table = pd.concat(list(frames), ignore_index=True)
            write_export(table, export, job.path, job.options, job.fmt, job.writing(), job.cancel)
        else:
            write = job.writing()
            write_export_chunks(frames, runs.rows, export, job.path, job.options, job.fmt, write, job.cancel)
        return runs.rows


def _prepare(
    dump: Dump,
    params: ExportParams,
    prog: Progress,
    memory_limit: int | None,
    parts: int | None,
    workers: int,
    streamed: bool = False,
) -> tuple[ExportType, Scope, Plan]:
    """The export's type, its scope and its plan (the first tenth of ``prog``); ``streamed``:
    a per-row export in parts would go to its file through the merge, never held whole."""
    export = export_type(params.type)
    prog.step(0.0, "Preparing", force=True)
    scope = make_scope(dump, params, range_optional=export.range_optional)
    if not export.uses_channels:
        scope = replace(scope, channels=None)
    prog.step(0.0, "Selecting the conversations of the range", force=True)
    with running(prog.sub(0.0, 0.1)):
        plan = make_plan(
            dump, scope, export.id, memory_limit=memory_limit, parts=parts, streamed=streamed, workers=workers
        )
    return export, scope, replace(plan, workers=workers)


def _streams(export: ExportType, plan: Plan, fmt: str) -> bool:
    """Does this export go to its file through the external merge (``export_to_file``)?"""
    in_parts = plan.parts is not None and plan.parts.n > 1
    return in_parts and export.id not in AGGREGATE_KEYS and fmt in STREAMED_FORMATS


def _scratch_folder(path: str | os.PathLike[str]) -> Path | None:
    """Where the runs go: the output's folder (its disk is meant to take the output, and
    the runs take about as much), the system's temporary folder for standard output."""
    if os.fspath(path) == "-":
        return None
    return Path(os.fspath(path)).resolve().parent


def _spill_parts(
    dump: Dump,
    params: ExportParams,
    export: ExportType,
    scope: Scope,
    prog: Progress,
    parts: Parts,
    runs: SortedRuns,
    check: Callable[[pd.DataFrame, ExportType], bool] | None = None,
) -> bool:
    """Each part's rows, one part after the other, spilled as a sorted run: one part's
    rows in memory at a time. True when ``check`` holds for some part's shaped rows."""
    found = False
    n = parts.n
    scope = replace(scope, partial=True)
    for i in range(n):
        part = prog.sub(i / n, (i + 1) / n)
        label = f"Part {i + 1} of {n}: "
        part.step(0.0, label + "selecting conversations", force=True)
        with running(part.sub(0.0, 0.1)):
            sub = parts.sub_dump(i)
        # a list, so that add() gets the only reference to the rows and drops them once sorted
        rows = [_build(sub, params, export, scope, part.sub(0.1, 0.8), label)]
        release_facts(sub)  # the part's dump and definitions go before its rows are sorted,
        del sub  # without waiting for the cycle collector (release_memory's gc.collect)
        pa.default_memory_pool().release_unused()
        part.step(0.8, label + "sorting and setting aside its rows", force=True)
        with running(part.sub(0.8, 1.0)):
            shaped = runs.add(rows.pop())
        found = found or (check is not None and check(shaped, export))
        del shaped
    return found


def _early_check(fmt: str, options: WriteOptions) -> Callable[[pd.DataFrame, ExportType], bool] | None:
    """For XLSX, whether rows hold a local time before 1900-03-01: a sheet with one is laid
    out from all its rows (``writers.xlsx``), so such an export is written from the table."""
    if fmt != "xlsx":
        return None
    return lambda frame, export: early_timestamps(frame, export, options)


def _compute(
    dump: Dump, params: ExportParams, export, scope: Scope, prog: Progress, plan: Plan
) -> pd.DataFrame:
    if plan.parts is None:  # the dump as it is, or the question's narrowed dump
        source = dump if plan.narrowed is None else plan.narrowed
        frame = _build(source, params, export, scope, prog.sub(0.0, 0.9))
    else:
        frame = _build_in_parts(dump, params, export, scope, prog.sub(0.0, 0.9), plan.parts, plan.workers)
    prog.step(0.9, "Shaping the table", force=True)
    with running(prog.sub(0.9, 1.0)):
        return conform(frame, export)


def _build_in_parts(
    dump: Dump, params: ExportParams, export, scope: Scope, prog: Progress, parts: Parts, workers: int = 1
) -> pd.DataFrame:
    """One sub-dump per part (plan.py), built on ``workers`` threads, then merged."""
    n = parts.n
    if n > 1:
        scope = replace(scope, partial=True)
    bar = _PartsBar(prog, n)

    def build(i: int) -> pd.DataFrame:
        label = f"Part {i + 1} of {n}: " if n > 1 else ""
        return build_part(lambda: parts.sub_dump(i), params, scope, bar.part(i), label)

    if workers <= 1 or n == 1:
        frames = [build(i) for i in range(n)]
    elif isinstance(parts, StoreParts):  # each part read from the cache by a worker process
        reporters = [bar.part(i) for i in range(n)]
        groups = [parts.ids(i) for i in range(n)]
        frames = compute_parts(
            dump.store.folder, groups, params, scope, reporters, prog.cancel, min(workers, n)
        )
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sparkdesk-part") as pool:
            frames = list(pool.map(build, range(n)))
    if n == 1:
        return frames[0]
    prog.step(1.0, "Putting the parts together", force=True)
    return merge(frames, export)


class _PartsBar:
    """One bar for parts that run at once: each reports into its own Progress, the bar
    shows their mean, with the text of the last report; Cancel reaches every part."""

    def __init__(self, prog: Progress, n: int) -> None:
        self._prog, self._done = prog, [0.0] * n
        self._lock = threading.Lock()

    def part(self, i: int) -> Progress:
        def report(fraction: float, text: str) -> None:
            with self._lock:
                self._done[i] = fraction
                mean = sum(self._done) / len(self._done)
            self._prog.step(mean, text)

        return Progress(report, self._prog.cancel)


def build_part(
    read: Callable[[], Dump], params: ExportParams, scope: Scope, prog: Progress, label: str = ""
) -> pd.DataFrame:
    """One part's rows: its sub-dump (``read``), then the export's build on it. The same on a
    thread of this process and in a worker process (workers.py)."""
    export = export_type(params.type)
    prog.step(0.0, label + "selecting conversations", force=True)
    with running(prog.sub(0.0, 0.1)):
        sub = read()
    try:
        with running(prog):  # the child's checkpoints see its Cancel too
            return _build(sub, params, export, scope, prog.sub(0.1, 1.0), label)
    finally:
        del sub
        release_memory()


def _build(
    dump: Dump, params: ExportParams, export, scope: Scope, prog: Progress, label: str = ""
) -> pd.DataFrame:
    """The export's rows from ``dump``: its shared definitions first, each a progress step."""
    facts = facts_for(dump)
    builder = BUILDERS[export.id]
    needed = builder.needs
    share = 0.8 / max(len(needed), 1)
    for i, name in enumerate(needed):
        # one step per shared definition; checkpoint() inside it moves the bar within its share
        lo, hi = share * i, share * (i + 1)  # hi: exactly the next lo
        prog.step(lo, label + "Computing " + name.replace("_", " "), force=True)
        with running(prog.sub(lo, hi)):
            getattr(facts, name)
    prog.step(0.8, label + "Computing " + export.name("en"), force=True)
    with running(prog.sub(0.8, 1.0)):
        if export.has_content:
            return builder.build(facts, scope, export, include_content=params.include_content)
        return builder.build(facts, scope, export)
