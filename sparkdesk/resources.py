"""Where SparkDesk's bundled files live, in a checkout, an installed package or a frozen app.

The demo dump, the translations and the icons are plain files in ``resources/`` at the top of
the repository (next to the ``sparkdesk`` package), so that the demo can be regenerated with
``write_demo`` and compared in a test. They ship as the package data of ``sparkdesk._resources``:
pyproject.toml maps that package to ``resources/``, so a wheel or an sdist installs them in
``sparkdesk/_resources/`` and an editable install finds them in the checkout, all through
``importlib.resources``. Run from a checkout that is not installed (``python -m sparkdesk``),
the package is not importable and the folder next to ``sparkdesk/`` is used. A PyInstaller
bundle unpacks the files under ``sys._MEIPASS``; packaging/sparkdesk.spec copies
``resources/`` there under the same name.
"""

from __future__ import annotations

import importlib.resources
import pathlib
import sys

PACKAGE = "sparkdesk._resources"
DEMO_FOLDER = "demo"


def resources_path() -> pathlib.Path:
    """The ``resources`` folder: in a PyInstaller bundle, the installed package, or the checkout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return pathlib.Path(frozen) / "resources"
    try:
        root = importlib.resources.files(PACKAGE)
    except ModuleNotFoundError:  # a checkout run without an install
        return pathlib.Path(__file__).resolve().parent.parent / "resources"
    # Qt opens translations and icons by file name: the package must be a real folder (a
    # regular package always is; a zipped one would show up as a missing demo, not a crash).
    return root if isinstance(root, pathlib.Path) else pathlib.Path(str(root))


def bundled_demo_path() -> pathlib.Path:
    """The bundled demo dump folder (``write_demo(..., conversations=500, seed=1)``)."""
    return resources_path() / DEMO_FOLDER
