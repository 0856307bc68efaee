"""The training sample: what fitting any feature set's scorers needs, as plain arrays.

A model keeps a sample of its reference (authentic) feature vectors and of labelled fake ones,
with the facts of how they were split and weighted. It is stored in the compiled artifact as
well as in the pickle, so a feature set is fitted the same way, bit for bit, from either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from detector.model.formulas import model_input

MIN_KNOWN_CALIBRATION = 200
"""Held-out likes known to be authentic from which a partly labelled model measures its rates
on them alone (fewer: on every held-out reference like, unlabelled ones included)."""


@dataclass(frozen=True)
class FitSettings:
    """The estimator's parameters that fitting a feature set reads."""

    n_estimators: int
    max_samples: int
    supervised_weight: float
    head_iterations: int
    head_max_depth: int | None
    random_state: int | None
    threshold_quantile: float
    """Without labels: the quantile of held-out reference scores a like must pass to be
    flagged (the flag quantile for the full set; for the others, the share of the full set's
    calibration scores at or below its threshold, so every set flags alike)."""


@dataclass(frozen=True)
class TrainingSample:
    """What fitting any feature set needs: the sampled reference and fake feature vectors
    (float64, one column per feature of the model), which of them were held out for
    calibration, and the creator (group code) of each row."""

    reference: pd.DataFrame
    reference_is_calibration: np.ndarray
    reference_known: np.ndarray | None
    reference_groups: np.ndarray | None
    fake: pd.DataFrame | None
    fake_is_calibration: np.ndarray | None
    fake_groups: np.ndarray | None
    medians: dict[str, float]
    floors: dict[str, float]
    ceilings: dict[str, float]
    settings: FitSettings
    rate_spreads: dict[tuple[str, ...], tuple[float, float]] = field(default_factory=dict)
    """Measured spreads of the rates between held-out creators, by feature set."""
    full_fpr: float | None = None
    """The full feature set's false-positive rate (scales the spread of a set fitted later)."""

    def known_calibration(self) -> np.ndarray | None:
        """Held-out reference rows known to be authentic, when the reference also holds unknown
        rows and there are enough of them to measure rates; else None (every held-out row)."""
        known = self.reference_known
        if known is None or known.all():
            return None
        rows = self.reference_is_calibration & known
        return rows if rows.sum() >= MIN_KNOWN_CALIBRATION else None

    def matrix(self, frame: pd.DataFrame, names: tuple[str, ...]) -> np.ndarray:
        """The scorers' input for ``names`` of a sample frame (median-filled, capped)."""
        return model_input(frame[list(names)], self.medians, self.floors, self.ceilings)

    def spreads_for(self, names: tuple[str, ...], fpr: float) -> tuple[float, float]:
        """Measured spreads of a set fitted at training time; for a set fitted later (a column
        missing at scoring), the full set's, with the fpr spread scaled to this set's fpr."""
        if names in self.rate_spreads:
            return self.rate_spreads[names]
        full = tuple(self.reference.columns)
        if full not in self.rate_spreads or self.full_fpr is None:
            return 0.0, 0.0
        fpr_spread, tpr_spread = self.rate_spreads[full]
        return (fpr_spread * fpr / self.full_fpr if self.full_fpr > 0 else fpr_spread), tpr_spread
