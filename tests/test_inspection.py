"""One report of a dump's problems: the reader's and the lock sessions' warnings, from the core.

``sparkdesk inspect`` (text and --json) and the window's import report list the lines of
``sparkdesk.inspection.DumpReport.problems``; the window's side is in test_gui_report.py.
"""

from __future__ import annotations

import json

import dumpkit as k

from sparkdesk.cli import inspect_summary, main
from sparkdesk.exports import lock_warnings
from sparkdesk.exports.facts import facts_for
from sparkdesk.inspection import LOCK_WARNINGS, PROBLEM_COLUMNS, DumpReport, dump_report

LOCK_TABLES = {
    "conversations": [
        k.conv("c1", k.at("09:00:00.000")),
        k.conv("c2", k.at("09:00:00.000")),
        k.conv("c3", "2025-03-10T09:00:00"),  # no offset: read as UTC, a warning of the reader
    ],
    "messages": [k.inbound("m1", "c1", k.at("09:01:00.000")), k.inbound("m2", "c2", k.at("09:01:00.000"))],
    "conversation_events": [
        k.lock("c1", k.at("10:00:00.000"), "u1", "t1"),
        k.unlock("c1", k.at("10:10:00.000"), "u1", "t1"),
        k.unlock("c1", k.at("10:20:00.000"), "u1", "t1"),  # no open session: ignored, a warning
        k.lock("c2", k.at("11:00:00.000"), "u2", "t1"),  # never closed: open at the snapshot
    ],
}


def lock_dump(tmp_path):
    return k.make(tmp_path, LOCK_TABLES)


def test_the_report_lists_the_readers_warnings_then_the_lock_warnings(tmp_path):
    dump = lock_dump(tmp_path)
    report = dump_report(dump)
    assert report.imported is dump.report
    assert report.lock_warnings == {"unpaired_unlocked": 1, "open_at_snapshot": 1}
    problems = report.problems()
    assert list(problems.columns) == PROBLEM_COLUMNS
    rows = [tuple(r) for r in problems.itertuples(index=False)]
    reader = [tuple(r) for r in dump.report.reason_counts().itertuples(index=False)]
    assert len(reader) == 1 and reader[0][:2] == ("conversations", "warning")
    assert rows == [
        *reader,
        ("conversation_events", "warning", LOCK_WARNINGS["unpaired_unlocked"], 1),
        ("conversation_events", "warning", LOCK_WARNINGS["open_at_snapshot"], 1),
    ]
    assert report.warning_count == len(dump.report.warnings) + 2
    # another language's sentences: the same lines, their reasons replaced
    other = report.problems({"unpaired_unlocked": "uno", "open_at_snapshot": "dos"})
    assert list(other["reason"].iloc[-2:]) == ["uno", "dos"]
    assert other.drop(columns="reason").equals(problems.drop(columns="reason"))


def test_without_lock_sessions_checked_the_report_is_the_readers(tmp_path):
    dump = lock_dump(tmp_path)
    report = DumpReport(dump.report)
    assert report.problems().equals(dump.report.reason_counts())
    assert report.warning_count == len(dump.report.warnings)


def test_a_clean_dump_has_no_problem_lines(tmp_path):
    dump = k.make(tmp_path, {"conversations": [k.conv("c1", k.at("09:00:00.000"))]})
    problems = dump_report(dump).problems()
    assert len(problems) == 0 and list(problems.columns) == PROBLEM_COLUMNS


def test_inspect_prints_the_reports_lines(tmp_path, capsys):
    dump = lock_dump(tmp_path)
    expected = [
        {"table": r.table, "kind": r.kind, "reason": r.reason, "count": int(r.count)}
        for r in dump_report(dump).problems().itertuples(index=False)
    ]
    assert inspect_summary(dump)["problems"] == expected
    folder = str(tmp_path / "dump")
    assert main(["inspect", folder, "--json", "--no-cache"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == expected
    assert main(["inspect", folder, "--no-cache"]) == 0
    text = capsys.readouterr().out
    for p in expected:
        assert f"  {p['table']}: {p['count']} {p['kind']}: {p['reason']}" in text


def test_lock_warnings_are_a_definition_beside_the_lock_sessions(tmp_path):
    """Computing the lock sessions sets nothing else; the warnings are derived from them."""
    dump = lock_dump(tmp_path)
    facts = facts_for(dump)
    sessions = facts.lock_sessions
    assert "lock_warnings" not in vars(facts)
    assert facts.lock_warnings == {"unpaired_unlocked": 1, "open_at_snapshot": 1}
    assert list(sessions["closed_by"]) == ["unlock", "snapshot"]
    assert lock_warnings(dump) == facts.lock_warnings


def test_the_report_reports_progress_up_to_one(tmp_path):
    dump = lock_dump(tmp_path)
    seen: list[tuple[float, str]] = []
    dump_report(dump, progress=lambda f, t: seen.append((f, t)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(t == "Checking lock sessions" for _, t in seen)
