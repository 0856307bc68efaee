"""Follower tiers and the published engagement-rate benchmark of each, to compare creators with.

Tiers are the bands of the benchmark below, each including its lower bound: ``under 1k``
(under 1,000 followers), ``1k-5k`` (1,000 to 4,999), ``5k-20k``, ``20k-100k``, ``100k-1M`` and
``over 1M`` (1,000,000 or more).

The benchmark is HypeAuditor, 2018: Instagram engagement rates by follower tier over about
37,000 accounts, mean and median per tier, as quoted (the medians above the means). It gives
no figure under 1,000 followers and no spread, so a rate can be placed above or below a tier's
mean and median, never at a percentile of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TIERS: tuple[str, ...] = ("under 1k", "1k-5k", "5k-20k", "20k-100k", "100k-1M", "over 1M")
"""Follower tiers, smallest first."""
TIER_FROM: tuple[int, ...] = (0, 1_000, 5_000, 20_000, 100_000, 1_000_000)
"""The fewest followers of each tier of :data:`TIERS`."""


@dataclass(frozen=True)
class TierBenchmark:
    """A tier's published engagement rates (fractions of followers, per post)."""

    mean: float
    median: float


BENCHMARK_SOURCE = "HypeAuditor 2018"
"""Who published :data:`BENCHMARK` (Instagram, about 37,000 accounts)."""
BENCHMARK: dict[str, TierBenchmark] = {
    "1k-5k": TierBenchmark(mean=0.0426, median=0.0645),
    "5k-20k": TierBenchmark(mean=0.0228, median=0.0376),
    "20k-100k": TierBenchmark(mean=0.0162, median=0.0263),
    "100k-1M": TierBenchmark(mean=0.0155, median=0.0257),
    "over 1M": TierBenchmark(mean=0.0154, median=0.0256),
}
"""Engagement rate by follower tier, mean and median (:data:`BENCHMARK_SOURCE`)."""


def follower_tiers(followers: pd.Series | np.ndarray) -> pd.Series:
    """The tier of each follower count (:data:`TIERS`); missing where the count is."""
    counts = pd.Series(followers, dtype=float).reset_index(drop=True)
    codes = np.searchsorted(np.asarray(TIER_FROM, dtype=float), counts.to_numpy(), side="right")
    labels = np.asarray(TIERS, dtype=object)[np.clip(codes - 1, 0, len(TIERS) - 1)]
    return pd.Series(labels, dtype="string").where(counts.notna().to_numpy())
