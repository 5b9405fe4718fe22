"""An export type is registered once: its catalogue entry, and one builder that says what it reads.
The small vocabularies (column kinds, header languages) are spelled once, in the catalogue.
"""

from __future__ import annotations

import csv
import inspect
from functools import cached_property

import openpyxl
import pytest

from sparkdesk import catalogue
from sparkdesk.catalogue import (
    EXPORT_IDS,
    EXPORTS,
    KIND_DTYPES,
    KINDS,
    NUMERIC_KINDS,
    TEXT_KINDS,
    export_type,
)
from sparkdesk.cli import main
from sparkdesk.exports.facts import Facts
from sparkdesk.exports.registry import BUILDERS
from sparkdesk.resources import bundled_demo_path
from sparkdesk.writers import WriteOptions


def test_every_catalogue_type_has_exactly_one_builder_and_every_builder_a_type():
    assert len(set(EXPORT_IDS)) == len(EXPORT_IDS) == 12
    assert sorted(BUILDERS) == sorted(EXPORT_IDS)


def test_a_builder_needs_only_shared_definitions_of_the_facts():
    for type_id, builder in BUILDERS.items():
        assert builder.needs, type_id
        assert len(set(builder.needs)) == len(builder.needs), type_id
        for name in builder.needs:
            assert isinstance(inspect.getattr_static(Facts, name, None), cached_property), (type_id, name)


def test_a_type_with_content_is_the_one_whose_builder_can_leave_it_out():
    for e in EXPORTS:
        takes = "include_content" in inspect.signature(BUILDERS[e.id].build).parameters
        assert takes == e.has_content, e.id
    assert [e.id for e in EXPORTS if e.has_content] == ["message"]


def test_the_window_describes_every_catalogue_type_and_kind():
    from sparkdesk.gui.help import export_description, export_help, kind_help

    for e in EXPORTS:
        assert export_description(e.id) and export_help(e.id), e.id
    assert all(kind_help(kind) for kind in KINDS)


def test_every_column_has_a_known_kind():
    assert set(KINDS) == set(KIND_DTYPES) and TEXT_KINDS | NUMERIC_KINDS < set(KINDS)
    assert {c.kind for e in EXPORTS for c in e.columns} == set(KINDS)


def test_every_header_and_name_is_given_in_each_header_language():
    assert list(catalogue.HEADER_LANGS) == ["en", "es"]
    for e in EXPORTS:
        assert list(e.name_by_lang) == list(catalogue.HEADER_LANGS), e.id
        for c in e.columns:
            assert list(c.header_by_lang) == list(catalogue.HEADER_LANGS), (e.id, c.key)


@pytest.fixture
def french(monkeypatch):
    """The catalogue with a third header language, added as a real one would be: an entry in
    HEADER_LANGS and a text in every header and export name (here the English, marked)."""
    monkeypatch.setitem(catalogue.HEADER_LANGS, "fr", "Français")
    for e in EXPORTS:
        monkeypatch.setitem(e.name_by_lang, "fr", "FR " + e.name("en"))
        for c in e.columns:
            monkeypatch.setitem(c.header_by_lang, "fr", "FR " + c.header("en"))


def test_a_third_header_language_reaches_the_command_line_and_the_writers(french, tmp_path):
    demo = str(bundled_demo_path())
    argv = ["export", demo, "--type", "user", "--tz", "UTC", "--lang", "fr", "--out"]
    assert main([*argv, str(tmp_path / "u.csv")]) == 0
    with open(tmp_path / "u.csv", encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f)) == export_type("user").headers("fr")
    assert main([*argv, str(tmp_path / "u.xlsx")]) == 0
    sheet = openpyxl.load_workbook(tmp_path / "u.xlsx", read_only=True).worksheets[0]
    assert sheet.title == "FR Users (agent metrics)"
    assert list(next(sheet.iter_rows(max_row=1, values_only=True))) == export_type("user").headers("fr")
    with pytest.raises(ValueError, match="expected 'en' or 'es' or 'fr'"):
        WriteOptions(lang="de")


def test_a_third_header_language_reaches_the_window(french, qtbot):
    from PySide6.QtWidgets import QApplication

    from sparkdesk.gui import settings as settings_mod
    from sparkdesk.gui.i18n import Translations
    from sparkdesk.gui.options import write_options_for
    from sparkdesk.gui.window import MainWindow

    Translations.for_app(QApplication.instance()).set_language("en")
    w = MainWindow(settings_mod.Settings())
    qtbot.addWidget(w)
    combo = w.options.lang_combo
    listed = [(combo.itemData(i), combo.itemText(i)) for i in range(combo.count())]
    assert listed == [("en", "English"), ("es", "Español"), ("fr", "Français")]
    combo.setCurrentIndex(combo.findData("fr"))
    assert write_options_for(None, w.options.choices()).lang == "fr"
    # a header's tooltip names it in every other header language
    tips = w._header_tooltips(export_type("team"))
    assert tips[0] == "Created at\nCreado en\nDate and time in the chosen zone"
    w.close()
