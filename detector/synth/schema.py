"""The simulator's vocabulary: the columns of the two tables it writes, content categories,
tier names with the integer codes likes carry while simulated, and seconds per time unit."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from detector.schema import CONTRACT_COLUMNS, DEFAULT_LABEL

#: Content categories. TikTok Pulse offers 12 categories but never published the full list;
#: the announced ones include beauty, fashion, food/cooking, gaming, sports and pets. The rest
#: are TikTok's largest verticals.
CATEGORIES: tuple[str, ...] = (
    "beauty",
    "fashion",
    "food",
    "gaming",
    "sports",
    "travel",
    "music",
    "comedy",
    "education",
    "pets",
    "tech",
    "lifestyle",
)

LIKES_COLUMNS: tuple[str, ...] = (*CONTRACT_COLUMNS, DEFAULT_LABEL, "tier")
"""The contract's columns, then the ground truth: the label and the tier of each like."""

#: Contract columns first; ``account_id`` (the creator's own account, in liker-id space) and
#: ``pod_id`` ("" when not in a pod) are extra ground truth for evaluation.
CREATORS_COLUMNS: tuple[str, ...] = (
    "creator_id",
    "tier",
    "inauthentic_share",
    "category",
    "followers",
    "scenario",
    "likes",
    "account_id",
    "pod_id",
)

TIERS: tuple[str, ...] = ("organic", "naive", "aged", "stealth", "pod", "hollow")
DEFAULT_INFLATED_TIERS: tuple[str, ...] = ("naive", "aged", "stealth", "pod")
#: Every inflated tier :attr:`SimulationParams.inflated_tiers` may name (``hollow`` is opt-in).
INFLATED_TIERS: tuple[str, ...] = TIERS[1:]
#: Tier codes of simulated likes (indexes into :data:`TIERS`).
ORGANIC, NAIVE, AGED, STEALTH, POD, HOLLOW = range(6)
#: Seconds per time unit (the simulator counts time in seconds since the epoch).
DAY = 86400.0
HOUR = 3600.0
YEAR = 365.25 * DAY


class LikeBatch(NamedTuple):
    """Likes of one creator from one source, before merging: post index, account index, time
    (seconds) and the tier code every like of the batch carries."""

    post: np.ndarray
    acct: np.ndarray
    t: np.ndarray
    code: int
