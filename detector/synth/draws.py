"""Small draws from a numpy Generator shared by the world plan, the organic likes and the
campaigns."""

from __future__ import annotations

import math

import numpy as np


def loguniform(rng: np.random.Generator, lo: float, hi: float, size: int) -> np.ndarray:
    return np.exp(rng.uniform(math.log(lo), math.log(hi), size))


def lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(size))


def rows_without_replacement(
    rng: np.random.Generator, counts: np.ndarray, pool: int
) -> tuple[np.ndarray, np.ndarray]:
    """For row r pick counts[r] distinct columns of range(pool); returns (rows, cols)."""
    counts = np.minimum(counts, pool)
    kmax = int(counts.max()) if counts.size else 0
    if kmax == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    rows = np.flatnonzero(counts)
    order = np.argsort(rng.random((rows.size, pool)), axis=1)[:, :kmax]
    keep = np.arange(kmax)[None, :] < counts[rows][:, None]
    return np.broadcast_to(rows[:, None], keep.shape)[keep], order[keep].astype(np.int64)
