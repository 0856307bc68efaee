"""How far scored likes lie from the model's reference, and what that does to its rates.

The false- and true-positive rates behind a share are measured on the reference (authentic
likes and fakes of the training data). On data unlike it (another platform, a tamer or a more
active audience) they do not hold, and a share corrected with them is confidently wrong. This
module measures the shift, per creator and per run, from the likes the model counts as authentic
(its unflagged likes: fakes aside, they should look like the reference's unflagged likes), one
feature at a time, and turns it into ranges for the two rates.

Per feature, the reference's values are cut into deciles (:data:`BINS` bins). Fitting stores,
per bin, the reference's share of authentic likes and their flag rate, and the same for the
reference's fakes (:class:`RateProfile`). On scored likes:

- **shift**: the total-variation distance between a creator's unflagged likes and the
  reference's unflagged likes over the bins, less what sampling alone gives at that many likes
  (0: no more unlike the reference than a sample of it);
- **rates under the shift** (a sensitivity analysis in the manner of covariate-shift
  reweighting): had the creator's authentic likers differed from the reference in this feature
  only, as they measurably do, with the flag rate within each bin unchanged, its authentic likes
  would be flagged at ``sum_b p(b) a(b)``, ``p`` the creator's authentic bin shares (its
  unflagged shares divided by ``1 - a(b)``, renormalised) and ``a(b)`` the reference's flag
  rate in bin ``b``. The fakes of such data are unseen: they are taken to lie no further from
  the reference's fakes than its authentic likes lie from the reference's (a platform's bought
  accounts share its genuine accounts' traits). So their flag rate may be lower by up to the
  shift beyond the reference's median creator's (one audience is never the pooled reference,
  and the rates were measured across such audiences; a flag is one event, and a
  total-variation distance bounds any event's change), and it is
  also moved by the authentic likes' displacement (``p - q`` added to the fakes' bin shares).
  The range of each rate, with the reference's own value, is where the rate may lie; the
  share's interval covers it. What no unlabelled data can tell is how much further the fakes
  of another platform moved: that needs labels or ``detector adapt``.

A creator's own likes are all that enter its figures, so they do not depend on the batch. Bin
shares are shrunk towards the reference's by :data:`PRIOR_LIKES` pseudo-likes, so that a small
creator's sampling noise does not read as a shift.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

BINS = 10
"""Bins per feature: the reference's deciles."""
PRIOR_LIKES = 20.0
"""Pseudo-likes of the reference's own bin shares added to a creator's (shrinkage)."""
TYPICAL_QUANTILE = 0.5
"""The typical shift is the reference's median creator's: measured, the whole shift (no
typical) left 29% of the simulator's plain organic creators 'cannot tell' and its 90th
percentile half the heavily inflated creators of two real-account pools 'authentic'
(BENCHMARKS.md, "Shift")."""
TYPICAL_MIN_LIKES = 30
"""Reference creators with fewer held-out likes do not enter the typical shift."""
OUTSIDE_QUANTILE = 0.001
"""A value below this quantile of the reference or above ``1 - OUTSIDE_QUANTILE`` lies outside
the reference's support."""


@dataclass
class RateProfile:
    """Per feature of a fitted set (rows, in the set's order) and decile bin (columns): where
    the reference's authentic likes and fakes lie and how often each bin is flagged."""

    edges: np.ndarray
    """(features, BINS - 1) inner bin edges: the reference's deciles."""
    support: np.ndarray
    """(features, 2) the reference's OUTSIDE_QUANTILE and 1 - OUTSIDE_QUANTILE quantiles."""
    authentic_share: np.ndarray
    """(features, BINS) share of the reference's authentic likes in each bin."""
    authentic_flagged: np.ndarray
    """(features, BINS) flag rate of the reference's authentic likes in each bin."""
    fake_share: np.ndarray | None = None
    """(features, BINS) share of the reference's fakes in each bin (None without labels)."""
    fake_flagged: np.ndarray | None = None
    """(features, BINS) flag rate of the reference's fakes in each bin."""
    typical_shift: float = 0.0
    """The :data:`TYPICAL_QUANTILE` quantile of the reference's own creators' shifts: how far
    one creator's audience lies from the pooled reference on the data the model knows. The
    fakes' flag rate may drop by a creator's shift beyond it; its reasons name it beyond it."""

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The profile as named arrays (for the compiled artifact)."""
        out = {
            prefix + "edges": self.edges,
            prefix + "support": self.support,
            prefix + "authentic_share": self.authentic_share,
            prefix + "authentic_flagged": self.authentic_flagged,
        }
        if self.fake_share is not None and self.fake_flagged is not None:
            out[prefix + "fake_share"] = self.fake_share
            out[prefix + "fake_flagged"] = self.fake_flagged
        out[prefix + "typical_shift"] = np.array([self.typical_shift])
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str) -> RateProfile | None:
        """The profile back from :meth:`arrays` (None when the arrays hold none)."""
        if prefix + "edges" not in arrays:
            return None
        return cls(
            arrays[prefix + "edges"],
            arrays[prefix + "support"],
            arrays[prefix + "authentic_share"],
            arrays[prefix + "authentic_flagged"],
            arrays.get(prefix + "fake_share"),
            arrays.get(prefix + "fake_flagged"),
            float(arrays[prefix + "typical_shift"][0])
            if prefix + "typical_shift" in arrays
            else 0.0,
        )


def rate_profile(
    authentic: np.ndarray,
    authentic_flags: np.ndarray,
    fake: np.ndarray | None = None,
    fake_flags: np.ndarray | None = None,
    authentic_groups: np.ndarray | None = None,
) -> RateProfile:
    """The profile of a set from raw (unfilled) feature values of the likes its rates were
    measured on: held-out authentic likes (with their creators, ``authentic_groups``, for the
    typical shift) and fakes, with their flags."""
    n_features = authentic.shape[1]
    edges = np.zeros((n_features, BINS - 1))
    support = np.zeros((n_features, 2))
    for f in range(n_features):
        values = authentic[:, f][np.isfinite(authentic[:, f])]
        if len(values):
            edges[f] = np.quantile(values, np.arange(1, BINS) / BINS)
            support[f] = np.quantile(values, [OUTSIDE_QUANTILE, 1 - OUTSIDE_QUANTILE])
    share, flagged = _bin_rates(authentic, authentic_flags, edges)
    profile = RateProfile(edges, support, share, flagged)
    if fake is not None and fake_flags is not None and len(fake):
        profile.fake_share, profile.fake_flagged = _bin_rates(fake, fake_flags, edges)
    if authentic_groups is not None and len(authentic_groups):
        codes, _ = pd.factorize(authentic_groups)
        own = shift_figures(authentic, authentic_flags, codes, codes.max() + 1, profile, 0.0, 1.0)
        sized = np.bincount(codes) >= TYPICAL_MIN_LIKES
        if sized.any():
            profile.typical_shift = float(np.quantile(own.shift[sized], TYPICAL_QUANTILE))
    return profile


def _bins(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Bin of each value (ties go to the upper bin, so a discrete value has one bin); -1: NaN."""
    bins = np.searchsorted(edges, values, side="right")
    return np.where(np.isfinite(values), bins, -1)


def _bin_rates(
    values: np.ndarray, flags: np.ndarray, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per feature and bin: share of the rows, and their flag rate (NaN for an empty bin)."""
    share = np.zeros((values.shape[1], BINS))
    flagged = np.full((values.shape[1], BINS), np.nan)
    for f in range(values.shape[1]):
        bins = _bins(values[:, f], edges[f])
        valid = bins >= 0
        counts = np.bincount(bins[valid], minlength=BINS).astype(float)
        hits = np.bincount(bins[valid], weights=flags[valid], minlength=BINS)
        share[f] = counts / max(counts.sum(), 1.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            flagged[f] = np.where(counts > 0, hits / counts, np.nan)
    return share, flagged


@dataclass
class ShiftFigures:
    """Per group (creator, or the whole run): the shift and the rates' ranges under it."""

    shift: np.ndarray
    """Largest shift over the features (0 = like the reference; at most 1)."""
    feature: np.ndarray
    """Index of the feature that shifted most (-1: no feature measured)."""
    by_feature: np.ndarray
    """(groups, features) shift per feature."""
    fpr_low: np.ndarray
    fpr_high: np.ndarray
    tpr_low: np.ndarray
    tpr_high: np.ndarray
    fpr_by_feature: np.ndarray
    """(groups, features) the false-positive rate reweighted to each feature's shift."""
    tpr_by_feature: np.ndarray
    """(groups, features) the true-positive rate moved with each feature's shift."""

    def move_fpr(self, by: float) -> None:
        """Move the false-positive rate's figures by ``by`` (a rate raised for the batch)."""
        for name in ("fpr_low", "fpr_high", "fpr_by_feature"):
            setattr(self, name, np.clip(getattr(self, name) + by, 0, 1))

    def take(self, index: np.ndarray) -> ShiftFigures:
        """The figures of groups ``index``, in that order."""
        return ShiftFigures(*(getattr(self, f.name)[index] for f in fields(self)))


def shift_figures(
    values: np.ndarray,
    flags: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    profile: RateProfile,
    fpr: float,
    tpr: float,
) -> ShiftFigures:
    """Shift and rate ranges per group from raw feature values (rows: likes; columns: the
    profile's features), the likes' flags and their group codes (0 .. ``n_groups - 1``)."""
    n_features = values.shape[1]
    by_feature = np.zeros((n_groups, n_features))
    fpr_low = np.full(n_groups, fpr)
    fpr_high = np.full(n_groups, fpr)
    tpr_low = np.full(n_groups, tpr)
    tpr_high = np.full(n_groups, tpr)
    fpr_by_feature = np.full((n_groups, n_features), fpr)
    tpr_by_feature = np.full((n_groups, n_features), tpr)
    unflagged = ~np.asarray(flags, dtype=bool)
    for f in range(n_features):
        q = profile.authentic_share[f]
        a = np.nan_to_num(profile.authentic_flagged[f], nan=fpr)
        q_kept = _kept_shares(profile, f)  # the reference's unflagged likes, per bin
        bins = _bins(values[:, f], profile.edges[f])
        rows = unflagged & (bins >= 0)
        counts = np.bincount(group[rows] * BINS + bins[rows], minlength=n_groups * BINS).reshape(
            n_groups, BINS
        )
        total = counts.sum(axis=1)
        measured = total > 0
        observed = counts / np.maximum(total, 1)[:, None]
        noise = 0.5 * np.sqrt(2 * q_kept * (1 - q_kept) / (np.pi * np.maximum(total, 1))[:, None])
        distance = 0.5 * np.abs(observed - q_kept).sum(axis=1) - noise.sum(axis=1)
        by_feature[:, f] = np.where(measured, np.clip(distance, 0, 1), 0.0)
        shrunk = (counts + PRIOR_LIKES * q_kept) / (total + PRIOR_LIKES)[:, None]
        authentic = shrunk / np.maximum(1.0 - a, 1e-6)
        authentic /= authentic.sum(axis=1, keepdims=True)
        rate = authentic @ a
        fpr_by_feature[:, f] = np.where(measured, rate, fpr)
        fpr_low = np.where(measured, np.minimum(fpr_low, rate), fpr_low)
        fpr_high = np.where(measured, np.maximum(fpr_high, rate), fpr_high)
        if profile.fake_share is not None and profile.fake_flagged is not None:
            t = np.nan_to_num(profile.fake_flagged[f], nan=tpr)
            moved = np.clip(profile.fake_share[f] + (authentic - q), 0, None)
            moved /= np.maximum(moved.sum(axis=1, keepdims=True), 1e-12)
            fake_rate = moved @ t
            tpr_by_feature[:, f] = np.where(measured, fake_rate, tpr)
            tpr_low = np.where(measured, np.minimum(tpr_low, fake_rate), tpr_low)
            tpr_high = np.where(measured, np.maximum(tpr_high, fake_rate), tpr_high)
    shift = by_feature.max(axis=1) if n_features else np.zeros(n_groups)
    # this data's fakes are unseen: within as far from the reference's fakes as its authentic
    # likes are from the reference's, beyond what the reference's own creators show (their
    # rates and spreads were measured across those), their flag rate may be lower by as much
    beyond = np.clip(shift - profile.typical_shift, 0.0, None)
    tpr_low = np.minimum(tpr_low, np.maximum(tpr - beyond, 0.0))
    feature = by_feature.argmax(axis=1) if n_features else np.full(n_groups, -1)
    feature = np.where(shift > 0, feature, -1)
    return ShiftFigures(
        shift, feature, by_feature, fpr_low, fpr_high, tpr_low, tpr_high,
        fpr_by_feature, tpr_by_feature,
    )  # fmt: skip


SHIFT_WARNING_FROM = 0.35
"""Run-level shift from which the command line warns that the reference does not fit."""


@dataclass
class ShiftTally:
    """A run's shift as counts that add up over partitions of whole creators (so every
    engine reports the same figures): per feature, unflagged likes per bin, and values outside
    the reference's support."""

    counts: dict[str, np.ndarray]
    expected: dict[str, np.ndarray]
    """Per feature, the reference's unflagged likes' bin shares."""
    outside: dict[str, int]
    finite: dict[str, int]
    rows_outside: int
    rows: int

    @classmethod
    def of(
        cls, values: np.ndarray, flags: np.ndarray, profile: RateProfile, names: list[str]
    ) -> ShiftTally:
        """The tally of scored likes: raw values of the set's features ``names``, flags."""
        unflagged = ~np.asarray(flags, dtype=bool)
        counts, expected, outside, finite = {}, {}, {}, {}
        beyond = _outside_rows(values, profile)
        for f, name in enumerate(names):
            bins = _bins(values[:, f], profile.edges[f])
            counts[name] = np.bincount(bins[unflagged & (bins >= 0)], minlength=BINS)
            expected[name] = _kept_shares(profile, f)
            outside[name] = int(beyond[:, f].sum())
            finite[name] = int(np.isfinite(values[:, f]).sum())
        return cls(counts, expected, outside, finite, int(beyond.any(axis=1).sum()), len(values))

    @staticmethod
    def combined(tallies: list[ShiftTally]) -> ShiftTally:
        """The tally of several partitions' likes (features in first-seen order)."""
        out = ShiftTally({}, {}, {}, {}, 0, 0)
        for tally in tallies:
            for name, counts in tally.counts.items():
                out.counts[name] = out.counts.get(name, 0) + counts
                out.expected.setdefault(name, tally.expected[name])
                out.outside[name] = out.outside.get(name, 0) + tally.outside[name]
                out.finite[name] = out.finite.get(name, 0) + tally.finite[name]
            out.rows_outside += tally.rows_outside
            out.rows += tally.rows
        return out

    def facts(self) -> dict[str, Any]:
        """The run's shift for ``meta``: overall and per feature, most shifted first."""
        distance = {}
        for name, counts in self.counts.items():
            q, total = self.expected[name], counts.sum()
            if total == 0:
                distance[name] = 0.0
                continue
            noise = 0.5 * np.sqrt(2 * q * (1 - q) / (np.pi * total)).sum()
            distance[name] = float(np.clip(0.5 * np.abs(counts / total - q).sum() - noise, 0, 1))
        order = sorted(distance, key=lambda name: -distance[name])
        return {
            "shift": round(max(distance.values(), default=0.0), 4),
            "likes_outside_reference": round(self.rows_outside / max(self.rows, 1), 4),
            "features": {
                name: {
                    "shift": round(distance[name], 4),
                    "outside_reference": round(self.outside[name] / max(self.finite[name], 1), 4),
                }
                for name in order
            },
            "method": (
                "the likes counted as authentic (unflagged) against the reference's, per feature "
                "over the reference's deciles: total variation distance beyond sampling noise"
            ),
        }


def _kept_shares(profile: RateProfile, f: int) -> np.ndarray:
    """The reference's unflagged likes' bin shares for feature ``f`` (uniform if none)."""
    a = np.nan_to_num(profile.authentic_flagged[f], nan=0.0)
    kept = profile.authentic_share[f] * (1.0 - a)
    return kept / kept.sum() if kept.sum() > 0 else np.full(BINS, 1.0 / BINS)


def _outside_rows(values: np.ndarray, profile: RateProfile) -> np.ndarray:
    low, high = profile.support[:, 0], profile.support[:, 1]
    return np.isfinite(values) & ((values < low) | (values > high))
