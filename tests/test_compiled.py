"""The compiled traversal: equal to scikit-learn, to the plain traversal, and to itself across
threads and deduplication."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest

from detector._threads import cpu_threads, map_row_chunks
from detector.compiled import artifact as compiled
from detector.compiled import dedup
from detector.compiled import traversal as traversal_module
from detector.compiled.dedup import distinct_rows
from detector.compiled.flatten import boosting_tables as _boosting_trees
from detector.compiled.flatten import forest_tables as _forest_trees
from detector.compiled.traversal import Traversal
from detector.model import formulas
from detector.scoring.scorer import compiled_scorer
from tests.conftest import use_path


def plain_tree_sums(trees: dict[str, np.ndarray], matrix: np.ndarray, dtype: type) -> np.ndarray:
    """The straightforward traversal (the scorer before it was made fast): every (tree, row)
    pair moves one level per step, ``x <= threshold`` goes left, NaN goes right."""
    data = np.ascontiguousarray(matrix, dtype=dtype)
    node = np.repeat(trees["roots"], len(data))
    base = np.tile(np.arange(len(data)) * data.shape[1], len(trees["roots"]))
    for _ in range(int(trees["depth"][0])):
        x = data.ravel()[base + trees["feature"][node]]
        node = np.where(x <= trees["threshold"][node], trees["left"][node], trees["right"][node])
    return trees["value"][node].reshape(len(trees["roots"]), len(data)).sum(axis=0)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(3000, 6))
    X[:, 2] = rng.integers(0, 4, len(X))  # ties at thresholds
    X[:, 5] = np.exp(3 * X[:, 5])  # skewed
    return X


@pytest.fixture(scope="module")
def iforest(data) -> IsolationForest:
    return IsolationForest(n_estimators=40, max_samples=256, random_state=0).fit(data)


@pytest.fixture(scope="module")
def boosting(data) -> HistGradientBoostingClassifier:
    rng = np.random.default_rng(6)
    X = data.copy()
    X[rng.random(X.shape) < 0.1] = np.nan  # missing values at fit time: both directions learnt
    y = (np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) * X[:, 2].clip(0) > 0.5).astype(int)
    y[np.isnan(X[:, 3])] = 1
    return HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)


def probes(data: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows from the data, fresh random rows, and values exactly at and next to thresholds."""
    rows = [data[:500], rng.normal(size=(500, data.shape[1])) * 3]
    near = data[:300].copy()
    near[:, 0] = np.repeat(np.quantile(data[:, 0], [0.2, 0.5, 0.8]), 100)
    rows.append(near)
    return np.vstack(rows)


def forest_scores(trees: dict[str, np.ndarray], matrix: np.ndarray, **options) -> np.ndarray:
    traversal = Traversal(trees, np.float32)
    depths = traversal.sums(matrix, **options) / traversal.n_trees
    return 2.0 ** (-depths / trees["normaliser"][0])


def test_isolation_forest_scores_equal_scikit_learn(iforest, data):
    X = probes(data, np.random.default_rng(1))
    trees = _forest_trees(iforest)
    np.testing.assert_allclose(
        forest_scores(trees, X), -iforest.score_samples(X), atol=1e-9, rtol=0
    )


def test_float32_comparisons_at_thresholds_are_exact(iforest, data):
    """Rows cast to float32 compared with float64 thresholds, as scikit-learn's trees do:
    values at the float32 just below, at and just above every split threshold."""
    trees = _forest_trees(iforest)
    inner = trees["left"] != np.arange(len(trees["left"]))
    features, thresholds = trees["feature"][inner], trees["threshold"][inner]
    below = thresholds.astype(np.float32)
    below[below > thresholds] = np.nextafter(below[below > thresholds], np.float32(-np.inf))
    X = np.tile(np.median(data, axis=0), (3 * len(thresholds), 1))
    for k, shifted in enumerate(
        (below, np.nextafter(below, np.float32(np.inf)), np.nextafter(below, np.float32(-np.inf)))
    ):
        X[k * len(thresholds) + np.arange(len(thresholds)), features] = shifted
    np.testing.assert_allclose(
        forest_scores(trees, X), -iforest.score_samples(X), atol=1e-9, rtol=0
    )
    assert np.array_equal(
        Traversal(trees, np.float32).sums(X), plain_tree_sums(trees, X, np.float32)
    )


def test_boosting_raw_predictions_equal_scikit_learn_with_missing_values(boosting, data):
    rng = np.random.default_rng(2)
    X = probes(data, rng)
    X[rng.random(X.shape) < 0.15] = np.nan
    trees = _boosting_trees(boosting)
    assert trees["missing_left"].any() and (~trees["missing_left"]).any()
    raw = trees["baseline"][0] + Traversal(trees, np.float64, trees["missing_left"]).sums(X)
    np.testing.assert_allclose(raw, boosting._raw_predict(X).ravel(), atol=1e-9, rtol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equals_the_plain_traversal_bit_for_bit(iforest, boosting, data, dtype):
    """Same leaves and the same order of addition as before the speed-up, also for NaN and
    infinities when no missing-value directions are given (NaN goes right, as before)."""
    rng = np.random.default_rng(3)
    X = probes(data, rng)
    X[rng.random(X.shape) < 0.05] = np.nan
    X[rng.random(X.shape) < 0.02] = np.inf
    X[rng.random(X.shape) < 0.02] = -np.inf
    for trees in (_forest_trees(iforest), _boosting_trees(boosting)):
        assert np.array_equal(Traversal(trees, dtype).sums(X), plain_tree_sums(trees, X, dtype))


def test_trees_of_many_depths_and_single_leaves(data):
    """Depth groups, compaction of finished pairs and trees that are a single leaf."""
    y = (data[:, 0] > 0).astype(int)
    head = HistGradientBoostingClassifier(max_iter=25, max_leaf_nodes=40, random_state=0)
    head.fit(data, y)
    trees = _boosting_trees(head)
    traversal = Traversal(trees, np.float64)
    assert len({depth for _, _, depth in traversal.groups}) > 1
    bounds = [bound for first, stop, _ in traversal.groups for bound in (first, stop)]
    assert bounds[0] == 0 and bounds[-1] == traversal.n_trees
    assert all(a == b for a, b in zip(bounds[1:-1:2], bounds[2::2], strict=True))
    np.testing.assert_allclose(
        trees["baseline"][0] + traversal.sums(data), head._raw_predict(data).ravel(), atol=1e-9
    )
    stump = IsolationForest(n_estimators=3, max_samples=2, random_state=0).fit(np.zeros((5, 2)))
    flat = _forest_trees(stump)  # identical samples: every tree is one leaf
    assert np.array_equal(
        Traversal(flat, np.float32).sums(data[:, :2]),
        plain_tree_sums(flat, data[:, :2], np.float32),
    )


def test_threads_and_chunks_do_not_change_a_bit(iforest, boosting, data, monkeypatch):
    X = probes(data, np.random.default_rng(4))
    monkeypatch.setattr(traversal_module, "ROWS_PER_TASK", 97)  # many chunks, a short last one
    for trees, dtype in (
        (_forest_trees(iforest), np.float32),
        (_boosting_trees(boosting), np.float64),
    ):
        traversal = Traversal(trees, dtype, trees.get("missing_left"))
        one = traversal.sums(X, threads=1)
        assert np.array_equal(traversal.sums(X, threads=2), one)
        assert np.array_equal(traversal.sums(X, threads=3), one)
    assert Traversal(_forest_trees(iforest), np.float32).sums(np.empty((0, 6))).shape == (0,)


def traversals(forest: IsolationForest, boosting: HistGradientBoostingClassifier) -> list:
    """The forest's, the boosting model's and a forest of single-leaf trees' traversals."""
    stump = IsolationForest(n_estimators=3, max_samples=2, random_state=0).fit(np.zeros((5, 6)))
    head = _boosting_trees(boosting)
    return [
        Traversal(_forest_trees(forest), np.float32),
        Traversal(head, np.float64, head["missing_left"]),
        Traversal(_forest_trees(stump), np.float32),
    ]


def test_the_numba_kernel_gives_the_numpy_walk_sums_bit_for_bit(iforest, boosting, data):
    """Missing values both ways, infinities, ties at thresholds, single-leaf trees, chunks, and
    rows dropped from the walk once at a leaf, from any level."""
    pytest.importorskip("numba")
    from detector._jit import tree_sums

    rng = np.random.default_rng(7)
    X = probes(data, rng)
    X[rng.random(X.shape) < 0.1] = np.nan
    X[rng.random(X.shape) < 0.02] = np.inf
    for traversal in traversals(iforest, boosting):
        numpy_walk = traversal.sums(X, threads=1, jit=False)
        assert np.array_equal(traversal.sums(X, threads=1, jit=True), numpy_walk)
        assert np.array_equal(traversal.sums(X[5:], threads=2, jit=True), numpy_walk[5:])
        by_feature = np.asfortranarray(X)  # as the model input is laid out
        assert np.array_equal(traversal.sums(by_feature, threads=1, jit=True), numpy_walk)
        data_in_dtype = np.ascontiguousarray(X, dtype=traversal.dtype)
        for full_levels in (0, 1, 3):  # rows at a leaf dropped from the walk early on
            dropping = tree_sums(
                traversal, data_in_dtype, full_levels, shallow_depth=0, kernel="walk"
            )
            assert np.array_equal(dropping, numpy_walk)


@pytest.mark.parametrize("max_samples", [16, 256])  # 32-bit words; 64-bit, several per tree
def test_bit_vectors_give_the_walk_sums_bit_for_bit(boosting, data, max_samples):
    """Leaf bit masks (one or several words per tree) reach the walk's leaves: missing values
    both ways, infinities, ties at thresholds, single-leaf trees, a short last block."""
    pytest.importorskip("numba")
    from detector._jit import tree_sums

    rng = np.random.default_rng(8)
    X = probes(data, rng)
    forest = IsolationForest(n_estimators=20, max_samples=max_samples, random_state=0).fit(data)
    for traversal in traversals(forest, boosting):
        for rows in (X, X[5:]):
            for missing in (0.0, 0.1):
                data_in_dtype = np.ascontiguousarray(rows, dtype=traversal.dtype)
                data_in_dtype[rng.random(data_in_dtype.shape) < missing] = np.nan
                data_in_dtype[rng.random(data_in_dtype.shape) < missing / 5] = np.inf
                walk = tree_sums(traversal, data_in_dtype, kernel="walk")
                assert np.array_equal(tree_sums(traversal, data_in_dtype, kernel="bitvector"), walk)
    vectors = Traversal(_forest_trees(forest), np.float32).bitvectors
    words_per_tree = np.diff(vectors.tree_words)
    assert vectors.bits == (32 if max_samples == 16 else 64)
    assert words_per_tree.max() == (1 if max_samples == 16 else 2)


def test_bit_vectors_are_chosen_for_narrow_trees_and_the_walk_for_wide_ones(data):
    from detector._jit import prefers_bitvectors

    narrow = IsolationForest(n_estimators=10, max_samples=256, random_state=0).fit(data)
    wide = IsolationForest(n_estimators=10, max_samples=3000, random_state=0).fit(data)
    assert prefers_bitvectors(Traversal(_forest_trees(narrow), np.float32))
    assert not prefers_bitvectors(Traversal(_forest_trees(wide), np.float32))


def test_the_numba_kernel_is_used_for_large_inputs_unless_turned_off(iforest, monkeypatch):
    pytest.importorskip("numba")
    from detector import _jit

    calls = []
    monkeypatch.setattr(_jit, "JIT_FROM_ROWS", 100)
    monkeypatch.setattr(_jit, "tree_sums", lambda t, d: calls.append(len(d)) or np.zeros(len(d)))
    traversal = Traversal(_forest_trees(iforest), np.float32)
    traversal.sums(np.zeros((99, 6)))
    assert calls == []
    traversal.sums(np.zeros((100, 6)))
    assert calls == [100]
    monkeypatch.setenv(_jit.ENV, "0")
    traversal.sums(np.zeros((100, 6)))
    assert calls == [100]


def test_a_matrix_with_too_few_columns_is_refused(iforest):
    with pytest.raises(ValueError, match="at least 6 columns"):
        Traversal(_forest_trees(iforest), np.float32).sums(np.zeros((3, 2)))


def test_distinct_rows_finds_identical_vectors_bit_for_bit():
    rng = np.random.default_rng(7)
    base = rng.normal(size=(50, 4))
    base[3, 1] = np.nan
    base[4, 2] = 0.0
    base[5] = base[4]
    base[5, 2] = -0.0  # differs from row 4 in the sign of a zero only
    order = rng.integers(0, len(base), 400)
    X = base[order]
    first, inverse = distinct_rows(X)
    assert np.array_equal(X[first][inverse].view(np.uint64), X.view(np.uint64))
    assert len(first) == len(np.unique(order))
    assert distinct_rows(base) is None  # every row distinct


def test_rare_repeats_are_not_worth_deduplicating():
    rows = np.random.default_rng(3).normal(size=(1000, 4))
    rows[1] = rows[0]  # one repeat in 1,000 rows: under 1 %
    assert distinct_rows(rows) is None
    rows[2:30] = rows[0]  # 28 more: deduplicated
    first, inverse = distinct_rows(rows)
    assert len(first) == 1000 - 29
    assert np.array_equal(rows[first][inverse], rows)


def test_a_hash_collision_means_no_deduplication(monkeypatch):
    X = np.random.default_rng(8).normal(size=(20, 3))
    monkeypatch.setattr(dedup, "_row_hashes", lambda bits: np.zeros(len(bits), np.uint64))
    assert distinct_rows(X) is None
    same = np.tile(X[:1], (20, 1))
    first, inverse = distinct_rows(same)
    assert list(first) == [0] and not inverse.any()


def test_dedup_and_threads_give_the_same_scores(monkeypatch, model, test_world):
    """A compiled feature set scores a matrix with many repeated rows identically with and
    without deduplication, on one thread or several, and within 1e-9 of the scikit-learn model."""
    from detector.features import build_like_features

    monkeypatch.setattr(compiled, "MIN_ROWS_DEDUP", 10)
    monkeypatch.setattr(traversal_module, "ROWS_PER_TASK", 500)
    monkeypatch.setattr(dedup, "ROWS_PER_CHECK", 500)
    features = build_like_features(test_world[0]).values
    names = tuple(c for c in model.feature_names_in_ if c in features.columns)
    X = features[list(names)].fillna(model.medians_).to_numpy()
    X = X[np.random.default_rng(9).integers(0, len(X), 3 * len(X))]
    fitted = compiled.CompiledModel.from_model(model).sets[names]
    plain = fitted.score(X, threads=1, dedup=False)
    assert np.array_equal(fitted.score(X, threads=2, dedup=True), plain)
    assert np.array_equal(fitted.score(X, threads=1, dedup=True), plain)
    np.testing.assert_allclose(plain, model.feature_set(names).score(X), atol=1e-9, rtol=0)


def test_flags_alone_are_the_flags_of_the_scores_with_fewer_forest_rows(
    monkeypatch, model, test_world
):
    """Likes whose flag the head settles whatever the forest's percentile (in [0, 1]) skip the
    forest; the flags equal those of the full scores, also with the threshold moved to where
    many likes are open."""
    from detector.features import build_like_features

    features = build_like_features(test_world[0]).values
    names = tuple(c for c in model.feature_names_in_ if c in features.columns)
    X = features[list(names)].fillna(model.medians_).to_numpy()
    fitted = compiled.CompiledModel.from_model(model).sets[names]
    assert fitted.supervised_weight > 0
    forest = fitted.traversals[0]
    forest_rows = []
    sums = forest.sums
    monkeypatch.setattr(
        forest, "sums", lambda m, t=None, j=None: forest_rows.append(len(m)) or sums(m, t, j)
    )
    scores = fitted.score(X, threads=1)
    for threshold in (fitted.threshold, float(np.median(scores))):
        monkeypatch.setattr(fitted, "threshold", threshold)
        forest_rows.clear()
        flags = fitted.flags(X, threads=1)
        assert np.array_equal(flags, formulas.above(scores, threshold))
        assert 0 < sum(forest_rows) < len(X)  # some likes were open, not all
        assert flags.any() and not flags.all()


def test_compiled_scorer_reports_like_the_model_and_pickles(model, test_world):
    model = copy.deepcopy(model)  # scoring below fits a feature set: keep the shared model as is
    likes = test_world[0]
    scorer = compiled_scorer(model)
    fast = scorer.report(likes, include_likes=True, scope="batch")
    full = model.report(likes, include_likes=True, scope="batch")
    np.testing.assert_allclose(fast.likes["score"], full.likes["score"], rtol=0, atol=1e-9)
    assert fast.creators.drop(columns="evidence").equals(full.creators.drop(columns="evidence"))
    assert b"sklearn" not in pickle.dumps(scorer)  # arrays only: no estimator travels with it
    again = pickle.loads(pickle.dumps(scorer))
    np.testing.assert_array_equal(
        again.report(likes, include_likes=True).likes["score"],
        scorer.report(likes, include_likes=True).likes["score"],
    )
    single = compiled_scorer(model, threads=1)
    assert all(fitted.threads == 1 for fitted in single.arrays.sets.values())
    np.testing.assert_array_equal(
        single.report(likes, include_likes=True, scope="batch").likes["score"], fast.likes["score"]
    )
    slim = likes.drop(columns=["username"])  # not compiled: fitted from the arrays' sample
    fitted_from_arrays = compiled_scorer(model).report(slim, include_likes=True)
    fitted_from_model = model.report(slim, include_likes=True)
    np.testing.assert_allclose(
        fitted_from_arrays.likes["score"], fitted_from_model.likes["score"], rtol=0, atol=1e-9
    )
    assert fitted_from_arrays.creators.drop(columns="evidence").equals(
        fitted_from_model.creators.drop(columns="evidence")
    )


def test_thread_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DETECTOR_THREADS", "3")
    assert cpu_threads() == 3
    monkeypatch.setenv("DETECTOR_THREADS", "many")
    with pytest.raises(ValueError, match="DETECTOR_THREADS"):
        cpu_threads()
    monkeypatch.delenv("DETECTOR_THREADS")
    assert cpu_threads() >= 1
    assert map_row_chunks(lambda a, b: (a, b), 10, 4, threads=2) == [(0, 4), (4, 8), (8, 10)]
    assert map_row_chunks(lambda a, b: (a, b), 0, 4) == []


@pytest.mark.parametrize("share", [0.0, 0.5])
def test_dropping_finished_pairs_from_the_walk_changes_nothing(boosting, data, monkeypatch, share):
    """Pairs at a leaf leave the walk (every other level, or when half are done); the result
    is the same, with missing values too."""
    rng = np.random.default_rng(10)
    X = probes(data, rng)
    X[rng.random(X.shape) < 0.1] = np.nan
    trees = _boosting_trees(boosting)
    expected = Traversal(trees, np.float64, trees["missing_left"]).sums(X)
    monkeypatch.setattr(traversal_module, "COMPACT_FROM", 1)
    monkeypatch.setattr(traversal_module, "COMPACT_SHARE", share)
    dropped = []
    real = np.flatnonzero
    monkeypatch.setattr(traversal_module.np, "flatnonzero", lambda a: dropped.append(1) or real(a))
    got = Traversal(trees, np.float64, trees["missing_left"]).sums(X)
    monkeypatch.undo()
    assert dropped
    assert np.array_equal(got, expected)
    np.testing.assert_allclose(
        trees["baseline"][0] + got, boosting._raw_predict(X).ravel(), atol=1e-9, rtol=0
    )


def test_the_fill_kernel_gives_the_numpy_model_input(monkeypatch):
    import pandas as pd

    rng = np.random.default_rng(9)
    values = rng.standard_normal((3000, 5))
    values[rng.random(values.shape) < 0.1] = np.nan
    values[:20] = [[-0.0, 0.0, np.inf, -np.inf, 2.0]] * 20
    matrix = pd.DataFrame(values, columns=list("abcde"))
    matrix["f"] = rng.integers(0, 5, len(matrix))  # an integer column converts too
    medians = {"a": 0.5, "b": -1.0, "c": 0.0, "f": 2}
    floors, ceilings = {"a": 0.0, "d": -0.5, "f": 1}, {"b": 0.25, "c": 1.0, "e": np.nan}
    use_path(monkeypatch, "numpy")
    expected, missing = formulas._filled(matrix, medians, floors, ceilings)
    use_path(monkeypatch, "kernel")
    filled, counted = formulas._filled(matrix, medians, floors, ceilings)
    assert counted == missing == int(np.isnan(values).sum())
    np.testing.assert_array_equal(filled, expected)  # NaN where NaN, the same numbers elsewhere
    assert filled.flags.f_contiguous
