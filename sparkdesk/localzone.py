"""The computer's IANA time zone name, without extra dependencies.

Order: the TZ environment variable, /etc/timezone, the /etc/localtime link; "UTC" when
none of them names a zone zoneinfo knows. (The window may ask Qt instead; both end in a
name that zoneinfo accepts.)
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo


def _valid(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lstrip(":")
    try:
        ZoneInfo(name)
    except (ValueError, OSError, KeyError):
        return None
    return name


def local_zone_name() -> str:
    """The computer's zone name, e.g. ``Europe/Madrid``; ``UTC`` when it cannot be told."""
    found = _valid(os.environ.get("TZ"))
    if found:
        return found
    try:
        found = _valid(Path("/etc/timezone").read_text(encoding="utf-8"))
    except OSError:
        found = None
    if found:
        return found
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        target = ""
    if "zoneinfo" + os.sep in target:
        found = _valid(target.split("zoneinfo" + os.sep, 1)[1])
        if found:
            return found
    return "UTC"
