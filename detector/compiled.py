"""A fitted model as plain arrays: fast to load, scored without scikit-learn, nothing unpickled.

:func:`compile_model` flattens what scoring needs from a fitted
:class:`~detector.model.AuthenticityModel` (the isolation forest and gradient-boosting trees of
each fitted feature set, the calibration arrays, the reference medians and condition shares)
into a ``.npz`` file written beside the ``.joblib`` artifact. :class:`CompiledModel` scores from
it with the same formulas; the scores equal scikit-learn's to within float rounding (tested to
1e-9). Loading it needs neither scikit-learn nor unpickling, so the command line starts fast and
a ``.npz`` file cannot run code. A feature set that was not fitted in advance (data lacking an
optional column) needs the full model: the caller falls back to the ``.joblib`` artifact.

Trees are evaluated level by level for a block of rows and all trees at once (see
:class:`Traversal`): every (tree, row) pair moves one level down per step, with numpy gathers
over node tables laid out so that a node's two children are adjacent. Blocks are sized to stay
in the CPU cache and consecutive chunks of rows are scored on a few threads (numpy releases the
GIL; :mod:`detector._threads`). Identical feature vectors, when a sample shows they repeat,
are scored once (:func:`distinct_rows`).
Every row's result depends on that row alone and the per-tree values are added in tree order, so
none of this changes a score by a single bit. From :data:`detector._jit.JIT_FROM_ROWS` rows the
same node tables are walked by a numba kernel instead (:mod:`detector._jit`; same sums, bit for
bit). When only flags are wanted (a creator report), :meth:`CompiledFeatureSet.flags` scores the
forest only for the likes whose flag the boosting head leaves open.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from detector import _jit
from detector._sorted import count_below
from detector._threads import map_row_chunks

FORMAT = "detector-compiled/1"
PAIRS_PER_BLOCK = 1 << 17
"""(tree, row) pairs moved together: enough for numpy's per-call cost to be small, few enough
for their buffers (a few MiB) to stay in the CPU's cache."""
ROWS_PER_TASK = 1 << 14
"""Rows scored by one thread task."""
CALL_COST_PAIRS = 4096
"""One numpy call costs about as much time as moving this many (tree, row) pairs one level."""
COMPACT_FROM = 4
"""First level at which a walk may drop the pairs that reached a leaf."""
COMPACT_SHARE = 0.25
"""Share of pairs at a leaf (in a sample) from which they are dropped from the walk."""
MIN_ROWS_DEDUP = 10_000
"""Fewer rows than this are scored as they are, without looking for identical vectors."""
DEDUP_SAMPLE_ROWS = 1 << 13
"""Rows (evenly spaced) whose hashes are checked for repeats before deduplicating in full."""
MIN_SAMPLE_REPEATS = 0.01
"""Share of repeated hashes in that sample below which rows are scored without deduplication
(on likes with full timing every vector is distinct, and the full search cost 0.16-0.5 s per
1M rows)."""


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
                "missing_left": ~leaf & nodes["missing_go_to_left"].astype(bool),
            }
        )
    flat = _flatten(trees)
    flat["missing_left"] = np.concatenate([t["missing_left"] for t in trees])
    flat["baseline"] = np.asarray(head._baseline_prediction, dtype=float).ravel()
    return flat


def _round_down_to_float32(values: np.ndarray) -> np.ndarray:
    """The largest float32 at most each value: for a float32 ``x``, ``x <= t`` (compared in
    float64, as scikit-learn's trees do) holds exactly when ``x <= _round_down_to_float32(t)``."""
    with np.errstate(over="ignore"):
        out = values.astype(np.float32)
    above = out.astype(np.float64) > values
    out[above] = np.nextafter(out[above], np.float32(-np.inf))
    return out


def _depth_groups(depths: np.ndarray, block_rows: int) -> list[tuple[int, int, int]]:
    """Split trees sorted by depth into runs ``(first, stop, levels)`` traversed together.

    A run is walked down to its deepest tree's depth, so merging runs wastes steps on shallower
    trees but saves numpy calls; the split minimises (levels x (pairs + CALL_COST_PAIRS)) summed
    over runs (dynamic programming over the distinct depths).
    """
    if len(depths) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, np.diff(depths) != 0])
    stops = np.r_[starts[1:], len(depths)]
    levels = depths[starts]
    best = [0.0] + [np.inf] * len(starts)
    cut = [0] * (len(starts) + 1)
    for j in range(1, len(starts) + 1):
        for i in range(j):
            trees = stops[j - 1] - starts[i]
            cost = best[i] + levels[j - 1] * (trees * block_rows + CALL_COST_PAIRS)
            if cost < best[j]:
                best[j], cut[j] = cost, i
    runs, j = [], len(starts)
    while j > 0:
        i = cut[j]
        runs.append((int(starts[i]), int(stops[j - 1]), int(levels[j - 1])))
        j = i
    return runs[::-1]


class Traversal:
    """Flattened trees laid out for fast level-by-level traversal; :meth:`sums` adds, for each
    row, the value of the leaf it reaches in every tree (``x <= threshold`` goes left).

    Nodes are renumbered level by level so that an internal node's children are adjacent
    (left, then right): one step is ``node = child[node] + (x > threshold[node])``, a leaf being
    its own child with an infinite threshold. The child and the feature share one integer
    (``child << shift | feature``). Trees are grouped by depth so that shallow trees stop early.
    ``dtype`` is the type the rows are compared in: float32 for scikit-learn's trees (which cast
    rows to float32; thresholds are rounded down to float32 so that the comparison is exact),
    float64 for histogram gradient boosting. A missing value (NaN) goes right, or left at nodes
    whose ``missing_left`` is set, as in scikit-learn's gradient boosting.
    """

    def __init__(
        self,
        trees: dict[str, np.ndarray],
        dtype: type = np.float64,
        missing_left: np.ndarray | None = None,
    ) -> None:
        feature, left, right = trees["feature"], trees["left"], trees["right"]
        roots = np.asarray(trees["roots"], dtype=np.int64)
        n_nodes, n_trees = len(feature), len(roots)
        is_leaf = left == np.arange(n_nodes)
        new = np.empty(n_nodes, dtype=np.int64)  # new number of each old node
        new[roots] = np.arange(n_trees)
        levels, frontier, owner = [roots], roots, np.arange(n_trees)
        depth = np.zeros(n_trees, dtype=np.int64)
        while True:
            inner = ~is_leaf[frontier]
            if not inner.any():
                break
            parents, owner = frontier[inner], owner[inner]
            depth[owner] += 1
            frontier = np.column_stack([left[parents], right[parents]]).ravel()
            owner = np.repeat(owner, 2)
            new[frontier] = sum(len(level) for level in levels) + np.arange(len(frontier))
            levels.append(frontier)
        old = np.concatenate(levels)  # old number of each new node
        if len(old) != n_nodes:
            raise ValueError("compiled trees hold nodes that no root reaches")
        leaf = is_leaf[old]
        child = np.where(leaf, np.arange(n_nodes), new[left[old]])
        feat = np.where(leaf, 0, feature[old]).astype(np.int64)
        self.n_features = int(feat.max()) + 1 if n_nodes else 1
        self.shift = max(1, (self.n_features - 1).bit_length())
        code = child << self.shift | feat
        self.index_dtype = np.int32 if code.max(initial=0) < 2**31 else np.int64
        self.code = code.astype(self.index_dtype)
        self.dtype = np.dtype(dtype)
        threshold = trees["threshold"][old]
        if self.dtype == np.float32:
            threshold = _round_down_to_float32(threshold)
        self.threshold = np.where(leaf, np.inf, threshold).astype(self.dtype)
        self.is_leaf = leaf
        self.right_if_missing = ~leaf
        if missing_left is not None:
            self.right_if_missing &= ~np.asarray(missing_left, dtype=bool)[old]
        self.value = np.asarray(trees["value"], dtype=np.float64)[old]
        self.n_trees = n_trees
        self.depth = depth  # levels of each tree, in tree order
        self.order = np.argsort(depth, kind="stable")  # trees in traversal order
        self.restore = None if np.all(np.diff(self.order) > 0) else np.argsort(self.order)
        self.block_rows = max(16, PAIRS_PER_BLOCK // max(n_trees, 1))
        self.groups = _depth_groups(depth[self.order], self.block_rows)
        self._bitvectors: BitVectors | None = None

    @property
    def bitvectors(self) -> BitVectors:
        """The trees as leaf bit masks (:class:`BitVectors`, built on first use)."""
        if self._bitvectors is None:
            self._bitvectors = BitVectors(self)
        return self._bitvectors

    def sums(
        self, matrix: np.ndarray, threads: int | None = None, jit: bool | None = None
    ) -> np.ndarray:
        """Per row, the sum over trees (in tree order) of the value of the leaf it reaches.

        Chunks of rows run on up to ``threads`` threads (default: :func:`cpu_threads`); the
        result does not depend on the number of threads. ``jit`` chooses the numba kernel of
        :mod:`detector._jit` (default: from :data:`~detector._jit.JIT_FROM_ROWS` rows, when
        numba is installed); it gives the same sums bit for bit.
        """
        data = np.asarray(matrix, dtype=self.dtype)
        if data.ndim != 2 or data.shape[1] < self.n_features:
            raise ValueError(
                f"expected a matrix of at least {self.n_features} columns, got shape {data.shape}"
            )
        if jit is None:
            jit = len(data) >= _jit.JIT_FROM_ROWS and _jit.jit_enabled()
        if jit:
            from detector._jit import tree_sums

            data = np.asfortranarray(data)  # the kernels read it feature by feature

            def work(start: int, stop: int) -> np.ndarray:
                return tree_sums(self, data[start:stop])
        else:
            data = np.ascontiguousarray(data)

            def work(start: int, stop: int) -> np.ndarray:
                return self._sums(data[start:stop])

        parts = map_row_chunks(work, len(data), ROWS_PER_TASK, threads)
        return np.concatenate(parts) if parts else np.empty(0)

    def _sums(self, data: np.ndarray) -> np.ndarray:
        n_cols, n_trees, block_rows = data.shape[1], self.n_trees, self.block_rows
        size = n_trees * min(block_rows, len(data))
        node = np.empty(size, self.index_dtype)
        buffers = (
            np.empty(size, self.index_dtype),  # flat index of the compared value
            np.empty(size, self.index_dtype),  # packed child and feature
            np.empty(size, self.dtype),  # compared value
            np.empty(size, self.dtype),  # threshold
            np.empty(size, bool),  # goes right
            np.empty(size, bool),  # value is missing
        )
        values = np.empty(size)
        out = np.empty(len(data))
        roots = self.order.astype(self.index_dtype)  # new numbers of roots are tree numbers
        offsets = np.arange(block_rows, dtype=self.index_dtype) * n_cols
        starts, bases = {}, {}  # per block length: each pair's root, and its row's offset
        for start in range(0, len(data), block_rows):
            block = data[start : start + block_rows]
            n = len(block)
            flat = block.ravel()
            has_missing = bool(np.isnan(flat).any())
            if n not in starts:
                starts[n] = np.repeat(roots, n)
                bases[n] = np.tile(offsets[:n], n_trees)
            base = bases[n]
            pairs = node[: n * n_trees]
            pairs[:] = starts[n]
            for first, stop, depth in self.groups:
                self._walk(
                    pairs[first * n : stop * n],
                    base[first * n : stop * n],
                    depth,
                    flat,
                    has_missing,
                    buffers,
                )
            leaf_values = values[: n * n_trees]
            np.take(self.value, pairs, out=leaf_values, mode="clip")
            per_tree = leaf_values.reshape(n_trees, n)
            if self.restore is not None:
                per_tree = per_tree[self.restore]
            out[start : start + n] = per_tree.sum(axis=0)
        return out

    def _walk(
        self,
        pairs: np.ndarray,
        base: np.ndarray,
        depth: int,
        flat: np.ndarray,
        has_missing: bool,
        buffers: tuple[np.ndarray, ...],
    ) -> None:
        """Move ``pairs`` (node numbers, updated in place) ``depth`` levels down.

        Every other level from :data:`COMPACT_FROM` on, when a sample shows that at least
        :data:`COMPACT_SHARE` of the pairs being walked have reached a leaf, the walk goes on
        with the others only (deep, unbalanced trees such as gradient boosting's).
        """
        code, threshold, shift = self.code, self.threshold, self.shift
        mask = (1 << shift) - 1
        nd, bs, active = pairs, base, None  # active: positions in pairs still walked
        for level in range(depth):
            if level >= COMPACT_FROM and level % 2 == 0 and depth - level >= 2 and len(nd) > 64:
                if self.is_leaf[nd[::16]].mean() >= COMPACT_SHARE:
                    if active is not None:
                        pairs[active] = nd
                    keep = np.flatnonzero(~self.is_leaf[nd])
                    active = keep if active is None else active[keep]
                    nd, bs = nd[keep], bs[keep]
            m = len(nd)
            ix, cd, xs, th, go, miss = (buffer[:m] for buffer in buffers)
            np.take(code, nd, out=cd, mode="clip")
            np.bitwise_and(cd, mask, out=ix)
            np.add(ix, bs, out=ix)
            np.take(flat, ix, out=xs, mode="clip")
            np.take(threshold, nd, out=th, mode="clip")
            np.greater(xs, th, out=go)
            if has_missing:
                np.isnan(xs, out=miss)
                if miss.any():
                    go[miss] = self.right_if_missing[nd[miss]]
            np.right_shift(cd, shift, out=nd)
            np.add(nd, go, out=nd)
        if active is not None:
            pairs[active] = nd


class BitVectors:
    """The trees of a :class:`Traversal` as leaf bit masks, for the numba kernel's bit-vector
    scoring (:func:`detector._jit.tree_sums`; the QuickScorer idea of Lucchese et al., 2015).

    Each tree's leaves are numbered left to right and held as bits of one or more machine words
    (32-bit words when every tree has at most 32 leaves, else 64-bit). Going right at an inner
    node rules out the leaves of its left subtree: the node becomes one *entry* per word those
    leaves touch, ``(word, feature, threshold, mask)`` with the mask clearing them. For a row,
    AND-ing into all-ones words the masks of every entry whose threshold its value exceeds
    leaves, in each tree, the lowest set bit on the very leaf the walk reaches (the leftmost leaf
    not ruled out). Entries are sorted by feature, then threshold, so that a block of rows stops
    at the first threshold none of its values exceeds. The same comparisons (``x > threshold``,
    missing values by ``right_if_missing``) and the same tree order of the sum make the sums
    equal the walk's bit for bit.
    """

    def __init__(self, traversal: Traversal) -> None:
        t = traversal
        mask = (1 << t.shift) - 1
        child = (t.code.astype(np.int64) >> t.shift).tolist()
        feature = (t.code.astype(np.int64) & mask).tolist()
        is_leaf = t.is_leaf.tolist()
        n_nodes = len(is_leaf)
        leaves_under = [1] * n_nodes  # children are numbered after their parent
        for node in range(n_nodes - 1, -1, -1):
            if not is_leaf[node]:
                leaves_under[node] = leaves_under[child[node]] + leaves_under[child[node] + 1]
        widest = max((leaves_under[root] for root in range(t.n_trees)), default=1)
        bits = 32 if widest <= 32 else 64
        first_leaf = [0] * n_nodes  # number of the node's leftmost leaf within its tree
        tree_of = [0] * n_nodes
        for root in range(t.n_trees):
            tree_of[root] = root
        words_before = np.zeros(t.n_trees + 1, dtype=np.int64)
        words_before[1:] = np.cumsum([-(-leaves_under[r] // bits) for r in range(t.n_trees)])
        leaf_slot = np.zeros(n_nodes, dtype=np.int64)
        entries: list[tuple[int, int, int, int]] = []  # node, word, feature, cleared bits
        for node in range(n_nodes):  # parents before children
            tree, lo = tree_of[node], first_leaf[node]
            if is_leaf[node]:
                leaf_slot[node] = words_before[tree] * bits + lo
                continue
            left = child[node]
            mid = lo + leaves_under[left]
            first_leaf[left], first_leaf[left + 1] = lo, mid
            tree_of[left] = tree_of[left + 1] = tree
            for k in range(lo // bits, (mid - 1) // bits + 1):
                a, b = max(lo, k * bits) - k * bits, min(mid, (k + 1) * bits) - k * bits
                cleared = ((1 << (b - a)) - 1) << a
                entries.append((node, int(words_before[tree]) + k, feature[node], cleared))
        nodes = np.array([e[0] for e in entries], dtype=np.int64)
        features = np.array([e[2] for e in entries], dtype=np.int64)
        threshold = t.threshold[nodes]
        order = np.lexsort((threshold, features))
        word_type = np.uint32 if bits == 32 else np.uint64
        full = (1 << bits) - 1
        self.bits = bits
        self.word = np.array([e[1] for e in entries], dtype=np.int64)[order]
        self.feature_start = np.searchsorted(features[order], np.arange(t.n_features + 1))
        self.threshold = np.ascontiguousarray(threshold[order])
        self.mask = np.array([full ^ e[3] for e in entries], dtype=word_type)[order]
        self.right_if_missing = t.right_if_missing[nodes][order]
        self.tree_words = words_before
        self.value = np.zeros(int(words_before[-1]) * bits)
        self.value[leaf_slot[t.is_leaf]] = t.value[t.is_leaf]

    @property
    def n_entries(self) -> int:
        """Entries each row is compared with (at most)."""
        return len(self.word)


def _row_hashes(bits: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of a uint64 matrix: each element, offset by a constant of its
    column, goes through splitmix64's finaliser; the row's hash is the wrapping sum. Computed
    in chunks of rows that stay in the cache."""
    offsets = np.uint64(0x9E3779B97F4A7C15) * np.arange(1, bits.shape[1] + 1, dtype=np.uint64)
    out = np.empty(len(bits), dtype=np.uint64)
    step = max(1, (1 << 17) // max(bits.shape[1], 1))
    z = np.empty((min(step, len(bits)), bits.shape[1]), dtype=np.uint64)
    t = np.empty_like(z)
    for start in range(0, len(bits), step):
        chunk = bits[start : start + step]
        zc, tc = z[: len(chunk)], t[: len(chunk)]
        np.add(chunk, offsets, out=zc)
        for shift, factor in ((30, 0xBF58476D1CE4E5B9), (27, 0x94D049BB133111EB), (31, None)):
            np.right_shift(zc, np.uint64(shift), out=tc)
            np.bitwise_xor(zc, tc, out=zc)
            if factor is not None:
                np.multiply(zc, np.uint64(factor), out=zc)
        zc.sum(axis=1, dtype=np.uint64, out=out[start : start + len(chunk)])
    return out


def distinct_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """``(first, inverse)`` such that ``matrix[first][inverse]`` equals ``matrix`` bit for bit
    and ``matrix[first]`` has no two identical rows, or None when every row is distinct or
    repeats are too rare to be worth it (fewer than :data:`MIN_SAMPLE_REPEATS` of an evenly
    spaced sample of :data:`DEDUP_SAMPLE_ROWS` rows' hashes).

    Rows are hashed and the hashes factorised; rows are then checked bit for bit against the
    first row with the same hash, so a hash collision only means no deduplication. Rows that
    differ only in the sign of a zero or in a NaN's payload count as different.
    """
    data = np.asarray(matrix, dtype=np.float64)  # either layout: not copied
    if data.ndim != 2 or len(data) < 2:
        return None
    bits = data.view(np.uint64)
    sample = np.sort(_row_hashes(bits[:: max(1, len(bits) // DEDUP_SAMPLE_ROWS)]))
    repeats = len(sample) - 1 - np.count_nonzero(np.diff(sample))
    if repeats < MIN_SAMPLE_REPEATS * len(sample):
        return None  # too few repeats for deduplication to pay (only the sample was hashed)
    inverse, uniques = pd.factorize(_row_hashes(bits))
    if len(uniques) == len(data):
        return None
    inverse = inverse.astype(np.intp)
    seen = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.r_[True, inverse[1:] > seen[:-1]])  # codes number first sightings
    for start in range(0, len(data), ROWS_PER_TASK):
        stop = start + ROWS_PER_TASK
        if not np.array_equal(bits[first[inverse[start:stop]]], bits[start:stop]):
            return None  # a hash collision between different rows: score every row
    return first, inverse


TIE_TOLERANCE = 1e-12
"""Scores closer than this count as equal when ranked or compared with the threshold, so that
scikit-learn's and the compiled traversal's rounding (a few 1e-16, from summing trees in another
order) never moves a like past a calibration score: both paths give identical outputs."""


def rank_below(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many of ``sorted_values`` lie below each value (ties within the tolerance excluded)."""
    return count_below(sorted_values, np.asarray(values) - TIE_TOLERANCE)


def above(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Scores above the threshold by more than the tolerance: the flag rule."""
    return np.asarray(scores) > threshold + TIE_TOLERANCE


def model_input(
    matrix: pd.DataFrame,
    medians: dict[str, float],
    floors: dict[str, float] | None = None,
    ceilings: dict[str, float] | None = None,
) -> np.ndarray:
    """The float64 array the scorers see: missing values take the reference median, then a
    feature with a floor (ceiling) is raised (lowered) to it. Models cap one-sided features at
    the reference median on their innocent side (see ``AuthenticityModel(one_sided=True)``).
    One row per like, laid out feature by feature (Fortran order), as the tree kernels read it."""
    return _filled(matrix, medians, floors, ceilings)[0]


def _filled(
    matrix: pd.DataFrame,
    medians: dict[str, float],
    floors: dict[str, float] | None = None,
    ceilings: dict[str, float] | None = None,
) -> tuple[np.ndarray, int]:
    """:func:`model_input` and how many values were missing, counted as they are filled."""
    columns = np.empty(matrix.shape[::-1], dtype=np.float64)  # one feature per row
    missing_values = 0
    kernels = _jit.kernels_for(len(matrix))
    for j, name in enumerate(matrix.columns):
        column = columns[j]
        source = matrix[name].to_numpy(dtype=np.float64, na_value=np.nan)
        if kernels is not None:  # one pass, the same values (NaN, -inf, inf: no change)
            median = float(medians.get(name, np.nan))
            floor = float((floors or {}).get(name, -np.inf))
            ceiling = float((ceilings or {}).get(name, np.inf))
            missing_values += kernels.fill_column(source, column, median, floor, ceiling)
            continue
        column[:] = source
        missing = np.isnan(column)
        missing_values += int(np.count_nonzero(missing))
        if name in medians:
            np.copyto(column, medians[name], where=missing)
        if floors and name in floors:
            np.maximum(column, floors[name], out=column)
        if ceilings and name in ceilings:
            np.minimum(column, ceilings[name], out=column)
    return columns.T, missing_values


def score_matrix(
    fitted: Any,
    matrix: pd.DataFrame,
    medians: dict[str, float],
    floors: dict[str, float] | None = None,
    ceilings: dict[str, float] | None = None,
    flags_only: bool = False,
) -> pd.DataFrame:
    """Per-like ``score``, ``suspicion``, ``probability`` and ``flagged`` from a fitted (or
    compiled) feature set; shared by the full and the compiled model. ``flags_only``: only
    ``flagged`` (the same flags; a compiled set then skips the forest for the likes whose flag
    the head alone settles, :meth:`CompiledFeatureSet.flags`)."""
    values, imputed = _filled(matrix, medians, floors, ceilings)
    if flags_only:
        if hasattr(fitted, "flags"):
            flags = fitted.flags(values)
        else:
            flags = above(fitted.score(values), fitted.threshold)
        out = pd.DataFrame({"flagged": flags}, index=matrix.index)
    else:
        scores = fitted.score(values)
        calibration = fitted.calibration_scores
        suspicion = rank_below(calibration, scores) / max(len(calibration), 1)
        out = pd.DataFrame(
            {
                "score": scores,
                "suspicion": suspicion,
                "probability": fitted.probability(scores),
                "flagged": above(scores, fitted.threshold),
            },
            index=matrix.index,
        )
    out.attrs.update(
        features=list(matrix.columns),
        fpr=fitted.fpr,
        tpr=fitted.tpr,
        fpr_size=getattr(fitted, "fpr_size", np.inf),
        tpr_size=getattr(fitted, "tpr_size", np.inf),
        fpr_spread=getattr(fitted, "fpr_spread", 0.0),
        tpr_spread=getattr(fitted, "tpr_spread", 0.0),
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
        self.fpr_spread = float(meta.get("fpr_spread", 0.0))  # absent before spreads existed
        self.tpr_spread = float(meta.get("tpr_spread", 0.0))
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


def model_arrays(
    model: Any, only: Iterable[tuple[str, ...]] | None = None
) -> dict[str, np.ndarray]:
    """The arrays that scoring needs for every fitted feature set, or for those in ``only``
    (what :func:`compile_model` writes; ``meta`` holds the rest as JSON bytes)."""
    arrays: dict[str, np.ndarray] = {}
    sets = []
    wanted = None if only is None else set(only)
    fitted_sets = [f for f in model._cache.values() if wanted is None or f.features in wanted]
    for index, fitted in enumerate(fitted_sets):
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
                "fpr_spread": float(getattr(fitted, "fpr_spread", 0.0)),
                "tpr_spread": float(getattr(fitted, "tpr_spread", 0.0)),
            }
        )
    meta = {
        "format": FORMAT,
        "sets": sets,
        "feature_names_in": [str(n) for n in model.feature_names_in_],
        "medians": {k: float(v) for k, v in model.medians_.items()},
        "floors": {k: float(v) for k, v in getattr(model, "floors_", {}).items()},
        "ceilings": {k: float(v) for k, v in getattr(model, "ceilings_", {}).items()},
        "reference_conditions": model.reference_conditions_,
        "scope": model.scope,
        "supervised": bool(model.supervised_),
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    return arrays


def compile_model(model: Any, path: str | Path) -> Path:
    """Write the arrays that scoring needs for every fitted feature set to ``path`` (.npz)."""
    path = Path(path)
    with open(path, "wb") as handle:
        np.savez(handle, **model_arrays(model))
    return path


class CompiledModel:
    """Scores likes from a compiled ``.npz`` model; a drop-in for report and per-like scoring."""

    def __init__(
        self, path: str | Path | None, arrays: dict[str, np.ndarray] | None = None
    ) -> None:
        if arrays is None:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        arrays = dict(arrays)
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
        self.floors_ = meta.get("floors", {})  # absent from models compiled before one-sided caps
        self.ceilings_ = meta.get("ceilings", {})
        self.reference_conditions_ = meta["reference_conditions"]
        self.scope = meta["scope"]
        self.supervised_ = meta["supervised"]

    @classmethod
    def from_model(cls, model: Any) -> CompiledModel:
        """The feature sets fitted so far in ``model``, compiled in memory (no file)."""
        return cls(None, model_arrays(model))

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


class Scorer:
    """A model for scoring: the compiled arrays when they cover the data's feature set, else the
    full model, loaded only when first needed (``load_full`` returns it)."""

    def __init__(self, compiled: CompiledModel, load_full: Any, cache: Any = None) -> None:
        self.compiled = compiled
        self._load_full = load_full
        self._full: Any = None
        self.cache = cache
        """A :class:`detector.profile_cache.ProfileCache`: feature sets the arrays lack are
        fitted once, compiled and kept there (None: scored by the full model each time)."""
        self.reference_conditions_ = compiled.reference_conditions_
        self.scope = compiled.scope

    @property
    def full(self) -> Any:
        """The full (scikit-learn) model."""
        if self._full is None:
            self._full = self._load_full()
        return self._full

    def warm(self, present: Iterable[str], scope: str) -> None:
        """Prepare the feature set that input columns ``present`` give in ``scope``: its trees
        laid out for the walk and the kernels (about 10 ms) if it was compiled, else the full
        model loaded and that set fitted (:func:`detector.engines.warm_model`)."""
        from detector.features.catalogue import available_features

        available = set(available_features(list(present), scope))
        names = tuple(n for n in self.compiled.feature_names_in_ if n in available)
        if names and self._compiled(names):
            for trees in self.compiled.sets[names].traversals:
                if trees is not None:
                    trees.bitvectors  # noqa: B018 - built on first use
            return
        from detector.engines import warm_model

        warm_model(self.full, present, scope)

    def loading_full_with(self, load_full: Any) -> Scorer:
        """The same compiled arrays with another way to load the full model (for instance from
        a file, so that the scorer pickles without it)."""
        return Scorer(self.compiled, load_full, self.cache)

    def score_features(self, features: pd.DataFrame, flags_only: bool = False) -> pd.DataFrame:
        names = tuple(c for c in self.compiled.feature_names_in_ if c in features.columns)
        if self._compiled(names):
            return self.compiled.score_features(features, flags_only)
        return self.full.score_features(features, flags_only)

    def _compiled(self, names: tuple[str, ...]) -> bool:
        """Whether feature set ``names`` is compiled, after looking in the cache (and, with a
        cache, fitting it from the full model, compiling it and keeping it there)."""
        if self.compiled.supports(names):
            return True
        if self.cache is None:
            return False
        found = self.cache.load(names)
        if found is None:
            self.full.feature_set(names)  # deterministic: the same arrays in any process
            arrays = model_arrays(self.full, only=[names])
            found = CompiledModel(None, arrays).sets[names]
            self.cache.store(names, arrays)
        self.compiled.sets[names] = found
        return True

    def report(self, likes: pd.DataFrame, include_likes: bool = False, scope: str | None = None):  # noqa: ANN201
        """Creator report, as :meth:`AuthenticityModel.report` (large tables in slices of whole
        creators on threads, :func:`detector.engines.sliced.report_likes`)."""
        from detector.engines.sliced import report_likes

        return report_likes(self, likes, include_likes, scope or self.scope)


class _Given:
    """A picklable ``load_full`` for :class:`Scorer` that returns a model already in memory."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def __call__(self) -> Any:
        return self.model


def compiled_scorer(model: Any, threads: int | None = None) -> Scorer:
    """A fast drop-in for ``model`` in :func:`detector.report.build_report` and
    ``score_features``: the feature sets fitted so far, compiled in memory and scored with
    :class:`Traversal` (threads, identical rows once), the model itself for any other set.

    Fit (warm) the feature sets the data will use first. ``threads`` caps the threads of each
    scoring call (default: ``DETECTOR_THREADS`` or the CPUs available; 1 in engine workers that
    already run one process per core). Scores equal the model's to float rounding (1e-9,
    tested). The result pickles (with the model inside), e.g. for Dask workers.
    """
    compiled = CompiledModel.from_model(model)
    for fitted in compiled.sets.values():
        fitted.threads = threads
    return Scorer(compiled, _Given(model))
