"""The import-linter contracts in pyproject.toml, run as a test: the core never imports Qt,
the layers import one way down, and the modules of sparkdesk.dump, and those of sparkdesk.writers,
import each other without a cycle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str:
    exe = Path(sys.executable).with_name("lint-imports")
    return str(exe) if exe.exists() else (shutil.which("lint-imports") or "lint-imports")


def test_import_linter_contracts_hold():
    result = subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 3 kept, 0 broken." in result.stdout


def test_core_modules_import_without_qt():
    """Importing every core package in a fresh interpreter loads no PySide6 module."""
    code = (
        "import sys, sparkdesk.cli, sparkdesk.dump, sparkdesk.exports, sparkdesk.writers, sparkdesk.catalogue,"
        " sparkdesk.inspection;"
        "bad=[m for m in sys.modules if m.startswith(('PySide6','shiboken6'))];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
