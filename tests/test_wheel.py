"""An installed wheel carries the demo dump, the translations and the icons (issue 12).

``resources/`` stays at the top of the repository and ships as the package data of
``sparkdesk._resources`` (pyproject.toml). This module builds an sdist of the checkout and a
wheel from it, as ``python -m build`` does (pyproject's build requirements are installed
beside the build unless this environment has them); installs the wheel with ``pip install
--no-deps`` into a fresh virtual environment that borrows this environment's dependencies
through a ``.pth`` file (so nothing but the build requirements is ever downloaded); and runs
the installed ``sparkdesk`` from a temporary folder: ``--version``, an export of the bundled
demo, and ``gui --screenshot`` in English and in Spanish. It skips only when no wheel can be
built here (pip cannot get the build requirements). About 30 s.
"""

from __future__ import annotations

import csv
import filecmp
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
VERSION = PYPROJECT["project"]["version"]
RESOURCES = (
    "demo/manifest.json",
    "demo/conversations.csv",
    "i18n/sparkdesk_es.qm",
    "icons/sparkdesk.svg",
    "schedule/sparkdesk-job.timer",
)
TIMEOUT = 300


def _run(args: list[str], *, cwd: Path, env: dict | None = None, timeout: float = TIMEOUT):
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def _ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, (
        f"{done.args}: exit {done.returncode}\nstdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}"
    )
    return done


def _has_build_requirements() -> bool:
    """Whether this environment has pyproject's build requirements already (then nothing is fetched)."""
    if PYPROJECT["build-system"]["requires"] != ["setuptools>=68", "wheel"]:
        return False  # requirements this check does not know: they are installed for the build
    try:
        setuptools = tuple(int(p) for p in importlib.metadata.version("setuptools").split(".")[:2])
        importlib.metadata.version("wheel")
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return setuptools >= (68, 0)


def _copy_sources(dest: Path) -> Path:
    """What a build reads, copied: building in the checkout would write build/ and egg-info there."""
    src = dest / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("sparkdesk", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return src


BUILD = "import sys; from setuptools import build_meta as b; print(getattr(b, sys.argv[1])(sys.argv[2]))"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The sdist of the checkout and the wheel built from it, as `python -m build` makes them."""
    where = tmp_path_factory.mktemp("wheel-build")
    src = _copy_sources(where)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if not _has_build_requirements():  # pyproject's [build-system] requires, installed beside the build
        backend = where / "backend"
        done = _run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--target",
                backend,
                *PYPROJECT["build-system"]["requires"],
            ],
            cwd=where,
            env=env,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot install the build requirements here:\n{done.stderr[-1500:]}")
        env["PYTHONPATH"] = str(backend)
    done = _ok(_run([sys.executable, "-c", BUILD, "build_sdist", where / "sdist"], cwd=src, env=env))
    sdist = where / "sdist" / done.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as tar:
        tar.extractall(where / "unpacked", **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    (unpacked,) = (where / "unpacked").iterdir()
    done = _ok(_run([sys.executable, "-c", BUILD, "build_wheel", where / "wheels"], cwd=unpacked, env=env))
    wheel = where / "wheels" / done.stdout.strip().splitlines()[-1]
    return {"wheel": wheel, "sdist": sdist}


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory) -> dict[str, Path]:
    """A fresh virtual environment with the wheel installed, and this one's dependencies."""
    where = tmp_path_factory.mktemp("wheel-venv")
    env_dir = where / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", env_dir], cwd=where))
    bindir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    python = bindir / ("python.exe" if sys.platform == "win32" else "python")
    # pip of this environment installs into the new one; its own site-packages holds nothing yet,
    # so pip sees no other sparkdesk (the checkout's editable one is in this environment).
    _ok(
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "--python",
                python,
                "install",
                "--no-deps",
                "--no-index",
                built["wheel"],
            ],
            cwd=where,
            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        )
    )
    purelib = Path(
        _ok(
            _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=where)
        ).stdout.strip()
    )
    # The dependencies (pandas, PySide6, ...) come from this environment's site-packages folders
    # (those its own .pth files added too), after the new one's: a .pth file adds folders but
    # runs none of the .pth files in them, so the editable install of the checkout stays out.
    ours = [
        p
        for p in dict.fromkeys(sys.path)
        if p and Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()
    ]
    (purelib / "_sparkdesk_test_deps.pth").write_text("".join(f"{p}\n" for p in ours), encoding="utf-8")
    return {"python": python, "sparkdesk": bindir / "sparkdesk", "purelib": purelib, "tmp": where}


@pytest.fixture
def app_env(tmp_path) -> dict[str, str]:
    """The environment of an installed app: no checkout on the path, offscreen, English."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHON"))}
    env.update(QT_QPA_PLATFORM="offscreen", LANG="C.UTF-8", LANGUAGE="")
    return env


def _installed(venv, env, cwd, *exprs: str) -> list[str]:
    """Values of Python expressions, as text, evaluated by the installed package."""
    code = f"import json, sparkdesk, sparkdesk.resources as r; print(json.dumps([str(x) for x in ({', '.join(exprs)},)]))"
    return json.loads(_ok(_run([venv["python"], "-c", code], cwd=cwd, env=env)).stdout)


# ----- what is built ----------------------------------------------------------------------------


def test_every_package_is_listed_in_pyproject():
    """packages.find cannot see a package mapped to another folder, so the list is by hand."""
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "sparkdesk").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    setuptools_cfg = PYPROJECT["tool"]["setuptools"]
    listed = set(setuptools_cfg["packages"])
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"
    assert listed == found | {"sparkdesk._resources"}
    assert setuptools_cfg["package-dir"] == {"sparkdesk._resources": "resources"}
    assert (ROOT / "resources" / "__init__.py").is_file()


def test_a_checkout_that_is_not_installed_finds_resources_next_to_the_package(tmp_path):
    """`python -m sparkdesk` in a checkout: no site-packages at all, so no sparkdesk._resources."""
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); import sparkdesk.resources as r; print(r.resources_path())"
    out = _ok(_run([sys.executable, "-S", "-c", code], cwd=tmp_path)).stdout.strip()
    assert Path(out) == ROOT / "resources"


def test_the_sdist_and_the_wheel_carry_the_resources(built):
    names = set(zipfile.ZipFile(built["wheel"]).namelist())
    for name in ("__init__.py", *RESOURCES):
        assert f"sparkdesk/_resources/{name}" in names, name
    demo = {p.name for p in (ROOT / "resources" / "demo").iterdir()}
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("sparkdesk/_resources/demo/")} == demo
    with tarfile.open(built["sdist"]) as tar:
        members = {m.name.split("/", 1)[1] for m in tar.getmembers() if "/" in m.name}
    for name in ("__init__.py", *RESOURCES):
        assert f"resources/{name}" in members, name


# ----- the installed app ------------------------------------------------------------------------


def test_the_installed_package_is_the_one_that_runs(venv, app_env, tmp_path):
    module, resources = map(
        Path, _installed(venv, app_env, tmp_path, "sparkdesk.__file__", "r.resources_path()")
    )
    assert module.is_relative_to(venv["purelib"]), module
    assert resources == venv["purelib"] / "sparkdesk" / "_resources"
    assert not resources.is_relative_to(ROOT)
    assert _ok(_run([venv["sparkdesk"], "--version"], cwd=tmp_path, env=app_env)).stdout.strip() == (
        f"sparkdesk {VERSION}"
    )


def test_the_installed_demo_exports(venv, app_env, tmp_path):
    (demo,) = map(Path, _installed(venv, app_env, tmp_path, "r.bundled_demo_path()"))
    assert demo.is_relative_to(venv["purelib"])
    same, different, missing = filecmp.cmpfiles(
        ROOT / "resources" / "demo",
        demo,
        [p.name for p in (ROOT / "resources" / "demo").iterdir()],
        shallow=False,
    )
    assert different == [] and missing == []
    out = tmp_path / "users.csv"
    _ok(
        _run(
            [venv["sparkdesk"], "export", demo, "--type", "user", "--tz", "UTC", "--out", out],
            cwd=tmp_path,
            env=app_env,
        )
    )
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    with open(demo / "users.csv", encoding="utf-8", newline="") as f:
        users = list(csv.DictReader(f))
    assert len(rows) > 1 and len(rows) - 1 == len(users)


def test_the_installed_window_renders_the_demo(venv, app_env, tmp_path):
    """`sparkdesk gui --screenshot` with no dump opens the bundled demo (it used to wait forever).

    It exits 0 only once the window has a working dump (tests/test_gui_app.py): here, the demo.
    """
    from PySide6.QtGui import QImage

    png = tmp_path / "en.png"
    _ok(_run([venv["sparkdesk"], "gui", "--screenshot", png], cwd=tmp_path, env=app_env))
    img = QImage(str(png))
    assert (img.width(), img.height()) == (1280, 720)
    colours = {img.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 720, 16)}
    assert len(colours) > 5


# The installed `sparkdesk gui --screenshot`, run through cli.main with the window kept: what
# did it show? (the demo, translated, and an export of it in the preview)
SHOW = textwrap.dedent(
    """
    import json, sys
    import sparkdesk
    from sparkdesk import cli
    from sparkdesk.gui import app, paths
    seen = {}
    class Shot(app._Screenshot):
        def _shoot(self):
            w = self.window
            seen.update(
                module=sparkdesk.__file__,
                demo=w.demo_mode,
                conversations=len(w.dump.tables["conversations"]) if w.dump is not None else 0,
                rows=w.preview.model.rowCount(),
                lang=w.translations.lang,
                file_menu=w.menu_file.title(),
                note=w.message_bar.text.text(),
                icon=str(paths.icon_path("svg")) if not w.windowIcon().isNull() else "",
            )
            super()._shoot()
    app._Screenshot = Shot
    code = cli.main(sys.argv[1:])
    print(json.dumps(seen))
    sys.exit(code)
    """
)


def test_the_installed_window_speaks_spanish_on_a_spanish_system(venv, app_env, tmp_path):
    """The language follows the system locale (no choice saved): LANG=es_ES shows the Spanish UI."""
    png = tmp_path / "shot.png"
    done = _ok(
        _run(
            [venv["python"], "-c", SHOW, "gui", "--screenshot", png, "--type", "user", "--tz", "UTC"],
            cwd=tmp_path,
            env={**app_env, "LANG": "es_ES.UTF-8"},
        )
    )
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(seen["module"]).is_relative_to(venv["purelib"])
    assert seen["demo"] is True and seen["conversations"] > 0 and seen["rows"] > 0
    assert seen["lang"] == "es" and seen["file_menu"] == "&Archivo"
    assert "volcado de demostración incluido" in seen["note"], seen["note"]
    assert Path(seen["icon"]).is_file() and Path(seen["icon"]).is_relative_to(venv["purelib"])
    assert png.stat().st_size > 10_000
