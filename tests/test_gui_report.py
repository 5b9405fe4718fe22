"""The window's import report lists what `sparkdesk inspect` lists, lock warnings included."""

from __future__ import annotations

import json
import subprocess
import sys

import dumpkit as k
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from test_inspection import LOCK_TABLES

from sparkdesk.gui import settings as settings_mod
from sparkdesk.gui.dialogs import ReportDialog
from sparkdesk.gui.i18n import Translations
from sparkdesk.gui.window import MainWindow
from sparkdesk.inspection import LOCK_WARNINGS

TIMEOUT = 60_000


@pytest.fixture
def lock_dir(tmp_path):
    """A dump with an UNLOCKED that closes no session, a session open at the snapshot and a
    warning of the reader (a time without an offset)."""
    return k.write_dump(tmp_path / "locks", {**k.BASE, **LOCK_TABLES})


@pytest.fixture
def window(qtbot):
    Translations.for_app(QApplication.instance()).set_language("en")
    w = MainWindow(settings_mod.Settings(tz="UTC"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.runner.shutdown()
    Translations.for_app(QApplication.instance()).set_language("en")


def inspect_problems(folder) -> list[list[str]]:
    r = subprocess.run(
        [sys.executable, "-m", "sparkdesk", "inspect", str(folder), "--json", "--no-cache"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return [[p["table"], p["kind"], p["reason"], str(p["count"])] for p in json.loads(r.stdout)["problems"]]


def open_report(qtbot, window: MainWindow, folder) -> ReportDialog:
    with qtbot.waitSignal(window.dumps_ready, timeout=TIMEOUT):
        window.add_dumps([str(folder)], remember=False)
    window.act_view_report.trigger()  # File ▸ View Import Report
    dlg = shown_report(window)
    qtbot.waitUntil(lambda: dlg.report.lock_warnings is not None, timeout=TIMEOUT)
    return dlg


def shown_report(window: MainWindow) -> ReportDialog:
    (dlg,) = [d for d in window.findChildren(ReportDialog) if d.isVisible()]
    return dlg


def summary_rows(dlg: ReportDialog) -> list[list[str]]:
    m = dlg.reasons_model
    columns = [m.texts(range(m.rowCount()), c) for c in range(m.columnCount())]
    return [list(r) for r in zip(*columns, strict=True)]


def test_the_windows_report_lists_the_warnings_inspect_lists(qtbot, window, lock_dir):
    dlg = open_report(qtbot, window, lock_dir)
    rows = summary_rows(dlg)
    assert rows == inspect_problems(lock_dir)
    reasons = [r[2] for r in rows]
    assert LOCK_WARNINGS["unpaired_unlocked"] in reasons and LOCK_WARNINGS["open_at_snapshot"] in reasons
    assert "2" in dlg.summary.text()  # the lock sessions add two warnings
    # the badge counts them too: the reader's warning and the two of the lock sessions
    badge = window.dump_panel.badge
    assert badge.isVisible() and "3 warnings" in badge.text()
    dlg.close()


def test_a_second_look_at_the_report_checks_nothing_again(qtbot, window, lock_dir, monkeypatch):
    open_report(qtbot, window, lock_dir).close()
    from sparkdesk.gui import jobs

    monkeypatch.setattr(jobs, "dump_report", lambda *a, **kw: pytest.fail("checked again"))
    window.act_view_report.trigger()
    dlg = shown_report(window)
    assert dlg.report.lock_warnings == {"unpaired_unlocked": 1, "open_at_snapshot": 1}
    assert len(summary_rows(dlg)) == 3


def test_in_spanish_the_lock_warnings_are_translated(qtbot, window, lock_dir):
    dlg = open_report(qtbot, window, lock_dir)
    english = summary_rows(dlg)
    window.set_ui_language("es")
    spanish = summary_rows(dlg)
    assert [r[:2] + r[3:] for r in spanish] == [r[:2] + r[3:] for r in english]
    assert spanish[0][2] == english[0][2]  # the reader's reasons are the core's English
    assert spanish[1][2] == "UNLOCKED sin una sesión abierta de ese agente en esa conversación (se ignora)"
    assert spanish[2][2] == "Sesión LOCKED aún abierta en la instantánea (se cierra allí)"
    assert "Las sesiones de bloqueo añaden 2 avisos" in dlg.summary.text()
    assert dlg.reasons_model.headerData(2, Qt.Orientation.Horizontal) == "Motivo"
    dlg.close()
