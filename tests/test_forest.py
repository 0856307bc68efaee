"""The isolation-forest scorer is a well-behaved scikit-learn estimator."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from detector.model.forest import LikeScorer


@parametrize_with_checks([LikeScorer(n_estimators=10, random_state=0)])
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)


def test_higher_score_means_more_suspicious():
    X = np.random.default_rng(0).normal(size=(1000, 4))
    scorer = LikeScorer(random_state=0).fit(X)
    assert scorer.score_samples([[6, 6, 6, 6]])[0] > scorer.score_samples([[0, 0, 0, 0]])[0]
    assert scorer.predict([[6, 6, 6, 6], [0, 0, 0, 0]]).tolist() == [1, 0]


def test_same_seed_same_scores_and_other_seed_other_scores():
    X = np.random.default_rng(1).normal(size=(500, 3))
    a = LikeScorer(random_state=7).fit(X).score_samples(X)
    b = LikeScorer(random_state=7).fit(X).score_samples(X)
    c = LikeScorer(random_state=8).fit(X).score_samples(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_default_threshold_flags_one_percent_of_training_rows():
    X = np.random.default_rng(2).normal(size=(2000, 3))
    scorer = LikeScorer(random_state=0).fit(X)
    assert scorer.predict(X).mean() == pytest.approx(0.01, abs=0.002)


def test_works_inside_a_pipeline():
    X = np.random.default_rng(3).normal(size=(300, 3))
    pipeline = make_pipeline(StandardScaler(), LikeScorer(random_state=0)).fit(X)
    assert pipeline.score_samples(X).shape == (300,)


def test_invalid_parameter_is_reported_in_sklearn_style():
    with pytest.raises(ValueError, match="The 'n_estimators' parameter of LikeScorer must be"):
        LikeScorer(n_estimators=0).fit(np.zeros((10, 2)))
