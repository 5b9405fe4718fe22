"""The public conformance dump loads cleanly with plausible counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sparkdesk.dump import load_dumps

DUMP = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "dump"


@pytest.mark.skipif(not DUMP.is_dir(), reason="conformance dump not present")
def test_conformance_dump_loads():
    d = load_dumps([DUMP])
    st = d.report.stats
    for name, s in st.items():
        assert s.read == s.accepted + s.rejected + s.duplicates, name
        assert len(d.tables[name]) == s.accepted - s.after_snapshot, name
    assert len(d.tables["conversations"]) == 42
    assert st["messages"].read > 100 and st["conversation_events"].read > 100
    assert d.snapshot == pd.Timestamp("2025-05-17T20:00:00Z")
    assert d.organization == "Example org"
    assert "{conversation_id}" in (d.url_template or "")
    assert set(d.tables["messages"]["direction"].dropna()) <= {"INBOUND", "OUTBOUND"}
    assert d.tables["contact_attributes"]["value"].isin(["0100"]).any()  # never a number
    span = d.time_span()
    assert span is not None and span[1] <= d.snapshot
