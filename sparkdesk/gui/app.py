"""Start the window: ``run(dumps, screenshot=..., export_type=..., tz=...)``.

``sparkdesk`` and ``sparkdesk gui [DUMP...]`` call ``run``. With no dumps the window opens
on the bundled demo dump with a note saying so. With ``screenshot`` it loads the dumps,
generates ``export_type`` if given, renders the window to a PNG and exits (this works on
the offscreen platform, so on a machine with no screen).

The window shows before pandas is imported: the dumps load on a worker thread.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

log = logging.getLogger("sparkdesk.gui")

SCREENSHOT_TIMEOUT_MS = 300_000


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
) -> int:
    """Open the window (``sparkdesk gui``). Returns the process exit status."""
    _setup_logging()
    app = _make_app(sys.argv[:1])
    sys.excepthook = excepthook

    from sparkdesk.gui import settings as settings_mod
    from sparkdesk.gui.i18n import Translations, system_language
    from sparkdesk.gui.window import MainWindow

    settings = settings_mod.load()
    translations = Translations.for_app(app)
    translations.set_language(settings.ui_lang or system_language())

    window = MainWindow(settings, translations)
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

    def start() -> None:
        if dumps:
            window.add_dumps(MainWindow._group_loose_files([str(d) for d in dumps]))
        else:
            window.open_demo()

    QTimer.singleShot(0, start)

    if not screenshot:
        return app.exec()
    return _screenshot(app, window, screenshot, bool(export_type))


def _screenshot(app, window, path: str, generate: bool) -> int:
    """Wait for loading (and generating), render the window to ``path``, quit."""
    from PySide6.QtCore import QTimer

    status = {"code": 1, "error": ""}

    def fail(sentence: str) -> None:
        status["error"] = sentence
        app.quit()

    def shoot() -> None:
        window.repaint()
        pixmap = window.grab()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        if pixmap.save(path, "PNG"):
            status["code"] = 0
        else:
            status["error"] = f"could not write {path}"
        app.quit()

    def ready() -> None:
        if generate:
            window.generate()
        else:
            QTimer.singleShot(200, shoot)

    window.dumps_ready.connect(ready)
    window.result_ready.connect(lambda: QTimer.singleShot(200, shoot))
    window.load_failed.connect(lambda s: QTimer.singleShot(200, shoot) if window.entries else fail(s))
    window.generate_failed.connect(fail)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, lambda: fail("timed out"))
    app.exec()
    window.runner.shutdown()
    if status["code"] != 0:
        print(f"sparkdesk gui: {status['error'] or 'no screenshot'}", file=sys.stderr)
    return status["code"]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(sys.argv[1:]))
