"""Where SparkDesk's bundled files live, in a checkout, an installed package or a frozen app.

The demo dump ships as plain files in ``resources/`` at the top of the repository (next to
the ``sparkdesk`` package) so that it can be regenerated with ``write_demo`` and compared in
a test. A PyInstaller bundle unpacks those files under ``sys._MEIPASS``; the packaging
spec copies ``resources/`` there under the same name.
"""

from __future__ import annotations

import pathlib
import sys

DEMO_FOLDER = "demo"


def resources_path() -> pathlib.Path:
    """The ``resources`` folder: inside a PyInstaller bundle, else next to the package."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return pathlib.Path(frozen) / "resources"
    return pathlib.Path(__file__).resolve().parent.parent / "resources"


def bundled_demo_path() -> pathlib.Path:
    """The bundled demo dump folder (``write_demo(..., conversations=500, seed=1)``)."""
    return resources_path() / DEMO_FOLDER
