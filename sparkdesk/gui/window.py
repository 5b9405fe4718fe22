"""The main window: drop a dump, choose an export, generate it on the pool, preview, save.

The window orchestrates and holds no metric logic. The options panel (options.py) hands
it the user's choices as one value, which gives the ``ExportParams`` and ``WriteOptions``;
the window calls the core through ``sparkdesk.gui.jobs`` on a ``TaskRunner``, whose
signals drive the busy state (busy.py). The menu bar is built in actions.py. pandas is
imported only by those jobs (on a worker) and when a result arrives, so the window shows
before pandas loads.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from sparkdesk.catalogue import EXPORTS, HEADER_LANGS, export_type
from sparkdesk.gui import jobs
from sparkdesk.gui import settings as settings_mod
from sparkdesk.gui.actions import Menus
from sparkdesk.gui.busy import BusyIndicator, Slot
from sparkdesk.gui.dialogs import AboutDialog, PreferencesDialog, ReportDialog, show_error, size_text
from sparkdesk.gui.help import kind_help
from sparkdesk.gui.i18n import Translations
from sparkdesk.gui.options import OptionsPanel, write_options_for
from sparkdesk.gui.panels import DumpEntry, DumpPanel, MessageBar, PreviewPanel, fmt_float, fmt_int
from sparkdesk.gui.runner import TaskRunner
from sparkdesk.memory import MemoryLimitTooSmall, default_memory_limit

log = logging.getLogger(__name__)

# "Apache Parquet" is the format's name in every language: no translation needed
PARQUET_FILTER = "Apache Parquet (*.parquet)"
SORT_INLINE_ROWS = 50_000  # smaller tables sort and filter on the UI thread


class MainWindow(QMainWindow):
    """SparkDesk's window. Signals make its background work observable (tests, screenshots)."""

    dumps_ready = Signal()  # the working dump (all loaded dumps combined) is ready
    result_ready = Signal()  # a generated export is in the preview
    generate_failed = Signal(str)
    generate_cancelled = Signal()
    saved = Signal(str)
    load_failed = Signal(str)
    idle = Signal()  # nothing runs in the background any more
    copies_cleared = Signal(int)  # the saved copies of dumps were deleted: bytes freed

    def __init__(
        self,
        settings: settings_mod.Settings | None = None,
        translations: Translations | None = None,
        *,
        memory_limit: int | None = None,
    ):
        """``memory_limit`` (bytes) is this session's, from the command line; without it,
        the one in Preferences (``settings.memory_limit``) holds."""
        super().__init__()
        self.setObjectName("mainWindow")
        self.settings = settings if settings is not None else settings_mod.load()
        app = QApplication.instance()
        self.translations = translations or Translations.for_app(app)
        self.runner = TaskRunner(self)
        self.entries: list[DumpEntry] = []
        self._serial = 0
        self.dump: Any = None  # the working Dump
        self.result: jobs.Computed | None = None
        self._last_error_box: QMessageBox | None = None
        self._report_dialog: ReportDialog | None = None
        self.demo_mode = False
        self._cancelled_note = False
        self._span_tz: str | None = None  # the zone the range edits' span was worked out in
        self._saved_path: str | None = None  # the last file saved (its folder opens from the note)
        self._session_memory_limit = memory_limit  # from the command line, until Preferences changes it
        self.preferences_dialog: PreferencesDialog | None = None

        from sparkdesk.gui.paths import icon_path

        for candidate in (icon_path("svg"), icon_path("png")):
            if candidate.exists():
                self.setWindowIcon(QIcon(str(candidate)))
                break

        # -- layout --------------------------------------------------------------------
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 0)
        self.message_bar = MessageBar()
        self.message_bar.action_triggered.connect(self._message_action)
        outer.addWidget(self.message_bar)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_lay = QVBoxLayout(left)
        left_lay.setContentsMargins(0, 0, 4, 0)
        self.dump_panel = DumpPanel()
        self.options = OptionsPanel()
        self.options.ui_lang = self.translations.lang
        left_lay.addWidget(self.dump_panel)
        left_lay.addWidget(self.options, 1)
        self.left_scroll = QScrollArea()
        self.left_scroll.setWidget(left)
        self.left_scroll.setWidgetResizable(True)
        self.left_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.left_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.left_scroll.setMinimumWidth(340)
        # no Tab stop of its own: its controls take the focus, and it scrolls to show them
        self.left_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        QApplication.instance().focusChanged.connect(self._show_focused_control)
        left_pane = QWidget()
        left_pane_lay = QVBoxLayout(left_pane)
        left_pane_lay.setContentsMargins(0, 0, 0, 4)
        left_pane_lay.addWidget(self.left_scroll, 1)
        left_pane_lay.addWidget(self.options.generate_button)  # always in view, below the choices
        self.preview = PreviewPanel()
        self.splitter.addWidget(left_pane)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([400, 880])
        outer.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        sb = self.statusBar()
        self.status_label = QLabel()
        self.status_label.setObjectName("statusLabel")
        sb.addWidget(self.status_label, 1)
        self.busy = BusyIndicator(self.runner, sb)
        self.busy.changed.connect(self._busy_changed)
        self.cancel_button = self.busy.cancel_button  # the window's Cancel (tests press it)

        self.menus = Menus(self)  # the menu bar: every action is an act_* of this window

        # -- wiring --------------------------------------------------------------------
        self.dump_panel.open_requested.connect(self.open_files)
        self.dump_panel.remove_requested.connect(self.remove_dump)
        self.dump_panel.report_requested.connect(self.show_report)
        self.options.generate_requested.connect(self.generate)
        self.options.changed.connect(self._options_changed)
        self.preview.sort_requested.connect(self.sort_preview)
        self.preview.filter_requested.connect(self.filter_preview)

        # Drops anywhere: line edits would take the URL as text, so they pass drops up.
        self.setAcceptDrops(True)
        for edit in self.findChildren(QLineEdit):
            edit.setAcceptDrops(False)

        self.options.restore(self.settings)
        self._update_actions()
        self.retranslate()
        self._restore_geometry()

    def _show_focused_control(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Scroll the sidebar to a control that gets the focus. Qt does it for Tab within
        the sidebar, not when the focus comes from outside (Tab from the grid wraps round
        to the top of the sidebar, which may be scrolled away)."""
        if new is not None and self.left_scroll.widget().isAncestorOf(new):
            self.left_scroll.ensureWidgetVisible(new)

    # ---------------------------------------------------------------------------------
    # language and title
    def retranslate(self) -> None:
        self.setWindowTitle(self._title())
        self.menus.retranslate()
        self.busy.retranslate()
        self.options.ui_lang = self.translations.lang
        self.dump_panel.retranslate()
        self.options.retranslate()
        self.preview.retranslate()
        if self._report_dialog is not None:
            self._report_dialog.retranslate()
        self._refresh_result_labels()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def set_ui_language(self, lang: str) -> None:
        self.translations.set_language(lang)  # sends LanguageChange → retranslate()
        self.settings.ui_lang = self.translations.lang
        self.retranslate()

    def _title(self) -> str:
        orgs = [e.dump.organization for e in self.entries if e.dump is not None and e.dump.organization]
        if orgs:
            return self.tr("%1 — SparkDesk").replace("%1", ", ".join(dict.fromkeys(orgs)))
        return "SparkDesk"

    # ---------------------------------------------------------------------------------
    # settings
    def _restore_geometry(self) -> None:
        ok = False
        if self.settings.geometry:
            ok = self.restoreGeometry(QByteArray.fromBase64(self.settings.geometry.encode("ascii")))
        if not ok:
            self.resize(1280, 720)

    def store_settings(self) -> None:
        s = self.settings
        self.options.store(s)
        s.ui_lang = self.translations.lang if s.ui_lang or self.translations.lang != "en" else s.ui_lang
        s.geometry = bytes(self.saveGeometry().toBase64()).decode("ascii")
        settings_mod.save(s)

    def closeEvent(self, event) -> None:
        self.store_settings()
        self.runner.shutdown()
        self._let_go_of_result()  # a result on disk takes its scratch file with it
        super().closeEvent(event)

    # ---------------------------------------------------------------------------------
    # drag and drop
    @staticmethod
    def _local_paths(mime) -> list[str]:
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and u.toLocalFile()]

    def dragEnterEvent(self, event) -> None:
        if self._local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if self._local_paths(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        paths = self._local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_dumps(self._group_loose_files(paths))

    @staticmethod
    def _group_loose_files(paths: list[str]) -> list[list[str]]:
        """Folders and .zip files are dumps each; loose table files dropped together are one dump."""
        groups: list[list[str]] = []
        loose: list[str] = []
        for p in paths:
            if Path(p).is_dir() or p.lower().endswith(".zip"):
                groups.append([p])
            else:
                if not loose:
                    groups.append(loose)
                loose.append(p)
        return groups

    # ---------------------------------------------------------------------------------
    # loading
    def open_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Open dump files"),
            self.settings.last_dir,
            self.tr(
                "Dumps and tables (*.zip *.csv *.csv.gz *.jsonl *.jsonl.gz *.ndjson *.parquet *.json);;"
                "All files (*)"
            ),
        )
        if files:
            self.settings.last_dir = str(Path(files[0]).parent)
            self.add_dumps(self._group_loose_files(files))

    def open_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open dump folder"), self.settings.last_dir)
        if folder:
            self.settings.last_dir = str(Path(folder).parent)
            self.add_dumps([[folder]])

    def open_demo(self) -> None:
        from sparkdesk.gui.paths import demo_dump_path

        path = demo_dump_path()
        if path is None:
            self.message_bar.show_message("warning", self.tr("This build has no demo dump."))
            return
        self.demo_mode = True
        self.add_dumps([[str(path)]], remember=False)
        self.message_bar.show_message(
            "info",
            self.tr(
                "You are looking at the bundled demo dump (synthetic data). Drop your own dump "
                "anywhere on the window, or use File ▸ Open (Ctrl+O)."
            ),
        )

    def add_dumps(self, groups: list[list[str]] | list[str], remember: bool = True) -> None:
        """Load dumps in the background: each group is one dump (a folder, a zip, or loose files)."""
        for group in groups:
            paths = [group] if isinstance(group, str) else list(group)
            if not paths:
                continue
            if any(e.paths == paths for e in self.entries):
                continue
            self._serial += 1
            entry = DumpEntry(paths, self._serial, remember)
            self.entries.append(entry)
            self.runner.submit(
                Slot.load(entry.serial),
                jobs.load,
                paths,
                keep_copy=self.settings.keep_dump_copies,
                on_done=lambda dump, e=entry: self._loaded(e, dump),
                on_error=lambda exc, details, e=entry: self._load_failed(e, exc, details),
                on_cancelled=lambda e=entry: self._drop_entry(e),
                label=self.tr("Reading %1…").replace("%1", entry.name),
            )
        self.dump_panel.set_entries(self.entries)
        self._update_actions()

    def _loaded(self, entry: DumpEntry, dump) -> None:
        if entry not in self.entries:
            return
        entry.dump = dump
        entry.state = "loaded"
        if entry.remember and len(entry.paths) == 1:
            self.settings.add_recent(entry.paths[0])
        self.dump_panel.set_entries(self.entries)
        self.setWindowTitle(self._title())
        self._rebuild_working_dump()

    def _load_failed(self, entry: DumpEntry, exc: BaseException, details: str) -> None:
        self._drop_entry(entry)
        from sparkdesk.dump import DumpRefused

        if isinstance(exc, DumpRefused):
            sentence = str(exc)
            self.message_bar.show_message("error", sentence)
        else:
            sentence = (
                self.tr("Could not read %1: %2").replace("%1", entry.name).replace("%2", _one_line(exc))
            )
            log.error("Loading %s failed:\n%s", entry.path, details)
            self._last_error_box = show_error(self, sentence, details)
        self.load_failed.emit(sentence)

    def _drop_entry(self, entry: DumpEntry) -> None:
        """A dump whose load failed or was cancelled goes; the working dump is built again
        from those that loaded (they waited for this one while it was loading)."""
        if entry not in self.entries:
            return  # already removed (remove_dump), which rebuilt the working dump
        self.entries.remove(entry)
        self.dump_panel.set_entries(self.entries)
        self.setWindowTitle(self._title())
        self._rebuild_working_dump()

    def remove_dump(self, serial: int) -> None:
        for entry in list(self.entries):
            if entry.serial == serial:
                self.runner.cancel(Slot.load(serial))
                self.entries.remove(entry)
        self.dump_panel.set_entries(self.entries)
        self.setWindowTitle(self._title())
        self._rebuild_working_dump()

    def _rebuild_working_dump(self) -> None:
        """One loaded dump is the working dump; several are read again together (combined)."""
        if any(e.state == "loading" for e in self.entries):
            return
        loaded = [e for e in self.entries if e.dump is not None]
        if not loaded:
            self.runner.cancel(Slot.COMBINE)
            self._set_dump(None)
            return
        if len(loaded) == 1:
            self.runner.cancel(Slot.COMBINE)
            self._set_dump(loaded[0].dump)
            return
        paths = [p for e in loaded for p in e.paths]
        self.runner.submit(
            Slot.COMBINE,
            jobs.load,
            paths,
            keep_copy=self.settings.keep_dump_copies,
            on_done=self._set_dump,
            on_error=lambda exc, details: self._combine_failed(exc, details),
            label=self.tr("Combining %1 dumps…").replace("%1", str(len(loaded))),
        )

    def _combine_failed(self, exc: BaseException, details: str) -> None:
        self._last_error_box = show_error(
            self, self.tr("These dumps cannot be combined: %1").replace("%1", _one_line(exc)), details
        )
        self._set_dump(None)

    def _set_dump(self, dump) -> None:
        self.dump = dump
        self._clear_result()
        if dump is not None:
            # worked out on the pool by jobs.load: no column scan on the UI thread
            self.options.set_channels(jobs.summarize(dump).channels)
            self._update_span()
        else:
            self.options.set_channels([])
            self.options.set_span(None, None)
        self.options.set_data_available(dump is not None)
        self._update_actions()
        if dump is not None:
            self.dumps_ready.emit()

    def _update_span(self) -> None:
        if self.dump is None or not self.options.tz_valid():
            return
        tz = self._span_tz = self.options.tz()
        rng = jobs.default_range(self.dump, tz)
        anchor = self.dump.snapshot.tz_convert(tz).date() if rng is not None else None
        self.options.set_span(rng, anchor)

    def show_report(self, serial: int | None = None) -> None:
        """The import report of a dump (the current one by default): what the reader found at
        once, then the lock sessions' warnings, checked on the pool the first time."""
        if serial is None:
            entry = self.dump_panel.current_entry()
        else:
            entry = next((e for e in self.entries if e.serial == serial), None)
        if entry is None or entry.dump is None:
            return
        if self._report_dialog is not None:
            self._report_dialog.close()
        from sparkdesk.inspection import DumpReport

        dlg = ReportDialog(entry.name, entry.report or DumpReport(entry.dump.report), self)
        dlg.save_button.clicked.connect(lambda: self.save_report_dialog(entry))
        self._report_dialog = dlg
        dlg.finished.connect(lambda _r: setattr(self, "_report_dialog", None))
        dlg.show()
        if entry.report is None:
            self.runner.submit(
                Slot.INSPECT,
                jobs.dump_report,
                entry.dump,
                memory_limit=self.memory_limit(),
                on_done=lambda report, e=entry, d=dlg: self._report_checked(e, d, report),
                on_error=lambda exc, details, d=dlg: self._report_not_checked(d, details),
                on_cancelled=lambda d=dlg: self._report_not_checked(d),
                label=self.tr("Checking the lock sessions of %1…").replace("%1", entry.name),
            )

    def _report_checked(self, entry: DumpEntry, dialog: ReportDialog, report) -> None:
        entry.report = report
        if self._report_dialog is dialog:
            dialog.set_report(report)
        self.dump_panel.set_entries(self.entries)  # the badge counts the lock warnings too

    def _report_not_checked(self, dialog: ReportDialog, details: str = "") -> None:
        if details:
            log.error("Checking the lock sessions failed:\n%s", details)
        if self._report_dialog is dialog:
            dialog.stop_checking()

    def save_report_dialog(self, entry: DumpEntry | None = None) -> None:
        entry = entry if isinstance(entry, DumpEntry) else self.dump_panel.current_entry()
        if entry is None or entry.dump is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("Save import report"),
            str(Path(self.settings.last_dir or ".") / f"import-report_{Path(entry.name).stem}.csv"),
            self.tr("CSV files (*.csv)"),
        )
        if path:
            self.save_report_to(entry, path)

    def clear_saved_dumps(self) -> None:
        """Delete the dump cache (copies of customer data) on the pool; say what it freed."""
        self.runner.submit(
            Slot.CLEAR_COPIES,
            jobs.clear_saved_dumps,
            on_done=self._copies_cleared,
            on_error=self._clear_failed,
            label=self.tr("Deleting saved copies…"),
        )

    def _clear_failed(self, exc: BaseException, details: str) -> None:
        log.error("Deleting the saved copies failed:\n%s", details)
        sentence = self.tr("Could not delete the saved copies: %1").replace("%1", _one_line(exc))
        self._last_error_box = show_error(self, sentence, details)

    def _copies_cleared(self, freed: int) -> None:
        size = f"{freed / 2**20:,.1f} MB" if freed < 2**30 else f"{freed / 2**30:,.2f} GB"
        self.message_bar.show_message(
            "ok", self.tr("Deleted the saved copies of dumps (%1).").replace("%1", size)
        )
        self.copies_cleared.emit(freed)

    def save_report_to(self, entry: DumpEntry, path: str) -> None:
        self.runner.submit(
            Slot.REPORT,
            jobs.save_report,
            entry.dump.report,
            path,
            on_done=self._saved,
            on_error=lambda exc, details: self._save_failed(path, exc, details),
            label=self.tr("Saving the import report…"),
        )

    # ---------------------------------------------------------------------------------
    # generating
    def _options_changed(self) -> None:
        if self.sender() is self.options and self.options.tz_valid() and self._span_tz != self.options.tz():
            self._update_span()
        if self.result is not None:
            self._apply_write_options_to_preview()
        self._update_actions()

    def _cannot_generate(self) -> str:
        if self.dump is None:
            return self.tr("Load a dump first: drop it on the window or use File ▸ Open.")
        return self.options.problem()

    def generate(self) -> None:
        problem = self._cannot_generate()
        if problem:
            self.message_bar.show_message("warning", problem)
            return
        params = self.options.choices().params_for()
        self._cancelled_note = False
        name = export_type(params.type).name(self.translations.lang)
        self.runner.submit(
            Slot.COMPUTE,
            jobs.compute,
            self.dump,
            params,
            memory_limit=self.memory_limit(),
            on_done=self._computed,
            on_error=self._compute_failed,
            on_cancelled=self._compute_cancelled,
            label=self.tr("Computing %1…").replace("%1", name),
        )
        self._update_actions()

    def _computed(self, computed: jobs.Computed) -> None:
        previous, self.result = self.result, computed
        self.runner.cancel(Slot.SORT)
        self.runner.cancel(Slot.FILTER)
        self.preview.filter_edit.blockSignals(True)
        self.preview.filter_edit.clear()
        self.preview.filter_edit.blockSignals(False)
        e = export_type(computed.params.type)
        self.preview.reset_scroll()
        self.preview.model.set_frame(
            computed.frame,
            e.headers(self.options.header_lang()),
            [c.kind for c in e.columns],
            self._preview_formatter(computed),
            self._header_tooltips(e),
        )
        jobs.release(previous)  # the grid no longer reads it: a result on disk loses its file
        self.preview.show_sort_indicator()
        self.preview.show_table(True)
        self.preview.set_too_large(self._too_large_sentence() if jobs.on_disk(computed) else "")
        if jobs.on_disk(computed):
            self.message_bar.show_message("info", self._too_large_sentence())
        elif self.message_bar.text.text() == self._too_large_sentence():
            self.message_bar.hide()  # said of the result this one replaces
        self.preview.fit_columns()
        self._refresh_result_labels()
        self._update_actions()
        self.result_ready.emit()

    def _compute_failed(self, exc: BaseException, details: str) -> None:
        from sparkdesk.exports import UnknownChannel

        if isinstance(exc, MemoryLimitTooSmall):
            sentence = self._refuse_memory_limit(exc)
            self.generate_failed.emit(sentence)
            return
        if isinstance(exc, UnknownChannel | ValueError):
            sentence = _one_line(exc)
        else:
            sentence = self.tr("The export could not be computed: %1").replace("%1", _one_line(exc))
        log.error("Generating failed:\n%s", details)
        self._last_error_box = show_error(self, sentence, details)
        self.generate_failed.emit(sentence)

    def _compute_cancelled(self) -> None:
        self._cancelled_note = True
        self._refresh_result_labels()
        self.generate_cancelled.emit()

    def _clear_result(self) -> None:
        self.runner.cancel(Slot.COMPUTE)
        self._let_go_of_result()
        self.preview.show_table(False)
        self._refresh_result_labels()

    def _let_go_of_result(self) -> None:
        """Empty the grid, then close the result (one on disk removes its scratch file)."""
        previous, self.result = self.result, None
        self.preview.model.set_frame(None)
        jobs.release(previous)

    def _too_large_sentence(self) -> str:
        return self.tr(
            "This result is too large for memory to sort or filter here; save it and open it "
            "in a spreadsheet or database."
        )

    def _preview_formatter(self, result: jobs.Computed):
        from sparkdesk.writers import format_column

        options = write_options_for(result, self.options.choices(), preview=True)

        def fmt(series, kind: str):
            return format_column(series, kind, options)

        return fmt

    def _header_tooltips(self, e) -> list[str]:
        others = [lang for lang in HEADER_LANGS if lang != self.options.header_lang()]
        return ["\n".join([*(c.header(o) for o in others), kind_help(c.kind) or c.kind]) for c in e.columns]

    def _apply_write_options_to_preview(self) -> None:
        if self.result is None:
            return
        e = export_type(self.result.params.type)
        model = self.preview.model
        model.set_headers(e.headers(self.options.header_lang()), self._header_tooltips(e))
        model.set_formatter(self._preview_formatter(self.result))

    def _refresh_result_labels(self) -> None:
        r = self.result
        if r is None:
            self.preview.title.setText(self.tr("Preview"))
            if not self.busy.active():
                if self._cancelled_note:
                    self.status_label.setText(self.tr("Generation cancelled."))
                elif self.dump is not None:
                    self.status_label.setText(self.tr("Ready."))
                else:
                    self.status_label.setText(self.tr("Drop a dump to begin."))
            return
        e = export_type(r.params.type)
        first, last = self._result_range()
        rng = f"{first} – {last}" if first else self.tr("all open conversations")
        self.preview.title.setText(f"{e.name(self.translations.lang)} · {rng} · {r.params.tz}")
        total = self.preview.model.total_rows
        shown = self.preview.model.rowCount()
        cols = self.preview.model.columnCount()
        if shown != total:
            rows = self.tr("%1 of %2 rows").replace("%1", fmt_int(shown)).replace("%2", fmt_int(total))
        else:
            rows = self.tr("%1 rows").replace("%1", fmt_int(total))
        self.status_label.setText(
            self.tr("%1 × %2 columns · computed in %3 s")
            .replace("%1", rows)
            .replace("%2", fmt_int(cols))
            .replace("%3", fmt_float(r.seconds))
        )

    def _result_range(self) -> tuple[str, str]:
        r = self.result
        if r is None:
            return "", ""
        p = r.params
        if p.first_day is not None:
            return p.first_day.isoformat(), p.last_day.isoformat()
        e = export_type(p.type)
        if e.range_optional:
            return "", ""
        rng = jobs.default_range(self.dump, p.tz) if self.dump is not None else None
        return (rng[0].isoformat(), rng[1].isoformat()) if rng else ("", "")

    # ---------------------------------------------------------------------------------
    # preview: sort, filter, copy
    def sort_preview(self, column: int, ascending: bool) -> None:
        model = self.preview.model
        if not 0 <= column < model.columnCount():
            return
        if model.on_disk:  # every row at once: not within the memory limit
            self.message_bar.show_message("info", self._too_large_sentence())
            return
        from sparkdesk.gui.models import sort_order

        series = model.columns[column]
        if model.total_rows <= SORT_INLINE_ROWS:
            self.preview.reset_scroll()
            model.set_sort(column, ascending, sort_order(series, ascending))
            self.preview.show_sort_indicator()
            self._refresh_result_labels()
            return
        self.runner.submit(
            Slot.SORT,
            _sort_job,
            series,
            ascending,
            on_done=lambda order: self._sorted(column, ascending, order),
            on_error=self._compute_failed,
            label=self.tr("Sorting…"),
        )

    def _sorted(self, column: int, ascending: bool, order) -> None:
        self.preview.reset_scroll()
        self.preview.model.set_sort(column, ascending, order)
        self.preview.show_sort_indicator()
        self._refresh_result_labels()

    def filter_preview(self, text: str) -> None:
        model = self.preview.model
        if model.on_disk:
            if text.strip():
                self.message_bar.show_message("info", self._too_large_sentence())
            return
        if not text.strip():
            self.runner.cancel(Slot.FILTER)
            self.preview.reset_scroll()
            model.set_mask(None)
            self._refresh_result_labels()
            return
        from sparkdesk.gui.models import filter_mask

        args = (model.columns, model.kinds, model.formatter, text.strip())
        if model.total_rows <= SORT_INLINE_ROWS:
            self.preview.reset_scroll()
            model.set_mask(filter_mask(*args))
            self._refresh_result_labels()
            return
        self.runner.submit(
            Slot.FILTER,
            filter_mask,
            *args,
            on_done=self._filtered,
            on_error=self._compute_failed,
            label=self.tr("Filtering…"),
        )

    def _filtered(self, mask) -> None:
        self.preview.reset_scroll()
        self.preview.model.set_mask(mask)
        self._refresh_result_labels()

    def copy_selection(self) -> None:
        n = self.preview.copy_selection()
        if n:
            self.statusBar().showMessage(self.tr("Copied %1 cells.").replace("%1", fmt_int(n)), 3000)

    def select_all(self) -> None:
        self.preview.view.selectAll()

    def focus_filter(self) -> None:
        if self.preview.model.on_disk:
            self.message_bar.show_message("info", self._too_large_sentence())
            return
        self.preview.filter_edit.setFocus()
        self.preview.filter_edit.selectAll()

    # ---------------------------------------------------------------------------------
    # saving
    def suggested_name(self, ext: str = "csv") -> str:
        r = self.result
        if r is None:
            return f"export.{ext}"
        first, last = self._result_range()
        stem = f"{r.params.type}_{first}_{last}" if first else r.params.type
        return f"{stem}.{ext}"

    def save_dialog(self) -> None:
        if self.result is None:
            self.message_bar.show_message("warning", self.tr("Generate an export first (Ctrl+E)."))
            return
        filters = {
            "csv": self.tr("CSV file (*.csv)"),
            "xlsx": self.tr("Excel workbook (*.xlsx)"),
            "parquet": PARQUET_FILTER,
        }
        start = str(Path(self.settings.last_dir or str(Path.home())) / self.suggested_name())
        path, chosen = QFileDialog.getSaveFileName(
            self, self.tr("Save export"), start, ";;".join(filters.values()), filters["csv"]
        )
        if not path:
            return
        from sparkdesk.writers import format_for

        chosen_fmt = next((f for f, text in filters.items() if text == chosen), "csv")
        fmt = format_for(path, default=chosen_fmt)
        if Path(path).suffix.lower() != f".{fmt}":  # no .csv, .xlsx or .parquet: the chosen type's
            path += f".{fmt}"
        self.settings.last_dir = str(Path(path).parent)
        self.save_to(path, fmt)

    def save_to(self, path: str, fmt: str | None = None) -> None:
        """Write the previewed export to ``path`` in the background (the same writer as the CLI)."""
        if self.result is None:
            return
        from sparkdesk.writers import format_for

        options = write_options_for(self.result, self.options.choices())
        fmt = format_for(path, fmt)
        self.runner.submit(
            Slot.SAVE,
            jobs.save,
            self.result,
            path,
            options,
            fmt,
            on_done=self._saved,
            on_error=lambda exc, details: self._save_failed(path, exc, details),
            label=self.tr("Saving %1…").replace("%1", Path(path).name),
        )

    def export_all_dialog(self) -> None:
        problem = self._cannot_generate()
        if problem:
            self.message_bar.show_message("warning", problem)
            return
        box = QMessageBox(self)
        box.setWindowTitle(self.tr("Export all"))
        box.setText(self.tr("Write all twelve exports with the current choices:"))
        folder = box.addButton(self.tr("One CSV file each, in a &folder…"), QMessageBox.ButtonRole.AcceptRole)
        book = box.addButton(self.tr("One &workbook, a sheet each…"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is folder:
            out = QFileDialog.getExistingDirectory(
                self, self.tr("Folder for the exports"), self.settings.last_dir
            )
            if out:
                self.export_all_to(out, "csv")
        elif box.clickedButton() is book:
            out, _ = QFileDialog.getSaveFileName(
                self,
                self.tr("Save all exports"),
                str(Path(self.settings.last_dir or str(Path.home())) / "sparkdesk-exports.xlsx"),
                self.tr("Excel workbook (*.xlsx)"),
            )
            if out:
                if not out.lower().endswith(".xlsx"):
                    out += ".xlsx"
                self.export_all_to(out, "xlsx")

    def export_all_to(self, out: str, fmt: str | None = None) -> None:
        choices = self.options.choices()
        params = {e.id: choices.params_for(e.id) for e in EXPORTS}
        self.runner.submit(
            Slot.SAVE,
            jobs.export_all,
            self.dump,
            params,
            out,
            write_options_for(None, choices),
            fmt,
            memory_limit=self.memory_limit(),
            on_done=self._saved,
            on_error=lambda exc, details: self._save_failed(out, exc, details),
            label=self.tr("Writing all twelve exports…"),
        )

    def _saved(self, path: str) -> None:
        self._saved_path = path
        self.message_bar.show_message(
            "ok", self.tr("Saved %1").replace("%1", str(path)), self.tr("Open &Folder"), "open-folder"
        )
        self.saved.emit(str(path))

    def _save_failed(self, path: str, exc: BaseException, details: str) -> None:
        if isinstance(exc, MemoryLimitTooSmall):  # "Export all" computes too
            self._refuse_memory_limit(exc)
            return
        log.error("Saving %s failed:\n%s", path, details)
        sentence = self.tr("Could not save %1: %2").replace("%1", str(path)).replace("%2", _one_line(exc))
        self._last_error_box = show_error(self, sentence, details)

    def _message_action(self, action_id: str) -> None:
        if action_id == "preferences":
            self.preferences()
        elif action_id == "open-folder" and self._saved_path:
            p = Path(self._saved_path)
            folder = p if p.is_dir() else p.parent
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # ---------------------------------------------------------------------------------
    # busy state (shown by gui/busy.py) and the actions that apply
    def _busy_changed(self) -> None:
        idle = not self.busy.active()
        if idle:
            self._refresh_result_labels()
        self._update_actions()
        if idle:
            self.idle.emit()

    def is_busy(self) -> bool:
        return self.busy.active()

    def _update_actions(self) -> None:
        has_dump = self.dump is not None
        computing = self.busy.active(Slot.COMPUTE)
        self.act_generate.setEnabled(has_dump)
        self.act_save.setEnabled(self.result is not None and not self.busy.active(Slot.SAVE))
        self.act_export_all.setEnabled(has_dump and not self.busy.active(Slot.SAVE))
        self.act_save_job.setEnabled(has_dump)
        entry = self.dump_panel.current_entry()
        self.act_save_report.setEnabled(entry is not None and entry.dump is not None)
        self.act_view_report.setEnabled(entry is not None and entry.dump is not None)
        self.act_cancel.setEnabled(self.busy.active())
        self.act_clear_copies.setEnabled(not self.busy.active(Slot.CLEAR_COPIES))
        self.options.show_generate_state(has_dump and not self._cannot_generate(), computing)

    def about(self) -> None:
        AboutDialog(self, self.windowIcon()).exec()

    # ---------------------------------------------------------------------------------
    # memory limit (cli.md's --memory-limit): Edit ▸ Preferences
    def memory_limit(self) -> int:
        """Bytes an export may hold: this session's from the command line, else the one in
        Preferences, else half of this computer's memory."""
        if self._session_memory_limit is not None:
            return self._session_memory_limit
        return self.settings.memory_limit if self.settings.memory_limit > 0 else default_memory_limit()

    def preferences(self) -> None:
        """Open Preferences on the limit in force; OK keeps the choice (and saves it)."""
        session = self._session_memory_limit
        dialog = self.preferences_dialog = PreferencesDialog(
            session if session is not None else self.settings.memory_limit,
            default_memory_limit(),
            from_command_line=session is not None,
            parent=self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._preferences_chosen(dialog.memory_limit()))
        dialog.open()

    def _preferences_chosen(self, memory_limit: int) -> None:
        self.settings.memory_limit = memory_limit
        self._session_memory_limit = None
        settings_mod.save(self.settings)

    def _refuse_memory_limit(self, exc: MemoryLimitTooSmall) -> str:
        """The limit cannot hold one part: say so in the message bar, with the way to change it."""
        at_least = size_text(exc.needed_bytes, at_least=True)
        if exc.limit_bytes is None:
            sentence = self.tr("The memory limit is too small for this dump: use at least %1.")
            sentence = sentence.replace("%1", at_least)
        else:
            sentence = self.tr("A memory limit of %1 is too small for this dump: use at least %2.")
            sentence = sentence.replace("%1", size_text(exc.limit_bytes)).replace("%2", at_least)
        self.message_bar.show_message("error", sentence, self.tr("&Preferences…"), "preferences")
        return sentence


def _sort_job(series, ascending: bool, progress=None, cancel=None):
    from sparkdesk.gui.models import sort_order

    return sort_order(series, ascending)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
