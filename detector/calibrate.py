"""What labelled data adds: threshold choice, detection metrics, and the share estimate.

Threshold rule (documented contract): with labels, the flag threshold maximises Youden's J
(true-positive rate minus false-positive rate) over the labelled calibration rows. That is the
threshold at which the corrected share estimate below has the largest denominator, hence the
smallest variance. Without labels it is the reference quantile ``flag_quantile`` (default 0.99:
1% of authentic likes are flagged).

Share estimate: a creator whose likes are flagged at rate ``p`` has an estimated inauthentic
share ``(p - fpr) / (tpr - fpr)`` (the Rogan-Gladen correction for an imperfect test), clipped
to [0, 1]; ``fpr`` is measured on held-out reference likes and ``tpr`` on labelled fake likes
(1.0 when the model was trained without labels, which makes the estimate a lower bound).

Interval: a 90% Wilson score interval for ``p`` with the sample size replaced by an effective
size that accounts for likes on the same post being correlated (a cluster-robust variance over
posts), mapped through the same correction. The uncertainty of ``fpr`` and ``tpr`` is included
conservatively: each has its own 90% Wilson interval, with an effective size clustered by the
calibration creators (so a model whose recall differs from one kind of farm to another gets a
wide ``tpr`` interval), and the share interval takes the extreme corrections over the three
intervals (low end: low ``p``, high ``fpr``, high ``tpr``; high end: the reverse).

Those are intervals for the *mean* rates. A given creator's authentic likes are flagged at that
creator's own rate, which varies from one audience to another (and a farm's likes at that farm's
own rate). So the ``fpr`` and ``tpr`` intervals are widened into prediction intervals: the
spread of the rates between calibration creators beyond what sampling explains (a method-of-
moments estimate, :func:`between_group_spread`) is added in quadrature to each half-width.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from detector.features.arrays import first_rows, sums_by_group

Z_90 = 1.6448536269514722


def youden_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """Score threshold (flag when score > threshold) that maximises TPR - FPR."""
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(labels).astype(bool)
    order = np.argsort(scores)
    s, y = scores[order], labels[order]
    distinct = np.r_[s[1:] != s[:-1], True]
    below_pos = np.cumsum(y)[distinct]
    below_neg = np.cumsum(~y)[distinct]
    tpr = 1.0 - below_pos / max(y.sum(), 1)
    fpr = 1.0 - below_neg / max((~y).sum(), 1)
    best = int(np.argmax(tpr - fpr))
    return float(s[distinct][best])


def detection_metrics(
    labels: np.ndarray, scores: np.ndarray, flags: np.ndarray
) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), precision and recall of flags."""
    # cold start: scoring never imports scikit-learn; only training and evaluation need it
    from sklearn.metrics import average_precision_score, roc_auc_score

    labels = np.asarray(labels).astype(int)
    flags = np.asarray(flags).astype(bool)
    out: dict[str, float] = {"rows": int(len(labels)), "positives": int(labels.sum())}
    if 0 < labels.sum() < len(labels):
        out["roc_auc"] = float(roc_auc_score(labels, scores))
        out["pr_auc"] = float(average_precision_score(labels, scores))
    true_pos = int((flags & (labels == 1)).sum())
    out["precision"] = float(true_pos / flags.sum()) if flags.sum() else 0.0
    out["recall"] = float(true_pos / labels.sum()) if labels.sum() else 0.0
    return out


def corrected_share(rate: np.ndarray, fpr: float, tpr: float) -> np.ndarray:
    """Rogan-Gladen estimate of the true positive share from an observed flag rate (unclipped)."""
    return (np.asarray(rate, dtype=float) - fpr) / max(tpr - fpr, 1e-6)


def wilson_interval(
    rate: np.ndarray, n: np.ndarray, z: float = Z_90
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportions ``rate`` observed on ``n`` (possibly effective) trials."""
    rate = np.asarray(rate, dtype=float)
    n = np.maximum(np.asarray(n, dtype=float), 1e-9)
    denom = 1.0 + z**2 / n
    centre = (rate + z**2 / (2 * n)) / denom
    half = z * np.sqrt(rate * (1 - rate) / n + z**2 / (4 * n**2)) / denom
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def effective_sizes(
    flags: np.ndarray, group: np.ndarray, cluster: np.ndarray, nested: bool = False
) -> pd.DataFrame:
    """Per group: likes, flag rate, and effective sample size given clustering by ``cluster``.

    The effective size is ``p(1-p) / var(p)`` with ``var(p)`` the cluster-robust (ratio
    estimator) variance over clusters, capped at the number of likes. Groups come in order of
    first appearance. ``nested`` says that ``cluster`` holds codes from 0 in order of first
    appearance, each within one group (as post codes within creators): the clusters are then
    counted directly (the same table, without grouping the likes).
    """
    if nested:
        first = first_rows(cluster)
        cluster_group = group[first]
        cluster_sum = np.bincount(cluster, weights=flags, minlength=len(first))
        cluster_size = np.bincount(cluster, minlength=len(first))
    else:
        frame = pd.DataFrame({"group": group, "cluster": cluster, "flag": flags.astype(float)})
        per_cluster = frame.groupby(["group", "cluster"], sort=False, observed=True)["flag"].agg(
            ["sum", "size"]
        )
        per_cluster = per_cluster.reset_index()
        cluster_group = per_cluster["group"].to_numpy()
        cluster_sum = per_cluster["sum"].to_numpy()
        cluster_size = per_cluster["size"].to_numpy()
    # per group, in order of first appearance; counts of likes and flags add up exactly
    owner, groups = pd.factorize(cluster_group)
    flagged = np.bincount(owner, weights=cluster_sum, minlength=len(groups))
    size = np.bincount(owner, weights=cluster_size, minlength=len(groups)).astype(np.int64)
    rate = flagged / size
    residual = (cluster_sum - rate[owner] * cluster_size) ** 2
    _, _, (residual_sum,) = sums_by_group(owner, [residual])  # each group's own, in order
    m = np.bincount(owner, minlength=len(groups)).astype(float)
    variance = (m / np.maximum(m - 1, 1)) * residual_sum / size**2
    binomial = rate * (1 - rate) / size
    variance = np.where(m > 1, np.maximum(variance, binomial), binomial)
    n_eff = np.where(variance > 0, rate * (1 - rate) / np.maximum(variance, 1e-300), size)
    n_eff = np.minimum(np.where(rate * (1 - rate) > 0, n_eff, size), size)
    return pd.DataFrame(
        {"likes": size, "flag_rate": rate, "effective_likes": n_eff},
        index=pd.Index(groups, name="group"),
    )


def clustered_size(flags: np.ndarray, cluster: np.ndarray | None) -> float:
    """Effective number of independent trials behind the rate of ``flags`` (clustered rows)."""
    flags = np.asarray(flags, dtype=bool)
    if cluster is None or len(flags) == 0:
        return float(len(flags))
    sizes = effective_sizes(flags, np.zeros(len(flags), dtype=np.int8), np.asarray(cluster))
    return float(sizes["effective_likes"].iloc[0])


def between_group_spread(flags: np.ndarray, groups: np.ndarray | None) -> float:
    """Standard deviation between groups of the true rate behind ``flags`` (0 when none shows).

    DerSimonian-Laird's method-of-moments estimate: the dispersion of the groups' rates around
    the pooled rate, less what binomial sampling within each group explains. Likes of one
    group that are correlated (same post) inflate it a little: the error is on the wide side.
    """
    flags = np.asarray(flags, dtype=float)
    if groups is None or len(flags) == 0:
        return 0.0
    codes, _ = pd.factorize(np.asarray(groups))
    n = np.bincount(codes).astype(float)
    rates = np.bincount(codes, weights=flags) / n
    pooled = float(flags.mean())
    if len(n) < 2 or pooled in (0.0, 1.0):
        return 0.0
    weights = n / (pooled * (1 - pooled))
    q = float(np.sum(weights * (rates - pooled) ** 2))
    scale = float(weights.sum() - np.sum(weights**2) / weights.sum())
    return float(np.sqrt(max(0.0, (q - (len(n) - 1)) / scale)))


def share_interval(
    rate: np.ndarray,
    effective: np.ndarray,
    fpr: float,
    tpr: float,
    fpr_size: float = np.inf,
    tpr_size: float = np.inf,
    fpr_spread: float = 0.0,
    tpr_spread: float = 0.0,
    shifted: RateRanges | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """90% interval of the corrected share: flag rate, ``fpr`` and ``tpr`` intervals combined.

    ``fpr_size`` and ``tpr_size`` are the effective sizes the rates were measured on (infinite:
    taken as exact); ``fpr_spread`` and ``tpr_spread`` the rates' standard deviations between
    creators (:func:`between_group_spread`), which widen their intervals. ``shifted`` holds, per
    creator, the range each rate may take on data that differs from the reference
    (:mod:`detector.shift`): each rate's interval is moved by as much as the rate may move.
    """
    low, high = wilson_interval(rate, effective)
    fpr_low, fpr_high = _widened(fpr, *_rate_bounds(fpr, fpr_size), fpr_spread)
    tpr_low, tpr_high = _widened(tpr, *_rate_bounds(tpr, tpr_size), tpr_spread)
    fpr_low, fpr_high = np.full_like(low, fpr_low), np.full_like(low, fpr_high)
    tpr_low, tpr_high = np.full_like(low, tpr_low), np.full_like(low, tpr_high)
    if shifted is not None:
        fpr_low = np.clip(fpr_low + np.minimum(shifted.fpr_low - fpr, 0), 0, 1)
        fpr_high = np.clip(fpr_high + np.maximum(shifted.fpr_high - fpr, 0), 0, 1)
        tpr_low = np.clip(tpr_low + np.minimum(shifted.tpr_low - tpr, 0), 0, 1)
        tpr_high = np.clip(tpr_high + np.maximum(shifted.tpr_high - tpr, 0), 0, 1)
    tpr_low = np.maximum(tpr_low, fpr_low + 1e-6)
    return (
        np.clip(
            (low - fpr_high) / np.maximum(np.maximum(tpr_high, fpr_high + 1e-6) - fpr_high, 1e-6),
            0,
            1,
        ),
        np.clip((high - fpr_low) / np.maximum(tpr_low - fpr_low, 1e-6), 0, 1),
    )


class RateRanges(Protocol):
    """Per creator, the range of each rate on data unlike the reference."""

    fpr_low: np.ndarray
    fpr_high: np.ndarray
    tpr_low: np.ndarray
    tpr_high: np.ndarray


def _rate_bounds(rate: float, size: float) -> tuple[float, float]:
    if not np.isfinite(size):
        return rate, rate
    low, high = wilson_interval(np.array([rate]), np.array([size]))
    return float(low[0]), float(high[0])


def _widened(rate: float, low: float, high: float, spread: float) -> tuple[float, float]:
    """The interval ``[low, high]`` around ``rate`` with ``Z_90 * spread`` added in quadrature."""
    if spread <= 0:
        return low, high
    extra = (Z_90 * spread) ** 2
    return (
        max(0.0, rate - float(np.sqrt((rate - low) ** 2 + extra))),
        min(1.0, rate + float(np.sqrt((high - rate) ** 2 + extra))),
    )


RATES: tuple[str, ...] = ("reference", "batch")
"""Where a report's false-positive rate comes from: the model's reference, or also the batch."""
BATCH_MIN_CREATORS = 10
"""Fewest creators (of at least :data:`BATCH_MIN_LIKES` likes) a batch estimate needs."""
BATCH_MIN_LIKES = 30
BATCH_FLOOR_SHARE = 0.2
"""Share of the batch's creators, the least flagged, whose pooled flag rate is its floor."""


def batch_false_positive_rate(
    likes: np.ndarray, flag_rate: np.ndarray, fpr: float
) -> tuple[float, dict[str, float | int | str]]:
    """The false-positive rate for this batch: the reference's, raised to the batch's floor.

    The floor is the pooled flag rate of the least-flagged :data:`BATCH_FLOOR_SHARE` of the
    batch's creators (those with at least :data:`BATCH_MIN_LIKES` likes). Where even they are
    flagged more often than the reference's authentic likes, the reference's rate does not hold
    here (authentic likers who look like the reference's fakes: a less active audience, another
    platform) and would call honest creators inflated. The estimate is one-sided by design:
    a floor below the reference's rate is kept as evidence only, since a batch whose creators
    are all inflated would otherwise lower the rate and accuse; and with fewer clean creators
    than the floor's share, the floor overstates the rate, which misses inflation rather than
    inventing it. This is a mixture-proportion reading of the batch (the least-flagged creators
    as the anchor of the authentic component), not a fit of the whole mixture.
    """
    enough = likes >= BATCH_MIN_LIKES
    facts: dict[str, float | int | str] = {
        "method": "batch",
        "reference_false_positive_rate": round(fpr, 4),
        "creators_measured": int(enough.sum()),
    }
    if enough.sum() < BATCH_MIN_CREATORS:
        facts["note"] = (
            f"fewer than {BATCH_MIN_CREATORS} creators with {BATCH_MIN_LIKES}+ likes: "
            "the reference's rate is used"
        )
        return fpr, facts
    order = np.argsort(flag_rate[enough], kind="stable")
    floor_rows = order[: max(5, int(np.ceil(BATCH_FLOOR_SHARE * enough.sum())))]
    n = likes[enough][floor_rows]
    floor = float(np.sum(flag_rate[enough][floor_rows] * n) / np.sum(n))
    facts["batch_floor"] = round(floor, 4)
    facts["floor_creators"] = len(floor_rows)
    used = max(fpr, floor)
    facts["false_positive_rate"] = round(used, 4)
    return used, facts
