"""Scoring rows through node tables: all trees at once, level by level, on a few threads.

Trees are evaluated level by level for a block of rows and all trees at once
(:class:`Traversal`): every (tree, row) pair moves one level down per step, with numpy gathers
over node tables laid out so that a node's two children are adjacent. Blocks are sized to stay
in the CPU cache and consecutive chunks of rows are scored on a few threads (numpy releases the
GIL; :mod:`detector._threads`). Every row's result depends on that row alone and the per-tree
values are added in tree order, so none of this changes a score by a single bit. From
:data:`detector._jit.JIT_FROM_ROWS` rows the same node tables are walked by numba kernels
instead (:mod:`detector._jit`; same sums, bit for bit), either down the trees or through the
bit vectors of :class:`BitVectors`.
"""

from __future__ import annotations

import numpy as np

from detector import _jit
from detector._threads import map_row_chunks

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
            data = np.asfortranarray(data)  # the kernels read it feature by feature

            def work(start: int, stop: int) -> np.ndarray:
                return _jit.tree_sums(self, data[start:stop])
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
