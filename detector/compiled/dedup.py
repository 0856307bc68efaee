"""Identical feature vectors scored once.

On likes without fine timing many like vectors repeat exactly (the same liker traits, the same
coarse features); :func:`distinct_rows` finds them by hashing rows, so a scorer scores each
distinct vector once and gathers the results, bit for bit the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ROWS_PER_CHECK = 1 << 14
"""Rows compared bit for bit with their representatives at a time."""
MIN_ROWS_DEDUP = 10_000
"""Fewer rows than this are scored as they are, without looking for identical vectors."""
DEDUP_SAMPLE_ROWS = 1 << 13
"""Rows (evenly spaced) whose hashes are checked for repeats before deduplicating in full."""
MIN_SAMPLE_REPEATS = 0.01
"""Share of repeated hashes in that sample below which rows are scored without deduplication
(on likes with full timing every vector is distinct, and the full search would be paid for
nothing)."""


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
    for start in range(0, len(data), ROWS_PER_CHECK):
        stop = start + ROWS_PER_CHECK
        if not np.array_equal(bits[first[inverse[start:stop]]], bits[start:stop]):
            return None  # a hash collision between different rows: score every row
    return first, inverse
