"""The memory budget of cli.md's ``--memory-limit SIZE``: sizes as people write them.

A size is a number with a unit, ``512MiB`` or ``4 GiB`` (powers of 1024: KiB, MiB, GiB,
TiB) or ``500MB`` (powers of 1000: KB, MB, GB, TB); the unit's letters may be in any case
(``4gib``, ``4gb``), the number may have a decimal point (``1.5GiB``), and a bare whole
number is bytes, as in ``free -b`` or a script that computes the figure. ``4G`` is refused:
whether it means 4 GiB or 4 GB is a guess the user should not have to check.

The limit comes from the command line's flag, else the environment variable
``SPARKDESK_MEMORY_LIMIT``, else half of this computer's memory. Qt-free: the window's
setting uses the same functions.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal

ENV_VAR = "SPARKDESK_MEMORY_LIMIT"

UNITS: dict[str, int] = {
    "B": 1,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
    "TIB": 1024**4,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
}
_SIZE = re.compile(r"\s*(?P<number>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[A-Za-z]*)\s*")
_SHOWN = (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
FALLBACK_MEMORY = 8 * 1024**3  # the computer's memory when it cannot be read: a common laptop's
CGROUP_FILES = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


class MemoryLimitTooSmall(Exception):
    """The limit cannot hold even one part of the work: one sentence naming a limit that would.

    Raised by the core; the command line exits with status 1 and this sentence, the window
    shows it in its message bar. The arguments stay in ``args``, so that it crosses a
    process boundary (pickle) unchanged.
    """

    def __init__(self, needed_bytes: int, limit_bytes: int | None = None) -> None:
        super().__init__(needed_bytes, limit_bytes)
        self.needed_bytes = int(needed_bytes)
        self.limit_bytes = None if limit_bytes is None else int(limit_bytes)

    def __str__(self) -> str:
        at_least = format_size(self.needed_bytes, at_least=True)
        if self.limit_bytes is None:
            return f"The memory limit is too small for this dump: use at least {at_least}."
        limit = format_size(self.limit_bytes)
        return f"A memory limit of {limit} is too small for this dump: use at least {at_least}."


def parse_size(text: str) -> int:
    """Bytes in ``text`` (``"4GiB"``, ``"1.5 GB"``, ``"1048576"``); ValueError saying why not."""
    match = _SIZE.fullmatch(text or "")
    unit = match["unit"].upper() if match else ""
    if match is None or (unit and unit not in UNITS) or (not unit and "." in match["number"]):
        raise ValueError(
            f"not a size: {text!r}; write a number with KiB, MiB, GiB or TiB (powers of 1024) "
            "or KB, MB, GB or TB (powers of 1000), such as 512MiB or 4GiB."
        )
    size = int(Decimal(match["number"]) * UNITS[unit or "B"])
    if size <= 0:
        raise ValueError(f"not a memory limit: {text!r}; it must be more than 0 bytes.")
    return size


def format_size(n: int, *, at_least: bool = False) -> str:
    """``n`` bytes for a person: ``"4 GiB"``, ``"1.5 GiB"``, ``"300 MiB"``, ``"512 B"``.

    One decimal at most. With ``at_least`` the figure is rounded up, so that the size shown
    is never below ``n``: a limit the user copies from "use at least ..." does hold ``n``.
    """
    for name, factor in _SHOWN:
        if n >= factor:
            rounding = ROUND_CEILING if at_least else ROUND_HALF_EVEN
            value = (Decimal(n) / factor).quantize(Decimal("0.1"), rounding=rounding)
            shown = f"{value:f}".removesuffix(".0")
            return f"{shown} {name}"
    return f"{n} B"


def physical_memory() -> int | None:
    """This computer's memory in bytes (None when it cannot be read).

    Read with the standard library (no psutil): ``sysconf`` on Linux and macOS,
    ``GlobalMemoryStatusEx`` on Windows. On Linux, a container's cgroup limit counts when it
    is lower: the memory the process may use, not the host's.
    """
    if sys.platform == "win32":
        return _windows_memory()
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    if total <= 0:
        return None
    cgroup = _cgroup_limit()
    return min(total, cgroup) if cgroup else total


def _cgroup_limit(files: tuple[str, ...] = CGROUP_FILES) -> int | None:
    """The cgroup (v2, else v1) memory limit of this process on Linux, when one is set."""
    for path in files:
        try:
            with open(path, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < 2**60:  # "max", or v1's huge "no limit" figure
            return int(text)
    return None


def _windows_memory() -> int | None:  # pragma: no cover - exercised on Windows only
    import ctypes

    class MemoryStatusEx(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    status = MemoryStatusEx()
    status.dwLength = ctypes.sizeof(MemoryStatusEx)
    if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
        return None
    return int(status.ullTotalPhys) or None


def default_memory_limit() -> int:
    """Half of this computer's memory (cli.md): room left for the system and the window."""
    return (physical_memory() or FALLBACK_MEMORY) // 2


def explicit_memory_limit(flag_value: int | str | None, environ: Mapping[str, str]) -> int | None:
    """The limit the user gave: the flag (bytes, or its text), else ``SPARKDESK_MEMORY_LIMIT``;
    None when neither is set. ValueError (one sentence) for an environment value that is not
    a size."""
    if flag_value is not None:
        return flag_value if isinstance(flag_value, int) else parse_size(flag_value)
    text = environ.get(ENV_VAR, "").strip()
    if not text:
        return None
    try:
        return parse_size(text)
    except ValueError as err:
        raise ValueError(f"{ENV_VAR} is {err}") from None


def resolve_memory_limit(flag_value: int | str | None, environ: Mapping[str, str]) -> int:
    """The limit in force: the flag wins over the environment, which wins over the default."""
    given = explicit_memory_limit(flag_value, environ)
    return given if given is not None else default_memory_limit()
