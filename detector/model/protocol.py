"""The declared interfaces of scoring.

Every engine scores through :class:`FeatureScorer`, implemented by the scikit-learn estimator
(:class:`~detector.estimator.AuthenticityModel`) and by the compiled
:class:`~detector.scoring.scorer.Scorer` alike; every fitted or compiled feature set is a
:class:`FeatureSetScorer`. Nothing asks an object whether it has a method.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from detector.shift import RateProfile


@runtime_checkable
class FeatureSetScorer(Protocol):
    """The scorers of one feature set: filled feature matrices in, scores and flags out."""

    features: tuple[str, ...]
    threshold: float
    fpr: float
    tpr: float
    fpr_size: float
    tpr_size: float
    fpr_spread: float
    tpr_spread: float
    rate_profile: RateProfile | None
    """Where the reference's likes lie per feature, for the shift check (:mod:`detector.shift`)."""
    calibration_scores: np.ndarray
    threads: int | None
    """Threads a scoring call may use (None: ``DETECTOR_THREADS`` or the CPUs available)."""

    def score(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        """Suspicion score of each row (higher = more suspicious)."""

    def flags(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        """Whether each row is flagged: its score above the threshold."""

    def probability(self, scores: np.ndarray) -> np.ndarray:
        """P(fake | score) at even odds (NaN without labels)."""


@runtime_checkable
class FeatureScorer(Protocol):
    """A model that scores like features: what the pipeline and the engines need of it (both
    implementations also make a creator report of a likes table, with ``report``)."""

    scope: str
    feature_names_in_: np.ndarray
    reference_conditions_: dict[str, Any]

    def score_features(self, features: pd.DataFrame, flags_only: bool = False) -> pd.DataFrame:
        """Per-like ``score``, ``suspicion``, ``probability`` and ``flagged`` (``flags_only``:
        ``flagged`` alone, the same flags) for like feature rows."""

    def prepare(self, present: Iterable[str], scope: str) -> None:
        """Make ready, once, the feature set that input columns ``present`` give in ``scope``,
        before threads or worker processes score partitions with it."""

    def fitted_sets(self) -> Sequence[FeatureSetScorer]:
        """Every feature set fitted so far (none is fitted by asking)."""

    def compiled(self, threads: int | None = None) -> FeatureScorer:
        """The fastest scorer with the same flags and scores (within 1e-9)."""
