"""The demo organisation: its time frame, reference data and the vocabularies its cells use.

Acme Demo Org's channels, bots, teams, agents, topics, tags, business hours and contact
attributes, and every enumeration and free text a generated cell can hold. Fact-table cells
are codes into these tuples (-1 is empty); ``CONTENT`` is one list of every message text,
with ``POOL`` giving each named pool's slice of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
POOL: dict[str, tuple[int, int]] = {}


def _register(name: str, texts: Sequence[str]) -> None:
    POOL[name] = (len(CONTENT), len(texts))
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
CONTENT_EMPTY = np.array([c == "" for c in CONTENT])  # texts that make an empty cell

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
