"""Big dumps arrive as Arrow columns in several chunks: every export must give the same table."""

from __future__ import annotations

import copy

import pandas as pd
import pyarrow as pa
import pytest

from sparkdesk.catalogue import EXPORT_IDS
from sparkdesk.dump import load_dumps
from sparkdesk.exports import ExportParams, compute
from sparkdesk.resources import bundled_demo_path


def _chunked(frame: pd.DataFrame) -> pd.DataFrame:
    """The same rows, each column made of two Arrow chunks (as pandas' concat gives)."""
    half = len(frame) // 2
    return pd.concat([frame.iloc[:half], frame.iloc[half:]], ignore_index=True)


@pytest.fixture(scope="module")
def dumps():
    plain = load_dumps([bundled_demo_path()], cache=False)
    chunked = copy.copy(plain)
    chunked.tables = {name: _chunked(t) for name, t in plain.tables.items()}
    ids = chunked.tables["conversations"]["contact_id"]
    assert isinstance(pa.array(ids), pa.ChunkedArray) and pa.array(ids).num_chunks == 2
    return plain, chunked


@pytest.mark.parametrize("type_id", EXPORT_IDS)
def test_chunked_columns_give_the_same_export(dumps, type_id):
    plain, chunked = dumps
    params = ExportParams(type_id, "Europe/Madrid")
    pd.testing.assert_frame_equal(compute(chunked, params), compute(plain, params))
