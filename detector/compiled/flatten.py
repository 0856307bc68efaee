"""Fitted scikit-learn trees as plain node tables.

:func:`forest_tables` and :func:`boosting_tables` read an isolation forest's and a gradient-
boosting head's trees into one table each (feature, threshold, children, leaf value per node,
trees stacked), the form the artifact stores and :mod:`.traversal` walks. Only the fitted
trees' public arrays and the head's predictors are read, so this is the one place that knows
scikit-learn's tree layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np


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


def forest_tables(forest: Any) -> dict[str, np.ndarray]:
    """An isolation forest's trees; a leaf's value is its depth plus the expected path length
    below it, and ``normaliser`` the expected path length of the forest's sample size."""
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


def boosting_tables(head: Any) -> dict[str, np.ndarray]:
    """A binary gradient-boosting classifier's trees, with where missing values go and the
    baseline the leaf values are added to."""
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
                "missing_left": ~leaf & nodes["missing_go_to_left"].astype(bool),
            }
        )
    flat = _flatten(trees)
    flat["missing_left"] = np.concatenate([t["missing_left"] for t in trees])
    flat["baseline"] = np.asarray(head._baseline_prediction, dtype=float).ravel()
    return flat
