"""The tables of the dump: each fact table as a producer of its cells, chunk by chunk, and
the small reference tables as rows."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
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
from sparkdesk.demo.generation import Columns, Data, slices
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

CellFn = Callable[[Columns, np.ndarray], list[pa.Array]]  # (columns, their row numbers) -> cells


@dataclass
class BigTable:
    """A fact table to write in chunks: its header, row count, where its rows come from and how
    they become cells."""

    name: str
    header: tuple[str, ...]
    rows: int
    source: Callable[[int], Iterator[tuple[int, Columns]]]  # batch size -> (first row, columns)
    cells: CellFn

    def batches(self, size: int) -> Iterator[tuple[int, list[pa.Array]]]:
        """The cells, at most ``size`` rows at a time, each batch with its first row number."""
        for lo, cols in self.source(size):
            n = len(next(iter(cols.values())))
            yield lo, self.cells(cols, np.arange(lo, lo + n))


def _in_memory(cols: Columns) -> Callable[[int], Iterator[tuple[int, Columns]]]:
    return lambda size: slices(cols, size)


def _fact(data: Data, table: str) -> Callable[[int], Iterator[tuple[int, Columns]]]:
    return lambda size: data.facts.batches(table, size)


def _user_ids(world: World) -> list[str]:
    width = max(3, len(str(world.n_agents + 1)))
    return [f"u-{i + 1:0{width}d}" for i in range(world.n_agents + 1)]


def _team_ids(world: World) -> list[str]:
    return [TEAM_IDS[i] if i < len(TEAM_IDS) else f"team-{i + 1:02d}" for i in range(world.n_teams)]


def _conversation_table(data: Data) -> BigTable:
    n = data.conv_t.size
    width = id_width(n, 9)
    langs = sorted({lang for c in CHANNELS for lang, _ in c.languages} - {""})

    def cells(c: Columns, rows: np.ndarray) -> list[pa.Array]:
        ids = id_cells("7", rows, width)
        url = blank_where(join_cells(["https://legacy.acme-demo.example/c/", ids]), ~c["url"])
        return [
            ids,
            vocab_cells([ch.channel_id for ch in CHANNELS], c["ch"]),
            id_cells("k-", c["contact"], id_width(data.contact_ch.size, 7)),
            timestamp_cells(c["t"]),
            vocab_cells(langs, c["lang"]),
            url,
        ]

    cols = {
        "t": data.conv_t,
        "ch": data.conv_ch,
        "contact": data.conv_contact,
        "lang": data.conv_lang,
        "url": data.conv_url,
    }
    header = ("conversation_id", "channel_id", "contact_id", "created_at", "language", "url")
    return BigTable("conversations", header, n, _in_memory(cols), cells)


def _message_table(data: Data) -> BigTable:
    rows_total = data.facts.count("messages")
    conv_width = id_width(data.conv_t.size, 9)
    width = id_width(rows_total, 9)
    users, teams = _user_ids(data.world), _team_ids(data.world)
    post_prefix = [c.post_url for c in CHANNELS]

    def cells(m: Columns, rows: np.ndarray) -> list[pa.Array]:
        ch = data.conv_ch[m["conv"]]
        public = np.array([c.public for c in CHANNELS])[ch] & ((m["dir"] == 0) | (m["otype"] == 0))
        public &= m["sys"] < 0
        post = join_cells(
            [vocab_cells(post_prefix, ch), template_cells("19#################", rows * 7919 + 11)]
        )
        return [
            id_cells("m-", rows, width),
            id_cells("7", m["conv"], conv_width),
            timestamp_cells(m["t"]),
            vocab_cells(DIRECTIONS, m["dir"]),
            vocab_cells(MESSAGE_TYPES, m["mtype"]),
            vocab_cells(ORIGINS, m["origin"]),
            vocab_cells(OUTBOUND_TYPES, m["otype"]),
            vocab_cells(users, m["user"]),
            vocab_cells(teams, m["team"]),
            vocab_cells([v for v, _ in VIRTUAL_AGENTS], m["va"]),
            vocab_cells(SYSTEM_USER_TYPES, m["sys"]),
            vocab_cells(CONTENT, m["content"]),
            blank_where(post, ~public),
            timestamp_cells(m["updated"]),
            timestamp_cells(m["deleted"]),
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
    return BigTable("messages", header, rows_total, _fact(data, "messages"), cells)


def _event_table(data: Data) -> BigTable:
    rows_total = data.facts.count("conversation_events")
    conv_width = id_width(data.conv_t.size, 9)
    width = id_width(rows_total, 9)
    users, teams = _user_ids(data.world), _team_ids(data.world)

    def cells(e: Columns, rows: np.ndarray) -> list[pa.Array]:
        no_id = rows % 97 == 41  # about 1 %: event_id is optional
        return [
            blank_where(id_cells("ev-", rows, width), no_id),
            id_cells("7", e["conv"], conv_width),
            timestamp_cells(e["t"]),
            vocab_cells(EVENT_TYPES, e["type"]),
            vocab_cells(users, e["user"]),
            vocab_cells(teams, e["team"]),
            vocab_cells([v for v, _ in VIRTUAL_AGENTS], e["va"]),
            vocab_cells(STATUSES, e["status"]),
            vocab_cells(RESOLVED_BY, e["rby"]),
            vocab_cells(TRIGGERS, e["trig"]),
            vocab_cells(RESOLVE_REASONS, e["reason"]),
            vocab_cells(RESOLVE_COMMENTS, e["comment"]),
            vocab_cells([t[0] for t in TOPICS], e["topic"]),
            vocab_cells(STARTED_BY, e["started"]),
            vocab_cells(HANDOVER_REASONS, e["handover"]),
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
    return BigTable("conversation_events", header, rows_total, _fact(data, "conversation_events"), cells)


def _tag_table(data: Data) -> BigTable:
    width = id_width(data.facts.count("messages"), 9)
    users, teams = _user_ids(data.world), _team_ids(data.world)

    def cells(g: Columns, rows: np.ndarray) -> list[pa.Array]:
        return [
            id_cells("m-", g["msg"], width),
            vocab_cells([t[0] for t in TAGS], g["tag"]),
            timestamp_cells(g["t"]),
            vocab_cells(ACTIONS, g["action"]),
            vocab_cells(users, g["user"]),
            vocab_cells(teams, g["team"]),
            vocab_cells([v for v, _ in VIRTUAL_AGENTS], g["va"]),
        ]

    header = ("message_id", "tag_id", "at", "action", "user_id", "team_id", "virtual_agent_id")
    return BigTable(
        "message_tags", header, data.facts.count("message_tags"), _fact(data, "message_tags"), cells
    )


def _survey_table(data: Data) -> BigTable:
    rows_total = data.facts.count("csat_surveys")
    conv_width = id_width(data.conv_t.size, 9)
    width = id_width(rows_total, 7)

    def cells(s: Columns, rows: np.ndarray) -> list[pa.Array]:
        return [
            blank_where(id_cells("cs-", rows, width), s["noid"]),
            id_cells("7", s["conv"], conv_width),
            timestamp_cells(s["sent"]),
            timestamp_cells(s["resp"]),
            vocab_cells(["1", "2", "3", "4", "5"], np.where(s["score"] > 0, s["score"] - 1, -1)),
            vocab_cells(SURVEY_STATUSES, s["status"]),
            vocab_cells(FOLLOWUP_QUESTIONS, s["fq"]),
            vocab_cells(FOLLOWUP_ANSWERS, s["fa"]),
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
    return BigTable("csat_surveys", header, rows_total, _fact(data, "csat_surveys"), cells)


def _presence_table(data: Data) -> BigTable:
    p = data.presence
    users = _user_ids(data.world)

    def cells(p: Columns, rows: np.ndarray) -> list[pa.Array]:
        return [
            vocab_cells(users, p["user"]),
            timestamp_cells(p["t"]),
            vocab_cells(PRESENCES, p["presence"]),
            vocab_cells(AWAY_STATUSES, p["away"]),
        ]

    header = ("user_id", "at", "presence", "away_status")
    return BigTable("presence_events", header, p["t"].size, _in_memory(p), cells)


def _contact_table(data: Data) -> BigTable:
    c = data.contacts
    n = data.contact_ch.size
    width = id_width(n, 7)
    names = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    handles = [_ascii(f).lower() for f in FIRST_NAMES]

    def cells(c: Columns, rows: np.ndarray) -> list[pa.Array]:
        ch = c["ch"]
        primary = _primary_identifiers(ch, c["number"], c["name"] % len(FIRST_NAMES), handles)
        primary = blank_where(primary, c["no_primary"])
        return [
            id_cells("k-", rows, width),
            vocab_cells([x.medium for x in CHANNELS], ch),
            primary,
            vocab_cells(names, c["name"]),
            timestamp_cells(c["updated"]),
        ]

    header = ("contact_id", "medium", "primary_identifier", "secondary_identifier", "updated_at")
    return BigTable("contacts", header, n, _in_memory({**c, "ch": data.contact_ch}), cells)


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

    def cells(a: Columns, rows: np.ndarray) -> list[pa.Array]:
        attr = a["attr"]
        kind = np.array([ATTR_TYPES.index(s[2]) if s[2] else -1 for s in ATTRIBUTES])[attr]
        return [
            id_cells("k-", a["contact"], width),
            vocab_cells([s[0] for s in ATTRIBUTES], attr),
            vocab_cells([s[1] for s in ATTRIBUTES], attr),
            vocab_cells(values, a["value"]),
            vocab_cells(ATTR_TYPES, kind),
        ]

    header = ("contact_id", "attribute_id", "name", "value", "type")
    return BigTable("contact_attributes", header, a["attr"].size, _in_memory(a), cells)


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
