"""The public conformance set (../shared/conformance): every export, both parameter sets,
both header languages, through the command line, compared cell by cell with check.py's rules.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sparkdesk.catalogue import EXPORT_IDS
from sparkdesk.cli import main

CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "conformance"

pytestmark = pytest.mark.skipif(
    not (CONFORMANCE / "check.py").exists(), reason="no ../shared/conformance here"
)


def _checker():
    spec = importlib.util.spec_from_file_location("conformance_check", CONFORMANCE / "check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cases():
    if not (CONFORMANCE / "params.json").exists():
        return []
    params = json.loads((CONFORMANCE / "params.json").read_text(encoding="utf-8"))
    return [
        pytest.param(ps, type_id, lang, id=f"{ps['name']}-{type_id}-{lang}")
        for ps in params
        for type_id in EXPORT_IDS
        for lang in ps["langs"]
    ]


def _command(ps: dict, type_id: str, lang: str, out: Path) -> list[str]:
    cmd = ["export", *[str(CONFORMANCE / d) for d in ps["dumps"]], "--type", type_id, "--tz", ps["tz"]]
    cmd += ["--from", ps["from"], "--to", ps["to"]]
    for channel in ps["channels"]:
        cmd += ["--channel", channel]
    return cmd + ["--lang", lang, "--format", "csv", "--out", str(out)]


@pytest.mark.parametrize(("ps", "type_id", "lang"), _cases())
def test_export_matches_expected_file(ps, type_id, lang, tmp_path):
    out = tmp_path / "out.csv"
    assert main(_command(ps, type_id, lang, out)) == 0
    expected = CONFORMANCE / "expected" / ps["name"] / f"{type_id}.{lang}.csv"
    ok, reason, diffs = _checker().compare(type_id, str(expected), str(out))
    assert ok, f"{reason}: " + "; ".join(diffs)


def test_installed_command_passes_the_checker_on_a_sample():
    """The real `sparkdesk` entry point (a subprocess), judged by check.py itself."""
    product = f"{sys.executable} -m sparkdesk"
    result = subprocess.run(
        [
            sys.executable,
            str(CONFORMANCE / "check.py"),
            "--product",
            product,
            "--types",
            "resolved-conversation",
            "user",
            "--jobs",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1] == "conformance: 8/8 exports match"
