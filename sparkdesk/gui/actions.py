"""The window's menu bar: its actions and menus, built and renamed menu by menu.

napari gives each menu a module of its own (``_qt/_qapp_model/qactions/_file.py``,
``_view.py``, ...); SparkDesk's five small menus fit in one file, where each menu has a
builder and, beside it, its texts for ``retranslate``. Every action calls a command of the
window and stays the window's attribute (``window.act_save``, ``window.menu_file``, ...):
the window enables them (``_update_actions``) and its tests trigger them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QApplication

from sparkdesk.gui import settings as settings_mod
from sparkdesk.gui.i18n import LANGUAGE_NAMES, LANGUAGES
from sparkdesk.gui.jobs_dialog import JobsUi

if TYPE_CHECKING:
    from sparkdesk.gui.window import MainWindow


class Menus(QObject):
    """Builds the window's menus and actions, and renames them when the language changes."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self._file_menu()
        self._export_menu()
        self._edit_menu()
        self._view_menu()
        self._help_menu()

    def retranslate(self) -> None:
        self._file_texts()
        self._export_texts()
        self._edit_texts()
        self._view_texts()
        self._help_texts()

    def _action(self, name: str, slot, shortcut: QKeySequence | str | None = None) -> QAction:
        """An action of the window: its shortcut works wherever the focus is in it."""
        act = QAction(self.w)
        act.setObjectName(name)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        act.triggered.connect(slot)
        self.w.addAction(act)
        return act

    # -- File ------------------------------------------------------------------------
    def _file_menu(self) -> None:
        w = self.w
        w.act_open = self._action("actOpen", w.open_files, QKeySequence.StandardKey.Open)
        w.act_open_folder = self._action("actOpenFolder", w.open_folder, "Ctrl+Shift+O")
        w.act_demo = self._action("actDemo", w.open_demo)
        w.act_save = self._action("actSave", w.save_dialog, QKeySequence.StandardKey.Save)
        w.act_export_all = self._action("actExportAll", w.export_all_dialog, "Ctrl+Shift+S")
        w.jobs_ui = JobsUi(w)  # saved export jobs (jobs_dialog.py)
        w.act_save_job = self._action("actSaveJob", w.jobs_ui.save_as_job)
        w.act_jobs = self._action("actJobs", w.jobs_ui.show_jobs, "Ctrl+J")
        w.act_view_report = self._action("actViewReport", lambda: w.show_report())
        w.act_save_report = self._action("actSaveReport", w.save_report_dialog)
        w.act_keep_copies = self._action("actKeepCopies", self._set_keep_copies)
        w.act_keep_copies.setCheckable(True)
        w.act_keep_copies.setChecked(w.settings.keep_dump_copies)
        w.act_clear_copies = self._action("actClearCopies", w.clear_saved_dumps)
        w.act_quit = self._action("actQuit", w.close, QKeySequence.StandardKey.Quit)

        menu = w.menu_file = w.menuBar().addMenu("")
        menu.addAction(w.act_open)
        menu.addAction(w.act_open_folder)
        w.menu_recent = menu.addMenu("")
        w.menu_recent.aboutToShow.connect(self._fill_recent)
        menu.addAction(w.act_demo)
        menu.addSeparator()
        menu.addAction(w.act_save)
        menu.addAction(w.act_export_all)
        menu.addAction(w.act_save_job)
        menu.addAction(w.act_jobs)
        menu.addAction(w.act_view_report)
        menu.addAction(w.act_save_report)
        menu.addSeparator()
        menu.addAction(w.act_keep_copies)
        menu.addAction(w.act_clear_copies)
        menu.addSeparator()
        menu.addAction(w.act_quit)

    def _file_texts(self) -> None:
        w = self.w
        w.menu_file.setTitle(self.tr("&File"))
        w.menu_recent.setTitle(self.tr("Open &Recent"))
        w.act_open.setText(self.tr("&Open Dump Files…"))
        w.act_open.setToolTip(self.tr("Open table files or a .zip dump (Ctrl+O)"))
        w.act_open_folder.setText(self.tr("Open Dump &Folder…"))
        w.act_demo.setText(self.tr("Open the &Demo Dump"))
        w.act_save.setText(self.tr("&Save Export…"))
        w.act_export_all.setText(self.tr("Export &All…"))
        w.act_save_job.setText(self.tr("Save as &Job…"))
        w.act_save_job.setToolTip(self.tr("Save these choices as a job that runs again, now or on time"))
        w.act_jobs.setText(self.tr("Jo&bs…"))
        w.act_view_report.setText(self.tr("&View Import Report…"))
        w.act_save_report.setText(self.tr("Save Import Re&port…"))
        w.act_quit.setText(self.tr("&Quit"))
        w.act_keep_copies.setText(self.tr("&Keep Copies of Imported Dumps"))
        w.act_keep_copies.setToolTip(
            self.tr("Save each imported dump in your cache folder, so that opening it again takes a second")
        )
        w.act_clear_copies.setText(self.tr("De&lete Saved Copies"))
        w.act_clear_copies.setToolTip(
            self.tr("Delete the copies of imported dumps kept in your cache folder")
        )

    def _fill_recent(self) -> None:
        w = self.w
        w.menu_recent.clear()
        for path in w.settings.recent_dumps:
            act = w.menu_recent.addAction(path)
            act.triggered.connect(lambda _c=False, p=path: w.add_dumps([p]))
        if not w.settings.recent_dumps:
            act = w.menu_recent.addAction(self.tr("(none)"))
            act.setEnabled(False)
        else:
            w.menu_recent.addSeparator()
            w.menu_recent.addAction(self.tr("Clear list"), self._clear_recent)

    def _clear_recent(self) -> None:
        self.w.settings.recent_dumps = []
        settings_mod.save(self.w.settings)

    def _set_keep_copies(self, checked: bool) -> None:
        self.w.settings.keep_dump_copies = bool(checked)
        settings_mod.save(self.w.settings)

    # -- Export ----------------------------------------------------------------------
    def _export_menu(self) -> None:
        w = self.w
        w.act_generate = self._action("actGenerate", w.generate, "Ctrl+E")
        w.act_cancel = self._action("actCancel", w.busy.cancel, "Esc")
        w.menu_export = w.menuBar().addMenu("")
        w.menu_export.addAction(w.act_generate)
        w.menu_export.addAction(w.act_cancel)

    def _export_texts(self) -> None:
        w = self.w
        w.menu_export.setTitle(self.tr("E&xport"))
        w.act_generate.setText(self.tr("&Generate"))
        w.act_cancel.setText(self.tr("&Cancel"))

    # -- Edit: Copy and Select All act on the preview grid only ----------------------
    def _edit_menu(self) -> None:
        w = self.w
        w.act_copy = self._action("actCopy", w.copy_selection, QKeySequence.StandardKey.Copy)
        w.act_select_all = self._action("actSelectAll", w.select_all, QKeySequence.StandardKey.SelectAll)
        w.act_filter = self._action("actFilter", w.focus_filter, QKeySequence.StandardKey.Find)
        for act in (w.act_copy, w.act_select_all):
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            w.preview.view.addAction(act)
            w.removeAction(act)
        w.act_preferences = self._action(
            "actPreferences", w.preferences, QKeySequence.StandardKey.Preferences
        )
        w.act_preferences.setMenuRole(QAction.MenuRole.PreferencesRole)  # macOS: in the application menu
        w.menu_edit = w.menuBar().addMenu("")
        w.menu_edit.addAction(w.act_copy)
        w.menu_edit.addAction(w.act_select_all)
        w.menu_edit.addAction(w.act_filter)
        w.menu_edit.addSeparator()
        w.menu_edit.addAction(w.act_preferences)

    def _edit_texts(self) -> None:
        w = self.w
        w.menu_edit.setTitle(self.tr("&Edit"))
        w.act_copy.setText(self.tr("&Copy"))
        w.act_select_all.setText(self.tr("Select &All"))
        w.act_filter.setText(self.tr("&Filter Rows"))
        w.act_preferences.setText(self.tr("&Preferences…"))
        w.act_preferences.setToolTip(self.tr("The memory an export may hold"))

    # -- View ------------------------------------------------------------------------
    def _view_menu(self) -> None:
        w = self.w
        w.lang_group = QActionGroup(w)
        w.lang_actions = {}
        for lang in LANGUAGES:
            act = QAction(LANGUAGE_NAMES[lang], w)
            act.setObjectName(f"actLang_{lang}")
            act.setCheckable(True)
            act.setChecked(lang == w.translations.lang)
            act.triggered.connect(lambda _c=False, lang=lang: w.set_ui_language(lang))
            w.lang_group.addAction(act)
            w.lang_actions[lang] = act
        w.menu_view = w.menuBar().addMenu("")
        w.menu_lang = w.menu_view.addMenu("")
        for act in w.lang_actions.values():
            w.menu_lang.addAction(act)

    def _view_texts(self) -> None:
        w = self.w
        w.menu_view.setTitle(self.tr("&View"))
        w.menu_lang.setTitle(self.tr("&Language"))
        for lang, act in w.lang_actions.items():  # named in themselves: only the check moves
            act.setChecked(lang == w.translations.lang)

    # -- Help ------------------------------------------------------------------------
    def _help_menu(self) -> None:
        w = self.w
        w.act_about = self._action("actAbout", w.about)
        w.act_about_qt = self._action("actAboutQt", QApplication.aboutQt)
        w.menu_help = w.menuBar().addMenu("")
        w.menu_help.addAction(w.act_about)
        w.menu_help.addAction(w.act_about_qt)

    def _help_texts(self) -> None:
        w = self.w
        w.menu_help.setTitle(self.tr("&Help"))
        w.act_about.setText(self.tr("&About SparkDesk"))
        w.act_about_qt.setText(self.tr("About &Qt"))
