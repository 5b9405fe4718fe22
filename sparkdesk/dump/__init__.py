"""Reading raw data dumps (dump-format.md) into validated pandas tables, with an import report.

No Qt here: the window and the command line both call ``load_dumps``.
"""

from sparkdesk.dump.cache import cancel_saves, wait_for_saves
from sparkdesk.dump.memory import prefer_jemalloc
from sparkdesk.dump.model import Dump, DumpRefused, ImportReport, TableStats
from sparkdesk.dump.reader import load_dumps

prefer_jemalloc()

__all__ = [
    "Dump",
    "DumpRefused",
    "ImportReport",
    "TableStats",
    "cancel_saves",
    "load_dumps",
    "wait_for_saves",
]
