"""The memory budget's sizes (cli.md, "Memory and clusters"): parsed, shown, resolved."""

from __future__ import annotations

import pickle

import pytest

from sparkdesk import memory
from sparkdesk.memory import (
    MemoryLimitTooSmall,
    default_memory_limit,
    explicit_memory_limit,
    format_size,
    parse_size,
    resolve_memory_limit,
)

GIB, MIB = 1024**3, 1024**2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4GiB", 4 * 1024**3),
        ("512MiB", 512 * 1024**2),
        ("1KiB", 1024),
        ("2TiB", 2 * 1024**4),
        ("500MB", 500_000_000),
        ("4GB", 4_000_000_000),
        ("3KB", 3000),
        ("1TB", 10**12),
        ("1.5GiB", 1_610_612_736),  # 1.5 × 1,073,741,824
        ("0.5 MiB", 524_288),
        (" 4 GiB ", 4 * 1024**3),  # the form format_size writes, quoted on a command line
        ("4gib", 4 * 1024**3),  # the unit's case does not matter
        ("4gb", 4_000_000_000),
        ("1048576", 1_048_576),  # a whole number is bytes
        ("1048576B", 1_048_576),
        ("1.1KB", 1100),
        ("1.0000001KiB", 1024),  # whole bytes, rounded down
    ],
)
def test_sizes_are_read_in_both_kinds_of_units(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    "text",
    ["4G", "4 M", "1.5", "0", "0GiB", "0.0000001KiB", "-1GiB", "", "GiB", "4 GiB extra", "1e3GiB", "4,5GiB"],
)
def test_what_is_not_a_size_is_one_sentence(text):
    with pytest.raises(ValueError) as err:
        parse_size(text)
    sentence = str(err.value)
    assert repr(text) in sentence
    assert sentence.endswith(".") and "\n" not in sentence


@pytest.mark.parametrize(
    ("n", "shown", "at_least"),
    [
        (4 * GIB, "4 GiB", "4 GiB"),
        (300 * MIB, "300 MiB", "300 MiB"),
        (1_234_567_890, "1.1 GiB", "1.2 GiB"),  # 1.1498 GiB
        (GIB + 1, "1 GiB", "1.1 GiB"),  # a byte more than 1 GiB is not "at least 1 GiB"
        (1536, "1.5 KiB", "1.5 KiB"),
        (512, "512 B", "512 B"),
        (10**12, "931.3 GiB", "931.4 GiB"),  # 931.32 GiB
        (5 * 1024**4, "5 TiB", "5 TiB"),
    ],
)
def test_sizes_are_shown_with_one_decimal_at_most(n, shown, at_least):
    assert format_size(n) == shown
    assert format_size(n, at_least=True) == at_least


@pytest.mark.parametrize("n", [1, 999, 1025, GIB + 1, 1_234_567_890, 7 * GIB - 1, 10**12 + 7])
def test_a_size_shown_at_least_holds_what_it_names(n):
    assert parse_size(format_size(n, at_least=True)) >= n


def test_too_small_names_the_limit_and_the_smallest_that_would_do():
    err = MemoryLimitTooSmall(1_234_567_890, 300 * MIB)
    assert isinstance(err, Exception)
    assert str(err) == "A memory limit of 300 MiB is too small for this dump: use at least 1.2 GiB."
    assert (
        str(MemoryLimitTooSmall(2 * GIB))
        == "The memory limit is too small for this dump: use at least 2 GiB."
    )


def test_too_small_crosses_a_process_boundary_unchanged():
    err = pickle.loads(pickle.dumps(MemoryLimitTooSmall(3 * GIB, GIB)))
    assert (err.needed_bytes, err.limit_bytes) == (3 * GIB, GIB)
    assert str(err) == "A memory limit of 1 GiB is too small for this dump: use at least 3 GiB."


def test_the_flag_wins_over_the_environment_which_wins_over_the_default(monkeypatch):
    monkeypatch.setattr(memory, "physical_memory", lambda: 16 * GIB)
    env = {"SPARKDESK_MEMORY_LIMIT": "300MB"}
    assert resolve_memory_limit(2 * GIB, env) == 2 * GIB
    assert resolve_memory_limit("1GiB", env) == GIB
    assert resolve_memory_limit(None, env) == 300_000_000
    assert resolve_memory_limit(None, {}) == 8 * GIB
    assert resolve_memory_limit(None, {"SPARKDESK_MEMORY_LIMIT": "  "}) == 8 * GIB
    assert explicit_memory_limit(None, {}) is None


def test_an_environment_value_that_is_not_a_size_names_the_variable():
    with pytest.raises(ValueError, match=r"^SPARKDESK_MEMORY_LIMIT is not a size: '4G'"):
        resolve_memory_limit(None, {"SPARKDESK_MEMORY_LIMIT": "4G"})


def test_the_default_is_half_of_the_memory_and_a_guess_when_it_cannot_be_read(monkeypatch):
    monkeypatch.setattr(memory, "physical_memory", lambda: 15 * GIB + 2)
    assert default_memory_limit() == (15 * GIB + 2) // 2
    monkeypatch.setattr(memory, "physical_memory", lambda: None)
    assert default_memory_limit() == memory.FALLBACK_MEMORY // 2


@pytest.mark.skipif(not hasattr(memory.os, "sysconf"), reason="sysconf: Linux and macOS")
def test_physical_memory_is_read_and_a_lower_container_limit_counts(monkeypatch):
    total = memory.os.sysconf("SC_PHYS_PAGES") * memory.os.sysconf("SC_PAGE_SIZE")
    monkeypatch.setattr(memory, "_cgroup_limit", lambda: None)
    assert memory.physical_memory() == total
    monkeypatch.setattr(memory, "_cgroup_limit", lambda: 2 * GIB)
    assert memory.physical_memory() == min(total, 2 * GIB)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("max\n", None), ("2147483648\n", 2 * GIB), ("9223372036854771712\n", None), ("", None)],
)
def test_the_cgroup_limit_is_read_from_its_file(tmp_path, text, expected):
    """cgroup v2 says "max" for no limit, v1 a huge figure; both mean none."""
    path = tmp_path / "memory.max"
    path.write_text(text, encoding="ascii")
    assert memory._cgroup_limit((str(tmp_path / "missing"), str(path))) == expected
