"""Counts over sorted arrays: the compiled kernels give numpy's searchsorted counts exactly."""

from __future__ import annotations

import numpy as np
import pytest

from detector._sorted import count_below, window_counts

REFERENCES = {
    "scores": np.sort(np.random.default_rng(0).random(6551)),
    "ties and NaN": np.sort(np.r_[np.random.default_rng(1).random(100), [0.5] * 50, [np.nan] * 3]),
    "one value": np.array([1.0]),
    "only NaN": np.array([np.nan, np.nan]),
    "empty": np.zeros(0),
    "infinities": np.array([-np.inf, 0.0, np.inf]),
    "mostly one value": np.sort(np.r_[np.zeros(5000), np.linspace(0, 1, 100)]),
    "huge range": np.sort(np.random.default_rng(2).standard_normal(1000) * 1e300),
}


@pytest.mark.parametrize("name", list(REFERENCES))
def test_count_below_is_searchsorted_left(jit_path, name):
    reference = REFERENCES[name]
    rng = np.random.default_rng(3)
    special = [np.nan, np.inf, -np.inf, 0.5, 0.0, -0.0, 1.0, 1e308, -1e308, 1e-300, -1e-300]
    values = np.r_[rng.random(5000), rng.standard_normal(500) * 2, reference[:50], special]
    expected = np.searchsorted(reference, values, side="left")
    assert np.array_equal(count_below(reference, values), expected)


def test_window_counts_count_the_keys_within_the_half_width_both_ends_included(jit_path):
    keys = np.array([0, 1, 1, 5, 10, 11, 30, 2**34, 2**34 + 3], dtype=np.int64)
    assert window_counts(keys, 0).tolist() == [1, 2, 2, 1, 1, 1, 1, 1, 1]
    assert window_counts(keys, 5).tolist() == [4, 4, 4, 5, 3, 2, 1, 2, 2]


def test_window_counts_equal_two_searches_on_random_sorted_keys(jit_path):
    rng = np.random.default_rng(4)
    keys = np.sort(rng.integers(0, 100_000, 20_000)).astype(np.int64)
    for half_width in (0, 3, 150, 3600):
        lo = np.searchsorted(keys, keys - half_width, side="left")
        hi = np.searchsorted(keys, keys + half_width, side="right")
        assert np.array_equal(window_counts(keys, half_width), hi - lo)
    assert window_counts(np.zeros(0, dtype=np.int64), 5).tolist() == []


def test_window_counts_at_other_queries_equal_two_searches(jit_path):
    rng = np.random.default_rng(5)
    keys = np.sort(rng.integers(0, 10_000, 5000)).astype(np.int64)
    queries = np.unique(rng.integers(-500, 10_500, 3000)).astype(np.int64)  # some beyond the keys
    for half_width in (0, 1, 7, 400):
        lo = np.searchsorted(keys, queries - half_width, side="left")
        hi = np.searchsorted(keys, queries + half_width, side="right")
        assert np.array_equal(window_counts(keys, half_width, queries), hi - lo)
    empty = np.zeros(0, dtype=np.int64)
    assert window_counts(empty, 3, queries).tolist() == [0] * len(queries)
    assert window_counts(keys, 3, empty).tolist() == []
