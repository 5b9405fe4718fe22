"""The synthetic demo dump: deterministic, complete, internally consistent, and the same as
the bundled copy in ``resources/demo`` (so the bundle can always be regenerated)."""

from __future__ import annotations

import filecmp
import json
import pathlib
import zipfile

import numpy as np
import pandas as pd
import pytest

from sparkdesk.demo import DEMO_ZIP_NAME, SNAPSHOT, write_demo
from sparkdesk.dump.schema import TABLE_NAMES, TABLES, table_spec
from sparkdesk.resources import bundled_demo_path
from sparkdesk.tasks import Cancelled, CancelToken

FILES = sorted([f"{t}.csv" for t in TABLE_NAMES] + ["manifest.json"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return write_demo(tmp_path_factory.mktemp("demo") / "dump", conversations=500, seed=1)


@pytest.fixture(scope="module")
def t(demo: pathlib.Path) -> dict[str, pd.DataFrame]:
    """Every table as text, exactly as written (no NA conversion, ids stay text)."""
    return {name: pd.read_csv(demo / f"{name}.csv", dtype=str, keep_default_na=False) for name in TABLE_NAMES}


def _ms(col: pd.Series) -> pd.Series:
    """Timestamps as UTC instants (empty -> NaT)."""
    return pd.to_datetime(col.replace("", None), format="ISO8601", utc=True)


def _np(col: pd.Series):
    """UTC instants as a numpy datetime64 array, for element-wise comparisons."""
    return _ms(col).dt.tz_convert(None).to_numpy()


def _same_files(a: pathlib.Path, b: pathlib.Path) -> None:
    assert sorted(p.name for p in a.iterdir()) == FILES
    match, mismatch, errors = filecmp.cmpfiles(a, b, FILES, shallow=False)
    assert mismatch == [] and errors == [], (mismatch, errors)


# -- determinism and the bundle ----------------------------------------------------------------


def test_same_inputs_same_bytes(tmp_path: pathlib.Path) -> None:
    a = write_demo(tmp_path / "a", conversations=300, seed=7)
    b = write_demo(tmp_path / "b", conversations=300, seed=7)
    _same_files(a, b)


def test_other_seed_other_data(tmp_path: pathlib.Path) -> None:
    a = write_demo(tmp_path / "a", conversations=200, seed=1)
    b = write_demo(tmp_path / "b", conversations=200, seed=2)
    assert (a / "messages.csv").read_bytes() != (b / "messages.csv").read_bytes()


def test_bundled_demo_is_write_demo_500_seed_1(demo: pathlib.Path) -> None:
    """If this fails, regenerate: write_demo(bundled_demo_path(), 500, seed=1)."""
    bundled = bundled_demo_path()
    assert bundled.is_dir(), bundled
    _same_files(demo, bundled)


def test_bundled_demo_is_small() -> None:
    size = sum(p.stat().st_size for p in bundled_demo_path().iterdir())
    assert size < 3_000_000


# -- containers ------------------------------------------------------------------------------


def test_zip_to_a_folder_and_to_a_path(tmp_path: pathlib.Path, demo: pathlib.Path) -> None:
    z1 = write_demo(tmp_path / "out", conversations=500, seed=1, as_zip=True)
    assert z1 == tmp_path / "out" / DEMO_ZIP_NAME
    z2 = write_demo(tmp_path / "named.ZIP", conversations=500, seed=1, as_zip=True)
    assert z2 == tmp_path / "named.ZIP"
    assert z1.read_bytes() == z2.read_bytes()  # reproducible archives
    with zipfile.ZipFile(z1) as zf:
        assert sorted(zf.namelist()) == FILES
        for name in FILES:
            assert zf.read(name) == (demo / name).read_bytes()
    assert not list(tmp_path.rglob("*.part"))


def test_manifest(demo: pathlib.Path) -> None:
    m = json.loads((demo / "manifest.json").read_text("utf-8"))
    assert m["format"] == "sparkdesk-dump" and m["version"] == 1
    assert m["snapshot_at"] == SNAPSHOT and m["organization"]
    assert "{conversation_id}" in m["conversation_url_template"]


def test_progress_and_cancel(tmp_path: pathlib.Path) -> None:
    seen: list[float] = []
    write_demo(tmp_path / "p", conversations=50, progress=lambda f, _text: seen.append(f))
    assert seen and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        write_demo(tmp_path / "c", conversations=50, cancel=token)
    with pytest.raises(Cancelled):
        write_demo(tmp_path / "c.zip", conversations=50, cancel=token, as_zip=True)
    assert not (tmp_path / "c.zip").exists()


# -- shape -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_every_table_present_with_spec_columns(t: dict[str, pd.DataFrame], name: str) -> None:
    frame = t[name]
    assert len(frame) > 0
    assert list(frame.columns) == table_spec(name).column_names


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_required_cells_and_enumerations(t: dict[str, pd.DataFrame], spec) -> None:
    frame = t[spec.name]
    for col in spec.columns:
        values = frame[col.name]
        if col.required:
            assert (values != "").all(), f"{spec.name}.{col.name} has empty required cells"
        if col.type == "enum":
            assert set(values) - {""} <= set(col.values), (spec.name, col.name)
        if col.type == "ts":
            filled = values[values != ""]
            assert filled.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z").all(), (
                spec.name,
                col.name,
            )


def test_keys_are_unique(t: dict[str, pd.DataFrame]) -> None:
    for spec in TABLES:
        frame = t[spec.name]
        key = list(spec.key) or list(frame.columns)
        rows = frame[(frame[key] != "").all(axis=1)]
        assert not rows.duplicated(key).any(), spec.name
    surveys = t["csat_surveys"]
    assert not surveys.duplicated(["conversation_id", "sent_at"]).any()


def test_event_rules(t: dict[str, pd.DataFrame]) -> None:
    e = t["conversation_events"]
    for kind, col in {
        "STATUS_CHANGED": "status",
        "LOCKED": "user_id",
        "UNLOCKED": "user_id",
        "TOPIC_ADDED": "topic_id",
        "TOPIC_REMOVED": "topic_id",
        "QUEUED": "started_by",
    }.items():
        assert (e.loc[e.type == kind, col] != "").all(), kind
    m = t["messages"]
    assert not ((m.user_id != "") & (m.virtual_agent_id != "")).any()
    inbound = m[m.direction == "INBOUND"]
    assert (inbound[["user_id", "virtual_agent_id", "team_id"]] == "").all().all()
    scores = t["csat_surveys"].score
    assert scores[scores != ""].astype(int).between(1, 5).all()


# -- references ------------------------------------------------------------------------------


def test_references_exist(t: dict[str, pd.DataFrame]) -> None:
    conv = set(t["conversations"].conversation_id)
    msgs = set(t["messages"].message_id)
    users = set(t["users"].user_id) | {""}
    teams = set(t["teams"].team_id) | {""}
    vas = set(t["virtual_agents"].virtual_agent_id) | {""}
    assert set(t["messages"].conversation_id) <= conv
    assert set(t["conversation_events"].conversation_id) <= conv
    assert set(t["csat_surveys"].conversation_id) <= conv
    assert set(t["message_tags"].message_id) <= msgs
    assert set(t["conversations"].channel_id) <= set(t["channels"].channel_id)
    assert set(t["conversations"].contact_id) <= set(t["contacts"].contact_id)
    assert set(t["contact_attributes"].contact_id) <= set(t["contacts"].contact_id)
    assert set(t["conversation_events"].topic_id) - {""} <= set(t["topics"].topic_id)
    assert set(t["message_tags"].tag_id) <= set(t["tags"].tag_id)
    assert set(t["business_hours"].channel_id) <= set(t["channels"].channel_id)
    assert set(t["holidays"].channel_id) <= set(t["business_hours"].channel_id)
    for name in ("messages", "conversation_events", "message_tags"):
        assert set(t[name].user_id) <= users, name
        assert set(t[name].team_id) <= teams, name
        assert set(t[name].virtual_agent_id) <= vas, name
    assert set(t["presence_events"].user_id) <= users


def test_contact_medium_matches_channel(t: dict[str, pd.DataFrame]) -> None:
    c = (
        t["conversations"]
        .merge(t["channels"], on="channel_id")
        .merge(t["contacts"], on="contact_id", suffixes=("", "_contact"))
    )
    assert (c.medium == c.medium_contact).all()


# -- time ------------------------------------------------------------------------------------


def test_nothing_after_the_snapshot(t: dict[str, pd.DataFrame]) -> None:
    snap = pd.Timestamp(SNAPSHOT)
    for name, col in (
        ("conversations", "created_at"),
        ("messages", "created_at"),
        ("messages", "updated_at"),
        ("messages", "deleted_at"),
        ("conversation_events", "at"),
        ("message_tags", "at"),
        ("csat_surveys", "sent_at"),
        ("csat_surveys", "responded_at"),
        ("presence_events", "at"),
        ("contacts", "updated_at"),
    ):
        assert (_ms(t[name][col]).dropna() <= snap).all(), (name, col)


def test_about_sixty_days(t: dict[str, pd.DataFrame]) -> None:
    created = _ms(t["conversations"].created_at)
    assert pd.Timedelta(days=55) < created.max() - created.min() < pd.Timedelta(days=61)
    assert created.is_monotonic_increasing


def test_rows_come_after_their_conversation(t: dict[str, pd.DataFrame]) -> None:
    created = t["conversations"].set_index("conversation_id").created_at
    for name, col in (("messages", "created_at"), ("conversation_events", "at"), ("csat_surveys", "sent_at")):
        frame = t[name]
        assert (_np(frame[col]) >= _np(created.loc[frame.conversation_id])).all(), name
    m = t["messages"].set_index("message_id")
    tags = t["message_tags"]
    assert (_np(tags["at"]) >= _np(m.created_at.loc[tags.message_id])).all()
    edited = m[m.updated_at != ""]
    assert (_ms(edited.updated_at) > _ms(edited.created_at)).all()
    deleted = m[m.deleted_at != ""]
    assert (deleted.updated_at == deleted.deleted_at).all()
    s = t["csat_surveys"]
    answered = s[s.responded_at != ""]
    assert (_ms(answered.responded_at) > _ms(answered.sent_at)).all()


def test_replies_follow_the_first_inbound(t: dict[str, pd.DataFrame]) -> None:
    """No human reply before the contact first wrote, except conversations opened by a template."""
    m = t["messages"].assign(ts=lambda f: _ms(f.created_at))
    first_in = m[m.direction == "INBOUND"].groupby("conversation_id").ts.min()
    first_human = m[m.user_id != ""].groupby("conversation_id").ts.min()
    both = pd.concat([first_in.rename("inbound"), first_human.rename("human")], axis=1).dropna()
    early = both[both.human < both.inbound].index
    opened = m[m.conversation_id.isin(early)].sort_values("ts").groupby("conversation_id").head(1)
    assert (opened.outbound_type == "TEMPLATE").all()
    assert len(early) > 0  # the outbound-first case is exercised


def test_first_message_at_creation(t: dict[str, pd.DataFrame]) -> None:
    created = _ms(t["conversations"].set_index("conversation_id").created_at)
    m = t["messages"]
    first = _ms(m.created_at).groupby(m.conversation_id).min()
    gap = first - created.loc[first.index]
    assert (gap >= pd.Timedelta(0)).all()
    assert (gap <= pd.Timedelta(milliseconds=1)).mean() > 0.9
    assert (gap <= pd.Timedelta(minutes=2)).all()  # a template opener is sent within two minutes


def test_presence_alternates_per_agent(t: dict[str, pd.DataFrame]) -> None:
    p = t["presence_events"].assign(ts=lambda f: _ms(f["at"]))
    for _user, rows in p.groupby("user_id"):
        assert rows.ts.is_monotonic_increasing
        same = rows.presence.values[1:] == rows.presence.values[:-1]
        # only AVAILABLE twice in a row: the next morning after a forgotten log-off
        assert (rows.presence.values[1:][same] == "AVAILABLE").all()
        assert (rows.ts.diff().dt.total_seconds().values[1:][same] > 8 * 3600).all()
    away = p[p.presence == "AWAY"]
    assert (away.away_status != "").all()
    assert (p[p.presence != "AWAY"].away_status == "").all()


# -- coverage: the demo shows every case the exports care about --------------------------------


def test_covers_every_case(t: dict[str, pd.DataFrame]) -> None:
    e, m, s = t["conversation_events"], t["messages"], t["csat_surveys"]
    q = e[e.type == "QUEUED"]
    assert set(q.started_by) >= {
        "NEW_INBOUND_MESSAGE",
        "REOPENED_BY_CONTACT",
        "VA_HANDED_OVER_CONVERSATION",
        "AR_HANDED_OVER_CONVERSATION",
        "MOVED_BY_AGENT",
        "OUTBOUND_BY_AGENT",
    }
    va_q = q[q.started_by == "VA_HANDED_OVER_CONVERSATION"]
    assert (va_q.virtual_agent_id != "").all() and "ERROR" in set(va_q.handover_reason)
    assert "" in set(va_q.handover_reason)
    status = e[e.type == "STATUS_CHANGED"]
    assert set(status.status) == {"NEW", "PENDING", "RESOLVED"}
    res = status[status.status == "RESOLVED"]
    assert set(res.resolved_by) == {"AGENT", "VIRTUAL_AGENT", "BULK_RESOLVE", "SYSTEM"}
    assert set(res.trigger) == {"HUMAN_AGENT", "VIRTUAL_AGENT", "AUTOMATION", "AUTO_RESOLVE"}
    assert (res.reason != "").any() and (res.comment != "").any()
    assert ((res.user_id != "") & (res.team_id == "")).any()  # bulk resolve without a team
    topics = e[e.type.isin(["TOPIC_ADDED", "TOPIC_REMOVED"])]
    assert {"TOPIC_ADDED", "TOPIC_REMOVED"} <= set(topics.type)
    assert (topics.virtual_agent_id != "").any() and (topics.user_id != "").any()
    assert {"LOCKED", "UNLOCKED"} <= set(e.type)
    tags = t["message_tags"]
    assert set(tags.action) == {"ADDED", "REMOVED"} and (tags.virtual_agent_id != "").any()
    assert set(s.status) >= {"COMPLETED", "EXPIRED", "SENT", ""}
    assert set(s.score) - {""} == {"1", "2", "3", "4", "5"} and (s.followup_answer != "").any()
    assert (s.survey_id == "").any()
    assert set(m.message_type) >= {"TEXT", "IMAGE", "FILE", "LOCATION", "TEMPLATE", "CSAT_SURVEY"}
    assert set(m.outbound_type) >= {"REPLY", "PRIVATE_REPLY", "TEMPLATE"}
    assert set(m.system_user_type) >= {"AUTO_RESPONDER", "CSAT"}
    assert set(m.origin) >= {"CONTACT", "AGENT_CONSOLE", "API", "VIRTUAL_AGENT", "AUTOMATION"}
    assert (m.deleted_at != "").any() and (m.updated_at != m.deleted_at).any() and (m.post_url != "").any()
    text = m.content
    assert text.str.contains(",").any() and text.str.contains('"').any() and text.str.contains("\n").any()
    assert text.str.startswith("=").any() and text.str.startswith("+").any()
    assert text.str.contains("[\U0001f300-\U0001faff]", regex=True).any()  # emoji
    assert (e.event_id == "").any()


def test_reference_tables_are_varied(t: dict[str, pd.DataFrame]) -> None:
    ch = t["channels"]
    assert len(ch) >= 6 and (ch.display_name == "").any() and ch.medium.is_unique
    users = t["users"]
    assert len(users) >= 12 and (users.email == "").any() and (users.reference == "").any()
    assert len(t["teams"]) >= 3 and len(t["virtual_agents"]) == 2
    assert (t["topics"].active == "false").any() and (t["tags"].active == "false").any()
    assert set(t["business_hours"].timezone) == {"Europe/Madrid", "America/New_York"}
    attrs = t["contact_attributes"]
    assert set(attrs.type) >= {"TEXT", "NUMBER", "DATE", "BOOLEAN"}
    assert attrs.value.str.fullmatch(r"0\d+").any()  # leading zeros survive
    contacts = t["contacts"]
    assert contacts.primary_identifier.str.startswith("+").any()
    assert (contacts.secondary_identifier == "").any() and (contacts.updated_at == "").any()


def test_conversation_mix(t: dict[str, pd.DataFrame]) -> None:
    """About ten messages and a handful of events per conversation; some open, some reopened."""
    n = len(t["conversations"])
    assert 7 <= len(t["messages"]) / n <= 13
    assert 3 <= len(t["conversation_events"]) / n <= 6
    e = t["conversation_events"].assign(ts=lambda f: _ms(f["at"])).sort_values("ts", kind="stable")
    last_status = e[e.type == "STATUS_CHANGED"].groupby("conversation_id").status.last()
    open_ = n - (last_status == "RESOLVED").sum()
    assert 0.05 * n < open_ < 0.5 * n
    resolutions = e[(e.type == "STATUS_CHANGED") & (e.status == "RESOLVED")].groupby("conversation_id").size()
    assert (resolutions >= 2).any()  # reopened and resolved again


# -- the reader accepts every row ------------------------------------------------------------


def test_demo_loads_without_rejections_or_warnings(demo: pathlib.Path, tmp_path: pathlib.Path) -> None:
    from sparkdesk.dump import load_dumps

    zipped = write_demo(tmp_path / "demo.zip", conversations=500, seed=1, as_zip=True)
    for source in (demo, zipped):
        dump = load_dumps([source])
        report = dump.report
        assert len(report.rejected) == 0, report.rejected.head().to_string()
        assert len(report.warnings) == 0, report.warnings.head().to_string()
        assert report.ignored_files == []
        assert dump.snapshot == pd.Timestamp(SNAPSHOT)
        for name in TABLE_NAMES:
            stats = report.stats[name]
            assert stats.read == stats.accepted > 0, name
            assert stats.after_snapshot == 0, name
            assert len(dump.tables[name]) == stats.accepted, name


# -- lock sessions: every UNLOCKED closes one (exports.md "Lock sessions") ---------------------


@pytest.mark.parametrize(
    ("conversations", "seed"), [(3000, 7), (3000, 2)], ids=["unpaired-before-the-fix", "open-locks"]
)
def test_inspect_warns_only_of_what_the_manifest_says(tmp_path: pathlib.Path, conversations, seed) -> None:
    """No UNLOCKED without an open session: agents are busy in several conversations at once,
    and locking another one releases the previous lock, so the simulation's later UNLOCKED of
    it must not reach the dump (3,000 conversations of seed 7 had 69). Every other warning
    inspect prints is one the manifest lists as on purpose (seed 2 has 2 locks open at the
    snapshot)."""
    from sparkdesk.cli import inspect_summary
    from sparkdesk.dump import load_dumps
    from sparkdesk.exports import lock_warnings

    folder = write_demo(tmp_path / "d", conversations=conversations, seed=seed)
    dump = load_dumps([folder], cache=False)
    assert lock_warnings(dump)["unpaired_unlocked"] == 0
    summary = inspect_summary(dump)
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    on_purpose = manifest["demo"]["inspect_warnings_on_purpose"]
    assert not any("UNLOCKED" in reason for reason in on_purpose)
    assert summary["ignored_files"] == []
    assert all(p["kind"] == "warning" and p["reason"] in on_purpose for p in summary["problems"]), summary
    events = dump.tables["conversation_events"]
    assert (events["type"] == "UNLOCKED").sum() > 300  # unlocks are still there, only paired ones


def test_manifest_says_how_the_demo_was_made(demo: pathlib.Path) -> None:
    info = json.loads((demo / "manifest.json").read_text("utf-8"))["demo"]
    assert (info["conversations"], info["seed"]) == (500, 1)
    assert info["inspect_warnings_on_purpose"] and info["oddities_on_purpose"]


def test_released_unlocks_follows_the_lock_session_rules() -> None:
    """Each way a session closes before an UNLOCKED, on hand-made events in time order."""
    from sparkdesk.demo.conversations import released_unlocks

    S, L, U = 0, 1, 2  # STATUS_CHANGED, LOCKED, UNLOCKED
    rows = [  # (type, conversation, user, status), expected: dropped
        ((L, 0, 0, -1), False),
        ((U, 0, 0, -1), False),  # a plain lock and unlock
        ((L, 1, 1, -1), False),
        ((L, 2, 1, -1), False),  # locking another conversation releases conversation 1
        ((U, 1, 1, -1), True),
        ((U, 2, 1, -1), False),
        ((L, 3, 2, -1), False),
        ((L, 3, 3, -1), False),  # a steal
        ((U, 3, 2, -1), True),
        ((U, 3, 3, -1), False),
        ((L, 4, 4, -1), False),
        ((S, 4, 4, 1), False),  # PENDING releases the lock
        ((U, 4, 4, -1), True),
        ((L, 5, 4, -1), False),
        ((S, 5, -1, 0), False),  # back to NEW does not
        ((U, 5, 4, -1), False),
        ((U, 6, 5, -1), True),  # never locked
        ((L, 7, 6, -1), False),
        ((U, 7, 6, -1), False),
        ((U, 7, 6, -1), True),  # unlocked twice
        ((L, 8, 7, -1), False),
        ((L, 8, 7, -1), False),  # locking what one holds changes nothing
        ((U, 8, 7, -1), False),
        ((L, 9, 8, -1), False),
        ((L, 10, 9, -1), False),  # another agent's lock elsewhere does not matter
        ((U, 9, 8, -1), False),
        ((L, 11, 10, -1), False),
        ((S, 11, 10, 2), False),  # RESOLVED releases the lock
        ((L, 11, 10, -1), False),  # and a new lock opens a new session
        ((U, 11, 10, -1), False),
    ]
    cols = np.array([r for r, _ in rows]).T
    events = {"type": cols[0], "conv": cols[1], "user": cols[2], "status": cols[3]}
    assert released_unlocks(events).tolist() == [drop for _, drop in rows]
    # no lock at all (a tiny demo whose conversations the bots resolve), no event at all
    only = {
        "type": np.array([S, U]),
        "conv": np.array([0, 0]),
        "user": np.array([-1, 3]),
        "status": np.array([2, -1]),
    }
    assert released_unlocks(only).tolist() == [False, True]
    assert released_unlocks({k: np.zeros(0, np.int64) for k in events}).size == 0


def test_chunked_writing_gives_the_same_bytes(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Big dumps are formatted in chunks; chunk boundaries must not show in the files."""
    import sparkdesk.demo.writing as writing

    whole = write_demo(tmp_path / "whole", conversations=300, seed=3)
    monkeypatch.setattr(writing, "CHUNK_ROWS", 97)
    chunked = write_demo(tmp_path / "chunked", conversations=300, seed=3)
    _same_files(whole, chunked)


def test_every_export_has_rows_on_the_demo() -> None:
    """The demo is what users see first: every one of the twelve exports must show something."""
    from sparkdesk.catalogue import EXPORTS
    from sparkdesk.dump import load_dumps
    from sparkdesk.exports import ExportParams, compute

    dump = load_dumps([bundled_demo_path()])
    assert len(EXPORTS) == 12
    for tz in ("Europe/Madrid", "America/New_York"):
        for export in EXPORTS:
            frame = compute(dump, ExportParams(type=export.id, tz=tz))
            assert len(frame) > 0, (export.id, tz)


def test_demo_figures_are_not_trivial() -> None:
    """The figures people look at first have values: FRT, locks of every class, CSAT, bots, queues."""
    from sparkdesk.dump import load_dumps
    from sparkdesk.exports import ExportParams, compute

    dump = load_dumps([bundled_demo_path()])

    def export(type_id: str) -> pd.DataFrame:
        return compute(dump, ExportParams(type=type_id, tz="Europe/Madrid"))

    resolved = export("resolved-conversation")
    for col in ("first_response_time", "resolution_time", "csat_score", "csat_answer"):
        assert resolved[col].notna().any(), col
    assert (resolved.topic_ids.fillna("").str.contains(", ")).any()  # several current topics
    assert set(export("open-conversation").current_status) == {"NEW", "PENDING"}
    user = export("user")
    for col in ("handle_time", "no_reply_time", "cherry_picking_time", "away_time", "resolves_without_reply"):
        assert (user[col] > 0).any(), col
    assert user.utilization.notna().any()
    va = export("virtual-agent")
    assert (va.handover_by_error > 0).any() and (va.resolved > 0).any() and (va.message_tags > 0).any()
    started = set(export("response-times").started_by)
    assert started >= {
        "NEW_INBOUND_MESSAGE",
        "VA_HANDED_OVER_CONVERSATION",
        "AR_HANDED_OVER_CONVERSATION",
        "REOPENED_BY_CONTACT",
        "MOVED_BY_AGENT",
        "OUTBOUND_BY_AGENT",
    }
    assert (export("tag").current_messages < export("tag").total_messages).any()  # tags removed
    assert (export("topic").current_conversations < export("topic").total_conversations).any()
    assert (export("team").avg_first_response_time.notna()).all()
