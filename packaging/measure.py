"""Size and start-up time of the built bundle: ``python packaging/measure.py [--runs N]``.

Run after ``python packaging/build.py``. Prints a Markdown table: the one-folder bundle's size,
the installers' sizes, and the wall time of ``sparkdesk --version`` and of ``sparkdesk gui
--screenshot`` (offscreen, bundled demo, resolved conversations), cold and warm.

"Cold" evicts the bundle's files from the page cache first, with posix_fadvise(DONTNEED) on
each file (Linux; only this bundle's pages, so other work on the machine keeps its cache), as
after a reboot. "Warm" is the median of the following runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "dist" / "sparkdesk"


def evict(folder: Path) -> None:
    if not hasattr(os, "posix_fadvise"):
        return
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            fd = os.open(p, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs per command (default 5)")
    args = parser.parse_args()
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    exe = BUNDLE / ("sparkdesk.exe" if sys.platform == "win32" else "sparkdesk")
    if not exe.exists():
        sys.exit("measure.py: no bundle; run python packaging/build.py first")

    def mib(n: int) -> str:
        return f"{n / 2**20:.1f} MiB"

    size = sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink())
    files = sum(1 for p in BUNDLE.rglob("*") if p.is_file())
    rows = [("one-folder bundle (dist/sparkdesk)", f"{mib(size)} in {files} files")]
    for pattern in (
        f"sparkdesk_{version}_*.deb",
        f"SparkDesk-{version}-*.tar.gz",
        "SparkDesk-*.dmg",
        "*.exe",
    ):
        for p in sorted((ROOT / "dist").glob(pattern)):
            rows.append((p.name, mib(p.stat().st_size)))

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "HOME": home, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": f"{home}/c"}
        shot = str(Path(home) / "shot.png")
        commands = {
            "sparkdesk --version": [str(exe), "--version"],
            "sparkdesk gui --screenshot (demo, resolved conversations)": [
                str(exe), "gui", "--screenshot", shot, "--type", "resolved-conversation", "--tz", "UTC",
            ],
        }  # fmt: skip
        for label, cmd in commands.items():
            evict(BUNDLE)
            cold = timed(cmd, env)
            warm = statistics.median(timed(cmd, env) for _ in range(args.runs))
            rows.append((label, f"cold {cold:.2f} s, warm {warm:.2f} s (median of {args.runs})"))

    print("| what | measured |\n|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
