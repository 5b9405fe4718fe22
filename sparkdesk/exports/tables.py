"""The twelve exports: each selects rows from the shared Facts, cuts by scope, aggregates.

The definitions that hold whatever the filters (first response time, lock sessions,
resolution cycles, CSAT attribution, the per-conversation columns) come from
``facts.Facts``. What depends on the range lives here, with the export that shows it: the
figures per agent and team over the range (``_Activity.per``: replies, contacts helped,
resolves with and without reply, handle time and its average, ...) and the user export's
presence times and utilization. Each function returns a frame keyed by the catalogue's
column keys; ``registry.compute`` types and orders it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sparkdesk.exports.facts import Facts
from sparkdesk.exports.grouping import (
    count_by,
    duration_ms,
    lookup,
    lookup_columns,
    nunique_by,
    part_of,
    positions,
    take_rows,
    text_fillna,
    text_where,
)
from sparkdesk.exports.scope import Scope
from sparkdesk.exports.shape import round_div, sort_rows, sum_count_ms
from sparkdesk.tasks import checkpoint

# ----- helpers ---------------------------------------------------------------------------


def _selected_cx(f: Facts, scope: Scope) -> np.ndarray:
    """Boolean per conversation code: is its channel selected, and is it a core
    conversation of a sub-dump (``plan.sub_dump``: context conversations never count)?"""
    conv = f.conversations
    return scope.channel_ok(conv["channel_id"]).to_numpy(bool) & f.core_conversations()


def _in_scope(f: Facts, scope: Scope, cx: pd.Series, times: pd.Series) -> np.ndarray:
    """Rows of a fact table whose conversation is selected and whose time is in R."""
    sel = _selected_cx(f, scope)
    return sel[cx.to_numpy(np.int64)] & scope.in_range(times).to_numpy(bool)


def _channel_columns(f: Facts, channel_ids: pd.Series) -> dict[str, pd.Series]:
    ch = f.channels
    return {
        "medium": lookup(channel_ids, ch["medium"]),
        "channel_name": lookup(channel_ids, ch["name"]),
        "channel_display_name": lookup(channel_ids, ch["display_name"]),
    }


_PER_ROW_CONVERSATION = (
    "conversation_id",
    "medium",
    "channel_name",
    "channel_display_name",
    "contact_id",
    "contact_primary_identifier",
    "contact_secondary_identifier",
    "conversation_url",
)


def _conversation_columns(f: Facts, cx: pd.Series) -> pd.DataFrame:
    """The conversation columns a per-message or per-entry row shows, one row per ``cx``.

    Column by column (a loop over eight columns), so that ten million rows each report
    progress and notice Cancel in between.
    """
    rows = cx.to_numpy()
    columns = {}
    n = len(_PER_ROW_CONVERSATION)
    for i, name in enumerate(_PER_ROW_CONVERSATION):
        columns[name] = take_rows(
            f.conversations[name], rows, cx.index, lambda done, i=i: checkpoint(0.25 * (i + done) / n)
        )
    return pd.DataFrame(columns, index=cx.index)


def _user_columns(f: Facts, user_ids: pd.Series, prefix: str) -> dict[str, pd.Series]:
    return {
        prefix + "name": lookup(user_ids, f.users["name"]),
        prefix + "reference": lookup(user_ids, f.users["reference"]),
    }


def _score_counts(keys: pd.Series, scores: pd.Series) -> pd.DataFrame:
    frame = pd.DataFrame({"k": keys.to_numpy(), "s": scores.to_numpy()}).dropna()
    table = pd.crosstab(frame["k"], frame["s"]) if len(frame) else pd.DataFrame()
    return pd.DataFrame({f"csat_{n}": table[n] if n in table else 0 for n in range(1, 6)}, index=table.index)


# ----- conversations -----------------------------------------------------------------------


def _conversation_rows(f: Facts, mask: np.ndarray) -> pd.DataFrame:
    """The shared columns of the resolved and open conversation exports."""
    conv = f.conversations[mask]
    cf = f.conversation_facts[mask]
    out = conv[[*_PER_ROW_CONVERSATION, "created_at", "language"]].copy()  # conform() orders them
    checkpoint(0.2)
    out["last_change_user_id"] = cf["last_change_user_id"]
    out = out.assign(**_user_columns(f, cf["last_change_user_id"], "last_change_user_"))
    out["last_change_team_id"] = cf["last_change_team_id"]
    out["last_change_team_name"] = lookup(cf["last_change_team_id"], f.teams["name"])
    checkpoint(0.35)
    out["current_status"] = cf["current_status"]
    out["resolved_by"] = cf["latest_resolution_resolved_by"]
    out["resolve_reason"] = cf["latest_resolution_reason"]
    out["resolve_comment"] = cf["latest_resolution_comment"]
    out["triggered_by"] = cf["latest_resolution_trigger"]
    out["resolved_at"] = cf["latest_resolution_at"]
    out["resolved_user_id"] = cf["latest_resolution_user_id"]
    out = out.assign(**_user_columns(f, cf["latest_resolution_user_id"], "resolved_user_"))
    checkpoint(0.5)
    for key in (
        "inbound_messages",
        "outbound_messages",
        "first_response_time",
        "handle_time",
        "no_reply_time",
        "cherry_picking_time",
        "resolution_time",
        "topic_ids",
        "topic_names",
        "last_updated",
        "csat_score",
        "csat_status",
        "csat_question",
        "csat_answer",
        "first_resolution_at",
    ):
        out[key] = cf[key]
    checkpoint(0.6)
    return out


def resolved_conversation(f: Facts, scope: Scope, export) -> pd.DataFrame:
    cf = f.conversation_facts
    mask = _selected_cx(f, scope) & scope.in_range(cf["first_resolution_at"]).to_numpy(bool)
    rows = _conversation_rows(f, mask)
    return _sort(rows, export)


def open_conversation(f: Facts, scope: Scope, export) -> pd.DataFrame:
    cf = f.conversation_facts
    mask = _selected_cx(f, scope) & cf["current_status"].isin(["NEW", "PENDING"]).to_numpy(bool)
    mask &= scope.in_range(f.conversations["created_at"]).to_numpy(bool)
    rows = _conversation_rows(f, mask)
    return _sort(rows, export)


# ----- messages, contacts, attributes -------------------------------------------------------


_MESSAGE_TEXT = (
    "conversation_id",
    "message_type",
    "origin",
    "outbound_type",
    "post_url",
    "updated_at",
    "deleted_at",
    "system_user_type",
)


def message(f: Facts, scope: Scope, export, include_content: bool = True) -> pd.DataFrame:
    m = f.messages
    m = m[_in_scope(f, scope, m["cx"], m["created_at"])]
    conv = _conversation_columns(f, m["cx"])
    va_id = text_where(m["virtual_agent_id"], m["va"].to_numpy(bool))
    checkpoint(0.255)
    agent_id = text_fillna(m["user_id"], va_id)
    checkpoint(0.26)
    user = lookup_columns(m["user_id"], f.users, ["name", "reference"], part_of(checkpoint, 0.26, 0.28))
    agent_name = text_fillna(
        user["name"], lookup(va_id, f.virtual_agents["name"], part_of(checkpoint, 0.28, 0.3))
    )
    checkpoint(0.3)
    team_name = lookup(m["team_id"], f.teams["name"], part_of(checkpoint, 0.3, 0.35))
    tags = lookup_columns(
        m["message_id"], f.current_tags, ["tag_ids", "tag_names"], part_of(checkpoint, 0.35, 0.45)
    )
    text = _MESSAGE_TEXT + (("content",) if include_content else ())
    col = {}
    for i, name in enumerate(text):  # one column at a time: each is a take of ten million cells
        col[name] = f.message_column(
            name, m, lambda done, i=i: checkpoint(0.45 + 0.45 * (i + done) / len(text))
        )
    out = pd.DataFrame(
        {
            "message_id": m["message_id"],
            "created_at": m["created_at"],
            "conversation_id": col["conversation_id"],
            "medium": conv["medium"],
            "channel_name": conv["channel_name"],
            "channel_display_name": conv["channel_display_name"],
            "contact_id": conv["contact_id"],
            "contact_primary_identifier": conv["contact_primary_identifier"],
            "contact_secondary_identifier": conv["contact_secondary_identifier"],
            "message_type": col["message_type"],
            "origin": col["origin"],
            "outbound_type": col["outbound_type"],
            "direction": m["direction"],
            "agent_id": agent_id,
            "agent_name": agent_name,
            "agent_reference": user["reference"],
            "team_id": m["team_id"],
            "team_name": team_name,
            "tag_ids": tags["tag_ids"],
            "tag_names": tags["tag_names"],
            "content": col["content"] if include_content else pd.Series(pd.NA, index=m.index, dtype="str"),
            "conversation_url": conv["conversation_url"],
            "post_url": col["post_url"],
            "last_updated": col["updated_at"].fillna(m["created_at"]),
            "deleted_at": col["deleted_at"],
            "system_user_type": col["system_user_type"],
        }
    )
    return _sort(out, export)


def contact(f: Facts, scope: Scope, export) -> pd.DataFrame:
    """Per contact: grouped on integer contact codes (hashing ten million id strings is slow)."""
    m = f.messages
    cx = m["cx"].to_numpy()
    kx_of_conv, contact_ids = f.contact_codes
    in_sel = _selected_cx(f, scope)[cx]
    frame = pd.DataFrame(
        {
            "kx": kx_of_conv[cx[in_sel]],
            "cx": cx[in_sel],
            "inbound": m["inbound"].to_numpy(bool)[in_sel],
            "created_at": m["created_at"][in_sel].reset_index(drop=True),
        }
    )
    in_range = scope.in_range(frame["created_at"]).to_numpy(bool)
    mr = frame[in_range]
    kx = pd.Index(np.unique(mr["kx"].to_numpy()))
    n = len(contact_ids)
    inbound = np.bincount(mr["kx"], weights=mr["inbound"], minlength=n)
    total = np.bincount(mr["kx"], minlength=n)
    conversations = mr[["kx", "cx"]].drop_duplicates().groupby("kx", sort=False).size()
    first_in = mr[mr["inbound"]].drop_duplicates("kx", keep="first").set_index("kx")["created_at"]
    latest = frame.drop_duplicates("kx", keep="last").set_index("kx")[
        "created_at"
    ]  # messages are in time order
    ids = pd.Series(contact_ids[kx.to_numpy()], dtype="str")
    c = f.contacts
    out = pd.DataFrame(
        {
            "contact_id": ids,
            "medium": lookup(ids, c["medium"]),
            "primary_identifier": lookup(ids, c["primary_identifier"]),
            "secondary_identifier": lookup(ids, c["secondary_identifier"]),
            "created_at": first_in.reindex(kx).reset_index(drop=True),
            "conversations": conversations.reindex(kx).to_numpy(),
            "inbound_messages": inbound[kx].astype(np.int64),
            "outbound_messages": (total[kx] - inbound[kx]).astype(np.int64),
            "last_updated": lookup(ids, c["updated_at"]).fillna(latest.reindex(kx).reset_index(drop=True)),
        }
    )
    return _sort(out, export)


def _contacts_who_wrote(f: Facts, scope: Scope) -> np.ndarray:
    m = f.messages
    mr = m[_in_scope(f, scope, m["cx"], m["created_at"]) & m["inbound"].to_numpy(bool)]
    kx_of_conv, contact_ids = f.contact_codes
    return contact_ids[np.unique(kx_of_conv[mr["cx"].to_numpy()])]


def contact_attribute(f: Facts, scope: Scope, export) -> pd.DataFrame:
    attrs = f.dump.tables["contact_attributes"]
    attrs = attrs[positions(attrs["contact_id"], pd.Series(_contacts_who_wrote(f, scope), dtype="str")) >= 0]
    c = f.contacts
    out = pd.DataFrame(
        {
            "contact_id": attrs["contact_id"],
            "contact_primary_identifier": lookup(attrs["contact_id"], c["primary_identifier"]),
            "contact_secondary_identifier": lookup(attrs["contact_id"], c["secondary_identifier"]),
            "attribute_id": attrs["attribute_id"],
            "attribute_name": attrs["name"],
            "attribute_value": attrs["value"],
            "attribute_type": attrs["type"],
        }
    )
    return _sort(out, export)


# ----- topics and tags -------------------------------------------------------------------------


def topic(f: Facts, scope: Scope, export) -> pd.DataFrame:
    e = f.events
    added = e[(e["type"] == "TOPIC_ADDED").to_numpy(bool) & _in_scope(f, scope, e["cx"], e["at"])]
    added = added.assign(channel_id=f.conversations["channel_id"].to_numpy()[added["cx"].to_numpy()])
    pairs = added[["topic_id", "channel_id", "cx"]].drop_duplicates()
    current = pd.MultiIndex.from_frame(f.current_topic_pairs[["cx", "topic_id"]])
    pairs = pairs.assign(current=pd.MultiIndex.from_frame(pairs[["cx", "topic_id"]]).isin(current))
    g = pairs.groupby(["topic_id", "channel_id"], sort=False)
    out = pd.DataFrame({"total_conversations": g.size(), "current_conversations": g["current"].sum()})
    out = out.reset_index()
    out["topic_name"] = lookup(out["topic_id"], f.topics["name"])
    out["active"] = lookup(out["topic_id"], f.topics["active"])
    out = out.assign(**_channel_columns(f, out["channel_id"]))
    return _sort(out, export)


def tag(f: Facts, scope: Scope, export) -> pd.DataFrame:
    mt = f.message_tags
    added = mt[(mt["action"] == "ADDED").to_numpy(bool) & _in_scope(f, scope, mt["cx"], mt["at"])]
    conv = f.conversations
    added = added.assign(
        channel_id=conv["channel_id"].to_numpy()[added["cx"].to_numpy()],
        contact_id=conv["contact_id"].to_numpy()[added["cx"].to_numpy()],
    )
    pairs = added[["tag_id", "channel_id", "message_id", "contact_id"]].drop_duplicates(
        ["tag_id", "channel_id", "message_id"]
    )
    current = pd.MultiIndex.from_frame(f.current_tag_pairs[["message_id", "tag_id"]])
    pairs = pairs.assign(current=pd.MultiIndex.from_frame(pairs[["message_id", "tag_id"]]).isin(current))
    g = pairs.groupby(["tag_id", "channel_id"], sort=False)
    out = pd.DataFrame(
        {
            "total_contacts": g["contact_id"].nunique(),
            "total_messages": g.size(),
            "current_messages": g["current"].sum(),
        }
    ).reset_index()
    out["tag_name"] = lookup(out["tag_id"], f.tags["name"])
    out["active"] = lookup(out["tag_id"], f.tags["active"])
    out = out.assign(**_channel_columns(f, out["channel_id"]))
    return _sort(out, export)


# ----- presence --------------------------------------------------------------------------------


def user_presence(f: Facts, scope: Scope, export) -> pd.DataFrame:
    p = f.presence_intervals
    keep = np.ones(len(p), bool)
    if scope.end is not None:
        keep &= (p["start"] < scope.end).to_numpy(bool)
    if scope.start is not None:
        keep &= (p["end_eff"] > scope.start).to_numpy(bool)
    p = p[keep]
    out = pd.DataFrame(
        {
            "user_id": p["user_id"],
            "user_name": lookup(p["user_id"], f.users["name"]),
            "user_email": lookup(p["user_id"], f.users["email"]),
            "presence": p["presence"],
            "away_status": p["away_status"],
            "start": p["start"],
            "end": p["end"],
            "duration": duration_ms(p["end_eff"], p["start"]),
        }
    )
    return _sort(out, export)


def _presence_time(f: Facts, scope: Scope) -> pd.DataFrame:
    """Available and away milliseconds per agent, cut to R and to S."""
    p = f.presence_intervals
    lo = p["start"] if scope.start is None else p["start"].clip(lower=scope.start)
    hi = p["end_eff"] if scope.end is None else p["end_eff"].clip(upper=scope.end)
    cut = duration_ms(hi, lo).clip(lower=0)
    frame = pd.DataFrame({"user_id": p["user_id"], "presence": p["presence"], "ms": cut})
    frame = frame[frame["ms"] > 0]
    table = frame.pivot_table(index="user_id", columns="presence", values="ms", aggfunc="sum", fill_value=0)
    return pd.DataFrame(
        {
            "available_time": table["AVAILABLE"] if "AVAILABLE" in table else 0,
            "away_time": table["AWAY"] if "AWAY" in table else 0,
        },
        index=table.index,
    )


# ----- agents and teams ------------------------------------------------------------------------


class _Activity:
    """The facts in scope that the user and team exports aggregate, computed once."""

    def __init__(self, f: Facts, scope: Scope) -> None:
        hr = f.human_replies
        self.replies = hr[_in_scope(f, scope, hr["cx"], hr["created_at"])]
        checkpoint(0.05)
        contact = f.conversations["contact_id"].take(self.replies["cx"].to_numpy())  # Arrow take
        self.replies = self.replies.assign(contact_id=contact.set_axis(self.replies.index))
        checkpoint(0.1)
        res = f.resolutions
        self.resolutions = res[_in_scope(f, scope, res["cx"], res["at"])]
        s = f.lock_sessions
        self.sessions = s[_in_scope(f, scope, s["cx"], s["open"])]
        checkpoint(0.15)
        mt = f.message_tags
        self.tags_added = mt[
            (mt["action"] == "ADDED").to_numpy(bool) & _in_scope(f, scope, mt["cx"], mt["at"])
        ]
        e = f.events
        self.topics_added = e[
            (e["type"] == "TOPIC_ADDED").to_numpy(bool) & _in_scope(f, scope, e["cx"], e["at"])
        ]
        a = f.csat_attribution
        self.csat = a[_in_scope(f, scope, a["cx"], a["responded_at"])]
        checkpoint(0.2)

    def per(self, who: str) -> pd.DataFrame:
        """Figures per agent (who='user_id') or team (who='team_id'), in 0.2..0.8 of the builder."""
        s = self.sessions
        handle = s[s["klass"] == "handle"]
        r = self.resolutions
        figures = {
            "replies": lambda: count_by(self.replies[who]),
            "contacts_helped": lambda: nunique_by(self.replies[who], self.replies["contact_id"]),
            "resolves_with_reply": lambda: count_by(r[who], r["with_reply"]),
            "resolves_without_reply": lambda: count_by(r[who], ~r["with_reply"]),
            "handle_time": lambda: handle.groupby(who, sort=False)["duration"].sum(),
            "no_reply_time": lambda: s[s["klass"] == "no_reply"].groupby(who, sort=False)["duration"].sum(),
            "cherry_picking_time": lambda: (
                s[s["klass"] == "cherry_picking"].groupby(who, sort=False)["duration"].sum()
            ),
            "handled_conversations": lambda: nunique_by(handle[who], handle["cx"]),
            "sessions_opened": lambda: count_by(s[who]),  # a zero-length session still makes an agent active
            "tags_added": lambda: count_by(self.tags_added[who]),
            "topics_added": lambda: count_by(self.topics_added[who]),
        }
        columns = {}
        for i, (name, figure) in enumerate(figures.items(), 1):  # one at a time: progress in between
            columns[name] = figure()
            checkpoint(0.2 + 0.6 * i / len(figures))
        out = pd.DataFrame(columns)
        out = out.join(_score_counts(self.csat[who], self.csat["score"]), how="outer")
        for col in ("handle_time", "no_reply_time", "cherry_picking_time"):
            out[col] = out[col].fillna(0).astype(np.int64)
        return out.rename_axis(who)


def team_averages(out: pd.DataFrame) -> pd.DataFrame:
    """The team export's averages from its sums and counts (also after ``plan.merge``)."""
    out["avg_first_response_time"] = round_div(
        out["_sum_first_response_time"], out["_count_first_response_time"]
    )
    out["avg_resolution_time"] = round_div(out["_sum_resolution_time"], out["_count_resolution_time"])
    out["avg_handle_time"] = round_div(out["handle_time"], out["handled_conversations"])
    return out


def user_ratios(out: pd.DataFrame) -> pd.DataFrame:
    """The user export's average handle time and utilization (also after ``plan.merge``)."""
    worked = out["handle_time"] + out["no_reply_time"] + out["cherry_picking_time"]
    out["utilization"] = (round_div(worked * 10_000, out["available_time"]) / 100).astype("Float64")
    out["avg_handle_time"] = round_div(out["handle_time"], out["handled_conversations"])
    return out


def team(f: Facts, scope: Scope, export) -> pd.DataFrame:
    act = _Activity(f, scope)
    figures = act.per("team_id")
    cf = f.conversation_facts
    sel = _selected_cx(f, scope)
    fr = cf[sel & scope.in_range(cf["first_response_at"]).to_numpy(bool)]
    frt = sum_count_ms(fr["first_response_time"], fr["first_responder_team_id"])
    fres = cf[sel & scope.in_range(cf["first_resolution_at"]).to_numpy(bool)]
    resolution = sum_count_ms(fres["resolution_time"], fres["first_resolution_team_id"])
    if scope.partial:  # every team with a figure: a reply may sit in another part (plan.merge)
        teams = figures.index.dropna().union(frt.index.dropna()).union(resolution.index.dropna())
    else:
        teams = pd.Index(act.replies["team_id"].dropna().unique())
    # reindexed to the rows: assigning a Series to a frame with no rows makes its keys the
    # rows (teams with a first resolution in the range but no reply appeared; issue 12)
    out = figures.reindex(teams)
    for name, sums in (("first_response_time", frt), ("resolution_time", resolution)):
        sums = sums.reindex(out.index)
        out["_sum_" + name], out["_count_" + name] = sums["sum"], sums["count"]
    out = team_averages(out)
    out = out.rename_axis("team_id").reset_index()
    out["team_name"] = lookup(out["team_id"], f.teams["name"])
    out["created_at"] = lookup(out["team_id"], f.teams["created_at"])
    for col in ("handle_time", "no_reply_time", "cherry_picking_time"):
        out[col] = out[col].fillna(0)
    return _sort(out, export)


def user(f: Facts, scope: Scope, export) -> pd.DataFrame:
    act = _Activity(f, scope)
    presence = _presence_time(f, scope)
    figures = act.per("user_id")
    sources = [
        figures.index[figures.fillna(0).astype(bool).any(axis=1)],
        presence.index,
    ]
    agents = sources[0].union(sources[1])
    out = figures.reindex(agents).join(presence)
    for col in ("available_time", "away_time", "handle_time", "no_reply_time", "cherry_picking_time"):
        out[col] = out[col].fillna(0).astype(np.int64)
    out = user_ratios(out)
    out = out.rename_axis("user_id").reset_index()
    out["user_name"] = lookup(out["user_id"], f.users["name"])
    out["user_email"] = lookup(out["user_id"], f.users["email"])
    out["user_reference"] = lookup(out["user_id"], f.users["reference"])
    return _sort(out, export)


# ----- response times and virtual agents -------------------------------------------------------


def response_times(f: Facts, scope: Scope, export) -> pd.DataFrame:
    e = f.events
    sel = _selected_cx(f, scope)
    q = e[(e["type"] == "QUEUED").to_numpy(bool) & sel[e["cx"].to_numpy()]]
    q = q.assign(next_q=q.groupby("cx", sort=False)["at"].shift(-1))
    hr = f.human_replies[["cx", "created_at", "user_id", "message_id"]]
    a = pd.merge_asof(
        q,
        hr.rename(columns={"created_at": "replied_at", "user_id": "reply_user_id"}),
        left_on="at",
        right_on="replied_at",
        by="cx",
        direction="forward",
    )
    a = a[a["replied_at"].notna() & (a["next_q"].isna() | (a["replied_at"] < a["next_q"])).fillna(False)]
    a = a[scope.in_range(a["replied_at"]).to_numpy(bool)]
    m = f.messages
    inbound = m.loc[m["inbound"], ["cx", "created_at", "message_id"]].rename(
        columns={"created_at": "in_at", "message_id": "inbound_message_id"}
    )
    a = pd.merge_asof(
        a.sort_values("at", kind="stable"),
        inbound,
        left_on="at",
        right_on="in_at",
        by="cx",
        direction="backward",
    )
    conv = _conversation_columns(f, a["cx"])
    out = pd.DataFrame(
        {
            "conversation_id": conv["conversation_id"],
            "medium": conv["medium"],
            "channel_name": conv["channel_name"],
            "channel_display_name": conv["channel_display_name"],
            "contact_id": conv["contact_id"],
            "started_by": a["started_by"],
            "handover_reason": a["handover_reason"],
            "queued_at": a["at"],
            "replied_at": a["replied_at"],
            "response_time": duration_ms(a["replied_at"], a["at"]),
            "user_id": a["reply_user_id"],
            "inbound_message_id": a["inbound_message_id"],
            "outbound_message_id": a["message_id"],
            "conversation_url": conv["conversation_url"],
        }
    )
    out = out.assign(**_user_columns(f, out["user_id"], "user_"))
    return _sort(out, export)


def virtual_agent(f: Facts, scope: Scope, export) -> pd.DataFrame:
    channel_of = f.conversations["channel_id"].to_numpy()
    m = f.messages
    vm = m[m["va"].to_numpy(bool) & _in_scope(f, scope, m["cx"], m["created_at"])]
    e = f.events
    ev = e[_in_scope(f, scope, e["cx"], e["at"]) & e["virtual_agent_id"].notna().to_numpy(bool)]
    handover = ev[(ev["type"] == "QUEUED") & (ev["started_by"].str.upper() == "VA_HANDED_OVER_CONVERSATION")]
    error = (handover["handover_reason"].str.upper() == "ERROR").fillna(False).astype(bool)
    resolved = ev[(ev["type"] == "STATUS_CHANGED") & (ev["status"] == "RESOLVED")]
    topics = ev[ev["type"] == "TOPIC_ADDED"]
    mt = f.message_tags
    tags = mt[
        (mt["action"] == "ADDED").to_numpy(bool)
        & mt["virtual_agent_id"].notna().to_numpy(bool)
        & _in_scope(f, scope, mt["cx"], mt["at"])
    ]

    def key(frame: pd.DataFrame) -> pd.MultiIndex:
        return pd.MultiIndex.from_arrays(
            [frame["virtual_agent_id"].to_numpy(), channel_of[frame["cx"].to_numpy()]],
            names=["virtual_agent_id", "channel_id"],
        )

    def distinct(frame: pd.DataFrame, col: str) -> pd.Series:
        if not len(frame):
            return _NO_PAIRS
        k = key(frame).to_frame(index=False).assign(v=frame[col].to_numpy())
        return k.drop_duplicates().groupby(["virtual_agent_id", "channel_id"], sort=False).size()

    def rows(frame: pd.DataFrame) -> pd.Series:
        if not len(frame):
            return _NO_PAIRS
        return key(frame).to_frame(index=False).groupby(["virtual_agent_id", "channel_id"], sort=False).size()

    out = pd.DataFrame(
        {
            "total_conversations": distinct(vm, "cx"),
            "handover_to_agent": distinct(handover[~error], "cx"),
            "handover_by_error": distinct(handover[error], "cx"),
            "resolved": distinct(resolved, "cx"),
            "conversations_with_topic": distinct(topics, "cx"),
            "tagged_messages": distinct(tags, "message_id"),
            "message_tags": rows(tags),
        }
    )
    out = out.rename_axis(["virtual_agent_id", "channel_id"]).reset_index()
    out["virtual_agent_name"] = lookup(out["virtual_agent_id"], f.virtual_agents["name"])
    out = out.assign(**_channel_columns(f, out["channel_id"]))
    return _sort(out, export)


_NO_PAIRS = pd.Series(
    [], dtype="int64", index=pd.MultiIndex.from_arrays([[], []], names=["virtual_agent_id", "channel_id"])
)


def _sort(frame: pd.DataFrame, export) -> pd.DataFrame:
    """``sort_rows`` by the export's ``sort_by``, its progress in the last tenth of the
    builder's share (below it: the builders' own checkpoints)."""
    return sort_rows(frame, list(export.sort_by), export, lambda done: checkpoint(0.9 + 0.1 * done))
