"""Superseded by ``benchmarks/run.py``; kept so the command in the README keeps working.

    .venv/bin/python benchmarks/export_times.py --conversations 100000

runs ``benchmarks/run.py`` with the same options (100,000 conversations unless told
otherwise): the import, every export cold and warm, the writers and the DuckDB peers,
each in its own process, and writes ``benchmarks/RESULTS.md``. See ``run.py --help``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not any(a == "--conversations" or a.startswith("--conversations=") for a in argv):
        argv = ["--conversations", "100000", *argv]
    sys.exit(run.main(argv))
