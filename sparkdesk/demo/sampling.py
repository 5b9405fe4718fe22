"""Random draws and segment arithmetic shared by the world and the simulation (numpy, vectorised)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sparkdesk.demo.organisation import POOL


def uniform(rng: np.random.Generator, n: int, lo_ms: float, hi_ms: float) -> np.ndarray:
    """Uniform integer milliseconds in [lo, hi)."""
    return (lo_ms + rng.random(n) * (hi_ms - lo_ms)).astype(np.int64)


def lognormal(
    rng: np.random.Generator, n: int, median_ms: float, sigma: float, lo_ms: float, hi_ms: float
) -> np.ndarray:
    """Heavy-tailed delays (waits, reply lags) clipped to a plausible range."""
    x = median_ms * np.exp(sigma * rng.standard_normal(n))
    return np.clip(x, lo_ms, hi_ms).astype(np.int64)


def choice(rng: np.random.Generator, n: int, weights: Sequence[float]) -> np.ndarray:
    """Indexes drawn with the given weights (normalised), as int64."""
    p = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(p / p.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(p) - 1).astype(np.int64)


def pool(rng: np.random.Generator, n: int, name: str) -> np.ndarray:
    """Content codes drawn uniformly from one text pool."""
    start, size = POOL[name]
    return start + rng.integers(0, size, n)


def segment_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of the given sizes: the group of every row and its position in the group."""
    group = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return group, np.arange(group.size) - starts[group]


def segment_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Running sums that restart at every group (groups laid out one after another)."""
    total = np.cumsum(values)
    ends = np.cumsum(counts)
    before = np.concatenate(([0], total))[ends - counts]
    return total - np.repeat(before, counts)
