"""Hypothesis strategies for the property tests: small raw dumps and the filters of an export.

A dump is drawn as a ``DumpSpec``: per table, rows of *canonical* values (ids as text,
timestamps as UTC epoch milliseconds, enumerations in their upper-case form), a few
rows that the reader must reject, and a way of spelling the cells (timestamps with
``Z``, with an odd UTC offset, as epoch milliseconds, naive, with digits past the
millisecond; enumerations in any case, padded with blanks; booleans as
``true``/``1``/``yes``). ``write_spec`` writes it as CSV files (one folder per dump, as a
user's dump folder), and ``load`` reads it with ``sparkdesk.dump.load_dumps`` exactly as
the command line does.

Why files: the core has no in-memory entry point (``load_dumps`` takes paths; the row
checks, de-duplication, orphans and snapshot all run inside it), and writing a small
dump of about fifteen CSV files takes a few milliseconds against ~50 ms to load it and
~20-40 ms per export, so a folder per example costs little.

What the strategies aim at (dump-format.md, exports.md):

- missing tables (no file), empty tables (a header-only file), a single conversation,
  agent-less conversations, everything open (no resolution), ranges that hold no data;
- unknown references (ids in no reference table), empty references, orphans, rows the
  reader rejects, duplicate keys (exact copies and same key with other cells);
- ids that sort differently as text and numbers (``"10"``, ``"9"``, ``"007"``, ``"7"``),
  ids and text that a CSV must quote or a spreadsheet would run (``a,b``, ``=1+1``, ``-2``);
- timestamps on the zone's daylight-saving changes and local midnights, ties (rows that
  share an instant), and rarely the far edges (epoch 0, the years 1 and 9999 and past
  them, the nanosecond limits 1677/2262, the Excel epoch 1900);
- any IANA zone, weighted towards zones with daylight saving at midnight or odd offsets.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
import os
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY_MS = 24 * HOUR

# Zones with DST changes at or around midnight, 30-minute DST, odd offsets, a skipped day
# (Pacific/Apia skipped 2011-12-30), negative DST (Europe/Dublin) and the far offsets.
ODD_ZONES = (
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kathmandu",
    "Pacific/Apia",
    "America/Havana",
    "America/Santiago",
    "America/Asuncion",
    "America/St_Johns",
    "America/Scoresbysund",
    "Africa/Casablanca",
    "Africa/Cairo",
    "Asia/Beirut",
    "Asia/Tehran",
    "Asia/Kolkata",
    "Australia/Eucla",
    "Australia/Adelaide",
    "Antarctica/Troll",
    "Europe/Dublin",
    "Europe/Madrid",
    "America/New_York",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Etc/GMT+12",
    "Etc/GMT-14",
    "UTC",
)
ALL_ZONES = tuple(sorted(zoneinfo.available_timezones()))


def zones() -> st.SearchStrategy[str]:
    """Any IANA zone, two draws in three from ``ODD_ZONES``."""
    return st.sampled_from((ODD_ZONES, ODD_ZONES, ALL_ZONES)).flatmap(st.sampled_from)


# ----- instants ------------------------------------------------------------------------------


def ms_of(d: dt.datetime) -> int:
    return (d - EPOCH) // dt.timedelta(milliseconds=1)


def utc_of(ms: int) -> dt.datetime | None:
    """The UTC datetime of ``ms``, or None past what ``datetime`` holds (years 1..9999)."""
    try:
        return EPOCH + dt.timedelta(milliseconds=ms)
    except OverflowError:
        return None


def local_midnight_ms(day: dt.date, tz: str) -> int:
    """The first instant of ``day`` in ``tz`` (after a gap; the first of a fold), UTC ms."""
    import pandas as pd

    ts = pd.Timestamp(day).tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return int(ts.tz_convert("UTC").value) // 1_000_000


def _offset_ms(ms: int, zone: zoneinfo.ZoneInfo) -> int:
    return int(utc_of(ms).astimezone(zone).utcoffset() / dt.timedelta(milliseconds=1))


@functools.cache
def transitions(tz: str, first_year: int = 2010, last_year: int = 2026) -> tuple[int, ...]:
    """The instants (UTC ms) where ``tz`` changes its UTC offset, found day by day, then bisected."""
    zone = zoneinfo.ZoneInfo(tz)
    start = ms_of(dt.datetime(first_year, 1, 1, tzinfo=UTC))
    end = ms_of(dt.datetime(last_year + 1, 1, 1, tzinfo=UTC))
    found = []
    prev = _offset_ms(start, zone)
    t = start
    while t < end:
        nxt = t + DAY_MS
        off = _offset_ms(nxt, zone)
        if off != prev:
            lo, hi = t, nxt
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_ms(mid, zone) == prev:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
            prev = off
        t = nxt
    return tuple(found)


PLAIN_DAYS = (dt.date(2025, 3, 10), dt.date(2024, 2, 29), dt.date(2024, 12, 31), dt.date(2025, 1, 1))


@functools.cache
def anchors(tz: str) -> tuple[int, ...]:
    """Instants worth testing around in ``tz``: its offset changes of 2024-2025 (all of them
    for the zones of ``ODD_ZONES``) and the local midnights of a few plain days."""
    picked = list(transitions(tz, 2010 if tz in ODD_ZONES else 2024, 2025))
    picked += [local_midnight_ms(d, tz) for d in PLAIN_DAYS]
    return tuple(sorted(set(picked)))


def local_date(ms: int, tz: str) -> dt.date | None:
    d = utc_of(ms)
    if d is None:
        return None
    try:
        return d.astimezone(zoneinfo.ZoneInfo(tz)).date()
    except OverflowError:
        return None


# The far edges (UTC ms). Past the years 1..9999 only epoch milliseconds can spell them.
FAR_EDGES = (
    0,  # the epoch
    -1,
    -62_135_596_800_000,  # 0001-01-01T00:00:00.000Z
    253_402_300_799_999,  # 9999-12-31T23:59:59.999Z
    253_402_300_800_000,  # 10000-01-01 (epoch ms only)
    -62_135_596_800_001,  # the last millisecond of the year 0 (epoch ms only)
    10**15,
    -(10**15),
    -2_208_988_800_000,  # 1900-01-01, the Excel epoch
    -2_203_891_200_000,  # 1900-03-01, after Excel's phantom 1900-02-29
    -2_209_075_200_000,  # 1899-12-31
    9_223_372_036_854,  # 2262-04-11T23:47:16.854Z, the last ms pandas' nanoseconds hold
    9_223_372_036_855,
    -9_223_372_036_854,  # 1677-09-21, the first
    -9_223_372_036_855,
    2_147_483_648_000,  # 2038-01-19T03:14:08Z
)
FAR_DAYS = (
    dt.date(1, 1, 1),
    dt.date(9999, 12, 31),
    dt.date(1677, 9, 21),
    dt.date(2262, 4, 11),
    dt.date(1899, 12, 31),
    dt.date(1900, 2, 28),
    dt.date(1970, 1, 1),
)


# ----- the model of a dump -----------------------------------------------------------------


class Raw(str):
    """A cell written exactly as given (no canonical value): used for cells the reader rejects."""


@dataclass
class TableRows:
    rows: list[dict] = field(default_factory=list)  # canonical values; None = empty cell
    bad: list[dict] = field(default_factory=list)  # rows with a Raw cell the reader rejects
    ts_style: str = "z"
    enum_style: str = "upper"
    bool_style: str = "true"
    keep_empty_columns: bool = True  # an optional column with every cell empty still gets a header
    extra_column: bool = False  # an unknown column (a warning)
    copies: int = 0  # rows _add_duplicates inserted


@dataclass
class DumpSpec:
    """A drawn dump: ``tables[name]`` is None for a missing file, TableRows (maybe empty) else."""

    tz: str
    base: int  # the anchor instant the data sits around
    scenario: str
    tables: dict[str, TableRows | None]
    manifest: dict | None

    def rows_written(self, name: str) -> int:
        t = self.tables.get(name)
        return 0 if t is None else len(t.rows) + len(t.bad)

    def instants(self) -> list[int]:
        out = []
        for t in self.tables.values():
            if t is None:
                continue
            for r in t.rows:
                out += [v for k, v in r.items() if k in TS_COLUMNS and isinstance(v, int)]
        return out


TS_COLUMNS = frozenset({"created_at", "updated_at", "deleted_at", "at", "sent_at", "responded_at"})
BOOL_COLUMNS = frozenset({"active"})
# Enumeration columns per table (dump-format.md); "type" of contact_attributes is free text.
ENUMS: dict[str, frozenset[str]] = {
    "conversation_events": frozenset({"type", "status", "resolved_by", "trigger"}),
    "messages": frozenset({"direction"}),
    "message_tags": frozenset({"action"}),
    "csat_surveys": frozenset({"status"}),
    "presence_events": frozenset({"presence"}),
    "business_hours": frozenset({"weekday"}),
}

# Every column of each table, in the spec's order (dump-format.md).
COLUMNS: dict[str, tuple[str, ...]] = {
    "channels": ("channel_id", "medium", "name", "display_name"),
    "users": ("user_id", "name", "email", "reference"),
    "teams": ("team_id", "name", "created_at"),
    "virtual_agents": ("virtual_agent_id", "name"),
    "contacts": ("contact_id", "medium", "primary_identifier", "secondary_identifier", "updated_at"),
    "contact_attributes": ("contact_id", "attribute_id", "name", "value", "type"),
    "topics": ("topic_id", "name", "active"),
    "tags": ("tag_id", "name", "active"),
    "business_hours": ("channel_id", "timezone", "weekday", "start", "end"),
    "holidays": ("channel_id", "date", "name"),
    "conversations": ("conversation_id", "channel_id", "contact_id", "created_at", "language", "url"),
    "messages": (
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
    ),
    "conversation_events": (
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
    ),
    "message_tags": ("message_id", "tag_id", "at", "action", "user_id", "team_id", "virtual_agent_id"),
    "csat_surveys": (
        "survey_id",
        "conversation_id",
        "sent_at",
        "responded_at",
        "score",
        "status",
        "followup_question",
        "followup_answer",
    ),
    "presence_events": ("user_id", "at", "presence", "away_status"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "channels": ("channel_id", "medium", "name"),
    "users": ("user_id", "name"),
    "teams": ("team_id", "name"),
    "virtual_agents": ("virtual_agent_id", "name"),
    "contacts": ("contact_id", "medium"),
    "contact_attributes": ("contact_id", "attribute_id", "name"),
    "topics": ("topic_id", "name"),
    "tags": ("tag_id", "name"),
    "business_hours": ("channel_id", "timezone", "weekday", "start", "end"),
    "holidays": ("channel_id", "date"),
    "conversations": ("conversation_id", "channel_id", "contact_id", "created_at"),
    "messages": ("message_id", "conversation_id", "created_at", "direction"),
    "conversation_events": ("conversation_id", "at", "type"),
    "message_tags": ("message_id", "tag_id", "at", "action"),
    "csat_surveys": ("conversation_id", "sent_at"),
    "presence_events": ("user_id", "at", "presence"),
}
TABLE_NAMES = tuple(COLUMNS)
# The column whose value orders a table's rows in time (ties keep their reading order).
TIME_COLUMN = {
    "conversations": "created_at",
    "messages": "created_at",
    "conversation_events": "at",
    "message_tags": "at",
    "csat_surveys": "sent_at",
    "presence_events": "at",
}
# Key columns (dump-format.md, "Keys and duplicates"); () = every column.
KEYS = {
    "channels": ("channel_id",),
    "users": ("user_id",),
    "teams": ("team_id",),
    "virtual_agents": ("virtual_agent_id",),
    "contacts": ("contact_id",),
    "topics": ("topic_id",),
    "tags": ("tag_id",),
    "conversations": ("conversation_id",),
    "messages": ("message_id",),
    "contact_attributes": ("contact_id", "attribute_id"),
}


def row_key(table: str, row: dict) -> tuple:
    """The key a row is de-duplicated by, from its canonical values."""
    if table == "csat_surveys":
        if row.get("survey_id") is not None:
            return ("survey", row["survey_id"])
        return ("alt", row["conversation_id"], row["sent_at"])
    if table == "conversation_events" and row.get("event_id") is not None:
        return ("event", row["event_id"])
    cols = KEYS.get(table) or COLUMNS[table]
    return tuple(row.get(c) for c in cols)


# ----- spelling cells --------------------------------------------------------------------------

TS_STYLES = ("z", "offset", "ms", "naive", "micro", "mixed")
OFFSETS = (
    dt.timedelta(hours=5, minutes=45),
    dt.timedelta(hours=-3, minutes=-30),
    dt.timedelta(hours=13, minutes=45),
)


def spell_ts(ms: int, style: str, i: int) -> str:
    if style == "mixed":
        style = TS_STYLES[i % 5]
    d = utc_of(ms)
    if style == "ms" or d is None:
        return str(ms)
    if style == "offset":
        try:
            d = d.astimezone(dt.timezone(OFFSETS[i % len(OFFSETS)]))
            d.isoformat()
        except (OverflowError, ValueError):
            return d.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return d.isoformat(timespec="milliseconds")
    text = d.replace(tzinfo=None).isoformat(timespec="milliseconds")
    if style == "naive":
        return text
    if style == "micro":
        return text + "999+00:00"  # digits past the millisecond are truncated
    return text + "Z"


def spell_enum(value: str, style: str, i: int) -> str:
    if style == "lower":
        return value.lower()
    if style == "padded":
        return f" {value.lower() if i % 2 else value} "
    if style == "title":
        return value.title()
    return value


BOOL_SPELLINGS = {
    "true": ("true", "false"),
    "1": ("1", "0"),
    "yes": ("YES", "no"),
    "mixed": ("True", "FALSE"),
}


def spell(table: TableRows, column: str, value, i: int, enums: frozenset[str] = frozenset()) -> str:
    if value is None:
        return ""
    if isinstance(value, Raw):
        return str(value)
    if column in TS_COLUMNS:
        return spell_ts(value, table.ts_style, i)
    if column in BOOL_COLUMNS:
        yes, no = BOOL_SPELLINGS[table.bool_style]
        return yes if value else no
    if column in enums:
        return spell_enum(value, table.enum_style, i)
    return str(value)


def write_table(path: Path, name: str, table: TableRows, rows: list[dict] | None = None) -> None:
    """One table as a CSV file; ``rows`` (default: the good rows, then the bad ones)."""
    rows = table.rows + table.bad if rows is None else rows
    enums = ENUMS.get(name, frozenset())
    cols = [
        c
        for c in COLUMNS[name]
        if c in REQUIRED[name] or table.keep_empty_columns or any(r.get(c) is not None for r in rows)
    ]
    if table.extra_column:
        cols.append("Notes")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for i, r in enumerate(rows):
            w.writerow(["x" if c == "Notes" else spell(table, c, r.get(c), i, enums) for c in cols])


def write_manifest(folder: Path, manifest: dict | None) -> None:
    if manifest is None:
        return
    man = dict(manifest)
    if isinstance(man.get("snapshot_at"), int):
        man["snapshot_at"] = spell_ts(man["snapshot_at"], "z", 0)
    (folder / "manifest.json").write_text(json.dumps(man), encoding="utf-8")


def write_spec(spec: DumpSpec, folder: Path) -> Path:
    """The dump as a folder of CSV files and a manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, table in spec.tables.items():
        if table is not None:
            write_table(folder / f"{name}.csv", name, table)
    write_manifest(folder, spec.manifest)
    return folder


def load(*folders: Path):
    from sparkdesk.dump import load_dumps

    return load_dumps(list(folders), cache=False)


def load_or_reject(*folders: Path):
    """``load``, where the one refusal a drawn dump may earn (a manifest snapshot past the
    years 1..9999, dump-format.md "fatal") makes the example invalid; any other refusal fails."""
    from hypothesis import reject

    from sparkdesk.dump import DumpRefused

    try:
        return load(*folders)
    except DumpRefused as err:
        if "snapshot_at outside" in str(err):
            reject()
        raise


def split_spec(spec: DumpSpec, sides: dict[str, list[int]], a: Path, b: Path) -> None:
    """Write ``spec`` as two dumps: table rows go to ``a`` or ``b`` by ``sides[table][i]``
    (indexes into rows + bad); both get the manifest. Each keeps its rows' relative order."""
    for folder in (a, b):
        folder.mkdir(parents=True, exist_ok=True)
        write_manifest(folder, spec.manifest)
    for name, table in spec.tables.items():
        if table is None:
            continue
        rows = table.rows + table.bad
        side = sides.get(name, [0] * len(rows))
        for which, folder in ((0, a), (1, b)):
            part = [r for r, s in zip(rows, side, strict=True) if s == which]
            write_table(folder / f"{name}.csv", name, table, part)  # maybe header only


def tie_groups(spec: DumpSpec, name: str) -> list[int]:
    """A group number per row (rows + bad) of ``name``: rows sharing the time column's value
    share a group, so that splitting by group keeps every tie in one file, in order."""
    table = spec.tables[name]
    rows = table.rows + table.bad
    col = TIME_COLUMN.get(name)
    out, seen = [], {}
    for i, r in enumerate(rows):
        v = r.get(col) if col else None
        if col is None or v is None or isinstance(v, Raw):
            out.append(-1 - i)  # alone
        else:
            out.append(seen.setdefault(v, len(seen)))
    return out


# ----- drawing a dump ----------------------------------------------------------------------

SCENARIOS = ("mixed", "mixed", "mixed", "mixed", "single", "agentless", "all_open", "sparse")

CHANNELS = ("ch1", "ch2", "10", "9")
CONTACTS = ("k1", "k2", "007", "7")
USERS = ("u1", "u2", "=u3")
TEAMS = ("t1", "t2")
VAS = ("va1", "va2")
TOPICS = ("tp1", "tp2", "tp10")
TAGS = ("g1", "g2", "-g3")
# Ids in no reference table (unknown references).
UNKNOWN = {
    "channel": "chX",
    "contact": "kX",
    "user": "uX",
    "team": "tX",
    "va": "vaX",
    "topic": "tpX",
    "tag": "gX",
    "conversation": "cX",
    "message": "mX",
}
CONVERSATION_IDS = ("c1", "c2", "c10", "c9", "007", "7", "=c", "a,b")
MESSAGE_IDS = tuple(f"m{i}" for i in range(1, 16)) + ("10", "9", "@m", 'q"1')
# text cells: quoting (, " newline CR), formula starts (= + - @ TAB), accents and emoji,
# a control character XLSX cannot hold (U+0001), a noncharacter XML cannot hold (U+FFFE)
TEXT_ALPHABET = st.sampled_from(list("abcXYZ 019,\"'\n\r=+-@\tñé😀\x01\ufffe_"))
texts = st.text(TEXT_ALPHABET, max_size=8)
names = st.one_of(  # never empty: names are required cells
    st.sampled_from(["Ana", "Ben", "Zoë", "ana", "=SUM(A1)", "-1", "a,b", 'say "hi"', " ", "_x000D_"]),
    st.text(TEXT_ALPHABET, min_size=1, max_size=8),
)

STARTED_BY = (
    "NEW_INBOUND_MESSAGE",
    "REOPENED_BY_CONTACT",
    "VA_HANDED_OVER_CONVERSATION",
    "va_handed_over_conversation",
    "AR_HANDED_OVER_CONVERSATION",
    "MOVED_BY_AGENT",
    "OUTBOUND_BY_AGENT",
)


def counts(lo: int, hi: int) -> st.SearchStrategy[int]:
    """A size, uniform over lo..hi (``st.integers`` favours the small ones, and a derandomized
    run of 25 examples then holds few rows); it still shrinks towards ``lo``."""
    return st.sampled_from(range(lo, hi + 1))


def _maybe(strategy, none_weight: int = 1):
    """None ``none_weight`` times in ``none_weight + 1``, else a value of ``strategy``."""
    return st.sampled_from([True] * none_weight + [False]).flatmap(
        lambda empty: st.none() if empty else strategy
    )


@functools.cache
def edges_near(base: int, tz: str) -> tuple[int, ...]:
    """Instants on a boundary near ``base``: the anchor itself and the local midnights of the
    days around it (where the ranges start and end), each with the milliseconds beside it."""
    day = local_date(base, tz)
    marks = [base, base + DAY_MS]
    marks += [local_midnight_ms(day + dt.timedelta(days=k), tz) for k in range(-2, 6)]
    return tuple(sorted({m + d for m in marks for d in (-1, 0, 1)}))


@st.composite
def instants_near(draw, base: int, tz: str, pool: list[int], far: bool = True) -> int:
    """An instant: mostly one of the shared ``pool`` (ties) or within -2..+3 days of ``base``;
    now and then on a boundary (a local midnight, the anchor) or a millisecond beside it,
    or at a far edge."""
    branch = draw(st.integers(0, 19))
    if branch < 7 and pool:
        return draw(st.sampled_from(pool))
    if branch < 15:
        minutes = draw(st.integers(-2 * 24 * 60, 3 * 24 * 60))
        jitter = draw(st.sampled_from((0, 0, 0, 1, 999, 500)))
        return base + minutes * MINUTE + jitter
    if branch < 19:
        return draw(st.sampled_from(edges_near(base, tz)))
    return draw(st.sampled_from(FAR_EDGES if far else edges_near(base, tz)))


@st.composite
def dump_specs(
    draw,
    tz: str | None = None,
    *,
    bad_rows: bool = True,
    duplicates: bool = True,
    far: bool | None = None,
) -> DumpSpec:
    """A small dump. ``bad_rows``: rows the reader rejects; ``duplicates``: rows sharing a key
    (without it every key is unique); ``far``: instants at the far edges may be drawn (by
    default yes; SPARKDESK_PROPERTIES_FAR=0 leaves them out, to look past a known bug there
    during a long run)."""
    if far is None:
        far = os.environ.get("SPARKDESK_PROPERTIES_FAR", "1") != "0"
    tz = tz or draw(zones())
    base = draw(st.sampled_from(anchors(tz)))
    scenario = draw(st.sampled_from(SCENARIOS))
    pool: list[int] = []
    near = instants_near(base, tz, pool, far)
    pool.extend(draw(st.lists(near, min_size=1, max_size=5)))

    def t() -> int:
        return draw(near)

    agents = scenario != "agentless"
    tables: dict[str, TableRows | None] = {}

    def presence_of(name: str) -> str:
        """missing (no file), empty (header only) or rows."""
        if scenario == "sparse":
            return draw(st.sampled_from(("missing", "missing", "empty", "rows")))
        if name in TIME_COLUMN:  # fact tables: mostly rows, so that the exports have rows
            return draw(st.sampled_from(("missing", "empty") + ("rows",) * 8))
        return draw(st.sampled_from(("missing", "empty", "rows", "rows", "rows", "rows")))

    def table(name: str, make_rows) -> None:
        state = presence_of(name)
        if state == "missing":
            tables[name] = None
            return
        tr = TableRows(
            ts_style=draw(st.sampled_from(TS_STYLES)),
            enum_style=draw(st.sampled_from(("upper", "upper", "lower", "padded", "title"))),
            bool_style=draw(st.sampled_from(tuple(BOOL_SPELLINGS))),
            keep_empty_columns=draw(st.booleans()),
            extra_column=draw(st.integers(0, 9)) == 0,
        )
        tables[name] = tr
        if state == "rows":
            tr.rows = make_rows()

    # --- reference tables
    channel_ids = list(CHANNELS)
    table(
        "channels",
        lambda: [
            {
                "channel_id": c,
                "medium": draw(st.sampled_from(("WHATSAPP", "TWITTER", "SMS", "whatsapp"))),
                "name": draw(names),
                "display_name": draw(_maybe(names)),
            }
            for c in draw(st.lists(st.sampled_from(channel_ids), unique=True, max_size=4))
        ],
    )
    if agents:
        table(
            "users",
            lambda: [
                {
                    "user_id": u,
                    "name": draw(names),
                    "email": draw(_maybe(texts)),
                    "reference": draw(_maybe(texts)),
                }
                for u in draw(st.lists(st.sampled_from(USERS), unique=True, max_size=3))
            ],
        )
        table(
            "virtual_agents",
            lambda: [
                {"virtual_agent_id": v, "name": draw(names)}
                for v in draw(st.lists(st.sampled_from(VAS), unique=True, max_size=2))
            ],
        )
    else:
        tables["users"] = tables["virtual_agents"] = None
    table(
        "teams",
        lambda: [
            {"team_id": x, "name": draw(names), "created_at": draw(_maybe(near))}
            for x in draw(st.lists(st.sampled_from(TEAMS), unique=True, max_size=2))
        ],
    )
    table(
        "contacts",
        lambda: [
            {
                "contact_id": k,
                "medium": draw(st.sampled_from(("WHATSAPP", "TWITTER"))),
                "primary_identifier": draw(_maybe(names)),
                "secondary_identifier": draw(_maybe(names)),
                "updated_at": draw(_maybe(near, 2)),
            }
            for k in draw(st.lists(st.sampled_from(CONTACTS), unique=True, max_size=4))
        ],
    )
    table(
        "contact_attributes",
        lambda: [
            {
                "contact_id": k,
                "attribute_id": a,
                "name": draw(names),
                "value": draw(_maybe(texts)),
                "type": draw(_maybe(st.sampled_from(("TEXT", "NUMBER", "DATE")))),
            }
            for k, a in draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(CONTACTS + (UNKNOWN["contact"],)), st.sampled_from(("a1", "a2", "A1"))
                    ),
                    unique=True,
                    max_size=4,
                )
            )
        ],
    )
    for name, ids in (("topics", TOPICS), ("tags", TAGS)):
        table(
            name,
            lambda ids=ids, name=name: [
                {name[:-1] + "_id": x, "name": draw(names), "active": draw(_maybe(st.booleans()))}
                for x in draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
            ],
        )
    table(
        "business_hours",
        lambda: [_hours_row(draw, channel_ids + [UNKNOWN["channel"]], tz) for _ in range(draw(counts(0, 4)))],
    )
    table(
        "holidays",
        lambda: [
            {
                "channel_id": draw(st.sampled_from(channel_ids)),
                "date": str(local_date(base, tz) + dt.timedelta(days=draw(st.integers(-2, 3)))),
                "name": draw(_maybe(names)),
            }
            for _ in range(draw(counts(0, 2)))
        ],
    )

    # --- facts
    conv_channels = channel_ids + [UNKNOWN["channel"]]
    n_conv = 1 if scenario == "single" else draw(counts(0, 6))
    conv_ids = draw(
        st.lists(st.sampled_from(CONVERSATION_IDS), unique=True, min_size=n_conv, max_size=n_conv)
    )
    conversations = [
        {
            "conversation_id": c,
            "channel_id": draw(st.sampled_from(conv_channels)),
            "contact_id": draw(st.sampled_from(CONTACTS + (UNKNOWN["contact"],))),
            "created_at": t(),
            "language": draw(_maybe(st.sampled_from(("en", "es")))),
            "url": draw(_maybe(st.just(f"https://inbox.example.com/c/{c}"), 2)),
        }
        for c in conv_ids
    ]
    tables["conversations"] = TableRows(
        rows=conversations,
        ts_style=draw(st.sampled_from(TS_STYLES)),
        keep_empty_columns=draw(st.booleans()),
    )
    if not conversations and draw(st.booleans()):
        tables["conversations"] = None  # no conversations file at all
    # the conversation of a message, event or survey: an orphan about one time in eight
    owner = st.sampled_from(conv_ids * 7 + [UNKNOWN["conversation"]])
    users = USERS + (UNKNOWN["user"],)
    teams = TEAMS + (UNKNOWN["team"],)
    vas = VAS + (UNKNOWN["va"],)

    def who(agent_kinds=("user", "va", "none")) -> dict:
        """user_id/team_id or virtual_agent_id (or nobody) of a row."""
        kind = draw(st.sampled_from(agent_kinds)) if agents else "none"
        if kind == "user":
            return {"user_id": draw(st.sampled_from(users)), "team_id": draw(_maybe(st.sampled_from(teams)))}
        if kind == "va":
            return {"virtual_agent_id": draw(st.sampled_from(vas))}
        return {}

    def messages() -> list[dict]:
        n = draw(counts(0, 10))
        ids = draw(st.lists(st.sampled_from(MESSAGE_IDS), unique=True, min_size=n, max_size=n))
        out = []
        for m in ids:
            inbound = draw(st.booleans())
            row = {
                "message_id": m,
                "conversation_id": draw(owner),
                "created_at": t(),
                "direction": "INBOUND" if inbound else "OUTBOUND",
                "message_type": draw(_maybe(st.sampled_from(("TEXT", "IMAGE", "CSAT_SURVEY")))),
                "origin": draw(_maybe(st.sampled_from(("CONTACT", "AGENT_CONSOLE", "API")))),
                "content": draw(_maybe(texts)),
                "post_url": draw(_maybe(st.just("https://x.example/p"), 3)),
                "updated_at": draw(_maybe(near, 3)),
                "deleted_at": draw(_maybe(near, 4)),
            }
            if not inbound:
                row.update(who(("user", "user", "va", "none")))
                row["outbound_type"] = draw(_maybe(st.sampled_from(("REPLY", "TEMPLATE"))))
                if "user_id" not in row and "virtual_agent_id" not in row:
                    row["system_user_type"] = draw(_maybe(st.sampled_from(("AUTO_RESPONDER", "CSAT"))))
            out.append(row)
        return out

    table("messages", messages)
    message_ids = [r["message_id"] for r in (tables["messages"].rows if tables["messages"] else [])]

    def events() -> list[dict]:
        kinds = [
            "STATUS_CHANGED",
            "STATUS_CHANGED",
            "STATUS_CHANGED",
            "QUEUED",
            "QUEUED",
            "TOPIC_ADDED",
            "TOPIC_ADDED",
            "TOPIC_REMOVED",
        ]
        if agents:
            kinds += ["LOCKED", "LOCKED", "UNLOCKED"]
        out = []
        for i in range(draw(counts(0, 15))):
            kind = draw(st.sampled_from(kinds))
            row = {
                "event_id": draw(_maybe(st.just(f"e{i}"), 2)),
                "conversation_id": draw(owner),
                "at": t(),
                "type": kind,
            }
            if kind == "STATUS_CHANGED":
                statuses = (
                    ("NEW", "PENDING")
                    if scenario == "all_open"
                    else ("NEW", "PENDING", "RESOLVED", "RESOLVED", "RESOLVED")
                )
                row["status"] = draw(st.sampled_from(statuses))
                row.update(who())
                if row["status"] == "RESOLVED":
                    row["resolved_by"] = draw(
                        _maybe(st.sampled_from(("AGENT", "VIRTUAL_AGENT", "BULK_RESOLVE", "SYSTEM")))
                    )
                    row["trigger"] = draw(
                        _maybe(st.sampled_from(("HUMAN_AGENT", "AUTOMATION", "AUTO_RESOLVE")))
                    )
                    row["reason"] = draw(_maybe(texts))
                    row["comment"] = draw(_maybe(texts, 2))
            elif kind in ("LOCKED", "UNLOCKED"):
                row["user_id"] = draw(st.sampled_from(users))
                row["team_id"] = draw(_maybe(st.sampled_from(teams)))
            elif kind.startswith("TOPIC"):
                row["topic_id"] = draw(st.sampled_from(TOPICS + (UNKNOWN["topic"],)))
                row.update(who())
            else:
                row["started_by"] = draw(st.sampled_from(STARTED_BY))
                row["handover_reason"] = draw(_maybe(st.sampled_from(("ERROR", "error", "TIMEOUT"))))
                if agents and draw(st.booleans()):
                    row["virtual_agent_id"] = draw(st.sampled_from(vas))
            out.append(row)
        return out

    table("conversation_events", events)
    table(
        "message_tags",
        lambda: [
            {
                "message_id": draw(st.sampled_from(message_ids * 5 + [UNKNOWN["message"]])),
                "tag_id": draw(st.sampled_from(TAGS + (UNKNOWN["tag"],))),
                "at": t(),
                "action": draw(st.sampled_from(("ADDED", "ADDED", "ADDED", "REMOVED"))),
                **who(),
            }
            for _ in range(draw(counts(0, 8)))
        ],
    )
    table(
        "csat_surveys",
        lambda: [
            {
                "survey_id": draw(_maybe(st.just(f"s{i}"))),
                "conversation_id": draw(owner),
                "sent_at": t(),
                "responded_at": draw(_maybe(near)),
                "score": draw(_maybe(st.integers(1, 5))),
                "status": draw(_maybe(st.sampled_from(("SENT", "COMPLETED", "EXPIRED")), 2)),
                "followup_question": draw(_maybe(texts)),
                "followup_answer": draw(_maybe(texts)),
            }
            for i in range(draw(counts(0, 3)))
        ],
    )
    if agents:
        table(
            "presence_events",
            lambda: [_presence_row(draw, users, t()) for _ in range(draw(counts(0, 6)))],
        )
    else:
        tables["presence_events"] = None

    if bad_rows:
        _add_bad_rows(draw, tables)
    if duplicates:
        _add_duplicates(draw, tables)
    else:
        _drop_duplicates(tables)

    if all(v is None for v in tables.values()):  # a dump needs one table file at least
        tables["conversations"] = TableRows()
    manifest = None
    if draw(st.integers(0, 4)):
        manifest = {"format": "sparkdesk-dump", "version": 1}
        snap = draw(st.sampled_from(("none", "after", "after", "after", "inside", "at_base", "far")))
        if snap == "after":
            manifest["snapshot_at"] = base + 10 * DAY_MS
        elif snap == "inside":
            manifest["snapshot_at"] = t()
        elif snap == "at_base":
            manifest["snapshot_at"] = base
        elif snap == "far" and far:  # the last day that is no day past the year 9999 anywhere, or past it
            manifest["snapshot_at"] = draw(st.sampled_from((253_402_128_000_000, 253_402_300_799_999)))
        if draw(st.booleans()):
            manifest["conversation_url_template"] = (
                "https://inbox.example.com/conversations/{conversation_id}"
            )
        if draw(st.booleans()):
            manifest["organization"] = "Acme"
    return DumpSpec(tz=tz, base=base, scenario=scenario, tables=tables, manifest=manifest)


def _hours_row(draw, channels: list[str], tz: str) -> dict:
    start = draw(st.integers(0, 23 * 4)) * 15
    end = draw(st.integers(start // 15 + 1, 96)) * 15
    return {
        "channel_id": draw(st.sampled_from(channels)),
        "timezone": draw(st.one_of(st.just(tz), st.sampled_from(ODD_ZONES))),
        "weekday": draw(
            st.sampled_from(("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"))
        ),
        "start": f"{start // 60:02d}:{start % 60:02d}",
        "end": f"{end // 60:02d}:{end % 60:02d}",
    }


def _presence_row(draw, users, when: int) -> dict:
    state = draw(st.sampled_from(("AVAILABLE", "AWAY", "OFFLINE")))
    return {
        "user_id": draw(st.sampled_from(users)),
        "at": when,
        "presence": state,
        "away_status": draw(_maybe(st.sampled_from(("Lunch", "Meeting")))) if state == "AWAY" else None,
    }


# One way per table to break a row so that step one rejects it (dump-format.md, "Bad input").
def _breakers(name: str) -> list[tuple[str, object]]:
    req = REQUIRED[name]
    out: list[tuple[str, object]] = [(req[0], None)]  # a required cell empty
    ts = [c for c in COLUMNS[name] if c in TS_COLUMNS]
    out += [(c, Raw("not a time")) for c in ts]
    out += [(c, Raw("MAYBE")) for c in COLUMNS[name] if c in ENUMS.get(name, ())]
    if name in ("topics", "tags"):
        out.append(("active", Raw("perhaps")))
    if name == "csat_surveys":
        out.append(("score", Raw("9")))
    if name == "business_hours":
        out += [("timezone", Raw("Mars/Olympus_Mons")), ("start", Raw("25:00"))]
    if name == "holidays":
        out.append(("date", Raw("2025-02-30")))
    return out


def _add_bad_rows(draw, tables: dict[str, TableRows | None]) -> None:
    for name, table in tables.items():
        if table is None or not table.rows or draw(st.integers(0, 3)):
            continue
        for _ in range(draw(st.integers(1, 2))):
            src = draw(st.sampled_from(table.rows))
            col, value = draw(st.sampled_from(_breakers(name)))
            bad = {**src, col: value}
            if name == "messages" and draw(st.booleans()):  # an agent on an inbound row, or two agents
                bad = {**src, "direction": "INBOUND", "user_id": "u1"}
                if draw(st.booleans()):
                    bad = {**src, "direction": "OUTBOUND", "user_id": "u1", "virtual_agent_id": "va1"}
            table.bad.append(bad)


def _add_duplicates(draw, tables: dict[str, TableRows | None]) -> None:
    """Exact copies and same-key rows with other cells, placed anywhere after their original."""
    for name, table in tables.items():
        if table is None or not table.rows or draw(st.integers(0, 2)):
            continue
        i = draw(st.integers(0, len(table.rows) - 1))
        copy = dict(table.rows[i])
        if KEYS.get(name) and draw(st.booleans()):
            other = [c for c in COLUMNS[name] if c not in KEYS[name] and c not in REQUIRED[name]]
            if other:
                col = draw(st.sampled_from(other))
                copy[col] = None  # same key, a cell emptied
        at = draw(st.integers(i + 1, len(table.rows)))
        table.rows.insert(at, copy)
        table.copies += 1


def _drop_duplicates(tables: dict[str, TableRows | None]) -> None:
    """Keep the first row of each key (the strategies draw unique ids, but every-column keys
    such as presence events may repeat by chance)."""
    for name, table in tables.items():
        if table is None:
            continue
        seen, kept = set(), []
        for r in table.rows:
            k = row_key(name, r)
            if k not in seen:
                seen.add(k)
                kept.append(r)
        table.rows = kept


# ----- filters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    first: dt.date | None
    last: dt.date | None
    kind: str


RANGE_KINDS = ("around", "around", "around", "single", "default", "outside", "far")


@st.composite
def ranges(draw, spec: DumpSpec, max_days: int = 4, kinds: tuple[str, ...] = RANGE_KINDS) -> Range:
    """Around the data (single days, a few days), the default range, a range with no data,
    or rarely days at the far edges of the calendar."""
    if os.environ.get("SPARKDESK_PROPERTIES_FAR", "1") == "0":
        kinds = tuple(k for k in kinds if k != "far") or ("around",)
    kind = draw(st.sampled_from(kinds))
    base_day = local_date(spec.base, spec.tz)
    if kind in ("around", "single"):
        first = base_day + dt.timedelta(days=draw(st.integers(-2, 2)))
        days = 0 if kind == "single" else draw(counts(0, max_days - 1))
        return Range(first, first + dt.timedelta(days=days), kind)
    if kind == "default":
        return Range(None, None, kind)
    if kind == "outside":
        first = draw(
            st.sampled_from((dt.date(1995, 6, 1), dt.date(2090, 1, 1), base_day + dt.timedelta(days=40)))
        )
        return Range(first, first + dt.timedelta(days=draw(st.integers(0, 1))), kind)
    first = draw(st.sampled_from(FAR_DAYS))
    return Range(first, first, kind)


def day_list(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# ----- running exports -----------------------------------------------------------------------


def params(type_id: str, tz: str, rng: Range, channels: tuple[str, ...] = (), include_content: bool = True):
    from sparkdesk.exports import ExportParams

    return ExportParams(type_id, tz, rng.first, rng.last, tuple(channels), include_content)


def compute_all(dump, tz: str, rng: Range, channels: tuple[str, ...] = (), types=None) -> dict:
    """type id -> computed table, for every export type (or ``types``)."""
    from sparkdesk.catalogue import EXPORT_IDS
    from sparkdesk.exports import compute

    return {t: compute(dump, params(t, tz, rng, channels)) for t in (types or EXPORT_IDS)}


@st.composite
def channel_subsets(draw, dump) -> tuple[str, ...]:
    """A non-empty set of the dump's known channel ids (``Dump.channels()``), in any order."""
    known = list(dump.channels()["channel_id"].dropna())
    if not known:
        return ()
    return tuple(draw(st.lists(st.sampled_from(known), unique=True, min_size=1, max_size=len(known))))
