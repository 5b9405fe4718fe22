"""A tiny kit for the rule tests: write a dump folder from Python dicts, load it, export.

``make(tmp_path, tables)`` writes one CSV per table (columns: the union of the rows'
keys, in first-seen order; ``None`` is an empty cell) and a ``manifest.json`` with a
``snapshot_at``, then reads the folder back with ``sparkdesk.dump.load_dumps`` exactly as
the command line does. ``export(dump, type, ...)`` runs ``sparkdesk.exports.compute``.

Row helpers (``conv``, ``inbound``, ``reply``, ``status``, ``lock`` ...) only spell the
dump's columns (dump-format.md); they compute nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pandas as pd

SNAPSHOT = "2025-03-20T00:00:00.000Z"
DAY = "2025-03-10"  # a Monday


def at(clock: str, day: str = DAY) -> str:
    """``at("10:02:30.500")`` -> ``"2025-03-10T10:02:30.500Z"`` (UTC)."""
    return f"{day}T{clock}Z"


def ts(text: str) -> pd.Timestamp:
    """A UTC millisecond timestamp, as the export frames hold them."""
    return pd.Timestamp(text).tz_convert("UTC").as_unit("ms")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ----- writing and loading -------------------------------------------------------------


def write_dump(
    folder: Path, tables: dict[str, list[dict]], snapshot_at: str | None = SNAPSHOT, **manifest
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        if not rows:
            continue
        cols: list[str] = []
        for r in rows:
            for k in r:
                if k not in cols:
                    cols.append(k)
        with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(cols)
            for r in rows:
                w.writerow(["" if r.get(c) is None else str(r.get(c)) for c in cols])
    man = {"format": "sparkdesk-dump", "version": 1, **manifest}
    if snapshot_at is not None:
        man["snapshot_at"] = snapshot_at
    (folder / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    return folder


def load(folder: Path):
    from sparkdesk.dump import load_dumps

    return load_dumps([folder])


def make(
    tmp_path: Path,
    tables: dict[str, list[dict]],
    snapshot_at: str | None = SNAPSHOT,
    base: bool = True,
    **manifest,
):
    """Write ``tables`` (merged over the reference tables of ``BASE`` unless base=False) and load."""
    full = {k: list(v) for k, v in BASE.items()} if base else {}
    for k, v in tables.items():
        full[k] = list(v) if k not in full else full[k] + list(v)
    return load(write_dump(tmp_path / "dump", full, snapshot_at, **manifest))


def export(
    dump,
    type_id: str,
    first: str | None = None,
    last: str | None = None,
    tz: str = "UTC",
    channels: tuple[str, ...] = (),
    include_content: bool = True,
) -> pd.DataFrame:
    from sparkdesk.exports import ExportParams, compute

    if first is not None and last is None:
        last = first
    params = ExportParams(
        type_id,
        tz,
        d(first) if first else None,
        d(last) if last else None,
        tuple(channels),
        include_content,
    )
    return compute(dump, params)


def row(frame: pd.DataFrame, **match) -> pd.Series:
    """The single row whose columns equal ``match``; fails loudly otherwise."""
    mask = pd.Series(True, index=frame.index)
    for k, v in match.items():
        mask &= (frame[k] == v).fillna(False)
    hits = frame[mask.to_numpy(bool)]
    assert len(hits) == 1, f"expected one row for {match}, got {len(hits)}:\n{frame}"
    return hits.iloc[0]


def na(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


# ----- reference tables --------------------------------------------------------------------

BASE: dict[str, list[dict]] = {
    "channels": [
        {"channel_id": "ch1", "medium": "WHATSAPP", "name": "Support", "display_name": "Support WA"},
        {"channel_id": "ch2", "medium": "TWITTER", "name": "Social", "display_name": "Social TW"},
    ],
    "users": [
        {"user_id": "u1", "name": "Ana", "email": "ana@example.com", "reference": "R-1"},
        {"user_id": "u2", "name": "Ben", "email": "ben@example.com", "reference": "R-2"},
        {"user_id": "u3", "name": "Cleo", "email": "cleo@example.com", "reference": "R-3"},
    ],
    "teams": [
        {"team_id": "t1", "name": "Alpha", "created_at": "2024-01-01T00:00:00.000Z"},
        {"team_id": "t2", "name": "Beta", "created_at": "2024-02-01T00:00:00.000Z"},
    ],
    "virtual_agents": [
        {"virtual_agent_id": "va1", "name": "Botty"},
        {"virtual_agent_id": "va2", "name": "Alfred"},
    ],
    "contacts": [
        {
            "contact_id": "k1",
            "medium": "WHATSAPP",
            "primary_identifier": "+34600000001",
            "secondary_identifier": "Kim",
        },
        {"contact_id": "k2", "medium": "TWITTER", "primary_identifier": "@kai", "secondary_identifier": None},
    ],
}


# ----- fact rows ---------------------------------------------------------------------------------


def conv(cid: str, created_at: str = None, channel: str = "ch1", contact: str = "k1", **kw) -> dict:
    return {
        "conversation_id": cid,
        "channel_id": channel,
        "contact_id": contact,
        "created_at": created_at or at("09:00:00.000"),
        **kw,
    }


def message(mid: str, cid: str, created_at: str, direction: str, **kw) -> dict:
    return {"message_id": mid, "conversation_id": cid, "created_at": created_at, "direction": direction, **kw}


def inbound(mid: str, cid: str, created_at: str, **kw) -> dict:
    return message(mid, cid, created_at, "INBOUND", **kw)


def reply(mid: str, cid: str, created_at: str, user: str, team: str | None = None, **kw) -> dict:
    """A human reply: outbound with a user_id."""
    return message(mid, cid, created_at, "OUTBOUND", user_id=user, team_id=team, **kw)


def va_message(mid: str, cid: str, created_at: str, va: str, **kw) -> dict:
    return message(mid, cid, created_at, "OUTBOUND", virtual_agent_id=va, **kw)


def system_message(mid: str, cid: str, created_at: str, **kw) -> dict:
    return message(
        mid, cid, created_at, "OUTBOUND", system_user_type=kw.pop("system_user_type", "AUTO_RESPONDER"), **kw
    )


def event(cid: str, when: str, type_: str, **kw) -> dict:
    return {"conversation_id": cid, "at": when, "type": type_, **kw}


def status(
    cid: str, when: str, new_status: str, user: str | None = None, team: str | None = None, **kw
) -> dict:
    return event(cid, when, "STATUS_CHANGED", status=new_status, user_id=user, team_id=team, **kw)


def resolve(cid: str, when: str, user: str | None = None, team: str | None = None, **kw) -> dict:
    kw.setdefault("resolved_by", "AGENT" if user else "SYSTEM")
    kw.setdefault("trigger", "HUMAN_AGENT" if user else "AUTO_RESOLVE")
    return status(cid, when, "RESOLVED", user, team, **kw)


def lock(cid: str, when: str, user: str, team: str | None = None) -> dict:
    return event(cid, when, "LOCKED", user_id=user, team_id=team)


def unlock(cid: str, when: str, user: str, team: str | None = None) -> dict:
    return event(cid, when, "UNLOCKED", user_id=user, team_id=team)


def queued(cid: str, when: str, started_by: str, **kw) -> dict:
    return event(cid, when, "QUEUED", started_by=started_by, **kw)


def topic_event(cid: str, when: str, topic: str, added: bool = True, **kw) -> dict:
    return event(cid, when, "TOPIC_ADDED" if added else "TOPIC_REMOVED", topic_id=topic, **kw)


def message_tag(mid: str, tag: str, when: str, added: bool = True, **kw) -> dict:
    return {"message_id": mid, "tag_id": tag, "at": when, "action": "ADDED" if added else "REMOVED", **kw}


def presence(user: str, when: str, state: str, away_status: str | None = None) -> dict:
    return {"user_id": user, "at": when, "presence": state, "away_status": away_status}


def survey(
    sid: str, cid: str, sent_at: str, responded_at: str | None = None, score: int | None = None, **kw
) -> dict:
    return {
        "survey_id": sid,
        "conversation_id": cid,
        "sent_at": sent_at,
        "responded_at": responded_at,
        "score": score,
        **kw,
    }
