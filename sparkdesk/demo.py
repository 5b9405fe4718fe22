"""A deterministic synthetic dump: the demo users see first, the fixture tests lean on, and
the load that benchmarks scale up.

``write_demo(out, conversations=500, seed=1)`` writes a complete dump (``manifest.json`` and
one CSV per table of ``dump-format.md``) covering about 60 days that end at a fixed snapshot
(2025-06-30T20:00:00Z), never "today", so the same ``(conversations, seed)`` always gives
byte-identical files.

Why it is built the way it is:

- **Vectorised.** A million conversations (about ten million messages) must come out in a
  few minutes, so nothing loops over conversations or messages in Python. Each conversation
  lives through at most ``MAX_CYCLES`` *cycles* (contact writes, a bot or auto-responder may
  answer, the conversation is queued, agents lock it, reply and resolve it; a resolved
  conversation may be reopened by the contact). Every stage of a cycle is computed for all
  conversations at once with numpy: per-conversation counts drawn from the generator,
  ``np.repeat`` to expand them into rows, cumulative sums to lay out times.
- **Realistic and complete.** Every table and every column that an export reads is
  exercised: virtual-agent handovers (some by ``ERROR``), auto-responder handovers, steals,
  cherry picking, no-reply resolutions, agents moving between conversations, reopened
  conversations, pending and open conversations at the snapshot, topics and tags added and
  removed, CSAT surveys in every state, presence with shifts and breaks, business hours in
  two time zones with a holiday, edited and deleted messages, and text that needs CSV
  quoting or the formula guard.
- **Fast CSV.** Cells are formatted column by column (fixed-width ids and timestamps are
  written digit by digit into byte matrices; text comes from small pre-quoted vocabularies),
  then rows are joined by pyarrow and written in chunks. Quoting is minimal (RFC 4180),
  so the files look like a real export.
- **Consistent.** Within a conversation every event and message comes after its creation,
  replies come after the inbound message they answer (except the deliberate
  outbound-first conversations, which open with an agent's template), and nothing is dated
  after the snapshot: rows that the simulation places later are cut, which is what leaves
  some conversations open, some locks held and some surveys unanswered at the snapshot.

Scale: the number of agents (and teams) grows with the number of conversations (about one
agent per 2,000 conversations, at least 12 in 3 teams), so per-agent workload stays human.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sparkdesk.tasks import CancelToken, Progress, ProgressFn, as_progress

__all__ = ["DEMO_ZIP_NAME", "SNAPSHOT", "write_demo"]

# --------------------------------------------------------------------------------------
# Time frame
# --------------------------------------------------------------------------------------

SEC = 1_000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR

SNAPSHOT = "2025-06-30T20:00:00Z"
SNAPSHOT_MS = 1_751_313_600_000  # 2025-06-30T20:00:00Z
D0_MS = 1_746_057_600_000  # 2025-05-01T00:00:00Z, first calendar day of the window
N_DAYS = 61  # 2025-05-01 .. 2025-06-30
START_MS = D0_MS + 20 * HOUR  # conversations are created from here up to the snapshot
D0_WEEKDAY = 3  # 2025-05-01 is a Thursday (Monday = 0)

DEMO_ZIP_NAME = "sparkdesk-demo.zip"
MAX_CYCLES = 3  # the first contact plus up to two reopenings
CHUNK_ROWS = 500_000  # rows formatted and written at a time

ORGANIZATION = "Acme Demo Org"
URL_TEMPLATE = "https://inbox.acme-demo.example/conversations/{conversation_id}"

# --------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    channel_id: str
    medium: str
    name: str
    display_name: str
    weight: float  # share of conversations
    va: int  # index into VIRTUAL_AGENTS, -1 without a bot
    auto_responder: bool
    csat: bool
    templates: bool  # agents may open conversations with a template (outbound first)
    public: bool  # messages have a post URL on the platform
    languages: tuple[tuple[str, float], ...]
    id_template: str  # primary identifier of its contacts ('#' = digit, '@' = handle)
    post_url: str = ""


CHANNELS: tuple[Channel, ...] = (
    Channel(
        "ch-whatsapp",
        "WHATSAPP",
        "WhatsApp Business ES",
        "Acme Soporte",
        weight=0.32,
        va=0,
        auto_responder=False,
        csat=True,
        templates=True,
        public=False,
        languages=(("es", 0.62), ("en", 0.18), ("pt", 0.08), ("", 0.12)),
        id_template="+34 6## ### ###",
    ),
    Channel(
        "ch-web",
        "WEB_MESSENGER",
        "Web Messenger",
        "Help Center chat",
        weight=0.24,
        va=0,
        auto_responder=False,
        csat=True,
        templates=False,
        public=False,
        languages=(("en", 0.5), ("es", 0.25), ("de", 0.15), ("fr", 0.1)),
        id_template="visitor-#########",
    ),
    Channel(
        "ch-x",
        "TWITTER",
        "X @AcmeHelp",
        "",  # no display name
        weight=0.10,
        va=-1,
        auto_responder=True,
        csat=False,
        templates=False,
        public=True,
        languages=(("en", 0.8), ("es", 0.2)),
        id_template="@",
        post_url="https://x.com/AcmeHelp/status/",
    ),
    Channel(
        "ch-facebook",
        "FACEBOOK",
        "Facebook Page",
        "Acme on Facebook",
        weight=0.12,
        va=1,
        auto_responder=False,
        csat=True,
        templates=False,
        public=True,
        languages=(("es", 0.5), ("en", 0.4), ("", 0.1)),
        id_template="10##############",
        post_url="https://www.facebook.com/acme/posts/",
    ),
    Channel(
        "ch-instagram",
        "INSTAGRAM",
        "Instagram",
        "acme.official",
        weight=0.10,
        va=-1,
        auto_responder=True,
        csat=True,
        templates=False,
        public=True,
        languages=(("es", 0.55), ("en", 0.45)),
        id_template="@",
        post_url="https://www.instagram.com/p/acme",
    ),
    Channel(
        "ch-sms",
        "SMS",
        "SMS US",
        "Acme SMS",
        weight=0.12,
        va=-1,
        auto_responder=True,
        csat=True,
        templates=True,
        public=False,
        languages=(("en", 0.85), ("es", 0.15)),
        id_template="+1##########",
    ),
)

VIRTUAL_AGENTS = (("va-ava", "Ava (bot)"), ("va-leo", "Leo Assistant"))

BUSINESS_HOURS: tuple[tuple[str, str, str, str, str], ...] = (
    *(
        ("ch-whatsapp", "Europe/Madrid", d, s, e)
        for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
        for s, e in (("09:00", "14:00"), ("15:00", "19:00"))
    ),
    ("ch-whatsapp", "Europe/Madrid", "SATURDAY", "10:00", "14:00"),
    *(
        ("ch-web", "Europe/Madrid", d, "08:00", "20:00")
        for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY")
    ),
    ("ch-web", "Europe/Madrid", "FRIDAY", "08:00", "15:00"),
    ("ch-web", "Europe/Madrid", "FRIDAY", "14:00", "18:00"),  # overlaps the row above: merged
    *(
        ("ch-sms", "America/New_York", d, "09:00", "18:00")
        for d in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
    ),
    ("ch-sms", "America/New_York", "SATURDAY", "12:00", "24:00"),
)

HOLIDAYS = (
    ("ch-whatsapp", "2025-05-15", "San Isidro"),
    ("ch-web", "2025-05-15", "San Isidro"),
    ("ch-sms", "2025-05-26", "Memorial Day"),
    ("ch-sms", "2025-06-19", "Juneteenth"),
)

TEAM_NAMES = ("Front Office", "Billing & Payments", "Social Care")
TEAM_IDS = ("team-front", "team-billing", "team-social")

AGENTS = (  # name, email local part ('' = no email), reference ('' = none)
    ("Laura Pérez", "laura.perez", "EMP-1001"),
    ("Marco Rossi", "marco.rossi", "EMP-1002"),
    ("Nadia Benali", "nadia.benali", ""),
    ("Oscar Lind", "", "EMP-1004"),
    ("Aiko Tanaka", "aiko.tanaka", "EMP-1005"),
    ("Jean-Luc Martin", "jl.martin", "EMP-1006"),
    ("Zoë O'Connor", "zoe.oconnor", ""),
    ("Mateus Silva", "mateus.silva", "EMP-1008"),
    ("Priya Sharma", "priya.sharma", "EMP-1009"),
    ("Tomás García-López", "", ""),
    ("Emma Johnson", "emma.johnson", "EMP-1011"),
    ("Kwame Mensah", "kwame.mensah", "EMP-1012"),
)
SUPERVISOR = ("Sofía Romero (Supervisor)", "sofia.romero", "SUP-01")
EMAIL_DOMAIN = "acme-demo.example"

FIRST_NAMES = (
    "Lucía",
    "Hugo",
    "Martina",
    "Pablo",
    "Sofia",
    "Daniel",
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ana",
    "João",
    "Chloé",
    "Lukas",
    "Mia",
    "Ahmed",
    "Fatima",
    "Wei",
    "Yuki",
    "Carlos",
    "Isabella",
    "Mateo",
    "Zoë",
    "Björn",
    "Amélie",
    "Omar",
    "Priya",
    "Grace",
    "Diego",
    "Elena",
)
LAST_NAMES = (
    "García",
    "Smith",
    "Müller",
    "Rossi",
    "Dubois",
    "Silva",
    "Johnson",
    "Fernández",
    "Kowalski",
    "Nguyen",
    "O'Brien",
    "Jensen",
    "López",
    "Brown",
    "Schmidt",
    "Martín",
    "Costa",
    "Khan",
    "Williams",
    "Sánchez",
    "Novak",
    "Haddad",
    "Ivanova",
    "Moreau",
)

TOPICS = (  # id (leading zeros: ids are text), name, active
    ("001", "Billing", True),
    ("002", "Order status", True),
    ("003", "Returns & refunds", True),
    ("004", "Technical issue", True),
    ("005", "Account access", True),
    ("006", "Complaint", True),
    ("007", "Product question", True),
    ("008", "Shipping delay", True),
    ("009", "Feedback", True),
    ("010", "Sales lead", True),
    ("099", "Legacy: COVID refunds", False),
)
TOPIC_WEIGHTS = (0.16, 0.18, 0.12, 0.12, 0.08, 0.06, 0.1, 0.08, 0.04, 0.06, 0.0)

TAGS = (
    ("tag-1", "Urgent", True),
    ("tag-2", "VIP", True),
    ("tag-3", "Repeat contact", True),
    ("tag-4", "Escalated", True),
    ("tag-5", "Positive", True),
    ("tag-6", "Negative", True),
    ("tag-7", "Spam", True),
    ("tag-9", "Old campaign", False),
)
TAG_WEIGHTS = (0.2, 0.12, 0.16, 0.1, 0.14, 0.14, 0.14, 0.0)

AWAY_STATUSES = ("Lunch", "Coffee break", "Meeting", "Training", "Coaching 1:1")

# --------------------------------------------------------------------------------------
# Vocabularies of enumerations and free text (cells are codes into these; -1 is empty)
# --------------------------------------------------------------------------------------

DIRECTIONS = ("INBOUND", "OUTBOUND")
MESSAGE_TYPES = ("TEXT", "IMAGE", "FILE", "LOCATION", "VIDEO", "AUDIO", "TEMPLATE", "CSAT_SURVEY")
ORIGINS = ("CONTACT", "AGENT_CONSOLE", "API", "VIRTUAL_AGENT", "AUTOMATION")
OUTBOUND_TYPES = ("REPLY", "PRIVATE_REPLY", "TEMPLATE")
SYSTEM_USER_TYPES = ("AUTO_RESPONDER", "CSAT", "AUTOMATION")
EVENT_TYPES = ("STATUS_CHANGED", "LOCKED", "UNLOCKED", "TOPIC_ADDED", "TOPIC_REMOVED", "QUEUED")
STATUSES = ("NEW", "PENDING", "RESOLVED")
RESOLVED_BY = ("AGENT", "VIRTUAL_AGENT", "BULK_RESOLVE", "SYSTEM")
TRIGGERS = ("HUMAN_AGENT", "VIRTUAL_AGENT", "AUTOMATION", "AUTO_RESOLVE")
STARTED_BY = (
    "NEW_INBOUND_MESSAGE",
    "REOPENED_BY_CONTACT",
    "VA_HANDED_OVER_CONVERSATION",
    "AR_HANDED_OVER_CONVERSATION",
    "MOVED_BY_AGENT",
    "OUTBOUND_BY_AGENT",
)
HANDOVER_REASONS = ("AGENT_REQUESTED", "INTENT_NOT_UNDERSTOOD", "ERROR", "BUSINESS_RULE")
HANDOVER_WEIGHTS = (0.42, 0.28, 0.12, 0.08)  # the rest (0.10) has no reason
RESOLVE_REASONS = (
    "Solved",
    "Answered question",
    "No response from customer",
    "Duplicate",
    "Spam",
    "Forwarded to email",
    "Refund issued",
)
RESOLVE_COMMENTS = (
    "",
    "",
    "",
    "",
    "",
    "invoice sent, closing",
    'customer said "thanks, all good"',
    "Refund of 12,50 € approved",
    "called back by phone",
    "=see ticket 4411",
    "+1 follow-up next week",
    "Resolved ✅",
)
ACTIONS = ("ADDED", "REMOVED")
PRESENCES = ("AVAILABLE", "AWAY", "OFFLINE")
SURVEY_STATUSES = ("SENT", "COMPLETED", "EXPIRED")
FOLLOWUP_QUESTIONS = ("What could we have done better?", "Anything else you'd like to tell us?")
FOLLOWUP_ANSWERS = (
    "",
    "All good",
    "Too slow",
    "Great service, thanks!",
    "The agent was very kind 🙏",
    'Friendly "team", slow app',
    "Took 3 days, not OK",
    "Muy rápido, gracias",
    "Could not find the invoice,\nhad to ask twice",
    "+++",
    "=)",
)

INBOUND_TEXTS = (
    "Hi, I need a copy of my invoice",
    "Where is my order?",
    'My login does not work, "error 42"',
    "Hola, ¿dónde está mi pedido?",
    "Price is 5,99?",
    "Can I change my delivery address?",
    "The app keeps crashing 😡",
    "Thanks!",
    "Gracias, todo bien",
    "Danke schön 🙂",
    "I was charged twice for the same order",
    "Order #10293, still not here",
    "Is the shop open on Sunday?",
    "ok",
    "👍",
    "Two things:\nfirst the price, then the date",
    "=SUM(A1:A3) is what my invoice shows",
    "+34 612 345 678 is my new number",
    "-5 € on my card, why?",
    "@team any update?",
    "Bonjour, je voudrais un remboursement",
    "I'd like to cancel my subscription",
    "Can you call me back?",
    "Still waiting...",
    "The package arrived damaged",
    "Olá, preciso de ajuda com a minha conta",
    "Yes",
    "No, that didn't help",
    "Perfect, thank you so much!",
    "What are your opening hours?",
)
AGENT_TEXTS = (
    "Hi! Thanks for reaching out, let me check that for you.",
    "Could you share your order number?",
    "I've just sent the invoice to your email address.",
    "Sorry for the trouble 🙏",
    "Your refund has been processed, it may take 3-5 business days.",
    "Hola, gracias por escribirnos. ¿Me indicas tu número de pedido?",
    "Could you try logging out and in again?",
    "I've escalated this to our technical team.",
    "Is there anything else I can help you with?",
    "You're welcome! Have a great day 😊",
    "The tracking link is https://track.example.com/ABC123",
    "Price is 5,99 € incl. VAT",
    "We're open Monday to Friday, 9:00-19:00.",
    "Thanks, I can see it now.",
    "Let me transfer you to our billing team.",
    "Done ✅",
    'Step 1: open Settings\nStep 2: tap "Reset password"',
)
VA_TEXTS = (
    "Hi! I'm Ava, Acme's virtual assistant. How can I help?",
    "Could you tell me your order number?",
    "Here is an article that may help: https://help.example.com/a/123",
    "Did that answer your question? (yes/no)",
    "I can help with orders, returns and invoices.",
)
VA_HANDOVER_TEXT = "Connecting you with one of our agents, please wait…"
VA_RESOLVE_TEXT = "Great, glad I could help! 👋"
AR_TEXTS = (
    "Thanks for your message! We usually reply within the hour.",
    "¡Gracias por escribirnos! Te responderemos lo antes posible.",
    "We're closed right now, we'll get back to you tomorrow morning.",
)
TEMPLATE_TEXTS = (
    "Hello! Your order has shipped and will arrive in 2-3 days. Reply here if you have questions.",
    "Hi, this is Acme: your appointment is confirmed for tomorrow at 10:00.",
)
CSAT_TEXT = "How would you rate our service? Reply with a number from 1 to 5"
FILE_NAMES = ("invoice_2025-05.pdf", "screenshot.png", "contrato, firmado.pdf", "receipt.jpg")
LOCATIONS = ("40.4168,-3.7038", "41.3874,2.1686", "40.7128,-74.0060")
IMAGE_CAPTIONS = ("", "", "", "see photo", "📷")

CONTENT: list[str] = []
_POOL: dict[str, tuple[int, int]] = {}


def _register(name: str, texts: Sequence[str]) -> None:
    _POOL[name] = (len(CONTENT), len(texts))
    CONTENT.extend(texts)


for _name, _texts in (
    ("inbound", INBOUND_TEXTS),
    ("agent", AGENT_TEXTS),
    ("va", VA_TEXTS),
    ("va_handover", (VA_HANDOVER_TEXT,)),
    ("va_resolve", (VA_RESOLVE_TEXT,)),
    ("ar", AR_TEXTS),
    ("template", TEMPLATE_TEXTS),
    ("csat", (CSAT_TEXT,)),
    ("file", FILE_NAMES),
    ("location", LOCATIONS),
    ("caption", IMAGE_CAPTIONS),
):
    _register(_name, _texts)

ATTRIBUTES = (  # attribute_id, name, type, probability, values
    ("attr-plan", "plan", "TEXT", 0.6, ("free", "pro", "enterprise")),
    ("attr-customer-no", "customer_number", "NUMBER", 0.4, ("0100", "0042", "007", "12345", "0001")),
    ("attr-points", "loyalty_points", "NUMBER", 0.3, ("0", "250", "1200", "99.5", "-20")),
    ("attr-renewal", "renewal_date", "DATE", 0.35, ("2025-07-01", "2025-12-01", "2026-01-15")),
    ("attr-vip", "vip", "BOOLEAN", 0.5, ("true", "false", "false")),
    ("attr-city", "city", "TEXT", 0.3, ("Madrid, ES", "Sevilla", "New York, NY", "Zürich", "São Paulo")),
    ("attr-alt-phone", "alt_phone", "TEXT", 0.08, ("+34 699 111 222", "+1 212 555 0188")),
    (
        "attr-notes",
        "notes",
        "",
        0.04,
        ("", '=HYPERLINK("x")', 'prefers "email", not phone', "línea 1\nlínea 2"),
    ),
)
ATTR_TYPES = ("TEXT", "NUMBER", "DATE", "BOOLEAN")

# --------------------------------------------------------------------------------------
# Random helpers
# --------------------------------------------------------------------------------------


def _uniform(rng: np.random.Generator, n: int, lo_ms: float, hi_ms: float) -> np.ndarray:
    """Uniform integer milliseconds in [lo, hi)."""
    return (lo_ms + rng.random(n) * (hi_ms - lo_ms)).astype(np.int64)


def _lognormal(
    rng: np.random.Generator, n: int, median_ms: float, sigma: float, lo_ms: float, hi_ms: float
) -> np.ndarray:
    """Heavy-tailed delays (waits, reply lags) clipped to a plausible range."""
    x = median_ms * np.exp(sigma * rng.standard_normal(n))
    return np.clip(x, lo_ms, hi_ms).astype(np.int64)


def _choice(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """Indexes drawn with the given weights (normalised), as int64."""
    p = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(p) - 1).astype(np.int64)


def _pool(rng: np.random.Generator, n: int, name: str) -> np.ndarray:
    """Content codes drawn uniformly from one text pool."""
    start, size = _POOL[name]
    return start + rng.integers(0, size, n)


def _segment_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of the given sizes: the group of every row and its position in the group."""
    group = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return group, np.arange(group.size) - starts[group]


def _segment_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sums that restart at every group (groups laid out one after another)."""
    total = np.cumsum(values)
    ends = np.cumsum(counts)
    before = np.concatenate(([0], total))[ends - counts]
    return total - np.repeat(before, counts)


# --------------------------------------------------------------------------------------
# The world: agents, teams, shifts
# --------------------------------------------------------------------------------------

# Shifts in UTC minutes: early (Madrid morning), late (Madrid afternoon), US (New York day).
SHIFTS = ((6 * 60, 14 * 60 + 30), (12 * 60, 20 * 60 + 30), (13 * 60, 21 * 60 + 30))
STAFFED = (6 * 60, 21 * 60 + 30)
SLOT_EDGES = np.array(sorted({m for s in SHIFTS for m in s}))  # minute-of-day slots


@dataclass
class World:
    """Agents and teams, who works when; sized by the number of conversations."""

    n_agents: int
    n_teams: int
    agent_team: np.ndarray
    agent_alt_team: np.ndarray  # a second team some agents also work for, -1 for none
    agent_shift: np.ndarray
    works: np.ndarray  # (agent, day) -> bool
    eligible: np.ndarray  # (day, slot, k) -> agent, padded
    eligible_count: np.ndarray  # (day, slot)

    @property
    def supervisor(self) -> int:
        return self.n_agents


def _make_world(rng: np.random.Generator, conversations: int) -> World:
    n_agents = max(len(AGENTS), round(conversations / 2000))
    n_teams = max(len(TEAM_NAMES), n_agents // 12)
    idx = np.arange(n_agents)
    team = idx * n_teams // n_agents
    alt = np.where(idx % 6 == 1, (team + 1) % n_teams, -1)
    shift = idx % len(SHIFTS)
    works = _rota(rng, n_agents)
    eligible, count = _eligibility(works, shift)
    return World(n_agents, n_teams, team, alt, shift, works, eligible, count)


def _weekday(day: np.ndarray | int) -> np.ndarray | int:
    return (D0_WEEKDAY + day) % 7


def _rota(rng: np.random.Generator, n_agents: int) -> np.ndarray:
    """Who works which day: weekdays minus a few absences; a quarter of agents each weekend."""
    days = np.arange(N_DAYS)
    weekend = _weekday(days) >= 5
    week = (days + D0_WEEKDAY) // 7
    agent = np.arange(n_agents)[:, None]
    on_weekend = (agent + week[None, :]) % 4 == 0
    absent = rng.random((n_agents, N_DAYS)) < 0.05
    return np.where(weekend[None, :], on_weekend, ~absent)


def _eligibility(works: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every day and minute slot, the agents on shift (or, failing that, anyone working)."""
    n_agents = works.shape[0]
    n_slots = len(SLOT_EDGES) - 1
    eligible = np.zeros((N_DAYS, n_slots, n_agents), dtype=np.int32)
    count = np.zeros((N_DAYS, n_slots), dtype=np.int32)
    for d in range(N_DAYS):
        for s in range(n_slots):
            m = SLOT_EDGES[s]
            on = [
                a for a in range(n_agents) if works[a, d] and SHIFTS[shift[a]][0] <= m < SHIFTS[shift[a]][1]
            ]
            on = on or [a for a in range(n_agents) if works[a, d]] or list(range(n_agents))
            eligible[d, s, : len(on)] = on
            count[d, s] = len(on)
    return eligible, count


def _staffed(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Move instants outside staffed hours to the next morning (nobody answers at night)."""
    day_start = D0_MS + (t - D0_MS) // DAY * DAY
    minute = (t - day_start) // MIN
    morning = day_start + STAFFED[0] * MIN + _uniform(rng, t.size, 0, 100 * MIN)
    return np.where(minute < STAFFED[0], morning, np.where(minute >= STAFFED[1], morning + DAY, t))


def _pick_agents(rng: np.random.Generator, world: World, t: np.ndarray) -> np.ndarray:
    """An agent on shift at each instant (instants are within staffed hours)."""
    day = np.clip((t - D0_MS) // DAY, 0, N_DAYS - 1)
    minute = (t - D0_MS) % DAY // MIN
    slot = np.clip(np.searchsorted(SLOT_EDGES, minute, side="right") - 1, 0, len(SLOT_EDGES) - 2)
    count = world.eligible_count[day, slot]
    k = np.minimum((rng.random(t.size) * count).astype(np.int64), count - 1)
    return world.eligible[day, slot, k].astype(np.int32)


def _teams_for(rng: np.random.Generator, world: World, agent: np.ndarray) -> np.ndarray:
    """The team an agent acts for: their own, sometimes their second team."""
    alt = world.agent_alt_team[agent]
    use_alt = (alt >= 0) & (rng.random(agent.size) < 0.3)
    return np.where(use_alt, alt, world.agent_team[agent]).astype(np.int32)


# --------------------------------------------------------------------------------------
# Row collectors
# --------------------------------------------------------------------------------------

MESSAGE_COLS = {
    "conv": np.int32,
    "t": np.int64,
    "dir": np.int8,
    "mtype": np.int8,
    "origin": np.int8,
    "otype": np.int8,
    "user": np.int32,
    "team": np.int32,
    "va": np.int8,
    "sys": np.int8,
    "content": np.int16,
    "updated": np.int64,
    "deleted": np.int64,
}
EVENT_COLS = {
    "conv": np.int32,
    "t": np.int64,
    "type": np.int8,
    "user": np.int32,
    "team": np.int32,
    "va": np.int8,
    "status": np.int8,
    "rby": np.int8,
    "trig": np.int8,
    "reason": np.int8,
    "comment": np.int8,
    "topic": np.int8,
    "started": np.int8,
    "handover": np.int8,
}
TAG_COLS = {
    "msg": np.int64,
    "tag": np.int8,
    "t": np.int64,
    "action": np.int8,
    "user": np.int32,
    "team": np.int32,
    "va": np.int8,
}
SURVEY_COLS = {
    "conv": np.int32,
    "sent": np.int64,
    "resp": np.int64,
    "score": np.int8,
    "status": np.int8,
    "fq": np.int8,
    "fa": np.int8,
    "noid": np.bool_,
}


@dataclass
class Rows:
    """Columns of one fact table, gathered block by block; a missing cell is -1 (empty)."""

    dtypes: dict[str, type]
    blocks: list[dict[str, np.ndarray]] = field(default_factory=list)
    count: int = 0

    def add(self, n: int, **cols: np.ndarray | int) -> np.ndarray:
        """Append ``n`` rows; returns their row numbers (messages use them for tags)."""
        if n == 0:
            return np.zeros(0, dtype=np.int64)
        unknown = set(cols) - set(self.dtypes)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}")
        block = {}
        for name, dtype in self.dtypes.items():
            value = cols.get(name, 0 if dtype is np.bool_ else -1)
            block[name] = np.broadcast_to(np.asarray(value).astype(dtype, copy=False), (n,))
        self.blocks.append(block)
        rows = np.arange(self.count, self.count + n, dtype=np.int64)
        self.count += n
        return rows

    def finish(self) -> dict[str, np.ndarray]:
        out = {
            name: np.concatenate([b[name] for b in self.blocks]) if self.blocks else np.zeros(0, dtype=dtype)
            for name, dtype in self.dtypes.items()
        }
        self.blocks = []
        return out


# --------------------------------------------------------------------------------------
# The simulation
# --------------------------------------------------------------------------------------


class Simulation:
    """Lives every conversation through its cycles, stage by stage, all conversations at once."""

    def __init__(
        self,
        rng: np.random.Generator,
        world: World,
        conv_t: np.ndarray,
        conv_ch: np.ndarray,
        progress: Progress,
    ):
        self.rng = rng
        self.progress = progress
        self.span = (0.0, 1.0)  # the part of the progress bar of the current cycle
        self.world = world
        self.conv_t = conv_t
        self.conv_ch = conv_ch
        self.messages = Rows(MESSAGE_COLS)
        self.events = Rows(EVENT_COLS)
        self.tags = Rows(TAG_COLS)
        self.surveys = Rows(SURVEY_COLS)
        chans = CHANNELS
        self.ch_va = np.array([c.va for c in chans])
        self.ch_ar = np.array([c.auto_responder for c in chans])
        self.ch_csat = np.array([c.csat for c in chans])
        self.ch_templates = np.array([c.templates for c in chans])
        self.ch_public = np.array([c.public for c in chans])

    # -- driver ----------------------------------------------------------------------------

    CYCLE_SHARES = (0.0, 0.85, 0.97, 1.0)  # later cycles concern fewer and fewer conversations

    def run(self) -> None:
        n = self.conv_t.size
        start = self.conv_t.copy()
        alive = np.arange(n)
        for k in range(MAX_CYCLES):
            self.span = (self.CYCLE_SHARES[k], self.CYCLE_SHARES[k + 1])
            self.tick(0.0)
            if alive.size == 0:
                break
            resolved = self.cycle(k, alive, start[alive])
            again = (resolved >= 0) & (self.rng.random(alive.size) < 0.12)
            gap = _lognormal(self.rng, alive.size, 5 * HOUR, 1.3, 2 * MIN, 7 * DAY)
            nxt = resolved + gap
            again &= nxt < SNAPSHOT_MS
            start[alive[again]] = nxt[again]
            alive = alive[again]

    def tick(self, fraction: float) -> None:
        """Report progress within the current cycle (and let a cancel through)."""
        lo, hi = self.span
        self.progress.step(lo + (hi - lo) * fraction, "Simulating conversations")

    def cycle(self, k: int, conv: np.ndarray, s: np.ndarray) -> np.ndarray:
        """One cycle for each conversation in ``conv`` starting at ``s``; returns resolution times."""
        rng = self.rng
        m = conv.size
        ch = self.conv_ch[conv]
        resolved = np.full(m, -1, dtype=np.int64)
        outfirst = np.zeros(m, bool)
        if k == 0:
            outfirst = self.ch_templates[ch] & (rng.random(m) < 0.04)
        burst_start = s.copy()
        live = np.ones(m, bool)
        if outfirst.any():
            o = np.flatnonzero(outfirst)
            burst_start[o], answered = self.outbound_first(conv[o], s[o])
            live[o[~answered]] = False
        first_in = np.where(outfirst | (k > 0), burst_start, burst_start + 1)
        li = np.flatnonzero(live)
        last_in, first_row = self.inbound_burst(conv[li], first_in[li])
        self.tick(0.15)
        floor = np.zeros(m, dtype=np.int64)
        floor[li] = last_in
        queue_at, human, va_resolved = self.entry(
            k, conv[li], ch[li], first_in[li], last_in, first_row, outfirst[li]
        )
        resolved[li] = va_resolved
        self.tick(0.35)
        h = li[human]
        resolved[h] = self.human(conv[h], ch[h], queue_at[human], floor[h])
        self.tick(0.95)
        self.csat(conv, ch, resolved)
        return resolved

    # -- opening -----------------------------------------------------------------------

    def outbound_first(self, conv: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """An agent opens the conversation with a template; most contacts answer hours later."""
        rng, n = self.rng, conv.size
        agent = _pick_agents(rng, self.world, _staffed(rng, s))
        team = _teams_for(rng, self.world, agent)
        ev = self.events
        ev.add(n, conv=conv, t=s + 3, type=1, user=agent, team=team)
        ev.add(n, conv=conv, t=s + 5, type=5, user=agent, team=team, started=5)
        sent = s + _uniform(rng, n, 20 * SEC, 90 * SEC)
        self.messages.add(
            n,
            conv=conv,
            t=sent,
            dir=1,
            mtype=6,
            origin=1,
            otype=2,
            user=agent,
            team=team,
            content=_pool(rng, n, "template"),
        )
        ev.add(
            n, conv=conv, t=sent + _uniform(rng, n, 2 * SEC, 8 * SEC), type=0, user=agent, team=team, status=1
        )
        answer = sent + _lognormal(rng, n, 2 * HOUR, 1.2, 3 * MIN, 3 * DAY)
        return answer, rng.random(n) < 0.75

    def inbound_burst(self, conv: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The contact writes one or a few messages in a row; returns the last time and first row."""
        rng, n = self.rng, conv.size
        count = 1 + _choice(rng, n, (0.55, 0.25, 0.12, 0.08))
        group, pos = _segment_positions(count)
        gaps = np.where(pos == 0, 0, _lognormal(rng, group.size, 25 * SEC, 0.9, 2 * SEC, 10 * MIN))
        t = first[group] + _segment_cumsum(gaps, count)
        rows = self.add_inbound(conv[group], t)
        ends = np.cumsum(count) - 1
        return t[ends], rows[ends - count + 1]

    def add_inbound(self, conv: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Contact messages of assorted types; a few edited or deleted."""
        rng, n = self.rng, conv.size
        ch = self.conv_ch[conv]
        mtype = _choice(rng, n, (0.8, 0.08, 0.03, 0.02, 0.02, 0.05))
        mtype = np.where((mtype == 3) & (ch != 0), 0, mtype)  # locations only on WhatsApp
        content = np.select(
            [mtype == 0, mtype == 1, mtype == 2, mtype == 3],
            [
                _pool(rng, n, "inbound"),
                _pool(rng, n, "caption"),
                _pool(rng, n, "file"),
                _pool(rng, n, "location"),
            ],
            -1,
        )
        content = np.where(CONTENT_EMPTY[np.maximum(content, 0)] & (content >= 0), -1, content)
        updated, deleted = self.edits(t, 0.01, 0.003)
        return self.messages.add(
            n, conv=conv, t=t, dir=0, mtype=mtype, origin=0, content=content, updated=updated, deleted=deleted
        )

    def edits(self, t: np.ndarray, p_edit: float, p_delete: float) -> tuple[np.ndarray, np.ndarray]:
        """updated_at / deleted_at for a few messages (a deletion also updates)."""
        rng, n = self.rng, t.size
        u = rng.random(n)
        later = t + _lognormal(rng, n, 4 * MIN, 1.2, 5 * SEC, 6 * HOUR)
        deleted = np.where(u < p_delete, later, -1)
        updated = np.where(u < p_delete + p_edit, later, -1)
        return updated, deleted

    # -- entry into the queue ----------------------------------------------------------------

    def entry(
        self,
        k: int,
        conv: np.ndarray,
        ch: np.ndarray,
        first_in: np.ndarray,
        last_in: np.ndarray,
        first_row: np.ndarray,
        outfirst: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """How the conversation reaches the New queue: bot, auto-responder, or straight in.

        Returns the queue time, whether a human handles it, and the bot's resolution times.
        """
        rng, n = self.rng, conv.size
        queue_at = first_in + _uniform(rng, n, 200, 900)
        human = rng.random(n) >= 0.01  # a few conversations nobody ever picks up
        va_resolved = np.full(n, -1, dtype=np.int64)
        fresh = (k == 0) & ~outfirst
        va = fresh & (self.ch_va[ch] >= 0) & (rng.random(n) < 0.75)
        ar = fresh & ~va & self.ch_ar[ch] & (rng.random(n) < 0.9)
        plain = ~va & ~ar
        started = 1 if k > 0 else 0
        p = np.flatnonzero(plain)
        self.events.add(p.size, conv=conv[p], t=queue_at[p], type=5, started=started)
        if k > 0 or outfirst.any():
            back = p if k > 0 else p[outfirst[p]]
            self.events.add(back.size, conv=conv[back], t=queue_at[back] + 40, type=0, status=0)
        a = np.flatnonzero(ar)
        queue_at[a] = self.auto_responder(conv[a], first_in[a])
        v = np.flatnonzero(va)
        queue_at[v], handed, va_resolved[v] = self.virtual_agent(conv[v], ch[v], last_in[v], first_row[v])
        human[v] &= handed
        human[v[~handed]] = False
        return np.maximum(queue_at, 0), human, va_resolved

    def auto_responder(self, conv: np.ndarray, first_in: np.ndarray) -> np.ndarray:
        """An automatic reply; then a handover to the queue (or a plain new-message entry)."""
        rng, n = self.rng, conv.size
        t = first_in + _uniform(rng, n, 1 * SEC, 4 * SEC)
        self.messages.add(n, conv=conv, t=t, dir=1, mtype=0, origin=4, sys=0, content=_pool(rng, n, "ar"))
        handover = rng.random(n) < 0.65
        q = np.where(handover, t + _uniform(rng, n, 100, 600), first_in + _uniform(rng, n, 200, 900))
        self.events.add(n, conv=conv, t=q, type=5, started=np.where(handover, 3, 0))
        return q

    def virtual_agent(
        self, conv: np.ndarray, ch: np.ndarray, last_in: np.ndarray, first_row: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A bot talks to the contact for a few turns, then resolves or hands over.

        Returns the handover's queue time (-1 when the bot resolved), whether it was handed
        over, and the bot's resolution time (-1 when handed over).
        """
        va = self.ch_va[ch]
        t = self.va_turns(conv, va, last_in, first_row)
        return self.va_outcome(conv, va, t)

    def va_turns(
        self, conv: np.ndarray, va: np.ndarray, last_in: np.ndarray, first_row: np.ndarray
    ) -> np.ndarray:
        """One to three bot messages, the contact answering in between; returns the last bot message time."""
        rng, n = self.rng, conv.size
        turns = 1 + _choice(rng, n, (0.4, 0.35, 0.25))
        t = last_in.copy()
        for j in range(3):
            on = np.flatnonzero(turns > j)
            t[on] += _uniform(rng, on.size, 1 * SEC, 4 * SEC)
            content = _pool(rng, on.size, "va")
            if j == 0:  # bots open with a greeting
                content[:] = _POOL["va"][0]
            self.messages.add(
                on.size, conv=conv[on], t=t[on], dir=1, mtype=0, origin=3, va=va[on], content=content
            )
            if j == 0:
                self.va_labels(conv[on], va[on], t[on], first_row[on])
            more = on[turns[on] > j + 1]
            t[more] += _lognormal(rng, more.size, 35 * SEC, 0.8, 4 * SEC, 15 * MIN)
            self.add_inbound(conv[more], t[more])
        return t

    def va_outcome(
        self, conv: np.ndarray, va: np.ndarray, t: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bot resolves about a third of its conversations and hands the rest over."""
        rng, n = self.rng, conv.size
        solved = rng.random(n) < 0.3
        resolved = np.full(n, -1, dtype=np.int64)
        s = np.flatnonzero(solved)
        t_res = t[s] + _uniform(rng, s.size, 3 * SEC, 40 * SEC)
        self.messages.add(
            s.size, conv=conv[s], t=t_res, dir=1, mtype=0, origin=3, va=va[s], content=_POOL["va_resolve"][0]
        )
        resolved[s] = t_res + _uniform(rng, s.size, 500, 5 * SEC)
        self.events.add(
            s.size,
            conv=conv[s],
            t=resolved[s],
            type=0,
            va=va[s],
            status=2,
            rby=1,
            trig=1,
            reason=np.where(rng.random(s.size) < 0.7, 1, -1),
        )
        h = np.flatnonzero(~solved)
        t_h = t[h] + _uniform(rng, h.size, 2 * SEC, 20 * SEC)
        self.messages.add(
            h.size, conv=conv[h], t=t_h, dir=1, mtype=0, origin=3, va=va[h], content=_POOL["va_handover"][0]
        )
        q = np.full(n, -1, dtype=np.int64)
        q[h] = t_h + _uniform(rng, h.size, 100, 800)
        reason = _choice(rng, h.size, (*HANDOVER_WEIGHTS, 1 - sum(HANDOVER_WEIGHTS)))
        reason = np.where(reason >= len(HANDOVER_REASONS), -1, reason)
        self.events.add(h.size, conv=conv[h], t=q[h], type=5, va=va[h], started=2, handover=reason)
        return q, ~solved, resolved

    def va_labels(self, conv: np.ndarray, va: np.ndarray, t: np.ndarray, first_row: np.ndarray) -> None:
        """Bots classify: a topic on some conversations (sometimes corrected), a tag on some messages."""
        rng, n = self.rng, conv.size
        tp = np.flatnonzero(rng.random(n) < 0.4)
        at = t[tp] + _uniform(rng, tp.size, 300, 2 * SEC)
        topic = _choice(rng, tp.size, TOPIC_WEIGHTS)
        self.events.add(tp.size, conv=conv[tp], t=at, type=3, va=va[tp], topic=topic)
        fix = rng.random(tp.size) < 0.15
        f = np.flatnonzero(fix)
        self.events.add(f.size, conv=conv[tp[f]], t=at[f] + 1500, type=4, va=va[tp[f]], topic=topic[f])
        self.events.add(
            f.size, conv=conv[tp[f]], t=at[f] + 1600, type=3, va=va[tp[f]], topic=(topic[f] + 1) % 10
        )
        tg = np.flatnonzero(rng.random(n) < 0.25)
        self.tags.add(
            tg.size,
            msg=first_row[tg],
            tag=_choice(rng, tg.size, TAG_WEIGHTS),
            t=t[tg] + _uniform(rng, tg.size, 500, 3 * SEC),
            action=0,
            va=va[tg],
        )

    # -- human handling ------------------------------------------------------------------------

    def human(self, conv: np.ndarray, ch: np.ndarray, queue_at: np.ndarray, floor: np.ndarray) -> np.ndarray:
        """Agents pick the conversation up, talk to the contact and (mostly) resolve it."""
        rng, n = self.rng, conv.size
        lock = _staffed(
            rng, np.maximum(queue_at, floor) + _lognormal(rng, n, 6 * MIN, 1.1, 5 * SEC, 10 * HOUR)
        )
        agent = _pick_agents(rng, self.world, lock)
        kind = _choice(rng, n, (0.78, 0.1, 0.06, 0.06))  # main only, cherry pick, steal, transfer
        self.cherry_pick(conv[kind == 1], queue_at[kind == 1], lock[kind == 1], agent[kind == 1])
        self.steal(conv[kind == 2], queue_at[kind == 2], lock[kind == 2], agent[kind == 2])
        tr = np.flatnonzero(kind == 3)
        lock[tr], agent[tr] = self.transfer(conv[tr], ch[tr], lock[tr], agent[tr])
        team = _teams_for(rng, self.world, agent)
        self.events.add(n, conv=conv, t=lock, type=1, user=agent, team=team)
        self.agent_topics(conv, lock, agent, team)
        self.tick(0.5)
        last, no_reply = self.exchange(conv, ch, lock, agent, team)
        self.tick(0.85)
        return self.finish(conv, last, agent, team, no_reply)

    def other_agents(self, t: np.ndarray, agent: np.ndarray) -> np.ndarray:
        """Another agent on shift at ``t`` (a colleague, when there is one)."""
        other = _pick_agents(self.rng, self.world, t)
        return np.where(other == agent, (other + 1) % self.world.n_agents, other).astype(np.int32)

    def cherry_pick(
        self, conv: np.ndarray, queue_at: np.ndarray, lock: np.ndarray, agent: np.ndarray
    ) -> None:
        """A colleague opens the conversation first, looks, and leaves without replying."""
        rng, n = self.rng, conv.size
        at = lock - np.minimum(
            (lock - queue_at) * rng.uniform(0.5, 0.9, n), _uniform(rng, n, 3 * MIN, 30 * MIN)
        )
        at = at.astype(np.int64)
        other = self.other_agents(at, agent)
        team = _teams_for(rng, self.world, other)
        leave = np.minimum(at + _uniform(rng, n, 8 * SEC, 150 * SEC), lock - 1)
        self.events.add(n, conv=conv, t=at, type=1, user=other, team=team)
        self.events.add(n, conv=conv, t=np.maximum(leave, at), type=2, user=other, team=team)

    def steal(self, conv: np.ndarray, queue_at: np.ndarray, lock: np.ndarray, agent: np.ndarray) -> None:
        """A colleague holds the lock when the main agent takes it over."""
        rng, n = self.rng, conv.size
        at = lock - np.minimum(
            (lock - queue_at) * rng.uniform(0.3, 0.9, n), _uniform(rng, n, 2 * MIN, 20 * MIN)
        )
        at = at.astype(np.int64)
        other = self.other_agents(at, agent)
        self.events.add(n, conv=conv, t=at, type=1, user=other, team=_teams_for(rng, self.world, other))

    def transfer(
        self, conv: np.ndarray, ch: np.ndarray, lock: np.ndarray, agent: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The first agent answers once, moves the conversation back to the queue, a colleague takes it."""
        rng, n = self.rng, conv.size
        team = _teams_for(rng, self.world, agent)
        self.events.add(n, conv=conv, t=lock, type=1, user=agent, team=team)
        reply = lock + _uniform(rng, n, 20 * SEC, 150 * SEC)
        self.add_replies(conv, ch, reply, agent, team)
        moved = reply + _uniform(rng, n, 20 * SEC, 240 * SEC)
        self.events.add(n, conv=conv, t=moved, type=5, user=agent, team=team, started=4)
        self.events.add(n, conv=conv, t=moved + 400, type=2, user=agent, team=team)
        lock2 = _staffed(rng, moved + _lognormal(rng, n, 10 * MIN, 1.0, 20 * SEC, 8 * HOUR))
        return lock2, self.other_agents(lock2, agent)

    def agent_topics(self, conv: np.ndarray, lock: np.ndarray, agent: np.ndarray, team: np.ndarray) -> None:
        """Agents set a topic on about half the conversations, and sometimes change their mind."""
        rng, n = self.rng, conv.size
        tp = np.flatnonzero(rng.random(n) < 0.55)
        at = lock[tp] + _uniform(rng, tp.size, 5 * SEC, 90 * SEC)
        topic = _choice(rng, tp.size, TOPIC_WEIGHTS)
        who = {"user": agent[tp], "team": team[tp]}
        self.events.add(tp.size, conv=conv[tp], t=at, type=3, topic=topic, **who)
        second = rng.random(tp.size)
        s = np.flatnonzero(second < 0.2)  # a second topic
        self.events.add(
            s.size,
            conv=conv[tp[s]],
            t=at[s] + 2200,
            type=3,
            user=agent[tp[s]],
            team=team[tp[s]],
            topic=(topic[s] + 3) % 10,
        )
        r = np.flatnonzero(second > 0.9)  # wrong topic: removed
        self.events.add(
            r.size,
            conv=conv[tp[r]],
            t=at[r] + _uniform(rng, r.size, 5 * SEC, 60 * SEC),
            type=4,
            user=agent[tp[r]],
            team=team[tp[r]],
            topic=topic[r],
        )

    def exchange(
        self, conv: np.ndarray, ch: np.ndarray, lock: np.ndarray, agent: np.ndarray, team: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Agent and contact take turns: reply, answer, reply... Returns the last message time."""
        rng, n = self.rng, conv.size
        no_reply = rng.random(n) < 0.06
        replies = 1 + rng.geometric(0.3, n).clip(1, 15) - 1
        contact_last = rng.random(n) < 0.35
        count = np.where(no_reply, 0, 2 * replies - 1 + contact_last)
        group, pos = _segment_positions(count)
        outbound = pos % 2 == 0
        lag_agent = _lognormal(rng, group.size, 70 * SEC, 0.9, 5 * SEC, 2 * HOUR)
        lag_contact = _lognormal(rng, group.size, 2 * MIN, 1.3, 4 * SEC, 8 * HOUR)
        first = _uniform(rng, group.size, 15 * SEC, 240 * SEC)
        gaps = np.where(pos == 0, first, np.where(outbound, lag_agent, lag_contact))
        t = lock[group] + _segment_cumsum(gaps, count)
        o = np.flatnonzero(outbound)
        self.add_replies(conv[group[o]], ch[group[o]], t[o], agent[group[o]], team[group[o]])
        i = np.flatnonzero(~outbound)
        rows = self.add_inbound(conv[group[i]], t[i])
        self.agent_tags(rows, t[i], agent[group[i]], team[group[i]])
        last = lock + _uniform(rng, n, 10 * SEC, 120 * SEC)
        has = count > 0
        last[has] = t[np.cumsum(count)[has] - 1]
        return last, no_reply

    def add_replies(
        self, conv: np.ndarray, ch: np.ndarray, t: np.ndarray, agent: np.ndarray, team: np.ndarray
    ) -> np.ndarray:
        """Human replies: mostly text, private replies on public channels, a few templates and files."""
        rng, n = self.rng, conv.size
        mtype = _choice(rng, n, (0.9, 0.04, 0.04, 0.0, 0.0, 0.0, 0.02))
        mtype = np.where((mtype == 6) & ~self.ch_templates[ch], 0, mtype)
        otype = np.where(mtype == 6, 2, np.where(self.ch_public[ch] & (rng.random(n) < 0.4), 1, 0))
        content = np.select(
            [mtype == 0, mtype == 2, mtype == 6],
            [_pool(rng, n, "agent"), _pool(rng, n, "file"), _pool(rng, n, "template")],
            -1,
        )
        origin = np.where(rng.random(n) < 0.05, 2, 1)
        updated, deleted = self.edits(t, 0.02, 0.006)
        return self.messages.add(
            n,
            conv=conv,
            t=t,
            dir=1,
            mtype=mtype,
            origin=origin,
            otype=otype,
            user=agent,
            team=team,
            content=content,
            updated=updated,
            deleted=deleted,
        )

    def agent_tags(self, rows: np.ndarray, t: np.ndarray, agent: np.ndarray, team: np.ndarray) -> None:
        """Agents tag some inbound messages, and remove a few tags later."""
        rng = self.rng
        g = np.flatnonzero(rng.random(rows.size) < 0.1)
        at = t[g] + _uniform(rng, g.size, 10 * SEC, 300 * SEC)
        tag = _choice(rng, g.size, TAG_WEIGHTS)
        self.tags.add(g.size, msg=rows[g], tag=tag, t=at, action=0, user=agent[g], team=team[g])
        r = np.flatnonzero(rng.random(g.size) < 0.15)
        self.tags.add(
            r.size,
            msg=rows[g[r]],
            tag=tag[r],
            t=at[r] + _lognormal(rng, r.size, 20 * MIN, 1, MIN, DAY),
            action=1,
            user=agent[g[r]],
            team=team[g[r]],
        )

    def finish(
        self, conv: np.ndarray, last: np.ndarray, agent: np.ndarray, team: np.ndarray, no_reply: np.ndarray
    ) -> np.ndarray:
        """How the agent leaves the conversation; returns the resolution time (-1: still open)."""
        rng, n = self.rng, conv.size
        # resolve, pending then resolved, pending (open), unlock (open), unlock then automation,
        # left locked (the agent's next lock elsewhere releases it)
        outcome = np.where(no_reply, 0, _choice(rng, n, (0.61, 0.2, 0.07, 0.05, 0.05, 0.02)))
        at = last + _uniform(rng, n, 8 * SEC, 150 * SEC)
        resolved = np.full(n, -1, dtype=np.int64)
        r = np.flatnonzero(outcome == 0)
        resolved[r] = at[r]
        reason = np.where(
            no_reply[r], rng.choice([3, 4], r.size), _choice(rng, r.size, (5, 2, 1, 0, 0, 1, 1))
        )
        self.resolve(conv[r], at[r], agent[r], team[r], reason)
        p = np.flatnonzero((outcome == 1) | (outcome == 2))
        self.events.add(p.size, conv=conv[p], t=at[p], type=0, user=agent[p], team=team[p], status=1)
        u = np.flatnonzero((outcome == 3) | (outcome == 4))
        self.events.add(u.size, conv=conv[u], t=at[u], type=2, user=agent[u], team=team[u])
        later = at + _lognormal(rng, n, 14 * HOUR, 0.8, 30 * MIN, 6 * DAY)
        resolved[outcome == 1] = self.resolve_pending(conv, later, agent, team, outcome == 1)
        a = np.flatnonzero(outcome == 4)
        self.events.add(a.size, conv=conv[a], t=later[a], type=0, status=2, rby=3, trig=2, reason=2)
        resolved[a] = later[a]
        return resolved

    def resolve(
        self, conv: np.ndarray, at: np.ndarray, agent: np.ndarray, team: np.ndarray, reason: np.ndarray
    ) -> None:
        """An agent resolves (reason and, sometimes, a comment)."""
        n = conv.size
        comment = self.rng.integers(0, len(RESOLVE_COMMENTS), n)
        comment = np.where(np.array([c == "" for c in RESOLVE_COMMENTS])[comment], -1, comment)
        self.events.add(
            n,
            conv=conv,
            t=at,
            type=0,
            user=agent,
            team=team,
            status=2,
            rby=0,
            trig=0,
            reason=reason,
            comment=comment,
        )

    def resolve_pending(
        self, conv: np.ndarray, later: np.ndarray, agent: np.ndarray, team: np.ndarray, mask: np.ndarray
    ) -> np.ndarray:
        """A pending conversation is closed later: auto-resolve, the agent (with a look first), or bulk."""
        rng = self.rng
        i = np.flatnonzero(mask)
        how = _choice(rng, i.size, (0.6, 0.25, 0.15))
        s = i[how == 0]
        self.events.add(s.size, conv=conv[s], t=later[s], type=0, status=2, rby=3, trig=3, reason=2)
        a = i[how == 1]
        look = rng.random(a.size) < 0.5
        lk = a[look]
        self.events.add(
            lk.size,
            conv=conv[lk],
            t=later[lk] - _uniform(rng, lk.size, 5 * SEC, 60 * SEC),
            type=1,
            user=agent[lk],
            team=team[lk],
        )
        self.resolve(conv[a], later[a], agent[a], team[a], np.full(a.size, 2))
        b = i[how == 2]
        self.events.add(
            b.size,
            conv=conv[b],
            t=later[b],
            type=0,
            user=self.world.supervisor,
            status=2,
            rby=2,
            trig=0,
            reason=2,
        )
        return later[i]

    # -- satisfaction ------------------------------------------------------------------------

    def csat(self, conv: np.ndarray, ch: np.ndarray, resolved: np.ndarray) -> None:
        """A survey after some resolutions: answered, expired or still waiting."""
        rng, n = self.rng, conv.size
        s = np.flatnonzero((resolved >= 0) & self.ch_csat[ch] & (rng.random(n) < 0.45))
        m = s.size
        sent = resolved[s] + _uniform(rng, m, 1 * SEC, 5 * SEC)
        self.messages.add(m, conv=conv[s], t=sent, dir=1, mtype=7, origin=4, sys=1, content=_POOL["csat"][0])
        outcome = _choice(rng, m, (0.58, 0.2, 0.22))  # completed, expired, no answer yet
        done = outcome == 0
        resp = np.where(done, sent + _lognormal(rng, m, 25 * MIN, 1.2, 20 * SEC, 2 * DAY), -1)
        score = np.where(done, 1 + _choice(rng, m, (0.08, 0.06, 0.12, 0.27, 0.47)), -1)
        status = np.where(done, np.where(rng.random(m) < 0.7, 1, -1), np.where(outcome == 1, 2, -1))
        status = np.where((outcome == 2) & (rng.random(m) < 0.5), 0, status)
        asked = done & (rng.random(m) < 0.6)
        fq = np.where(asked, rng.integers(0, len(FOLLOWUP_QUESTIONS), m), -1)
        fa = np.where(asked, rng.integers(0, len(FOLLOWUP_ANSWERS), m), -1)
        fa = np.where(fa == 0, -1, fa)
        self.surveys.add(
            m,
            conv=conv[s],
            sent=sent,
            resp=resp,
            score=score,
            status=status,
            fq=fq,
            fa=fa,
            noid=rng.random(m) < 0.03,
        )


CONTENT_EMPTY = np.array([c == "" for c in CONTENT])

# --------------------------------------------------------------------------------------
# Conversations and contacts
# --------------------------------------------------------------------------------------


def _creation_times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Creation instants over the window: busy office hours, quieter nights and weekends."""
    hours = np.arange(N_DAYS * 24)
    hour_of_day = hours % 24
    profile = np.array(
        [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 5.5, 5, 5, 5.5, 5.5, 5, 4.5, 4, 3.5, 3, 2.5, 2, 1.5]
    )
    weight = profile[hour_of_day] * np.where(_weekday(hours // 24) >= 5, 0.55, 1.0)
    start = D0_MS + hours * HOUR
    weight = np.where((start >= START_MS) & (start < SNAPSHOT_MS - HOUR), weight, 0)
    h = _choice(rng, n, weight)
    return np.sort(start[h] + _uniform(rng, n, 0, HOUR))


def _contacts_for(rng: np.random.Generator, conv_ch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Contacts per channel (each channel its own medium); some contacts write again and again.

    Returns each conversation's contact and each contact's channel.
    """
    per_channel = np.bincount(conv_ch, minlength=len(CHANNELS))
    n_contacts = np.maximum(1, np.ceil(per_channel * 0.72)).astype(np.int64)
    offset = np.cumsum(n_contacts) - n_contacts
    skew = rng.random(conv_ch.size) ** 1.5
    contact = offset[conv_ch] + (skew * n_contacts[conv_ch]).astype(np.int64)
    return contact, np.repeat(np.arange(len(CHANNELS)), n_contacts)


# --------------------------------------------------------------------------------------
# Cell formatting (vectorised, fixed width where possible)
# --------------------------------------------------------------------------------------

LS = pa.large_string()
EMPTY = pa.scalar("", LS)


def _csv_cell(text: str) -> str:
    """RFC 4180 quoting, only where needed."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _from_matrix(mat: np.ndarray) -> pa.Array:
    """Rows of a uint8 matrix as strings (zero-copy into an Arrow array)."""
    n, w = mat.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    data = np.ascontiguousarray(mat)
    return pa.Array.from_buffers(LS, n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _put_digits(mat: np.ndarray, col: int, width: int, values: np.ndarray) -> None:
    x = values.astype(np.int64, copy=True)
    for c in range(col + width - 1, col - 1, -1):
        mat[:, c] = 48 + x % 10
        x //= 10


def _template(template: str, values: np.ndarray) -> pa.Array:
    """Fill the '#' of ``template`` with the digits of ``values`` (zero-padded, least significant last)."""
    raw = template.encode()
    mat = np.empty((values.size, len(raw)), dtype=np.uint8)
    mat[:] = np.frombuffer(raw, dtype=np.uint8)
    slots = [i for i, b in enumerate(raw) if b == ord("#")]
    x = values.astype(np.int64, copy=True)
    for c in reversed(slots):
        mat[:, c] = 48 + x % 10
        x //= 10
    return _from_matrix(mat)


def _ids(prefix: str, index: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``index + 1``; empty where index < 0."""
    arr = _template(prefix + "#" * width, np.maximum(index, 0) + 1)
    return _blank_where(arr, index < 0)


def _blank_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), EMPTY, arr)


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day from days since 1970-01-01 (proleptic Gregorian, vectorised)."""
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def _timestamps(ms: np.ndarray) -> pa.Array:
    """ISO 8601 UTC with milliseconds (``2025-05-05T07:12:56.902Z``); empty where ms < 0."""
    raw = b"0000-00-00T00:00:00.000Z"
    mat = np.empty((ms.size, len(raw)), dtype=np.uint8)
    mat[:] = np.frombuffer(raw, dtype=np.uint8)
    t = np.maximum(ms, 0)
    days, rest = np.divmod(t, DAY)
    y, m, d = _civil(days)
    for col, width, values in (
        (0, 4, y),
        (5, 2, m),
        (8, 2, d),
        (11, 2, rest // HOUR),
        (14, 2, rest // MIN % 60),
        (17, 2, rest // SEC % 60),
        (20, 3, rest % SEC),
    ):
        _put_digits(mat, col, width, values)
    return _blank_where(_from_matrix(mat), ms < 0)


def _vocab(values: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Text from a vocabulary by code (-1 is empty), quoted for CSV where needed."""
    table = pa.array([_csv_cell(v) for v in values] + [""], LS)
    idx = np.where(codes < 0, len(values), codes)
    return pc.take(table, pa.array(idx.astype(np.int64)))


def _join(parts: Sequence[pa.Array | str]) -> pa.Array:
    """Concatenate string columns and literals cell by cell."""
    items = [pa.scalar(p, LS) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*items, EMPTY)


def _width(n: int, minimum: int = 6) -> int:
    return max(minimum, len(str(max(n, 1))))


# --------------------------------------------------------------------------------------
# Tables as column producers
# --------------------------------------------------------------------------------------

ColumnFn = Callable[[slice], list[pa.Array]]


@dataclass
class BigTable:
    """A fact table to write in chunks: its header, row count and a function giving its cells."""

    name: str
    header: tuple[str, ...]
    rows: int
    cells: ColumnFn


@dataclass
class Data:
    """Everything generated, ready to be formatted."""

    world: World
    conv_t: np.ndarray
    conv_ch: np.ndarray
    conv_contact: np.ndarray
    conv_lang: np.ndarray
    conv_url: np.ndarray
    contact_ch: np.ndarray
    messages: dict[str, np.ndarray]
    events: dict[str, np.ndarray]
    tags: dict[str, np.ndarray]
    surveys: dict[str, np.ndarray]
    presence: dict[str, np.ndarray]
    contacts: dict[str, np.ndarray]
    attributes: dict[str, np.ndarray]


def _user_ids(world: World) -> list[str]:
    width = max(3, len(str(world.n_agents + 1)))
    return [f"u-{i + 1:0{width}d}" for i in range(world.n_agents + 1)]


def _team_ids(world: World) -> list[str]:
    return [TEAM_IDS[i] if i < len(TEAM_IDS) else f"team-{i + 1:02d}" for i in range(world.n_teams)]


def _conversation_table(data: Data) -> BigTable:
    n = data.conv_t.size
    width = _width(n, 9)
    langs = sorted({lang for c in CHANNELS for lang, _ in c.languages} - {""})

    def cells(sl: slice) -> list[pa.Array]:
        ids = _ids("7", np.arange(sl.start, sl.stop), width)
        url = _blank_where(_join(["https://legacy.acme-demo.example/c/", ids]), ~data.conv_url[sl])
        return [
            ids,
            _vocab([c.channel_id for c in CHANNELS], data.conv_ch[sl]),
            _ids("k-", data.conv_contact[sl], _width(data.contact_ch.size, 7)),
            _timestamps(data.conv_t[sl]),
            _vocab(langs, data.conv_lang[sl]),
            url,
        ]

    header = ("conversation_id", "channel_id", "contact_id", "created_at", "language", "url")
    return BigTable("conversations", header, n, cells)


def _message_table(data: Data) -> BigTable:
    m = data.messages
    conv_width = _width(data.conv_t.size, 9)
    width = _width(m["t"].size, 9)
    users, teams = _user_ids(data.world), _team_ids(data.world)
    post_prefix = [c.post_url for c in CHANNELS]

    def cells(sl: slice) -> list[pa.Array]:
        rows = np.arange(sl.start, sl.stop)
        ch = data.conv_ch[m["conv"][sl]]
        public = np.array([c.public for c in CHANNELS])[ch] & ((m["dir"][sl] == 0) | (m["otype"][sl] == 0))
        public &= m["sys"][sl] < 0
        post = _join([_vocab(post_prefix, ch), _template("19#################", rows * 7919 + 11)])
        return [
            _ids("m-", rows, width),
            _ids("7", m["conv"][sl], conv_width),
            _timestamps(m["t"][sl]),
            _vocab(DIRECTIONS, m["dir"][sl]),
            _vocab(MESSAGE_TYPES, m["mtype"][sl]),
            _vocab(ORIGINS, m["origin"][sl]),
            _vocab(OUTBOUND_TYPES, m["otype"][sl]),
            _vocab(users, m["user"][sl]),
            _vocab(teams, m["team"][sl]),
            _vocab([v for v, _ in VIRTUAL_AGENTS], m["va"][sl]),
            _vocab(SYSTEM_USER_TYPES, m["sys"][sl]),
            _vocab(CONTENT, m["content"][sl]),
            _blank_where(post, ~public),
            _timestamps(m["updated"][sl]),
            _timestamps(m["deleted"][sl]),
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
    conv_width = _width(data.conv_t.size, 9)
    width = _width(e["t"].size, 9)
    users, teams = _user_ids(data.world), _team_ids(data.world)

    def cells(sl: slice) -> list[pa.Array]:
        rows = np.arange(sl.start, sl.stop)
        no_id = rows % 97 == 41  # about 1 %: event_id is optional
        return [
            _blank_where(_ids("ev-", rows, width), no_id),
            _ids("7", e["conv"][sl], conv_width),
            _timestamps(e["t"][sl]),
            _vocab(EVENT_TYPES, e["type"][sl]),
            _vocab(users, e["user"][sl]),
            _vocab(teams, e["team"][sl]),
            _vocab([v for v, _ in VIRTUAL_AGENTS], e["va"][sl]),
            _vocab(STATUSES, e["status"][sl]),
            _vocab(RESOLVED_BY, e["rby"][sl]),
            _vocab(TRIGGERS, e["trig"][sl]),
            _vocab(RESOLVE_REASONS, e["reason"][sl]),
            _vocab(RESOLVE_COMMENTS, e["comment"][sl]),
            _vocab([t[0] for t in TOPICS], e["topic"][sl]),
            _vocab(STARTED_BY, e["started"][sl]),
            _vocab(HANDOVER_REASONS, e["handover"][sl]),
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
    width = _width(data.messages["t"].size, 9)
    users, teams = _user_ids(data.world), _team_ids(data.world)

    def cells(sl: slice) -> list[pa.Array]:
        return [
            _ids("m-", g["msg"][sl], width),
            _vocab([t[0] for t in TAGS], g["tag"][sl]),
            _timestamps(g["t"][sl]),
            _vocab(ACTIONS, g["action"][sl]),
            _vocab(users, g["user"][sl]),
            _vocab(teams, g["team"][sl]),
            _vocab([v for v, _ in VIRTUAL_AGENTS], g["va"][sl]),
        ]

    header = ("message_id", "tag_id", "at", "action", "user_id", "team_id", "virtual_agent_id")
    return BigTable("message_tags", header, g["t"].size, cells)


def _survey_table(data: Data) -> BigTable:
    s = data.surveys
    conv_width = _width(data.conv_t.size, 9)
    width = _width(s["sent"].size, 7)

    def cells(sl: slice) -> list[pa.Array]:
        rows = np.arange(sl.start, sl.stop)
        return [
            _blank_where(_ids("cs-", rows, width), s["noid"][sl]),
            _ids("7", s["conv"][sl], conv_width),
            _timestamps(s["sent"][sl]),
            _timestamps(s["resp"][sl]),
            _vocab(["1", "2", "3", "4", "5"], np.where(s["score"][sl] > 0, s["score"][sl] - 1, -1)),
            _vocab(SURVEY_STATUSES, s["status"][sl]),
            _vocab(FOLLOWUP_QUESTIONS, s["fq"][sl]),
            _vocab(FOLLOWUP_ANSWERS, s["fa"][sl]),
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
            _vocab(users, p["user"][sl]),
            _timestamps(p["t"][sl]),
            _vocab(PRESENCES, p["presence"][sl]),
            _vocab(AWAY_STATUSES, p["away"][sl]),
        ]

    return BigTable("presence_events", ("user_id", "at", "presence", "away_status"), p["t"].size, cells)


def _contact_table(data: Data) -> BigTable:
    c = data.contacts
    n = data.contact_ch.size
    width = _width(n, 7)
    names = [f"{f} {last}" for f in FIRST_NAMES for last in LAST_NAMES]
    handles = [_ascii(f).lower() for f in FIRST_NAMES]

    def cells(sl: slice) -> list[pa.Array]:
        rows = np.arange(sl.start, sl.stop)
        ch = data.contact_ch[sl]
        primary = _primary_identifiers(ch, c["number"][sl], c["name"][sl] % len(FIRST_NAMES), handles)
        primary = _blank_where(primary, c["no_primary"][sl])
        return [
            _ids("k-", rows, width),
            _vocab([x.medium for x in CHANNELS], ch),
            primary,
            _vocab(names, c["name"][sl]),
            _timestamps(c["updated"][sl]),
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
            parts.append(_join(["@", _vocab(handles, first[piece]), "_", _template("###", number[piece])]))
        else:
            parts.append(_template(spec.id_template, number[piece]))
    return pa.concat_arrays(parts) if parts else pa.array([], LS)


def _attribute_table(data: Data) -> BigTable:
    a = data.attributes
    width = _width(data.contact_ch.size, 7)
    values = [v for spec in ATTRIBUTES for v in spec[4]]

    def cells(sl: slice) -> list[pa.Array]:
        attr = a["attr"][sl]
        kind = np.array([ATTR_TYPES.index(s[2]) if s[2] else -1 for s in ATTRIBUTES])[attr]
        return [
            _ids("k-", a["contact"][sl], width),
            _vocab([s[0] for s in ATTRIBUTES], attr),
            _vocab([s[1] for s in ATTRIBUTES], attr),
            _vocab(values, a["value"][sl]),
            _vocab(ATTR_TYPES, kind),
        ]

    return BigTable(
        "contact_attributes", ("contact_id", "attribute_id", "name", "value", "type"), a["attr"].size, cells
    )


# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------


def _cut_and_sort(rows: dict[str, np.ndarray], time_col: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Drop rows after the snapshot, order the rest by time (ties keep emission order).

    Returns the new table and, for every old row, its new row number (-1 if dropped).
    """
    t = rows[time_col]
    keep = np.flatnonzero(t <= SNAPSHOT_MS)
    order = keep[np.argsort(t[keep], kind="stable")]
    new_of_old = np.full(t.size, -1, dtype=np.int64)
    new_of_old[order] = np.arange(order.size)
    return {k: v[order] for k, v in rows.items()}, new_of_old


def _after_snapshot_to_empty(*cols: np.ndarray) -> None:
    for c in cols:
        c[c > SNAPSHOT_MS] = -1


def _presence(rng: np.random.Generator, world: World) -> dict[str, np.ndarray]:
    """Per working day: available at shift start, breaks (lunch, sometimes another), offline at the end."""
    agent, day = np.nonzero(world.works)
    n = agent.size
    start = D0_MS + day * DAY + np.array([s[0] for s in SHIFTS])[world.agent_shift[agent]] * MIN
    start = start + _lognormal(rng, n, 4 * MIN, 1.0, 0, 40 * MIN) - 5 * MIN
    length = 8 * HOUR + 30 * MIN + _uniform(rng, n, -15 * MIN, 25 * MIN)
    coffee_at = start + 2 * HOUR + _uniform(rng, n, 0, 40 * MIN)
    lunch_at = start + 4 * HOUR + _uniform(rng, n, -20 * MIN, 30 * MIN)
    late_at = start + 6 * HOUR + _uniform(rng, n, 0, 60 * MIN)
    extra = rng.random(n)
    slots = [  # (time, presence, away status, present?)
        (start, 0, -1, np.ones(n, bool)),
        (coffee_at, 1, 1, extra < 0.3),
        (coffee_at + _uniform(rng, n, 8 * MIN, 20 * MIN), 0, -1, extra < 0.3),
        (lunch_at, 1, 0, np.ones(n, bool)),
        (lunch_at + _uniform(rng, n, 30 * MIN, 55 * MIN), 0, -1, np.ones(n, bool)),
        (late_at, 1, 2 + rng.integers(0, 3, n), extra > 0.6),
        (late_at + _uniform(rng, n, 15 * MIN, 60 * MIN), 0, -1, extra > 0.6),
        (start + length, 2, -1, rng.random(n) > 0.03),  # a few forget to log off
    ]
    mask = np.stack([s[3] for s in slots], axis=1)
    cols = {
        "user": np.repeat(agent, len(slots)).reshape(n, -1),
        "t": np.stack([s[0] for s in slots], axis=1),
        "presence": np.stack([np.broadcast_to(s[1], (n,)) for s in slots], axis=1),
        "away": np.stack([np.broadcast_to(s[2], (n,)) for s in slots], axis=1),
    }
    flat = {k: v[mask] for k, v in cols.items()}
    order = np.lexsort((flat["t"], flat["user"]))
    out = {k: v[order] for k, v in flat.items()}
    keep = out["t"] <= SNAPSHOT_MS
    return {k: v[keep] for k, v in out.items()}


def _contacts(
    rng: np.random.Generator, contact_ch: np.ndarray, conv_contact: np.ndarray, conv_t: np.ndarray
) -> dict[str, np.ndarray]:
    """Contact details: identifier digits, a display name for most, updated_at after their last conversation."""
    n = contact_ch.size
    last = np.full(n, -1, dtype=np.int64)
    _group_max(last, conv_contact, conv_t)
    fallback = _uniform(rng, n, START_MS - 30 * DAY, SNAPSHOT_MS)
    updated = np.where(last >= 0, np.minimum(last + _uniform(rng, n, 0, 3 * HOUR), SNAPSHOT_MS), fallback)
    updated = np.where(rng.random(n) < 0.15, -1, updated)
    name = rng.integers(0, len(FIRST_NAMES) * len(LAST_NAMES), n)
    name = np.where(rng.random(n) < 0.3, -1, name)
    return {
        "number": rng.integers(0, 10**12, n) * 7 + np.arange(n),
        "name": name,
        "updated": updated,
        "no_primary": (contact_ch == 1) & (rng.random(n) < 0.1),
    }


def _group_max(out: np.ndarray, group: np.ndarray, values: np.ndarray) -> None:
    order = np.lexsort((values, group))
    g = group[order]
    last = np.flatnonzero(np.r_[g[1:] != g[:-1], True])
    out[g[last]] = values[order][last]


def _attributes(rng: np.random.Generator, n_contacts: int) -> dict[str, np.ndarray]:
    """Some attributes per contact, each with its own probability; one row per contact and attribute."""
    probs = np.array([a[3] for a in ATTRIBUTES])
    has = rng.random((n_contacts, len(ATTRIBUTES))) < probs[None, :]
    contact, attr = np.nonzero(has)
    sizes = np.array([len(a[4]) for a in ATTRIBUTES])
    offsets = np.cumsum(sizes) - sizes
    value = offsets[attr] + (rng.random(attr.size) * sizes[attr]).astype(np.int64)
    return {"contact": contact, "attr": attr, "value": value}


def _languages(rng: np.random.Generator, conv_ch: np.ndarray) -> np.ndarray:
    """Each conversation's language code, by its channel's language mix (-1: unknown)."""
    langs = sorted({lang for c in CHANNELS for lang, _ in c.languages} - {""})
    conv_lang = np.full(conv_ch.size, -1, dtype=np.int64)
    for i, c in enumerate(CHANNELS):
        sel = np.flatnonzero(conv_ch == i)
        pick = _choice(rng, sel.size, [w for _, w in c.languages])
        codes = np.array([langs.index(lang) if lang else -1 for lang, _ in c.languages])
        conv_lang[sel] = codes[pick]
    return conv_lang


def _collect(sim: Simulation, progress: Progress) -> tuple[dict[str, np.ndarray], ...]:
    """The simulated fact rows, cut at the snapshot and in time order; tags follow their messages."""
    messages, msg_new = _cut_and_sort(sim.messages.finish(), "t")
    _after_snapshot_to_empty(messages["updated"], messages["deleted"])
    progress.step(0.4, "Sorting events")
    events, _ = _cut_and_sort(sim.events.finish(), "t")
    progress.step(0.8, "Sorting tags and surveys")
    tags, _ = _cut_and_sort(sim.tags.finish(), "t")
    tags["msg"] = msg_new[tags["msg"]]
    tags = {k: v[tags["msg"] >= 0] for k, v in tags.items()}
    surveys, _ = _cut_and_sort(sim.surveys.finish(), "sent")
    _expire_unanswered(surveys)
    return messages, events, tags, surveys


def _generate(conversations: int, seed: int, progress: Progress) -> Data:
    rng = np.random.default_rng(seed)
    world = _make_world(rng, conversations)
    conv_t = _creation_times(rng, conversations)
    conv_ch = _choice(rng, conversations, [c.weight for c in CHANNELS])
    conv_contact, contact_ch = _contacts_for(rng, conv_ch)
    conv_lang = _languages(rng, conv_ch)
    conv_url = rng.random(conversations) < 0.02
    sim = Simulation(rng, world, conv_t, conv_ch, progress.sub(0.0, 0.75))
    sim.run()
    messages, events, tags, surveys = _collect(sim, progress.sub(0.75, 0.9))
    progress.step(0.9, "Contacts and presence")
    contacts = _contacts(rng, contact_ch, conv_contact, conv_t)
    attributes = _attributes(rng, contact_ch.size)
    presence = _presence(rng, world)
    return Data(
        world,
        conv_t,
        conv_ch,
        conv_contact,
        conv_lang,
        conv_url,
        contact_ch,
        messages,
        events,
        tags,
        surveys,
        presence,
        contacts,
        attributes,
    )


def _expire_unanswered(s: dict[str, np.ndarray]) -> None:
    """A survey answered after the snapshot was, at the snapshot, still waiting for an answer."""
    late = s["resp"] > SNAPSHOT_MS
    s["resp"][late] = -1
    s["score"][late] = -1
    s["status"][late] = 0
    s["fq"][late] = -1
    s["fa"][late] = -1


# --------------------------------------------------------------------------------------
# Small tables
# --------------------------------------------------------------------------------------


def _small_tables(world: World) -> dict[str, tuple[tuple[str, ...], list[tuple[str, ...]]]]:
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


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def _write_big(out: IO[bytes], table: BigTable, progress: Progress) -> None:
    out.write((",".join(table.header) + "\n").encode())
    for lo in range(0, table.rows, CHUNK_ROWS):
        progress.step(lo / max(table.rows, 1), f"Writing {table.name}")
        sl = slice(lo, min(lo + CHUNK_ROWS, table.rows))
        cols = table.cells(sl)
        cols[-1] = _join([cols[-1], "\n"])
        joined = pc.binary_join_element_wise(*cols, pa.scalar(",", LS))
        _write_array_bytes(out, joined)


def _write_array_bytes(out: IO[bytes], arr: pa.Array) -> None:
    """Write the concatenated bytes of a string array (its data buffer, between its offsets)."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    out.write(memoryview(bufs[2])[int(offsets[0]) : int(offsets[-1])])


def _write_small(out: IO[bytes], header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    out.write(buf.getvalue().encode())


def _manifest() -> bytes:
    doc = {
        "format": "sparkdesk-dump",
        "version": 1,
        "organization": ORGANIZATION,
        "snapshot_at": SNAPSHOT,
        "conversation_url_template": URL_TEMPLATE,
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


class _FolderSink:
    """Writes each file next to its final name, then renames it into place."""

    def __init__(self, folder: pathlib.Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        final = self.folder / name
        part = final.with_name(name + ".part")
        try:
            with open(part, "wb") as fh:
                yield fh
            os.replace(part, final)
        finally:
            part.unlink(missing_ok=True)


class _ZipSink:
    """Streams each file into a zip entry with a fixed date, so archives are reproducible."""

    DATE = (2025, 6, 30, 20, 0, 0)

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        info = zipfile.ZipInfo(name, date_time=self.DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with self.zf.open(info, "w", force_zip64=True) as fh:
            yield fh


def _write_all(sink: _FolderSink | _ZipSink, data: Data, progress: Progress) -> None:
    with sink.open("manifest.json") as fh:
        fh.write(_manifest())
    for name, (header, rows) in _small_tables(data.world).items():
        with sink.open(f"{name}.csv") as fh:
            _write_small(fh, header, rows)
    tables = [
        _contact_table(data),
        _attribute_table(data),
        _conversation_table(data),
        _message_table(data),
        _event_table(data),
        _tag_table(data),
        _survey_table(data),
        _presence_table(data),
    ]
    total = sum(t.rows for t in tables) or 1
    done = 0
    for table in tables:
        with sink.open(f"{table.name}.csv") as fh:
            _write_big(fh, table, progress.sub(done / total, (done + table.rows) / total))
        done += table.rows


def write_demo(
    out_dir: str | os.PathLike[str],
    conversations: int = 500,
    seed: int = 1,
    *,
    as_zip: bool = False,
    progress: Progress | ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> pathlib.Path:
    """Write a synthetic dump and return its path.

    Without ``as_zip``, ``out_dir`` is the dump folder (created if needed; the manifest and
    the 17 table files are overwritten, nothing else is touched). With ``as_zip``, a path
    ending in ``.zip`` is the archive to write, anything else is a folder that receives
    ``sparkdesk-demo.zip``; the archive is written to a temporary name and renamed at the
    end, so it is whole or absent. The same ``conversations`` and ``seed`` always give the
    same bytes. ``progress``/``cancel`` work as in ``sparkdesk.tasks`` (raises
    ``Cancelled``).
    """
    if conversations < 1:
        raise ValueError("conversations must be at least 1")
    prog = as_progress(progress, cancel)
    data = _generate(int(conversations), int(seed), prog.sub(0.0, 0.45))
    target = pathlib.Path(out_dir)
    if not as_zip:
        _write_all(_FolderSink(target), data, prog.sub(0.45, 1.0))
        prog.step(1.0, "Done", force=True)
        return target
    if target.suffix.lower() != ".zip":
        target.mkdir(parents=True, exist_ok=True)
        target = target / DEMO_ZIP_NAME
    part = target.with_name(target.name + ".part")
    try:
        with zipfile.ZipFile(part, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            _write_all(_ZipSink(zf), data, prog.sub(0.45, 1.0))
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    prog.step(1.0, "Done", force=True)
    return target
