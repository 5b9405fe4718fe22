"""Smoke test of the Linux installer (slow; skipped unless SPARKDESK_PACKAGING=1).

    SPARKDESK_PACKAGING=1 QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest -m packaging tests/test_packaging.py

builds dist/sparkdesk_<version>_<arch>.deb with ``python packaging/build.py`` (about 4 minutes on
2 cores; with SPARKDESK_PACKAGING_REUSE=1 a .deb newer than every source file is reused), unpacks
it with ``dpkg-deb -x`` into a temporary root (nothing is installed), and runs the unpacked
launcher ``usr/bin/sparkdesk``: ``--version``, headless exports compared byte for byte with the
command line run from source, and ``gui --screenshot`` on the offscreen platform. It also checks
the package's metadata, file list, maintainer scripts, desktop entry and library links, and that
running the app writes nothing into the installed tree (so removing the package leaves nothing).
"""

from __future__ import annotations

import configparser
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "resources" / "demo"

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(
        os.environ.get("SPARKDESK_PACKAGING") != "1",
        reason="builds the installer (minutes): run with SPARKDESK_PACKAGING=1",
    ),
    pytest.mark.skipif(
        not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None,
        reason="the .deb is built and tested on Linux with dpkg-deb",
    ),
]

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
SOURCES = ("sparkdesk", "resources", "packaging", "pyproject.toml")
TIMEOUT = 300  # seconds for one run of the app


# ----- fixtures ---------------------------------------------------------------------------------


def _arch() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _newest_source_mtime() -> float:
    newest = 0.0
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for p in files:
            if "__pycache__" not in p.parts:
                newest = max(newest, p.stat().st_mtime)
    return newest


@pytest.fixture(scope="session")
def deb() -> Path:
    path = ROOT / "dist" / f"sparkdesk_{VERSION}_{_arch()}.deb"
    reuse = os.environ.get("SPARKDESK_PACKAGING_REUSE") == "1"
    if reuse and path.exists() and path.stat().st_mtime > _newest_source_mtime():
        return path
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert done.returncode == 0, f"packaging/build.py failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert path.exists(), done.stdout[-2000:]
    return path


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture(scope="session")
def root(deb, tmp_path_factory) -> Path:
    """The package unpacked as dpkg would install it, and a snapshot of that tree."""
    where = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(where)], check=True)
    _SNAPSHOTS["installed"] = _snapshot(where)
    return where


_SNAPSHOTS: dict[str, dict] = {}


@pytest.fixture(scope="session")
def app_env(tmp_path_factory) -> dict[str, str]:
    """A fresh user (own HOME and XDG folders) on the offscreen platform."""
    home = tmp_path_factory.mktemp("home")
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        QT_QPA_PLATFORM="offscreen",
        LANG="C.UTF-8",
        LC_ALL="C.UTF-8",
    )
    env.pop("PYTHONPATH", None)
    return env


def run_app(root: Path, env: dict, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(root / "usr" / "bin" / "sparkdesk"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def run_source(env: dict, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sparkdesk", *args],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, (
        f"exit {done.returncode}\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    )
    return done


# ----- the package ------------------------------------------------------------------------------


def test_control_fields(deb, root):
    fields = ["Package", "Version", "Architecture", "Maintainer", "Installed-Size", "Depends", "Section"]
    out = ok(subprocess.run(["dpkg-deb", "-f", str(deb), *fields], capture_output=True, text=True)).stdout
    info = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    assert info["Package"] == "sparkdesk"
    assert info["Version"] == VERSION
    assert info["Architecture"] == _arch()
    assert "<" in info["Maintainer"] and info["Section"]
    depends = {alt.strip().split(" ")[0] for dep in info["Depends"].split(",") for alt in dep.split("|")}
    for pkg in (
        "libc6",
        "libxkbcommon-x11-0",
        "libxcb-cursor0",
        "libxcb-icccm4",
        "libegl1",
        "libfontconfig1",
    ):
        assert pkg in depends, f"Depends lacks {pkg}: {info['Depends']}"
    du = int(subprocess.run(["du", "-sk", str(root)], capture_output=True, text=True).stdout.split()[0])
    assert abs(int(info["Installed-Size"]) - du) < 0.1 * du, (info["Installed-Size"], du)
    ok(subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True))


def test_file_list(deb):
    listing = ok(subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True)).stdout
    entries = {}
    for line in listing.splitlines():
        mode, owner, _size, _day, _clock, path = line.split(None, 5)
        entries[path.split(" -> ")[0]] = (mode, owner)
    assert {owner for _, owner in entries.values()} == {"root/root"}
    for path, mode in (
        ("./opt/sparkdesk/sparkdesk", "-rwxr-xr-x"),
        ("./usr/bin/sparkdesk", "-rwxr-xr-x"),
        ("./usr/share/applications/sparkdesk.desktop", "-rw-r--r--"),
        ("./usr/share/icons/hicolor/scalable/apps/sparkdesk.svg", "-rw-r--r--"),
        ("./usr/share/icons/hicolor/256x256/apps/sparkdesk.png", "-rw-r--r--"),
        ("./opt/sparkdesk/_internal/resources/demo/manifest.json", "-rw-r--r--"),
        ("./opt/sparkdesk/_internal/resources/i18n/sparkdesk_es.qm", "-rw-r--r--"),
        ("./opt/sparkdesk/_internal/PySide6/Qt/translations/qtbase_es.qm", "-rw-r--r--"),
        ("./opt/sparkdesk/_internal/PySide6/Qt/plugins/platforms/libqxcb.so", "-rwxr-xr-x"),
        ("./opt/sparkdesk/_internal/PySide6/Qt/plugins/platforms/libqwayland.so", "-rwxr-xr-x"),
        ("./opt/sparkdesk/_internal/PySide6/Qt/plugins/platforms/libqoffscreen.so", "-rwxr-xr-x"),
    ):
        assert path in entries, f"{path} is not in the package"
        assert entries[path][0] == mode, (path, entries[path])
    assert all(mode[0] in "dl" or mode[8] != "w" for mode, _ in entries.values()), "a world-writable file"
    # Trimmed: no tests, no byte-code caches, no unused Qt modules or plugins, no pyarrow extras.
    unwanted = re.compile(
        r"/(tests?|__pycache__|qml|metatypes)/|\.pyc$|\.py$|Qt6(Quick|Qml|WebEngine|3D|Multimedia|Network|Pdf|"
        r"OpenGL|Designer|Sql|Test)|plugins/(sqldrivers|qmltooling|tls|multimedia|printsupport|generic)/|"
        r"arrow_flight|arrow_s3|/pyarrow/include/|qtbase_(de|fr|ja)\.qm"
    )
    bad = sorted(p for p in entries if unwanted.search(p))
    assert not bad, f"should have been trimmed: {bad[:20]}"


def test_maintainer_scripts_never_fail(deb, tmp_path):
    control = tmp_path / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(control)], check=True)
    stubs, empty = tmp_path / "stubs", tmp_path / "empty"
    stubs.mkdir()
    empty.mkdir()
    calls = tmp_path / "calls.txt"
    for tool in ("update-desktop-database", "gtk-update-icon-cache"):
        stub = stubs / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\nexit 1\n')
        stub.chmod(0o755)
    for script, args in (("postinst", ["configure", "0.0.9"]), ("postrm", ["remove"]), ("postrm", ["purge"])):
        path = control / script
        assert path.stat().st_mode & 0o111, f"{script} is not executable"
        assert subprocess.run(["sh", "-n", str(path)]).returncode == 0
        for path_dir in (stubs, empty):  # failing tools, then no tools at all
            done = subprocess.run(
                ["/bin/sh", str(path), *args], env={"PATH": str(path_dir)}, capture_output=True
            )
            assert done.returncode == 0, (script, args, path_dir, done.stderr)
    made = calls.read_text().splitlines()
    assert "update-desktop-database -q /usr/share/applications" in made
    assert any(c.startswith("gtk-update-icon-cache") and c.endswith("/usr/share/icons/hicolor") for c in made)
    assert len(made) == 6  # both tools for configure, remove and purge
    # upgrade/failed-upgrade etc. do nothing
    done = subprocess.run(["/bin/sh", str(control / "postrm"), "upgrade", "0.2"], env={"PATH": str(stubs)})
    assert done.returncode == 0 and len(calls.read_text().splitlines()) == 6


def test_desktop_entry(root):
    path = root / "usr" / "share" / "applications" / "sparkdesk.desktop"
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(path, encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Name"] == "SparkDesk" and d["Terminal"] == "false"
    assert d["Exec"].split()[0] == "sparkdesk" and (root / "usr" / "bin" / "sparkdesk").exists()
    assert d["Icon"] == "sparkdesk"
    assert list((root / "usr" / "share" / "icons" / "hicolor").glob("*/apps/sparkdesk.*"))
    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.skip("desktop-file-validate not installed (apt-get install desktop-file-utils)")
    done = subprocess.run([validate, str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_libraries_resolve(root):
    """Every library the bundle ships finds the Qt/Arrow/Python libraries it links to inside the bundle."""
    internal = root / "opt" / "sparkdesk" / "_internal"
    ours = re.compile(r"^(libQt6|libicu|libpyside|libshiboken|libarrow|libparquet|libpython)")
    missing = []
    for lib in sorted(internal.rglob("*.so*")):
        if lib.is_symlink() or not lib.is_file():
            continue
        out = subprocess.run(["ldd", str(lib)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            name = line.strip().split(" ")[0]
            if "not found" in line and ours.match(name):
                missing.append(f"{lib.relative_to(internal)}: {name}")
    assert not missing, missing


# ----- the application --------------------------------------------------------------------------


def test_version(root, app_env):
    start = time.monotonic()
    done = ok(run_app(root, app_env, "--version"))
    elapsed = time.monotonic() - start
    assert done.stdout.strip() == f"sparkdesk {VERSION}"
    print(f"\n  sparkdesk --version: {elapsed:.2f} s")
    assert elapsed < 20


def test_bundled_demo_is_the_repository_demo(root):
    bundled = root / "opt" / "sparkdesk" / "_internal" / "resources" / "demo"
    names = sorted(p.name for p in DEMO.iterdir() if p.is_file())
    assert sorted(p.name for p in bundled.iterdir()) == names
    for name in names:
        assert (bundled / name).read_bytes() == (DEMO / name).read_bytes(), name


def test_export_matches_source(root, app_env, tmp_path):
    """The brief's check: resolved conversations of the bundled demo, UTC, byte-identical CSV."""
    bundled = root / "opt" / "sparkdesk" / "_internal" / "resources" / "demo"
    frozen, source = tmp_path / "frozen.csv", tmp_path / "source.csv"
    args = ["--type", "resolved-conversation", "--tz", "UTC"]
    ok(run_app(root, app_env, "export", str(bundled), *args, "--out", str(frozen)))
    ok(run_source(app_env, "export", str(DEMO), *args, "--out", str(source)))
    assert frozen.stat().st_size > 10_000
    assert frozen.read_bytes() == source.read_bytes()


def test_every_export_matches_source(root, app_env, tmp_path):
    frozen, source = tmp_path / "frozen", tmp_path / "source"
    frozen.mkdir()
    source.mkdir()
    args = ["--type", "all", "--tz", "Europe/Madrid", "--lang", "es"]
    ok(run_app(root, app_env, "export", str(DEMO), *args, "--out", str(frozen)))
    ok(run_source(app_env, "export", str(DEMO), *args, "--out", str(source)))
    names = sorted(p.name for p in source.iterdir())
    assert len(names) == 12 and sorted(p.name for p in frozen.iterdir()) == names
    for name in names:
        assert (frozen / name).read_bytes() == (source / name).read_bytes(), name


def test_xlsx_matches_source(root, app_env, tmp_path):
    """openpyxl (and whichever XLSX engine is the default) is in the bundle and writes the same cells."""
    frozen, source = tmp_path / "frozen.xlsx", tmp_path / "source.xlsx"
    args = ["--type", "message", "--tz", "UTC"]
    ok(run_app(root, app_env, "export", str(DEMO), *args, "--out", str(frozen)))
    ok(run_source(app_env, "export", str(DEMO), *args, "--out", str(source)))
    with zipfile.ZipFile(frozen) as zf, zipfile.ZipFile(source) as zs:
        parts = [n for n in zs.namelist() if n.startswith("xl/") and n.endswith(".xml")]
        assert any(n.startswith("xl/worksheets/") for n in parts)
        assert sorted(n for n in zf.namelist() if n in parts) == sorted(parts)
        for name in parts:
            assert zf.read(name) == zs.read(name), name


def test_parquet_jsonl_and_zip_dumps(root, app_env, tmp_path):
    """pyarrow's Parquet, dataset and JSON readers survived the trim: a mixed-format zipped dump."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    dump = tmp_path / "mixed"
    dump.mkdir()
    for src in sorted(DEMO.iterdir()):
        if src.name in ("conversations.csv", "messages.csv", "users.csv"):
            with open(src, encoding="utf-8-sig", newline="") as f:
                header = next(csv.reader(f))
            as_text = pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header}, strings_can_be_null=True
            )
            table = pacsv.read_csv(src, convert_options=as_text)
            if src.name == "messages.csv":
                lines = [
                    json.dumps({k: v for k, v in row.items() if v is not None}, ensure_ascii=False)
                    for row in table.to_pylist()
                ]
                (dump / "messages.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
            else:
                pq.write_table(table, dump / src.with_suffix(".parquet").name)
        else:
            shutil.copyfile(src, dump / src.name)
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(dump.iterdir()):
            zf.write(p, f"mixed/{p.name}")
    frozen, source = tmp_path / "frozen", tmp_path / "source"
    frozen.mkdir()
    source.mkdir()
    args = ["--type", "all", "--tz", "UTC"]
    ok(run_app(root, app_env, "export", str(archive), *args, "--out", str(frozen)))
    ok(run_source(app_env, "export", str(archive), *args, "--out", str(source)))
    for p in sorted(source.iterdir()):
        assert (frozen / p.name).read_bytes() == p.read_bytes(), p.name
    inspected = ok(run_app(root, app_env, "inspect", str(archive), "--json")).stdout
    assert '"conversations"' in inspected and '"messages"' in inspected


def test_screenshot_offscreen(root, app_env, tmp_path):
    shot = tmp_path / "window.png"
    start = time.monotonic()
    ok(
        run_app(
            root, app_env, "gui", "--screenshot", str(shot), "--type", "resolved-conversation", "--tz", "UTC"
        )
    )
    elapsed = time.monotonic() - start
    print(f"\n  sparkdesk gui --screenshot (demo, resolved conversations): {elapsed:.2f} s")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 720)
    assert len(data) > 50_000, "a window with a filled table is not a near-empty picture"


def test_no_arguments_opens_the_window(root, app_env, tmp_path):
    """Bare ``sparkdesk`` (the menu entry's command) starts the window on the demo and keeps running."""
    proc = subprocess.Popen(
        [str(root / "usr" / "bin" / "sparkdesk")],
        env=app_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(8)  # imports, window, demo loaded on a worker thread: ~2 s warm on 2 cores
        assert proc.poll() is None, f"exited with {proc.returncode}: {proc.communicate()[1][-3000:]}"
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert "Traceback" not in err and "rror" not in err, err[-3000:]


def test_running_writes_nothing_into_the_installed_tree(root, app_env, tmp_path):
    """What dpkg installed is all there is, so removing the package leaves nothing behind."""
    ok(run_app(root, app_env, "--version"))
    ok(
        run_app(
            root,
            app_env,
            "export",
            str(DEMO),
            "--type",
            "team",
            "--tz",
            "UTC",
            "--out",
            str(tmp_path / "t.csv"),
        )
    )
    ok(run_app(root, app_env, "gui", "--screenshot", str(tmp_path / "s.png")))
    assert _snapshot(root) == _SNAPSHOTS["installed"]
