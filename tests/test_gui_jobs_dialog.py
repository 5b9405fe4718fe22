"""Saved export jobs in the window, driven as a user would: File ▸ Save as Job…, then the
Jobs dialog (File ▸ Jobs…): the job listed, run now on the pool, its receipt's status,
scheduled and unscheduled (systemd units in the test's own XDG_CONFIG_HOME)."""

from __future__ import annotations

import csv
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from sparkdesk.catalogue import export_type
from sparkdesk.gui import jobs as gui_jobs
from sparkdesk.gui import settings as settings_mod
from sparkdesk.gui.i18n import Translations
from sparkdesk.gui.jobs_dialog import FIXED, JobsDialog, SaveJobDialog
from sparkdesk.gui.window import MainWindow
from sparkdesk.jobs import load_job, user_jobs_dir
from sparkdesk.jobs import schedule as schedule_mod
from sparkdesk.tasks import Cancelled

TZ = "Europe/Madrid"
TIMEOUT = 60_000


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory) -> Path:
    from sparkdesk.demo import write_demo

    return Path(write_demo(tmp_path_factory.mktemp("demo") / "acme", conversations=120, seed=4))


@pytest.fixture
def window(qtbot, tmp_path, demo_dir):
    Translations.for_app(QApplication.instance()).set_language("en")
    w = MainWindow(settings_mod.Settings(tz=TZ, last_dir=str(tmp_path / "reports")))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.runner.shutdown()


def load(qtbot, w: MainWindow, demo_dir: Path) -> None:
    with qtbot.waitSignal(w.dumps_ready, timeout=TIMEOUT):
        w.add_dumps([[str(demo_dir)]])


def save_job_dialog(w: MainWindow) -> SaveJobDialog:
    w.act_save_job.trigger()
    dialog = w.jobs_ui.save_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def click_save(qtbot, dialog: SaveJobDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)


def pick(combo, key) -> None:
    combo.setCurrentIndex(combo.findData(key))


def test_save_as_job_needs_a_dump(window):
    assert not window.act_save_job.isEnabled()
    window.jobs_ui.save_as_job()  # as the menu would if it were enabled
    assert window.jobs_ui.save_dialog is None
    assert "Open a dump first" in window.message_bar.text.text()


def test_a_job_saved_from_the_window_holds_the_choices(qtbot, window, demo_dir, tmp_path):
    load(qtbot, window, demo_dir)
    window.options.set_type("user")
    window.options.lang_combo.setCurrentIndex(window.options.lang_combo.findData("es"))
    window.options.bom_check.setChecked(False)
    assert window.act_save_job.isEnabled()
    dialog = save_job_dialog(window)
    assert dialog.range_combo.currentData() == FIXED  # the days chosen now, by default
    qtbot.keyClicks(dialog.name_edit, "Weekly Madrid report")
    assert dialog.path_edit.text() == str(user_jobs_dir() / "weekly-madrid-report.toml")
    pick(dialog.range_combo, "last-week")
    assert dialog.week_combo.isEnabled()
    pick(dialog.week_combo, "sunday")
    pick(dialog.format_combo, "xlsx")
    dialog.all_types.setChecked(True)
    with qtbot.waitSignal(window.jobs_ui.job_saved) as saved:
        click_save(qtbot, dialog)
    path = Path(saved.args[0])
    assert path == user_jobs_dir() / "weekly-madrid-report.toml" and not dialog.isVisible()
    job = load_job(path)
    assert job.name == "Weekly Madrid report"
    assert job.dumps == (str(demo_dir),)
    assert (job.types, job.range, job.week_starts, job.tz) == (("all",), "last-week", "sunday", TZ)
    assert (job.format, job.lang, job.out_dir) == ("xlsx", "es", str(tmp_path / "reports"))
    assert (job.options.bom, job.options.content, job.options.formula_guard) == (False, True, True)
    assert job.options.time_format == "local" and job.channels == ()
    assert str(path) in window.message_bar.text.text()


def test_a_value_the_job_refuses_stays_in_the_dialog(qtbot, window, demo_dir):
    load(qtbot, window, demo_dir)
    dialog = save_job_dialog(window)
    dialog.out_edit.clear()
    click_save(qtbot, dialog)
    assert dialog.isVisible() and "out_dir" in dialog.error_label.text()
    assert not user_jobs_dir().exists() or not any(user_jobs_dir().glob("*.toml"))


def test_jobs_dialog_lists_runs_and_schedules_a_job(qtbot, window, demo_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(
        schedule_mod,
        "run_command",
        lambda args: subprocess.CompletedProcess(args, 1, "", "Failed to connect to bus: No medium found"),
    )
    load(qtbot, window, demo_dir)
    window.options.set_type("user")
    dialog = save_job_dialog(window)
    qtbot.keyClicks(dialog.name_edit, "Users")
    first, last = dialog.fixed_days
    with qtbot.waitSignal(window.jobs_ui.job_saved):
        click_save(qtbot, dialog)
    job_path = str(dialog.saved_path)

    window.act_jobs.trigger()
    jobs = window.jobs_ui.jobs_dialog
    assert isinstance(jobs, JobsDialog) and jobs.isVisible()
    users = export_type("user").name("en")
    assert jobs.row_texts(job_path) == ["Users", f"{first} – {last}", users, "not scheduled", "never run"]
    assert jobs.selected_path() == job_path and jobs.run_button.isEnabled()
    assert not jobs.unschedule_button.isEnabled()

    with qtbot.waitSignal(jobs.run_finished, timeout=TIMEOUT) as ran:
        qtbot.mouseClick(jobs.run_button, Qt.MouseButton.LeftButton)
        assert jobs.progress.isVisible() and not jobs.run_button.isEnabled()  # on the pool
    receipt = ran.args[0]
    assert receipt.ok, receipt.error
    (output,) = receipt.outputs
    assert output.path == tmp_path / "reports" / f"user_{first}_{last}.csv"
    with open(output.path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) - 1 == output.rows["user"] > 0
    assert jobs.row_texts(job_path)[4].startswith("ok, ")
    assert "1 file(s) written" in jobs.status_label.text() and not jobs.progress.isVisible()

    qtbot.mouseClick(jobs.schedule_button, Qt.MouseButton.LeftButton)
    asked = jobs.schedule_dialog
    pick(asked.every_combo, "weekly")
    pick(asked.day_combo, "friday")
    asked.at_edit.setTime(QTime(6, 30))
    with qtbot.waitSignal(jobs.schedule_changed, timeout=TIMEOUT):
        qtbot.mouseClick(asked.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    assert jobs.row_texts(job_path)[3] == "every Friday at 06:30"
    assert "cannot be reached now" in jobs.status_label.text()
    units = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"
    name = schedule_mod.job_name(Path(job_path))
    assert "OnCalendar=Fri *-*-* 06:30:00" in (units / f"{name}.timer").read_text()
    assert jobs.unschedule_button.isEnabled()

    with qtbot.waitSignal(jobs.schedule_changed, timeout=TIMEOUT):
        qtbot.mouseClick(jobs.unschedule_button, Qt.MouseButton.LeftButton)
    assert jobs.row_texts(job_path)[3] == "not scheduled"
    assert not (units / f"{name}.timer").exists()


def test_a_failed_run_shows_its_sentence(qtbot, window, demo_dir, tmp_path):
    folder = user_jobs_dir()
    folder.mkdir(parents=True)
    job = folder / "gone.toml"
    job.write_text(
        f'dumps = ["{tmp_path / "no-such-dump"}"]\ntypes = ["user"]\nrange = "yesterday"\nout_dir = "{tmp_path}"\n',
        encoding="utf-8",
    )
    (folder / "broken.toml").write_text("types = [\n", encoding="utf-8")
    window.act_jobs.trigger()
    jobs = window.jobs_ui.jobs_dialog
    broken = jobs.row_texts(folder / "broken.toml")
    assert broken[0] == "broken" and broken[4].startswith("cannot be read: ")
    assert jobs.select(folder / "broken.toml") and not jobs.run_button.isEnabled()
    assert jobs.select(job)
    with qtbot.waitSignal(jobs.run_finished, timeout=TIMEOUT) as ran:
        qtbot.mouseClick(jobs.run_button, Qt.MouseButton.LeftButton)
    assert not ran.args[0].ok
    status = jobs.row_texts(job)[4]
    assert status.startswith("failed, ") and "no-such-dump" in status
    assert "no-such-dump" in jobs.status_label.text()


def test_cancel_stops_a_run(qtbot, window, monkeypatch):
    started = threading.Event()
    limits = []

    def slow_run(path, progress=None, cancel=None, memory_limit=None):
        limits.append(memory_limit)  # the window's, from Preferences
        started.set()
        progress(0.25, "reading")
        while not cancel.cancelled:
            time.sleep(0.01)
        raise Cancelled()

    monkeypatch.setattr(gui_jobs, "run_job_file", slow_run)
    folder = user_jobs_dir()
    folder.mkdir(parents=True)
    (folder / "slow.toml").write_text(
        'dumps = ["d"]\ntypes = ["user"]\nrange = "yesterday"\nout_dir = "o"\n', encoding="utf-8"
    )
    window.act_jobs.trigger()
    jobs = window.jobs_ui.jobs_dialog
    jobs.run_selected()
    assert started.wait(10)
    assert jobs.cancel_button.isVisible()
    with qtbot.waitSignal(jobs.run_failed, timeout=TIMEOUT) as failed:
        qtbot.mouseClick(jobs.cancel_button, Qt.MouseButton.LeftButton)
    assert failed.args == ["The run was cancelled."]
    assert not jobs.cancel_button.isVisible() and jobs.run_button.isEnabled()
    assert limits == [window.memory_limit()] and limits[0] > 0


def test_open_folder_opens_the_jobs_folder(window, monkeypatch):
    opened = []
    monkeypatch.setattr("sparkdesk.gui.jobs_dialog.QDesktopServices.openUrl", lambda url: opened.append(url))
    window.act_jobs.trigger()
    jobs = window.jobs_ui.jobs_dialog
    assert jobs.empty_label.isVisibleTo(jobs) and not jobs.run_button.isEnabled()
    jobs.folder_button.click()
    assert [u.toLocalFile() for u in opened] == [str(user_jobs_dir())] and user_jobs_dir().is_dir()


def test_the_dialogs_follow_the_language(qtbot, window, demo_dir):
    load(qtbot, window, demo_dir)
    dialog = save_job_dialog(window)
    window.act_jobs.trigger()
    jobs = window.jobs_ui.jobs_dialog
    try:
        window.lang_actions["es"].trigger()
        assert window.act_save_job.text() == "Guardar co&mo tarea…"
        # the dialogs retranslate on Qt's LanguageChange event, delivered by the event loop
        qtbot.waitUntil(lambda: dialog.windowTitle() == "Guardar como tarea")
        qtbot.waitUntil(lambda: jobs.windowTitle() == "Tareas")
        assert dialog.range_combo.itemText(dialog.range_combo.findData("last-week")) == "La semana pasada"
        assert jobs.run_button.text() == "&Ejecutar ahora"
        assert jobs.tree.headerItem().text(4) == "Última ejecución"
    finally:
        window.lang_actions["en"].trigger()
    qtbot.waitUntil(lambda: jobs.run_button.text() == "&Run Now")
