"""Table-level checks shared by the CSV and XLSX writers."""

from __future__ import annotations

import pandas as pd

from sparkdesk import catalogue
from sparkdesk.catalogue import ExportType


def resolve_type(export_type: ExportType | str) -> ExportType:
    """Accept a catalogue entry or its id."""
    return export_type if isinstance(export_type, ExportType) else catalogue.export_type(export_type)


def check_columns(table: pd.DataFrame, export_type: ExportType) -> None:
    """Refuse a table that lacks a catalogue column: a wrong file is worse than none."""
    missing = [k for k in export_type.keys if k not in table.columns]
    if missing:
        raise ValueError(f"{export_type.id} table lacks column(s): {', '.join(missing)}")
