"""compute(): one export type, one set of choices, one typed table."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import pandas as pd
import pyarrow as pa

from sparkdesk.catalogue import export_type
from sparkdesk.dump.model import Dump
from sparkdesk.exports import tables
from sparkdesk.exports.facts import facts_for
from sparkdesk.exports.params import ExportParams
from sparkdesk.exports.plan import Parts, Plan, make_plan, merge
from sparkdesk.exports.scope import Scope, make_scope
from sparkdesk.exports.shape import conform
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress, running

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
    the conversations those days need (plan.py). ``workers`` parts are computed
    at once, on threads: at 1M conversations two threads took 12.7 s where two parts one
    after the other took 15.4 s, for twice the memory in flight, so the default is one.

    Raises UnknownChannel for a channel id nobody knows, KeyError for an unknown type.
    """
    export = export_type(params.type)
    prog = as_progress(progress, cancel)
    prog.step(0.0, "Preparing", force=True)
    scope = make_scope(dump, params, range_optional=export.range_optional)
    if not export.uses_channels:
        scope = replace(scope, channels=None)
    with running(prog):  # checkpoint() inside the definitions sees this task's Cancel
        prog.step(0.0, "Selecting the conversations of the range", force=True)
        with running(prog.sub(0.0, 0.1)):
            plan = make_plan(dump, scope, export.id, memory_limit=memory_limit, parts=parts)
        result = _compute(dump, params, export, scope, prog.sub(0.1, 1.0), replace(plan, workers=workers))
    prog.step(1.0, "Done", force=True)
    return result


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
        part = bar.part(i)
        label = f"Part {i + 1} of {n}: " if n > 1 else ""
        part.step(0.0, label + "selecting conversations", force=True)
        with running(part.sub(0.0, 0.1)):
            sub = parts.sub_dump(i)
        try:
            return _build(sub, params, export, scope, part.sub(0.1, 1.0), label)
        finally:
            del sub
            release_memory()

    if workers <= 1 or n == 1:
        frames = [build(i) for i in range(n)]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sparkdesk-part") as pool:
            frames = list(pool.map(build, range(n)))
    if n == 1:
        return frames[0]
    prog.step(1.0, "Putting the parts together", force=True)
    return merge(frames, export)


def release_memory() -> None:
    """Give a finished part's memory back before the next part: its frames hold reference
    cycles (a Facts and its dump), and Arrow's allocator keeps freed pages for itself, where
    the next part's numpy arrays cannot use them."""
    gc.collect()
    pa.default_memory_pool().release_unused()


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
