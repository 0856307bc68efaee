"""The compiled artifact: everything scoring needs, as plain arrays in one ``.npz`` file.

For each feature set a model fitted (:attr:`AuthenticityModel.feature_sets_`), the forest's and
the head's trees as node tables (:mod:`.flatten`), the calibration scores and the isotonic map;
for the model, the reference medians, caps and condition shares; and the training sample
(:class:`~detector.model.feature_sets.TrainingSample`), from which a feature set the artifact
lacks is fitted the same way as from the pickle. Loading needs numpy only and a ``.npz`` read
without pickles cannot run code; the training sample is read only when a set must be fitted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detector import _jit
from detector.compiled.dedup import MIN_ROWS_DEDUP, distinct_rows
from detector.compiled.flatten import boosting_tables, forest_tables
from detector.compiled.traversal import Traversal
from detector.model.formulas import above, rank_below, score_matrix
from detector.model.sample import FitSettings, TrainingSample
from detector.shift import RateProfile

if TYPE_CHECKING:
    from detector.model.feature_sets import FittedFeatureSet

FORMAT = "detector-compiled/2"
"""Version 2 adds the training sample; version 1 artifacts are refused (retrain)."""
SHIFT = "shift."
"""Prefix of a feature set's :class:`~detector.shift.RateProfile` arrays."""
TRAINING = "training."
"""Prefix of the training sample's arrays in the file."""


class CompiledFeatureSet:
    """Scores one feature set from its node tables, as
    :class:`~detector.model.feature_sets.FittedFeatureSet` does (to within 1e-9; the same flags)."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.forest = {k[7:]: v for k, v in arrays.items() if k.startswith("forest.")}
        self.head = {k[5:]: v for k, v in arrays.items() if k.startswith("head.")} or None
        self.forest_calibration = arrays["forest_calibration"]
        self.calibration_scores = arrays["calibration_scores"]
        self.isotonic = (arrays["iso_x"], arrays["iso_y"]) if "iso_x" in arrays else None
        self.features = tuple(meta["features"])
        self.supervised_weight = float(meta["supervised_weight"])
        self.threshold, self.fpr, self.tpr = meta["threshold"], meta["fpr"], meta["tpr"]
        self.fpr_size = _size(meta["fpr_size"])
        self.tpr_size = _size(meta["tpr_size"])
        self.fpr_spread = float(meta["fpr_spread"])
        self.tpr_spread = float(meta["tpr_spread"])
        self.rate_profile = RateProfile.from_arrays(arrays, SHIFT)
        self._traversals: tuple[Traversal, Traversal | None] | None = None
        self.threads: int | None = None  # default for score(); None: cpu_threads()

    @property
    def traversals(self) -> tuple[Traversal, Traversal | None]:
        """The forest's and the head's trees laid out for scoring (built on first use)."""
        if self._traversals is None:
            head = None
            if self.head is not None:
                head = Traversal(self.head, np.float64, self.head.get("missing_left"))
            self._traversals = (Traversal(self.forest, np.float32), head)
        return self._traversals

    def score(
        self,
        matrix: np.ndarray,
        threads: int | None = None,
        dedup: bool = True,
        jit: bool | None = None,
    ) -> np.ndarray:
        """Suspicion scores of a filled feature matrix, as :meth:`FittedFeatureSet.score`.

        Identical rows are scored once when ``dedup`` (and there are at least
        :data:`MIN_ROWS_DEDUP` rows); chunks of rows run on up to ``threads`` threads (default:
        the ``threads`` attribute, else :func:`detector._threads.cpu_threads`). Neither changes
        any score; nor does ``jit`` (:meth:`Traversal.sums`).
        """
        matrix = np.asarray(matrix, dtype=np.float64)
        threads = self.threads if threads is None else threads
        if dedup and len(matrix) >= MIN_ROWS_DEDUP:
            found = distinct_rows(matrix)
            if found is not None:
                first, inverse = found
                return self._score(matrix[first], threads, jit)[inverse]
        return self._score(matrix, threads, jit)

    def flags(self, matrix: np.ndarray, threads: int | None = None) -> np.ndarray:
        """``above(self.score(matrix), self.threshold)``, the same flags, with the forest
        scored only where the head leaves the flag open.

        The blend ``w * P(fake) + (1 - w) * percentile`` grows with the forest's percentile,
        which lies in [0, 1]: a like flagged at percentile 0 is flagged whatever the forest
        says, and a like not flagged at percentile 1 is never flagged. Only the others (the
        likes whose head probability sits within ``1 - w`` of the threshold) need the forest.
        """
        forest_trees, head_trees = self.traversals
        if head_trees is None:
            return above(self.score(matrix, threads), self.threshold)
        matrix = np.asarray(matrix, dtype=np.float64)
        threads = self.threads if threads is None else threads
        probability = self._head_probability(head_trees, matrix, threads)
        flagged = above(self._blend(probability, 0.0), self.threshold)
        open_ = ~flagged & above(self._blend(probability, 1.0), self.threshold)
        if open_.any():
            # the compiled kernels if the head used them, however few the open likes; the
            # head's probabilities are those already computed
            jit = None if len(matrix) < _jit.JIT_FROM_ROWS else _jit.jit_enabled()
            percentile = self._percentile(forest_trees, matrix[open_], threads, jit)
            flagged[open_] = above(self._blend(probability[open_], percentile), self.threshold)
        return flagged

    def _head_probability(
        self,
        head_trees: Traversal,
        matrix: np.ndarray,
        threads: int | None,
        jit: bool | None = None,
    ) -> np.ndarray:
        raw = self.head["baseline"][0] + head_trees.sums(matrix, threads, jit)
        return 1.0 / (1.0 + np.exp(-raw))

    def _score(
        self, matrix: np.ndarray, threads: int | None, jit: bool | None = None
    ) -> np.ndarray:
        forest_trees, head_trees = self.traversals
        if head_trees is None:
            return self._forest(forest_trees, matrix, threads, jit)
        percentile = self._percentile(forest_trees, matrix, threads, jit)
        probability = self._head_probability(head_trees, matrix, threads, jit)
        return self._blend(probability, percentile)

    def _blend(self, probability: np.ndarray, percentile: np.ndarray | float) -> np.ndarray:
        """The score: the head's probability and the forest's percentile, weighted."""
        w = self.supervised_weight
        return w * probability + (1 - w) * percentile

    def _forest(
        self, trees: Traversal, matrix: np.ndarray, threads: int | None, jit: bool | None
    ) -> np.ndarray:
        """The isolation forest's anomaly score of each row."""
        depths = trees.sums(matrix, threads, jit) / trees.n_trees
        return 2.0 ** (-depths / self.forest["normaliser"][0])

    def _percentile(
        self, trees: Traversal, matrix: np.ndarray, threads: int | None, jit: bool | None
    ) -> np.ndarray:
        """The forest score's rank among the calibration scores, from 0 to 1."""
        forest = self._forest(trees, matrix, threads, jit)
        return rank_below(self.forest_calibration, forest) / len(self.forest_calibration)

    def probability(self, scores: np.ndarray) -> np.ndarray:
        if self.isotonic is None:
            return np.full(len(scores), np.nan)
        x, y = self.isotonic
        return np.interp(np.clip(scores, x[0], x[-1]), x, y)


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _size(value: float | None) -> float:
    return np.inf if value is None else float(value)


def feature_set_arrays(
    fitted: FittedFeatureSet, prefix: str = ""
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays (keys under ``prefix``) and the JSON facts of one fitted feature set."""
    arrays: dict[str, np.ndarray] = {}
    for key, value in forest_tables(fitted.forest.forest_).items():
        arrays[prefix + "forest." + key] = value
    if fitted.head is not None:
        for key, value in boosting_tables(fitted.head).items():
            arrays[prefix + "head." + key] = value
    arrays[prefix + "forest_calibration"] = fitted.forest_calibration
    arrays[prefix + "calibration_scores"] = fitted.calibration_scores
    if fitted.rate_profile is not None:
        arrays.update(fitted.rate_profile.arrays(prefix + SHIFT))
    if fitted.calibrator is not None:
        arrays[prefix + "iso_x"] = fitted.calibrator.X_thresholds_
        arrays[prefix + "iso_y"] = fitted.calibrator.y_thresholds_
    info = {
        "features": list(fitted.features),
        "supervised_weight": fitted.supervised_weight if fitted.head is not None else 0.0,
        "threshold": fitted.threshold,
        "fpr": fitted.fpr,
        "tpr": fitted.tpr,
        # effective sizes behind the rates; None = taken as exact (JSON has no inf)
        "fpr_size": _finite_or_none(fitted.fpr_size),
        "tpr_size": _finite_or_none(fitted.tpr_size),
        "fpr_spread": float(fitted.fpr_spread),
        "tpr_spread": float(fitted.tpr_spread),
    }
    return arrays, info


def training_arrays(sample: TrainingSample) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays (keys under :data:`TRAINING`) and the JSON facts of a training sample."""
    arrays = {TRAINING + "reference": sample.reference.to_numpy(dtype=np.float64)}
    optional = {
        "reference_is_calibration": sample.reference_is_calibration,
        "reference_known": sample.reference_known,
        "reference_groups": sample.reference_groups,
        "fake_is_calibration": sample.fake_is_calibration,
        "fake_groups": sample.fake_groups,
    }
    if sample.fake is not None:
        arrays[TRAINING + "fake"] = sample.fake.to_numpy(dtype=np.float64)
    for key, value in optional.items():
        if value is not None:
            arrays[TRAINING + key] = np.asarray(value)
    settings = sample.settings
    info = {
        "features": [str(c) for c in sample.reference.columns],
        "settings": {
            "n_estimators": settings.n_estimators,
            "max_samples": settings.max_samples,
            "supervised_weight": settings.supervised_weight,
            "head_iterations": settings.head_iterations,
            "head_max_depth": settings.head_max_depth,
            # a seed that is not a number cannot be stored: sets fitted later are then unseeded
            "random_state": (
                settings.random_state if isinstance(settings.random_state, int) else None
            ),
            "threshold_quantile": settings.threshold_quantile,
        },
        "rate_spreads": [[list(k), *map(float, v)] for k, v in sample.rate_spreads.items()],
        "full_fpr": sample.full_fpr,
    }
    return arrays, info


def read_training(
    arrays: dict[str, np.ndarray], info: dict[str, Any], meta: dict[str, Any]
) -> TrainingSample:
    """The training sample back from :func:`training_arrays` (and the model's ``meta``)."""
    columns = info["features"]

    def optional(key: str) -> np.ndarray | None:
        return arrays.get(TRAINING + key)

    fake = optional("fake")
    return TrainingSample(
        reference=pd.DataFrame(arrays[TRAINING + "reference"], columns=columns),
        reference_is_calibration=arrays[TRAINING + "reference_is_calibration"],
        reference_known=optional("reference_known"),
        reference_groups=optional("reference_groups"),
        fake=None if fake is None else pd.DataFrame(fake, columns=columns),
        fake_is_calibration=optional("fake_is_calibration"),
        fake_groups=optional("fake_groups"),
        medians=meta["medians"],
        floors=meta["floors"],
        ceilings=meta["ceilings"],
        settings=FitSettings(**info["settings"]),
        rate_spreads={tuple(k): (fpr, tpr) for k, fpr, tpr in info["rate_spreads"]},
        full_fpr=info["full_fpr"],
    )


def model_arrays(
    model: Any, sets: Iterable[FittedFeatureSet] | None = None
) -> dict[str, np.ndarray]:
    """What :func:`compile_model` writes: ``sets`` (default: every feature set ``model`` fitted
    in ``fit``), the model's facts and its training sample, with ``meta`` as JSON."""
    arrays: dict[str, np.ndarray] = {}
    infos = []
    for index, fitted in enumerate(model.feature_sets_.values() if sets is None else sets):
        own, info = feature_set_arrays(fitted, f"set{index}.")
        arrays.update(own)
        infos.append(info)
    meta: dict[str, Any] = {
        "format": FORMAT,
        "sets": infos,
        "feature_names_in": [str(n) for n in model.feature_names_in_],
        "medians": {k: float(v) for k, v in model.medians_.items()},
        "floors": {k: float(v) for k, v in model.floors_.items()},
        "ceilings": {k: float(v) for k, v in model.ceilings_.items()},
        "reference_conditions": model.reference_conditions_,
        "scope": model.scope,
        "supervised": bool(model.supervised_),
    }
    own, meta["training"] = training_arrays(model.training_sample())
    arrays.update(own)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return arrays


def compile_model(model: Any, path: str | Path) -> Path:
    """Write ``model``'s artifact arrays (:func:`model_arrays`) to ``path`` (.npz)."""
    path = Path(path)
    with open(path, "wb") as handle:
        np.savez(handle, **model_arrays(model))
    return path


class CompiledModel:
    """A model's compiled arrays: its feature sets, ready to score, and the facts around them.

    ``path`` is a ``.npz`` written by :func:`compile_model` (or a profile-cache entry); or
    ``arrays`` are given in memory. The training sample stays in the file until
    :meth:`training_sample` is first called.
    """

    def __init__(
        self, path: str | Path | None, arrays: dict[str, np.ndarray] | None = None
    ) -> None:
        self.path = None if path is None else Path(path)
        if arrays is None:
            with np.load(self.path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files if not key.startswith(TRAINING)}
        arrays = dict(arrays)
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if meta.get("format") != FORMAT:
            raise ValueError(
                f"{path}: not a compiled detector model of this version ({meta.get('format')!r}, "
                f"expected {FORMAT!r})"
            )
        self.meta = meta
        self._training_arrays = {k: v for k, v in arrays.items() if k.startswith(TRAINING)}
        self._training: TrainingSample | None = None
        self.sets: dict[tuple[str, ...], CompiledFeatureSet] = {}
        for index, info in enumerate(meta["sets"]):
            prefix = f"set{index}."
            own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            fitted = CompiledFeatureSet(own, info)
            self.sets[fitted.features] = fitted
        self.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
        self.medians_ = meta["medians"]
        self.floors_ = meta["floors"]
        self.ceilings_ = meta["ceilings"]
        self.reference_conditions_ = meta["reference_conditions"]
        self.scope = meta["scope"]
        self.supervised_ = meta["supervised"]

    @classmethod
    def from_model(cls, model: Any) -> CompiledModel:
        """Every feature set ``model`` has fitted so far (in ``fit`` and on use), compiled in
        memory with its training sample (no file)."""
        return cls(None, model_arrays(model, model.fitted_sets()))

    @property
    def has_training(self) -> bool:
        """Whether the arrays hold a training sample (a profile-cache entry has none)."""
        return "training" in self.meta

    def training_sample(self) -> TrainingSample:
        """The training sample, read from the file on first use."""
        if self._training is None:
            if not self.has_training:
                raise ValueError(f"{self.path}: holds no training sample")
            arrays = self._training_arrays
            if not arrays and self.path is not None:
                with np.load(self.path, allow_pickle=False) as data:
                    arrays = {k: data[k] for k in data.files if k.startswith(TRAINING)}
            self._training = read_training(arrays, self.meta["training"], self.meta)
        return self._training

    def supports(self, names: tuple[str, ...]) -> bool:
        """Whether this feature set was compiled."""
        return names in self.sets

    def score_features(self, features: pd.DataFrame, flags_only: bool = False) -> pd.DataFrame:
        """Same output as :meth:`AuthenticityModel.score_features`."""
        names = tuple(c for c in self.feature_names_in_ if c in features.columns)
        fitted = self.sets[names]
        matrix = features[list(names)]
        return score_matrix(
            fitted, matrix, self.medians_, self.floors_, self.ceilings_, flags_only=flags_only
        )


def profile_arrays(model_meta: dict[str, Any], fitted: FittedFeatureSet) -> dict[str, np.ndarray]:
    """A profile-cache entry: one feature set fitted after training, with the model's facts
    (``model_meta``, a :class:`CompiledModel`'s ``meta``) but not its training sample."""
    arrays, info = feature_set_arrays(fitted, "set0.")
    meta = {k: v for k, v in model_meta.items() if k != "training"}
    meta["sets"] = [info]
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return arrays
