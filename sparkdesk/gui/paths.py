"""Where the window finds its shipped files (translations, icons) and the demo dump."""

from __future__ import annotations

from pathlib import Path

from sparkdesk.resources import bundled_demo_path, resources_path


def resources_dir() -> Path:
    """The project's ``resources/`` folder (a checkout, an installed package or a bundle)."""
    return resources_path()


def i18n_dir() -> Path:
    return resources_dir() / "i18n"


def icon_path(ext: str = "svg") -> Path:
    return resources_dir() / "icons" / f"sparkdesk.{ext}"


def demo_dump_path() -> Path | None:
    """The bundled demo dump, or None when this build has none."""
    path = bundled_demo_path()
    return path if path.exists() else None
