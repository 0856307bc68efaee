"""The numba kernels behind :mod:`detector._jit` (tree sums), :mod:`detector._sorted` (counts
over sorted arrays) and the timing features (:mod:`detector.features.timing`), imported only
when an input is large enough to use them.

Defined at module level, so that numba's on-disk cache finds them again in a new process (a
kernel defined inside a function was compiled again in every process).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

BLOCK_ROWS = 64
"""Rows walked together down each tree."""


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


@intrinsic
def trailing_zeros(typingctx: Any, word: Any) -> Any:
    """Index of the lowest set bit of a nonzero unsigned word (one instruction)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        (value,) = args
        width = value.type.width
        kind = ir.FunctionType(ir.IntType(width), [ir.IntType(width), ir.IntType(1)])
        function = cgutils.get_or_insert_function(builder.module, kind, f"llvm.cttz.i{width}")
        return builder.call(function, [value, ir.Constant(ir.IntType(1), 0)])

    return word(word), codegen


@numba.njit(nogil=True, cache=True)
def bitvector(
    columns_in: np.ndarray,
    word: np.ndarray,
    feature_start: np.ndarray,
    threshold: np.ndarray,
    mask: np.ndarray,
    right_if_missing: np.ndarray,
    tree_words: np.ndarray,
    value: np.ndarray,
    bits: int,
    has_missing: bool,
    out: np.ndarray,
) -> None:
    n_rows = columns_in.shape[1]  # the rows, feature by feature: one row per feature
    n_features = feature_start.shape[0] - 1
    n_trees = tree_words.shape[0] - 1
    columns = np.empty((n_features, BLOCK_ROWS), columns_in.dtype)  # the block
    leaves = np.empty((tree_words[-1], BLOCK_ROWS), mask.dtype)
    acc = np.empty(BLOCK_ROWS, np.float64)
    full = mask[0] | ~mask[0]
    for first in range(0, n_rows, BLOCK_ROWS):
        m = min(BLOCK_ROWS, n_rows - first)
        for f in range(n_features):
            for i in range(m):
                columns[f, i] = columns_in[f, first + i]
        columns[:, m:] = -np.inf  # padding rows never go right
        leaves[:, :] = full
        for f in range(n_features):
            if has_missing:
                for e in range(feature_start[f], feature_start[f + 1]):
                    t, w, clear, miss = threshold[e], word[e], mask[e], right_if_missing[e]
                    for i in range(BLOCK_ROWS):
                        x = columns[f, i]
                        leaves[w, i] &= clear if (x > t or (miss and x != x)) else full
            else:
                largest = columns[f, 0]
                for i in range(BLOCK_ROWS):
                    largest = max(largest, columns[f, i])
                for e in range(feature_start[f], feature_start[f + 1]):
                    t = threshold[e]
                    if t >= largest:  # sorted thresholds: no row goes right from here on
                        break
                    w, clear = word[e], mask[e]
                    for i in range(BLOCK_ROWS):
                        leaves[w, i] &= clear if columns[f, i] > t else full
        acc[:] = 0.0
        for tree in range(n_trees):
            w = tree_words[tree]
            if tree_words[tree + 1] - w == 1:
                base = w * bits
                for i in range(BLOCK_ROWS):
                    acc[i] += value[base + np.int64(trailing_zeros(leaves[w, i]))]
            else:
                for i in range(BLOCK_ROWS):
                    k = w
                    while leaves[k, i] == 0:
                        k += 1
                    acc[i] += value[k * bits + np.int64(trailing_zeros(leaves[k, i]))]
        out[first : first + m] = acc[:m]


@numba.njit(nogil=True, cache=True)
def count_below(sorted_values: np.ndarray, values: np.ndarray, out: np.ndarray) -> None:
    """``out[i]``: how many of ``sorted_values`` are less than ``values[i]``, as
    ``np.searchsorted(sorted_values, values, "left")`` (NaN last).

    The range of the numbers is cut into about twice as many equal bins as there are values,
    and each value is searched for among the few numbers of its bin and the bins either side
    (faster than numpy's search over all of them, whose branches are mispredicted on values in
    random order; see BENCHMARKS.md, Speed).
    Steps to the exact count follow, so rounding in the bin cannot change a count."""
    n = sorted_values.shape[0]
    numbers = n  # a NaN value goes after every number
    while numbers > 0 and sorted_values[numbers - 1] != sorted_values[numbers - 1]:
        numbers -= 1
    lowest = sorted_values[0] if numbers > 0 else 0.0
    highest = sorted_values[numbers - 1] if numbers > 0 else 0.0
    bins = 2 * numbers + 1
    width = (highest - lowest) / bins
    scale = 1.0 / width if width > 0 and np.isfinite(width) else 0.0
    start = np.empty(bins + 1, np.int64)  # count below each bin's lower edge
    k = 0
    for b in range(bins + 1):
        edge = lowest + b * width if scale > 0 else lowest
        while k < numbers and sorted_values[k] < edge:
            k += 1
        start[b] = k
    for i in range(values.shape[0]):
        x = values[i]
        if x != x:
            out[i] = numbers
            continue
        position = (x - lowest) * scale
        b = int(position) if 0.0 < position < bins else (0 if not position > 0.0 else bins)
        low, high = start[max(b - 1, 0)], start[min(b + 2, bins)]
        while low < high:  # a binary search within the neighbouring bins (few values)
            middle = (low + high) >> 1
            if sorted_values[middle] < x:
                low = middle + 1
            else:
                high = middle
        k = low
        while k > 0 and not sorted_values[k - 1] < x:
            k -= 1
        while k < numbers and sorted_values[k] < x:
            k += 1
        out[i] = k


@numba.njit(nogil=True, cache=True)
def window_counts(
    sorted_keys: np.ndarray, sorted_queries: np.ndarray, half_width: int, out: np.ndarray
) -> None:
    """``out[i]``: how many keys lie within ``half_width`` of ``sorted_queries[i]`` (both
    ends included), with two pointers that only move forward (the queries ascend)."""
    n = sorted_keys.shape[0]
    lo = 0
    hi = 0
    for i in range(sorted_queries.shape[0]):
        query = sorted_queries[i]
        while lo < n and sorted_keys[lo] < query - half_width:
            lo += 1
        while hi < n and sorted_keys[hi] <= query + half_width:
            hi += 1
        out[i] = hi - lo


@numba.njit(nogil=True, cache=True)
def post_timing(
    post: np.ndarray,
    liked: np.ndarray,
    published: np.ndarray,
    neighbours: np.ndarray,
    window: float,
    out: np.ndarray,
) -> None:
    """The timing values of likes ordered by post, then time, in one pass over each post's
    likes, with the arithmetic of :func:`detector.features.timing.timing_values`:
    ``out[0]`` the delay after publication in minutes (at least 0), ``out[1]`` the gap to the
    previous like in seconds, ``out[2]`` the burst density and ``out[3]`` the hour of day.

    ``published`` holds each like's post publication time in nanoseconds (the int64 of NaT
    when unknown), or nothing when the table has no such column."""
    n = post.shape[0]
    has_published = published.shape[0] == n
    unknown = np.iinfo(np.int64).min
    start = 0
    while start < n:
        end = start + 1
        while end < n and post[end] == post[start]:
            end += 1
        first, last, size = liked[start], liked[end - 1], float(end - start)
        for i in range(start, end):
            t = liked[i]
            origin = float(first)
            if has_published and published[i] != unknown:
                origin = float(min(published[i] // 1_000_000_000, t))
            delay = float(t) - origin
            span = max(float(last) - origin, 1.0)
            if i == start:
                gap = delay if delay > 0 else span / size
            else:
                gap = float(t - liked[i - 1])
            if (i + 1 < end and liked[i + 1] == t) or (i > start and liked[i - 1] == t):
                gap = 0.0
            expected = (size - 1) * min(window / max(span, window), 1.0)
            out[0, i] = max(delay, 0.0) / 60.0
            out[1, i] = max(gap, 0.0)
            out[2, i] = neighbours[i] / (expected + 1.0)
            out[3, i] = (t % 86_400) / 3_600.0
        start = end


@numba.njit(nogil=True, cache=True)
def restore_with_offsets(
    values: np.ndarray,
    peaks: np.ndarray,
    creators: np.ndarray,
    order: np.ndarray,
    out: np.ndarray,
) -> None:
    """``out[:, order] = values`` for likes in timeline order, with the last row of ``values``
    (hours of day) replaced by each like's distance in hours to its creator's peak hour
    (``peaks[creators[i]]``, hours) around the clock."""
    last = values.shape[0] - 1
    for i in range(values.shape[1]):
        j = order[i]
        for c in range(last):
            out[c, j] = values[c, i]
        offset = abs(values[last, i] - peaks[creators[i]]) % 24.0
        out[last, j] = min(offset, 24.0 - offset)


@numba.njit(nogil=True, cache=True)
def fill_column(
    source: np.ndarray, target: np.ndarray, median: float, floor: float, ceiling: float
) -> int:
    """``target``: ``source`` with missing values set to ``median``, then raised to ``floor``
    and lowered to ``ceiling`` with the rules of ``np.maximum`` and ``np.minimum`` (NaN,
    -inf and inf leave a value as it is); returns how many values were missing."""
    missing = 0
    for i in range(source.shape[0]):
        x = source[i]
        if x != x:
            missing += 1
            x = median
        if not (x >= floor or x != x):
            x = floor
        if not (x <= ceiling or x != x):
            x = ceiling
        target[i] = x
    return missing


@numba.njit(nogil=True, cache=True)
def ascii_digit_counts(
    bounds: np.ndarray, raw: np.ndarray, digits: np.ndarray, non_ascii: np.ndarray
) -> None:
    """Per string (bytes ``raw[bounds[i] - bounds[0]:bounds[i + 1] - bounds[0]]``): how many
    bytes are ASCII digits (0x30-0x39), and whether any is not ASCII (0x80 or more)."""
    base = bounds[0]
    for i in range(bounds.shape[0] - 1):
        count = 0
        wide = False
        for k in range(bounds[i] - base, bounds[i + 1] - base):
            byte = raw[k]
            count += 0x30 <= byte <= 0x39
            wide |= byte >= 0x80
        digits[i] = count
        non_ascii[i] = wide


@numba.njit(nogil=True, cache=True)
def count_condition(
    values: np.ndarray, group: np.ndarray, threshold: float, above: bool, out: np.ndarray
) -> None:
    """Per group code, adds to ``out[0]`` the values beyond ``threshold`` (above it, or below
    it) and to ``out[1]`` the missing (NaN) values."""
    for i in range(values.shape[0]):
        x = values[i]
        if x != x:
            out[1, group[i]] += 1
        elif (x > threshold) if above else (x < threshold):
            out[0, group[i]] += 1


@numba.njit(cache=True)
def ready() -> int:
    """A trivial kernel: calling it once pays the start of numba's code generator, so that
    loading the real kernels from the disk cache later costs little."""
    return 1
