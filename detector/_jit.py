"""Compiled tree scoring with numba, for large inputs: two kernels over the same trees.

:class:`detector.compiled.Traversal` walks trees with numpy gathers, one level of every
(tree, row) pair per call, every step through temporary arrays. The kernels
(:mod:`detector._kernels`) do the same work in machine code, with the same comparisons, adding
each tree's leaf value in tree order, so their sums equal the numpy walk's bit for bit (tested).

- **Bit vectors** (:class:`detector.compiled.BitVectors`, the QuickScorer idea): a block of
  :data:`detector._kernels.BLOCK_ROWS` rows is compared with every inner node's threshold, feature by feature and
  in threshold order, and each comparison a row fails clears, with one AND, the leaves that node
  rules out; the leaf reached is the lowest bit left. No step depends on the one before, so the
  CPU runs the comparisons of many rows at once (SIMD). It gains most on the boosting head's
  small trees, little on the isolation forest's larger ones (see BENCHMARKS.md, Speed).
- **Walk**: for a block of rows, tree after tree, every row one level down per step. Deep trees
  are walked in two phases: their first :data:`FULL_LEVELS` levels for every row, then only the
  rows not yet at a leaf (a list compacted without branches). It stays the better choice for
  trees with many leaves and few levels (an isolation forest grown on thousands of samples),
  where a row would be compared with far more nodes than it visits.

:func:`prefers_bitvectors` chooses per ensemble from the entries a row is compared with and the
levels the walk takes (:data:`ENTRIES_PER_STEP`).

numba is imported only when a traversal is large enough to repay it (:data:`JIT_FROM_ROWS`);
small inputs, such as one creator scored from the command line, never pay for it. The kernels
are compiled once and cached on disk, so later processes only load them.
``DETECTOR_JIT=0`` turns them off.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import numpy as np

ENV = "DETECTOR_JIT"
JIT_FROM_ROWS = 50_000
"""Rows from which a traversal uses the compiled kernel (when numba is installed)."""
FULL_LEVELS = 5
"""Levels of a deep tree walked for every row before rows at a leaf are dropped."""
SHALLOW_DEPTH = 8
"""Trees at most this deep are walked in full by every row."""
ENTRIES_PER_STEP = 12
"""The bit-vector kernel is chosen while it compares each row with at most this many entries
per level the walk would take: about the ratio of what a step of the walk costs a row to what
an entry costs it, both measured on one core."""


def jit_enabled() -> bool:
    """Whether the compiled kernel may be used: numba is installed and ``DETECTOR_JIT`` is not 0."""
    if os.environ.get(ENV, "").strip() in {"0", "false", "no"}:
        return False
    return _kernels() is not None


def prepare() -> None:
    """Import numba and start its code generator now (a fixed cost in each new process), so
    that the first large traversal only loads its kernels from the disk cache."""
    kernels = _kernels() if jit_enabled() else None
    if kernels is not None:
        kernels.ready()


def kernels_for(rows: int) -> Any:
    """The compiled kernels for an input of ``rows`` values, or None: below
    :data:`JIT_FROM_ROWS` (numba is then never imported), without numba, or turned off."""
    if rows < JIT_FROM_ROWS or not jit_enabled():
        return None
    return _kernels()


@cache
def _kernels() -> Any:
    """The module of compiled kernels (:mod:`detector._kernels`), or None without numba."""
    try:  # optional: numba, imported only for inputs large enough to repay it
        from detector import _kernels
    except ImportError:
        return None
    return _kernels


def prefers_bitvectors(traversal: Any) -> bool:
    """Whether the bit-vector kernel is expected to be faster than the walk for these trees:
    its entries per row against the walk's steps, weighed by their measured costs."""
    steps = int(traversal.depth.sum())
    return traversal.bitvectors.n_entries <= ENTRIES_PER_STEP * steps


def tree_sums(
    traversal: Any,
    data: np.ndarray,
    full_levels: int = FULL_LEVELS,
    shallow_depth: int = SHALLOW_DEPTH,
    kernel: str = "auto",
) -> np.ndarray:
    """Per row of ``data`` (already in the traversal's dtype), the sum over trees of the leaf
    values, as :meth:`detector.compiled.Traversal.sums` computes it.

    ``kernel`` is "walk", "bitvector" or "auto" (:func:`prefers_bitvectors`); it, like
    ``full_levels`` and ``shallow_depth`` (the walk's), only changes the speed.
    """
    out = np.empty(len(data), dtype=np.float64)
    has_missing = bool(np.isnan(data).any())
    if kernel == "auto":
        kernel = "bitvector" if prefers_bitvectors(traversal) else "walk"
    if kernel == "bitvector":
        vectors = traversal.bitvectors
        _kernels().bitvector(
            data.T,  # feature by feature: no copy for the Fortran-ordered model input
            vectors.word,
            vectors.feature_start,
            vectors.threshold,
            vectors.mask,
            vectors.right_if_missing,
            vectors.tree_words,
            vectors.value,
            vectors.bits,
            has_missing,
            out,
        )
        return out
    if kernel != "walk":
        raise ValueError(f"kernel must be 'auto', 'walk' or 'bitvector', got {kernel!r}")
    _kernels().walk(
        np.ascontiguousarray(data),  # row by row
        traversal.code,
        traversal.threshold,
        traversal.value,
        traversal.right_if_missing,
        traversal.is_leaf,
        traversal.depth,
        traversal.shift,
        has_missing,
        full_levels,
        shallow_depth,
        out,
    )
    return out
