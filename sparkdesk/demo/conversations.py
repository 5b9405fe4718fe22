"""The conversations: when they are created, by which contacts, and how each one lives.

``Simulation`` lives every conversation through its cycles, stage by stage, all
conversations at once, and gathers the rows of the fact tables (messages, events, tags,
surveys) in ``Rows`` collectors. Nothing here loops over conversations or rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sparkdesk.demo.organisation import (
    CHANNELS,
    CONTENT_EMPTY,
    D0_MS,
    DAY,
    FOLLOWUP_ANSWERS,
    FOLLOWUP_QUESTIONS,
    HANDOVER_REASONS,
    HANDOVER_WEIGHTS,
    HOUR,
    MIN,
    N_DAYS,
    POOL,
    RESOLVE_COMMENTS,
    SEC,
    SNAPSHOT_MS,
    START_MS,
    TAG_WEIGHTS,
    TOPIC_WEIGHTS,
)
from sparkdesk.demo.sampling import choice, lognormal, pool, segment_cumsum, segment_positions, uniform
from sparkdesk.demo.world import World, pick_agents, staffed, teams_for, weekday
from sparkdesk.tasks import Progress

MAX_CYCLES = 3  # the first contact plus up to two reopenings


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
            gap = lognormal(self.rng, alive.size, 5 * HOUR, 1.3, 2 * MIN, 7 * DAY)
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
        agent = pick_agents(rng, self.world, staffed(rng, s))
        team = teams_for(rng, self.world, agent)
        ev = self.events
        ev.add(n, conv=conv, t=s + 3, type=1, user=agent, team=team)
        ev.add(n, conv=conv, t=s + 5, type=5, user=agent, team=team, started=5)
        sent = s + uniform(rng, n, 20 * SEC, 90 * SEC)
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
            content=pool(rng, n, "template"),
        )
        ev.add(
            n, conv=conv, t=sent + uniform(rng, n, 2 * SEC, 8 * SEC), type=0, user=agent, team=team, status=1
        )
        answer = sent + lognormal(rng, n, 2 * HOUR, 1.2, 3 * MIN, 3 * DAY)
        return answer, rng.random(n) < 0.75

    def inbound_burst(self, conv: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The contact writes one or a few messages in a row; returns the last time and first row."""
        rng, n = self.rng, conv.size
        count = 1 + choice(rng, n, (0.55, 0.25, 0.12, 0.08))
        group, pos = segment_positions(count)
        gaps = np.where(pos == 0, 0, lognormal(rng, group.size, 25 * SEC, 0.9, 2 * SEC, 10 * MIN))
        t = first[group] + segment_cumsum(gaps, count)
        rows = self.add_inbound(conv[group], t)
        ends = np.cumsum(count) - 1
        return t[ends], rows[ends - count + 1]

    def add_inbound(self, conv: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Contact messages of assorted types; a few edited or deleted."""
        rng, n = self.rng, conv.size
        ch = self.conv_ch[conv]
        mtype = choice(rng, n, (0.8, 0.08, 0.03, 0.02, 0.02, 0.05))
        mtype = np.where((mtype == 3) & (ch != 0), 0, mtype)  # locations only on WhatsApp
        content = np.select(
            [mtype == 0, mtype == 1, mtype == 2, mtype == 3],
            [
                pool(rng, n, "inbound"),
                pool(rng, n, "caption"),
                pool(rng, n, "file"),
                pool(rng, n, "location"),
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
        later = t + lognormal(rng, n, 4 * MIN, 1.2, 5 * SEC, 6 * HOUR)
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
        queue_at = first_in + uniform(rng, n, 200, 900)
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
        t = first_in + uniform(rng, n, 1 * SEC, 4 * SEC)
        self.messages.add(n, conv=conv, t=t, dir=1, mtype=0, origin=4, sys=0, content=pool(rng, n, "ar"))
        handover = rng.random(n) < 0.65
        q = np.where(handover, t + uniform(rng, n, 100, 600), first_in + uniform(rng, n, 200, 900))
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
        turns = 1 + choice(rng, n, (0.4, 0.35, 0.25))
        t = last_in.copy()
        for j in range(3):
            on = np.flatnonzero(turns > j)
            t[on] += uniform(rng, on.size, 1 * SEC, 4 * SEC)
            content = pool(rng, on.size, "va")
            if j == 0:  # bots open with a greeting
                content[:] = POOL["va"][0]
            self.messages.add(
                on.size, conv=conv[on], t=t[on], dir=1, mtype=0, origin=3, va=va[on], content=content
            )
            if j == 0:
                self.va_labels(conv[on], va[on], t[on], first_row[on])
            more = on[turns[on] > j + 1]
            t[more] += lognormal(rng, more.size, 35 * SEC, 0.8, 4 * SEC, 15 * MIN)
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
        t_res = t[s] + uniform(rng, s.size, 3 * SEC, 40 * SEC)
        self.messages.add(
            s.size, conv=conv[s], t=t_res, dir=1, mtype=0, origin=3, va=va[s], content=POOL["va_resolve"][0]
        )
        resolved[s] = t_res + uniform(rng, s.size, 500, 5 * SEC)
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
        t_h = t[h] + uniform(rng, h.size, 2 * SEC, 20 * SEC)
        self.messages.add(
            h.size, conv=conv[h], t=t_h, dir=1, mtype=0, origin=3, va=va[h], content=POOL["va_handover"][0]
        )
        q = np.full(n, -1, dtype=np.int64)
        q[h] = t_h + uniform(rng, h.size, 100, 800)
        reason = choice(rng, h.size, (*HANDOVER_WEIGHTS, 1 - sum(HANDOVER_WEIGHTS)))
        reason = np.where(reason >= len(HANDOVER_REASONS), -1, reason)
        self.events.add(h.size, conv=conv[h], t=q[h], type=5, va=va[h], started=2, handover=reason)
        return q, ~solved, resolved

    def va_labels(self, conv: np.ndarray, va: np.ndarray, t: np.ndarray, first_row: np.ndarray) -> None:
        """Bots classify: a topic on some conversations (sometimes corrected), a tag on some messages."""
        rng, n = self.rng, conv.size
        tp = np.flatnonzero(rng.random(n) < 0.4)
        at = t[tp] + uniform(rng, tp.size, 300, 2 * SEC)
        topic = choice(rng, tp.size, TOPIC_WEIGHTS)
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
            tag=choice(rng, tg.size, TAG_WEIGHTS),
            t=t[tg] + uniform(rng, tg.size, 500, 3 * SEC),
            action=0,
            va=va[tg],
        )

    # -- human handling ------------------------------------------------------------------------

    def human(self, conv: np.ndarray, ch: np.ndarray, queue_at: np.ndarray, floor: np.ndarray) -> np.ndarray:
        """Agents pick the conversation up, talk to the contact and (mostly) resolve it."""
        rng, n = self.rng, conv.size
        lock = staffed(rng, np.maximum(queue_at, floor) + lognormal(rng, n, 6 * MIN, 1.1, 5 * SEC, 10 * HOUR))
        agent = pick_agents(rng, self.world, lock)
        kind = choice(rng, n, (0.78, 0.1, 0.06, 0.06))  # main only, cherry pick, steal, transfer
        self.cherry_pick(conv[kind == 1], queue_at[kind == 1], lock[kind == 1], agent[kind == 1])
        self.steal(conv[kind == 2], queue_at[kind == 2], lock[kind == 2], agent[kind == 2])
        tr = np.flatnonzero(kind == 3)
        lock[tr], agent[tr] = self.transfer(conv[tr], ch[tr], lock[tr], agent[tr])
        team = teams_for(rng, self.world, agent)
        self.events.add(n, conv=conv, t=lock, type=1, user=agent, team=team)
        self.agent_topics(conv, lock, agent, team)
        self.tick(0.5)
        last, no_reply = self.exchange(conv, ch, lock, agent, team)
        self.tick(0.85)
        return self.finish(conv, last, agent, team, no_reply)

    def other_agents(self, t: np.ndarray, agent: np.ndarray) -> np.ndarray:
        """Another agent on shift at ``t`` (a colleague, when there is one)."""
        other = pick_agents(self.rng, self.world, t)
        return np.where(other == agent, (other + 1) % self.world.n_agents, other).astype(np.int32)

    def cherry_pick(
        self, conv: np.ndarray, queue_at: np.ndarray, lock: np.ndarray, agent: np.ndarray
    ) -> None:
        """A colleague opens the conversation first, looks, and leaves without replying."""
        rng, n = self.rng, conv.size
        at = lock - np.minimum(
            (lock - queue_at) * rng.uniform(0.5, 0.9, n), uniform(rng, n, 3 * MIN, 30 * MIN)
        )
        at = at.astype(np.int64)
        other = self.other_agents(at, agent)
        team = teams_for(rng, self.world, other)
        leave = np.minimum(at + uniform(rng, n, 8 * SEC, 150 * SEC), lock - 1)
        self.events.add(n, conv=conv, t=at, type=1, user=other, team=team)
        self.events.add(n, conv=conv, t=np.maximum(leave, at), type=2, user=other, team=team)

    def steal(self, conv: np.ndarray, queue_at: np.ndarray, lock: np.ndarray, agent: np.ndarray) -> None:
        """A colleague holds the lock when the main agent takes it over."""
        rng, n = self.rng, conv.size
        at = lock - np.minimum(
            (lock - queue_at) * rng.uniform(0.3, 0.9, n), uniform(rng, n, 2 * MIN, 20 * MIN)
        )
        at = at.astype(np.int64)
        other = self.other_agents(at, agent)
        self.events.add(n, conv=conv, t=at, type=1, user=other, team=teams_for(rng, self.world, other))

    def transfer(
        self, conv: np.ndarray, ch: np.ndarray, lock: np.ndarray, agent: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The first agent answers once, moves the conversation back to the queue, a colleague takes it."""
        rng, n = self.rng, conv.size
        team = teams_for(rng, self.world, agent)
        self.events.add(n, conv=conv, t=lock, type=1, user=agent, team=team)
        reply = lock + uniform(rng, n, 20 * SEC, 150 * SEC)
        self.add_replies(conv, ch, reply, agent, team)
        moved = reply + uniform(rng, n, 20 * SEC, 240 * SEC)
        self.events.add(n, conv=conv, t=moved, type=5, user=agent, team=team, started=4)
        self.events.add(n, conv=conv, t=moved + 400, type=2, user=agent, team=team)
        lock2 = staffed(rng, moved + lognormal(rng, n, 10 * MIN, 1.0, 20 * SEC, 8 * HOUR))
        return lock2, self.other_agents(lock2, agent)

    def agent_topics(self, conv: np.ndarray, lock: np.ndarray, agent: np.ndarray, team: np.ndarray) -> None:
        """Agents set a topic on about half the conversations, and sometimes change their mind."""
        rng, n = self.rng, conv.size
        tp = np.flatnonzero(rng.random(n) < 0.55)
        at = lock[tp] + uniform(rng, tp.size, 5 * SEC, 90 * SEC)
        topic = choice(rng, tp.size, TOPIC_WEIGHTS)
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
            t=at[r] + uniform(rng, r.size, 5 * SEC, 60 * SEC),
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
        group, pos = segment_positions(count)
        outbound = pos % 2 == 0
        lag_agent = lognormal(rng, group.size, 70 * SEC, 0.9, 5 * SEC, 2 * HOUR)
        lag_contact = lognormal(rng, group.size, 2 * MIN, 1.3, 4 * SEC, 8 * HOUR)
        first = uniform(rng, group.size, 15 * SEC, 240 * SEC)
        gaps = np.where(pos == 0, first, np.where(outbound, lag_agent, lag_contact))
        t = lock[group] + segment_cumsum(gaps, count)
        o = np.flatnonzero(outbound)
        self.add_replies(conv[group[o]], ch[group[o]], t[o], agent[group[o]], team[group[o]])
        i = np.flatnonzero(~outbound)
        rows = self.add_inbound(conv[group[i]], t[i])
        self.agent_tags(rows, t[i], agent[group[i]], team[group[i]])
        last = lock + uniform(rng, n, 10 * SEC, 120 * SEC)
        has = count > 0
        last[has] = t[np.cumsum(count)[has] - 1]
        return last, no_reply

    def add_replies(
        self, conv: np.ndarray, ch: np.ndarray, t: np.ndarray, agent: np.ndarray, team: np.ndarray
    ) -> np.ndarray:
        """Human replies: mostly text, private replies on public channels, a few templates and files."""
        rng, n = self.rng, conv.size
        mtype = choice(rng, n, (0.9, 0.04, 0.04, 0.0, 0.0, 0.0, 0.02))
        mtype = np.where((mtype == 6) & ~self.ch_templates[ch], 0, mtype)
        otype = np.where(mtype == 6, 2, np.where(self.ch_public[ch] & (rng.random(n) < 0.4), 1, 0))
        content = np.select(
            [mtype == 0, mtype == 2, mtype == 6],
            [pool(rng, n, "agent"), pool(rng, n, "file"), pool(rng, n, "template")],
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
        at = t[g] + uniform(rng, g.size, 10 * SEC, 300 * SEC)
        tag = choice(rng, g.size, TAG_WEIGHTS)
        self.tags.add(g.size, msg=rows[g], tag=tag, t=at, action=0, user=agent[g], team=team[g])
        r = np.flatnonzero(rng.random(g.size) < 0.15)
        self.tags.add(
            r.size,
            msg=rows[g[r]],
            tag=tag[r],
            t=at[r] + lognormal(rng, r.size, 20 * MIN, 1, MIN, DAY),
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
        outcome = np.where(no_reply, 0, choice(rng, n, (0.61, 0.2, 0.07, 0.05, 0.05, 0.02)))
        at = last + uniform(rng, n, 8 * SEC, 150 * SEC)
        resolved = np.full(n, -1, dtype=np.int64)
        r = np.flatnonzero(outcome == 0)
        resolved[r] = at[r]
        reason = np.where(no_reply[r], rng.choice([3, 4], r.size), choice(rng, r.size, (5, 2, 1, 0, 0, 1, 1)))
        self.resolve(conv[r], at[r], agent[r], team[r], reason)
        p = np.flatnonzero((outcome == 1) | (outcome == 2))
        self.events.add(p.size, conv=conv[p], t=at[p], type=0, user=agent[p], team=team[p], status=1)
        u = np.flatnonzero((outcome == 3) | (outcome == 4))
        self.events.add(u.size, conv=conv[u], t=at[u], type=2, user=agent[u], team=team[u])
        later = at + lognormal(rng, n, 14 * HOUR, 0.8, 30 * MIN, 6 * DAY)
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
        how = choice(rng, i.size, (0.6, 0.25, 0.15))
        s = i[how == 0]
        self.events.add(s.size, conv=conv[s], t=later[s], type=0, status=2, rby=3, trig=3, reason=2)
        a = i[how == 1]
        look = rng.random(a.size) < 0.5
        lk = a[look]
        self.events.add(
            lk.size,
            conv=conv[lk],
            t=later[lk] - uniform(rng, lk.size, 5 * SEC, 60 * SEC),
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
        sent = resolved[s] + uniform(rng, m, 1 * SEC, 5 * SEC)
        self.messages.add(m, conv=conv[s], t=sent, dir=1, mtype=7, origin=4, sys=1, content=POOL["csat"][0])
        outcome = choice(rng, m, (0.58, 0.2, 0.22))  # completed, expired, no answer yet
        done = outcome == 0
        resp = np.where(done, sent + lognormal(rng, m, 25 * MIN, 1.2, 20 * SEC, 2 * DAY), -1)
        score = np.where(done, 1 + choice(rng, m, (0.08, 0.06, 0.12, 0.27, 0.47)), -1)
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


# --------------------------------------------------------------------------------------
# Locks across conversations
# --------------------------------------------------------------------------------------


def released_unlocks(events: dict[str, np.ndarray]) -> np.ndarray:
    """The UNLOCKED events of locks their agent no longer held: to drop (events in time order).

    The simulation lives each conversation on its own, so an agent is often busy in several
    at once. The platform lets an agent hold one lock: locking another conversation, a
    colleague's steal or a change to PENDING or RESOLVED releases it without an event
    (exports.md "Lock sessions"), and the agent cannot unlock it afterwards. An UNLOCKED is
    kept only where its agent's session on that conversation is still open: the agent's
    last lock before it is on that conversation, and since that lock nobody else locked the
    conversation, its status did not leave NEW and the agent did not unlock it already.
    """
    open_session, session_lock = unlock_sessions(events)
    held = agents_last_lock(events)
    kind = events["type"]
    u = np.flatnonzero(kind == 2)
    drop = np.zeros(kind.size, dtype=bool)
    drop[u] = ~(open_session[u] & (held[u] == session_lock[u]))
    return drop


def unlock_sessions(events: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The part of ``released_unlocks`` that looks at one conversation at a time.

    For every UNLOCKED (events in time order): whether the conversation's last lock before
    it is its agent's own, unreleased since and not unlocked already, and that lock's row
    (-1 when there is none). Conversations never span the demo's chunks, so this runs per
    chunk; only the agent's last lock on *any* conversation (``agents_last_lock``) needs the
    whole stream.
    """
    kind, conv, user = events["type"], events["conv"], events["user"]
    lock, unlock = kind == 1, kind == 2
    release = (kind == 0) & (events["status"] >= 1)
    own = np.flatnonzero((lock | unlock) & (user >= 0))  # rows in time order

    # the agent's previous lock or unlock of the same conversation
    by_pair = own[np.lexsort((user[own], conv[own]))]
    same = ~_group_starts(conv[by_pair], user[by_pair])
    prev = np.full(kind.size, -1, dtype=np.int64)
    prev[by_pair[same]] = by_pair[np.flatnonzero(same) - 1]

    # the conversation's last lock (by anyone) and last release
    rows = np.flatnonzero(lock | unlock | release)
    by_conv = rows[np.argsort(conv[rows], kind="stable")]
    conv_lock = np.full(kind.size, -1, dtype=np.int64)
    conv_release = np.full(kind.size, -1, dtype=np.int64)
    for out, flag in ((conv_lock, lock), (conv_release, release)):
        last = _last_in_group(flag[by_conv], conv[by_conv])
        out[by_conv] = np.where(last >= 0, by_conv[np.maximum(last, 0)], -1)

    u = np.flatnonzero(unlock)
    c = conv_lock[u]
    open_session = np.zeros(kind.size, dtype=bool)
    open_session[u] = (
        (c >= 0)
        & (user[np.maximum(c, 0)] == user[u])
        & (prev[u] >= 0)
        & lock[np.maximum(prev[u], 0)]
        & (conv_release[u] < c)
    )
    session_lock = np.full(kind.size, -1, dtype=np.int64)
    session_lock[u] = c
    return open_session, session_lock


def agents_last_lock(events: dict[str, np.ndarray], before: np.ndarray | None = None) -> np.ndarray:
    """For every lock or unlock by an agent: the key of the agent's last lock so far, on any conversation.

    Events in time order; a lock counts for itself. A lock's key is its row, or its
    ``events["key"]`` when there is one (the chunked demo's keys hold across chunks); where
    the agent has not locked anything in these rows, ``before[user]`` (default -1) is the
    answer: the chunked demo carries it from one stretch of the stream to the next. Other
    rows get -1.
    """
    kind, user = events["type"], events["user"]
    lock = kind == 1
    keys = events.get("key", np.arange(kind.size, dtype=np.int64))
    own = np.flatnonzero(((kind == 1) | (kind == 2)) & (user >= 0))
    by_user = own[np.argsort(user[own], kind="stable")]
    last = _last_in_group(lock[by_user], user[by_user])
    carried = before[user[by_user]] if before is not None else np.full(by_user.size, -1, dtype=np.int64)
    held = np.full(kind.size, -1, dtype=np.int64)
    held[by_user] = np.where(last >= 0, keys[by_user[np.maximum(last, 0)]], carried)
    return held


def _last_in_group(flag: np.ndarray, group: np.ndarray) -> np.ndarray:
    """For rows sorted by group: the position of the group's last flagged row so far, or -1."""
    n = flag.size
    last = np.maximum.accumulate(np.where(flag, np.arange(n), -1))
    first = np.maximum.accumulate(np.where(_group_starts(group), np.arange(n), 0))
    return np.where(last >= first, last, -1)


def _group_starts(*keys: np.ndarray) -> np.ndarray:
    """For rows sorted by the keys: True where a group starts."""
    start = np.zeros(keys[0].size, dtype=bool)
    start[:1] = True
    for key in keys:
        start[1:] |= key[1:] != key[:-1]
    return start


# --------------------------------------------------------------------------------------
# Conversations and contacts
# --------------------------------------------------------------------------------------


def creation_times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Creation instants over the window: busy office hours, quieter nights and weekends."""
    hours = np.arange(N_DAYS * 24)
    hour_of_day = hours % 24
    profile = np.array(
        [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 5.5, 5, 5, 5.5, 5.5, 5, 4.5, 4, 3.5, 3, 2.5, 2, 1.5]
    )
    weight = profile[hour_of_day] * np.where(weekday(hours // 24) >= 5, 0.55, 1.0)
    start = D0_MS + hours * HOUR
    weight = np.where((start >= START_MS) & (start < SNAPSHOT_MS - HOUR), weight, 0)
    h = choice(rng, n, weight)
    return np.sort(start[h] + uniform(rng, n, 0, HOUR))


def contacts_for(rng: np.random.Generator, conv_ch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Contacts per channel (each channel its own medium); some contacts write again and again.

    Returns each conversation's contact and each contact's channel.
    """
    per_channel = np.bincount(conv_ch, minlength=len(CHANNELS))
    n_contacts = np.maximum(1, np.ceil(per_channel * 0.72)).astype(np.int64)
    offset = np.cumsum(n_contacts) - n_contacts
    skew = rng.random(conv_ch.size) ** 1.5
    contact = offset[conv_ch] + (skew * n_contacts[conv_ch]).astype(np.int64)
    return contact, np.repeat(np.arange(len(CHANNELS)), n_contacts)
