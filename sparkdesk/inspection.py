"""A dump's report as `sparkdesk inspect` and the window's import report show it: one value.

Reading a dump (``sparkdesk.dump``) notes every rejected row and every warning in its
``ImportReport``. Two warnings of dump-format.md only appear once the lock sessions of
exports.md are built: an UNLOCKED that closed no session, and a session still open at the
snapshot. ``dump_report`` puts both in a ``DumpReport``, so that the command line and the
window list the same lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from sparkdesk.dump.model import Dump, ImportReport
from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress, in_steps, running

# The lock warnings' reasons, by their key in ``sparkdesk.exports.lock_warnings`` (the
# window shows its translations of these sentences: gui/dialogs.py).
LOCK_WARNINGS = {
    "unpaired_unlocked": "UNLOCKED with no open session of that agent on that conversation (ignored)",
    "open_at_snapshot": "LOCKED session still open at the snapshot (closed there)",
}
PROBLEM_COLUMNS = ["table", "kind", "reason", "count"]


@dataclass(frozen=True)
class DumpReport:
    """Everything found wrong with a dump: the reader's report, row by row, and the counts
    of the lock warnings (``LOCK_WARNINGS`` key -> count; their events are kept), None
    while the lock sessions have not been checked (the window shows the reader's part
    first)."""

    imported: ImportReport
    lock_warnings: Mapping[str, int] | None = None

    @property
    def warning_count(self) -> int:
        """Warnings of every kind: the reader's rows and the lock warnings."""
        return len(self.imported.warnings) + sum((self.lock_warnings or {}).values())

    def problems(self, sentences: Mapping[str, str] = LOCK_WARNINGS) -> pd.DataFrame:
        """Every rejection and warning reason with its count (columns ``PROBLEM_COLUMNS``): the
        reader's, then each lock warning that occurs, with ``sentences`` as its reason."""
        locks = pd.DataFrame(
            [
                {"table": "conversation_events", "kind": "warning", "reason": sentences[key], "count": n}
                for key, n in (self.lock_warnings or {}).items()
                if n
            ],
            columns=PROBLEM_COLUMNS,
        )
        reader = self.imported.reason_counts()
        if not len(locks):
            return reader
        return pd.concat([reader, locks], ignore_index=True) if len(reader) else locks


def dump_report(
    dump: Dump,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
    *,
    memory_limit: int | None = None,
) -> DumpReport:
    """The dump's report. Builds its lock sessions, unless an export already did: they stay
    with the dump for the exports (``sparkdesk.exports.facts``). A cached dump too large for
    ``memory_limit`` is checked in parts read one after the other (``plan.parts_within``):
    each part counts the warnings of its own conversations' locks."""
    from sparkdesk.exports.facts import facts_for
    from sparkdesk.exports.plan import parts_within

    prog = as_progress(progress, cancel)
    parts = parts_within(dump, memory_limit)
    if parts is not None:
        return DumpReport(dump.report, _lock_warnings_in_parts(parts, prog))
    facts = facts_for(dump)
    prog.step(0.0, "Checking lock sessions", force=True)
    with running(prog):  # each definition the lock sessions need in a share of the bar
        *_, counts = in_steps(
            lambda: facts.conversations,
            lambda: facts.events,
            lambda: facts.messages,
            lambda: facts.human_replies,
            lambda: facts.lock_sessions,
            lambda: facts.lock_warnings,
        )
    prog.step(1.0, force=True)
    return DumpReport(dump.report, dict(counts))


def _lock_warnings_in_parts(parts, prog: Progress) -> dict[str, int]:
    """The lock warnings of every part, added up, one part in memory at a time."""
    from sparkdesk.dump.memory import release_memory
    from sparkdesk.exports.facts import facts_for

    totals = dict.fromkeys(LOCK_WARNINGS, 0)
    for i in range(parts.n):
        prog.step(i / parts.n, f"Checking lock sessions: part {i + 1} of {parts.n}", force=True)
        with running(prog.sub(i / parts.n, (i + 1) / parts.n)):
            part = parts.sub_dump(i)
            for key, n in facts_for(part).lock_warnings.items():
                totals[key] += n
        del part
        release_memory()
    prog.step(1.0, force=True)
    return totals
