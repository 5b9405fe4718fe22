"""The busy state: what runs in the background, how far it got, and Cancel.

It sits next to the task runner, as Orange's ``ConcurrentWidgetMixin`` and Anki's
``with_progress`` do: ``TaskRunner`` says when a task starts (with the text to show), how
far it got and when it ended, and the indicator shows that in the status bar (a label, a
bar, a Cancel button). The window only asks whether anything, or one slot, is busy.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from sparkdesk.gui.runner import TaskRunner


class Slot:
    """The window's task slots: a new task in a slot cancels the one before it."""

    COMPUTE = "compute"  # the export shown in the preview
    SORT = "sort"  # the preview's order, for a big table
    FILTER = "filter"  # the preview's row filter, for a big table
    SAVE = "save"  # the previewed export, or all twelve
    REPORT = "report"  # an import report as CSV
    INSPECT = "inspect"  # the lock sessions of the import report shown
    COMBINE = "combine"  # several loaded dumps, read again as one
    CLEAR_COPIES = "clear-copies"  # deleting the saved copies of dumps

    @staticmethod
    def load(serial: int) -> str:
        """Each dump of the list loads in a slot of its own."""
        return f"load:{serial}"


class BusyIndicator(QObject):
    """The status bar's progress label, progress bar and Cancel button, driven by a runner."""

    changed = Signal()  # a task started or ended

    def __init__(self, runner: TaskRunner, status_bar: QStatusBar) -> None:
        super().__init__(status_bar)
        self.runner = runner
        self._text: dict[str, str] = {}  # each busy slot's text, the newest last (the one shown)
        self._detail: dict[str, str] = {}  # the latest progress text of each slot
        self._since: dict[str, float] = {}  # time.monotonic() when each slot's task started
        # The core reports progress between its steps; a step can run for seconds at full
        # size (a shared definition, or an export's own table). Once a second the label then
        # shows the time spent, so that the window visibly keeps working.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._show_text)

        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setObjectName("progressBar")
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(240)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("cancelButton")
        for w in (self.label, self.bar, self.cancel_button):
            status_bar.addPermanentWidget(w)
        self.cancel_button.clicked.connect(self.cancel)
        runner.started.connect(self._started)
        runner.progress.connect(self._progress)
        runner.finished.connect(self._finished)
        self._show(False)

    def active(self, slot: str | None = None) -> bool:
        """Whether a task runs (in ``slot``, or in any slot)."""
        return slot in self._text if slot is not None else bool(self._text)

    def cancel(self) -> None:
        """Cancel every task that runs."""
        for slot in list(self._text):
            self.runner.cancel(slot)
        if self._text:
            # at once, while the worker runs on to its next check of the token
            self.cancel_button.setEnabled(False)

    def retranslate(self) -> None:
        self.cancel_button.setText(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop the work in progress (Esc)"))

    def _started(self, slot: str, text: str) -> None:
        self._text.pop(slot, None)
        self._text[slot] = text
        self._detail.pop(slot, None)
        self._since[slot] = time.monotonic()
        self._ticker.start()
        self.cancel_button.setEnabled(True)
        self.label.setText(text)
        self.bar.setValue(0)
        self._show(True)
        self.changed.emit()

    def _progress(self, slot: str, value: float, text: str) -> None:
        if slot not in self._text:
            return
        self.bar.setValue(int(value * 1000))
        if text:
            self._detail[slot] = text
            self._show_text()

    def _show_text(self) -> None:
        if not self._text:
            self._ticker.stop()
            return
        slot, text = next(reversed(self._text.items()))
        detail = self._detail.get(slot)
        if detail:
            text = f"{text} {detail}"
        seconds = int(time.monotonic() - self._since.get(slot, time.monotonic()))
        if seconds >= 1:
            text = f"{text} · {seconds // 60}:{seconds % 60:02d}"
        self.label.setText(text)

    def _finished(self, slot: str) -> None:
        self._text.pop(slot, None)
        self._detail.pop(slot, None)
        self._since.pop(slot, None)
        if self._text:
            self._show_text()
        else:
            self._ticker.stop()
            self._show(False)
        self.changed.emit()

    def _show(self, shown: bool) -> None:
        for w in (self.label, self.bar, self.cancel_button):
            w.setVisible(shown)
