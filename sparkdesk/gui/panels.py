"""The window's panels: loaded dumps, export choices, and the preview grid.

Panels hold widgets and state only; every computation is a core function run by the
main window on its thread pool.
"""

from __future__ import annotations

import datetime as dt
import heapq
import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QDate, QLocale, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QStyle,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sparkdesk.catalogue import EXPORTS, export_type
from sparkdesk.gui.dialogs import make_table_view
from sparkdesk.gui.models import ChannelModel, FrameModel

COPY_CONFIRM_CELLS = 100_000
FIT_MEASURED = 6  # fit_columns measures a column's longest few texts (by characters)
PRESETS = ("all", "today", "yesterday", "last7", "last30", "this_month", "last_month", "custom")


def fmt_int(n: int) -> str:
    return QLocale().toString(int(n))


def fmt_float(value: float) -> str:
    """Two decimals in the user's locale (2.50, or 2,50 in Spanish)."""
    return QLocale().toString(float(value), "f", 2)


class MessageBar(QFrame):
    """An inline note above the window's content: info, a refused dump, a saved file."""

    action_triggered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(self.palette().ColorRole.AlternateBase)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setObjectName("messageText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action = QPushButton()
        self.action.setObjectName("messageAction")
        self.close_button = QToolButton()
        self.close_button.setAutoRaise(True)
        self.close_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        lay.addWidget(self.icon)
        lay.addWidget(self.text, 1)
        lay.addWidget(self.action)
        lay.addWidget(self.close_button)
        self.close_button.clicked.connect(self.hide)
        self.action.clicked.connect(lambda: self.action_triggered.emit(self._action_id))
        self._action_id = ""
        self.kind = ""
        self.hide()

    def show_message(self, kind: str, text: str, action_text: str = "", action_id: str = "") -> None:
        icons = {
            "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
            "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
            "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
            "ok": QStyle.StandardPixmap.SP_DialogApplyButton,
        }
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.icon.setPixmap(self.style().standardIcon(icons.get(kind, icons["info"])).pixmap(size, size))
        self.kind = kind
        self.text.setText(text)
        self._action_id = action_id
        self.action.setText(action_text)
        self.action.setVisible(bool(action_text))
        self.close_button.setToolTip(self.tr("Close this note"))
        self.show()


@dataclass
class DumpEntry:
    """One dump in the list: a folder, a .zip, or loose table files read together."""

    paths: list[str]
    serial: int
    remember: bool = True  # listed in File ▸ Open Recent once loaded (not the demo)
    dump: Any = None  # sparkdesk.dump.Dump once loaded
    state: str = "loading"  # loading | loaded

    @property
    def path(self) -> str:
        """The paths, one a line: what tells two entries apart, and the list's tooltip."""
        return "\n".join(self.paths)

    @property
    def name(self) -> str:
        from pathlib import Path

        return Path(self.path).name or self.path


class DumpPanel(QGroupBox):
    """The loaded dumps: name, organisation, tables and counts, span, snapshot, channels."""

    remove_requested = Signal(int)  # serial
    report_requested = Signal(int)
    open_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dumpPanel")
        lay = QVBoxLayout(self)
        self.empty = QLabel()
        self.empty.setObjectName("dropHint")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setFrameShape(QFrame.Shape.StyledPanel)
        self.empty.setMinimumHeight(60)
        lay.addWidget(self.empty)
        self.list = QListWidget()
        self.list.setObjectName("dumpList")
        self.list.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        lay.addWidget(self.list)
        self.details = QLabel()
        self.details.setObjectName("dumpDetails")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.details)
        self.badge = QPushButton()
        self.badge.setObjectName("reportBadge")
        self.badge.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        lay.addWidget(self.badge)
        row = QHBoxLayout()
        self.open_button = QPushButton()
        self.open_button.setObjectName("openButton")
        self.remove_button = QPushButton()
        self.remove_button.setObjectName("removeButton")
        row.addWidget(self.open_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.entries: list[DumpEntry] = []
        self.list.currentRowChanged.connect(lambda _row: self._show_details())
        self.remove_button.clicked.connect(self._remove_current)
        self.badge.clicked.connect(self._report_current)
        self.open_button.clicked.connect(self.open_requested)
        self.retranslate()

    def current_entry(self) -> DumpEntry | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def _remove_current(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self.remove_requested.emit(entry.serial)

    def _report_current(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self.report_requested.emit(entry.serial)

    def set_entries(self, entries: list[DumpEntry]) -> None:
        keep = self.current_entry()
        self.entries = list(entries)
        self.list.blockSignals(True)
        self.list.clear()
        for e in self.entries:
            item = QListWidgetItem(self._item_text(e))
            item.setToolTip(e.path)
            self.list.addItem(item)
        row = self.entries.index(keep) if keep in self.entries else len(self.entries) - 1
        self.list.setCurrentRow(row)
        rows = min(max(len(self.entries), 1), 4)
        self.list.setFixedHeight(
            rows * (self.list.fontMetrics().height() + 6) + 2 * self.list.frameWidth() + 2
        )
        self.list.blockSignals(False)
        self._show_details()

    def _item_text(self, e: DumpEntry) -> str:
        if e.state == "loading":
            return self.tr("%1 — loading…").replace("%1", e.name)
        org = e.dump.organization if e.dump is not None else None
        return f"{e.name} — {org}" if org else e.name

    def _show_details(self) -> None:
        has = bool(self.entries)
        self.empty.setVisible(not has)
        self.list.setVisible(has)
        self.details.setVisible(has)
        self.remove_button.setEnabled(self.current_entry() is not None)
        entry = self.current_entry()
        self.badge.hide()
        if entry is None:
            self.details.clear()
            return
        if entry.state == "loading" or entry.dump is None:
            self.details.setText(html.escape(self.tr("Reading %1…").replace("%1", entry.path)))
            return
        self.details.setText(self.describe(entry))
        report = entry.dump.report
        if report.has_problems:
            self.badge.setText(
                self.tr("%1 rows rejected, %2 warnings — View report")
                .replace("%1", fmt_int(len(report.rejected)))
                .replace("%2", fmt_int(len(report.warnings)))
            )
            self.badge.setToolTip(self.tr("Open the import report: every rejected row with its reason"))
            self.badge.show()

    def describe(self, entry: DumpEntry) -> str:
        from sparkdesk.gui.jobs import summarize

        d = entry.dump
        esc = html.escape
        summary = summarize(d)  # kept on the dump by the load job: no column scan here
        span = summary.span
        fmt = "%Y-%m-%d %H:%M"
        span_text = (
            f"{span[0].strftime(fmt)} – {span[1].strftime(fmt)} UTC" if span else self.tr("no dated rows")
        )
        parts = []
        for name, table in d.tables.items():
            stats = d.report.stats.get(name)
            if len(table) == 0 and not (stats and stats.read):
                continue
            parts.append(f"{esc(name)}&nbsp;{fmt_int(len(table))}")
        t_org, t_span, t_snap, t_chan, t_tables = (
            self.tr("Organisation:"),
            self.tr("Time span:"),
            self.tr("Snapshot:"),
            self.tr("Channels:"),
            self.tr("Rows per table:"),
        )
        org = d.organization or self.tr("(not named)")
        lines = [
            f"<b>{esc(t_org)}</b> {esc(org)}",
            f"<b>{esc(t_span)}</b> {esc(span_text)}",
            f"<b>{esc(t_snap)}</b> {esc(d.snapshot.strftime('%Y-%m-%d %H:%M:%S'))} UTC",
            f"<b>{esc(t_chan)}</b> {fmt_int(len(summary.channels))}",
            f"<b>{esc(t_tables)}</b> {' · '.join(parts)}",
        ]
        return "<br>".join(lines)

    def retranslate(self) -> None:
        self.setTitle(self.tr("&Data"))
        self.empty.setText(
            self.tr("Drop dump folders, .zip files or table files anywhere on this window, or click Open.")
        )
        self.open_button.setText(self.tr("&Open…"))
        self.open_button.setToolTip(self.tr("Open a dump: table files or a .zip (Ctrl+O)"))
        self.remove_button.setText(self.tr("&Remove"))
        self.remove_button.setToolTip(self.tr("Remove the selected dump"))
        self.set_entries(self.entries)


class OptionsPanel(QWidget):
    """Export type, zone, range, channels, header language and file options."""

    changed = Signal()
    generate_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui_lang = "en"
        self._span: tuple[dt.date, dt.date] | None = None
        self._anchor: dt.date | None = None
        self._valid_zones: set[str] = set()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)

        # Export type
        self.export_box = QGroupBox()
        form = QVBoxLayout(self.export_box)
        self.type_combo = QComboBox()
        self.type_combo.setObjectName("typeCombo")
        for e in EXPORTS:
            self.type_combo.addItem(e.name_en, e.id)
        self.type_desc = QLabel()
        self.type_desc.setObjectName("typeDescription")
        self.type_desc.setWordWrap(True)
        form.addWidget(self.type_combo)
        form.addWidget(self.type_desc)
        outer.addWidget(self.export_box)

        # Filters
        self.filter_box = QGroupBox()
        grid = QFormLayout(self.filter_box)
        grid.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.tz_combo = QComboBox()
        self.tz_combo.setObjectName("tzCombo")
        self.tz_combo.setEditable(True)
        self.tz_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.tz_combo.setMaxVisibleItems(20)
        self.tz_label = QLabel()
        self.tz_label.setBuddy(self.tz_combo)
        grid.addRow(self.tz_label, self.tz_combo)
        self.tz_warning = QLabel()
        self.tz_warning.setWordWrap(True)
        self.tz_warning.hide()
        grid.addRow(self.tz_warning)

        self.range_check = QCheckBox()
        self.range_check.setObjectName("rangeCheck")
        grid.addRow(self.range_check)
        self.preset_combo = QComboBox()
        self.preset_combo.setObjectName("presetCombo")
        for key in PRESETS:
            self.preset_combo.addItem(key, key)
        self.preset_label = QLabel()
        self.preset_label.setBuddy(self.preset_combo)
        grid.addRow(self.preset_label, self.preset_combo)
        dates = QHBoxLayout()
        self.from_edit = QDateEdit()
        self.from_edit.setObjectName("fromEdit")
        self.to_edit = QDateEdit()
        self.to_edit.setObjectName("toEdit")
        for w in (self.from_edit, self.to_edit):
            w.setCalendarPopup(True)
            w.setDisplayFormat("yyyy-MM-dd")
        self.to_label = QLabel()
        dates.addWidget(self.from_edit, 1)
        dates.addWidget(self.to_label)
        dates.addWidget(self.to_edit, 1)
        self.from_label = QLabel()
        self.from_label.setBuddy(self.from_edit)
        grid.addRow(self.from_label, dates)
        self.range_note = QLabel()
        self.range_note.setWordWrap(True)
        grid.addRow(self.range_note)

        self.channel_label = QLabel()
        grid.addRow(self.channel_label)
        self.channel_note = QLabel()
        self.channel_note.setWordWrap(True)
        grid.addRow(self.channel_note)
        self.channel_search = QLineEdit()
        self.channel_search.setObjectName("channelSearch")
        self.channel_search.setClearButtonEnabled(True)
        grid.addRow(self.channel_search)
        self.channel_model = ChannelModel(self)
        self.channel_view = QTreeView()
        self.channel_view.setObjectName("channelView")
        self.channel_view.setModel(self.channel_model)
        self.channel_view.setHeaderHidden(True)
        self.channel_view.setMinimumHeight(80)
        self.channel_view.setMaximumHeight(130)
        self.channel_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        grid.addRow(self.channel_view)
        buttons = QHBoxLayout()
        self.all_button = QPushButton()
        self.all_button.setObjectName("channelsAll")
        self.none_button = QPushButton()
        self.none_button.setObjectName("channelsNone")
        self.channel_count = QLabel()
        buttons.addWidget(self.all_button)
        buttons.addWidget(self.none_button)
        buttons.addStretch(1)
        buttons.addWidget(self.channel_count)
        grid.addRow(buttons)
        outer.addWidget(self.filter_box)

        # File options
        self.file_box = QGroupBox()
        fgrid = QGridLayout(self.file_box)
        self.lang_combo = QComboBox()
        self.lang_combo.setObjectName("headerLangCombo")
        self.lang_combo.addItem("English", "en")
        self.lang_combo.addItem("Español", "es")
        self.lang_label = QLabel()
        self.lang_label.setBuddy(self.lang_combo)
        self.time_combo = QComboBox()
        self.time_combo.setObjectName("timeFormatCombo")
        self.time_combo.addItem("local", "local")
        self.time_combo.addItem("iso", "iso")
        self.time_label = QLabel()
        self.time_label.setBuddy(self.time_combo)
        self.content_check = QCheckBox()
        self.content_check.setObjectName("contentCheck")
        self.bom_check = QCheckBox()
        self.bom_check.setObjectName("bomCheck")
        self.guard_check = QCheckBox()
        self.guard_check.setObjectName("guardCheck")
        for w in (self.content_check, self.bom_check, self.guard_check):
            w.setChecked(True)
        fgrid.addWidget(self.lang_label, 0, 0)
        fgrid.addWidget(self.lang_combo, 0, 1)
        fgrid.addWidget(self.time_label, 1, 0)
        fgrid.addWidget(self.time_combo, 1, 1)
        fgrid.addWidget(self.content_check, 2, 0, 1, 2)
        fgrid.addWidget(self.bom_check, 3, 0, 1, 2)
        fgrid.addWidget(self.guard_check, 4, 0, 1, 2)
        fgrid.setColumnStretch(1, 1)
        outer.addWidget(self.file_box)

        self.generate_button = QPushButton()
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setDefault(True)
        self.generate_button.setMinimumHeight(self.generate_button.sizeHint().height() + 8)
        outer.addWidget(self.generate_button)
        outer.addStretch(1)

        self.type_combo.currentIndexChanged.connect(self._type_changed)
        self.tz_combo.currentTextChanged.connect(self._tz_changed)
        self.preset_combo.activated.connect(self._preset_chosen)
        self.from_edit.userDateChanged.connect(self._dates_edited)
        self.to_edit.userDateChanged.connect(self._dates_edited)
        self.range_check.toggled.connect(self._range_toggled)
        self.all_button.clicked.connect(lambda: self.channel_model.set_all(True))
        self.none_button.clicked.connect(lambda: self.channel_model.set_all(False))
        self.channel_model.itemChanged.connect(lambda _i: self._channels_changed())
        self.channel_search.textChanged.connect(self._search_channels)
        self.generate_button.clicked.connect(self.generate_requested)
        for w in (self.lang_combo, self.time_combo):
            w.currentIndexChanged.connect(lambda _i: self.changed.emit())
        for w in (self.content_check, self.bom_check, self.guard_check):
            w.toggled.connect(lambda _b: self.changed.emit())
        self._setting_dates = False
        self.set_data_available(False)
        self.retranslate()

    # -- zones -------------------------------------------------------------------------
    def fill_zones(self, zones: list[str], current: str) -> None:
        self._valid_zones = set(zones)
        self.tz_combo.blockSignals(True)
        self.tz_combo.clear()
        self.tz_combo.addItems(zones)
        completer = QCompleter(zones, self.tz_combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.tz_combo.setCompleter(completer)
        self.tz_combo.setCurrentText(current)
        self.tz_combo.blockSignals(False)
        self._tz_changed(current)

    def tz(self) -> str:
        return self.tz_combo.currentText().strip()

    def tz_valid(self) -> bool:
        return self.tz() in self._valid_zones

    def _tz_changed(self, _text: str) -> None:
        self.tz_warning.setVisible(not self.tz_valid())
        self.changed.emit()

    # -- type --------------------------------------------------------------------------
    def type_id(self) -> str:
        return self.type_combo.currentData()

    def set_type(self, type_id: str) -> bool:
        i = self.type_combo.findData(type_id)
        if i >= 0:
            self.type_combo.setCurrentIndex(i)
        return i >= 0

    def _type_changed(self, _i: int) -> None:
        self._update_applicability()
        self.changed.emit()

    def _update_applicability(self) -> None:
        from sparkdesk.gui.help import export_help

        e = export_type(self.type_id())
        lang = self.ui_lang
        self.type_desc.setText(e.row_es if lang == "es" else e.row_en)
        self.type_desc.setToolTip(export_help(e.id))
        self.type_combo.setToolTip(export_help(e.id))
        has_data = self._span is not None
        self.range_check.setVisible(e.range_optional)
        range_on = (not e.range_optional) or self.range_check.isChecked()
        for w in (self.preset_combo, self.from_edit, self.to_edit):
            w.setEnabled(has_data and range_on)
        if e.range_optional:
            self.range_note.setText(
                self.tr("The date range is optional for this export: without it, every open conversation.")
            )
            self.range_note.show()
        else:
            self.range_note.hide()
        uses = e.uses_channels
        for w in (self.channel_view, self.channel_search, self.all_button, self.none_button):
            w.setEnabled(uses and has_data)
        self.channel_note.setText(self.tr("This export ignores channels: presence is per agent."))
        self.channel_note.setVisible(not uses)
        self.content_check.setEnabled(e.id == "message")
        self.content_check.setToolTip(
            self.tr("Only the Messages export has message content.")
            if e.id != "message"
            else self.tr("Leave unchecked to export messages without their content.")
        )

    def _range_toggled(self, _on: bool) -> None:
        self._update_applicability()
        self.changed.emit()

    # -- data --------------------------------------------------------------------------
    def set_data_available(self, available: bool) -> None:
        for w in (self.type_combo, self.tz_combo, self.generate_button):
            w.setEnabled(available if w is self.generate_button else True)
        self._update_applicability()

    def set_span(self, span: tuple[dt.date, dt.date] | None, anchor: dt.date | None) -> None:
        """The data's first and last day in the chosen zone, and the snapshot's day."""
        self._span = span
        self._anchor = anchor
        if span is None:
            self._update_applicability()
            return
        lo, hi = (QDate(d.year, d.month, d.day) for d in span)
        self._setting_dates = True
        for w in (self.from_edit, self.to_edit):
            w.setDateRange(lo, hi)
        self._setting_dates = False
        self.apply_preset(self.preset())
        self._update_applicability()

    def preset(self) -> str:
        return self.preset_combo.currentData()

    def _preset_chosen(self, _i: int) -> None:
        self.apply_preset(self.preset())
        self.changed.emit()

    def preset_range(self, key: str) -> tuple[dt.date, dt.date] | None:
        if self._span is None:
            return None
        lo, hi = self._span
        today = min(max(self._anchor or hi, lo), hi)
        if key == "all":
            a, b = lo, hi
        elif key == "today":
            a = b = today
        elif key == "yesterday":
            a = b = today - dt.timedelta(days=1)
        elif key == "last7":
            a, b = today - dt.timedelta(days=6), today
        elif key == "last30":
            a, b = today - dt.timedelta(days=29), today
        elif key == "this_month":
            a, b = today.replace(day=1), today
        elif key == "last_month":
            b = today.replace(day=1) - dt.timedelta(days=1)
            a = b.replace(day=1)
        else:
            return None
        return max(a, lo), min(max(b, lo), hi)

    def apply_preset(self, key: str) -> None:
        i = self.preset_combo.findData(key)
        self.preset_combo.setCurrentIndex(i)
        rng = self.preset_range(key)
        if rng is None:
            return
        self._setting_dates = True
        self.from_edit.setDate(QDate(rng[0].year, rng[0].month, rng[0].day))
        self.to_edit.setDate(QDate(rng[1].year, rng[1].month, rng[1].day))
        self._setting_dates = False

    def _dates_edited(self, _d: QDate) -> None:
        if self._setting_dates:
            return
        self.preset_combo.setCurrentIndex(self.preset_combo.findData("custom"))
        self.changed.emit()

    def set_range(self, first: dt.date, last: dt.date) -> None:
        self.from_edit.setDate(QDate(first.year, first.month, first.day))
        self.to_edit.setDate(QDate(last.year, last.month, last.day))

    def date_range(self) -> tuple[dt.date | None, dt.date | None]:
        """The range to pass to the core: (None, None) means its default (or no limit)."""
        e = export_type(self.type_id())
        if e.range_optional and not self.range_check.isChecked():
            return None, None
        if self.preset() == "all":
            return None, None
        return self.from_edit.date().toPython(), self.to_edit.date().toPython()

    def range_valid(self) -> bool:
        return self.from_edit.date() <= self.to_edit.date()

    # -- channels ----------------------------------------------------------------------
    def set_channels(self, rows: list[tuple[str, str | None, str | None]]) -> None:
        self.channel_model.set_channels(rows, self.tr("(no medium)"))
        self.channel_view.expandAll()
        self._search_channels(self.channel_search.text())
        self._channels_changed()

    def channels(self) -> tuple[str, ...]:
        """Checked channel ids; empty when every channel is checked (the core's "every channel")."""
        checked = self.channel_model.checked_ids()
        if len(checked) == len(self.channel_model.all_ids()):
            return ()
        return tuple(checked)

    def no_channel_checked(self) -> bool:
        return bool(self.channel_model.all_ids()) and not self.channel_model.checked_ids()

    def _channels_changed(self) -> None:
        self.channel_count.setText(
            self.tr("%1 of %2 checked")
            .replace("%1", fmt_int(len(self.channel_model.checked_ids())))
            .replace("%2", fmt_int(len(self.channel_model.all_ids())))
        )
        self.changed.emit()

    def _search_channels(self, text: str) -> None:
        needle = text.strip().casefold()
        root = self.channel_model.invisibleRootItem()
        for g in range(root.rowCount()):
            group = root.child(g)
            group_hit = needle in group.text().casefold()
            any_visible = False
            for r in range(group.rowCount()):
                item = group.child(r)
                hit = not needle or group_hit or needle in item.text().casefold()
                self.channel_view.setRowHidden(r, group.index(), not hit)
                any_visible |= hit
            self.channel_view.setRowHidden(g, QModelIndex(), not any_visible)

    # -- file options ------------------------------------------------------------------
    def header_lang(self) -> str:
        return self.lang_combo.currentData()

    def time_format(self) -> str:
        return self.time_combo.currentData()

    def retranslate(self) -> None:
        lang = self.ui_lang
        self.export_box.setTitle(self.tr("&Export"))
        for i, e in enumerate(EXPORTS):
            self.type_combo.setItemText(i, e.name(lang))
            self.type_combo.setItemData(
                i, e.row_es if lang == "es" else e.row_en, Qt.ItemDataRole.ToolTipRole
            )
        self.filter_box.setTitle(self.tr("Filters"))
        self.tz_label.setText(self.tr("Time &zone:"))
        self.tz_combo.setToolTip(
            self.tr("IANA time zone: days and times are read and written in it. Type to search.")
        )
        self.tz_warning.setText(self.tr("Unknown time zone: choose one from the list."))
        self.range_check.setText(self.tr("Only conversations &created in these days"))
        self.preset_label.setText(self.tr("&Range:"))
        names = {
            "all": self.tr("All data"),
            "today": self.tr("Today"),
            "yesterday": self.tr("Yesterday"),
            "last7": self.tr("Last 7 days"),
            "last30": self.tr("Last 30 days"),
            "this_month": self.tr("This month"),
            "last_month": self.tr("Last month"),
            "custom": self.tr("Custom"),
        }
        for i in range(self.preset_combo.count()):
            self.preset_combo.setItemText(i, names[self.preset_combo.itemData(i)])
        self.preset_combo.setToolTip(
            self.tr("Presets count back from the dump's snapshot day and stay within the data's span.")
        )
        self.from_label.setText(self.tr("&From:"))
        self.to_label.setText(self.tr("to"))
        self.from_edit.setToolTip(self.tr("First day of the range, inclusive"))
        self.to_edit.setToolTip(self.tr("Last day of the range, inclusive"))
        self.channel_label.setText(self.tr("Channels:"))
        self.channel_search.setPlaceholderText(self.tr("Search channels"))
        self.channel_view.setToolTip(self.tr("Only conversations of the checked channels are counted"))
        self.all_button.setText(self.tr("&All"))
        self.all_button.setToolTip(self.tr("Check every channel"))
        self.none_button.setText(self.tr("&None"))
        self.none_button.setToolTip(self.tr("Uncheck every channel"))
        self.file_box.setTitle(self.tr("File"))
        self.lang_label.setText(self.tr("&Headers:"))
        self.lang_combo.setToolTip(self.tr("Language of the column headers in the file"))
        self.time_label.setText(self.tr("&Timestamps:"))
        self.time_combo.setItemText(0, self.tr("Local time (2025-03-10 14:05:09)"))
        self.time_combo.setItemText(1, self.tr("ISO 8601 with offset"))
        self.content_check.setText(self.tr("Include message &content"))
        self.bom_check.setText(self.tr("&Byte-order mark (BOM)"))
        self.bom_check.setToolTip(
            self.tr("Start CSV files with a UTF-8 byte-order mark, which helps Excel read them")
        )
        self.guard_check.setText(self.tr("Formula &guard"))
        self.guard_check.setToolTip(
            self.tr(
                "Protects spreadsheet users: a text cell that starts with = + - @ (like a formula) "
                "gets a leading quote in CSV files"
            )
        )
        self.generate_button.setText(self.tr("&Generate"))
        self.generate_button.setToolTip(self.tr("Compute the export (Ctrl+E)"))
        self._channels_changed()
        self._update_applicability()


class PreviewPanel(QWidget):
    """The result grid: sort by header click, filter box, copy selection."""

    sort_requested = Signal(int, bool)
    filter_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("previewTitle")
        f = self.title.font()
        f.setBold(True)
        self.title.setFont(f)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("filterEdit")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaximumWidth(320)
        top.addWidget(self.title, 1)
        top.addWidget(self.filter_edit)
        lay.addLayout(top)
        self.stack = QStackedWidget()
        self.placeholder = QLabel()
        self.placeholder.setObjectName("previewPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setFrameShape(QFrame.Shape.StyledPanel)
        self.model = FrameModel(self)
        self.view = make_table_view()
        self.view.setObjectName("previewView")
        self.view.setModel(self.model)
        header = self.view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(False)
        header.sectionClicked.connect(self._header_clicked)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.view)
        lay.addWidget(self.stack, 1)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(lambda: self.filter_requested.emit(self.filter_edit.text()))
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self._filter_now)
        self.confirm_copy = self._ask_copy  # replaceable in tests
        self.retranslate()

    def _filter_now(self) -> None:
        self._filter_timer.stop()
        self.filter_requested.emit(self.filter_edit.text())

    def _header_clicked(self, section: int) -> None:
        m = self.model
        ascending = not (m.sort_column == section and m.sort_ascending)
        self.sort_requested.emit(section, ascending)

    def reset_scroll(self) -> None:
        """Scroll to the top before the rows change. Measured: a view scrolled near the end of
        a big table whose row count then shrinks makes QHeaderView query every row's header
        (5 s for 300,000 rows); from the top the same change repaints in milliseconds."""
        self.view.scrollToTop()

    def show_sort_indicator(self) -> None:
        header = self.view.horizontalHeader()
        if self.model.sort_column < 0:
            header.setSortIndicatorShown(False)
            return
        header.setSortIndicatorShown(True)
        header.setSortIndicator(
            self.model.sort_column,
            Qt.SortOrder.AscendingOrder if self.model.sort_ascending else Qt.SortOrder.DescendingOrder,
        )

    def show_table(self, shown: bool) -> None:
        self.stack.setCurrentWidget(self.view if shown else self.placeholder)
        self.filter_edit.setEnabled(shown)

    def fit_columns(self) -> None:
        """Column widths from the header and the first rows only (never resize-to-contents).

        Runs on the UI thread when a result arrives, so it stays cheap: the first rows'
        texts come through the model's block cache (the first paint reuses them), and
        only the longest few texts of a column are measured.
        """
        fm = self.view.fontMetrics()
        hfm = self.view.horizontalHeader().fontMetrics()
        n = min(self.model.rowCount(), 60)
        for c in range(self.model.columnCount()):
            header = str(self.model.headerData(c, Qt.Orientation.Horizontal) or "")
            width = hfm.horizontalAdvance(header) + 28
            if n:
                longest = heapq.nlargest(FIT_MEASURED, set(self.model.head_texts(n, c)), key=len)
                width = max(width, max(fm.horizontalAdvance(t) for t in longest) + 16)
            self.view.setColumnWidth(c, min(width, 320))

    # -- copy --------------------------------------------------------------------------
    def _ask_copy(self, cells: int) -> bool:
        answer = QMessageBox.question(
            self,
            self.tr("Copy"),
            self.tr("Copy %1 cells to the clipboard? This may take a while.").replace("%1", fmt_int(cells)),
        )
        return answer == QMessageBox.StandardButton.Yes

    def selection_text(self) -> tuple[str, int] | None:
        """Tab-separated text of the selected cells (the bounding rows × columns), and its size."""
        import numpy as np

        sel = self.view.selectionModel().selection() if self.view.selectionModel() else None
        if sel is None or sel.isEmpty():
            return None
        rows_parts, cols = [], set()
        for r in sel:
            rows_parts.append(np.arange(r.top(), r.bottom() + 1))
            cols.update(range(r.left(), r.right() + 1))
        rows = np.unique(np.concatenate(rows_parts))
        columns = sorted(cols)
        cells = len(rows) * len(columns)
        if cells > COPY_CONFIRM_CELLS and not self.confirm_copy(cells):
            return None
        texts = [self.model.texts(rows, c) for c in columns]
        lines = ["\t".join(col[i] for col in texts) for i in range(len(rows))]
        return "\n".join(lines) + "\n", cells

    def copy_selection(self) -> int:
        got = self.selection_text()
        if got is None:
            return 0
        QGuiApplication.clipboard().setText(got[0])
        return got[1]

    def retranslate(self) -> None:
        self.filter_edit.setPlaceholderText(self.tr("Filter rows (Ctrl+F)"))
        self.filter_edit.setToolTip(
            self.tr("Keep the rows where any cell contains this text (ignoring case)")
        )
        self.placeholder.setText(
            self.tr(
                "Drop a dump here, choose an export and press Generate (Ctrl+E).\n"
                "The result appears in this grid: click a header to sort, type above to filter, "
                "and save it with Ctrl+S."
            )
        )
        self.view.setToolTip("")
