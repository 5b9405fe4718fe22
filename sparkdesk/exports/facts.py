"""Every shared definition of exports.md, computed once per dump and cached.

None of these depend on the user's filters: a conversation's first response time, its
lock sessions, its current topics are what they are at the snapshot. The exports then
cut them by range and channel. Each definition lives here once; the twelve exports only
select, filter and aggregate.

Conventions: ``cx`` is an integer code for a conversation (its row in
``conversations``), used as the grouping key everywhere because integer grouping and
sorting is several times faster than on id strings. Events are in timeline order
(``at``, then reading order) and carry ``pos``, their place in it.
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
    join_ordered,
    labels,
    lookup,
    lookup_columns,
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
from sparkdesk.tasks import checkpoint

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


class Facts:
    """Lazily computed, cached derived tables of one dump (thread-safe)."""

    def __init__(self, dump: Dump) -> None:
        self.dump = dump
        self.snapshot = dump.snapshot
        self._lock = threading.RLock()

    def __getattribute__(self, name: str):
        # cached_property is not thread-safe by itself since 3.12; serialise first computations.
        if name in _CACHED:
            with object.__getattribute__(self, "_lock"):
                return object.__getattribute__(self, name)
        return object.__getattribute__(self, name)

    # ----- reference lookups -------------------------------------------------------------

    def _ref(self, table: str, key: str) -> pd.DataFrame:
        return self.dump.tables[table].set_index(key)

    @cached_property
    def users(self) -> pd.DataFrame:
        return self._ref("users", "user_id")

    @cached_property
    def teams(self) -> pd.DataFrame:
        return self._ref("teams", "team_id")

    @cached_property
    def virtual_agents(self) -> pd.DataFrame:
        return self._ref("virtual_agents", "virtual_agent_id")

    @cached_property
    def channels(self) -> pd.DataFrame:
        return self._ref("channels", "channel_id")

    @cached_property
    def contacts(self) -> pd.DataFrame:
        return self._ref("contacts", "contact_id")

    @cached_property
    def topics(self) -> pd.DataFrame:
        return self._ref("topics", "topic_id")

    @cached_property
    def tags(self) -> pd.DataFrame:
        return self._ref("tags", "tag_id")

    # ----- the fact tables, ordered and coded ---------------------------------------------

    @cached_property
    def conversations(self) -> pd.DataFrame:
        """Conversations (row i has cx = i) with channel and contact columns and the URL."""
        conv = self.dump.tables["conversations"].reset_index(drop=True)
        channel = lookup_columns(
            conv["channel_id"],
            self.channels,
            ["medium", "name", "display_name"],
            lambda done: checkpoint(0.4 * done),
        )
        contact = lookup_columns(
            conv["contact_id"],
            self.contacts,
            ["primary_identifier", "secondary_identifier"],
            lambda done: checkpoint(0.4 + 0.4 * done),
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
        return conv.assign(conversation_url=url)

    @cached_property
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

    @cached_property
    def messages(self) -> pd.DataFrame:
        """Messages in (created_at, reading) order with cx and their kind: the key columns only.

        ``row`` is the message's position in the dump's table; the message export and the
        last-updated rule fetch the other columns through it, so that ten million message
        texts are never copied.
        """
        raw = self.dump.tables["messages"]
        order = np.lexsort((raw["_seq"].to_numpy(np.int64), _ms_ints(raw["created_at"])))
        checkpoint(0.3)
        m = raw[list(self.MESSAGE_KEYS)].take(order).reset_index(drop=True)
        checkpoint(0.6)
        cx = self.cx_of(m["conversation_id"], lambda done: checkpoint(0.6 + 0.35 * done))
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

    @cached_property
    def human_replies(self) -> pd.DataFrame:
        """The messages an agent sent, column by column (one filter of the ten-million-row
        frame ran 1.2 s without progress or Cancel)."""
        m = self.messages
        return take_frame(m, np.flatnonzero(m["human"].to_numpy(bool)), checkpoint)

    @cached_property
    def events(self) -> pd.DataFrame:
        """Conversation events in timeline order, with pos and cx."""
        raw = self.dump.tables["conversation_events"]
        order = np.lexsort((raw["_seq"].to_numpy(np.int64), _ms_ints(raw["at"])))
        keep = [c for c in raw.columns if c not in self.EVENT_TEXT]
        checkpoint(0.3)
        e = take_frame(raw[keep], order, lambda done: checkpoint(0.3 + 0.3 * done))
        cx = self.cx_of(e["conversation_id"], lambda done: checkpoint(0.6 + 0.35 * done))
        e = e.drop(columns=["conversation_id"])
        return e.assign(row=order, pos=np.arange(len(e), dtype=np.int64), cx=cx)

    # Event columns left out of the sorted copy (fetched by row where an export needs them).
    EVENT_TEXT = ("event_id", "reason", "comment")

    def event_column(self, name: str, events: pd.DataFrame) -> pd.Series:
        """A column of the dump's events table for these rows of ``self.events``."""
        raw = self.dump.tables["conversation_events"][name]
        return take_rows(raw, events["row"].to_numpy(), events.index)

    @cached_property
    def resolutions(self) -> pd.DataFrame:
        """Every STATUS_CHANGED to RESOLVED, in timeline order, with its cycle's with_reply flag."""
        e = self.events
        res = e[((e["type"] == "STATUS_CHANGED") & (e["status"] == "RESOLVED")).to_numpy(bool)]
        res = res.reset_index(drop=True)
        checkpoint(0.3)
        res = res.assign(reason=self.event_column("reason", res), comment=self.event_column("comment", res))
        checkpoint(0.5)
        return res.assign(with_reply=self._cycle_has_reply(res))

    def _cycle_has_reply(self, res: pd.DataFrame) -> np.ndarray:
        """Resolution k closes (previous resolution's at, its at]; was a human reply made in it?

        Replies and resolutions are merged in time order (a reply at the resolution's own
        instant sorts before it, since the cycle includes its end); the number of
        resolutions of the conversation before a reply is the index of its cycle.
        """
        hr = self.human_replies
        cx = np.concatenate([res["cx"].to_numpy(np.int64), hr["cx"].to_numpy(np.int64)])
        t = np.concatenate([_ms_ints(res["at"]), _ms_ints(hr["created_at"])])
        is_res = np.r_[np.ones(len(res), np.int64), np.zeros(len(hr), np.int64)]
        order = np.r_[res["pos"].to_numpy(np.int64), np.zeros(len(hr), np.int64)]
        o = np.lexsort((order, is_res, t, cx))  # numpy sorts release the GIL; sort_values does not
        checkpoint(0.8)
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

    # ----- per-conversation facts ---------------------------------------------------------

    @cached_property
    def conversation_facts(self) -> pd.DataFrame:
        """One row per conversation (index cx): status, resolutions, counts, FRT, times, topics, CSAT."""
        conv = self.conversations
        n = len(conv)
        out = pd.DataFrame(index=pd.RangeIndex(n))
        e = self.events
        cx = e["cx"].to_numpy(np.int64)
        is_sc = (e["type"] == "STATUS_CHANGED").to_numpy(bool)
        last_sc = _last_row_per_cx(cx, is_sc, n)
        out["current_status"] = take_rows(e["status"], last_sc, out.index).fillna("NEW").astype("str")
        checkpoint(0.05)
        closing = _last_row_per_cx(cx, is_sc & e["status"].isin(["PENDING", "RESOLVED"]).to_numpy(bool), n)
        out["last_change_user_id"] = take_rows(e["user_id"], closing, out.index)
        out["last_change_team_id"] = take_rows(e["team_id"], closing, out.index)
        checkpoint(0.1)
        res = self.resolutions
        first = res.drop_duplicates("cx", keep="first").set_index("cx")
        checkpoint(0.12)
        latest = res.drop_duplicates("cx", keep="last").set_index("cx")
        checkpoint(0.14)
        for col, src in (("at", "at"), ("user_id", "user_id"), ("team_id", "team_id")):
            out["first_resolution_" + col] = first[src].reindex(out.index)
        checkpoint(0.16)
        for i, col in enumerate(("resolved_by", "reason", "comment", "trigger", "at", "user_id")):
            out["latest_resolution_" + col] = latest[col].reindex(out.index)
            checkpoint(0.16 + 0.01 * i)
        checkpoint(0.2)
        m = self.messages
        out["inbound_messages"] = np.bincount(m["cx"][m["inbound"]], minlength=n).astype(np.int64)
        checkpoint(0.22)
        out["outbound_messages"] = np.bincount(m["cx"][m["outbound"]], minlength=n).astype(np.int64)
        checkpoint(0.24)
        inbound = m.loc[m["inbound"], ["cx", "created_at"]]  # two columns, not all of them
        checkpoint(0.27)
        first_in = inbound.drop_duplicates("cx", keep="first").set_index("cx")["created_at"]
        out["first_inbound_at"] = first_in.reindex(out.index)
        checkpoint(0.3)
        out = out.join(self.first_response)
        checkpoint(0.6)
        rt = duration_ms(out["first_resolution_at"], out["first_inbound_at"])
        out["resolution_time"] = rt.where(rt >= 0)
        checkpoint(0.65)
        sess = self.lock_sessions
        for klass in ("handle", "no_reply", "cherry_picking"):
            s = sess[sess["klass"] == klass]
            out[klass + "_time"] = np.bincount(s["cx"], weights=s["duration"], minlength=n).astype(np.int64)
        checkpoint(0.7)
        out = out.join(self.current_topics)
        checkpoint(0.75)
        out["last_updated"] = self._last_updated(lambda done: checkpoint(0.75 + 0.15 * done))
        out = out.join(self.conversation_csat)
        return out

    @cached_property
    def first_response(self) -> pd.DataFrame:
        """FRT per conversation (exports.md "First response time"), index cx.

        t0 is the first VA/AR handover strictly before the first human reply, else the
        first inbound message; the first response is the first human reply at or after t0.
        """
        conv = self.conversations
        hr = self.human_replies
        first_reply = _first_per_cx(hr, hr["created_at"])
        checkpoint(0.1)
        e = self.events
        q = e[(e["type"] == "QUEUED").to_numpy(bool)]  # before upper-casing: a few rows, not every event
        q = q[q["started_by"].str.upper().isin(HANDOVER_STARTS).to_numpy(bool)]
        q = q.assign(h1=lookup(q["cx"], first_reply))
        q = q[q["at"] < q["h1"]].drop_duplicates("cx", keep="first").set_index("cx")["at"]
        checkpoint(0.2)
        m = self.messages
        first_in = _first_per_cx(
            m, m["created_at"], m["inbound"].to_numpy(bool), lambda done: checkpoint(0.2 + 0.1 * done)
        )
        idx = pd.RangeIndex(len(conv))
        t0 = q.reindex(idx).fillna(first_in.reindex(idx))
        has_t0 = t0.notna().to_numpy(bool)
        j = np.full(len(conv), -1, dtype=np.int64)
        j[has_t0] = first_at_or_after(
            np.flatnonzero(has_t0).astype(np.int64),
            _ms_ints(t0[has_t0]),
            hr["cx"].to_numpy(np.int64),
            _ms_ints(hr["created_at"]),
            lambda done: checkpoint(0.3 + 0.2 * done),
        )
        found = j >= 0
        cols = hr[["created_at", "user_id", "team_id"]].reset_index(drop=True)
        reply = cols.take(np.maximum(j, 0)) if len(cols) else cols.reindex(np.arange(len(conv)))
        reply = reply.reset_index(drop=True)
        fr = reply.where(pd.Series(found)).rename(columns={"created_at": "reply_at"}).assign(t0=t0)
        checkpoint(0.5)
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

    def _last_updated(self, step: Callable[[float], None]) -> pd.Series:
        """Latest of created_at, messages' created/updated/deleted, events' at, surveys' times."""
        n = len(self.conversations)
        m = self.messages
        e = self.events
        s = self.dump.tables["csat_surveys"]
        s_cx = self.cx_of(s["conversation_id"])
        latest = _ms_ints(self.conversations["created_at"])
        step(0.1)
        times = (
            (m["cx"], lambda: m["created_at"]),
            (m["cx"], lambda: self.message_column("updated_at", m)),
            (m["cx"], lambda: self.message_column("deleted_at", m)),
            (e["cx"], lambda: e["at"]),
            (s_cx, lambda: s["sent_at"]),
            (s_cx, lambda: s["responded_at"]),
        )
        for i, (cx, col) in enumerate(times, 1):
            # a running maximum per conversation: no concatenation of tens of millions of rows
            np.maximum.at(latest, np.asarray(cx, dtype=np.int64), _ms_ints(col()))
            step(0.1 + 0.9 * i / len(times))
        latest = pd.Series(latest.astype("datetime64[ms]"), index=pd.RangeIndex(n))
        return latest.astype("datetime64[ms]").dt.tz_localize("UTC")

    @cached_property
    def current_topics(self) -> pd.DataFrame:
        """Topic ids and names of each conversation at S, ordered by (last) added time, then id."""
        cur = self.current_topic_pairs.sort_values(["cx", "at", "topic_id"], kind="stable")
        joined = join_ordered(
            cur["cx"],
            {
                "topic_ids": cur["topic_id"],
                "topic_names": lookup(cur["topic_id"], self.topics["name"]),
            },
        )
        return joined.reindex(pd.RangeIndex(len(self.conversations)))

    @cached_property
    def current_topic_pairs(self) -> pd.DataFrame:
        """(cx, topic_id, at of the last TOPIC_ADDED) for the topics a conversation has at S."""
        e = self.events
        t = e[e["type"].isin(["TOPIC_ADDED", "TOPIC_REMOVED"])]
        last = t.drop_duplicates(["cx", "topic_id"], keep="last")
        return last.loc[last["type"] == "TOPIC_ADDED", ["cx", "topic_id", "at"]]

    @cached_property
    def message_tags(self) -> pd.DataFrame:
        """Message tag rows in time order, with the message's cx."""
        mt = (
            self.dump.tables["message_tags"].sort_values(["at", "_seq"], kind="stable").reset_index(drop=True)
        )
        msg = positions(mt["message_id"], self.messages["message_id"], checkpoint)
        return mt.assign(cx=self.messages["cx"].to_numpy()[msg].astype(np.int64))

    @cached_property
    def current_tag_pairs(self) -> pd.DataFrame:
        """(message_id, tag_id, at of last ADDED) that hold at S."""
        mt = self.message_tags
        last = mt.drop_duplicates(["message_id", "tag_id"], keep="last")
        return last.loc[last["action"] == "ADDED", ["message_id", "tag_id", "at"]]

    @cached_property
    def current_tags(self) -> pd.DataFrame:
        """Tag ids and names per message id at S, ordered by (last) added time, then id."""
        pairs = self.current_tag_pairs
        cur = pairs.iloc[stable_order([pairs["message_id"], pairs["at"], pairs["tag_id"]])]
        return join_ordered(
            cur["message_id"],
            {
                "tag_ids": cur["tag_id"],
                "tag_names": lookup(cur["tag_id"], self.tags["name"]),
            },
        )

    @cached_property
    def conversation_csat(self) -> pd.DataFrame:
        """The CSAT of each conversation: its latest survey by sent_at."""
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

    @cached_property
    def csat_attribution(self) -> pd.DataFrame:
        """Scored surveys with the agent and team of the latest resolution at or before sent_at."""
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

    @cached_property
    def lock_sessions(self) -> pd.DataFrame:
        """Every lock session of the dump, all channels (exports.md "Lock sessions").

        Columns: cx, user_id, team_id, open, close, duration (ms), klass
        (handle / no_reply / cherry_picking), closed_by (unlock / steal / status /
        next_lock / snapshot).
        """
        e = self.events
        is_lock = (e["type"] == "LOCKED").to_numpy(bool)
        is_unlock = (e["type"] == "UNLOCKED").to_numpy(bool)
        is_release = ((e["type"] == "STATUS_CHANGED") & e["status"].isin(["PENDING", "RESOLVED"])).to_numpy(
            bool
        )
        # Grouped scans on int codes with numpy (conversation, agent): pandas' groupby
        # factorizes its keys holding the GIL, which made the window stall 50 ms here.
        pos = e["pos"].to_numpy(np.float64)
        cx = e["cx"].to_numpy(np.int64)
        user = text_codes(e["user_id"])  # -1: no user
        checkpoint(0.1)

        # next status change releasing the lock, per conversation, strictly after each event
        by_cx = group_order(cx)  # sorted once for both scans per conversation
        checkpoint(0.15)
        nxt_release = next_in_group(np.where(is_release, pos, np.nan), cx, by_cx)
        checkpoint(0.2)

        # the agent's own lock/unlock events on one conversation
        mine = np.flatnonzero((is_lock | is_unlock) & (user >= 0))
        mine_key = pair_codes(cx[mine], user[mine])
        by_mine = group_order(mine_key)
        checkpoint(0.25)
        nxt_unlock = np.full(len(e), np.nan)
        nxt_unlock[mine] = next_in_group(np.where(is_unlock[mine], pos[mine], np.nan), mine_key, by_mine)
        checkpoint(0.3)
        unlocks_so_far = np.full(len(e), np.nan)
        unlocks_so_far[mine] = cumsum_in_group(is_unlock[mine], mine_key, by_mine)
        checkpoint(0.4)

        at_lock = np.flatnonzero(is_lock)
        lock_cx, lock_user, lock_pos = cx[at_lock], user[at_lock], pos[at_lock]
        locks = take_frame(e, at_lock, lambda done: checkpoint(0.4 + 0.05 * done))
        locks["nxt_release"] = nxt_release[at_lock]
        locks["nxt_unlock"] = nxt_unlock[at_lock]
        unlocks = unlocks_so_far[at_lock]
        releases = cumsum_in_group(is_release, cx, by_cx)[at_lock]
        checkpoint(0.47)
        locks_before = cumsum_in_group(np.ones(len(at_lock), np.int64), lock_cx) - 1
        checkpoint(0.5)

        # a steal: the next lock of the conversation by another agent (next run of agents)
        steal_start = run_starts(lock_user, lock_cx)
        locks["nxt_steal"] = next_in_group(np.where(steal_start, lock_pos, np.nan), lock_cx)
        checkpoint(0.6)

        # the agent's next lock on a different conversation, and the lock ignored rule,
        # over the locks in (agent, time) order
        by = np.lexsort((lock_pos, lock_user))
        b_user, b_cx = lock_user[by], lock_cx[by]
        conv_run = run_starts(b_cx, b_user)
        nxt_other = np.empty(len(by))
        nxt_other[by] = next_in_group(np.where(conv_run, lock_pos[by], np.nan), b_user)
        checkpoint(0.8)
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
        checkpoint(0.9)
        out["klass"] = self._classify(out)
        self.lock_warnings = {
            "unpaired_unlocked": int(is_unlock.sum() - (closed_code == 0).sum()),
            "open_at_snapshot": int(open_ended.sum()),
        }
        return out

    def _classify(self, sess: pd.DataFrame) -> pd.Series:
        """handle if the agent replied in the conversation within [open, close]; else no reply
        if the agent's own resolution closed it; else cherry picking.

        The agent is matched on an integer code: ``merge_asof`` by a text key holds the
        GIL for a quarter of a second at full size (the window would stutter).
        """
        hr = self.human_replies
        handle = np.zeros(len(sess), dtype=bool)
        if len(sess) and len(hr):
            agents = text_codes(pd.concat([hr["user_id"], sess["user_id"]], ignore_index=True))
            width = np.int64(agents.max() + 2)
            group_r = hr["cx"].to_numpy(np.int64) * width + agents[: len(hr)]
            group_l = sess["cx"].to_numpy(np.int64) * width + agents[len(hr) :]
            reply_t = _ms_ints(hr["created_at"])
            j = first_at_or_after(
                group_l, _ms_ints(sess["open"]), group_r, reply_t, lambda done: checkpoint(0.9 + 0.1 * done)
            )
            handle = (j >= 0) & (reply_t[np.maximum(j, 0)] <= _ms_ints(sess["close"]))
        code = np.where(handle, 0, np.where(sess["resolved_by_me"].to_numpy(bool), 1, 2))
        return labels(KLASSES, code).set_axis(sess.index)

    # ----- presence --------------------------------------------------------------------------

    @cached_property
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


def _ms_ints(times: pd.Series) -> np.ndarray:
    """int64 milliseconds of a timestamp column (missing sorts first)."""
    values = times.astype("datetime64[ms, UTC]")
    ints = values.to_numpy(dtype="datetime64[ms]").astype(np.int64)
    return np.where(values.isna().to_numpy(bool), np.iinfo(np.int64).min, ints)


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
    column of ten million rows to keep one (1.2 s for first inbound messages at full size).
    """
    step = step or (lambda done: checkpoint())
    picked = np.arange(len(rows)) if where is None else np.flatnonzero(where)
    keys = rows["cx"].to_numpy(np.int64)[picked]
    step(0.3)
    cx, first = first_in_group(keys)
    step(0.9)
    out = values.iloc[picked[first]].set_axis(pd.Index(cx, name="cx"))
    step(1.0)
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


_CACHED = {name for name, value in vars(Facts).items() if isinstance(value, cached_property)}
