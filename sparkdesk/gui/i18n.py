"""The window's language: Qt translators for our strings and Qt's own dialogs.

English is the source language. Spanish ships as ``resources/i18n/sparkdesk_es.qm``
(compiled from ``sparkdesk_es.ts``). The language is taken from the system locale unless
the user chose one in the menu.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from sparkdesk.gui.paths import i18n_dir

LANGUAGES = ("en", "es")
# Shown in the language menu in their own language, so they are not translated.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def system_language() -> str:
    name = QLocale.system().name()  # e.g. "es_ES"
    lang = name.split("_")[0].lower()
    return lang if lang in LANGUAGES else "en"


class Translations:
    """Installs and swaps the translators of one QApplication."""

    def __init__(self, app: QCoreApplication) -> None:
        self._app = app
        self._installed: list[QTranslator] = []
        self.lang = "en"

    @classmethod
    def for_app(cls, app: QCoreApplication) -> Translations:
        """The application's one Translations (created, in English, on first use)."""
        existing = getattr(app, "_sparkdesk_translations", None)
        if existing is None:
            existing = cls(app)
            app._sparkdesk_translations = existing  # type: ignore[attr-defined]
        return existing

    def set_language(self, lang: str) -> bool:
        """Switch to ``lang``; returns False (and stays in English) if its file is missing."""
        if lang not in LANGUAGES:
            lang = "en"
        for tr in self._installed:
            self._app.removeTranslator(tr)
        self._installed.clear()
        ok = True
        if lang != "en":
            ours = QTranslator(self._app)
            if ours.load(f"sparkdesk_{lang}", str(i18n_dir())):
                self._app.installTranslator(ours)
                self._installed.append(ours)
                qt = QTranslator(self._app)
                if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
                    self._app.installTranslator(qt)
                    self._installed.append(qt)
            else:
                ok = False
                lang = "en"
        self.lang = lang
        QLocale.setDefault(QLocale(QLocale.Language.Spanish if lang == "es" else QLocale.Language.English))
        return ok
