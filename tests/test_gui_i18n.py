"""The Spanish translation: complete, up to date with the sources, compiled, and switchable."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QTranslator
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QLineEdit,
)

from sparkdesk.catalogue import EXPORTS
from sparkdesk.gui import i18n
from sparkdesk.gui.i18n import Translations
from sparkdesk.gui.paths import i18n_dir

ROOT = Path(__file__).resolve().parents[1]
TS = i18n_dir() / "sparkdesk_es.ts"
QM = i18n_dir() / "sparkdesk_es.qm"
SOURCES = sorted((ROOT / "sparkdesk" / "gui").glob("*.py"))


def messages(ts: Path) -> list[tuple[str, str, ET.Element]]:
    out = []
    for ctx in ET.parse(ts).getroot().iter("context"):
        name = ctx.findtext("name") or ""
        for m in ctx.iter("message"):
            out.append((name, m.findtext("source") or "", m.find("translation")))
    return out


def _lupdate() -> str:
    exe = Path(sys.executable).with_name("pyside6-lupdate")
    return str(exe) if exe.exists() else (shutil.which("pyside6-lupdate") or "")


def test_every_string_has_a_finished_spanish_translation():
    msgs = messages(TS)
    assert len(msgs) > 150
    bad = [(c, s) for c, s, t in msgs if t is None or not (t.text or "").strip() or t.get("type")]
    assert bad == [], f"untranslated, unfinished or obsolete entries: {bad[:10]}"
    assert all(c for c, _, _ in msgs), "a string without a context cannot be found at run time"
    # placeholders survive translation
    for _c, s, t in msgs:
        for ph in ("%1", "%2", "%3"):
            assert (ph in s) == (ph in t.text), (s, t.text)


@pytest.mark.skipif(not _lupdate(), reason="pyside6-lupdate not installed")
def test_translation_source_lists_every_string_of_the_code(tmp_path):
    fresh = tmp_path / "fresh.ts"
    subprocess.run(
        [_lupdate(), *map(str, SOURCES), "-ts", str(fresh), "-no-obsolete", "-locations", "none"],
        check=True,
        capture_output=True,
    )
    in_code = {(c, s) for c, s, _ in messages(fresh)}
    shipped = {(c, s) for c, s, _ in messages(TS)}
    assert in_code - shipped == set(), "strings missing from sparkdesk_es.ts (run pyside6-lupdate)"
    assert shipped - in_code == set(), "sparkdesk_es.ts has strings the code no longer uses"


def test_compiled_qm_matches_the_ts(qapp):
    tr = QTranslator()
    assert tr.load(str(QM))
    for context, source, t in messages(TS):
        assert tr.translate(context, source) == t.text, (context, source)


def test_language_follows_the_system_locale(monkeypatch):
    monkeypatch.setattr(i18n.QLocale, "system", staticmethod(lambda: QLocale("es_MX")))
    assert i18n.system_language() == "es"
    monkeypatch.setattr(i18n.QLocale, "system", staticmethod(lambda: QLocale("de_DE")))
    assert i18n.system_language() == "en"


def visible_texts(widget) -> list[str]:
    texts = []
    for w in widget.findChildren(QLabel) + widget.findChildren(QAbstractButton):
        if w.isVisibleTo(widget) and w.text():
            texts.append(w.text())
    texts += [g.title() for g in widget.findChildren(QGroupBox) if g.title()]
    texts += [e.placeholderText() for e in widget.findChildren(QLineEdit) if e.placeholderText()]
    for menu in widget.menuBar().actions():
        texts.append(menu.text())
        texts += [a.text() for a in menu.menu().actions() if a.text()]
    return texts


def test_switching_to_spanish_in_the_menu_translates_the_window(qtbot):
    from sparkdesk.gui import settings as settings_mod
    from sparkdesk.gui.window import MainWindow

    translations = Translations.for_app(QApplication.instance())
    translations.set_language("en")
    w = MainWindow(settings_mod.Settings())
    qtbot.addWidget(w)
    w.show()
    english = {s for _c, s, _t in messages(TS)}
    spanish = {s: t.text for _c, s, t in messages(TS)}
    assert w.menu_file.title() == "&File"
    try:
        w.lang_actions["es"].trigger()
        assert translations.lang == "es" and w.settings.ui_lang == "es"
        assert w.menu_file.title() == "&Archivo"
        assert w.options.generate_button.text() == "&Generar"
        assert w.options.type_combo.itemText(0) == EXPORTS[0].name("es")
        assert (
            w.options.type_desc.text() == "Una fila por conversación resuelta por primera vez en el período."
        )
        left_english = [t for t in visible_texts(w) if t in english and spanish[t] != t]
        assert left_english == [], f"still in English after switching: {left_english}"
        w.lang_actions["en"].trigger()
        assert w.menu_file.title() == "&File" and w.options.type_combo.itemText(0) == EXPORTS[0].name("en")
    finally:
        translations.set_language("en")
        w.close()


def test_the_window_check_would_notice_an_untranslated_panel(qtbot, monkeypatch):
    """Guard for the test above: a panel that forgets to retranslate is caught."""
    from sparkdesk.gui import settings as settings_mod
    from sparkdesk.gui.options import OptionsPanel
    from sparkdesk.gui.window import MainWindow

    translations = Translations.for_app(QApplication.instance())
    translations.set_language("en")
    w = MainWindow(settings_mod.Settings())
    qtbot.addWidget(w)
    assert len(visible_texts(w)) > 40
    monkeypatch.setattr(OptionsPanel, "retranslate", lambda self: None)
    english = {s for _c, s, _t in messages(TS)}
    try:
        translations.set_language("es")
        w.retranslate()
        assert [t for t in visible_texts(w) if t in english and t not in ("SparkDesk",)]
    finally:
        translations.set_language("en")
        w.close()
