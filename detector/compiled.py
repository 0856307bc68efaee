"""A fitted model as plain arrays: fast to load, scored with numpy alone, nothing unpickled.

:func:`compile_model` flattens what scoring needs from a fitted
:class:`~detector.model.AuthenticityModel` (the isolation forest and gradient-boosting trees of
each fitted feature set, the calibration arrays, the reference medians and condition shares)
into a ``.npz`` file written beside the ``.joblib`` artifact. :class:`CompiledModel` scores from
it with the same formulas; the scores equal scikit-learn's to within float rounding (tested to
1e-9). Loading it needs neither scikit-learn nor unpickling, so the command line starts fast and
a ``.npz`` file cannot run code. A feature set that was not fitted in advance (data lacking an
optional column) needs the full model: the caller falls back to the ``.joblib`` artifact.

Trees are evaluated for all trees and a block of rows at once: each step moves every (tree, row)
pair one level down, so a forest costs (depth) numpy operations per block. This is fast for the
thousands of likes of an interactive run; scikit-learn's compiled code is faster on millions, so
the large-scale engines keep using the full model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMAT = "detector-compiled/1"
BLOCK_ROWS = 4096


def _average_path_length(n: np.ndarray) -> np.ndarray:
    """Average path length of an unsuccessful search in a binary search tree of n points."""
    n = np.asarray(n, dtype=float)
    out = np.zeros_like(n)
    out[n == 2] = 1.0
    big = n > 2
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


def _flatten(trees: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack trees into one node table; children of a leaf point at the leaf itself."""
    offsets = np.cumsum([0] + [len(t["feature"]) for t in trees[:-1]]).astype(np.int64)
    stacked = {k: np.concatenate([t[k] for t in trees]) for k in ("feature", "threshold", "value")}
    stacked["left"] = np.concatenate([t["left"] + o for t, o in zip(trees, offsets, strict=True)])
    stacked["right"] = np.concatenate([t["right"] + o for t, o in zip(trees, offsets, strict=True)])
    stacked["roots"] = offsets
    stacked["depth"] = np.array([max(t["depth"] for t in trees)])
    return stacked


def _forest_trees(forest: Any) -> dict[str, np.ndarray]:
    trees = []
    for estimator, features in zip(forest.estimators_, forest.estimators_features_, strict=True):
        tree = estimator.tree_
        n = tree.node_count
        leaf = tree.children_left == -1
        depth = np.zeros(n)
        for node in range(n):  # parents come before children in scikit-learn's node order
            if not leaf[node]:
                depth[tree.children_left[node]] = depth[tree.children_right[node]] = depth[node] + 1
        nodes = np.arange(n)
        trees.append(
            {
                "feature": np.where(leaf, 0, features[np.maximum(tree.feature, 0)]),
                "threshold": np.where(leaf, np.inf, tree.threshold),
                "left": np.where(leaf, nodes, tree.children_left),
                "right": np.where(leaf, nodes, tree.children_right),
                "value": np.where(leaf, depth + _average_path_length(tree.n_node_samples), 0.0),
                "depth": int(depth.max()),
            }
        )
    flat = _flatten(trees)
    flat["normaliser"] = _average_path_length(np.array([forest.max_samples_]))
    return flat


def _boosting_trees(head: Any) -> dict[str, np.ndarray]:
    trees = []
    for (predictor,) in head._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        index = np.arange(len(nodes))
        if nodes["is_categorical"].any():
            raise ValueError("categorical splits are not supported by the compiled scorer")
        trees.append(
            {
                "feature": np.where(leaf, 0, nodes["feature_idx"]).astype(np.int64),
                "threshold": np.where(leaf, np.inf, nodes["num_threshold"]),
                "left": np.where(leaf, index, nodes["left"]).astype(np.int64),
                "right": np.where(leaf, index, nodes["right"]).astype(np.int64),
                "value": np.where(leaf, nodes["value"], 0.0),
                "depth": int(nodes["depth"].max()),
            }
        )
    flat = _flatten(trees)
    flat["baseline"] = np.asarray(head._baseline_prediction, dtype=float).ravel()
    return flat


def _tree_sums(trees: dict[str, np.ndarray], matrix: np.ndarray, dtype: type) -> np.ndarray:
    """Sum over trees of the leaf value each row reaches (``x <= threshold`` goes left)."""
    data = np.ascontiguousarray(matrix, dtype=dtype)
    n_features = data.shape[1]
    roots, depth = trees["roots"], int(trees["depth"][0])
    out = np.empty(len(data))
    for start in range(0, len(data), BLOCK_ROWS):
        block = data[start : start + BLOCK_ROWS].ravel()
        n = len(block) // n_features
        node = np.repeat(roots, n)
        base = np.tile(np.arange(n, dtype=np.int64) * n_features, len(roots))
        for _ in range(depth):
            x = block[base + trees["feature"][node]]
            node = np.where(
                x <= trees["threshold"][node], trees["left"][node], trees["right"][node]
            )
        out[start : start + n] = trees["value"][node].reshape(len(roots), n).sum(axis=0)
    return out


def score_matrix(fitted: Any, matrix: pd.DataFrame, medians: dict[str, float]) -> pd.DataFrame:
    """Per-like ``score``, ``suspicion``, ``probability`` and ``flagged`` from a fitted (or
    compiled) feature set; shared by the full and the compiled model."""
    imputed = int(matrix.isna().to_numpy().sum())
    scores = fitted.score(matrix.fillna(pd.Series(medians)).to_numpy())
    calibration = fitted.calibration_scores
    suspicion = np.searchsorted(calibration, scores, side="left") / max(len(calibration), 1)
    out = pd.DataFrame(
        {
            "score": scores,
            "suspicion": suspicion,
            "probability": fitted.probability(scores),
            "flagged": scores > fitted.threshold,
        },
        index=matrix.index,
    )
    out.attrs.update(
        features=list(matrix.columns),
        fpr=fitted.fpr,
        tpr=fitted.tpr,
        fpr_size=getattr(fitted, "fpr_size", np.inf),
        tpr_size=getattr(fitted, "tpr_size", np.inf),
        threshold=fitted.threshold,
        imputed_values=imputed,
    )
    return out


class CompiledFeatureSet:
    """Scores one feature set from flattened trees, as :class:`FittedFeatureSet` does."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
        self.forest = {k[7:]: v for k, v in arrays.items() if k.startswith("forest.")}
        self.head = {k[5:]: v for k, v in arrays.items() if k.startswith("head.")} or None
        self.forest_calibration = arrays["forest_calibration"]
        self.calibration_scores = arrays["calibration_scores"]
        self.isotonic = (arrays["iso_x"], arrays["iso_y"]) if "iso_x" in arrays else None
        self.features = tuple(meta["features"])
        self.supervised_weight = float(meta["supervised_weight"])
        self.threshold, self.fpr, self.tpr = meta["threshold"], meta["fpr"], meta["tpr"]
        self.fpr_size = _size(meta.get("fpr_size"))
        self.tpr_size = _size(meta.get("tpr_size"))

    def score(self, matrix: np.ndarray) -> np.ndarray:
        n_trees = len(self.forest["roots"])
        depths = _tree_sums(self.forest, matrix, np.float32) / n_trees
        forest = 2.0 ** (-depths / self.forest["normaliser"][0])
        if self.head is None:
            return forest
        percentile = np.searchsorted(self.forest_calibration, forest, side="left") / len(
            self.forest_calibration
        )
        raw = self.head["baseline"][0] + _tree_sums(self.head, matrix, np.float64)
        probability = 1.0 / (1.0 + np.exp(-raw))
        return self.supervised_weight * probability + (1 - self.supervised_weight) * percentile

    def probability(self, scores: np.ndarray) -> np.ndarray:
        if self.isotonic is None:
            return np.full(len(scores), np.nan)
        x, y = self.isotonic
        return np.interp(np.clip(scores, x[0], x[-1]), x, y)


def _finite_or_none(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _size(value: float | None) -> float:
    return np.inf if value is None else float(value)


def compile_model(model: Any, path: str | Path) -> Path:
    """Write the arrays that scoring needs for every fitted feature set to ``path`` (.npz)."""
    arrays: dict[str, np.ndarray] = {}
    sets = []
    for index, fitted in enumerate(model._cache.values()):
        prefix = f"set{index}."
        for key, value in _forest_trees(fitted.forest.forest_).items():
            arrays[prefix + "forest." + key] = value
        if fitted.head is not None:
            for key, value in _boosting_trees(fitted.head).items():
                arrays[prefix + "head." + key] = value
        arrays[prefix + "forest_calibration"] = fitted.forest_calibration
        arrays[prefix + "calibration_scores"] = fitted.calibration_scores
        if fitted.calibrator is not None:
            arrays[prefix + "iso_x"] = fitted.calibrator.X_thresholds_
            arrays[prefix + "iso_y"] = fitted.calibrator.y_thresholds_
        sets.append(
            {
                "features": list(fitted.features),
                "supervised_weight": fitted.supervised_weight if fitted.head is not None else 0.0,
                "threshold": fitted.threshold,
                "fpr": fitted.fpr,
                "tpr": fitted.tpr,
                # effective sizes behind the rates; None = taken as exact (JSON has no inf)
                "fpr_size": _finite_or_none(getattr(fitted, "fpr_size", np.inf)),
                "tpr_size": _finite_or_none(getattr(fitted, "tpr_size", np.inf)),
            }
        )
    meta = {
        "format": FORMAT,
        "sets": sets,
        "feature_names_in": [str(n) for n in model.feature_names_in_],
        "medians": {k: float(v) for k, v in model.medians_.items()},
        "reference_conditions": model.reference_conditions_,
        "scope": model.scope,
        "supervised": bool(model.supervised_),
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    path = Path(path)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


class CompiledModel:
    """Scores likes from a compiled ``.npz`` model; a drop-in for report and per-like scoring."""

    def __init__(self, path: str | Path) -> None:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: not a compiled detector model ({meta.get('format')!r})")
        self.sets: dict[tuple[str, ...], CompiledFeatureSet] = {}
        for index, info in enumerate(meta["sets"]):
            prefix = f"set{index}."
            own = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
            fitted = CompiledFeatureSet(own, info)
            self.sets[fitted.features] = fitted
        self.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
        self.medians_ = meta["medians"]
        self.reference_conditions_ = meta["reference_conditions"]
        self.scope = meta["scope"]
        self.supervised_ = meta["supervised"]

    def supports(self, names: tuple[str, ...]) -> bool:
        """Whether this feature set was compiled."""
        return names in self.sets

    def score_features(self, features: pd.DataFrame) -> pd.DataFrame:
        """Same output as :meth:`AuthenticityModel.score_features`."""
        names = tuple(c for c in self.feature_names_in_ if c in features.columns)
        fitted = self.sets[names]
        matrix = features[list(names)]
        return score_matrix(fitted, matrix, self.medians_)


class Scorer:
    """A model for scoring: the compiled arrays when they cover the data's feature set, else the
    full model, loaded only when first needed (``load_full`` returns it)."""

    def __init__(self, compiled: CompiledModel, load_full: Any) -> None:
        self.compiled = compiled
        self._load_full = load_full
        self._full: Any = None
        self.reference_conditions_ = compiled.reference_conditions_
        self.scope = compiled.scope

    @property
    def full(self) -> Any:
        """The full (scikit-learn) model."""
        if self._full is None:
            self._full = self._load_full()
        return self._full

    def score_features(self, features: pd.DataFrame) -> pd.DataFrame:
        names = tuple(c for c in self.compiled.feature_names_in_ if c in features.columns)
        if self.compiled.supports(names):
            return self.compiled.score_features(features)
        return self.full.score_features(features)

    def report(self, likes: pd.DataFrame, include_likes: bool = False, scope: str | None = None):  # noqa: ANN201
        """Creator report, as :meth:`AuthenticityModel.report`."""
        from detector.features import build_like_features
        from detector.report import build_report

        features = build_like_features(likes, scope or self.scope)
        return build_report(self, likes, include_likes=include_likes, features=features)
