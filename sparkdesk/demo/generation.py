"""Generation: the world and the conversations simulated, the rows cut at the snapshot and
sorted, and the contacts, their attributes and the agents' presence; all of it as ``Data``.

The fact tables (messages, events, tags, surveys) are reached through ``Facts``: here they
are arrays in memory; ``chunked`` keeps them on disk for dumps too big for that.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sparkdesk.demo.conversations import Simulation, contacts_for, creation_times, released_unlocks
from sparkdesk.demo.organisation import (
    ATTRIBUTES,
    CHANNELS,
    D0_MS,
    DAY,
    FIRST_NAMES,
    HOUR,
    LAST_NAMES,
    MIN,
    SNAPSHOT_MS,
    START_MS,
)
from sparkdesk.demo.sampling import choice, lognormal, uniform
from sparkdesk.demo.world import SHIFTS, World, make_world
from sparkdesk.tasks import Progress

Columns = dict[str, np.ndarray]
FACT_TABLES = ("messages", "conversation_events", "message_tags", "csat_surveys")


class Facts(Protocol):
    """The fact tables' rows, in time order, however they are kept."""

    def count(self, table: str) -> int:
        """Rows of ``table`` (one of ``FACT_TABLES``)."""
        ...

    def batches(self, table: str, size: int) -> Iterator[tuple[int, Columns]]:
        """The rows in order, at most ``size`` at a time, each batch with its first row number."""
        ...

    def release(self, table: str) -> None:
        """``table`` is written: what holds its rows may go."""
        ...


def slices(cols: Columns, size: int) -> Iterator[tuple[int, Columns]]:
    """Columns in memory cut into batches of ``size`` rows (views, no copy)."""
    n = len(next(iter(cols.values())))
    for lo in range(0, n, size):
        yield lo, {k: v[lo : lo + size] for k, v in cols.items()}


@dataclass
class FactsInMemory:
    """The fact tables as arrays (what ``generate`` gives)."""

    tables: dict[str, Columns]

    def count(self, table: str) -> int:
        return len(next(iter(self.tables[table].values())))

    def batches(self, table: str, size: int) -> Iterator[tuple[int, Columns]]:
        return slices(self.tables[table], size)

    def release(self, table: str) -> None:
        """Nothing to do: the arrays go with the ``Data``."""


@dataclass
class Start:
    """What is drawn before any conversation is lived: the world, the conversations, their contacts."""

    world: World
    conv_t: np.ndarray
    conv_ch: np.ndarray
    conv_contact: np.ndarray
    conv_lang: np.ndarray
    conv_url: np.ndarray
    contact_ch: np.ndarray


@dataclass
class Data(Start):
    """Everything generated, ready to be formatted: the start, and the facts lived from it."""

    facts: Facts
    presence: dict[str, np.ndarray]
    contacts: dict[str, np.ndarray]
    attributes: dict[str, np.ndarray]


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
    start = start + lognormal(rng, n, 4 * MIN, 1.0, 0, 40 * MIN) - 5 * MIN
    length = 8 * HOUR + 30 * MIN + uniform(rng, n, -15 * MIN, 25 * MIN)
    coffee_at = start + 2 * HOUR + uniform(rng, n, 0, 40 * MIN)
    lunch_at = start + 4 * HOUR + uniform(rng, n, -20 * MIN, 30 * MIN)
    late_at = start + 6 * HOUR + uniform(rng, n, 0, 60 * MIN)
    extra = rng.random(n)
    slots = [  # (time, presence, away status, present?)
        (start, 0, -1, np.ones(n, bool)),
        (coffee_at, 1, 1, extra < 0.3),
        (coffee_at + uniform(rng, n, 8 * MIN, 20 * MIN), 0, -1, extra < 0.3),
        (lunch_at, 1, 0, np.ones(n, bool)),
        (lunch_at + uniform(rng, n, 30 * MIN, 55 * MIN), 0, -1, np.ones(n, bool)),
        (late_at, 1, 2 + rng.integers(0, 3, n), extra > 0.6),
        (late_at + uniform(rng, n, 15 * MIN, 60 * MIN), 0, -1, extra > 0.6),
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
    fallback = uniform(rng, n, START_MS - 30 * DAY, SNAPSHOT_MS)
    updated = np.where(last >= 0, np.minimum(last + uniform(rng, n, 0, 3 * HOUR), SNAPSHOT_MS), fallback)
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


ATTRIBUTE_PIECE = 1_000_000  # contacts drawn at a time (float draws in pieces give the same numbers)


def _attributes(rng: np.random.Generator, n_contacts: int) -> dict[str, np.ndarray]:
    """Some attributes per contact, each with its own probability; one row per contact and attribute.

    Drawn ``ATTRIBUTE_PIECE`` contacts at a time, so ten million contacts do not need their
    whole probability matrix at once; ``rng.random`` fills consecutive calls from one stream,
    so the pieces draw the very numbers one call would.
    """
    probs = np.array([a[3] for a in ATTRIBUTES])
    contacts, attrs = [], []
    for lo in range(0, n_contacts, ATTRIBUTE_PIECE):
        has = rng.random((min(ATTRIBUTE_PIECE, n_contacts - lo), len(ATTRIBUTES))) < probs[None, :]
        contact, attr = np.nonzero(has)
        contacts.append((contact + lo).astype(np.int32))
        attrs.append(attr.astype(np.int8))
    contact = np.concatenate(contacts) if contacts else np.zeros(0, np.int32)
    attr = np.concatenate(attrs) if attrs else np.zeros(0, np.int8)
    sizes = np.array([len(a[4]) for a in ATTRIBUTES])
    offsets = np.cumsum(sizes) - sizes
    value = np.empty(attr.size, dtype=np.int16)
    for lo in range(0, attr.size, ATTRIBUTE_PIECE):
        a = attr[lo : lo + ATTRIBUTE_PIECE]
        value[lo : lo + a.size] = offsets[a] + (rng.random(a.size) * sizes[a]).astype(np.int64)
    return {"contact": contact, "attr": attr, "value": value}


def _languages(rng: np.random.Generator, conv_ch: np.ndarray) -> np.ndarray:
    """Each conversation's language code, by its channel's language mix (-1: unknown)."""
    langs = sorted({lang for c in CHANNELS for lang, _ in c.languages} - {""})
    conv_lang = np.full(conv_ch.size, -1, dtype=np.int64)
    for i, c in enumerate(CHANNELS):
        sel = np.flatnonzero(conv_ch == i)
        pick = choice(rng, sel.size, [w for _, w in c.languages])
        codes = np.array([langs.index(lang) if lang else -1 for lang, _ in c.languages])
        conv_lang[sel] = codes[pick]
    return conv_lang


def collect_chunk(sim: Simulation, progress: Progress) -> dict[str, Columns]:
    """The simulated fact rows, cut at the snapshot and in time order; tags follow their messages.

    Events keep the UNLOCKED rows of released locks: whether a lock was released needs
    every conversation of the agent (``released_unlocks``), which a chunk does not have.
    """
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
    return {
        "messages": messages,
        "conversation_events": events,
        "message_tags": tags,
        "csat_surveys": surveys,
    }


def _collect(sim: Simulation, progress: Progress) -> dict[str, Columns]:
    facts = collect_chunk(sim, progress)
    events = facts["conversation_events"]
    kept = ~released_unlocks(events)
    facts["conversation_events"] = {k: v[kept] for k, v in events.items()}
    return facts


def start(rng: np.random.Generator, conversations: int) -> Start:
    """The world, the conversations' creation times, channels, contacts, languages and legacy urls."""
    world = make_world(rng, conversations)
    conv_t = creation_times(rng, conversations)
    conv_ch = choice(rng, conversations, [c.weight for c in CHANNELS])
    conv_contact, contact_ch = contacts_for(rng, conv_ch)
    conv_lang = _languages(rng, conv_ch)
    conv_url = rng.random(conversations) < 0.02
    return Start(world, conv_t, conv_ch, conv_contact, conv_lang, conv_url, contact_ch)


def finish(rng: np.random.Generator, s: Start, facts: Facts, progress: Progress) -> Data:
    """After the conversations: the contacts, their attributes and the agents' presence."""
    progress.step(0.0, "Contacts and presence")
    contacts = _contacts(rng, s.contact_ch, s.conv_contact, s.conv_t)
    attributes = _attributes(rng, s.contact_ch.size)
    presence = _presence(rng, s.world)
    return Data(
        s.world,
        s.conv_t,
        s.conv_ch,
        s.conv_contact,
        s.conv_lang,
        s.conv_url,
        s.contact_ch,
        facts,
        presence,
        contacts,
        attributes,
    )


def generate(conversations: int, seed: int, progress: Progress) -> Data:
    """Every conversation simulated at once, in memory (about 0.94 GiB per 300,000)."""
    rng = np.random.default_rng(seed)
    s = start(rng, conversations)
    sim = Simulation(rng, s.world, s.conv_t, s.conv_ch, progress.sub(0.0, 0.75))
    sim.run()
    facts = _collect(sim, progress.sub(0.75, 0.9))
    return finish(rng, s, FactsInMemory(facts), progress.sub(0.9, 1.0))


def _expire_unanswered(s: dict[str, np.ndarray]) -> None:
    """A survey answered after the snapshot was, at the snapshot, still waiting for an answer."""
    late = s["resp"] > SNAPSHOT_MS
    s["resp"][late] = -1
    s["score"][late] = -1
    s["status"][late] = 0
    s["fq"][late] = -1
    s["fa"][late] = -1
