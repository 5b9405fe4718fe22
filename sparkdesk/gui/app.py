"""Start the window: ``run(dumps, screenshot=..., export_type=..., tz=..., memory_limit=...)``.

``sparkdesk`` and ``sparkdesk gui [DUMP...]`` call ``run``. With no dumps the window opens
on the bundled demo dump with a note saying so. With ``screenshot`` it loads the dumps,
generates ``export_type`` if given, renders the window to a PNG and exits (this works on
the offscreen platform, so on a machine with no screen); when there is nothing to render (a
dump refused, no demo dump in this installation) it exits with status 1 and one sentence.

The window shows before pandas is imported: the dumps load on a worker thread.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

log = logging.getLogger("sparkdesk.gui")

SCREENSHOT_TIMEOUT_MS = 300_000
# The first line of each unexpected error of this run (excepthook): `--screenshot` names the
# latest when it ends with nothing to render.
_unexpected: list[str] = []


def _log_file() -> Path | None:
    try:
        import platformdirs

        folder = Path(platformdirs.user_log_dir("SparkDesk", appauthor=False))
        folder.mkdir(parents=True, exist_ok=True)
        return folder / "sparkdesk.log"
    except OSError:
        return None


def _setup_logging() -> None:
    root = logging.getLogger("sparkdesk")
    if root.handlers:
        return
    path = _log_file()
    if path is not None:
        try:
            handler = logging.FileHandler(path, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            root.addHandler(handler)
            root.setLevel(logging.INFO)
        except OSError:
            pass


def excepthook(exc_type, exc, tb) -> None:
    """Log an unexpected error and show one sentence (details on demand); never a raw traceback."""
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("Unexpected error:\n%s", details)
    _unexpected.append((str(exc).strip().splitlines() or [exc_type.__name__])[0])
    if issubclass(exc_type, KeyboardInterrupt):
        from PySide6.QtWidgets import QApplication

        QApplication.quit()
        return
    try:
        from PySide6.QtCore import QCoreApplication
        from PySide6.QtWidgets import QApplication

        from sparkdesk.gui.dialogs import show_error

        if QApplication.instance() is None:
            return
        parent = QApplication.activeWindow()
        first = (str(exc).strip().splitlines() or [exc_type.__name__])[0]
        sentence = QCoreApplication.translate(
            "App", "Something went wrong: %1. Your data is unchanged; the details are in the log."
        ).replace("%1", first)
        show_error(parent, sentence, details)
    except Exception:  # the hook itself must never raise
        log.exception("The error dialog failed")


def _make_app(argv: list[str]):
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    from sparkdesk.gui.paths import icon_path

    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv)
    QCoreApplication.setApplicationName("SparkDesk")
    QCoreApplication.setOrganizationName("SparkDesk")
    # No application display name: Qt would append it to every title ("Org — SparkDesk — SparkDesk").
    QGuiApplication.setDesktopFileName("sparkdesk")
    for ext in ("svg", "png"):
        if icon_path(ext).exists():
            app.setWindowIcon(QIcon(str(icon_path(ext))))
            break
    return app


def run(
    dumps: list[str],
    *,
    screenshot: str | None = None,
    export_type: str | None = None,
    tz: str | None = None,
    memory_limit: int | None = None,
) -> int:
    """Open the window (``sparkdesk gui``). Returns the process exit status.

    ``memory_limit`` (bytes; from ``--memory-limit`` or ``SPARKDESK_MEMORY_LIMIT``) is the
    budget for this session, preselected in Preferences instead of the saved setting."""
    _setup_logging()
    app = _make_app(sys.argv[:1])
    sys.excepthook = excepthook

    from sparkdesk.gui import settings as settings_mod
    from sparkdesk.gui.i18n import Translations, system_language
    from sparkdesk.gui.window import MainWindow

    settings = settings_mod.load()
    translations = Translations.for_app(app)
    translations.set_language(settings.ui_lang or system_language())

    window = MainWindow(settings, translations, memory_limit=memory_limit)
    if export_type:
        if not window.options.set_type(export_type):
            print(f"sparkdesk gui: unknown export type {export_type!r}", file=sys.stderr)
            return 2
    if tz:
        window.options.tz_combo.setCurrentText(tz)
        if not window.options.tz_valid():
            print(f"sparkdesk gui: unknown time zone {tz!r}", file=sys.stderr)
            return 2
    if screenshot:
        window.resize(1280, 720)
    window.show()

    from PySide6.QtCore import QTimer

    shot = _Screenshot(app, window, screenshot, bool(export_type)) if screenshot else None

    def start() -> None:
        if dumps:
            window.add_dumps(MainWindow._group_loose_files([str(d) for d in dumps]))
        else:
            window.open_demo()
        if shot is not None:
            shot.started()

    QTimer.singleShot(0, start)

    if shot is None:
        return app.exec()
    return shot.exec()


class _Screenshot:
    """``--screenshot``: wait for loading (and generating), render the window to a PNG, quit.

    It watches every way the wait can end, so that it never waits for a signal that will not
    come: a dump refused or unreadable, no demo dump in this installation (nothing starts
    loading), an export that cannot be generated, or the window idle with nothing loaded. Each
    ends with exit status 1 and one sentence on standard error; the timeout is a last resort.
    """

    def __init__(self, app, window, path: str, generate: bool) -> None:
        from PySide6.QtCore import QTimer

        self.app, self.window, self.path, self.generate = app, window, path, generate
        self.code, self.error = 1, ""
        self.phase = "loading"  # loading -> generating -> shooting -> done
        window.dumps_ready.connect(self._ready)
        window.result_ready.connect(self._shoot_soon)
        window.load_failed.connect(self._fail)
        window.generate_failed.connect(self._fail)
        window.idle.connect(self._idle)
        self._timer = QTimer(window)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(
            lambda: self._fail(f"gave up after {SCREENSHOT_TIMEOUT_MS // 1000} s of waiting for the window.")
        )
        self._timer.start(SCREENSHOT_TIMEOUT_MS)

    def exec(self) -> int:
        self.app.exec()
        self._timer.stop()
        self.window.runner.shutdown()
        if self.code != 0:
            print(f"sparkdesk gui: {self.error or 'no screenshot was taken.'}", file=sys.stderr)
        return self.code

    def started(self) -> None:
        """The dumps were handed to the window: if nothing is loading, nothing will come."""
        if not self.window.entries:
            self._fail(self._why("there is no dump to show."))

    def _why(self, fallback: str) -> str:
        """Why there is nothing to render: the window's warning (e.g. that this build has no demo
        dump), else an unexpected error (logged by excepthook), else ``fallback``."""
        bar = self.window.message_bar
        if bar.kind in ("warning", "error") and bar.text.text():
            return bar.text.text()
        if _unexpected:
            where = _log_file()
            return f"unexpected error: {_unexpected[-1].rstrip('.')}." + (
                f" Details: {where}" if where else ""
            )
        return fallback

    def _ready(self) -> None:
        if self.phase != "loading":
            return
        if not self.generate:
            self._shoot_soon()
            return
        self.phase = "generating"
        self.window.generate()
        if not self.window.runner.busy("compute"):  # refused before it started; the bar says why
            self._fail(self._why("the export could not be generated."))

    def _idle(self) -> None:
        """Nothing runs in the background any more: without a picture on its way, none will come.

        Checked on the next turn of the event loop: an error raised by the task's last callback
        reaches excepthook only after the task's end (and this signal) went out."""
        from PySide6.QtCore import QTimer

        QTimer.singleShot(0, self._settle)

    def _settle(self) -> None:
        if self.phase in ("loading", "generating"):
            self._fail(self._why("no dump was loaded."))

    def _shoot_soon(self) -> None:
        if self.phase in ("loading", "generating"):
            self.phase = "shooting"
            from PySide6.QtCore import QTimer

            QTimer.singleShot(200, self._shoot)

    def _shoot(self) -> None:
        if self.phase == "done":
            return
        self.phase = "done"
        self.window.repaint()
        pixmap = self.window.grab()
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            self.error = f"could not write {self.path}: {err.strerror or err}."
        else:
            if pixmap.save(self.path, "PNG"):
                self.code = 0
            else:
                self.error = f"could not write {self.path}."
        self.app.quit()

    def _fail(self, sentence: str) -> None:
        if self.phase == "done":
            return
        self.phase = "done"
        self.error = sentence
        self.app.quit()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(sys.argv[1:]))
