"""Baselines the detector is compared with, scored on the same likes.

Every scorer takes a *validated* likes table (:func:`detector.schema.validate_likes`: counts and
booleans as float64, timestamps as UTC) without labels, and returns :class:`MethodScores`:
one score per like (higher = more suspicious) and one row per creator with a ranking score and
an estimated inauthentic share.

rule_of_thumb
    The kind of rule commercial audit tools publish. A liker is suspicious when it has no
    avatar, follows more than 1,500 accounts, follows more than ten times as many accounts as
    follow it (followers counted as at least 1), or has no posts. Like score = number of rules
    hit (0-4); creator ranking and share estimate = share of its likes hitting at least one rule.
    A rule whose column is absent is not applied; with no rule applicable the baseline is n/a.
isolation_forest
    A plain :class:`sklearn.ensemble.IsolationForest` (100 trees, sklearn defaults) over the raw
    liker columns present: log(1 + x) of followers, following, posts, account age in days at the
    like and bio length, plus has_avatar and is_private. Fitted on the very table it scores
    (unsupervised, no reference). Like score = ``-score_samples``; creator ranking = mean like
    score; share estimate = share of likes the forest calls outliers at its default
    ``contamination="auto"`` offset.
ecod
    PyOD's ECOD over the same columns, when ``pyod`` is importable (it is not a dependency of
    the project). Like score = ``decision_scores_``; ranking = mean; share = share of likes above
    its default threshold (``contamination=0.1``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

__all__ = [
    "FOLLOWING_MAX",
    "FOLLOW_RATIO_MAX",
    "MethodScores",
    "RAW_COLUMNS",
    "ecod",
    "isolation_forest",
    "raw_liker_matrix",
    "rule_flags",
    "rule_of_thumb",
]

FOLLOWING_MAX = 1_500
FOLLOW_RATIO_MAX = 10.0
#: Raw liker inputs of the unsupervised baselines (``account_age_days`` is derived).
RAW_COLUMNS: tuple[str, ...] = (
    "followers",
    "following",
    "posts",
    "account_age_days",
    "bio_length",
    "has_avatar",
    "is_private",
)
_LOGGED = {"followers", "following", "posts", "account_age_days", "bio_length"}


@dataclass
class MethodScores:
    """What one method says about a likes table.

    ``creators`` has ``creator_id``, ``rank_score`` (for ROC/PR), ``share`` (estimated
    inauthentic share, 0-1), ``low``/``high`` (interval, NaN when the method has none) and
    ``flagged`` (True when the method would not call the creator authentic). ``like_flagged``
    says which likes the method itself calls inauthentic (its own threshold).
    """

    name: str
    like_score: np.ndarray | None
    creators: pd.DataFrame | None
    seconds: float = 0.0
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)
    like_flagged: np.ndarray | None = None

    @property
    def available(self) -> bool:
        """False when the method could not score this table (``note`` says why)."""
        return self.creators is not None


def _creator_table(
    creator: np.ndarray, rank: np.ndarray, share: np.ndarray, flag_from: float = 0.10
) -> pd.DataFrame:
    """Per creator: mean ranking score, mean share; flagged at ``share >= flag_from``."""
    frame = pd.DataFrame({"creator_id": creator, "rank_score": rank, "share": share})
    out = frame.groupby("creator_id", sort=False).mean().reset_index()
    out["low"] = np.nan
    out["high"] = np.nan
    out["flagged"] = out["share"] >= flag_from
    return out


def rule_flags(likes: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per applicable rule (missing values never hit a rule)."""
    cols = likes.columns
    out: dict[str, np.ndarray] = {}
    if "has_avatar" in cols:
        out["no_avatar"] = (likes["has_avatar"] == 0).to_numpy()
    if "following" in cols:
        following = likes["following"].to_numpy(dtype=float, na_value=np.nan)
        out["follows_many"] = following > FOLLOWING_MAX
        if "followers" in cols:
            followers = likes["followers"].to_numpy(dtype=float, na_value=np.nan)
            out["follow_ratio"] = following > FOLLOW_RATIO_MAX * np.maximum(followers, 1.0)
    if "posts" in cols:
        out["no_posts"] = (likes["posts"] == 0).to_numpy()
    return pd.DataFrame(out, index=likes.index).fillna(False).astype(bool)


def rule_of_thumb(likes: pd.DataFrame) -> MethodScores:
    """The published-rule baseline (see the module docstring)."""
    start = time.perf_counter()
    flags = rule_flags(likes)
    if flags.shape[1] == 0:
        return MethodScores("rule_of_thumb", None, None, note="no rule input column present")
    hits = flags.sum(axis=1).to_numpy(dtype=float)
    creators = _creator_table(likes["creator_id"].to_numpy(), hits > 0, hits > 0)
    return MethodScores(
        "rule_of_thumb",
        hits,
        creators,
        time.perf_counter() - start,
        note="rules: " + ", ".join(flags.columns),
        extra={"rules": list(flags.columns)},
        like_flagged=hits > 0,
    )


def raw_liker_matrix(likes: pd.DataFrame) -> pd.DataFrame:
    """The raw liker columns present, log(1 + x) for counts and age; missing values -> median."""
    columns: dict[str, np.ndarray] = {}
    for name in RAW_COLUMNS:
        if name == "account_age_days":
            if "account_created_at" not in likes.columns:
                continue
            delta = likes["liked_at"] - likes["account_created_at"]
            values = np.clip(delta.dt.total_seconds().to_numpy(dtype=float) / 86_400.0, 0, None)
        elif name in likes.columns:
            values = likes[name].to_numpy(dtype=float, na_value=np.nan)
        else:
            continue
        if np.isnan(values).all():
            continue
        columns[name] = np.log1p(values) if name in _LOGGED else values
    matrix = pd.DataFrame(columns, index=likes.index)
    return matrix.fillna(matrix.median())


def isolation_forest(likes: pd.DataFrame, random_state: int = 0) -> MethodScores:
    """Unsupervised isolation forest fitted on the table it scores (see the module docstring)."""
    start = time.perf_counter()
    matrix = raw_liker_matrix(likes)
    if matrix.shape[1] == 0:
        return MethodScores("isolation_forest", None, None, note="no raw liker column present")
    forest = IsolationForest(random_state=random_state).fit(matrix.to_numpy())
    score = -forest.score_samples(matrix.to_numpy())
    outlier = forest.predict(matrix.to_numpy()) == -1
    creators = _creator_table(likes["creator_id"].to_numpy(), score, outlier)
    return MethodScores(
        "isolation_forest",
        score,
        creators,
        time.perf_counter() - start,
        note="columns: " + ", ".join(matrix.columns),
        extra={"columns": list(matrix.columns)},
        like_flagged=outlier,
    )


def ecod(likes: pd.DataFrame) -> MethodScores:
    """PyOD ECOD on the raw liker columns, or an unavailable result when pyod is absent."""
    try:
        from pyod.models.ecod import ECOD
    except ImportError:
        return MethodScores("ecod", None, None, note="pyod is not installed: skipped")
    start = time.perf_counter()
    matrix = raw_liker_matrix(likes)
    if matrix.shape[1] == 0:
        return MethodScores("ecod", None, None, note="no raw liker column present")
    model = ECOD().fit(matrix.to_numpy())
    score = np.asarray(model.decision_scores_, dtype=float)
    outlier = np.asarray(model.labels_) == 1
    creators = _creator_table(likes["creator_id"].to_numpy(), score, outlier)
    return MethodScores(
        "ecod",
        score,
        creators,
        time.perf_counter() - start,
        note="columns: " + ", ".join(matrix.columns),
        extra={"columns": list(matrix.columns)},
        like_flagged=outlier,
    )
