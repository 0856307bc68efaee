"""Reasons in words: which traits set a creator's likers apart from the reference population.

Each :class:`Condition` is a readable predicate on one like feature ("account under 30 days
old"). For a creator, the share of its likes meeting each condition is compared with the share
among reference (authentic) likes; the conditions with the largest excess become the reasons,
e.g. ``41% of likes came from accounts under 30 days old (reference: 3%)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from detector import _jit


@dataclass(frozen=True)
class Condition:
    """A readable predicate ``feature <op> threshold`` on like features."""

    name: str
    feature: str
    above: bool
    threshold: float
    phrase: str

    def holds(self, features: pd.DataFrame) -> np.ndarray:
        """1.0 where the condition holds, 0.0 where not, NaN where the feature is missing."""
        values = features[self.feature].to_numpy(dtype=float)
        hit = values > self.threshold if self.above else values < self.threshold
        return np.where(np.isnan(values), np.nan, hit.astype(float))


CONDITIONS: tuple[Condition, ...] = (
    Condition(
        "young_account",
        "log_account_age_days",
        False,
        np.log1p(30),
        "came from accounts under 30 days old",
    ),
    Condition("no_posts", "log_posts", False, np.log1p(0.5), "came from accounts with no posts"),
    Condition(
        "no_avatar", "has_avatar", False, 0.5, "came from accounts without a profile picture"
    ),
    Condition(
        "few_followers",
        "log_followers",
        False,
        np.log1p(10),
        "came from accounts with fewer than 10 followers",
    ),
    Condition(
        "follows_many",
        "log_following",
        True,
        np.log1p(1500),
        "came from accounts following more than 1,500 others",
    ),
    Condition(
        "follow_ratio",
        "following_followers_log_ratio",
        True,
        np.log(10),
        "came from accounts following over 10 times as many accounts as follow them",
    ),
    Condition(
        "digit_username",
        "username_digit_share",
        True,
        0.3,
        "came from usernames that are 30% or more digits",
    ),
    Condition(
        "empty_bio", "log_bio_length", False, np.log1p(0.5), "came from accounts with an empty bio"
    ),
    Condition(
        "burst",
        "log_burst_density",
        True,
        np.log1p(10),
        "arrived in bursts at over 10 times the post's average like rate",
    ),
    Condition(
        "spike",
        "log_local_spike",
        True,
        np.log1p(5),
        "arrived in spikes of a few minutes at over 5 times the surrounding rate",
    ),
    Condition(
        "repeat_bursters",
        "log_liker_burst_posts",
        True,
        np.log1p(2.5),
        "came from accounts that took part in bursts on 3 or more posts",
    ),
    Condition(
        "batch_created",
        "creation_day_crowding",
        True,
        np.log1p(4),
        "came from accounts created on the same day as many of this creator's other likers",
    ),
    Condition(
        "many_creators",
        "log_liker_creators",
        True,
        np.log1p(4.5),
        "came from accounts that liked 5 or more creators in the same data",
    ),
)

MIN_EXCESS = 0.05
"""A condition becomes a reason only when it is this much more common than in the reference."""
MIN_LIFT = 1.5
"""... and at least this many times as common."""


def condition_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """One column per applicable condition: 1/0 per like, NaN where the feature is missing."""
    return pd.DataFrame(
        {c.name: c.holds(features) for c in CONDITIONS if c.feature in features.columns},
        index=features.index,
    )


def condition_shares(features: pd.DataFrame, group: np.ndarray, groups: int) -> pd.DataFrame:
    """Per group code (``0 <= group < groups``): the share of its likes meeting each applicable
    condition, among those with the feature (NaN when none has it). The same numbers as
    ``condition_matrix(features).groupby(group).mean()``, counted rather than averaged (in
    one compiled pass per condition from :data:`detector._jit.JIT_FROM_ROWS` likes)."""
    likes = np.bincount(group, minlength=groups).astype(float)
    kernels = _jit.kernels_for(len(group))
    shares = {}
    for condition in CONDITIONS:
        if condition.feature not in features.columns:
            continue
        values = features[condition.feature].to_numpy(dtype=float)
        if kernels is not None:
            counts = np.zeros((2, groups), dtype=np.int64)
            kernels.count_condition(values, group, condition.threshold, condition.above, counts)
            hits, missing = counts
        else:
            hit = values > condition.threshold if condition.above else values < condition.threshold
            hits = np.bincount(group[hit], minlength=groups)
            missing = np.bincount(group[np.isnan(values)], minlength=groups)
        with np.errstate(invalid="ignore", divide="ignore"):  # no known value: NaN
            shares[condition.name] = hits / (likes - missing)
    return pd.DataFrame(shares, index=pd.RangeIndex(groups))


def reference_shares(features: pd.DataFrame) -> dict[str, float]:
    """Share of reference likes meeting each condition."""
    return {k: float(v) for k, v in condition_matrix(features).mean().items() if not np.isnan(v)}


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%" if value >= 0.01 or value == 0 else f"{100 * value:.1f}%"


def explain(
    group_shares: pd.DataFrame, reference: dict[str, float], top: int = 3
) -> tuple[list[list[str]], list[list[dict[str, float | str]]]]:
    """Reasons (text) and evidence (numbers) for each row of per-group condition shares."""
    names = [c for c in group_shares.columns if c in reference]
    phrases = {c.name: c.phrase for c in CONDITIONS}
    shares = group_shares[names].to_numpy(dtype=float)
    ref = np.array([reference[c] for c in names])
    excess = shares - ref
    lift = np.maximum(shares / np.maximum(ref, 1e-3), 1e-12)
    strength = np.where((excess >= MIN_EXCESS) & (lift >= MIN_LIFT), excess * np.log(lift), -np.inf)
    strength[np.isnan(strength)] = -np.inf
    order = np.argsort(-strength, axis=1)[:, :top]
    texts: list[list[str]] = []
    evidence: list[list[dict[str, float | str]]] = []
    for row, picks in enumerate(order):
        row_texts, row_evidence = [], []
        for j in picks:
            if not np.isfinite(strength[row, j]):
                break
            name = names[j]
            row_texts.append(
                f"{_percent(shares[row, j])} of likes {phrases[name]} (reference: {_percent(ref[j])})"
            )
            row_evidence.append(
                {
                    "condition": name,
                    "share": round(float(shares[row, j]), 4),
                    "reference_share": round(float(ref[j]), 4),
                }
            )
        texts.append(row_texts)
        evidence.append(row_evidence)
    return texts, evidence
