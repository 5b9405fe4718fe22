"""The tables of the dump: each fact table as a producer of its cells, chunk by chunk, and
the small reference tables as rows."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sparkdesk.demo.cells import (
    LS,
    blank_where,
    id_cells,
    id_width,
    join_cells,
    template_cells,
    timestamp_cells,
    vocab_cells,
)
from sparkdesk.demo.generation import Data
from sparkdesk.demo.organisation import (
    ACTIONS,
    AGENTS,
    ATTR_TYPES,
    ATTRIBUTES,
    AWAY_STATUSES,
    BUSINESS_HOURS,
    CHANNELS,
    CONTENT,
    DIRECTIONS,
    EMAIL_DOMAIN,
    EVENT_TYPES,
    FIRST_NAMES,
    FOLLOWUP_ANSWERS,
    FOLLOWUP_QUESTIONS,
    HANDOVER_REASONS,
    HOLIDAYS,
    LAST_NAMES,
    MESSAGE_TYPES,
    ORIGINS,
    OUTBOUND_TYPES,
    PRESENCES,
    RESOLVE_COMMENTS,
    RESOLVE_REASONS,
    RESOLVED_BY,
    STARTED_BY,
    STATUSES,
    SUPERVISOR,
    SURVEY_STATUSES,
    SYSTEM_USER_TYPES,
    TAGS,
    TEAM_IDS,
    TEAM_NAMES,
    TOPICS,
    TRIGGERS,
    VIRTUAL_AGENTS,
)
from sparkdesk.demo.world import World

ColumnFn = Callable[[slice], list[pa.Array]]


@dataclass
class BigTable:
    """A fact table to write in chunks: its header, row count and a function giving its cells."""

    name: str
    header: tuple[str, ...]
    rows: int
    cells: ColumnFn


def _user_ids(world: World) -> list[str]:
    width = max(3, len(str(world.n_agents + 1)))
    return [f"u-{i + 1:0{width}d}" for i in range(world.n_agents + 1)]


def _team_ids(world: World) -> list[str]:
    return [TEAM_IDS[i] if i < len(TEAM_IDS) else f"team-{i + 1:02d}" for i in range(world.n_teams)]


def _conversation_table(data: Data) -> BigTable:
    n = data.conv_t.size
    width = id_width(n, 9)
    langs = sorted({lang for c in CHANNELS for lang, _ in c.languages} - {""})

    def cells(sl: slice) -> list[pa.Array]:
        ids = id_cells("7", np.arange(sl.start, sl.stop), width)
        url = blank_where(join_cells(["https://legacy.acme-demo.example/c/", ids]), ~data.conv_url[sl])
        return [
            ids,
            vocab_cells([c.channel_id for c in CHANNELS], data.conv_ch[sl]),
            id_cells("k-", data.conv_contact[sl], id_width(data.contact_ch.size, 7)),
            timestamp_cells(data.conv_t[sl]),
            vocab_cells(langs, data.conv_lang[sl]),
            url,
        ]

    header = ("conversation_id", "channel_id", "contact_id", "created_at", "language", "url")
    return BigTable("conversations", header, n, cells)


def _message_table(data: Data) -> BigTable:
    m = data.messages
    conv_width = id_width(data.conv_t.size, 9)
    width = id_width(m["t"].size, 9)
    users, teams = _user_ids(data.world), _team_ids(data.world)
    post_prefix = [c.post_url for c in CHANNELS]

    def cells(sl: slice) -> list[pa.Array]:
        rows = np.arange(sl.start, sl.stop)
        ch = data.conv_ch[m["conv"][sl]]
        public = np.array([c.public for c in CHANNELS])[ch] & ((m["dir"][sl] == 0) | (m["otype"][sl] == 0))
        public &= m["sys"][sl] < 0
        post = join_cells(
            [vocab_cells(post_prefix, ch), template_cells("19#################", rows * 7919 + 11)]
        )
        return [
            id_cells("m-", rows, width),
            id_cells("7", m["conv"][sl], conv_width),
            timestamp_cells(m["t"][sl]),
            vocab_cells(DIRECTIONS, m["dir"][sl]),
            vocab_cells(MESSAGE_TYPES, m["mtype"][sl]),
            vocab_cells(ORIGINS, m["origin"][sl]),
            vocab_cells(OUTBOUND_TYPES, m["otype"][sl]),
            vocab_cells(users, m["user"][sl]),
            vocab_cells(teams, m["team"][sl]),
            vocab_cells([v for v, _ in VIRTUAL_AGENTS], m["va"][sl]),
            vocab_cells(SYSTEM_USER_TYPES, m["sys"][sl]),
            vocab_cells(CONTENT, m["content"][sl]),
            blank_where(post, ~public),
            timestamp_cells(m["updated"][sl]),
            timestamp_cells(m["deleted"][sl]),
        ]

    header = (
        "message_id",
        "conversation_id",
        "created_at",
        "direction",
        "message_type",
        "origin",
        "outbound_type",
        "user_id",
        "team_id",
        "virtual_agent_id",
        "system_user_type",
        "content",
        "post_url",
        "updated_at",
        "deleted_at",
    )
    return BigTable("messages", header, m["t"].size, cells)


def _event_table(data: Data) -> BigTable:
    e = data.events
    conv_width = id_width(data.conv_t.size, 9)
    width = id_width(e["t"].size, 9)
    users, teams = _user_ids(data.world), _team_ids(data.world)

    def cells(sl: slice) -> list[pa.Array]:
        rows = np.arange(sl.start, sl.stop)
        no_id = rows % 97 == 41  # about 1 %: event_id is optional
        return [
            blank_where(id_cells("ev-", rows, width), no_id),
            id_cells("7", e["conv"][sl], conv_width),
            timestamp_cells(e["t"][sl]),
            vocab_cells(EVENT_TYPES, e["type"][sl]),
            vocab_cells(users, e["user"][sl]),
            vocab_cells(teams, e["team"][sl]),
            vocab_cells([v for v, _ in VIRTUAL_AGENTS], e["va"][sl]),
            vocab_cells(STATUSES, e["status"][sl]),
            vocab_cells(RESOLVED_BY, e["rby"][sl]),
            vocab_cells(TRIGGERS, e["trig"][sl]),
            vocab_cells(RESOLVE_REASONS, e["reason"][sl]),
            vocab_cells(RESOLVE_COMMENTS, e["comment"][sl]),
            vocab_cells([t[0] for t in TOPICS], e["topic"][sl]),
            vocab_cells(STARTED_BY, e["started"][sl]),
            vocab_cells(HANDOVER_REASONS, e["handover"][sl]),
        ]

    header = (
        "event_id",
        "conversation_id",
        "at",
        "type",
        "user_id",
        "team_id",
        "virtual_agent_id",
        "status",
        "resolved_by",
        "trigger",
        "reason",
        "comment",
        "topic_id",
        "started_by",
        "handover_reason",
    )
    return BigTable("conversation_events", header, e["t"].size, cells)


def _tag_table(data: Data) -> BigTable:
    g = data.tags
    width = id_width(data.messages["t"].size, 9)
    users, teams = _user_ids(data.world), _team_ids(data.world)

    def cells(sl: slice) -> list[pa.Array]:
        return [
            id_cells("m-", g["msg"][sl], width),
            vocab_cells([t[0] for t in TAGS], g["tag"][sl]),
            timestamp_cells(g["t"][sl]),
            vocab_cells(ACTIONS, g["action"][sl]),
            vocab_cells(users, g["user"][sl]),
            vocab_cells(teams, g["team"][sl]),
            vocab_cells([v for v, _ in VIRTUAL_AGENTS], g["va"][sl]),
        ]

    header = ("message_id", "tag_id", "at", "action", "user_id", "team_id", "virtual_agent_id")
    return BigTable("message_tags", header, g["t"].size, cells)


def _survey_table(data: Data) -> BigTable:
    s = data.surveys
    conv_width = id_width(data.conv_t.size, 9)
    width = id_width(s["sent"].size, 7)

    def cells(sl: slice) -> list[pa.Array]:
        rows = np.arange(sl.start, sl.stop)
        return [
            blank_where(id_cells("cs-", rows, width), s["noid"][sl]),
            id_cells("7", s["conv"][sl], conv_width),
            timestamp_cells(s["sent"][sl]),
            timestamp_cells(s["resp"][sl]),
            vocab_cells(["1", "2", "3", "4", "5"], np.where(s["score"][sl] > 0, s["score"][sl] - 1, -1)),
            vocab_cells(SURVEY_STATUSES, s["status"][sl]),
            vocab_cells(FOLLOWUP_QUESTIONS, s["fq"][sl]),
            vocab_cells(FOLLOWUP_ANSWERS, s["fa"][sl]),
        ]

    header = (
        "survey_id",
        "conversation_id",
        "sent_at",
        "responded_at",
        "score",
        "status",
        "followup_question",
        "followup_answer",
    )
    return BigTable("csat_surveys", header, s["sent"].size, cells)


def _presence_table(data: Data) -> BigTable:
    p = data.presence
    users = _user_ids(data.world)

    def cells(sl: slice) -> list[pa.Array]:
        return [
            vocab_cells(users, p["user"][sl]),
            timestamp_cells(p["t"][sl]),
            vocab_cells(PRESENCES, p["presence"][sl]),
            vocab_cells(AWAY_STATUSES, p["away"][sl]),
        ]

    return BigTable("presence_events", ("user_id", "at", "presence", "away_status"), p["t"].size, cells)


def _contact_table(data: Data) -> BigTable:
    c = data.contacts
    n = data.contact_ch.size
    width = id_width(n, 7)
    names = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    handles = [_ascii(f).lower() for f in FIRST_NAMES]

    def cells(sl: slice) -> list[pa.Array]:
        rows = np.arange(sl.start, sl.stop)
        ch = data.contact_ch[sl]
        primary = _primary_identifiers(ch, c["number"][sl], c["name"][sl] % len(FIRST_NAMES), handles)
        primary = blank_where(primary, c["no_primary"][sl])
        return [
            id_cells("k-", rows, width),
            vocab_cells([x.medium for x in CHANNELS], ch),
            primary,
            vocab_cells(names, c["name"][sl]),
            timestamp_cells(c["updated"][sl]),
        ]

    header = ("contact_id", "medium", "primary_identifier", "secondary_identifier", "updated_at")
    return BigTable("contacts", header, n, cells)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _primary_identifiers(
    ch: np.ndarray, number: np.ndarray, first: np.ndarray, handles: list[str]
) -> pa.Array:
    """Phone numbers, visitor ids, page-scoped ids or @handles, by channel (rows are grouped by channel)."""
    parts = []
    bounds = np.flatnonzero(np.diff(ch)) + 1
    for piece in np.split(np.arange(ch.size), bounds):
        if piece.size == 0:
            continue
        spec = CHANNELS[int(ch[piece[0]])]
        if spec.id_template == "@":
            parts.append(
                join_cells(
                    ["@", vocab_cells(handles, first[piece]), "_", template_cells("###", number[piece])]
                )
            )
        else:
            parts.append(template_cells(spec.id_template, number[piece]))
    return pa.concat_arrays(parts) if parts else pa.array([], LS)


def _attribute_table(data: Data) -> BigTable:
    a = data.attributes
    width = id_width(data.contact_ch.size, 7)
    values = [v for spec in ATTRIBUTES for v in spec[4]]

    def cells(sl: slice) -> list[pa.Array]:
        attr = a["attr"][sl]
        kind = np.array([ATTR_TYPES.index(s[2]) if s[2] else -1 for s in ATTRIBUTES])[attr]
        return [
            id_cells("k-", a["contact"][sl], width),
            vocab_cells([s[0] for s in ATTRIBUTES], attr),
            vocab_cells([s[1] for s in ATTRIBUTES], attr),
            vocab_cells(values, a["value"][sl]),
            vocab_cells(ATTR_TYPES, kind),
        ]

    return BigTable(
        "contact_attributes", ("contact_id", "attribute_id", "name", "value", "type"), a["attr"].size, cells
    )


def big_tables(data: Data) -> list[BigTable]:
    """The fact tables, in the order they are written."""
    return [
        _contact_table(data),
        _attribute_table(data),
        _conversation_table(data),
        _message_table(data),
        _event_table(data),
        _tag_table(data),
        _survey_table(data),
        _presence_table(data),
    ]


# --------------------------------------------------------------------------------------
# Small tables
# --------------------------------------------------------------------------------------


def small_tables(world: World) -> dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]]:
    users = _user_ids(world)
    teams = _team_ids(world)
    return {
        "channels": (
            ("channel_id", "medium", "name", "display_name"),
            [(c.channel_id, c.medium, c.name, c.display_name) for c in CHANNELS],
        ),
        "users": (("user_id", "name", "email", "reference"), _user_rows(world, users)),
        "teams": (
            ("team_id", "name", "created_at"),
            [
                (
                    tid,
                    TEAM_NAMES[i] if i < len(TEAM_NAMES) else f"Team {i + 1:02d}",
                    "" if i == 2 else f"2024-{9 + i % 3:02d}-01T08:00:00.000Z",
                )
                for i, tid in enumerate(teams)
            ],
        ),
        "virtual_agents": (("virtual_agent_id", "name"), list(VIRTUAL_AGENTS)),
        "topics": (("topic_id", "name", "active"), [(i, n, "true" if a else "false") for i, n, a in TOPICS]),
        "tags": (("tag_id", "name", "active"), [(i, n, "true" if a else "false") for i, n, a in TAGS]),
        "business_hours": (("channel_id", "timezone", "weekday", "start", "end"), list(BUSINESS_HOURS)),
        "holidays": (("channel_id", "date", "name"), list(HOLIDAYS)),
    }


def _user_rows(world: World, users: list[str]) -> list[tuple[str, ...]]:
    rows = []
    for i in range(world.n_agents):
        if i < len(AGENTS):
            name, mail, ref = AGENTS[i]
        else:
            first, last = (
                FIRST_NAMES[i % len(FIRST_NAMES)],
                LAST_NAMES[(i // len(FIRST_NAMES) + i) % len(LAST_NAMES)],
            )
            name, mail, ref = (
                f"{first} {last}",
                "" if i % 7 == 5 else f"agent{i + 1}",
                "" if i % 5 == 3 else f"EMP-{1001 + i}",
            )
        rows.append((users[i], name, f"{mail}@{EMAIL_DOMAIN}" if mail else "", ref))
    name, mail, ref = SUPERVISOR
    rows.append((users[world.supervisor], name, f"{mail}@{EMAIL_DOMAIN}", ref))
    return rows
