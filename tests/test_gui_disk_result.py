"""The window shows a result too large for memory from disk (issue 14, item 4), driven as a
user would: the bundled demo opened again from its saved copy, the message export generated
within a memory limit that computes it in parts but cannot hold its rows.

The grid reads the cells of the in-memory result; a header click and the filter box say in
one sentence that such a result is not sorted or filtered here, and change nothing; Save
writes the bytes of ``sparkdesk export`` with the same limit; the scratch file goes when the
result is replaced and when the window closes.
"""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.modeltest import ModelTester

from sparkdesk.cli import main
from sparkdesk.dump import load_dumps, wait_for_saves
from sparkdesk.exports import compute, registry
from sparkdesk.exports.plan import estimate_part
from sparkdesk.gui import jobs
from sparkdesk.gui import settings as settings_mod
from sparkdesk.gui.busy import Slot
from sparkdesk.gui.i18n import Translations
from sparkdesk.gui.models import FrameModel
from sparkdesk.gui.window import MainWindow
from sparkdesk.resources import bundled_demo_path

TZ = "Europe/Madrid"
SENTENCE = (
    "This result is too large for memory to sort or filter here; save it and open it in a "
    "spreadsheet or database."
)


@pytest.fixture(scope="module")
def limit() -> int:
    """The limit of tests/test_exports_ondisk.py's ``disk_limit`` (checked there to refuse
    the held rows and to cut parts), for the demo dump read from its saved copy."""
    paths = [bundled_demo_path()]
    load_dumps(paths)
    assert wait_for_saves(60)
    cached = load_dumps(paths)
    assert cached.store is not None
    return estimate_part(cached, 0.4, "message")


@pytest.fixture
def window(qtbot, limit):
    Translations.for_app(QApplication.instance()).set_language("en")
    w = MainWindow(settings_mod.Settings(tz=TZ), memory_limit=limit)
    qtbot.addWidget(w)
    w.resize(1280, 720)
    w.show()
    qtbot.waitExposed(w)
    with qtbot.waitSignal(w.dumps_ready, timeout=60_000):
        w.open_demo()
    assert w.dump.store is not None, "the demo came from its saved copy"
    yield w
    w.runner.shutdown()


def choose_type(qtbot, w: MainWindow, type_id: str) -> None:
    combo = w.options.type_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.findData(type_id)):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert w.options.type_id() == type_id


def generate(qtbot, w: MainWindow) -> None:
    with qtbot.waitSignal(w.result_ready, timeout=60_000):
        qtbot.mouseClick(w.options.generate_button, Qt.MouseButton.LeftButton)


def scratch_files() -> list[Path]:
    return list(jobs.result_folder().glob(".sparkdesk-result-*/*"))


def click_header(qtbot, w: MainWindow, column: int) -> None:
    header = w.preview.view.horizontalHeader()
    x = header.sectionViewportPosition(column) + 5
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))


def xlsx_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist() if name != "docProps/core.xml"}


def test_the_grid_shows_the_result_from_disk_with_the_cells_of_the_result_in_memory(
    qtbot, window, demo_dump, tmp_path
):
    choose_type(qtbot, window, "message")
    generate(qtbot, window)
    m = window.preview.model
    assert m.on_disk and jobs.on_disk(window.result)
    [scratch] = scratch_files()
    assert scratch.name == "result.arrow"
    ModelTester(qtbot).check(m)
    # the cells of the same export held in memory, formatted by the grid's own formatter
    params = window.result.params
    assert (params.type, params.tz) == ("message", TZ)
    held = FrameModel()
    held.set_frame(compute(demo_dump, params), kinds=m.kinds, formatter=m.formatter)
    n = held.rowCount()
    assert m.rowCount() == m.total_rows == n == 4942 and m.columnCount() == held.columnCount() == 26
    for rows in (range(0, 3), range(n // 2 - 1, n // 2 + 2), range(n - 3, n)):
        for c in range(m.columnCount()):
            assert m.texts(rows, c) == held.texts(rows, c)
            assert [m.data(m.index(r, c)) for r in rows] == held.texts(rows, c)
    assert window.preview.model.headerData(0, Qt.Orientation.Horizontal) == "Message ID"
    assert window.status_label.text().startswith("4,942 rows × 26 columns · computed in")
    assert window.message_bar.isVisible() and window.message_bar.text.text() == SENTENCE
    window.grab().save(str(tmp_path / "disk-result.png"))


def test_sort_and_filter_say_so_and_change_nothing(qtbot, window):
    choose_type(qtbot, window, "message")
    generate(qtbot, window)
    m = window.preview.model
    before = [m.texts(range(0, 5), c) for c in (0, 1)]
    window.message_bar.hide()
    click_header(qtbot, window, 1)  # Created At
    assert window.message_bar.isVisible() and window.message_bar.text.text() == SENTENCE
    assert m.sort_column == -1 and not window.preview.view.horizontalHeader().isSortIndicatorShown()
    assert [m.texts(range(0, 5), c) for c in (0, 1)] == before
    assert not window.runner.busy(Slot.SORT)
    edit = window.preview.filter_edit
    assert not edit.isEnabled() and edit.toolTip() == SENTENCE
    window.message_bar.hide()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # Edit ▸ Find
    assert window.message_bar.isVisible() and window.message_bar.text.text() == SENTENCE
    assert m.rowCount() == 4942
    # the next result that fits in memory sorts and filters again
    choose_type(qtbot, window, "user")
    generate(qtbot, window)
    assert not m.on_disk and edit.isEnabled() and scratch_files() == []  # replaced: its file went


def test_save_writes_the_bytes_of_the_command_line_and_close_removes_the_scratch_file(
    qtbot, window, limit, tmp_path, monkeypatch
):
    choose_type(qtbot, window, "message")
    generate(qtbot, window)
    assert len(scratch_files()) == 1
    for fmt in ("csv", "xlsx", "parquet"):
        ours = tmp_path / f"window.{fmt}"
        monkeypatch.setattr(
            QFileDialog, "getSaveFileName", staticmethod(lambda *a, p=ours, **k: (str(p), ""))
        )
        with qtbot.waitSignal(window.saved, timeout=60_000):
            qtbot.keyClick(window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        theirs = tmp_path / f"cli.{fmt}"
        argv = ["export", str(bundled_demo_path()), "--type", "message", "--tz", TZ, "--out", str(theirs)]
        assert main([*argv, "--memory-limit", f"{limit // 1024}KiB"]) == 0
        if fmt == "xlsx":
            assert xlsx_parts(ours) == xlsx_parts(theirs)
        else:
            assert ours.read_bytes() == theirs.read_bytes(), fmt
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{who}.{fmt}" for who in ("window", "cli") for fmt in ("csv", "xlsx", "parquet")
    )
    window.close()
    assert scratch_files() == [] and window.result is None


def test_cancel_while_the_result_is_written_to_disk_leaves_no_scratch_file(qtbot, window, monkeypatch):
    """Cancel pressed while the parts are merged into the result file: nothing stays."""
    reached, pressed = threading.Event(), threading.Event()
    real = registry.write_result

    def write_result(*args):
        reached.set()
        assert pressed.wait(30)  # the merge goes on once Cancel was pressed
        return real(*args)

    monkeypatch.setattr(registry, "write_result", write_result)
    choose_type(qtbot, window, "message")
    qtbot.mouseClick(window.options.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(reached.is_set, timeout=60_000)
    assert len(list(jobs.result_folder().glob(".sparkdesk-result-*"))) == 1  # being written
    with qtbot.waitSignal(window.generate_cancelled, timeout=30_000):
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        pressed.set()
    qtbot.waitUntil(lambda: not window.is_busy(), timeout=5000)
    assert window.result is None and list(jobs.result_folder().iterdir()) == []
