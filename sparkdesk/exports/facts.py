"""Every shared definition of exports.md, computed once per dump and cached.

None of these depend on the user's filters: a conversation's first response time, its
lock sessions, its current topics are what they are at the snapshot. The exports then
cut them by range and channel. Each definition lives here once, as a ``@fact`` whose
docstring names its exports.md paragraph; the twelve exports only select, filter and
aggregate.

Conventions: ``cx`` is an integer code for a conversation (its row in
``conversations``), used as the grouping key everywhere because integer grouping and
sorting is several times faster than on id strings. Events are in timeline order
(``at``, then reading order) and carry ``pos``, their place in it. A definition reports
its progress in even steps (``tasks.checkpoints``), which also lets Cancel land between
its statements.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from sparkdesk.dump.model import Dump
from sparkdesk.exports.business_hours import business_ms
from sparkdesk.exports.grouping import (
    cumsum_in_group,
    duration_ms,
    first_at_or_after,
    first_in_group,
    group_order,
    is_identity,
    join_ordered,
    labels,
    lookup,
    lookup_columns,
    ms_ints,
    next_in_group,
    pair_codes,
    positions,
    run_starts,
    stable_order,
    take_frame,
    take_rows,
    text_codes,
    whole,
)
from sparkdesk.exports.scope import CORE
from sparkdesk.tasks import Steps, checkpoint, checkpoints, in_steps, own_step

HANDOVER_STARTS = ("VA_HANDED_OVER_CONVERSATION", "AR_HANDED_OVER_CONVERSATION")
CLOSED_BY = ("unlock", "steal", "status", "next_lock", "snapshot")
KLASSES = ("handle", "no_reply", "cherry_picking")
_LOCK = threading.Lock()


def facts_for(dump: Dump) -> Facts:
    """The dump's Facts, created on first use and kept with the dump."""
    with _LOCK:
        facts = getattr(dump, "_facts", None)
        if facts is None:
            facts = Facts(dump)
            dump._facts = facts  # type: ignore[attr-defined]
        return facts


def release_facts(dump: Dump) -> None:
    """Drop the Facts kept with the dump. They refer to the dump, and it to them: without
    this the pair, and every definition computed, wait for the cycle collector (a part's
    sub-dump, done with, would stay in memory while the next part is computed)."""
    with _LOCK:
        vars(dump).pop("_facts", None)


class fact(cached_property):
    """A shared definition: a property computed on first use, under its Facts' lock, then kept.

    The lock because the window's threads share one Facts and ``cached_property`` stopped
    serialising first computations in Python 3.12. Once computed, the value sits in the
    instance's ``__dict__``, where attribute lookup finds it without calling this.
    """

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with instance._lock, own_step():  # a definition needing another: see tasks.own_step
            return super().__get__(instance, owner)


class Facts:
    """Lazily computed, cached derived tables of one dump (thread-safe)."""

    def __init__(self, dump: Dump) -> None:
        self.dump = dump
        self.snapshot = dump.snapshot
        self._lock = threading.RLock()

    # ----- reference lookups -------------------------------------------------------------

    def _ref(self, table: str, key: str) -> pd.DataFrame:
        return self.dump.tables[table].set_index(key)

    @fact
    def users(self) -> pd.DataFrame:
        return self._ref("users", "user_id")

    @fact
    def teams(self) -> pd.DataFrame:
        return self._ref("teams", "team_id")

    @fact
    def virtual_agents(self) -> pd.DataFrame:
        return self._ref("virtual_agents", "virtual_agent_id")

    @fact
    def channels(self) -> pd.DataFrame:
        return self._ref("channels", "channel_id")

    @fact
    def contacts(self) -> pd.DataFrame:
        return self._ref("contacts", "contact_id")

    @fact
    def topics(self) -> pd.DataFrame:
        return self._ref("topics", "topic_id")

    @fact
    def tags(self) -> pd.DataFrame:
        return self._ref("tags", "tag_id")

    # ----- the fact tables, ordered and coded ---------------------------------------------

    @fact
    def conversations(self) -> pd.DataFrame:
        """Conversations (row i has cx = i) with channel and contact columns and the
        conversation URL (exports.md "Conversation URL")."""
        tick = checkpoints(3)
        conv = self.dump.tables["conversations"].reset_index(drop=True)
        channel = lookup_columns(
            conv["channel_id"], self.channels, ["medium", "name", "display_name"], tick.part()
        )
        contact = lookup_columns(
            conv["contact_id"], self.contacts, ["primary_identifier", "secondary_identifier"], tick.part()
        )
        conv = conv.assign(
            medium=channel["medium"],
            channel_name=channel["name"],
            channel_display_name=channel["display_name"],
            contact_primary_identifier=contact["primary_identifier"],
            contact_secondary_identifier=contact["secondary_identifier"],
        )
        url = conv["url"]
        template = self.dump.url_template
        if template:
            built = _fill_template(template, conv["conversation_id"])
            url = url.fillna(built)
        tick()
        return conv.assign(conversation_url=url)

    @fact
    def contact_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(contact code per conversation, contact id per code): integer keys for grouping."""
        encoded = whole(pa.array(self.conversations["contact_id"])).dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        return codes, np.asarray(encoded.dictionary.to_pylist(), dtype=object)

    def cx_of(self, conversation_ids: pd.Series, step: Callable[[float], None] | None = None) -> np.ndarray:
        return positions(conversation_ids, self.conversations["conversation_id"], step)

    MESSAGE_KEYS = (
        "message_id",
        "conversation_id",
        "created_at",
        "direction",
        "user_id",
        "team_id",
        "virtual_agent_id",
        "_seq",
    )

    @fact
    def messages(self) -> pd.DataFrame:
        """Messages in (created_at, reading) order with cx and their kind: the key columns only
        (exports.md "Human reply", "Virtual agent message").

        ``row`` is the message's position in the dump's table; the message export and the
        last-updated rule fetch the other columns through it, so that ten million message
        texts are never copied.
        """
        tick = checkpoints(4)
        raw = self.dump.tables["messages"]
        order = np.lexsort((raw["_seq"].to_numpy(np.int64), ms_ints(raw["created_at"])))
        tick()
        m = raw[list(self.MESSAGE_KEYS)]
        m = m.reset_index(drop=True) if is_identity(order, len(m)) else m.take(order).reset_index(drop=True)
        tick()
        cx = self.cx_of(m["conversation_id"], tick.part())
        m = m.drop(columns=["conversation_id"])  # the code says it, at an eighth of the memory
        outbound = (m["direction"] == "OUTBOUND").to_numpy(bool)
        has_user = m["user_id"].notna().to_numpy(bool)
        has_va = m["virtual_agent_id"].notna().to_numpy(bool)
        return m.assign(
            row=order,
            cx=cx,
            inbound=~outbound,
            outbound=outbound,
            human=outbound & has_user,
            va=outbound & has_va & ~has_user,
        )

    def message_column(
        self, name: str, messages: pd.DataFrame, step: Callable[[float], None] | None = None
    ) -> pd.Series:
        """A column of the dump's messages table for these rows of ``self.messages``."""
        return take_rows(self.dump.tables["messages"][name], messages["row"].to_numpy(), messages.index, step)

    @fact
    def human_replies(self) -> pd.DataFrame:
        """The messages an agent sent (exports.md "Human reply"), taken column by column so
        that Cancel is checked in between."""
        m = self.messages
        return take_frame(m, np.flatnonzero(m["human"].to_numpy(bool)), checkpoint)

    @fact
    def events(self) -> pd.DataFrame:
        """Conversation events in timeline order, with pos and cx."""
        tick = checkpoints(4)
        raw = self.dump.tables["conversation_events"]
        order = np.lexsort((raw["_seq"].to_numpy(np.int64), ms_ints(raw["at"])))
        keep = [c for c in raw.columns if c not in self.EVENT_TEXT]
        tick()
        e = take_frame(raw[keep], order, tick.part())
        cx = self.cx_of(e["conversation_id"], tick.part())
        e = e.drop(columns=["conversation_id"])
        return e.assign(row=order, pos=np.arange(len(e), dtype=np.int64), cx=cx)

    # Event columns left out of the sorted copy (fetched by row where an export needs them).
    EVENT_TEXT = ("event_id", "reason", "comment")

    def event_column(self, name: str, events: pd.DataFrame) -> pd.Series:
        """A column of the dump's events table for these rows of ``self.events``."""
        raw = self.dump.tables["conversation_events"][name]
        return take_rows(raw, events["row"].to_numpy(), events.index)

    @fact
    def resolutions(self) -> pd.DataFrame:
        """Every STATUS_CHANGED to RESOLVED in timeline order, with ``with_reply``: did its
        resolution cycle have a human reply (exports.md "Resolution cycle")."""
        tick = checkpoints(4)
        e = self.events
        res = e[((e["type"] == "STATUS_CHANGED") & (e["status"] == "RESOLVED")).to_numpy(bool)]
        res = res.reset_index(drop=True)
        tick()
        res = res.assign(reason=self.event_column("reason", res), comment=self.event_column("comment", res))
        tick()
        return res.assign(with_reply=self._cycle_has_reply(res, tick))

    def _cycle_has_reply(self, res: pd.DataFrame, tick: Steps) -> np.ndarray:
        """Resolution k closes (previous resolution's at, its at]; was a human reply made in it?

        Replies and resolutions are merged in time order (a reply at the resolution's own
        instant sorts before it, since the cycle includes its end); the number of
        resolutions of the conversation before a reply is the index of its cycle.
        """
        hr = self.human_replies
        cx = np.concatenate([res["cx"].to_numpy(np.int64), hr["cx"].to_numpy(np.int64)])
        t = np.concatenate([ms_ints(res["at"]), ms_ints(hr["created_at"])])
        is_res = np.r_[np.ones(len(res), np.int64), np.zeros(len(hr), np.int64)]
        order = np.r_[res["pos"].to_numpy(np.int64), np.zeros(len(hr), np.int64)]
        o = np.lexsort((order, is_res, t, cx))  # numpy sorts release the GIL; sort_values does not
        tick()
        cx, is_res = cx[o], is_res[o]
        # resolutions of the conversation before each row: a running count restarted per conversation
        running = np.cumsum(is_res)
        starts = np.r_[True, cx[1:] != cx[:-1]] if len(cx) else np.zeros(0, bool)
        before_group = np.maximum.accumulate(np.where(starts, running - is_res, 0))
        k = running - is_res - before_group
        replies = is_res == 0
        res_cx = res["cx"].to_numpy(np.int64)
        res_k = cumsum_in_group(np.ones(len(res), np.int64), res_cx) - 1
        # (conversation, cycle) pairs as one int64 (a MultiIndex factorizes holding the GIL)
        width = np.int64(max(int(k.max(initial=0)), int(res_k.max(initial=0))) + 1)
        return np.isin(res_cx * width + res_k, cx[replies] * width + k[replies])

    # ----- per-conversation facts: the columns of the conversation exports ----------------

    @fact
    def conversation_facts(self) -> pd.DataFrame:
        """One row per conversation (index cx): the per-conversation definitions below, side by
        side, each computed (if not yet) in an even share of this step's progress."""
        parts = in_steps(
            lambda: self.conversation_status,
            lambda: self.first_resolution,
            lambda: self.latest_resolution,
            lambda: self.message_counts,
            lambda: self.first_inbound_at,
            lambda: self.first_response,
            lambda: self.resolution_time,
            lambda: self.lock_time,
            lambda: self.current_topics,
            lambda: self.last_updated,
            lambda: self.conversation_csat,
        )
        return pd.concat(parts, axis=1)

    @fact
    def conversation_status(self) -> pd.DataFrame:
        """The current status (exports.md "Status timeline": NEW until a STATUS_CHANGED) and
        who made the last change to PENDING or RESOLVED (exports.md "Precise rules", "Last
        Status Change Agent / Team"), index cx."""
        tick = checkpoints(2)
        n = len(self.conversations)
        idx = pd.RangeIndex(n)
        e = self.events
        cx = e["cx"].to_numpy(np.int64)
        is_sc = (e["type"] == "STATUS_CHANGED").to_numpy(bool)
        last_sc = _last_row_per_cx(cx, is_sc, n)
        current_status = take_rows(e["status"], last_sc, idx).fillna("NEW").astype("str")
        tick()
        closing = _last_row_per_cx(cx, is_sc & e["status"].isin(["PENDING", "RESOLVED"]).to_numpy(bool), n)
        return pd.DataFrame(
            {
                "current_status": current_status,
                "last_change_user_id": take_rows(e["user_id"], closing, idx),
                "last_change_team_id": take_rows(e["team_id"], closing, idx),
            },
            index=idx,
        )

    @fact
    def first_resolution(self) -> pd.DataFrame:
        """The earliest STATUS_CHANGED to RESOLVED (exports.md "Status timeline"): its time,
        agent and team, index cx."""
        return self._one_resolution(
            "first",
            {
                "first_resolution_at": "at",
                "first_resolution_user_id": "user_id",
                "first_resolution_team_id": "team_id",
            },
        )

    @fact
    def latest_resolution(self) -> pd.DataFrame:
        """The last STATUS_CHANGED to RESOLVED at or before the snapshot (exports.md "Status
        timeline"): its resolved_by, reason, comment, trigger, time and agent, index cx."""
        return self._one_resolution(
            "last",
            {
                "latest_resolution_resolved_by": "resolved_by",
                "latest_resolution_reason": "reason",
                "latest_resolution_comment": "comment",
                "latest_resolution_trigger": "trigger",
                "latest_resolution_at": "at",
                "latest_resolution_user_id": "user_id",
            },
        )

    def _one_resolution(self, keep: str, columns: dict[str, str]) -> pd.DataFrame:
        """One resolution per conversation (``keep``: "first" or "last" in timeline order),
        ``columns`` (name: resolution column) on every cx, empty where none."""
        tick = checkpoints(2)
        one = self.resolutions.drop_duplicates("cx", keep=keep).set_index("cx")
        tick()
        return _reindexed(one, pd.RangeIndex(len(self.conversations)), columns, tick.part())

    @fact
    def message_counts(self) -> pd.DataFrame:
        """Inbound and outbound (every kind) messages of each conversation, deleted ones
        included (exports.md "resolved-conversation" columns 23-24, "Precise rules",
        "Deleted messages"), index cx."""
        tick = checkpoints(2)
        n = len(self.conversations)
        m = self.messages
        cx = m["cx"].to_numpy(np.int64)
        inbound_messages = np.bincount(cx[m["inbound"].to_numpy(bool)], minlength=n).astype(np.int64)
        tick()
        outbound_messages = np.bincount(cx[m["outbound"].to_numpy(bool)], minlength=n).astype(np.int64)
        return pd.DataFrame(
            {"inbound_messages": inbound_messages, "outbound_messages": outbound_messages},
            index=pd.RangeIndex(n),
        )

    @fact
    def first_inbound_at(self) -> pd.Series:
        """When the conversation's first inbound message was created (NaT: none), index cx:
        where resolution time starts, and t0 of first response time without a handover
        (exports.md "Resolution time", "First response time")."""
        m = self.messages
        first = _first_per_cx(m, m["created_at"], m["inbound"].to_numpy(bool), checkpoint)
        return first.reindex(pd.RangeIndex(len(self.conversations))).rename("first_inbound_at")

    @fact
    def first_response(self) -> pd.DataFrame:
        """FRT per conversation (exports.md "First response time"), index cx.

        t0 is the first VA/AR handover strictly before the first human reply, else the
        first inbound message; the first response is the first human reply at or after t0.
        """
        tick = checkpoints(5)
        conv = self.conversations
        hr = self.human_replies
        first_reply = _first_per_cx(hr, hr["created_at"])
        tick()
        e = self.events
        q = e[(e["type"] == "QUEUED").to_numpy(bool)]  # before upper-casing: a few rows, not every event
        q = q[q["started_by"].str.upper().isin(HANDOVER_STARTS).to_numpy(bool)]
        q = q.assign(h1=lookup(q["cx"], first_reply))
        q = q[q["at"] < q["h1"]].drop_duplicates("cx", keep="first").set_index("cx")["at"]
        tick()
        with tick.within():
            first_in = self.first_inbound_at
        idx = pd.RangeIndex(len(conv))
        t0 = q.reindex(idx).fillna(first_in)
        has_t0 = t0.notna().to_numpy(bool)
        j = np.full(len(conv), -1, dtype=np.int64)
        j[has_t0] = first_at_or_after(
            np.flatnonzero(has_t0).astype(np.int64),
            ms_ints(t0[has_t0]),
            hr["cx"].to_numpy(np.int64),
            ms_ints(hr["created_at"]),
            tick.part(),
        )
        found = j >= 0
        cols = hr[["created_at", "user_id", "team_id"]].reset_index(drop=True)
        reply = cols.take(np.maximum(j, 0)) if len(cols) else cols.reindex(np.arange(len(conv)))
        reply = reply.reset_index(drop=True)
        fr = reply.where(pd.Series(found)).rename(columns={"created_at": "reply_at"}).assign(t0=t0)
        tick()
        frt = business_ms(
            conv["channel_id"],
            fr["t0"],
            fr["reply_at"],
            self.dump.tables["business_hours"],
            self.dump.tables["holidays"],
        )
        return pd.DataFrame(
            {
                "frt_t0": fr["t0"],
                "first_response_at": fr["reply_at"],
                "first_responder_user_id": fr["user_id"],
                "first_responder_team_id": fr["team_id"],
                "first_response_time": frt,
            },
            index=idx,
        )

    @fact
    def resolution_time(self) -> pd.Series:
        """From the first inbound message to the first resolution, wall-clock ms; empty when
        either is missing or the resolution comes first (exports.md "Resolution time"), index cx."""
        rt = duration_ms(self.first_resolution["first_resolution_at"], self.first_inbound_at)
        return rt.where(rt >= 0).rename("resolution_time")

    @fact
    def lock_time(self) -> pd.DataFrame:
        """The conversation's handle, no reply and cherry picking time: the sum of its lock
        sessions' durations of each class (exports.md "Handle / No reply / Cherry picking
        time"), index cx."""
        tick = checkpoints(3)
        n = len(self.conversations)
        s = self.lock_sessions
        cx = s["cx"].to_numpy(np.int64)
        duration = s["duration"].to_numpy(np.int64)
        klass = s["klass"]

        def total(name: str) -> np.ndarray:
            mine = (klass == name).to_numpy(bool)
            out = np.bincount(cx[mine], weights=duration[mine], minlength=n).astype(np.int64)
            tick()
            return out

        return pd.DataFrame(
            {
                "handle_time": total("handle"),
                "no_reply_time": total("no_reply"),
                "cherry_picking_time": total("cherry_picking"),
            },
            index=pd.RangeIndex(n),
        )

    @fact
    def last_updated(self) -> pd.Series:
        """Latest of created_at, messages' created/updated/deleted, events' at, surveys' times
        (exports.md "Last updated"), index cx."""
        tick = checkpoints(7)
        n = len(self.conversations)
        m = self.messages
        e = self.events
        s = self.dump.tables["csat_surveys"]
        s_cx = self.cx_of(s["conversation_id"])
        latest = ms_ints(self.conversations["created_at"])
        tick()
        times = (
            (m["cx"], lambda: m["created_at"]),
            (m["cx"], lambda: self.message_column("updated_at", m)),
            (m["cx"], lambda: self.message_column("deleted_at", m)),
            (e["cx"], lambda: e["at"]),
            (s_cx, lambda: s["sent_at"]),
            (s_cx, lambda: s["responded_at"]),
        )
        for cx, col in times:
            # a running maximum per conversation: no concatenation of tens of millions of rows
            np.maximum.at(latest, np.asarray(cx, dtype=np.int64), ms_ints(col()))
            tick()
        latest = pd.Series(latest.astype("datetime64[ms]"), index=pd.RangeIndex(n), name="last_updated")
        return latest.astype("datetime64[ms]").dt.tz_localize("UTC")

    @fact
    def current_topics(self) -> pd.DataFrame:
        """Topic ids and names of each conversation at S, ordered by (last) added time, then id
        (exports.md "Current topics"), index cx."""
        cur = self.current_topic_pairs.sort_values(["cx", "at", "topic_id"], kind="stable")
        joined = join_ordered(
            cur["cx"],
            {
                "topic_ids": cur["topic_id"],
                "topic_names": lookup(cur["topic_id"], self.topics["name"]),
            },
        )
        return joined.reindex(pd.RangeIndex(len(self.conversations)))

    @fact
    def current_topic_pairs(self) -> pd.DataFrame:
        """(cx, topic_id, at of the last TOPIC_ADDED) for the topics a conversation has at S."""
        e = self.events
        t = e[e["type"].isin(["TOPIC_ADDED", "TOPIC_REMOVED"])]
        last = t.drop_duplicates(["cx", "topic_id"], keep="last")
        return last.loc[last["type"] == "TOPIC_ADDED", ["cx", "topic_id", "at"]]

    @fact
    def message_tags(self) -> pd.DataFrame:
        """Message tag rows in time order, with the message's cx."""
        mt = (
            self.dump.tables["message_tags"].sort_values(["at", "_seq"], kind="stable").reset_index(drop=True)
        )
        msg = positions(mt["message_id"], self.messages["message_id"], checkpoint)
        return mt.assign(cx=self.messages["cx"].to_numpy()[msg].astype(np.int64))

    @fact
    def current_tag_pairs(self) -> pd.DataFrame:
        """(message_id, tag_id, at of last ADDED) that hold at S."""
        mt = self.message_tags
        last = mt.drop_duplicates(["message_id", "tag_id"], keep="last")
        return last.loc[last["action"] == "ADDED", ["message_id", "tag_id", "at"]]

    @fact
    def current_tags(self) -> pd.DataFrame:
        """Tag ids and names per message id at S, ordered by (last) added time, then id
        (exports.md "Current topics": "Current tags")."""
        pairs = self.current_tag_pairs
        cur = pairs.iloc[stable_order([pairs["message_id"], pairs["at"], pairs["tag_id"]])]
        return join_ordered(
            cur["message_id"],
            {
                "tag_ids": cur["tag_id"],
                "tag_names": lookup(cur["tag_id"], self.tags["name"]),
            },
        )

    @fact
    def conversation_csat(self) -> pd.DataFrame:
        """The CSAT of each conversation: its latest survey by sent_at (exports.md "CSAT of a
        conversation"), index cx."""
        s = self.dump.tables["csat_surveys"].sort_values(["sent_at", "_seq"], kind="stable")
        s = s.assign(cx=self.cx_of(s["conversation_id"])).drop_duplicates("cx", keep="last").set_index("cx")
        return pd.DataFrame(
            {
                "csat_score": s["score"],
                "csat_status": s["status"],
                "csat_question": s["followup_question"],
                "csat_answer": s["followup_answer"],
            }
        ).reindex(pd.RangeIndex(len(self.conversations)))

    @fact
    def csat_attribution(self) -> pd.DataFrame:
        """Scored surveys with the agent and team of the latest resolution at or before sent_at
        (exports.md "CSAT attribution")."""
        s = self.dump.tables["csat_surveys"]
        s = s[s["score"].notna() & s["responded_at"].notna()]
        s = s.assign(cx=self.cx_of(s["conversation_id"])).sort_values("sent_at", kind="stable")
        res = self.resolutions[["cx", "at", "user_id", "team_id"]]
        a = pd.merge_asof(
            s, res, left_on="sent_at", right_on="at", by="cx", direction="backward", suffixes=("", "_res")
        )
        team = a["team_id"].where(a["user_id"].notna())
        return pd.DataFrame(
            {
                "cx": a["cx"],
                "responded_at": a["responded_at"],
                "score": a["score"],
                "user_id": a["user_id"],
                "team_id": team,
            }
        )

    # ----- lock sessions -------------------------------------------------------------------

    @fact
    def lock_sessions(self) -> pd.DataFrame:
        """Every lock session of the dump, all channels (exports.md "Lock sessions").

        Columns: cx, user_id, team_id, open, close, duration (ms), klass
        (handle / no_reply / cherry_picking), closed_by (unlock / steal / status /
        next_lock / snapshot).
        """
        tick = checkpoints(13)
        e = self.events
        is_lock = (e["type"] == "LOCKED").to_numpy(bool)
        is_unlock = (e["type"] == "UNLOCKED").to_numpy(bool)
        is_release = ((e["type"] == "STATUS_CHANGED") & e["status"].isin(["PENDING", "RESOLVED"])).to_numpy(
            bool
        )
        # grouped scans with numpy on int codes: pandas' groupby holds the GIL factorizing its keys
        pos = e["pos"].to_numpy(np.float64)
        cx = e["cx"].to_numpy(np.int64)
        user = text_codes(e["user_id"])  # -1: no user
        tick()

        # next status change releasing the lock, per conversation, strictly after each event
        by_cx = group_order(cx)  # sorted once for both scans per conversation
        tick()
        nxt_release = next_in_group(np.where(is_release, pos, np.nan), cx, by_cx)
        tick()

        # the agent's own lock/unlock events on one conversation
        mine = np.flatnonzero((is_lock | is_unlock) & (user >= 0))
        mine_key = pair_codes(cx[mine], user[mine])
        by_mine = group_order(mine_key)
        tick()
        nxt_unlock = np.full(len(e), np.nan)
        nxt_unlock[mine] = next_in_group(np.where(is_unlock[mine], pos[mine], np.nan), mine_key, by_mine)
        tick()
        unlocks_so_far = np.full(len(e), np.nan)
        unlocks_so_far[mine] = cumsum_in_group(is_unlock[mine], mine_key, by_mine)
        tick()

        at_lock = np.flatnonzero(is_lock)
        lock_cx, lock_user, lock_pos = cx[at_lock], user[at_lock], pos[at_lock]
        # only what a session keeps: the events' other columns, many of them text, cost a
        # second of takes at 1M (here and again when ignored locks are dropped)
        locks = take_frame(e[["cx", "user_id", "team_id", "at"]], at_lock, tick.part())
        locks["nxt_release"] = nxt_release[at_lock]
        locks["nxt_unlock"] = nxt_unlock[at_lock]
        unlocks = unlocks_so_far[at_lock]
        releases = cumsum_in_group(is_release, cx, by_cx)[at_lock]
        tick()
        locks_before = cumsum_in_group(np.ones(len(at_lock), np.int64), lock_cx) - 1
        tick()

        # a steal: the next lock of the conversation by another agent (next run of agents)
        steal_start = run_starts(lock_user, lock_cx)
        locks["nxt_steal"] = next_in_group(np.where(steal_start, lock_pos, np.nan), lock_cx)
        tick()

        # the agent's next lock on a different conversation, and the lock ignored rule,
        # over the locks in (agent, time) order
        by = np.lexsort((lock_pos, lock_user))
        b_user, b_cx = lock_user[by], lock_cx[by]
        conv_run = run_starts(b_cx, b_user)
        nxt_other = np.empty(len(by))
        nxt_other[by] = next_in_group(np.where(conv_run, lock_pos[by], np.nan), b_user)
        tick()
        same_agent = np.zeros(len(by), dtype=bool)
        same_agent[1:] = (b_user[1:] == b_user[:-1]) & (b_user[1:] >= 0)
        ignored_b = (
            same_agent
            & (b_cx == _previous(b_cx))
            & (releases[by] == _previous(releases[by]))
            & (locks_before[by] == _previous(locks_before[by]) + 1)
            & (unlocks[by] == _previous(unlocks[by]))
        )
        ignored = np.empty(len(by), dtype=bool)
        ignored[by] = ignored_b
        locks["nxt_other"] = nxt_other
        locks["ignored"] = ignored
        sess = locks[~locks["ignored"]]

        cand = sess[["nxt_unlock", "nxt_steal", "nxt_release", "nxt_other"]].to_numpy(dtype="float64")
        cand = np.where(np.isnan(cand), np.inf, cand)
        which = cand.argmin(axis=1)
        close_pos = cand.min(axis=1)
        open_ended = ~np.isfinite(close_pos)
        close_idx = np.where(open_ended, 0, close_pos).astype(np.int64)
        close_at = e["at"].take(close_idx).reset_index(drop=True).mask(open_ended, self.snapshot)
        # codes and Arrow takes/compares, never a Python string per session (GIL)
        closed_code = np.where(open_ended, 4, which)  # index into CLOSED_BY
        closer = e[["status", "user_id"]].take(close_idx).reset_index(drop=True)
        resolved_by_me = (
            (closed_code == 2)
            & (closer["status"] == "RESOLVED").fillna(False).to_numpy(bool)
            & (closer["user_id"] == sess["user_id"].reset_index(drop=True)).fillna(False).to_numpy(bool)
        )
        out = pd.DataFrame(
            {
                "cx": sess["cx"].to_numpy(),
                "conversation_id": self.conversations["conversation_id"]
                .take(sess["cx"].to_numpy())
                .reset_index(drop=True),
                "user_id": sess["user_id"].reset_index(drop=True),
                "team_id": sess["team_id"].reset_index(drop=True),
                "open": sess["at"].reset_index(drop=True),
                "close": close_at,
                "closed_by": labels(CLOSED_BY, closed_code),
                "resolved_by_me": resolved_by_me,
            }
        )
        out["duration"] = duration_ms(out["close"], out["open"]).astype(np.int64)
        tick()
        out["klass"] = self._classify(out, tick.part())
        return out

    @fact
    def lock_warnings(self) -> dict[str, int]:
        """The lock sessions' warnings (exports.md "Lock sessions"; the events are kept):
        ``unpaired_unlocked``, UNLOCKED events that closed no session (ignored), and
        ``open_at_snapshot``, sessions still open at the snapshot (closed there)."""
        core = self.core_conversations()  # of a part: its own conversations' locks only
        sessions, e = self.lock_sessions, self.events
        closed_by = sessions["closed_by"][core[sessions["cx"].to_numpy(np.int64)]]
        unlocked = int(((e["type"] == "UNLOCKED").to_numpy(bool) & core[e["cx"].to_numpy(np.int64)]).sum())
        return {
            "unpaired_unlocked": unlocked - int((closed_by == "unlock").sum()),
            "open_at_snapshot": int((closed_by == "snapshot").sum()),
        }

    def core_conversations(self) -> np.ndarray:
        """Per conversation code: does it count? Every conversation of a dump; of a sub-dump
        (``plan.narrow_dump``), its core ones, not the lock context."""
        conv = self.conversations
        if CORE in conv:
            return conv[CORE].to_numpy(bool)
        return np.ones(len(conv), bool)

    def _classify(self, sess: pd.DataFrame, step: Callable[[float], None]) -> pd.Series:
        """handle if the agent replied in the conversation within [open, close]; else no reply
        if the agent's own resolution closed it; else cherry picking.

        The agent is matched on an integer code: ``merge_asof`` by a text key holds the
        GIL long enough for the window to stutter.
        """
        hr = self.human_replies
        handle = np.zeros(len(sess), dtype=bool)
        if len(sess) and len(hr):
            agents = text_codes(pd.concat([hr["user_id"], sess["user_id"]], ignore_index=True))
            width = np.int64(agents.max() + 2)
            group_r = hr["cx"].to_numpy(np.int64) * width + agents[: len(hr)]
            group_l = sess["cx"].to_numpy(np.int64) * width + agents[len(hr) :]
            reply_t = ms_ints(hr["created_at"])
            j = first_at_or_after(group_l, ms_ints(sess["open"]), group_r, reply_t, step)
            handle = (j >= 0) & (reply_t[np.maximum(j, 0)] <= ms_ints(sess["close"]))
        code = np.where(handle, 0, np.where(sess["resolved_by_me"].to_numpy(bool), 1, 2))
        return labels(KLASSES, code).set_axis(sess.index)

    # ----- presence --------------------------------------------------------------------------

    @fact
    def presence_intervals(self) -> pd.DataFrame:
        """AVAILABLE and AWAY intervals: from an event to the same agent's next one, the last open to S.

        Columns: user_id, presence, away_status, start, end (NaT while open), end_eff.
        Zero-length intervals are left out.
        """
        p = self.dump.tables["presence_events"].sort_values(["user_id", "at", "_seq"], kind="stable")
        nxt = p.groupby("user_id", sort=False)["at"].shift(-1)
        out = pd.DataFrame(
            {
                "user_id": p["user_id"],
                "presence": p["presence"],
                "away_status": p["away_status"].where(p["presence"] == "AWAY"),
                "start": p["at"],
                "end": nxt,
            }
        ).reset_index(drop=True)
        out["end_eff"] = out["end"].fillna(self.snapshot)
        keep = out["presence"].isin(["AVAILABLE", "AWAY"]) & (out["end_eff"] > out["start"])
        return out[keep.to_numpy(bool)].reset_index(drop=True)


def _reindexed(
    frame: pd.DataFrame, index: pd.Index, columns: dict[str, str], step: Callable[[float], None]
) -> pd.DataFrame:
    """``{key: frame[source] on index}`` for each ``key: source`` of ``columns``, a column at a time."""
    out = {}
    for i, (key, source) in enumerate(columns.items(), 1):
        out[key] = frame[source].reindex(index)
        step(i / len(columns))
    return pd.DataFrame(out, index=index)


def _last_row_per_cx(cx: np.ndarray, where: np.ndarray, n: int) -> np.ndarray:
    """Per conversation 0..n-1, the last row (in row order) among ``where``; -1 where none.

    The same as filtering the frame and ``drop_duplicates("cx", keep="last")``, without
    copying every column of millions of events or hashing their codes holding the GIL.
    """
    picked = np.flatnonzero(where)[::-1]
    groups, first = first_in_group(cx[picked])
    out = np.full(n, -1, dtype=np.int64)
    out[groups] = picked[first]
    return out


def _previous(values: np.ndarray) -> np.ndarray:
    """The previous row's value (NaN for the first row), as floats so NaN can stand in."""
    out = np.full(len(values), np.nan)
    out[1:] = values[:-1]
    return out


def _first_per_cx(
    rows: pd.DataFrame,
    values: pd.Series,
    where: np.ndarray | None = None,
    step: Callable[[float], None] | None = None,
) -> pd.Series:
    """``values`` of the first row (in row order) of each conversation, among ``where``; index cx.

    The same as filtering the frame and ``drop_duplicates("cx")``, without copying every
    column of ten million rows to keep one.
    """
    tick = checkpoints(3, step or (lambda done: checkpoint()))  # without a step: Cancel only
    picked = np.arange(len(rows)) if where is None else np.flatnonzero(where)
    keys = rows["cx"].to_numpy(np.int64)[picked]
    tick()
    cx, first = first_in_group(keys)
    tick()
    out = values.iloc[picked[first]].set_axis(pd.Index(cx, name="cx"))
    tick()
    return out


def _fill_template(template: str, ids: pd.Series) -> pd.Series:
    """The manifest's URL template with {conversation_id} filled in, vectorised."""
    head, sep, tail = template.partition("{conversation_id}")
    if not sep:
        return pd.Series(template, index=ids.index, dtype="str")
    rest = tail.replace("{conversation_id}", "\x00")
    if "\x00" not in rest:
        return head + ids + tail
    pieces = rest.split("\x00")
    out = head + ids
    for piece in pieces[:-1]:
        out = out + piece + ids
    return out + pieces[-1]
