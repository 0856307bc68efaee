"""The authenticity model: like features + isolation forest fitted on a trusted reference.

:class:`AuthenticityModel` is what ``models/`` ships and what the API and CLI use. It learns what
authentic engagement looks like from reference likes (the rows labelled genuine, or all rows when
no labels are given) and never from the batch it scores. It keeps a sample of its reference
feature vectors (and of labelled fake ones), so data that lacks an optional column is scored by a
forest refitted on the features present, cached by feature set.

Score orientation: a like's ``score`` is the negated isolation-forest score (**higher = more
suspicious**, see :mod:`detector.forest`); ``suspicion`` is its percentile among held-out
reference likes (0-1), comparable across feature sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from detector.calibrate import youden_threshold
from detector.errors import NotEnoughDataError
from detector.features import LikeFeatureSet, build_like_features
from detector.forest import LikeScorer
from detector.reasons import reference_shares
from detector.schema import parse_labels, validate_likes

if TYPE_CHECKING:
    from detector.report import CreatorReport

MIN_REFERENCE_ROWS = 50


@dataclass
class FittedFeatureSet:
    """A forest fitted on one feature subset, with its calibration."""

    features: tuple[str, ...]
    scorer: LikeScorer
    calibration_scores: np.ndarray
    threshold: float
    fpr: float
    tpr: float


class AuthenticityModel(BaseEstimator):
    """Scores like events against a reference population of authentic likes.

    Parameters
    ----------
    n_estimators : int, default=200
        Trees in each isolation forest.
    max_samples : int, default=256
        Rows drawn to grow each tree.
    reference_size : int, default=20000
        Reference (authentic) like vectors kept in the model; also the fake sample's cap / 4.
    calibration_share : float, default=0.3
        Share of the reference held out from the forest to calibrate thresholds and rates.
    flag_quantile : float, default=0.99
        Without labels, likes scoring above this quantile of held-out reference likes are flagged.
    label_column : str, default="is_fake"
        Name of the label column used by :meth:`fit` when ``y`` is not given.
    random_state : int or None, default=0
        Seed for sampling and trees; the same seed gives the same model.

    Examples
    --------
    >>> from detector import AuthenticityModel, generate_world
    >>> likes, creators = generate_world(n_creators=12, seed=1)
    >>> model = AuthenticityModel(n_estimators=50).fit(likes, likes["is_fake"])
    >>> report = model.report(likes)
    >>> sorted(report.creators.columns)[:3]
    ['authentic_likes', 'authenticity', 'creator_id']
    """

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [Interval(Integral, 2, None, closed="left")],
        "reference_size": [Interval(Integral, MIN_REFERENCE_ROWS, None, closed="left")],
        "calibration_share": [Interval(Real, 0, 1, closed="neither")],
        "flag_quantile": [Interval(Real, 0, 1, closed="neither")],
        "label_column": [str],
        "random_state": ["random_state"],
        "threshold_rule": [StrOptions({"youden"})],
    }

    def __init__(
        self,
        *,
        n_estimators: int = 200,
        max_samples: int = 256,
        reference_size: int = 20_000,
        calibration_share: float = 0.3,
        flag_quantile: float = 0.99,
        threshold_rule: str = "youden",
        label_column: str = "is_fake",
        random_state: int | None = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.reference_size = reference_size
        self.calibration_share = calibration_share
        self.flag_quantile = flag_quantile
        self.threshold_rule = threshold_rule
        self.label_column = label_column
        self.random_state = random_state

    # ----------------------------------------------------------------------------- fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: pd.DataFrame, y: object = None) -> AuthenticityModel:
        """Learn the reference from likes; ``y`` (1 = fake) selects the authentic rows.

        Without ``y`` and without a label column, every row is taken as authentic reference
        (unsupervised training: only sound when the data is mostly authentic).
        """
        likes = _validated(X)
        if y is None and self.label_column in likes.columns:
            y = parse_labels(likes[self.label_column], "likes", self.label_column)
        built = build_like_features(likes)
        return self.fit_features(built.values, None if y is None else np.asarray(y).astype(int))

    def fit_features(
        self, features: pd.DataFrame, y: np.ndarray | None = None
    ) -> AuthenticityModel:
        """Fit from a like feature table (see :func:`detector.features.build_like_features`)."""
        for stale in ("threshold_quantile_", "_cache"):
            self.__dict__.pop(stale, None)
        rng = np.random.default_rng(self.random_state)
        genuine = features if y is None else features[np.asarray(y) == 0]
        if len(genuine) < MIN_REFERENCE_ROWS:
            raise NotEnoughDataError(
                f"only {len(genuine)} authentic likes to learn from "
                f"(at least {MIN_REFERENCE_ROWS} needed)"
            )
        self.supervised_ = y is not None and bool(np.any(np.asarray(y) == 1))
        if y is not None and not self.supervised_:
            y = None
        self.reference_ = _sample(genuine, self.reference_size, rng).reset_index(drop=True)
        is_calibration = np.zeros(len(self.reference_), dtype=bool)
        n_cal = max(int(round(self.calibration_share * len(self.reference_))), 1)
        is_calibration[rng.choice(len(self.reference_), n_cal, replace=False)] = True
        self.reference_is_calibration_ = is_calibration
        if self.supervised_:
            fakes = features[np.asarray(y) == 1]
            self.fake_sample_ = _sample(fakes, max(self.reference_size // 4, 1), rng)
            self.fake_sample_ = self.fake_sample_.reset_index(drop=True)
        else:
            self.fake_sample_ = None
        self.medians_ = self.reference_.median().to_dict()
        self.feature_names_in_ = np.asarray(features.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        self.reference_conditions_ = reference_shares(self.reference_)
        self._cache: dict[tuple[str, ...], FittedFeatureSet] = {}
        full = self.feature_set(tuple(features.columns))
        self.threshold_quantile_ = float(np.mean(full.calibration_scores <= full.threshold))
        return self

    def feature_set(self, names: tuple[str, ...]) -> FittedFeatureSet:
        """The forest for a feature subset, fitted on the reference and cached."""
        check_is_fitted(self, "reference_")
        cache = self.__dict__.setdefault("_cache", {})
        if names in cache:
            return cache[names]
        unknown = [n for n in names if n not in self.reference_.columns]
        if unknown:
            raise NotEnoughDataError(f"the model's reference has no feature(s) {unknown}")
        reference = self.reference_[list(names)].fillna(pd.Series(self.medians_))
        train = reference[~self.reference_is_calibration_].to_numpy()
        scorer = LikeScorer(
            n_estimators=self.n_estimators,
            max_samples=self.max_samples,
            random_state=self.random_state,
        ).fit(train)
        calibration = np.sort(
            scorer.score_samples(reference[self.reference_is_calibration_].to_numpy())
        )
        fake_scores = None
        if self.fake_sample_ is not None and len(self.fake_sample_):
            fakes = self.fake_sample_[list(names)].fillna(pd.Series(self.medians_)).to_numpy()
            fake_scores = scorer.score_samples(fakes)
        if fake_scores is not None and "threshold_quantile_" not in self.__dict__:
            scores = np.r_[calibration, fake_scores]
            labels = np.r_[np.zeros(len(calibration)), np.ones(len(fake_scores))]
            threshold = youden_threshold(scores, labels)
        else:
            quantile = self.__dict__.get("threshold_quantile_", self.flag_quantile)
            threshold = float(np.quantile(calibration, quantile))
        fpr = float(np.mean(calibration > threshold))
        tpr = float(np.mean(fake_scores > threshold)) if fake_scores is not None else 1.0
        fitted = FittedFeatureSet(names, scorer, calibration, threshold, fpr, tpr)
        scorer.threshold_ = threshold
        cache[names] = fitted
        return fitted

    # ----------------------------------------------------------------------------- scoring
    def features(self, X: pd.DataFrame) -> LikeFeatureSet:
        """Like features of validated or raw likes (validated first when needed)."""
        return build_like_features(_validated(X))

    def score_features(self, features: pd.DataFrame) -> pd.DataFrame:
        """Score like feature rows: ``score``, ``suspicion`` (0-1) and ``flagged`` per row."""
        check_is_fitted(self, "reference_")
        names = tuple(c for c in self.feature_names_in_ if c in features.columns)
        if not names:
            raise NotEnoughDataError("no feature in common with the model's reference")
        fitted = self.feature_set(names)
        matrix = features[list(names)]
        imputed = int(matrix.isna().to_numpy().sum())
        scores = fitted.scorer.score_samples(matrix.fillna(pd.Series(self.medians_)).to_numpy())
        suspicion = np.searchsorted(fitted.calibration_scores, scores, side="left") / max(
            len(fitted.calibration_scores), 1
        )
        out = pd.DataFrame(
            {"score": scores, "suspicion": suspicion, "flagged": scores > fitted.threshold},
            index=features.index,
        )
        out.attrs.update(
            features=list(names),
            fpr=fitted.fpr,
            tpr=fitted.tpr,
            threshold=fitted.threshold,
            imputed_values=imputed,
        )
        return out

    def score_samples(self, X: pd.DataFrame) -> np.ndarray:
        """Suspicion score per like (higher = more suspicious)."""
        return self.score_features(self.features(X).values)["score"].to_numpy()

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 for likes flagged as inauthentic, 0 otherwise."""
        return self.score_features(self.features(X).values)["flagged"].to_numpy().astype(int)

    def score_likes(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-like output joined to the input keys: ids, time, score, suspicion, flagged."""
        likes = _validated(X)
        scored = self.score_features(build_like_features(likes).values)
        keys = likes[["creator_id", "post_id", "liker_id", "liked_at"]]
        out = pd.concat([keys, scored], axis=1)
        out.attrs.update(scored.attrs)
        return out

    def report(self, X: pd.DataFrame, include_likes: bool = False) -> CreatorReport:
        """Creator report for raw or validated likes (see :mod:`detector.report`)."""
        from detector.report import build_report

        return build_report(self, _validated(X), include_likes=include_likes)


def _validated(X: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame of likes, got {type(X).__name__}")
    if X.attrs.get("detector_validated"):
        return X
    out = validate_likes(X, "DataFrame")
    out.attrs["detector_validated"] = True
    return out


def _sample(frame: pd.DataFrame, size: int, rng: np.random.Generator) -> pd.DataFrame:
    if len(frame) <= size:
        return frame
    return frame.iloc[np.sort(rng.choice(len(frame), size, replace=False))]
