"""The estimator and what it is made of.

- :mod:`.estimator`: :class:`AuthenticityModel`, the scikit-learn estimator (fit, score, report).
- :mod:`.sample`: the training sample every feature set is fitted from (plain arrays).
- :mod:`.feature_sets`: fitting one feature set's scorers from that sample.
- :mod:`.forest`: :class:`LikeScorer`, the isolation forest over like vectors.
- :mod:`.formulas`: what the scorers see and how scores become flags (numpy only, shared with
  the compiled scorer).

Names are loaded on first use, so the compiled scorer can use the formulas without importing
scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["AuthenticityModel", "FittedFeatureSet", "LikeScorer", "TrainingSample"]

_HOMES = {
    "AuthenticityModel": "detector.model.estimator",
    "FittedFeatureSet": "detector.model.feature_sets",
    "TrainingSample": "detector.model.sample",
    "LikeScorer": "detector.model.forest",
}

if TYPE_CHECKING:
    from detector.model.estimator import AuthenticityModel
    from detector.model.feature_sets import FittedFeatureSet
    from detector.model.forest import LikeScorer
    from detector.model.sample import TrainingSample


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'detector.model' has no attribute {name!r}")
