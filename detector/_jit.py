"""Compiled tree traversal with numba, for large inputs.

:class:`detector.compiled.Traversal` walks trees with numpy gathers, one level of every
(tree, row) pair per call; that costs a few nanoseconds per step in temporary arrays. The kernel
here walks the same node tables in machine code: for a block of rows, tree after tree, every
row one level down per step (independent rows, so the CPU overlaps their memory loads), adding
each tree's leaf value in tree order. It reads the same arrays with the same comparisons and
adds in the same order, so its sums equal the numpy walk's bit for bit (tested). Measured on 1M
likes of the default model, one core: about twice as fast as the numpy walk; walking one row at
a time to its leaf, or stopping a block early once all its rows reached leaves, was slower.

Deep trees (gradient boosting's, grown leaf by leaf up to 18 levels) are walked in two phases:
their first :data:`FULL_LEVELS` levels for every row of the block, then level by level only for
the rows not yet at a leaf (a list compacted without branches). On the default model's head the
rows reach their leaf after 5.9 levels on average, against 11.7 levels walked in full: 1.3x
faster on that ensemble. The isolation forest's trees (8 levels, most rows going to the bottom)
are walked in full, where keeping the list measured slower.

numba is imported, and the kernel compiled (about a second, cached on disk after the first
time), only when a traversal is large enough to repay it (:data:`JIT_FROM_ROWS`); small inputs,
such as one creator scored from the command line, never pay for it. ``DETECTOR_JIT=0`` turns
the kernel off.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np

ENV = "DETECTOR_JIT"
JIT_FROM_ROWS = 50_000
"""Rows from which a traversal uses the compiled kernel (when numba is installed)."""
BLOCK_ROWS = 64
"""Rows walked together down each tree."""
FULL_LEVELS = 5
"""Levels of a deep tree walked for every row before rows at a leaf are dropped."""
SHALLOW_DEPTH = 8
"""Trees at most this deep are walked in full by every row."""


def jit_enabled() -> bool:
    """Whether the compiled kernel may be used: numba is installed and ``DETECTOR_JIT`` is not 0."""
    if os.environ.get(ENV, "").strip() in {"0", "false", "no"}:
        return False
    return _kernel() is not None


@cache
def _kernel() -> Any:
    """The compiled kernel, or None without numba."""
    try:
        import numba
    except ImportError:
        return None

    @numba.njit(nogil=True, cache=True, inline="always")
    def child(row: np.ndarray, node: int, tables: tuple) -> int:
        """The node one level below ``node`` for ``row`` (a leaf is its own child)."""
        code, threshold, right_if_missing, shift, has_missing = tables
        packed = code[node]
        x = row[packed & ((1 << shift) - 1)]
        right = x > threshold[node]
        if has_missing and x != x:
            right = right_if_missing[node]
        return (packed >> shift) + right

    @numba.njit(nogil=True, cache=True)
    def walk(
        data: np.ndarray,
        code: np.ndarray,
        threshold: np.ndarray,
        value: np.ndarray,
        right_if_missing: np.ndarray,
        is_leaf: np.ndarray,
        depths: np.ndarray,
        shift: int,
        has_missing: bool,
        full_levels: int,
        shallow_depth: int,
        out: np.ndarray,
    ) -> None:
        n_rows = data.shape[0]
        nodes = np.empty(BLOCK_ROWS, np.int64)
        active = np.empty(BLOCK_ROWS, np.int64)  # rows of the block not yet at a leaf
        acc = np.empty(BLOCK_ROWS, np.float64)
        tables = (code, threshold, right_if_missing, shift, has_missing)
        for first in range(0, n_rows, BLOCK_ROWS):
            m = min(BLOCK_ROWS, n_rows - first)
            acc[:m] = 0.0
            for tree in range(depths.shape[0]):
                depth = depths[tree]
                full = depth if depth <= shallow_depth else min(full_levels, depth)
                nodes[:m] = tree  # a root's number is its tree's number
                for _ in range(full):
                    for i in range(m):
                        nodes[i] = child(data[first + i], nodes[i], tables)
                n_active = 0
                if full < depth:
                    for i in range(m):
                        active[n_active] = i
                        n_active += not is_leaf[nodes[i]]
                while n_active > 0:
                    still = 0
                    for j in range(n_active):
                        i = active[j]
                        nodes[i] = child(data[first + i], nodes[i], tables)
                        active[still] = i
                        still += not is_leaf[nodes[i]]
                    n_active = still
                for i in range(m):
                    acc[i] += value[nodes[i]]
            out[first : first + m] = acc[:m]

    return walk


def tree_sums(
    traversal: Any,
    data: np.ndarray,
    full_levels: int = FULL_LEVELS,
    shallow_depth: int = SHALLOW_DEPTH,
) -> np.ndarray:
    """Per row of ``data`` (already in the traversal's dtype), the sum over trees of the leaf
    values, as :meth:`detector.compiled.Traversal.sums` computes it.

    ``full_levels`` and ``shallow_depth`` only change the speed (see the module's notes).
    """
    out = np.empty(len(data), dtype=np.float64)
    _kernel()(
        data,
        traversal.code,
        traversal.threshold,
        traversal.value,
        traversal.right_if_missing,
        traversal.is_leaf,
        traversal.depth,
        traversal.shift,
        bool(np.isnan(data).any()),
        full_levels,
        shallow_depth,
        out,
    )
    return out
