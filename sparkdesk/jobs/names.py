"""The name fields of jobs.md: ``{type}``, ``{from}``... in ``name_pattern`` and ``out_dir``.

Decision (jobs.md: "No field may produce ``/``, ``\\`` or ``:`` inside a name"): a field's
value is *sanitised*, not refused, because its value comes from data the user does not
choose at the time the job is written (an organisation called ``Acme/EU``, a zone name).
Each ``/``, ``\\`` or ``:``, and each control character, in a field's value becomes ``-``,
which is also how ``{tz}`` spells the zone's slash (``Europe-Madrid``). The pattern's
own text is the user's: a ``/`` written in ``name_pattern`` makes a subfolder of
``out_dir``, and ``out_dir`` may be any path (``D:/reports``, ``../reports``); only ``..`` steps in ``name_pattern``, which would
climb out of ``out_dir``, are refused.

``name_pattern = "sparkcentral"`` is Sparkcentral's scheduled-export layout,
``export/{type}/[{org}][{type}][{from}][{to}][{uuid}].{ext}`` under ``out_dir``, the
square brackets written as they are (jobs.md gives the name as
``[orgId][exportType][from][to][uuid].csv``).
"""

from __future__ import annotations

import re
import string

FIELDS = ("type", "name", "from", "to", "run", "tz", "org", "ext", "uuid")
# The fields that differ from one file of a run to the next.
PER_FILE_FIELDS = frozenset({"type", "name", "ext", "uuid"})
# The fields that tell two exports' files apart (``ext`` does not: one format per job).
TYPE_FIELDS = frozenset({"type", "name", "uuid"})
SPARKCENTRAL = "sparkcentral"
SPARKCENTRAL_PATTERN = "export/{type}/[{org}][{type}][{from}][{to}][{uuid}].{ext}"
DEFAULT_PATTERN = "{type}_{from}_{to}.{ext}"
_UNSAFE = re.compile(r"[/\\:\x00-\x1f\x7f]")


def expand_pattern(pattern: str) -> str:
    """The pattern proper: ``sparkcentral`` is a name for Sparkcentral's layout."""
    return SPARKCENTRAL_PATTERN if pattern == SPARKCENTRAL else pattern


def fields_of(pattern: str) -> list[str]:
    """The field names used in ``pattern``; ValueError with one sentence when it is malformed."""
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as err:
        raise ValueError(f"is not a valid pattern ({err}); write a brace as {{{{ or }}}}") from None
    used = []
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if field not in FIELDS:
            known = ", ".join("{" + f + "}" for f in FIELDS)
            raise ValueError(f"uses {{{field}}}, which is not a field; the fields are {known}")
        if spec or conversion:
            raise ValueError(f"writes {{{field}}} with a format; write the field alone")
        used.append(field)
    return used


def pattern_problem(pattern: str, *, is_name: bool) -> str | None:
    """Why ``pattern`` (a ``name_pattern`` or an ``out_dir``) cannot be used, or None."""
    if not pattern.strip():
        return "is empty"
    text = expand_pattern(pattern) if is_name else pattern
    try:
        fields_of(text)
    except ValueError as err:
        return str(err)
    parts = re.split(r"[/\\]", text)
    if is_name and ".." in parts:
        return "climbs out of out_dir with '..'"
    if is_name and (text.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", text)):
        return "must be a name inside out_dir, not an absolute path"
    if is_name and not parts[-1].strip():
        return "ends with a folder separator, so it names no file"
    return None


def safe_value(value: str) -> str:
    """A field's value with ``/``, ``\\``, ``:`` and control characters made ``-``."""
    return _UNSAFE.sub("-", value)


def render(pattern: str, values: dict[str, str]) -> str:
    """``pattern`` with each field replaced by its sanitised value."""
    return pattern.format_map({k: safe_value(v) for k, v in values.items()})


def static_prefix(pattern: str) -> str:
    """The part of a path pattern before the first folder that holds a field (with
    ``{{``/``}}`` as literal braces): where the files of every run are sure to be."""
    parts = re.split(r"(?<=[/\\])", pattern)
    kept = []
    for part in parts:
        if fields_of(part):
            break
        kept.append(part)
    return "".join(kept).replace("{{", "{").replace("}}", "}")


def as_glob(pattern: str) -> str:
    """The path pattern with every field as ``*`` (glob metacharacters of the text escaped)."""
    out = []
    for literal, field, _spec, _conv in string.Formatter().parse(pattern):
        out.append(re.sub(r"([*?\[\]])", r"[\1]", literal))
        if field is not None:
            out.append("*")
    return "".join(out)
