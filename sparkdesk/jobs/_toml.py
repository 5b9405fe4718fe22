"""TOML text helpers for job files: where a key is written, and how a value is spelled.

``tomllib`` reads a job file but gives no positions, and the standard library has no TOML
writer. A job file is small and flat (top-level keys and one ``options`` table), so both
jobs are done here on the text: a key's line is found by a scan that knows about tables
and multi-line strings, and values are written by hand (strings, booleans, lists of
strings, one inline table).
"""

from __future__ import annotations

import json
import re

_TABLE_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_\-\"' .]+?)\s*\]\s*(#.*)?$")


def _key_pattern(key: str) -> re.Pattern[str]:
    k = re.escape(key)
    return re.compile(rf"(?:^|[{{,]\s*)(?:{k}|\"{k}\"|'{k}')\s*=")


def key_line(text: str, key: str, table: str | None = None) -> int | None:
    """The 1-based line where ``key`` is set: at the top level, or inside ``table`` (either a
    ``[table]`` section or an inline ``table = { key = ... }``). None when not found."""
    pattern = _key_pattern(key)
    current: str | None = None
    inside_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if inside_multiline:
            if line.count(inside_multiline) % 2 == 1:
                inside_multiline = None
            continue
        stripped = line.strip()
        header = _TABLE_HEADER.match(line)
        if header and not stripped.startswith("[["):
            current = header.group(1).strip().strip("\"'")
            continue
        if table is None:
            if current is None and pattern.match(stripped):
                return number
        elif current == table and pattern.match(stripped):
            return number
        elif current is None and _key_pattern(table).match(stripped) and pattern.search(stripped):
            return number
        for quote in ('"""', "'''"):
            if line.count(quote) % 2 == 1:
                inside_multiline = quote
                break
    return None


def toml_string(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's, plus DEL, which TOML wants escaped."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(value: object) -> str:
    """A string, boolean, list of strings or flat table, spelled as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML spelling for {value!r}")
