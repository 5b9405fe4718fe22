"""compute(): one export type, one set of choices, one typed table."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from sparkdesk.catalogue import export_type
from sparkdesk.dump.model import Dump
from sparkdesk.exports import tables
from sparkdesk.exports.facts import facts_for
from sparkdesk.exports.params import ExportParams
from sparkdesk.exports.scope import make_scope
from sparkdesk.exports.shape import conform
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress, running

BUILDERS: dict[str, Callable] = {
    "resolved-conversation": tables.resolved_conversation,
    "open-conversation": tables.open_conversation,
    "message": tables.message,
    "team": tables.team,
    "contact": tables.contact,
    "topic": tables.topic,
    "tag": tables.tag,
    "user-presence": tables.user_presence,
    "user": tables.user,
    "response-times": tables.response_times,
    "virtual-agent": tables.virtual_agent,
    "contact-attribute": tables.contact_attribute,
}


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
FACTS_NEEDED: dict[str, tuple[str, ...]] = {
    "resolved-conversation": _CONVERSATION_FACTS,
    "open-conversation": _CONVERSATION_FACTS,
    "message": ("conversations", "messages", "message_tags", "current_tags"),
    "team": _CONVERSATION_FACTS + ("message_tags", "csat_attribution"),
    "contact": ("conversations", "messages"),
    "topic": ("conversations", "events", "current_topic_pairs"),
    "tag": ("conversations", "messages", "message_tags", "current_tag_pairs"),
    "user-presence": ("presence_intervals",),
    "user": (
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
    "response-times": ("conversations", "messages", "events", "human_replies"),
    "virtual-agent": ("conversations", "messages", "events", "message_tags"),
    "contact-attribute": ("conversations", "messages"),
}


def compute(
    dump: Dump,
    params: ExportParams,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> pd.DataFrame:
    """The export's table: catalogue keys as columns, typed by kind, sorted as the spec says.

    Raises UnknownChannel for a channel id nobody knows, KeyError for an unknown type.
    """
    export = export_type(params.type)
    prog = as_progress(progress, cancel)
    prog.step(0.0, "Preparing", force=True)
    scope = make_scope(dump, params, range_optional=export.range_optional)
    if not export.uses_channels:
        scope = type(scope)(scope.start, scope.end, scope.snapshot, None)
    with running(prog):  # checkpoint() inside the definitions sees this task's Cancel
        result = _compute(dump, params, export, scope, prog)
    prog.step(1.0, "Done", force=True)
    return result


def _compute(dump: Dump, params: ExportParams, export, scope, prog: Progress) -> pd.DataFrame:
    facts = facts_for(dump)
    needed = FACTS_NEEDED.get(export.id, ())
    share = 0.75 / max(len(needed), 1)
    for i, name in enumerate(needed):
        # one step per shared definition; checkpoint() inside it moves the bar within its share
        lo, hi = 0.05 + share * i, 0.05 + share * (i + 1)  # hi: exactly the next lo
        text = "Computing " + name.replace("_", " ")
        prog.step(lo, text, force=True)
        with running(prog.sub(lo, hi)):
            getattr(facts, name)
    prog.step(0.8, "Computing " + export.name_en, force=True)
    builder = BUILDERS[export.id]
    with running(prog.sub(0.8, 0.9)):
        if export.id == "message":
            frame = builder(facts, scope, export, include_content=params.include_content)
        else:
            frame = builder(facts, scope, export)
    prog.step(0.9, "Shaping the table", force=True)
    with running(prog.sub(0.9, 1.0)):
        return conform(frame, export)
