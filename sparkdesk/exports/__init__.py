"""The twelve exports of exports.md, computed from a Dump with vectorised pandas.

``compute(dump, params)`` returns a DataFrame whose columns are the catalogue keys of the
export type, in order, typed by column kind (see ``sparkdesk.catalogue``); the writers and
the preview turn it into text or cells.
"""

from sparkdesk.exports.params import ExportParams, UnknownChannel, default_range
from sparkdesk.exports.registry import compute

__all__ = ["ExportParams", "UnknownChannel", "compute", "default_range"]
