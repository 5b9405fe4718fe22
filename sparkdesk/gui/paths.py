"""Where the window finds its shipped files (translations, icons) and the demo dump."""

from __future__ import annotations

from pathlib import Path


def resources_dir() -> Path:
    """The project's ``resources/`` folder (beside the package in a checkout or editable install)."""
    try:
        from sparkdesk import resources  # type: ignore[attr-defined]

        fn = getattr(resources, "resources_path", None)
        if callable(fn):
            return Path(fn())
    except ImportError:
        pass
    return Path(__file__).resolve().parents[2] / "resources"


def i18n_dir() -> Path:
    return resources_dir() / "i18n"


def icon_path(ext: str = "svg") -> Path:
    return resources_dir() / "icons" / f"sparkdesk.{ext}"


def demo_dump_path() -> Path | None:
    """The bundled demo dump, or None when this build has none."""
    try:
        from sparkdesk.resources import bundled_demo_path  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        path = Path(bundled_demo_path())
    except (OSError, LookupError):
        return None
    return path if path.exists() else None
