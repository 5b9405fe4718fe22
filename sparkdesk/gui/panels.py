"""The window's panels: loaded dumps, and the preview grid (the export choices: options.py).

Panels hold widgets and state only; every computation is a core function run by the
main window on its thread pool.
"""

from __future__ import annotations

import heapq
import html
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
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
    QVBoxLayout,
    QWidget,
)

from sparkdesk.gui.dialogs import make_table_view
from sparkdesk.gui.models import FrameModel

COPY_CONFIRM_CELLS = 100_000
FIT_MEASURED = 6  # fit_columns measures a column's longest few texts (by characters)


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
    report: Any = None  # sparkdesk.inspection.DumpReport once its lock sessions were checked

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
        rejected = len(entry.dump.report.rejected)
        # the lock sessions' warnings count too, once the report has checked them
        warnings = entry.report.warning_count if entry.report else len(entry.dump.report.warnings)
        if rejected or warnings:
            self.badge.setText(
                self.tr("%1 rows rejected, %2 warnings — View report")
                .replace("%1", fmt_int(rejected))
                .replace("%2", fmt_int(warnings))
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
        for name in d.tables:  # counted without reading a table the cache has not opened
            stats = d.report.stats.get(name)
            rows = d.rows(name)
            if rows == 0 and not (stats and stats.read):
                continue
            parts.append(f"{esc(name)}&nbsp;{fmt_int(rows)}")
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
        self._too_large = ""  # why the filter box is off (a result on disk), else empty
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
        self.filter_edit.setEnabled(shown and not self._too_large)

    def set_too_large(self, sentence: str) -> None:
        """A result too large for memory (``sentence`` says so) is not filtered: the filter
        box is off and says why; an empty sentence turns it back on."""
        self.filter_edit.setEnabled(not sentence and self.stack.currentWidget() is self.view)
        self.filter_edit.setToolTip(sentence or self._filter_tip())
        self._too_large = sentence

    def _filter_tip(self) -> str:
        return self.tr("Keep the rows where any cell contains this text (ignoring case)")

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
        self.filter_edit.setToolTip(self._too_large or self._filter_tip())
        self.placeholder.setText(
            self.tr(
                "Drop a dump here, choose an export and press Generate (Ctrl+E).\n"
                "The result appears in this grid: click a header to sort, type above to filter, "
                "and save it with Ctrl+S."
            )
        )
        self.view.setToolTip("")
