"""Build SparkDesk for people who have no Python: ``python packaging/build.py [--skip-deb] [--clean]``.

Run from any folder with the project's environment (``pip install -e ".[packaging]"``). It reads the
version from pyproject.toml, runs PyInstaller with packaging/sparkdesk.spec (bundle in
dist/sparkdesk/, work files in build/), then, by platform:

- Linux: dist/sparkdesk_<version>_<arch>.deb (dpkg-deb) and dist/SparkDesk-<version>-linux-<machine>.tar.gz
- Windows: build/icons/sparkdesk.ico (Pillow) before PyInstaller, then dist/SparkDesk-Setup-<version>.exe
  with Inno Setup 6 (packaging/windows/sparkdesk.iss) when ISCC.exe is found
- macOS: build/icons/SparkDesk.icns (iconutil) before PyInstaller, then dist/SparkDesk.app and
  dist/SparkDesk-<version>-macos-<machine>.dmg (packaging/macos/build_dmg.sh)

The sizes of what it made are printed at the end.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
DIST = ROOT / "dist"
BUILD = ROOT / "build"
BUNDLE = DIST / "sparkdesk"  # the one-folder bundle (COLLECT name in the spec)
ICONS = BUILD / "icons"

APP_NAME = "SparkDesk"
MAINTAINER = "SparkDesk developers <sparkdesk@example.com>"
SUMMARY = "Sparkcentral data exports, built offline from raw data dumps"
DESCRIPTION = """\
SparkDesk builds Sparkcentral's twelve data exports (resolved and open
conversations, messages, teams, contacts, topics, tags, user presence, agent
metrics, response times, virtual agents, contact attributes) offline, on the
desktop, from raw data dumps, and saves them as CSV or XLSX. The window opens
on a bundled demo dump; `sparkdesk export` works from the command line."""

# Each system library the Linux bundle links to but does not ship (see SYSTEM_LIBS in the spec),
# with the Debian package that provides it. The build stops on a soname missing here, so a new
# dependency is never left out of Depends silently.
DEB_PACKAGES = {
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "libglib-2.0.so.0": "libglib2.0-0t64 | libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0t64 | libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0t64 | libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0t64 | libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
}
# Optional system libraries: a Qt plugin that needs one of these is skipped by Qt when it is
# missing (the GTK file dialogs fall back to Qt's own), so the .deb does not depend on them.
OPTIONAL_SONAMES = {
    "libgtk-3.so.0",
    "libgdk-3.so.0",
    "libpango-1.0.so.0",
    "libcairo.so.2",
    "libcairo-gobject.so.2",
    "libgdk_pixbuf-2.0.so.0",
    "libpangocairo-1.0.so.0",
    "libatk-1.0.so.0",
    "libharfbuzz.so.0",
    "libpangoft2-1.0.so.0",
    "libgmodule-2.0.so.0",
    "libvulkan.so.1",
    "libdrm.so.2",
    "libgbm.so.1",
}
# Part of the C library itself (package libc6, versioned below from the GLIBC_ symbols used).
LIBC_SONAMES = {
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libutil.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "libresolv.so.2",
    "libmvec.so.1",
}
# GCC release that first shipped each GLIBCXX_3.4.N symbol version (libstdc++6 (>= N)).
GLIBCXX_GCC = {25: "8", 26: "9", 27: "9", 28: "10", 29: "11", 30: "12", 31: "13", 32: "14", 33: "15"}


def log(msg: str) -> None:
    print(f"build.py: {msg}", flush=True)


def read_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


def run(cmd: list[str], **kw) -> None:
    log("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


# ----- icons ------------------------------------------------------------------------------------


def windows_icon() -> Path:
    """build/icons/sparkdesk.ico from resources/icons/sparkdesk.png (Pillow, a build-time tool only)."""
    try:
        from PIL import Image
    except ImportError:
        sys.exit('build.py: Pillow is needed for the Windows icon: pip install -e ".[packaging]"')
    ICONS.mkdir(parents=True, exist_ok=True)
    out = ICONS / "sparkdesk.ico"
    with Image.open(ROOT / "resources" / "icons" / "sparkdesk.png") as img:
        img.convert("RGBA").save(out, sizes=[(s, s) for s in (16, 20, 24, 32, 40, 48, 64, 128, 256)])
    return out


def macos_icon() -> Path:
    out = ICONS / "SparkDesk.icns"
    ICONS.mkdir(parents=True, exist_ok=True)
    run(
        [
            "bash",
            PACKAGING / "macos" / "build_dmg.sh",
            "icns",
            ROOT / "resources" / "icons" / "sparkdesk.png",
            out,
        ]
    )
    return out


# ----- PyInstaller ------------------------------------------------------------------------------


def pyinstaller(clean: bool) -> None:
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        sys.exit('build.py: PyInstaller is not installed here: pip install -e ".[packaging]"')
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        PACKAGING / "sparkdesk.spec",
        "--noconfirm",
        "--distpath",
        DIST,
        "--workpath",
        BUILD / "pyinstaller",
    ]
    if clean:
        cmd.append("--clean")
    start = time.monotonic()
    run(cmd, cwd=ROOT)
    log(f"PyInstaller took {time.monotonic() - start:.0f} s")
    exe = BUNDLE / ("sparkdesk.exe" if sys.platform == "win32" else "sparkdesk")
    if not exe.exists():
        sys.exit(f"build.py: PyInstaller did not make {exe}")


# ----- Linux: strip, .deb and .tar.gz ------------------------------------------------------------

ELF_MAGIC = b"\x7fELF"


def strip_bundle(bundle: Path) -> None:
    """Strip symbol tables from the bundle's libraries where that is safe: about 50 MB.

    PyInstaller's own strip=True runs on every binary and breaks the libraries auditwheel
    vendored into ``<package>.libs/`` (patchelf-rewritten: "ELF load command address/offset not
    page-aligned" for numpy's OpenBLAS), so the spec leaves stripping to this step, which skips them.
    """
    if not shutil.which("strip"):
        log("strip not found (apt-get install binutils): the bundle is left unstripped")
        return
    before = folder_bytes(bundle)
    targets = [p for p in elf_files(bundle) if not any(part.endswith(".libs") for part in p.parts)]
    for i in range(0, len(targets), 200):
        run_quiet(["strip", *targets[i : i + 200]])
    log(f"stripped {len(targets)} libraries: {human(before)} -> {human(folder_bytes(bundle))}")


def run_quiet(cmd: list) -> None:
    subprocess.run([str(c) for c in cmd], check=True)


def elf_files(folder: Path) -> list[Path]:
    found = []
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink():
            with open(p, "rb") as f:
                if f.read(4) == ELF_MAGIC:
                    found.append(p)
    return found


def needed_sonames(path: Path) -> list[str]:
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True).stdout
    return re.findall(r"^\s*NEEDED\s+(\S+)", out, flags=re.MULTILINE)


def deb_depends(bundle: Path) -> str:
    """Depends: the packages of the system libraries the bundle links to, with libc6/libstdc++6 minima."""
    elves = elf_files(bundle)
    shipped = {p.name for p in bundle.rglob("*.so*")}
    external: dict[str, set[str]] = {}
    glibc, glibcxx = (2, 17), 0
    for elf in elves:
        for soname in needed_sonames(elf):
            if soname not in shipped:
                external.setdefault(soname, set()).add(str(elf.relative_to(bundle)))
        data = elf.read_bytes()
        for m in re.finditer(rb"GLIBC_2\.(\d+)(?:\.\d+)?\x00", data):
            glibc = max(glibc, (2, int(m.group(1))))
        for m in re.finditer(rb"GLIBCXX_3\.4\.(\d+)\x00", data):
            glibcxx = max(glibcxx, int(m.group(1)))
    unknown = sorted(
        s for s in external if s not in DEB_PACKAGES and s not in LIBC_SONAMES and s not in OPTIONAL_SONAMES
    )
    if unknown:
        details = "; ".join(f"{s} (needed by {', '.join(sorted(external[s])[:3])})" for s in unknown)
        sys.exit(f"build.py: no Debian package known for {details}: add it to DEB_PACKAGES or ship it")
    deps = [f"libc6 (>= {glibc[0]}.{glibc[1]})"]
    if glibcxx:
        deps.append(f"libstdc++6 (>= {GLIBCXX_GCC.get(glibcxx, '8')})")
    for soname in sorted(external):
        pkg = DEB_PACKAGES.get(soname)
        if pkg and pkg not in deps and not pkg.startswith("libstdc++6"):
            deps.append(pkg)
    # The xcb platform plugin dlopens libxcb-cursor at run time; list it even if not NEEDED.
    for pkg in ("libxkbcommon-x11-0", "libxcb-cursor0"):
        if pkg not in deps:
            deps.append(pkg)
    return ", ".join(deps)


DESKTOP_ENTRY = """\
[Desktop Entry]
Type=Application
Version=1.0
Name={name}
GenericName=Data export builder
Comment=Build Sparkcentral data exports offline from raw data dumps
Exec=sparkdesk gui %F
TryExec=sparkdesk
Icon=sparkdesk
Terminal=false
Categories=Office;
Keywords=Sparkcentral;export;CSV;XLSX;dump;
StartupNotify=true
"""

LAUNCHER = """\
#!/bin/sh
# SparkDesk's launcher: the application is the PyInstaller bundle in /opt/sparkdesk.
# The path is taken relative to this script so an unpacked package (dpkg-deb -x) runs too.
here=$(dirname "$(readlink -f "$0")")
exec "$here/../../opt/sparkdesk/sparkdesk" "$@"
"""

MAINTAINER_SCRIPT = """\
#!/bin/sh
# {what} of sparkdesk: refresh the menu and icon caches if those tools exist. Never fails: dpkg
# triggers of desktop-file-utils and hicolor-icon-theme do the same on most systems anyway.
set -e
case "$1" in
    {cases})
        if command -v update-desktop-database >/dev/null 2>&1; then
            update-desktop-database -q /usr/share/applications >/dev/null 2>&1 || true
        fi
        if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -d /usr/share/icons/hicolor ]; then
            gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor >/dev/null 2>&1 || true
        fi
        ;;
esac
exit 0
"""

COPYRIGHT = """\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: SparkDesk

Files: *
Copyright: SparkDesk developers
License: Proprietary
 All rights reserved. The bundled third-party components (Python, Qt/PySide6, pandas,
 NumPy, Apache Arrow, openpyxl, rustpy-xlsxwriter, platformdirs, tzdata, tqdm) keep their
 own licenses; their license files are in /opt/sparkdesk/_internal.
"""


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def tree_size_kib(folder: Path) -> int:
    """Installed-Size as dpkg-gencontrol computes it: the sum of file sizes, in KiB, rounded up per file."""
    total = 0
    for p in folder.rglob("*"):
        if p.is_symlink() or not p.is_file():
            total += 1
        else:
            total += (p.stat().st_size + 1023) // 1024
    return total


def build_deb(version: str) -> Path:
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    stage = BUILD / "deb" / "root"
    if stage.parent.exists():
        shutil.rmtree(stage.parent)
    # /opt/sparkdesk: the bundle, as PyInstaller made it.
    shutil.copytree(BUNDLE, stage / "opt" / "sparkdesk", symlinks=True)
    write(stage / "usr" / "bin" / "sparkdesk", LAUNCHER, 0o755)
    write(stage / "usr" / "share" / "applications" / "sparkdesk.desktop", DESKTOP_ENTRY.format(name=APP_NAME))
    icons = ROOT / "resources" / "icons"
    hicolor = stage / "usr" / "share" / "icons" / "hicolor"
    for src, dest in (
        (icons / "sparkdesk.svg", "scalable/apps/sparkdesk.svg"),
        (icons / "sparkdesk.png", "256x256/apps/sparkdesk.png"),
        (icons / "sparkdesk-48.png", "48x48/apps/sparkdesk.png"),
    ):
        (hicolor / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, hicolor / dest)
        (hicolor / dest).chmod(0o644)
    write(stage / "usr" / "share" / "doc" / "sparkdesk" / "copyright", COPYRIGHT)
    for p in [
        stage,
        *stage.rglob("*"),
    ]:  # 0755 folders, files as PyInstaller/us left them minus group/other write
        if p.is_dir() and not p.is_symlink():
            p.chmod(0o755)
        elif p.is_file() and not p.is_symlink():
            p.chmod(p.stat().st_mode & 0o755 | 0o644)
    installed_kib = tree_size_kib(stage)
    debian = stage / "DEBIAN"
    control = f"""\
Package: sparkdesk
Version: {version}
Architecture: {arch}
Maintainer: {MAINTAINER}
Installed-Size: {installed_kib}
Depends: {deb_depends(BUNDLE)}
Section: utils
Priority: optional
Description: {SUMMARY}
""" + "".join(f" {line}\n" if line else " .\n" for line in DESCRIPTION.splitlines())
    write(debian / "control", control)
    write(debian / "postinst", MAINTAINER_SCRIPT.format(what="After installation", cases="configure"), 0o755)
    write(debian / "postrm", MAINTAINER_SCRIPT.format(what="After removal", cases="remove|purge"), 0o755)
    debian.chmod(0o755)
    out = DIST / f"sparkdesk_{version}_{arch}.deb"
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", stage, out])
    return out


def build_tarball(version: str) -> Path:
    machine = platform.machine().lower()
    top = f"{APP_NAME}-{version}"
    out = DIST / f"{APP_NAME}-{version}-linux-{machine}.tar.gz"

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = info.mode & 0o755 | (0o644 if info.isfile() else 0)
        return info

    log(f"writing {out.name}")
    tmp = out.with_suffix(".part")
    with tarfile.open(tmp, "w:gz", compresslevel=9) as tar:
        tar.add(BUNDLE, arcname=top, filter=normalise)
        for src, name in ((ROOT / "resources" / "icons" / "sparkdesk.svg", "sparkdesk.svg"),):
            tar.add(src, arcname=f"{top}/{name}", filter=normalise)
    tmp.replace(out)
    return out


# ----- Windows and macOS installers ---------------------------------------------------------------


def find_iscc() -> str | None:
    found = shutil.which("ISCC") or shutil.which("iscc")
    if found:
        return found
    for base in (
        os.environ.get("ProgramFiles(x86)"),
        os.environ.get("ProgramFiles"),
        os.path.join(os.environ.get("LOCALAPPDATA", ""), "Programs"),
    ):
        if base and (Path(base) / "Inno Setup 6" / "ISCC.exe").exists():
            return str(Path(base) / "Inno Setup 6" / "ISCC.exe")
    return None


def build_windows_installer(version: str, icon: Path) -> Path | None:
    iscc = find_iscc()
    if not iscc:
        log("Inno Setup 6 (ISCC.exe) not found: the installer is not built (the bundle is in dist/sparkdesk)")
        return None
    run(
        [
            iscc,
            f"/DMyAppVersion={version}",
            f"/DSourceDir={BUNDLE}",
            f"/DOutputDir={DIST}",
            f"/DIconFile={icon}",
            PACKAGING / "windows" / "sparkdesk.iss",
        ]
    )
    return DIST / f"SparkDesk-Setup-{version}.exe"


def build_macos_dmg(version: str) -> Path:
    out = DIST / f"{APP_NAME}-{version}-macos-{platform.machine().lower()}.dmg"
    run(["bash", PACKAGING / "macos" / "build_dmg.sh", "dmg", DIST / f"{APP_NAME}.app", out])
    return out


# ----- main -------------------------------------------------------------------------------------


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return str(n)


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def clean_outputs(version: str) -> None:
    for path in (BUILD / "pyinstaller", BUILD / "deb", ICONS, BUNDLE, DIST / f"{APP_NAME}.app"):
        if path.exists():
            log(f"removing {path.relative_to(ROOT)}")
            shutil.rmtree(path)
    for pattern in (
        f"sparkdesk_{version}_*.deb",
        f"{APP_NAME}-{version}-*",
        f"{APP_NAME}-Setup-{version}.exe",
    ):
        for path in DIST.glob(pattern):
            log(f"removing {path.relative_to(ROOT)}")
            path.unlink()


def hold_build_lock():
    """One build at a time in this tree: a second one would delete the first one's dist/ and build/."""
    BUILD.mkdir(exist_ok=True)
    handle = open(BUILD / ".build.lock", "w")  # held open until the process ends
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here; CI runs one build per runner
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit("build.py: another packaging/build.py is running in this tree; wait for it to finish")
    return handle


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--skip-deb", action="store_true", help="Linux: build the bundle and .tar.gz, no .deb"
    )
    parser.add_argument(
        "--clean", action="store_true", help="remove earlier outputs and PyInstaller's cache first"
    )
    args = parser.parse_args(argv)

    _lock = hold_build_lock()  # kept open: the lock lasts as long as the process
    version = read_version()
    log(f"SparkDesk {version} on {sys.platform} ({platform.machine()}), Python {platform.python_version()}")
    if args.clean:
        clean_outputs(version)
    DIST.mkdir(exist_ok=True)

    icon = None
    if sys.platform == "win32":
        icon = windows_icon()
    elif sys.platform == "darwin":
        icon = macos_icon()
    pyinstaller(args.clean)

    made: list[Path] = []
    if sys.platform.startswith("linux"):
        strip_bundle(BUNDLE)
        if not args.skip_deb:
            if not shutil.which("dpkg-deb"):
                sys.exit("build.py: dpkg-deb not found (apt-get install dpkg); or use --skip-deb")
            made.append(build_deb(version))
        made.append(build_tarball(version))
    elif sys.platform == "win32":
        setup = build_windows_installer(version, icon)
        if setup:
            made.append(setup)
    elif sys.platform == "darwin":
        made.append(build_macos_dmg(version))

    log(f"bundle {BUNDLE.relative_to(ROOT)}: {human(folder_bytes(BUNDLE))}")
    for path in made:
        log(f"{path.relative_to(ROOT)}: {human(path.stat().st_size)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
