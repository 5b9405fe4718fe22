"""The world: agents and teams, their shifts and rota, and who is on shift at an instant."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sparkdesk.demo.organisation import AGENTS, D0_MS, D0_WEEKDAY, DAY, MIN, N_DAYS, TEAM_NAMES
from sparkdesk.demo.sampling import uniform

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


def make_world(rng: np.random.Generator, conversations: int) -> World:
    n_agents = max(len(AGENTS), round(conversations / 2000))
    n_teams = max(len(TEAM_NAMES), n_agents // 12)
    idx = np.arange(n_agents)
    team = idx * n_teams // n_agents
    alt = np.where(idx % 6 == 1, (team + 1) % n_teams, -1)
    shift = idx % len(SHIFTS)
    works = _rota(rng, n_agents)
    eligible, count = _eligibility(works, shift)
    return World(n_agents, n_teams, team, alt, shift, works, eligible, count)


def weekday(day: np.ndarray | int) -> np.ndarray | int:
    return (D0_WEEKDAY + day) % 7


def _rota(rng: np.random.Generator, n_agents: int) -> np.ndarray:
    """Who works which day: weekdays minus a few absences; a quarter of agents each weekend."""
    days = np.arange(N_DAYS)
    weekend = weekday(days) >= 5
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


def staffed(rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
    """Move instants outside staffed hours to the next morning (nobody answers at night)."""
    day_start = D0_MS + (t - D0_MS) // DAY * DAY
    minute = (t - day_start) // MIN
    morning = day_start + STAFFED[0] * MIN + uniform(rng, t.size, 0, 100 * MIN)
    return np.where(minute < STAFFED[0], morning, np.where(minute >= STAFFED[1], morning + DAY, t))


def pick_agents(rng: np.random.Generator, world: World, t: np.ndarray) -> np.ndarray:
    """An agent on shift at each instant (instants are within staffed hours)."""
    day = np.clip((t - D0_MS) // DAY, 0, N_DAYS - 1)
    minute = (t - D0_MS) % DAY // MIN
    slot = np.clip(np.searchsorted(SLOT_EDGES, minute, side="right") - 1, 0, len(SLOT_EDGES) - 2)
    count = world.eligible_count[day, slot]
    k = np.minimum((rng.random(t.size) * count).astype(np.int64), count - 1)
    return world.eligible[day, slot, k].astype(np.int32)


def teams_for(rng: np.random.Generator, world: World, agent: np.ndarray) -> np.ndarray:
    """The team an agent acts for: their own, sometimes their second team."""
    alt = world.agent_alt_team[agent]
    use_alt = (alt >= 0) & (rng.random(agent.size) < 0.3)
    return np.where(use_alt, alt, world.agent_team[agent]).astype(np.int32)
