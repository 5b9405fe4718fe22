"""Small typed export tables, built by hand from the catalogue's keys, for the writer tests.

Not a test module: it only holds builders and the ``xlsx_engine`` fixture (the name
follows the test_writers_* pattern so the writer tests own it). Types follow the
catalogue: text as ``str`` with NA, timestamps ``datetime64[ms, UTC]``, durations/counts
``Int64``, percent ``Float64``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from sparkdesk.catalogue import export_type
from sparkdesk.writers import xlsx as xlsx_writer

PEER = Path(__file__).resolve().parents[1] / "benchmarks" / "xlsxwriter_engine.py"
PEER_NAME = "xlsxwriter"
"""The XlsxWriter peer engine, which lives with the benchmarks (it is not shipped): the
writer tests register it themselves, when XlsxWriter is installed."""


def peer_installed() -> bool:
    return _installed("xlsxwriter")


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def register_peer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the XlsxWriter peer in ``xlsx.ENGINES`` for one test."""
    spec = importlib.util.spec_from_file_location("xlsxwriter_engine", PEER)
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    monkeypatch.setitem(xlsx_writer.ENGINES, peer.NAME, (peer.MODULE, peer.XlsxWriterEngine))


def _engine_params() -> list:
    shipped = [
        pytest.param(
            name,
            marks=pytest.mark.skipif(
                not xlsx_writer.engine_available(name), reason=f"{name} is not installed"
            ),
        )
        for name in xlsx_writer.ENGINES
    ]
    peer = pytest.param(
        PEER_NAME,
        marks=pytest.mark.skipif(not peer_installed(), reason="xlsxwriter is not installed"),
    )
    return [*shipped, peer]


@pytest.fixture(params=_engine_params())
def xlsx_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run an XLSX test once per installed engine, the XlsxWriter peer of the benchmarks too:
    the default engine is swapped for it."""
    if request.param == PEER_NAME:
        register_peer(monkeypatch)
    monkeypatch.setattr(xlsx_writer, "default_engine", xlsx_writer.engine_named(request.param))
    return request.param


def _ts(*values: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True, format="ISO8601")).astype("datetime64[ms, UTC]")


def _text(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def _ints(*values: int | None) -> pd.Series:
    return pd.Series(list(values), dtype="Int64")


def response_times_table() -> pd.DataFrame:
    """Three replies: an ordinary one, one at a daylight-saving fold, one mostly empty."""
    columns = {
        "conversation_id": _text("pc-026", "pc-10002", "pc-3"),
        "medium": _text("TWITTER", "WHATSAPP", "WEB_MESSENGER"),
        "channel_name": _text("X Demo", "WA Demo", "Web Demo"),
        "channel_display_name": _text(None, "WhatsApp, ES", "Demo web"),
        "contact_id": _text("pk-009", "pk-022", "pk-011"),
        "started_by": _text("NEW_INBOUND_MESSAGE", "VA_HANDED_OVER_CONVERSATION", "NEW_INBOUND_MESSAGE"),
        "handover_reason": _text(None, "Customer asked for a human", None),
        "queued_at": _ts("2025-05-05T07:12:57.999Z", "2025-10-26T01:30:00Z", None),
        "replied_at": _ts("2025-05-05T07:19:19.894Z", "2025-10-26T01:30:00.001Z", None),
        "response_time": _ints(12000, 1, None),
        "user_id": _text("p-oscar", "p-laura", None),
        "user_name": _text("Oscar Lind", "Laura Pérez", None),
        "user_reference": _text("OL-4", "LP-1", None),
        "inbound_message_id": _text("pm-00098", "pm-00103", "pm-00200"),
        "outbound_message_id": _text("pm-00099", "pm-00104", None),
        "conversation_url": _text("https://inbox.example.com/conversations/pc-026", None, None),
    }
    return _frame("response-times", columns)


def user_table() -> pd.DataFrame:
    """Three agents: a busy one, an always-available idle one, one with no presence."""
    n = 3
    columns = {
        "user_id": _text("p-laura", "p-marco", "007"),
        "user_name": _text("Laura Pérez", "=cmd|' /C calc'!A0", None),
        "user_email": _text("laura@demo.example", "marco@demo.example", None),
        "user_reference": _text("LP-1", "+34 600", None),
        "available_time": _ints(330040955, 0, 0),
        "away_time": _ints(19366720, 0, 0),
        "contacts_helped": _ints(6, 0, 0),
        "avg_handle_time": _ints(616607, None, None),
        "handle_time": _ints(3083034, 0, 0),
        "no_reply_time": _ints(636633, 0, 0),
        "cherry_picking_time": _ints(35391, 0, 0),
        "replies": _ints(10, 0, 0),
        "resolves_with_reply": _ints(5, 0, 0),
        "resolves_without_reply": _ints(1, 0, 0),
        "tags_added": _ints(3, 0, 0),
        "topics_added": _ints(3, 0, 0),
        "utilization": pd.Series([1.14, 100.0, None], dtype="Float64"),
        **{f"csat_{i}": _ints(*([i] * n)) for i in range(1, 6)},
    }
    return _frame("user", columns)


def topic_table() -> pd.DataFrame:
    """Two topics, for the bool kind (Active, with an unknown topic's empty cell)."""
    columns = {
        "topic_id": _text("t-1", "t-unknown"),
        "topic_name": _text("Billing", None),
        "active": pd.Series([True, None], dtype="boolean"),
        "total_conversations": _ints(4, 1),
        "current_conversations": _ints(2, 0),
        "medium": _text("TWITTER", "TWITTER"),
        "channel_name": _text("X Demo", "X Demo"),
        "channel_display_name": _text(None, None),
    }
    return _frame("topic", columns)


def _frame(type_id: str, columns: dict[str, pd.Series]) -> pd.DataFrame:
    keys = export_type(type_id).keys
    assert list(columns) == keys, set(keys) ^ set(columns)
    return pd.DataFrame(columns)
