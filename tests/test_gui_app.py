"""Starting the window: `sparkdesk gui --screenshot`, fast start, the demo note, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from sparkdesk.gui import settings as settings_mod
from sparkdesk.gui.i18n import Translations
from sparkdesk.gui.paths import demo_dump_path


def run_py(
    code: str, *args: str, timeout: float = 120, env: dict | None = None
) -> subprocess.CompletedProcess:
    env = {**(os.environ if env is None else env), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def test_window_shows_before_pandas_is_imported():
    code = textwrap.dedent(
        """
        import sys, time
        t0 = time.perf_counter()
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from sparkdesk.gui import settings
        from sparkdesk.gui.window import MainWindow
        w = MainWindow(settings.Settings())
        w.show()
        app.processEvents()
        print("pandas" in sys.modules, "numpy" in sys.modules, round(time.perf_counter() - t0, 3))
        """
    )
    r = run_py(code)
    assert r.returncode == 0, r.stderr
    pandas_loaded, numpy_loaded, _seconds = r.stdout.split()
    assert pandas_loaded == "False" and numpy_loaded == "False"


@pytest.mark.skipif(demo_dump_path() is None, reason="no bundled demo dump in this checkout")
def test_screenshot_renders_the_window_with_a_generated_export(tmp_path):
    png = tmp_path / "shot.png"
    r = run_py(
        "",
        "-m",
        "sparkdesk",
        "gui",
        str(demo_dump_path()),
        "--screenshot",
        str(png),
        "--type",
        "user",
        "--tz",
        "UTC",
    )
    assert r.returncode == 0, r.stderr
    img = QImage(str(png))
    assert (img.width(), img.height()) == (1280, 720)
    # not a blank picture: the grid and the panels give many distinct colours
    colours = {img.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 720, 16)}
    assert len(colours) > 5


def test_screenshot_of_a_refused_dump_fails_with_one_sentence(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "manifest.json").write_text("{nope", encoding="utf-8")
    r = run_py("", "-m", "sparkdesk", "gui", str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "manifest.json" in r.stderr
    assert not (tmp_path / "x.png").exists()


@pytest.mark.skipif(demo_dump_path() is None, reason="no bundled demo dump in this checkout")
def test_without_dumps_the_window_opens_on_the_demo_with_a_note(qtbot):
    from sparkdesk.gui.window import MainWindow

    Translations.for_app(QApplication.instance()).set_language("en")
    w = MainWindow(settings_mod.Settings())
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.dumps_ready, timeout=60_000):
        w.open_demo()
    assert w.message_bar.isVisible() and "demo" in w.message_bar.text.text().lower()
    assert w.settings.recent_dumps == []  # the demo is not a "recent dump"
    assert w.dump is not None and len(w.dump.tables["conversations"]) > 0
    w.close()


# `gui --screenshot` when there is nothing to render: it used to wait for a signal that never
# came (five minutes, then "timed out"); now it ends at once, with exit status 1 and one
# sentence. Each case runs the command with one part of the app patched out.
RUN_CLI = "import sys\nfrom sparkdesk.cli import main\nsys.exit(main(sys.argv[1:]))\n"
NO_RESOURCES = (  # a build without resources/, as a wheel was before issue 12
    "import pathlib, sparkdesk.resources as r\n"
    "r.resources_path = lambda: pathlib.Path('/nonexistent/sparkdesk-resources')\n"
)
CANNOT_GENERATE = (  # the export is refused before it starts (the window says why)
    "from sparkdesk.gui.window import MainWindow\n"
    "MainWindow._cannot_generate = lambda self: 'Check at least one channel.' if self.dump is not None else ''\n"
)
NEVER_READY = (  # the dump loads but never becomes the working dump (as when combining fails)
    "from sparkdesk.gui.window import MainWindow\nMainWindow._rebuild_working_dump = lambda self: None\n"
)
UI_ERROR = (  # an unexpected error on the UI thread once the dump is read (a bundle without numpy did so)
    "from sparkdesk.gui.window import MainWindow\n"
    "def boom(self, entry, dump):\n    raise RuntimeError('boom in the window')\n"
    "MainWindow._loaded = boom\n"
)


@pytest.mark.parametrize(
    ("patch", "args", "sentence"),
    [
        pytest.param(NO_RESOURCES, [], "This build has no demo dump.", id="no-bundled-demo"),
        pytest.param("", ["/nonexistent/dump"], "/nonexistent/dump does not exist.", id="missing-dump"),
        pytest.param(
            CANNOT_GENERATE, ["--type", "user"], "Check at least one channel.", id="cannot-generate"
        ),
        pytest.param(NEVER_READY, [], "no dump was loaded.", id="never-ready"),
        pytest.param(UI_ERROR, [], "unexpected error: boom in the window. Details: ", id="unexpected-error"),
    ],
)
def test_screenshot_with_nothing_to_render_fails_at_once_with_one_sentence(tmp_path, patch, args, sentence):
    png = tmp_path / "x.png"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    r = run_py(
        patch + RUN_CLI, "gui", *args, "--screenshot", str(png), timeout=60, env={**env, "LANG": "C.UTF-8"}
    )
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert r.stderr.splitlines()[-1].startswith(f"sparkdesk gui: {sentence}"), r.stderr
    assert not png.exists()


def test_settings_path_is_in_the_user_config_folder(_isolated_user_dirs):
    assert Path(settings_mod.settings_path()).is_relative_to(_isolated_user_dirs)
