"""The isolation-forest scorer over like vectors, as a plain scikit-learn estimator.

Score orientation: **higher score = more suspicious**. scikit-learn's
``IsolationForest.score_samples`` returns higher values for *normal* points; this module negates
it in one place (:meth:`LikeScorer.score_samples`) and everything downstream uses that sign.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.ensemble import IsolationForest
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

DEFAULT_TREES = 50
"""Trees per isolation forest, for :class:`LikeScorer` and the authenticity model alike."""


class LikeScorer(BaseEstimator):
    """Isolation forest fitted on a reference population of authentic like vectors.

    Parameters
    ----------
    n_estimators : int, default=50
        Number of trees (:data:`DEFAULT_TREES`, the authenticity model's default too).
    max_samples : int or float or "auto", default=256
        Rows drawn to grow each tree (see :class:`sklearn.ensemble.IsolationForest`).
    max_features : float, default=1.0
        Share of features drawn for each tree.
    threshold : float or None, default=None
        Score above which a like is flagged by :meth:`predict`; ``None`` flags the top 1% of the
        training scores.
    random_state : int, RandomState or None, default=None
        Seed of the trees; the same seed gives the same scores.
    n_jobs : int or None, default=None
        Parallel jobs for fitting and scoring.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(500, 3))
    >>> scorer = LikeScorer(random_state=0).fit(X)
    >>> bool(scorer.score_samples([[8.0, 8.0, 8.0]])[0] > scorer.score_samples([[0.0, 0.0, 0.0]])[0])
    True
    """

    _parameter_constraints: dict = {
        "n_estimators": [Interval(Integral, 1, None, closed="left")],
        "max_samples": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="right"),
        ],
        "max_features": [Interval(Real, 0, 1, closed="right")],
        "threshold": [Real, None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
    }

    def __init__(
        self,
        *,
        n_estimators: int = DEFAULT_TREES,
        max_samples: int | float | str = 256,
        max_features: float = 1.0,
        threshold: float | None = None,
        random_state: int | np.random.RandomState | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.max_features = max_features
        self.threshold = threshold
        self.random_state = random_state
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: object, y: object = None) -> LikeScorer:
        """Fit the forest on reference like vectors (``y`` is ignored)."""
        X = validate_data(self, X, dtype=np.float64)
        max_samples = self.max_samples
        if isinstance(max_samples, Integral):
            max_samples = min(int(max_samples), X.shape[0])
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=max_samples,
            max_features=self.max_features,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        ).fit(X)
        scores = -self.forest_.score_samples(X)
        self.threshold_ = (
            float(np.quantile(scores, 0.99)) if self.threshold is None else float(self.threshold)
        )
        return self

    def score_samples(self, X: object) -> np.ndarray:
        """Suspicion score of each row: higher is more suspicious (negated forest score)."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return -self.forest_.score_samples(X)

    def decision_function(self, X: object) -> np.ndarray:
        """Score minus threshold: positive means flagged."""
        return self.score_samples(X) - self.threshold_

    def predict(self, X: object) -> np.ndarray:
        """1 for a suspicious like (score above the threshold), 0 otherwise."""
        return (self.decision_function(X) > 0).astype(np.int64)
