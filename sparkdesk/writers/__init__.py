"""Writers: computed export tables to CSV and XLSX files. No Qt here, ever.

``format_column`` is also the preview grid's cell formatter, so the window shows the
same text the CSV will hold.
"""

from __future__ import annotations

from .cells import WriteOptions, format_column
from .csv import write_csv

__all__ = ["WriteOptions", "format_column", "write_csv"]
