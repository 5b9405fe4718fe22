"""A kit for the tests that look at an XLSX as LibreOffice Calc shows it (not a test module).

A plain ``--convert-to csv`` writes every number in full ("2801.88") whatever its cell
format; token 9 ("true") saves the cells as shown, the way Calc displays them. Token 3:
UTF-8; token 12 (LibreOffice 7.2+): every sheet, each to ``<name>-<sheet>.csv``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
AS_SHOWN = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"


def convert_as_shown(books: Iterable[Path], folder: Path) -> Path:
    """Convert the workbooks to CSV as Calc shows them, with a profile of their own under
    ``folder`` (a shared one makes parallel runs wait on its lock); return the CSV folder."""
    out = folder / "csv"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            AS_SHOWN,
            "--outdir",
            str(out),
            *map(str, books),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out
