"""Detection-quality figures computed identically for the detector and the baselines.

Labels enter here and nowhere else: the scorers see the likes without ``is_fake`` or ``tier``.
A figure that cannot be computed (one class only, no interval, method unavailable) is NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from benchmarks.baselines import MethodScores

__all__ = [
    "SIM_GROUPS",
    "SCENARIOS",
    "flag_rates",
    "ranking_metrics",
    "pool_metrics",
    "simulated_metrics",
]

#: Simulated groups: each inflated tier, then all tiers together.
SIM_GROUPS: tuple[str, ...] = ("naive", "aged", "stealth", "pod", "all")
#: Clean creator scenarios whose false-flag rate is reported.
SCENARIOS: tuple[str, ...] = ("organic", "organic_viral", "organic_new_creator")


def ranking_metrics(positive: np.ndarray, score: np.ndarray | None) -> dict[str, float]:
    """ROC AUC and PR AUC (average precision) of ``score`` for boolean ``positive``."""
    positive = np.asarray(positive, dtype=bool)
    if score is None or positive.all() or not positive.any():
        return {"roc_auc": float("nan"), "pr_auc": float("nan")}
    score = np.asarray(score, dtype=float)
    return {
        "roc_auc": float(roc_auc_score(positive, score)),
        "pr_auc": float(average_precision_score(positive, score)),
    }


def _joined(method: MethodScores, truth: pd.DataFrame, likes: pd.DataFrame) -> pd.DataFrame:
    """Method's creator table joined to ``truth`` (``creator_id``, ``inauthentic_share``, ...).

    Adds ``mean_like_score``, the creator's mean like score: a diagnostic ranking that does not
    depend on the method's flag threshold.
    """
    joined = truth.merge(method.creators, on="creator_id", how="left", validate="one_to_one")
    if method.like_score is None:
        joined["mean_like_score"] = np.nan
    else:
        mean = pd.Series(method.like_score, index=likes["creator_id"].to_numpy()).groupby(
            level=0, sort=False
        )
        joined["mean_like_score"] = mean.mean().reindex(joined["creator_id"]).to_numpy()
    return joined


def flag_rates(method: MethodScores, is_fake: np.ndarray) -> dict[str, float]:
    """Share of authentic and of fake likes the method flags at its own threshold."""
    if method.like_flagged is None:
        return {"authentic_likes_flagged": float("nan"), "fake_likes_flagged": float("nan")}
    flagged = np.asarray(method.like_flagged, dtype=bool)
    fake = np.asarray(is_fake) == 1
    return {
        "authentic_likes_flagged": float(flagged[~fake].mean()) if (~fake).any() else float("nan"),
        "fake_likes_flagged": float(flagged[fake].mean()) if fake.any() else float("nan"),
    }


def _share_figures(rows: pd.DataFrame) -> dict[str, float]:
    if rows.empty:
        return {"share_mae": float("nan"), "interval_coverage": float("nan"), "creators": 0}
    error = np.abs(rows["share"] - rows["inauthentic_share"])
    if rows["low"].isna().all():
        coverage = float("nan")
    else:
        inside = (rows["low"] <= rows["inauthentic_share"] + 1e-9) & (
            rows["inauthentic_share"] <= rows["high"] + 1e-9
        )
        coverage = float(inside.mean())
    return {"share_mae": float(error.mean()), "interval_coverage": coverage, "creators": len(rows)}


def simulated_metrics(
    method: MethodScores, likes: pd.DataFrame, creators: pd.DataFrame
) -> dict[str, object]:
    """Per tier and overall, plus false-flag rates of the clean scenarios.

    ``likes`` holds ``creator_id``, ``is_fake`` and ``tier`` per like (same row order as the
    scored table);
    ``creators`` is the simulator's truth (``tier``, ``scenario``, ``inauthentic_share``).
    Like level: the group's fake likes vs every authentic like. Creator level: the group's
    inflated creators vs every organic creator, ranked by ``rank_score``. Share error and
    interval coverage: over the group's creators (``all``: every creator).
    """
    if not method.available:
        return {"available": False, "note": method.note}
    tier = likes["tier"].to_numpy(dtype=str)
    authentic = likes["is_fake"].to_numpy() == 0
    truth = creators[["creator_id", "tier", "scenario", "inauthentic_share"]]
    joined = _joined(method, truth, likes)
    clean = joined["tier"] == "organic"
    groups: dict[str, dict[str, float]] = {}
    for group in SIM_GROUPS:
        fake_rows = ~authentic if group == "all" else tier == group
        keep = fake_rows | authentic
        like = ranking_metrics(fake_rows[keep], method.like_score[keep])
        members = ~clean if group == "all" else joined["tier"] == group
        chosen = joined[members | clean]
        inflated = (chosen["tier"] != "organic").to_numpy()
        creator = ranking_metrics(inflated, chosen["rank_score"].to_numpy())
        by_mean = ranking_metrics(inflated, chosen["mean_like_score"].to_numpy())
        shares = _share_figures(joined if group == "all" else joined[members])
        groups[group] = {
            "like_roc_auc": like["roc_auc"],
            "like_pr_auc": like["pr_auc"],
            "creator_roc_auc": creator["roc_auc"],
            "creator_pr_auc": creator["pr_auc"],
            "creator_roc_auc_mean_like_score": by_mean["roc_auc"],
            **shares,
        }
    groups["clean"] = _share_figures(joined[clean])
    flagged = {
        scenario: float(joined.loc[joined["scenario"] == scenario, "flagged"].mean())
        for scenario in SCENARIOS
    }
    return {
        "available": True,
        "note": method.note,
        "groups": groups,
        "flagged_clean": flagged,
        **flag_rates(method, likes["is_fake"].to_numpy()),
    }


def pool_metrics(
    method: MethodScores, likes: pd.DataFrame, creators: pd.DataFrame
) -> dict[str, object]:
    """Creator level (inflated vs clean) and like level (fake vs genuine) on a real-pool world."""
    if not method.available:
        return {"available": False, "note": method.note}
    joined = _joined(method, creators[["creator_id", "inauthentic_share"]], likes)
    inflated = (joined["inauthentic_share"] > 0).to_numpy()
    creator = ranking_metrics(inflated, joined["rank_score"].to_numpy())
    by_mean = ranking_metrics(inflated, joined["mean_like_score"].to_numpy())
    like = ranking_metrics(likes["is_fake"].to_numpy() == 1, method.like_score)
    return {
        "available": True,
        "note": method.note,
        "creator_roc_auc": creator["roc_auc"],
        "creator_pr_auc": creator["pr_auc"],
        "creator_roc_auc_mean_like_score": by_mean["roc_auc"],
        **_share_figures(joined),
        "clean_flagged": float(joined.loc[~inflated, "flagged"].mean()),
        "like_roc_auc": like["roc_auc"],
        "like_pr_auc": like["pr_auc"],
        **flag_rates(method, likes["is_fake"].to_numpy()),
    }
