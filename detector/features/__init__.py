"""Like features: from a validated likes table to one numeric vector per like.

:func:`build_like_features` computes every feature whose inputs are present and says which
were left out and why; :class:`~detector.features.transformer.LikeFeatures` wraps it as a scikit-learn transformer so the
feature step can sit in a ``Pipeline`` (imported lazily: scoring does not need scikit-learn).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from detector._threads import cpu_threads
from detector.features.account import account_features
from detector.features.arrays import IdCodes
from detector.features.catalogue import (
    FEATURE_NAMES,
    FEATURES,
    LIKE_INSTANT,
    SCOPES,
    SIDES,
    TO_HOUR,
    TO_MINUTE,
    TO_SECOND,
    FeatureInfo,
    available_features,
    missing_inputs,
)
from detector.features.coordination import (
    burst_buckets,
    burst_cells,
    bursty_likes,
    coordination_features,
)
from detector.features.footprint import (
    combine_liker_summaries,
    creator_footprint_features,
    footprint_features,
    liker_summary,
)
from detector.features.resolution import MINUTE, creator_resolutions, time_inputs
from detector.features.timing import post_timeline, seconds, timing_features
from detector.schema import REQUIRED_COLUMNS, check_required

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "FeatureInfo",
    "SIDES",
    "LikeFeatureSet",
    "LikeFeatures",
    "LikeGroups",
    "PartitionFeatures",
    "build_like_features",
    "combine_liker_summaries",
    "finish_features",
    "partition_features",
]


@dataclass
class LikeFeatureSet:
    """Features of each like (same row order as the input) and what was left out."""

    values: pd.DataFrame
    missing: dict[str, list[str]] = field(default_factory=dict)
    groups: LikeGroups | None = None
    """How the likes group, as the first pass found it, for the report to reuse."""

    @property
    def names(self) -> list[str]:
        """Names of the features computed."""
        return list(self.values.columns)


@dataclass(frozen=True)
class LikeGroups:
    """Integer codes of each like's creator (``creator_ids`` holds the id of each code) and post,
    its 10-minute burst bucket and whether it is in a burst: computed once by the first pass and
    reused by the report (only these, so that a report keeps little of the first pass alive)."""

    creator: np.ndarray
    creator_ids: pd.Index
    post: np.ndarray
    bucket: np.ndarray
    bursty: np.ndarray
    resolutions: np.ndarray | None = None
    """Per creator code, what its ``liked_at`` resolves (:mod:`.resolution`)."""


@dataclass
class PartitionFeatures:
    """What one partition (whole creators) yields before the liker table is known."""

    local: dict[str, np.ndarray]
    present: list[str]
    post: np.ndarray
    bucket: np.ndarray
    cells: np.ndarray
    """Code of each like's (post, bucket) cell (:func:`~.coordination.burst_cells`)."""
    bursty: np.ndarray
    ids: IdCodes
    likes: pd.DataFrame = field(repr=False)
    """The partition's likes (a reference, not a copy)."""
    resolutions: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    """Per creator code, what its ``liked_at`` resolves (:mod:`.resolution`)."""

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Per-liker summary of the partition, for the liker table (computed when first asked:
        scoring in creator scope never needs it)."""
        return liker_summary(self.likes, self.bursty, self.post, self.ids)


BESIDE_FROM_ROWS = 250_000
"""Partitions from this many likes compute their account features on a thread of their own
(one giant creator's features would otherwise run on one core)."""


def partition_features(
    likes: pd.DataFrame, present: Sequence[str] | None = None
) -> PartitionFeatures:
    """First pass over a partition holding whole creators: local features (and, on demand, the
    liker summary). ``present``: columns to take as present even where this partition has no
    value in them (batch scope: the columns with values anywhere in the input, so that a
    partition's missing values are imputed as when the whole table is scored at once)."""
    check_required(likes, REQUIRED_COLUMNS, "likes")
    given = set(present or ())
    present = [c for c in likes.columns if c in given or _has_values(likes[c])]
    usable = likes[[c for c in likes.columns if c in present]]
    accounts = usable[[c for c in present if c in _ACCOUNT_INPUTS]]
    # a like's account features depend on its row alone: for a large partition on a thread
    # that may use more, they are computed beside the features of posts and bursts
    apart = len(likes) >= BESIDE_FROM_ROWS and cpu_threads() > 1
    with ThreadPoolExecutor(1, "detector-accounts") if apart else nullcontext() as beside:
        account = beside.submit(account_features, accounts) if beside is not None else None
        local: dict[str, np.ndarray] = {} if account is not None else account_features(accounts)
        ids = IdCodes.of(likes)
        levels = creator_resolutions(likes, ids.creator, ids.post)
        found = time_inputs(likes, levels)
        present += [c for c in DERIVED_INPUTS_ORDER if c in given or c in found]
        post = ids.post
        timed = "liked_at" in likes.columns
        bucket = burst_buckets(likes) if timed else np.zeros(len(likes), dtype=np.int64)
        cells = burst_cells(post, bucket)
        bursty = bursty_likes(post, bucket, cells)
        # a burst is a run of minutes: never read into a creator's coarser times
        if len(levels):
            bursty &= levels[ids.creator] >= MINUTE
        timeline = post_timeline(post, seconds(likes["liked_at"])) if timed else None
        if timeline is not None and TO_HOUR in present:
            local.update(timing_features(likes, post, ids.creator, timeline))
        local.update(coordination_features(usable, post, ids, timeline, TO_MINUTE in present))
        local.update(creator_footprint_features(likes, bursty, post, bucket, ids, cells))
        if account is not None:
            local.update(account.result())
    return PartitionFeatures(local, present, post, bucket, cells, bursty, ids, likes, levels)


def _has_values(column: pd.Series) -> bool:
    """Whether the column holds any value (its first row settles it, in most columns)."""
    if len(column) == 0:
        return False
    first = column.iloc[0]
    if pd.api.types.is_scalar(first) and not pd.isna(first):
        return True
    return bool(column.notna().any())


def finish_features(
    likes: pd.DataFrame, part: PartitionFeatures, liker_table: pd.DataFrame | None
) -> LikeFeatureSet:
    """Second pass: add the footprint features from the combined liker table.

    Without a table (``scope="creator"``) only the features of each creator's own likes are
    returned, and a creator's features do not depend on anything else in the batch.
    """
    computed = dict(part.local)
    if liker_table is not None:
        computed.update(
            footprint_features(likes, liker_table, part.bursty, part.post, part.bucket, part.cells)
        )
    names = available_features(part.present, "batch" if liker_table is not None else "creator")
    # one block per feature, not copied into one 2-D block: consolidating cost more than the
    # scorers' own copy of the columns they use
    values = pd.DataFrame({name: computed[name] for name in names}, index=likes.index, copy=False)
    groups = LikeGroups(
        part.ids.creator,
        part.ids.creator_ids,
        part.post,
        part.bucket,
        part.bursty,
        part.resolutions,
    )
    return LikeFeatureSet(values=values, missing=missing_inputs(part.present), groups=groups)


def build_like_features(likes: pd.DataFrame, scope: str = "batch") -> LikeFeatureSet:
    """Compute all available like features for a validated likes table.

    A feature whose input column is absent, or present with no value at all, is left out and
    listed in ``missing`` with the columns it needs. Runs both passes on one partition.
    ``scope="batch"`` adds the features that look across creators in the table (a liker's
    footprint and coordination elsewhere); ``scope="creator"`` leaves them out, so that each
    creator's features depend on its own likes only.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    part = partition_features(likes)
    table = None if scope == "creator" else combine_liker_summaries([part.summary])
    features = finish_features(likes, part, table)
    _release_arrow_memory()
    return features


def _release_arrow_memory() -> None:
    """Hand back to the system the memory Arrow's allocator keeps after the features freed it,
    so that it is not held through scoring on top of the scorers' own arrays."""
    pyarrow = sys.modules.get("pyarrow")  # never imported just for this
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()


DERIVED_INPUTS_ORDER = (LIKE_INSTANT, TO_HOUR, TO_MINUTE, TO_SECOND)

_ACCOUNT_INPUTS = {
    "liked_at",
    "post_published_at",
    "account_created_at",
    "followers",
    "following",
    "posts",
    "has_avatar",
    "is_private",
    "bio_length",
    "username",
}


def __getattr__(name: str) -> object:
    if name == "LikeFeatures":  # imported lazily: it pulls in scikit-learn
        from detector.features.transformer import LikeFeatures  # cold start: scikit-learn

        return LikeFeatures
    raise AttributeError(f"module 'detector.features' has no attribute {name!r}")
