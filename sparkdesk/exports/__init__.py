"""The twelve exports of exports.md, computed from a Dump with vectorised pandas.

``compute(dump, params)`` returns a DataFrame whose columns are the catalogue keys of the
export type, in order, typed by column kind (see ``sparkdesk.catalogue``); the writers and
the preview turn it into text or cells.
"""

from sparkdesk.exports.params import ExportParams, UnknownChannel, default_range
from sparkdesk.exports.registry import compute, compute_or_spill, export_to_file

__all__ = [
    "ExportParams",
    "UnknownChannel",
    "compute",
    "compute_or_spill",
    "default_range",
    "export_to_file",
    "lock_warnings",
]


def lock_warnings(dump) -> dict[str, int]:
    """Counts of the lock-session warnings of dump-format.md (the rows are kept).

    ``unpaired_unlocked``: UNLOCKED events that closed no session (ignored);
    ``open_at_snapshot``: sessions still open at the snapshot (closed there).
    """
    from sparkdesk.exports.facts import facts_for

    return dict(facts_for(dump).lock_warnings)
