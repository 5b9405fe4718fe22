"""Every export computes on a dump that lacks tables: empty results, right columns and dtypes.

A user's dump may hold only presence, or only conversations; no export may crash on it.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from sparkdesk.catalogue import EXPORT_IDS, KIND_DTYPES, export_type
from sparkdesk.dump import load_dumps
from sparkdesk.exports import ExportParams, compute
from sparkdesk.resources import bundled_demo_path

SUBSETS = {
    "presence only": ["presence_events", "users"],
    "conversations only": ["conversations"],
    "conversations and messages": ["conversations", "messages"],
    "conversations and events": ["conversations", "conversation_events"],
    "facts without reference tables": [
        "conversations",
        "messages",
        "conversation_events",
        "message_tags",
        "csat_surveys",
        "presence_events",
    ],
    "channels only": ["channels"],
}


@pytest.fixture(scope="module")
def partial_dumps(tmp_path_factory):
    demo = bundled_demo_path()
    dumps = {}
    for name, tables in SUBSETS.items():
        folder = tmp_path_factory.mktemp(name.replace(" ", "_"))
        for table in tables:
            shutil.copy(demo / f"{table}.csv", folder)
        shutil.copy(demo / "manifest.json", folder)
        dumps[name] = load_dumps([folder])
    return dumps


@pytest.mark.parametrize("subset", list(SUBSETS))
@pytest.mark.parametrize("type_id", EXPORT_IDS)
def test_export_of_a_partial_dump_has_the_catalogue_shape(partial_dumps, subset, type_id):
    dump = partial_dumps[subset]
    for first, last in ((None, None), (dt.date(2001, 1, 1), dt.date(2001, 1, 2))):
        table = compute(dump, ExportParams(type_id, "Europe/Madrid", first, last))
        export = export_type(type_id)
        assert list(table.columns) == export.keys
        assert [str(t) for t in table.dtypes] == [str(_dtype(c.kind)) for c in export.columns]
    if subset == "presence only" and type_id in ("user-presence", "user"):
        assert len(compute(dump, ExportParams(type_id, "Europe/Madrid"))) > 0


def _dtype(kind):
    import pandas as pd

    return pd.Series([], dtype=KIND_DTYPES[kind]).dtype
