"""The tables a raw dump may hold (dump-format.md, version 1): columns, types, keys.

Column types, and what the reader turns each into (pandas dtypes of ``Dump.tables``):

- ``id`` / ``text``: ``str`` (pandas' string dtype); an empty cell is missing (NA).
  Kept byte for byte, never trimmed, never a number (``007`` stays ``007``).
- ``enum``: ``str``, trimmed and upper-cased; any other non-empty value rejects the row.
- ``ts``: ``datetime64[ms, UTC]``.
- ``bool``: ``bool`` (numpy), the column's default filled in for empty cells.
- ``int``: ``Int64``.
- ``hhmm``: ``Int64`` minutes since midnight (``24:00`` is 1440).
- ``date``: ``str`` ``YYYY-MM-DD``.
- ``tz``: ``str``, an IANA zone name that zoneinfo knows.

Every table also carries ``_seq`` (``int64``): the row's place in reading order
(dumps in the order given, files in code-point order of their path, then line order),
used to break ties between rows with the same timestamp.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Col:
    name: str
    type: str = "text"
    required: bool = False
    values: tuple[str, ...] = ()  # for enum columns: the closed set
    default: object = None  # for bool columns


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()  # empty: every column is the key
    alt_key: tuple[str, ...] = field(default=())  # used where `key` is empty on a row

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def col(self, name: str) -> Col:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "channels",
        (
            Col("channel_id", "id", True),
            Col("medium", "text", True),
            Col("name", "text", True),
            Col("display_name"),
        ),
        key=("channel_id",),
    ),
    TableSpec(
        "users",
        (
            Col("user_id", "id", True),
            Col("name", "text", True),
            Col("email"),
            Col("reference"),
        ),
        key=("user_id",),
    ),
    TableSpec(
        "teams",
        (
            Col("team_id", "id", True),
            Col("name", "text", True),
            Col("created_at", "ts"),
        ),
        key=("team_id",),
    ),
    TableSpec(
        "virtual_agents",
        (
            Col("virtual_agent_id", "id", True),
            Col("name", "text", True),
        ),
        key=("virtual_agent_id",),
    ),
    TableSpec(
        "contacts",
        (
            Col("contact_id", "id", True),
            Col("medium", "text", True),
            Col("primary_identifier"),
            Col("secondary_identifier"),
            Col("updated_at", "ts"),
        ),
        key=("contact_id",),
    ),
    TableSpec(
        "contact_attributes",
        (
            Col("contact_id", "id", True),
            Col("attribute_id", "id", True),
            Col("name", "text", True),
            Col("value"),
            Col("type"),
        ),
        key=("contact_id", "attribute_id"),
    ),
    TableSpec(
        "topics",
        (
            Col("topic_id", "id", True),
            Col("name", "text", True),
            Col("active", "bool", default=True),
        ),
        key=("topic_id",),
    ),
    TableSpec(
        "tags",
        (
            Col("tag_id", "id", True),
            Col("name", "text", True),
            Col("active", "bool", default=True),
        ),
        key=("tag_id",),
    ),
    TableSpec(
        "business_hours",
        (
            Col("channel_id", "id", True),
            Col("timezone", "tz", True),
            Col("weekday", "enum", True, WEEKDAYS),
            Col("start", "hhmm", True),
            Col("end", "hhmm", True),
        ),
    ),
    TableSpec(
        "holidays",
        (
            Col("channel_id", "id", True),
            Col("date", "date", True),
            Col("name"),
        ),
    ),
    TableSpec(
        "conversations",
        (
            Col("conversation_id", "id", True),
            Col("channel_id", "id", True),
            Col("contact_id", "id", True),
            Col("created_at", "ts", True),
            Col("language"),
            Col("url"),
        ),
        key=("conversation_id",),
    ),
    TableSpec(
        "messages",
        (
            Col("message_id", "id", True),
            Col("conversation_id", "id", True),
            Col("created_at", "ts", True),
            Col("direction", "enum", True, ("INBOUND", "OUTBOUND")),
            Col("message_type"),
            Col("origin"),
            Col("outbound_type"),
            Col("user_id", "id"),
            Col("team_id", "id"),
            Col("virtual_agent_id", "id"),
            Col("system_user_type"),
            Col("content"),
            Col("post_url"),
            Col("updated_at", "ts"),
            Col("deleted_at", "ts"),
        ),
        key=("message_id",),
    ),
    TableSpec(
        "conversation_events",
        (
            Col("event_id", "id"),
            Col("conversation_id", "id", True),
            Col("at", "ts", True),
            Col(
                "type",
                "enum",
                True,
                ("STATUS_CHANGED", "LOCKED", "UNLOCKED", "TOPIC_ADDED", "TOPIC_REMOVED", "QUEUED"),
            ),
            Col("user_id", "id"),
            Col("team_id", "id"),
            Col("virtual_agent_id", "id"),
            Col("status", "enum", values=("NEW", "PENDING", "RESOLVED")),
            Col("resolved_by", "enum", values=("AGENT", "VIRTUAL_AGENT", "BULK_RESOLVE", "SYSTEM")),
            Col("trigger", "enum", values=("HUMAN_AGENT", "VIRTUAL_AGENT", "AUTOMATION", "AUTO_RESOLVE")),
            Col("reason"),
            Col("comment"),
            Col("topic_id", "id"),
            Col("started_by"),
            Col("handover_reason"),
        ),
        key=("event_id",),
    ),
    TableSpec(
        "message_tags",
        (
            Col("message_id", "id", True),
            Col("tag_id", "id", True),
            Col("at", "ts", True),
            Col("action", "enum", True, ("ADDED", "REMOVED")),
            Col("user_id", "id"),
            Col("team_id", "id"),
            Col("virtual_agent_id", "id"),
        ),
    ),
    TableSpec(
        "csat_surveys",
        (
            Col("survey_id", "id"),
            Col("conversation_id", "id", True),
            Col("sent_at", "ts", True),
            Col("responded_at", "ts"),
            Col("score", "int"),
            Col("status", "enum", values=("SENT", "COMPLETED", "EXPIRED")),
            Col("followup_question"),
            Col("followup_answer"),
        ),
        key=("survey_id",),
        alt_key=("conversation_id", "sent_at"),
    ),
    TableSpec(
        "presence_events",
        (
            Col("user_id", "id", True),
            Col("at", "ts", True),
            Col("presence", "enum", True, ("AVAILABLE", "AWAY", "OFFLINE")),
            Col("away_status"),
        ),
    ),
)

TABLE_NAMES: tuple[str, ...] = tuple(t.name for t in TABLES)
_BY_NAME = {t.name: t for t in TABLES}

# Per event type, the cell that must be present (dump-format.md, "Event types").
EVENT_REQUIRES = {
    "STATUS_CHANGED": "status",
    "LOCKED": "user_id",
    "UNLOCKED": "user_id",
    "TOPIC_ADDED": "topic_id",
    "TOPIC_REMOVED": "topic_id",
    "QUEUED": "started_by",
}

# Fact tables whose rows belong to a conversation (orphans are rejected), and the
# timestamp column that places them before or after the snapshot.
SNAPSHOT_COLUMNS = {
    "conversations": "created_at",
    "messages": "created_at",
    "conversation_events": "at",
    "message_tags": "at",
    "presence_events": "at",
    "csat_surveys": "sent_at",
}


def table_spec(name: str) -> TableSpec:
    return _BY_NAME[name]
