"""Counts over sorted arrays: ranks among reference values, and neighbours within a window.

Both are ``np.searchsorted`` at heart. From :data:`detector._jit.JIT_FROM_ROWS` values they run
as numba kernels (:mod:`detector._kernels`) that give the same integers: for the ranks, a
search among the few reference values of the value's bin (faster than numpy's binary search
over all the calibration scores, whose branches are mispredicted on scores in random order), and
for the windows two forward pointers (the keys are already sorted, so every search would start
where the last one ended). Small inputs never import numba.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from detector import _jit

__all__ = ["count_below", "creator_cuts", "window_counts"]


def count_below(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    """How many of ``sorted_values`` (ascending, NaN last) are less than each value:
    ``np.searchsorted(sorted_values, values, "left")``."""
    sorted_values = np.asarray(sorted_values, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    kernels = _jit.kernels_for(values.size)
    if kernels is None or values.ndim != 1:
        return np.searchsorted(sorted_values, values, side="left")
    out = np.empty(len(values), dtype=np.intp)
    kernels.count_below(np.ascontiguousarray(sorted_values), values, out)
    return out


def window_counts(
    sorted_keys: np.ndarray, half_width: int, sorted_queries: np.ndarray | None = None
) -> np.ndarray:
    """For each of ``sorted_queries`` (int64, ascending; default: the keys themselves), how
    many of ``sorted_keys`` (int64, ascending) lie within ``half_width`` of it, both ends
    included."""
    queries = sorted_keys if sorted_queries is None else sorted_queries
    kernels = _jit.kernels_for(max(len(sorted_keys), len(queries)))
    if kernels is None:
        lo = np.searchsorted(sorted_keys, queries - half_width, side="left")
        hi = np.searchsorted(sorted_keys, queries + half_width, side="right")
        return hi - lo
    out = np.empty(len(queries), dtype=np.intp)
    keys = np.ascontiguousarray(sorted_keys, dtype=np.int64)
    queries = keys if sorted_queries is None else np.ascontiguousarray(queries, dtype=np.int64)
    kernels.window_counts(keys, queries, half_width, out)
    return out


def creator_cuts(
    starts: np.ndarray, aims: Sequence[int] | np.ndarray, total: int, min_rows: int = 0
) -> list[int]:
    """Cut positions from 0 to ``total``: for each aim, the first creator start at or after it
    (``starts``: sorted, from 0), leaving out cuts less than ``min_rows`` after the one before."""
    found = starts[np.minimum(np.searchsorted(starts, aims), len(starts) - 1)]
    cuts = [0]
    for cut in np.unique(found).tolist():
        if 0 < cut < total and cut - cuts[-1] >= min_rows:
            cuts.append(cut)
    return [*cuts, total]
