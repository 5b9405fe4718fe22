"""Saved export jobs in the window (jobs.md): "Save as job…" and the Jobs dialog.

"Save as job…" writes the window's current choices (``options.Choices``) and the loaded
dumps' paths as a job file with ``sparkdesk.jobs.save_job``, by default in the user's jobs
folder. The Jobs dialog lists that folder with each job's last receipt, and runs a job now
or registers it with the computer's scheduler: both on the window's thread pool
(``gui/jobs.py``: ``run_job_file``, ``schedule_job``, ``unschedule_job``), the same core
as ``sparkdesk run`` and ``sparkdesk schedule``. Nothing here computes an export.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTime, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTimeEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sparkdesk.catalogue import export_type
from sparkdesk.gui import jobs as gui_jobs

if TYPE_CHECKING:
    from sparkdesk.gui.options import Choices
    from sparkdesk.gui.runner import TaskRunner
    from sparkdesk.gui.window import MainWindow

# The relative ranges offered when saving (jobs.md, "Ranges"), in the order shown.
RELATIVE_RANGES = (
    "yesterday",
    "today",
    "last-7-days",
    "last-30-days",
    "last-week",
    "this-week",
    "last-month",
    "month-to-date",
    "since-last-run",
)
FIXED = "fixed"
WEEK_RANGES = ("last-week", "this-week")
JOB_FORMATS = ("csv", "xlsx", "parquet")
RUN_SLOT = "job-run"  # the Jobs dialog's runs (one at a time)
SCHEDULE_SLOT = "job-schedule"  # registering or removing a schedule


def fixed_range(days: tuple[dt.date, dt.date]) -> str:
    """A job's fixed range, ``YYYY-MM-DD..YYYY-MM-DD``."""
    return f"{days[0].isoformat()}..{days[1].isoformat()}"


def file_stem(name: str) -> str:
    """A job file's name from the job's name: letters, digits and ``-`` (any system takes those)."""
    return re.sub(r"[^\w]+", "-", name.strip().lower(), flags=re.UNICODE).strip("-_")[:60] or "job"


def job_from_choices(
    choices: Choices,
    dumps: list[str],
    *,
    name: str,
    range_text: str,
    out_dir: str,
    fmt: str,
    all_types: bool,
    week_starts: str = "monday",
):
    """The ``sparkdesk.jobs.Job`` of the window's choices: the same zone, channels, header
    language and file options as an export saved from the window. Raises ``JobFileError``
    (one sentence) for a value the job file would refuse."""
    from sparkdesk.jobs import Job, JobOptions

    e = export_type(choices.type)
    return Job(
        name=name.strip(),
        dumps=tuple(dumps),
        types=("all",) if all_types else (e.id,),
        tz=choices.tz,
        range=range_text,
        week_starts=week_starts,
        channels=tuple(choices.channels) if (all_types or e.uses_channels) else (),
        lang=choices.header_lang,
        format=fmt,
        out_dir=out_dir,
        options=JobOptions(
            time_format=choices.time_format,
            content=choices.include_content,
            bom=choices.bom,
            formula_guard=choices.formula_guard,
        ),
    )


class _Dialog(QDialog):
    """A dialog that renames its texts on Qt's language change (its ``retranslate``)."""

    def retranslate(self) -> None:
        raise NotImplementedError

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)


class SaveJobDialog(_Dialog):
    """Name, exports, range, format and folders of a new job; the rest comes from the window."""

    def __init__(
        self,
        choices: Choices,
        dumps: list[str],
        fixed_days: tuple[dt.date, dt.date] | None,
        out_dir: str,
        ui_lang: str = "en",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("saveJobDialog")
        self.choices, self.dumps, self.fixed_days, self.ui_lang = choices, dumps, fixed_days, ui_lang
        self.saved_path: Path | None = None
        self._path_edited = False
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("jobName")
        self.this_type = QRadioButton()
        self.all_types = QRadioButton()
        self.this_type.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.this_type)
        group.addButton(self.all_types)
        types_row = QVBoxLayout()
        types_row.addWidget(self.this_type)
        types_row.addWidget(self.all_types)
        self.range_combo = QComboBox()
        self.range_combo.setObjectName("jobRange")
        self.week_combo = QComboBox()
        self.format_combo = QComboBox()
        self.format_combo.setObjectName("jobFormat")
        self.out_edit = QLineEdit(out_dir)
        self.out_edit.setObjectName("jobOutDir")
        self.out_browse = QPushButton()
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("jobPath")
        self.path_browse = QPushButton()
        self.labels = [QLabel() for _ in range(7)]
        form.addRow(self.labels[0], self.name_edit)
        form.addRow(self.labels[1], types_row)
        form.addRow(self.labels[2], self.range_combo)
        form.addRow(self.labels[3], self.week_combo)
        form.addRow(self.labels[4], self.format_combo)
        form.addRow(self.labels[5], _with_button(self.out_edit, self.out_browse))
        form.addRow(self.labels[6], _with_button(self.path_edit, self.path_browse))
        self.taken_note = QLabel()  # from the window, and what a save would replace
        self.taken_note.setWordWrap(True)
        self.error_label = QLabel()
        self.error_label.setObjectName("jobError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.taken_note)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.name_edit.textEdited.connect(self._name_edited)
        self.path_edit.textEdited.connect(self._path_typed)
        self.range_combo.currentIndexChanged.connect(self._range_changed)
        self.out_browse.clicked.connect(self._browse_out)
        self.path_browse.clicked.connect(self._browse_path)
        self.retranslate()
        self.range_combo.setCurrentIndex(0)  # the days chosen now, else yesterday
        self._range_changed(0)
        self.name_edit.setText(self._default_name())
        self._name_edited(self.name_edit.text())
        self.name_edit.selectAll()  # typing a name replaces the suggested one
        self.name_edit.setFocus()
        self.resize(620, self.sizeHint().height())

    # -- texts ------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Save as Job"))
        for label, text in zip(
            self.labels,
            (
                self.tr("&Name:"),
                self.tr("Exports:"),
                self.tr("&Range:"),
                self.tr("&Weeks start on:"),
                self.tr("&Format:"),
                self.tr("Save files &in:"),
                self.tr("&Job file:"),
            ),
            strict=True,
        ):
            label.setText(text)
        self.labels[0].setBuddy(self.name_edit)
        self.labels[2].setBuddy(self.range_combo)
        self.labels[3].setBuddy(self.week_combo)
        self.labels[4].setBuddy(self.format_combo)
        self.labels[5].setBuddy(self.out_edit)
        self.labels[6].setBuddy(self.path_edit)
        self.this_type.setText(export_type(self.choices.type).name(self.ui_lang))
        self.all_types.setText(self.tr("All twelve exports"))
        self.out_browse.setText(self.tr("Browse…"))
        self.path_browse.setText(self.tr("Browse…"))
        _refill(self.range_combo, self._range_items())
        _refill(self.week_combo, [(d, day_name(d)) for d in WEEKDAY_KEYS])
        _refill(
            self.format_combo,
            [
                ("csv", self.tr("CSV files")),
                ("xlsx", self.tr("Excel workbook")),
                ("parquet", self.tr("Parquet files")),
            ],
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(self.tr("&Save Job"))
        self._show_note()

    def _range_items(self) -> list[tuple[str, str]]:
        items = []
        if self.fixed_days is not None:
            first, last = (d.isoformat() for d in self.fixed_days)
            items.append(
                (FIXED, self.tr("The days chosen now (%1 to %2)").replace("%1", first).replace("%2", last))
            )
        return items + [(key, range_name(key)) for key in RELATIVE_RANGES]

    def _show_note(self) -> None:
        c = self.choices
        channels = (
            self.tr("every channel")
            if not c.channels
            else self.tr("%1 channels").replace("%1", str(len(c.channels)))
        )
        note = (
            self.tr("From the window: the zone %1, %2, headers in %3, and the file options.")
            .replace("%1", c.tz)
            .replace("%2", channels)
            .replace("%3", self.tr("Spanish") if c.header_lang == "es" else self.tr("English"))
        )
        if Path(self.path_edit.text()).is_file():
            note += " " + self.tr("A job file of that name exists: saving replaces it.")
        self.taken_note.setText(note)

    def _default_name(self) -> str:
        return self.tr("%1 report").replace("%1", export_type(self.choices.type).name(self.ui_lang))

    # -- reactions --------------------------------------------------------------------
    def _name_edited(self, text: str) -> None:
        if not self._path_edited:
            from sparkdesk.jobs import user_jobs_dir

            self.path_edit.setText(str(user_jobs_dir() / f"{file_stem(text)}.toml"))
        self._show_note()

    def _path_typed(self, _text: str) -> None:
        self._path_edited = True
        self._show_note()

    def _range_changed(self, _i: int) -> None:
        self.week_combo.setEnabled(self.range_combo.currentData() in WEEK_RANGES)

    def _browse_out(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Folder for the job's files"), self.out_edit.text()
        )
        if folder:
            self.out_edit.setText(folder)

    def _browse_path(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Save job file"), self.path_edit.text(), self.tr("Job file (*.toml)")
        )
        if path:
            self.path_edit.setText(path if path.lower().endswith(".toml") else path + ".toml")
            self._path_typed(path)

    # -- the job ----------------------------------------------------------------------
    def range_text(self) -> str:
        key = self.range_combo.currentData()
        return fixed_range(self.fixed_days) if key == FIXED and self.fixed_days else key

    def job(self):
        return job_from_choices(
            self.choices,
            self.dumps,
            name=self.name_edit.text(),
            range_text=self.range_text(),
            out_dir=self.out_edit.text().strip(),
            fmt=self.format_combo.currentData(),
            all_types=self.all_types.isChecked(),
            week_starts=self.week_combo.currentData(),
        )

    def save(self) -> None:
        """Write the job file; a value the job would refuse stays in the dialog as one sentence."""
        from sparkdesk.jobs import JobFileError, save_job

        text = self.path_edit.text().strip()
        try:
            if not text:
                raise JobFileError(self.tr("Give the job file a name."))
            self.saved_path = save_job(self.job(), Path(text).expanduser())
        except (JobFileError, OSError) as err:
            self.error_label.setText(_sentence(err))
            return
        self.accept()


class ScheduleDialog(_Dialog):
    """Every hour, day or week, at a time: the same choices as ``sparkdesk schedule install``."""

    def __init__(self, job_title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleDialog")
        self.job_title = job_title
        self.every_combo = QComboBox()
        self.every_combo.setObjectName("scheduleEvery")
        self.at_edit = QTimeEdit(QTime(7, 0))
        self.at_edit.setObjectName("scheduleAt")
        self.at_edit.setDisplayFormat("HH:mm")
        self.day_combo = QComboBox()
        self.day_combo.setObjectName("scheduleDay")
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.labels = [QLabel() for _ in range(3)]
        form = QFormLayout()
        form.addRow(self.labels[0], self.every_combo)
        form.addRow(self.labels[1], self.day_combo)
        form.addRow(self.labels[2], self.at_edit)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.buttons)
        self.every_combo.currentIndexChanged.connect(self._every_changed)
        self.retranslate()
        self.every_combo.setCurrentIndex(self.every_combo.findData("weekly"))
        self.setMinimumWidth(380)

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Schedule Job"))
        self.intro.setText(
            self.tr(
                "Run “%1” on time with the computer's own scheduler, even when SparkDesk is closed."
            ).replace("%1", self.job_title)
        )
        for label, text in zip(
            self.labels, (self.tr("&Every:"), self.tr("&Day:"), self.tr("&At:")), strict=True
        ):
            label.setText(text)
        self.labels[0].setBuddy(self.every_combo)
        self.labels[1].setBuddy(self.day_combo)
        self.labels[2].setBuddy(self.at_edit)
        _refill(
            self.every_combo,
            [("hourly", self.tr("Hour")), ("daily", self.tr("Day")), ("weekly", self.tr("Week"))],
        )
        _refill(self.day_combo, [(d, day_name(d)) for d in WEEKDAY_KEYS])
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Schedule"))
        self._every_changed(0)

    def _every_changed(self, _i: int) -> None:
        every = self.every_combo.currentData()
        self.day_combo.setEnabled(every == "weekly")
        self.at_edit.setDisplayFormat("mm" if every == "hourly" else "HH:mm")
        self.hint.setText(
            self.tr("Every hour at this many minutes past the hour.")
            if every == "hourly"
            else self.tr(
                "In this computer's time. A run missed while it was off happens when it next starts."
            )
        )

    def schedule(self):
        """The chosen ``sparkdesk.jobs.schedule.Schedule``."""
        from sparkdesk.jobs.schedule import parse_schedule

        every, t = self.every_combo.currentData(), self.at_edit.time()
        at = f":{t.minute():02d}" if every == "hourly" else f"{t.hour():02d}:{t.minute():02d}"
        return parse_schedule(every, at, self.day_combo.currentData() if every == "weekly" else None)


class JobsDialog(_Dialog):
    """The job files in the user's jobs folder, each with its schedule and last run."""

    run_finished = Signal(object)  # the Receipt of a run started here
    run_failed = Signal(str)  # a run that could not start: the sentence
    schedule_changed = Signal()  # a schedule was installed or removed (or that failed)

    COLUMNS = 5  # name, range, exports, schedule, last run

    def __init__(
        self,
        runner: TaskRunner,
        ui_lang: str = "en",
        parent: QWidget | None = None,
        memory_limit: Callable[[], int | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobsDialog")
        self.runner = runner
        self.memory_limit = memory_limit  # the window's (Preferences), read at each run
        self.ui_lang = ui_lang
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tree = QTreeWidget()
        self.tree.setObjectName("jobsList")
        self.tree.setColumnCount(self.COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.empty_label = QLabel()
        self.empty_label.setWordWrap(True)
        self.status_label = QLabel()
        self.status_label.setObjectName("jobsStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.cancel_button = QPushButton()
        self.cancel_button.setObjectName("jobsCancel")
        self.run_button = QPushButton()
        self.run_button.setObjectName("jobsRun")
        self.schedule_button = QPushButton()
        self.schedule_button.setObjectName("jobsSchedule")
        self.unschedule_button = QPushButton()
        self.unschedule_button.setObjectName("jobsUnschedule")
        self.folder_button = QPushButton()
        self.folder_button.setObjectName("jobsOpenFolder")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        busy_row = QHBoxLayout()
        busy_row.addWidget(self.status_label, 1)
        busy_row.addWidget(self.progress)
        busy_row.addWidget(self.cancel_button)
        button_row = QHBoxLayout()
        for b in (self.run_button, self.schedule_button, self.unschedule_button, self.folder_button):
            button_row.addWidget(b)
        button_row.addStretch(1)
        button_row.addWidget(self.buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.folder_label)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(busy_row)
        layout.addLayout(button_row)
        self.run_button.clicked.connect(self.run_selected)
        self.schedule_button.clicked.connect(self.schedule_selected)
        self.unschedule_button.clicked.connect(self.unschedule_selected)
        self.folder_button.clicked.connect(self.open_folder)
        self.cancel_button.clicked.connect(lambda: self.runner.cancel(RUN_SLOT))
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self.run_selected())
        runner.progress.connect(self._progress)
        self.schedule_dialog: ScheduleDialog | None = None
        self._schedules: dict[str, object] = {}
        self._titles: dict[str, str] = {}
        self._errors: dict[str, str] = {}
        self._running: str | None = None
        self._show_busy(False)
        self.retranslate()
        self.resize(900, 420)

    # -- the list ---------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Jobs"))
        self.tree.setHeaderLabels(
            [self.tr("Name"), self.tr("Range"), self.tr("Exports"), self.tr("Schedule"), self.tr("Last run")]
        )
        self.run_button.setText(self.tr("&Run Now"))
        self.schedule_button.setText(self.tr("&Schedule…"))
        self.unschedule_button.setText(self.tr("Re&move Schedule"))
        self.folder_button.setText(self.tr("Open &Folder"))
        self.cancel_button.setText(self.tr("Cancel"))
        self.empty_label.setText(
            self.tr("No job yet. Choose an export in the window, then File ▸ Save as Job….")
        )
        self.refresh()

    def refresh(self) -> None:
        """Read the jobs folder again: each job file, its schedule, its last receipt."""
        from sparkdesk.jobs import user_jobs_dir

        folder = user_jobs_dir()
        self.folder_label.setText(self.tr("Job files in %1").replace("%1", str(folder)))
        selected = self.selected_path()
        self._schedules = self._read_schedules()
        self.tree.clear()
        paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        for path in paths:
            item = QTreeWidgetItem(self._row(path))
            for column in range(1, self.COLUMNS):
                item.setToolTip(column, item.text(column))
            item.setData(0, Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(0, str(path))
            self.tree.addTopLevelItem(item)
            if str(path) == selected or (selected is None and self.tree.topLevelItemCount() == 1):
                self.tree.setCurrentItem(item)
        self.empty_label.setVisible(not paths)
        self._update_buttons()

    def _read_schedules(self) -> dict[str, object]:
        from sparkdesk.jobs.schedule import SchedulerError, scheduler_for

        try:
            entries = scheduler_for().list(next_run=False)  # no waiting on the scheduler here
        except (SchedulerError, OSError):
            return {}
        return {e.job_path: e.schedule for e in entries}

    def _row(self, path: Path) -> list[str]:
        from sparkdesk.jobs import JobFileError, load_job

        key = str(path)
        when = self._schedules.get(key, None)
        schedule = schedule_text(when) if key in self._schedules else self.tr("not scheduled")
        try:
            job = load_job(path)
        except JobFileError as err:
            self._titles[key], self._errors[key] = path.stem, str(err)
            return [path.stem, "", "", schedule, self.tr("cannot be read: %1").replace("%1", str(err))]
        self._titles[key] = job.title
        self._errors.pop(key, None)
        return [job.title, range_name(job.range), self._types_text(job), schedule, self._last_run(path)]

    def _types_text(self, job) -> str:
        if "all" in job.types:
            return self.tr("All twelve exports")
        return ", ".join(export_type(t).name(self.ui_lang) for t in job.export_types)

    def _last_run(self, path: Path) -> str:
        from sparkdesk.jobs import last_receipt

        receipt = last_receipt(path)
        if receipt is None:
            return self.tr("never run")
        when = _short_time(receipt.get("finished") or receipt.get("started"))
        if receipt.get("ok"):
            return self.tr("ok, %1").replace("%1", when)
        return self.tr("failed, %1: %2").replace("%1", when).replace("%2", str(receipt.get("error") or ""))

    def selected_path(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def select(self, path: str | Path) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == str(path):
                self.tree.setCurrentItem(item)
                return True
        return False

    def row_texts(self, path: str | Path) -> list[str]:
        """The row shown for the job file at ``path`` (tests, screenshots)."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == str(path):
                return [item.text(c) for c in range(self.COLUMNS)]
        return []

    def _update_buttons(self) -> None:
        path = self.selected_path()
        readable = path is not None and path not in self._errors
        running = self.runner.busy(RUN_SLOT)
        scheduling = self.runner.busy(SCHEDULE_SLOT)
        self.run_button.setEnabled(readable and not running)
        self.schedule_button.setEnabled(readable and not scheduling)
        self.unschedule_button.setEnabled(path in self._schedules and not scheduling)

    # -- running ----------------------------------------------------------------------
    def run_selected(self) -> None:
        """Run the selected job now on the window's pool, with progress and Cancel."""
        path = self.selected_path()
        if path is None or self.runner.busy(RUN_SLOT) or path in self._errors:
            return
        self._running = path
        title = self._titles.get(path, Path(path).stem)
        self.runner.submit(
            RUN_SLOT,
            gui_jobs.run_job_file,
            path,
            memory_limit=self.memory_limit(),
            on_done=self._ran,
            on_error=lambda exc, _details: self._run_failed(_sentence(exc)),
            on_cancelled=lambda: self._run_failed(self.tr("The run was cancelled.")),
            label=self.tr("Running the job %1…").replace("%1", title),
        )
        self.status_label.setText(self.tr("Running %1…").replace("%1", title))
        self.progress.setValue(0)
        self._show_busy(True)
        self._update_buttons()

    def _progress(self, slot: str, value: float, text: str) -> None:
        if slot == RUN_SLOT:
            self.progress.setValue(int(value * 1000))

    def _ran(self, receipt) -> None:
        self._show_busy(False)
        if receipt.ok:
            files = len(receipt.outputs)
            self.status_label.setText(
                self.tr("Done: %1 file(s) written in %2.")
                .replace("%1", str(files))
                .replace("%2", str(receipt.outputs[0].path.parent) if receipt.outputs else "-")
            )
        else:
            self.status_label.setText(self.tr("The run failed: %1").replace("%1", receipt.error or ""))
        self.refresh()
        self.run_finished.emit(receipt)

    def _run_failed(self, sentence: str) -> None:
        self._show_busy(False)
        self.status_label.setText(sentence)
        self.refresh()
        self.run_failed.emit(sentence)

    def _show_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)

    # -- scheduling -------------------------------------------------------------------
    def schedule_selected(self) -> None:
        """Ask every/at/day in a small dialog; on OK, register the job on the pool."""
        path = self.selected_path()
        if path is None:
            return
        dialog = self.schedule_dialog = ScheduleDialog(self._titles.get(path, Path(path).stem), self)
        dialog.accepted.connect(lambda p=path, d=dialog: self._install(p, d.schedule()))
        dialog.open()

    def _install(self, path: str, when) -> None:
        self.runner.submit(
            SCHEDULE_SLOT,
            gui_jobs.schedule_job,
            path,
            when,
            on_done=lambda done, w=when: self._scheduled(done, w),
            on_error=lambda exc, _details: self._schedule_failed(_sentence(exc)),
            label=self.tr("Scheduling…"),
        )
        self._update_buttons()

    def _scheduled(self, done, when) -> None:
        text = self.tr("Scheduled: %1.").replace("%1", schedule_text(when))
        if not done.active:  # systemd's user manager is not running (a container, a remote login)
            text += " " + self.tr(
                "The scheduler cannot be reached now: the schedule is written, and starts at your next login."
            )
        self.status_label.setText(text)
        self.refresh()
        self.schedule_changed.emit()

    def _schedule_failed(self, sentence: str) -> None:
        self.status_label.setText(sentence)
        self.refresh()
        self.schedule_changed.emit()

    def unschedule_selected(self) -> None:
        path = self.selected_path()
        if path is None or path not in self._schedules:
            return
        self.runner.submit(
            SCHEDULE_SLOT,
            gui_jobs.unschedule_job,
            path,
            on_done=lambda _entry: self._unscheduled(),
            on_error=lambda exc, _details: self._schedule_failed(_sentence(exc)),
            label=self.tr("Removing the schedule…"),
        )
        self._update_buttons()

    def _unscheduled(self) -> None:
        self.status_label.setText(self.tr("The schedule was removed."))
        self.refresh()
        self.schedule_changed.emit()

    def open_folder(self) -> None:
        from sparkdesk.jobs import user_jobs_dir

        folder = user_jobs_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


class JobsUi(QObject):
    """The window's two job commands, File ▸ Save as Job… and File ▸ Jobs…, and their dialogs."""

    job_saved = Signal(str)  # the path of the job file written

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.save_dialog: SaveJobDialog | None = None
        self.jobs_dialog: JobsDialog | None = None

    def dump_paths(self) -> list[str]:
        """The paths of the loaded dumps, absolute (a job runs from anywhere)."""
        return [str(Path(p).absolute()) for e in self.w.entries if e.dump is not None for p in e.paths]

    def save_as_job(self) -> None:
        w = self.w
        dumps = self.dump_paths()
        if not dumps:
            w.message_bar.show_message(
                "warning", self.tr("Open a dump first: a job names the dumps it reads.")
            )
            return
        choices = w.options.choices()
        problem = w.options.problem()
        if problem:
            w.message_bar.show_message("warning", problem)
            return
        fixed = choices.days or self._span_days(choices.tz)
        out_dir = w.settings.last_dir or str(Path.home())
        dialog = self.save_dialog = SaveJobDialog(choices, dumps, fixed, out_dir, w.translations.lang, w)
        dialog.accepted.connect(lambda d=dialog: self._saved(d))
        dialog.open()

    def _span_days(self, tz: str) -> tuple[dt.date, dt.date] | None:
        if self.w.dump is None:
            return None
        return gui_jobs.default_range(self.w.dump, tz)

    def _saved(self, dialog: SaveJobDialog) -> None:
        path = str(dialog.saved_path)
        self.w.message_bar.show_message("ok", self.tr("Saved the job %1").replace("%1", path))
        if self.jobs_dialog is not None:
            self.jobs_dialog.refresh()
        self.job_saved.emit(path)

    def show_jobs(self) -> None:
        if self.jobs_dialog is None:
            self.jobs_dialog = JobsDialog(
                self.w.runner, self.w.translations.lang, self.w, self.w.memory_limit
            )
        else:
            self.jobs_dialog.ui_lang = self.w.translations.lang
            self.jobs_dialog.refresh()
        self.jobs_dialog.show()
        self.jobs_dialog.raise_()
        self.jobs_dialog.activateWindow()


# ----- shared texts -------------------------------------------------------------------------------

WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def day_name(day: str) -> str:
    names = {
        "monday": QCoreApplication.translate("JobTexts", "Monday"),
        "tuesday": QCoreApplication.translate("JobTexts", "Tuesday"),
        "wednesday": QCoreApplication.translate("JobTexts", "Wednesday"),
        "thursday": QCoreApplication.translate("JobTexts", "Thursday"),
        "friday": QCoreApplication.translate("JobTexts", "Friday"),
        "saturday": QCoreApplication.translate("JobTexts", "Saturday"),
        "sunday": QCoreApplication.translate("JobTexts", "Sunday"),
    }
    return names.get(day, day)


def range_name(key: str) -> str:
    """A job's range as the window says it; a fixed or ``last-N-days`` range as written."""
    names = {
        "yesterday": QCoreApplication.translate("JobTexts", "Yesterday"),
        "today": QCoreApplication.translate("JobTexts", "Today"),
        "last-7-days": QCoreApplication.translate("JobTexts", "The last 7 days"),
        "last-30-days": QCoreApplication.translate("JobTexts", "The last 30 days"),
        "last-week": QCoreApplication.translate("JobTexts", "Last week"),
        "this-week": QCoreApplication.translate("JobTexts", "This week"),
        "last-month": QCoreApplication.translate("JobTexts", "Last month"),
        "month-to-date": QCoreApplication.translate("JobTexts", "Month to date"),
        "since-last-run": QCoreApplication.translate("JobTexts", "Since the last run"),
    }
    return names.get(key, key.replace("..", " – "))


def schedule_text(when) -> str:
    """A ``Schedule`` in the window's language."""
    if when is None:
        return QCoreApplication.translate("JobTexts", "scheduled (unreadable)")
    at = f"{when.hour:02d}:{when.minute:02d}"
    if when.every == "hourly":
        return QCoreApplication.translate("JobTexts", "every hour at :%1").replace("%1", f"{when.minute:02d}")
    if when.every == "daily":
        return QCoreApplication.translate("JobTexts", "every day at %1").replace("%1", at)
    return (
        QCoreApplication.translate("JobTexts", "every %1 at %2")
        .replace("%1", day_name(when.day or "monday"))
        .replace("%2", at)
    )


def _short_time(iso: str | None) -> str:
    """A receipt's time (written in the job's zone) as ``YYYY-MM-DD HH:MM`` in the computer's."""
    if not iso:
        return "?"
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return (moment.astimezone() if moment.tzinfo else moment).strftime("%Y-%m-%d %H:%M")


def _sentence(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def _refill(combo: QComboBox, items: list[tuple[str, str]]) -> None:
    """Replace a combo's items, keeping the current key."""
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for key, text in items:
        combo.addItem(text, key)
    index = combo.findData(current)
    combo.setCurrentIndex(index if index >= 0 else 0)
    combo.blockSignals(False)


def _with_button(edit: QLineEdit, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row
