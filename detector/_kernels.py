"""The numba kernels behind :mod:`detector._jit` (imported only when a traversal uses them).

Defined at module level, so that numba's on-disk cache finds them again in a new process (a
kernel defined inside a function was compiled again in every process: about 3 s for both).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

from detector._jit import BLOCK_ROWS


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
    data: np.ndarray,
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
    n_rows = data.shape[0]
    n_features = feature_start.shape[0] - 1
    n_trees = tree_words.shape[0] - 1
    columns = np.empty((n_features, BLOCK_ROWS), data.dtype)  # the block, feature by feature
    leaves = np.empty((tree_words[-1], BLOCK_ROWS), mask.dtype)
    acc = np.empty(BLOCK_ROWS, np.float64)
    full = mask[0] | ~mask[0]
    for first in range(0, n_rows, BLOCK_ROWS):
        m = min(BLOCK_ROWS, n_rows - first)
        for i in range(m):
            for f in range(n_features):
                columns[f, i] = data[first + i, f]
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


@numba.njit(cache=True)
def ready() -> int:
    """A trivial kernel: calling it once starts numba's code generator (about 0.25 s), so that
    loading the real kernels from the disk cache later takes milliseconds."""
    return 1
