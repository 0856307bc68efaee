"""The scorer the command line and the engines use: compiled arrays, nothing unpickled.

:class:`Scorer` scores from a :class:`~detector.compiled.artifact.CompiledModel` (a shipped or
trained artifact's ``.npz``, or a model compiled in memory by :func:`compiled_scorer`). A
feature set the arrays lack (data with an unusual column profile) is fitted from the training
sample the arrays carry, deterministically, compiled, and kept in the profile cache
(:mod:`detector.scoring.profile_cache`), so later runs load it instead of fitting it again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from detector.compiled.artifact import (
    CompiledFeatureSet,
    CompiledModel,
    feature_set_arrays,
    profile_arrays,
)
from detector.features.catalogue import available_features
from detector.scoring.pipeline import report_likes

if TYPE_CHECKING:
    from detector.report import CreatorReport
    from detector.scoring.profile_cache import ProfileCache

_FITTING = threading.Lock()
"""Held while a feature set is looked up in the cache or fitted: threads sharing compiled
arrays fit each one once (rare work, so one lock for all)."""


class Scorer:
    """Scores likes from compiled arrays, with the same flags and scores (to within 1e-9) as
    the estimator they were compiled from; implements
    :class:`~detector.model.protocol.FeatureScorer`.

    ``cache`` keeps feature sets fitted for column profiles the arrays lack (None: each process
    fits them again); ``threads`` caps the threads of each scoring call (None:
    ``DETECTOR_THREADS`` or the CPUs available; 1 in engine workers that already run one
    process per core).
    """

    def __init__(
        self,
        compiled: CompiledModel,
        cache: ProfileCache | None = None,
        threads: int | None = None,
    ) -> None:
        self.arrays = compiled
        self.cache = cache
        self.threads = threads
        for fitted in compiled.sets.values():
            fitted.threads = threads
        self.scope = compiled.scope
        self.feature_names_in_ = compiled.feature_names_in_
        self.reference_conditions_ = compiled.reference_conditions_

    def score_features(self, features: pd.DataFrame, flags_only: bool = False) -> pd.DataFrame:
        names = tuple(c for c in self.feature_names_in_ if c in features.columns)
        self.feature_set(names)
        return self.arrays.score_features(features, flags_only)

    def prepare(self, present: Iterable[str], scope: str) -> None:
        available = set(available_features(list(present), scope))
        names = tuple(n for n in self.feature_names_in_ if n in available)
        if names:
            for trees in self.feature_set(names).traversals:
                if trees is not None:
                    trees.bitvectors  # noqa: B018 - laid out on first use: here, once

    def compiled(self, threads: int | None = None) -> Scorer:
        return self  # already compiled; workers cap their threads through DETECTOR_THREADS

    def report(
        self,
        likes: pd.DataFrame,
        include_likes: bool = False,
        scope: str | None = None,
        rates: str = "reference",
    ) -> CreatorReport:
        """Creator report of validated likes, as :meth:`AuthenticityModel.report` gives it."""
        return report_likes(self, likes, include_likes, scope or self.scope, rates)

    def feature_set(self, names: tuple[str, ...]) -> CompiledFeatureSet:
        """The compiled feature set ``names``: from the arrays, else from the profile cache,
        else fitted from the training sample (and kept in the cache)."""
        found = self.arrays.sets.get(names)
        if found is not None:
            return found
        with _FITTING:
            found = self.arrays.sets.get(names)
            if found is None:
                found = self.cache.load(names) if self.cache is not None else None
                if found is None:
                    found = self._fit(names)
                found.threads = self.threads
                self.arrays.sets[names] = found
        return found

    def fitted_sets(self) -> list[CompiledFeatureSet]:
        """Every feature set at hand: the compiled ones, then the ones fitted on use."""
        return list(self.arrays.sets.values())

    def _fit(self, names: tuple[str, ...]) -> CompiledFeatureSet:
        # scikit-learn is imported only when a column profile must be fitted
        from detector.model.feature_sets import fit_feature_set

        fitted = fit_feature_set(self.arrays.training_sample(), names)
        if self.cache is not None:
            self.cache.store(names, profile_arrays(self.arrays.meta, fitted))
        arrays, info = feature_set_arrays(fitted)
        return CompiledFeatureSet(arrays, info)


def compiled_scorer(model: Any, threads: int | None = None) -> Scorer:
    """``model``'s fitted feature sets compiled in memory, with its training sample: scores
    equal the model's to float rounding (1e-9, tested), the same flags. The result pickles
    (arrays only), e.g. for worker processes."""
    return Scorer(CompiledModel.from_model(model), None, threads)
