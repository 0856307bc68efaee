"""Fitting the scorers of one feature set from a model's training sample.

:func:`fit_feature_set` fits the isolation forest, the supervised head and their calibration
for any subset of the features from a :class:`~detector.model.sample.TrainingSample`: at
training time for the column profiles real sources give, and later for data with another
profile. The sample is plain arrays, stored in the compiled artifact too, so a subset is fitted
the same way, bit for bit, from the pickle or from the arrays: scoring never unpickles anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.isotonic import IsotonicRegression
from threadpoolctl import threadpool_limits

from detector.calibrate import clustered_size, youden_threshold
from detector.errors import NotEnoughDataError
from detector.features.catalogue import FEATURES
from detector.model.forest import LikeScorer
from detector.model.formulas import above, rank_below
from detector.model.sample import TrainingSample
from detector.shift import RateProfile, rate_profile


@dataclass
class FittedFeatureSet:
    """The scorers fitted on one feature subset, with their calibration.

    ``score`` is the forest's suspicion alone (unsupervised) or, with a supervised head, the blend
    ``w * P(fake) + (1 - w) * forest percentile``; higher is more suspicious either way.
    """

    features: tuple[str, ...]
    forest: LikeScorer
    forest_calibration: np.ndarray
    head: HistGradientBoostingClassifier | None
    supervised_weight: float
    calibration_scores: np.ndarray
    threshold: float
    fpr: float
    tpr: float
    calibrator: IsotonicRegression | None = None
    fpr_size: float = np.inf
    tpr_size: float = np.inf
    fpr_spread: float = 0.0
    tpr_spread: float = 0.0
    rate_profile: RateProfile | None = None
    threads: int | None = 1
    """Threads :func:`~detector.model.formulas.score_matrix` may use: one, since scikit-learn
    scores on the calling thread (and its head is kept to one OpenMP thread)."""

    def probability(self, scores: np.ndarray) -> np.ndarray:
        """P(fake | score) at even odds (isotonic fit on held-out labelled likes, classes
        weighted equally); NaN for a model trained without labels."""
        if self.calibrator is None:
            return np.full(len(scores), np.nan)
        return self.calibrator.predict(scores)

    def score(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        """Suspicion scores of a filled feature matrix (columns in ``features`` order);
        ``threads`` is accepted for the interface and not used."""
        forest = self.forest.score_samples(matrix)
        if self.head is None:
            return forest
        percentile = rank_below(self.forest_calibration, forest) / len(self.forest_calibration)
        with threadpool_limits(1, user_api="openmp"):
            probability = self.head.predict_proba(matrix)[:, 1]
        return self.supervised_weight * probability + (1 - self.supervised_weight) * percentile

    def flags(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        """The flag of each row: its score above the threshold."""
        return above(self.score(matrix), self.threshold)


_DIRECTIONS = {"low": -1, "high": 1, "both": 0}


def suspicious_directions(names: tuple[str, ...]) -> list[int]:
    """The head's monotonic constraint of each feature (``FeatureInfo.monotone``): P(fake)
    may only fall as a trait suspicious when low rises, and only rise with one suspicious when
    high; 0 (free) for the others."""
    return [
        _DIRECTIONS[FEATURES[name].suspicious]
        if name in FEATURES and FEATURES[name].monotone
        else 0
        for name in names
    ]


def fit_feature_set(sample: TrainingSample, names: tuple[str, ...]) -> FittedFeatureSet:
    """The forest, head and calibration for feature subset ``names``, fitted on ``sample``."""
    unknown = [n for n in names if n not in sample.reference.columns]
    if unknown:
        raise NotEnoughDataError(f"the model's reference has no feature(s) {unknown}")
    settings = sample.settings
    reference = sample.matrix(sample.reference, names)
    cal = sample.reference_is_calibration
    forest = LikeScorer(
        n_estimators=settings.n_estimators,
        max_samples=settings.max_samples,
        random_state=settings.random_state,
    ).fit(reference[~cal])
    forest_calibration = np.sort(forest.score_samples(reference[cal]))
    head = None
    fakes = None
    if sample.fake is not None and len(sample.fake):
        fakes = sample.matrix(sample.fake, names)
        fake_cal = sample.fake_is_calibration
        if settings.supervised_weight > 0:
            head = HistGradientBoostingClassifier(
                max_iter=settings.head_iterations,
                max_depth=settings.head_max_depth,
                learning_rate=0.1,
                class_weight="balanced",
                monotonic_cst=suspicious_directions(names),
                random_state=settings.random_state,
            )
            # OpenMP threads cost far more than they save on samples this small
            with threadpool_limits(1, user_api="openmp"):
                head.fit(
                    np.vstack([reference[~cal], fakes[~fake_cal]]),
                    np.r_[np.zeros((~cal).sum()), np.ones((~fake_cal).sum())],
                )
        fakes = fakes[fake_cal]
    fitted = FittedFeatureSet(
        names, forest, forest_calibration, head, settings.supervised_weight,
        np.empty(0), 0.0, 0.0, 1.0,
    )  # fmt: skip
    rates = sample.known_calibration()  # rows the false-positive rate is measured on
    rates = cal if rates is None else rates
    unsorted = fitted.score(reference[rates])
    calibration = np.sort(unsorted)
    fake_scores = fitted.score(fakes) if fakes is not None and len(fakes) else None
    if fake_scores is not None:
        scores = np.r_[calibration, fake_scores]
        labels = np.r_[np.zeros(len(calibration)), np.ones(len(fake_scores))]
        threshold = youden_threshold(scores, labels)
    else:
        threshold = float(np.quantile(calibration, settings.threshold_quantile))
    fitted.calibration_scores = calibration
    fitted.threshold = threshold
    fitted.fpr = float(np.mean(above(calibration, threshold)))
    fitted.tpr = float(np.mean(above(fake_scores, threshold))) if fake_scores is not None else 1.0
    groups = sample.reference_groups
    fitted.fpr_size = clustered_size(
        above(unsorted, threshold), None if groups is None else groups[rates]
    )
    if fake_scores is not None:
        fake_groups = sample.fake_groups
        fitted.tpr_size = clustered_size(
            above(fake_scores, threshold),
            None if fake_groups is None else fake_groups[sample.fake_is_calibration],
        )
        weights = np.r_[
            np.full(len(calibration), 0.5 / len(calibration)),
            np.full(len(fake_scores), 0.5 / len(fake_scores)),
        ]
        fitted.calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(
            np.r_[calibration, fake_scores],
            np.r_[np.zeros(len(calibration)), np.ones(len(fake_scores))],
            sample_weight=weights,
        )
    fitted.fpr_spread, fitted.tpr_spread = sample.spreads_for(names, fitted.fpr)
    columns = list(names)
    fitted.rate_profile = rate_profile(
        sample.reference[columns].to_numpy(dtype=float)[rates],
        above(unsorted, threshold),
        None if fakes is None else sample.fake[columns].to_numpy(dtype=float)[fake_cal],
        None if fake_scores is None else above(fake_scores, threshold),
        None if groups is None else groups[rates],
    )
    return fitted
