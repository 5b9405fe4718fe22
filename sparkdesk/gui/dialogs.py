"""Dialogs: errors (one sentence, details on demand), the import report, Preferences, About."""

from __future__ import annotations

import platform

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QCoreApplication, QLocale, Qt, qVersion
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import sparkdesk
from sparkdesk.gui.models import FrameModel
from sparkdesk.memory import format_size

MIB, GIB = 1024**2, 1024**3


def size_text(n: int, *, at_least: bool = False) -> str:
    """``sparkdesk.memory.format_size`` with the user's decimal point ("1,5 GiB" in Spanish)."""
    return format_size(n, at_least=at_least).replace(".", QLocale().decimalPoint())


def show_error(parent: QWidget | None, sentence: str, details: str = "") -> QMessageBox:
    """A non-blocking error box: one sentence; the traceback only under "Show Details"."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(QCoreApplication.translate("Dialogs", "SparkDesk"))
    box.setText(sentence)
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setObjectName("errorBox")
    box.open()
    return box


def make_table_view(parent: QWidget | None = None) -> QTableView:
    """A QTableView set up for big models: fixed row heights, no resize-to-contents."""
    view = QTableView(parent)
    vh = view.verticalHeader()
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vh.setDefaultSectionSize(view.fontMetrics().height() + 6)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectItems)
    view.setHorizontalScrollMode(QTableView.ScrollMode.ScrollPerPixel)
    # read-only grids: the arrow keys move between cells, and Tab leaves the grid (with
    # Qt's default, Tab walked the cells and a keyboard user could not get out)
    view.setTabKeyNavigation(False)
    return view


class ReportDialog(QDialog):
    """The import report of one dump (``sparkdesk.inspection.DumpReport``): counts per
    reason, the lock warnings among them, every rejected row, every warning row. The
    lines of the summary are those of ``sparkdesk inspect``."""

    def __init__(self, name: str, report, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportDialog")
        self.report = report
        self.resize(900, 520)
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.summary)
        self.tabs = QTabWidget()
        self.reasons_model = FrameModel(self)
        self.rejected_model = FrameModel(self)
        self.warnings_model = FrameModel(self)
        self.reasons_view = make_table_view()
        self.rejected_view = make_table_view()
        self.warnings_view = make_table_view()
        for view, model in (
            (self.reasons_view, self.reasons_model),
            (self.rejected_view, self.rejected_model),
            (self.warnings_view, self.warnings_model),
        ):
            view.setModel(model)
        self.tabs.addTab(self.reasons_view, "")
        self.tabs.addTab(self.rejected_view, "")
        self.tabs.addTab(self.warnings_view, "")
        layout.addWidget(self.tabs, 1)
        row = QHBoxLayout()
        self.save_button = QPushButton()
        self.save_button.setObjectName("saveReportButton")
        row.addWidget(self.save_button)
        row.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        row.addWidget(self.buttons)
        layout.addLayout(row)
        self._name = name
        self._checking = True  # while report.lock_warnings is None
        self._fill()
        self.retranslate()

    def set_report(self, report) -> None:
        """The same dump's report, its lock sessions checked."""
        self.report = report
        self._fill()
        self.retranslate()

    def stop_checking(self) -> None:
        """The lock sessions will not be checked (cancelled, or failed)."""
        self._checking = False
        self.retranslate()

    def lock_sentences(self) -> dict[str, str]:
        """``sparkdesk.inspection.LOCK_WARNINGS`` in the window's language."""
        return {
            "unpaired_unlocked": self.tr(
                "UNLOCKED with no open session of that agent on that conversation (ignored)"
            ),
            "open_at_snapshot": self.tr("LOCKED session still open at the snapshot (closed there)"),
        }

    def _fill(self) -> None:
        r = self.report.imported
        self._show(self.reasons_view, self.report.problems(self.lock_sentences()))
        self._show(self.rejected_view, r.rejected)
        self._show(self.warnings_view, r.warnings)

    def _show(self, view, frame) -> None:
        view.model().set_frame(frame)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.horizontalHeader().setStretchLastSection(True)
        wide = {"reason": 360, "raw": 420, "file": 220}
        for c, column in enumerate(frame.columns):
            view.setColumnWidth(c, wide.get(str(column), 120))

    def _headers(self) -> None:
        names = {
            "table": self.tr("Table"),
            "file": self.tr("File"),
            "line": self.tr("Line"),
            "column": self.tr("Column"),
            "reason": self.tr("Reason"),
            "raw": self.tr("Row as read"),
            "kind": self.tr("Kind"),
            "count": self.tr("Count"),
        }
        for model in (self.reasons_model, self.rejected_model, self.warnings_model):
            model.set_headers([names.get(str(c.name), str(c.name)) for c in model.columns])

    def retranslate(self) -> None:
        r = self.report.imported
        self.setWindowTitle(self.tr("Import report — %1").replace("%1", self._name))
        if any((self.report.lock_warnings or {}).values()):  # their reasons follow the language
            self._show(self.reasons_view, self.report.problems(self.lock_sentences()))
        text = (
            self.tr(
                "%1 rows rejected and %2 warnings while reading %3. Rejected rows are left out of every export."
            )
            .replace("%1", f"{len(r.rejected):,}")
            .replace("%2", f"{len(r.warnings):,}")
            .replace("%3", self._name)
        )
        locks = self.report.lock_warnings
        if locks is None:
            checking = self.tr("Checking the lock sessions…")
            text += " " + (checking if self._checking else self.tr("The lock sessions were not checked."))
        elif sum(locks.values()):
            text += " " + self.tr("The lock sessions add %1 warnings (in the summary).").replace(
                "%1", f"{sum(locks.values()):,}"
            )
        self.summary.setText(text)
        self.tabs.setTabText(0, self.tr("Summary"))
        self.tabs.setTabText(1, self.tr("Rejected rows (%1)").replace("%1", f"{len(r.rejected):,}"))
        self.tabs.setTabText(2, self.tr("Warnings (%1)").replace("%1", f"{len(r.warnings):,}"))
        self.save_button.setText(self.tr("&Save report…"))
        self.save_button.setToolTip(self.tr("Save every rejected row with its reason as a CSV file"))
        self._headers()


class PreferencesDialog(QDialog):
    """Edit ▸ Preferences: the memory limit (cli.md's ``--memory-limit``), automatic (half
    of this computer's memory) or a size in MiB or GiB.

    ``limit`` is the limit to show (bytes; 0: automatic), ``default`` what automatic means
    here, ``from_command_line`` whether ``limit`` came from the command line for this session
    (a note says so). ``memory_limit()`` is the user's choice once accepted.
    """

    def __init__(
        self, limit: int, default: int, *, from_command_line: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preferencesDialog")
        self._default = default
        layout = QVBoxLayout(self)
        self.memory_box = QGroupBox()
        box = QVBoxLayout(self.memory_box)
        self.auto_radio = QRadioButton()
        self.auto_radio.setObjectName("memoryAuto")
        self.custom_radio = QRadioButton()
        self.custom_radio.setObjectName("memoryCustom")
        group = QButtonGroup(self)
        group.addButton(self.auto_radio)
        group.addButton(self.custom_radio)
        self.size_spin = QDoubleSpinBox()
        self.size_spin.setObjectName("memorySize")
        self.size_spin.setDecimals(1)
        self.size_spin.setRange(0.1, 999_999.0)
        self.unit_combo = QComboBox()
        self.unit_combo.setObjectName("memoryUnit")
        self.unit_combo.addItem("MiB", MIB)
        self.unit_combo.addItem("GiB", GIB)
        row = QHBoxLayout()
        row.addWidget(self.custom_radio)
        row.addWidget(self.size_spin, 1)
        row.addWidget(self.unit_combo)
        self.memory_note = QLabel()
        self.memory_note.setWordWrap(True)
        self.session_note = QLabel()
        self.session_note.setObjectName("memorySessionNote")
        self.session_note.setWordWrap(True)
        self.session_note.setVisible(from_command_line)
        box.addWidget(self.auto_radio)
        box.addLayout(row)
        box.addWidget(self.memory_note)
        box.addWidget(self.session_note)
        layout.addWidget(self.memory_box)
        layout.addStretch(1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.custom_radio.toggled.connect(self._custom_toggled)
        self._show_limit(limit)
        self.retranslate(limit if from_command_line else 0)
        self.setMinimumWidth(480)

    def _show_limit(self, limit: int) -> None:
        shown = limit if limit > 0 else self._default
        unit = GIB if shown >= GIB else MIB
        self.unit_combo.setCurrentIndex(self.unit_combo.findData(unit))
        self.size_spin.setValue(round(shown / unit, 1))
        (self.custom_radio if limit > 0 else self.auto_radio).setChecked(True)
        self._custom_toggled(limit > 0)

    def _custom_toggled(self, on: bool) -> None:
        self.size_spin.setEnabled(on)
        self.unit_combo.setEnabled(on)

    def memory_limit(self) -> int:
        """The chosen limit in bytes; 0 for automatic."""
        if self.auto_radio.isChecked():
            return 0
        return max(int(round(self.size_spin.value() * self.unit_combo.currentData())), 1)

    def retranslate(self, session_limit: int = 0) -> None:
        self.setWindowTitle(self.tr("Preferences"))
        self.memory_box.setTitle(self.tr("Memory"))
        self.auto_radio.setText(
            self.tr("&Automatic: half of this computer's memory (%1)").replace("%1", size_text(self._default))
        )
        self.custom_radio.setText(self.tr("&Limit:"))
        self.size_spin.setToolTip(self.tr("The most memory an export may hold"))
        self.memory_note.setText(
            self.tr(
                "The most memory SparkDesk may hold to compute an export. A dump that does not fit "
                "is processed in parts, with the same result."
            )
        )
        if session_limit:
            self.session_note.setText(
                self.tr("For this session, the command line set the limit to %1.").replace(
                    "%1", size_text(session_limit)
                )
            )


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, icon: QIcon | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        layout = QHBoxLayout(self)
        if icon is not None and not icon.isNull():
            pic = QLabel()
            pic.setPixmap(icon.pixmap(96, 96))
            pic.setAlignment(Qt.AlignmentFlag.AlignTop)
            layout.addWidget(pic)
        col = QVBoxLayout()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        col.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        col.addWidget(buttons)
        layout.addLayout(col)
        self.setWindowTitle(self.tr("About SparkDesk"))
        versions = f"Python {platform.python_version()} · Qt {qVersion()} · PySide6 {pyside_version}"
        self.text.setText(
            "<h2>SparkDesk {v}</h2><p>{desc}</p><p>{offline}</p><p><small>{versions}</small></p>".format(
                v=sparkdesk.__version__,
                desc=self.tr("Sparkcentral's twelve data exports, built on the desktop from raw data dumps."),
                offline=self.tr("Everything runs on this computer: no data leaves it."),
                versions=versions,
            )
        )
