"""Write a file whole or not at all (cli.md: "A file is written whole or not at all").

The one atomic write of SparkDesk: the exports (``writers``), the import report
(``dump.report``), the window's settings (``gui.settings``) and the demo dump (``demo``)
all write through ``atomic_output``.

The bytes go to a temporary file in the destination's own folder (so the final rename
never crosses file systems) and ``os.replace`` moves it into place only after the last
byte is flushed. Any exception, cancellation included, removes the temporary file and
leaves whatever was at the destination untouched.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def temp_path_for(path: Path) -> Path:
    """A fresh hidden name next to ``path``; recognisable (``.name.*.tmp``) if ever left behind."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file that becomes ``path`` when the block ends without an exception.

    Opened with ``open(..., 'xb')`` rather than ``tempfile`` so the final file gets the
    usual permissions (umask), not the private 0600 of a temporary file.
    """
    target = Path(path)
    temp = temp_path_for(target)
    try:
        with open(temp, "xb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
