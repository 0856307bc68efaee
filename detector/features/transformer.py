"""The feature step as a scikit-learn transformer, for use inside a ``Pipeline``."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from detector.features import FEATURES, build_like_features


class LikeFeatures(TransformerMixin, BaseEstimator):
    """scikit-learn transformer: validated likes DataFrame -> like feature DataFrame.

    Parameters
    ----------
    features : list of str or None
        Feature names to output (None: every feature available at ``fit``).
    """

    def __init__(self, *, features: list[str] | None = None) -> None:
        self.features = features

    def fit(self, X: pd.DataFrame, y: object = None) -> LikeFeatures:
        """Record which features the training table supports."""
        available = build_like_features(X).names
        if self.features is None:
            self.feature_names_out_ = np.asarray(available, dtype=object)
        else:
            unknown = [f for f in self.features if f not in FEATURES]
            if unknown:
                raise ValueError(
                    f"The 'features' parameter of LikeFeatures must name catalogue features. "
                    f"Got unknown {unknown} instead."
                )
            self.feature_names_out_ = np.asarray(list(self.features), dtype=object)
        self.n_features_out_ = len(self.feature_names_out_)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Compute the fitted feature set; missing inputs raise a clear error."""
        check_is_fitted(self, "feature_names_out_")
        built = build_like_features(X)
        lacking = [f for f in self.feature_names_out_ if f not in built.values.columns]
        if lacking:
            needs = sorted({c for f in lacking for c in built.missing.get(f, [])})
            raise ValueError(f"cannot compute features {lacking}: missing input column(s) {needs}")
        return built.values[list(self.feature_names_out_)]

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output features."""
        return np.asarray(self.feature_names_out_, dtype=object)
