"""The export choices: type, zone, range, channels, and the file options.

The panel hands the window one value, ``Choices``, and takes the user's last choices from
the settings and gives them back (``restore``/``store``): the window reads none of its
widgets. ``Choices`` turns into the core's values, ``params_for`` (ExportParams) and
``write_options_for`` (WriteOptions), so that each rule of that mapping is written once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import QDate, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sparkdesk.catalogue import EXPORTS, HEADER_LANGS, export_type
from sparkdesk.gui.help import export_description, export_help
from sparkdesk.gui.models import ChannelModel
from sparkdesk.gui.panels import fmt_int

PRESETS = ("all", "today", "yesterday", "last7", "last30", "this_month", "last_month", "custom")


@dataclass(frozen=True)
class Choices:
    """What the user chose in the panel, as one value."""

    type: str  # the export type's id
    tz: str  # the zone as typed (OptionsPanel.tz_valid() tells whether it is one)
    days: tuple[dt.date, dt.date] | None  # the range's first and last day; None: "All data"
    range_checked: bool  # a range-optional export's "Only conversations created in these days"
    channels: tuple[str, ...]  # the checked channel ids; empty: every channel
    include_content: bool
    header_lang: str
    time_format: str
    bom: bool
    formula_guard: bool

    def date_range(self, type_id: str | None = None) -> tuple[dt.date | None, dt.date | None]:
        """The range for the export ``type_id`` (default: the chosen one). (None, None) is
        the core's default range, or no limit for a range-optional export without its box."""
        e = export_type(type_id or self.type)
        if self.days is None or (e.range_optional and not self.range_checked):
            return None, None
        return self.days

    def params_for(self, type_id: str | None = None):
        """The core's ``ExportParams`` for ``type_id`` (default: the chosen type)."""
        from sparkdesk.exports import ExportParams

        e = export_type(type_id or self.type)
        first, last = self.date_range(e.id)
        return ExportParams(
            type=e.id,
            tz=self.tz,
            first_day=first,
            last_day=last,
            channels=self.channels if e.uses_channels else (),
            include_content=self.include_content,
        )


def write_options_for(result, choices: Choices, *, preview: bool = False):
    """The writer's options for ``result`` (a ``jobs.Computed``; None for "Export all",
    computed from ``choices`` now). Times are written in the zone the result was computed
    in, whatever the zone box says since; the file options are the current ones. The
    preview shows values as written, without the formula guard's quote."""
    from sparkdesk.writers import WriteOptions

    return WriteOptions(
        lang=choices.header_lang,
        tz=result.params.tz if result is not None else choices.tz,
        time_format=choices.time_format,
        bom=choices.bom,
        formula_guard=choices.formula_guard and not preview,
    )


def local_zone() -> str:
    """The computer's IANA zone name (the same as the command line's default), else UTC."""
    from sparkdesk.localzone import local_zone_name

    return local_zone_name()


def all_zones() -> list[str]:
    from zoneinfo import available_timezones

    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


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
            self.type_combo.addItem(e.name(self.ui_lang), e.id)
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
        for lang, name in HEADER_LANGS.items():
            self.lang_combo.addItem(name, lang)
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

    # -- the choices as one value, and in the settings ----------------------------------
    def choices(self) -> Choices:
        days = self.from_edit.date().toPython(), self.to_edit.date().toPython()
        return Choices(
            type=self.type_id(),
            tz=self.tz(),
            days=None if self.preset() == "all" else days,
            range_checked=self.range_check.isChecked(),
            channels=self.channels(),
            include_content=self.content_check.isChecked(),
            header_lang=self.header_lang(),
            time_format=self.time_format(),
            bom=self.bom_check.isChecked(),
            formula_guard=self.guard_check.isChecked(),
        )

    def problem(self) -> str:
        """Why the export cannot be generated with these choices; "" when it can."""
        if not self.tz_valid():
            return self.tr("Choose a time zone from the list.")
        if not self.range_valid():
            return self.tr("The first day of the range is after the last day.")
        if export_type(self.type_id()).uses_channels and self.no_channel_checked():
            return self.tr("Check at least one channel.")
        return ""

    def restore(self, settings) -> None:
        """Show the choices kept in ``settings`` (a ``gui.settings.Settings``); without a
        kept zone, the computer's."""
        self.fill_zones(all_zones(), settings.tz or local_zone())
        self.set_type(settings.export_type)
        self.lang_combo.setCurrentIndex(max(self.lang_combo.findData(settings.header_lang), 0))
        self.time_combo.setCurrentIndex(max(self.time_combo.findData(settings.time_format), 0))
        self.content_check.setChecked(settings.include_content)
        self.bom_check.setChecked(settings.bom)
        self.guard_check.setChecked(settings.formula_guard)

    def store(self, settings) -> None:
        """Keep the choices in ``settings`` (a zone only when it is one)."""
        c = self.choices()
        settings.export_type = c.type
        settings.tz = c.tz if self.tz_valid() else settings.tz
        settings.header_lang = c.header_lang
        settings.time_format = c.time_format
        settings.include_content = c.include_content
        settings.bom = c.bom
        settings.formula_guard = c.formula_guard

    def show_generate_state(self, enabled: bool, computing: bool) -> None:
        """Generate can be pressed (a dump and valid choices); it says so while it computes."""
        self.generate_button.setEnabled(enabled)
        self.generate_button.setText(self.tr("Generating…") if computing else self.tr("&Generate"))

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
        e = export_type(self.type_id())
        self.type_desc.setText(export_description(e.id))
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
        self.content_check.setEnabled(e.has_content)
        self.content_check.setToolTip(
            self.tr("Leave unchecked to export messages without their content.")
            if e.has_content
            else self.tr("Only the Messages export has message content.")
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
        return self.choices().date_range()

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
            self.type_combo.setItemData(i, export_description(e.id), Qt.ItemDataRole.ToolTipRole)
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
