"""The window's memory limit (cli.md's --memory-limit): Edit ▸ Preferences, driven as a user
would; kept with the settings; given to every compute; a limit too small is said in the
message bar; ``gui --memory-limit`` sets it for the session."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox

import sparkdesk.exports
from sparkdesk import memory
from sparkdesk.gui import settings as settings_mod
from sparkdesk.gui.i18n import Translations
from sparkdesk.gui.window import MainWindow
from sparkdesk.memory import MemoryLimitTooSmall

GIB, MIB = 1024**3, 1024**2


@pytest.fixture
def sixteen_gib(monkeypatch):
    """This computer has 16 GiB: automatic is 8 GiB."""
    monkeypatch.setattr(memory, "physical_memory", lambda: 16 * GIB)


def make_window(qtbot, settings=None, **kw) -> MainWindow:
    Translations.for_app(QApplication.instance()).set_language("en")
    w = MainWindow(settings if settings is not None else settings_mod.Settings(tz="UTC"), **kw)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def open_preferences(qtbot, window: MainWindow):
    window.act_preferences.trigger()  # Edit ▸ Preferences…
    dialog = window.preferences_dialog
    qtbot.waitExposed(dialog)
    return dialog


def press(qtbot, dialog, button) -> None:
    qtbot.mouseClick(dialog.buttons.button(button), Qt.MouseButton.LeftButton)


def type_size(qtbot, dialog, number: str, unit: str) -> None:
    """Check Limit, type the number over the old one, pick the unit with the keyboard."""
    qtbot.mouseClick(dialog.custom_radio, Qt.MouseButton.LeftButton)
    spin = dialog.size_spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, number)
    combo = dialog.unit_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)  # MiB
    if unit == "GiB":
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == unit


def test_automatic_is_half_of_the_memory_until_the_user_sets_a_limit(qtbot, sixteen_gib):
    w = make_window(qtbot)
    assert w.memory_limit() == 8 * GIB
    dialog = open_preferences(qtbot, w)
    assert dialog.auto_radio.isChecked()
    assert dialog.auto_radio.text() == "&Automatic: half of this computer's memory (8 GiB)"
    assert not dialog.size_spin.isEnabled() and not dialog.session_note.isVisibleTo(dialog)
    type_size(qtbot, dialog, "2.5", "GiB")
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert w.memory_limit() == 2_684_354_560  # 2.5 × 1024³
    assert settings_mod.load().memory_limit == 2_684_354_560  # kept for the next run
    # and back to automatic, in MiB on the way
    dialog = open_preferences(qtbot, w)
    assert dialog.custom_radio.isChecked() and dialog.size_spin.value() == 2.5
    type_size(qtbot, dialog, "700", "MiB")
    qtbot.mouseClick(dialog.auto_radio, Qt.MouseButton.LeftButton)
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)
    assert settings_mod.load().memory_limit == 0 and w.memory_limit() == 8 * GIB


def test_cancel_changes_nothing(qtbot, sixteen_gib):
    w = make_window(qtbot, settings_mod.Settings(tz="UTC", memory_limit=3 * GIB))
    dialog = open_preferences(qtbot, w)
    assert dialog.custom_radio.isChecked() and dialog.size_spin.value() == 3.0
    type_size(qtbot, dialog, "100", "MiB")
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    assert w.memory_limit() == 3 * GIB and w.settings.memory_limit == 3 * GIB


def test_the_command_line_sets_the_limit_for_the_session_only(qtbot, sixteen_gib):
    saved = settings_mod.Settings(tz="UTC", memory_limit=GIB)
    w = make_window(qtbot, saved, memory_limit=1536 * MIB)
    assert w.memory_limit() == 1536 * MIB
    dialog = open_preferences(qtbot, w)
    assert dialog.custom_radio.isChecked()
    assert (dialog.size_spin.value(), dialog.unit_combo.currentText()) == (1.5, "GiB")
    assert dialog.session_note.isVisibleTo(dialog)
    assert dialog.session_note.text() == "For this session, the command line set the limit to 1.5 GiB."
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    assert w.settings.memory_limit == GIB  # the saved setting is not overwritten
    dialog = open_preferences(qtbot, w)
    press(qtbot, dialog, QDialogButtonBox.StandardButton.Ok)  # the user keeps it: now saved
    assert settings_mod.load().memory_limit == 1536 * MIB and w.memory_limit() == 1536 * MIB


def test_a_setting_that_is_not_a_size_is_automatic(tmp_path, sixteen_gib, qtbot):
    path = tmp_path / "settings.json"
    path.write_text('{"version": 1, "settings": {"memory_limit": "lots"}}', encoding="utf-8")
    assert settings_mod.load(path).memory_limit == 0
    w = make_window(qtbot, settings_mod.Settings(tz="UTC", memory_limit=-5))
    assert w.memory_limit() == 8 * GIB


def test_the_preferences_speak_spanish(qtbot, sixteen_gib):
    w = make_window(qtbot)
    translations = Translations.for_app(QApplication.instance())
    try:
        w.lang_actions["es"].trigger()
        dialog = open_preferences(qtbot, w)
        assert dialog.windowTitle() == "Preferencias"
        assert dialog.auto_radio.text() == "&Automático: la mitad de la memoria de este equipo (8 GiB)"
        assert w.act_preferences.text() == "&Preferencias…"
        press(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    finally:
        translations.set_language("en")


# -- the limit reaches the core, and its refusal the message bar -----------------------------
@pytest.fixture
def loaded(qtbot, sixteen_gib):
    w = make_window(qtbot, settings_mod.Settings(tz="UTC", memory_limit=3 * GIB))
    with qtbot.waitSignal(w.dumps_ready, timeout=60_000):
        w.open_demo()
    yield w
    w.runner.shutdown()


def test_generate_gives_compute_the_limit(qtbot, loaded, monkeypatch):
    seen = []
    real = sparkdesk.exports.compute_or_spill

    def compute(dump, params, progress=None, cancel=None, *, memory_limit=None, folder=None):
        seen.append(memory_limit)
        return real(dump, params, progress, cancel, memory_limit=memory_limit, folder=folder)

    monkeypatch.setattr(sparkdesk.exports, "compute_or_spill", compute)
    with qtbot.waitSignal(loaded.result_ready, timeout=60_000):
        qtbot.mouseClick(loaded.options.generate_button, Qt.MouseButton.LeftButton)
    assert seen == [3 * GIB]


def test_a_limit_too_small_is_said_in_the_message_bar(qtbot, loaded, monkeypatch):
    def compute(dump, params, progress=None, cancel=None, *, memory_limit=None, folder=None):
        raise MemoryLimitTooSmall(1_234_567_890, memory_limit)

    monkeypatch.setattr(sparkdesk.exports, "compute_or_spill", compute)
    with qtbot.waitSignal(loaded.generate_failed, timeout=60_000) as failed:
        qtbot.mouseClick(loaded.options.generate_button, Qt.MouseButton.LeftButton)
    sentence = "A memory limit of 3 GiB is too small for this dump: use at least 1.2 GiB."
    assert failed.args == [sentence]
    bar = loaded.message_bar
    assert bar.isVisible() and bar.kind == "error" and bar.text.text() == sentence
    assert loaded._last_error_box is None  # a refusal, not an error box
    qtbot.mouseClick(bar.action, Qt.MouseButton.LeftButton)  # "Preferences…" opens them
    assert loaded.preferences_dialog is not None and loaded.preferences_dialog.isVisible()
    loaded.preferences_dialog.reject()


def test_export_all_too_says_a_limit_too_small_in_the_message_bar(qtbot, loaded, monkeypatch, tmp_path):
    def compute(dump, params, progress=None, cancel=None, *, memory_limit=None):
        raise MemoryLimitTooSmall(5 * GIB)

    monkeypatch.setattr(sparkdesk.exports, "compute", compute)
    loaded.export_all_to(str(tmp_path / "all"))
    bar = loaded.message_bar
    qtbot.waitUntil(lambda: bar.kind == "error", timeout=60_000)
    assert bar.text.text() == "The memory limit is too small for this dump: use at least 5 GiB."
    assert loaded._last_error_box is None and not (tmp_path / "all").exists()
