"""Per-creator quantifiers beside the detector's own share, for part 4 of the quality benchmark.

The detector estimates a creator's inauthentic share by adjusted classify-and-count (ACC: the
Rogan-Gladen correction of the flag rate with the reference's false- and true-positive rates).
Quantification offers others that use more of each like's score; each is computed here from the
same report and the same reference, so that only the estimator differs:

- PCC, probabilistic classify-and-count: the mean of P(fake | score) (Bella et al., 2010); biased
  whenever the class prior differs from the head's training odds, here as the textbook baseline;
- EM, the prior adjustment of Saerens, Latinne & Decaestecker (2002): the creator's prior
  re-estimated by expectation-maximisation from the posteriors at the head's even odds;
- HDy (Gonzalez-Castro, Alaiz-Rodriguez & Alegre, 2013): the mixture weight of the reference's
  fake and authentic score histograms nearest, in Hellinger distance, to the creator's histogram.

QuaPy implements the same methods; these few lines keep the benchmark free of its dependencies.
All three assume, like ACC, that the scores of authentic and fake likes are distributed here as in
the reference: they answer whether another estimator recovers more from the same scores, not the
shift itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["HDY_BINS", "em_shares", "hdy_shares", "pcc_shares", "quantifier_shares"]

HDY_BINS = 10
"""Histogram bins of HDy: deciles of the reference's authentic and fake scores pooled."""
EM_ITERATIONS = 200


def pcc_shares(probability: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean P(fake | score) per creator."""
    return np.bincount(codes, weights=probability, minlength=n_groups) / np.bincount(
        codes, minlength=n_groups
    )


def em_shares(
    probability: np.ndarray, codes: np.ndarray, n_groups: int, training_prior: float = 0.5
) -> np.ndarray:
    """Saerens-Latinne-Decaestecker EM per creator (all creators at once)."""
    p = np.clip(probability, 1e-6, 1 - 1e-6)
    counts = np.bincount(codes, minlength=n_groups)
    prior = np.full(n_groups, training_prior)
    for _ in range(EM_ITERATIONS):
        fake = prior[codes] * p / training_prior
        genuine = (1 - prior[codes]) * (1 - p) / (1 - training_prior)
        updated = np.bincount(codes, weights=fake / (fake + genuine), minlength=n_groups) / counts
        if np.max(np.abs(updated - prior)) < 1e-6:
            return updated
        prior = updated
    return prior


def hdy_shares(
    scores: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    authentic_scores: np.ndarray,
    fake_scores: np.ndarray,
) -> np.ndarray:
    """HDy per creator on a grid of 201 mixture weights."""
    edges = np.quantile(np.r_[authentic_scores, fake_scores], np.arange(1, HDY_BINS) / HDY_BINS)

    def shares(values: np.ndarray) -> np.ndarray:
        return np.bincount(np.searchsorted(edges, values), minlength=HDY_BINS) / len(values)

    authentic, fake = shares(authentic_scores), shares(fake_scores)
    observed = np.zeros((n_groups, HDY_BINS))
    np.add.at(observed, (codes, np.searchsorted(edges, scores)), 1.0)
    observed /= observed.sum(axis=1, keepdims=True)
    grid = np.linspace(0, 1, 201)
    mixtures = (1 - grid)[:, None] * authentic + grid[:, None] * fake
    distance = ((np.sqrt(observed)[:, None, :] - np.sqrt(mixtures)[None]) ** 2).sum(axis=2)
    return grid[distance.argmin(axis=1)]


def quantifier_shares(model: Any, likes: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """Per creator (``creator_id``): ``acc`` (the report's share), ``pcc``, ``em``, ``hdy``, from
    one report of the fitted ``model`` (an :class:`~detector.estimator.AuthenticityModel`) on
    unlabelled ``likes``; with a note when a quantifier is unavailable (no labels: no head)."""
    report = model.report(likes, include_likes=True)
    codes, ids = pd.factorize(likes["creator_id"].astype(str))
    n = len(ids)
    out = pd.DataFrame({"creator_id": ids})
    shares = report.creators.set_index(report.creators["creator_id"].astype(str))
    out["acc"] = shares["inauthentic_share"].reindex(ids).to_numpy(dtype=float)
    scores = report.likes["score"].to_numpy(dtype=float)
    probability = report.likes["probability"].to_numpy(dtype=float)
    note = None
    if np.isnan(probability).any():
        out["pcc"] = out["em"] = np.nan
        note = "no supervised head: PCC and EM unavailable"
    else:
        out["pcc"] = pcc_shares(probability, codes, n)
        out["em"] = em_shares(probability, codes, n)
    sample = model.training_sample()
    names = tuple(report.meta["features_used"])
    fitted = model.feature_set(names)
    if sample.fake is None or sample.fake_is_calibration is None:
        out["hdy"] = np.nan
        note = "no fake sample: HDy unavailable"
    else:
        fakes = sample.matrix(sample.fake, names)[sample.fake_is_calibration]
        out["hdy"] = hdy_shares(
            scores, codes, n, np.asarray(fitted.calibration_scores), fitted.score(fakes)
        )
    return out, note
