"""The window's Save dialog offers Parquet (issue 17): the file is the command line's."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from test_gui_window import TZ, choose_type, fake_save_dialog, generate, load, make_window

from sparkdesk import cli
from sparkdesk.catalogue import export_type
from sparkdesk.gui.window import PARQUET_FILTER

DEMO = Path(__file__).parent.parent / "resources" / "demo"


@pytest.fixture
def window(qtbot):
    w = make_window(qtbot)
    yield w
    w.runner.shutdown()


def test_the_save_dialog_lists_parquet(qtbot, window, tmp_path, monkeypatch):
    load(qtbot, window, DEMO)
    choose_type(qtbot, window, "team")
    generate(qtbot, window)
    offered = []

    def dialog(parent, caption, start, filters, selected):
        offered.extend(filters.split(";;"))
        return str(tmp_path / "teams"), PARQUET_FILTER  # no extension typed: the chosen type's

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    with qtbot.waitSignal(window.saved, timeout=30_000):
        qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert offered == ["CSV file (*.csv)", "Excel workbook (*.xlsx)", "Apache Parquet (*.parquet)"]
    ours = tmp_path / "teams.parquet"
    assert pq.read_table(ours).column_names == export_type("team").headers("en")
    first, last = window._result_range()
    theirs = tmp_path / "cli.parquet"
    args = ["export", str(DEMO), "--type", "team", "--tz", TZ, "--out", str(theirs)]
    assert cli.main([*args, "--from", str(first), "--to", str(last)]) == 0
    assert ours.read_bytes() == theirs.read_bytes()


def test_a_parquet_name_is_parquet_whatever_type_was_chosen(qtbot, window, tmp_path, monkeypatch):
    load(qtbot, window, DEMO)
    choose_type(qtbot, window, "team")
    generate(qtbot, window)
    fake_save_dialog(monkeypatch, tmp_path / "t.parquet", "CSV file (*.csv)")
    with qtbot.waitSignal(window.saved, timeout=30_000):
        window.save_dialog()
    assert pq.read_table(tmp_path / "t.parquet").num_rows > 0
