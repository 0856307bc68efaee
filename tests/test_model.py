"""The authenticity model: reference learning, ranking, reproducibility, missing columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline

from detector.errors import NotEnoughDataError
from detector.estimator import AuthenticityModel
from detector.features import LikeFeatures
from detector.model.forest import LikeScorer
from detector.model.formulas import above, model_input

from .conftest import SMALL


def test_planted_fakes_rank_above_authentic_likes(model, test_world):
    likes, _ = test_world
    scores = model.score_samples(likes)
    assert roc_auc_score(likes["is_fake"], scores) > 0.9


def test_same_seed_gives_the_same_scores(world, test_world):
    likes, _ = world
    a = AuthenticityModel(random_state=4, **SMALL).fit(likes).score_samples(test_world[0])
    b = AuthenticityModel(random_state=4, **SMALL).fit(likes).score_samples(test_world[0])
    np.testing.assert_array_equal(a, b)


def test_column_order_does_not_matter(model, test_world):
    likes, _ = test_world
    reversed_columns = likes[likes.columns[::-1]]
    np.testing.assert_array_equal(model.score_samples(likes), model.score_samples(reversed_columns))


def test_missing_optional_columns_are_scored_by_a_refitted_forest(model, test_world):
    likes, _ = test_world
    slim = likes.drop(columns=["username", "bio_length", "post_published_at"])
    scored = model.score_likes(slim)
    assert "username_digit_share" not in scored.attrs["features"]
    assert roc_auc_score(likes["is_fake"], scored["score"]) > 0.85
    names = tuple(scored.attrs["features"])
    fitted_at_training = set(model.feature_sets_)
    assert names not in fitted_at_training  # a profile fit() did not fit: fitted on first use,
    assert model.feature_set(names) is model.feature_set(names)  # once, kept beside the model
    assert set(model.feature_sets_) == fitted_at_training  # whose fitted state is unchanged


def test_partly_missing_values_are_imputed_and_counted(model, test_world):
    likes, _ = test_world
    holes = likes.copy()
    holes.loc[holes.index[:10], "followers"] = np.nan
    scored = model.score_likes(holes)
    assert scored.attrs["imputed_values"] == 30  # followers feeds three features
    assert np.isfinite(scored["score"]).all()


def test_suspicion_is_a_percentile_of_reference_likes(model, test_world):
    likes, _ = test_world
    scored = model.score_likes(likes)
    assert scored["suspicion"].between(0, 1).all()
    authentic = scored["suspicion"][likes["is_fake"] == 0]
    assert authentic.median() == pytest.approx(0.5, abs=0.15)


def test_unsupervised_fit_flags_about_the_requested_share_of_reference(world):
    likes, _ = world
    authentic = likes[likes["is_fake"] == 0].drop(columns=["is_fake"])
    model = AuthenticityModel(flag_quantile=0.95, **SMALL).fit(authentic)
    assert not model.supervised_
    assert model.predict(authentic).mean() == pytest.approx(0.05, abs=0.03)


def test_too_little_reference_is_refused(tiny_likes):
    with pytest.raises(NotEnoughDataError, match="only 4 authentic likes"):
        AuthenticityModel().fit(tiny_likes)


def test_feature_step_and_scorer_compose_in_a_pipeline(world, test_world):
    likes, _ = world
    authentic = likes[likes["is_fake"] == 0]
    pipeline = Pipeline([("features", LikeFeatures()), ("scorer", LikeScorer(random_state=0))])
    pipeline.fit(authentic)
    scores = pipeline.score_samples(test_world[0])
    assert roc_auc_score(test_world[0]["is_fake"], scores) > 0.8


def test_refuses_non_dataframe_input(model):
    with pytest.raises(TypeError, match="expected a pandas DataFrame"):
        model.score_samples(np.zeros((3, 3)))


def test_in_creator_scope_a_creator_scored_alone_or_among_all_others_gets_the_same_report(
    model, test_world
):
    likes, creators = test_world
    for creator in creators["creator_id"].iloc[:4]:
        alone = likes[likes["creator_id"] == creator]
        a = model.report(alone, scope="creator").creators.iloc[0]
        b = model.report(likes, scope="creator").creators.set_index("creator_id").loc[creator]
        assert a["inauthentic_share"] == b["inauthentic_share"]
        assert a["inauthentic_share_low"] == b["inauthentic_share_low"]
        assert a["reasons"] == b["reasons"]


def test_in_batch_scope_creators_sharing_no_likers_do_not_change_a_report(model, test_world):
    likes, creators = test_world
    organic = creators.loc[creators["tier"] == "organic", "creator_id"].iloc[0]
    alone = likes[likes["creator_id"] == organic]
    shared = set(alone["liker_id"])
    others = likes[(likes["creator_id"] != organic) & ~likes["liker_id"].isin(shared)]
    batch = pd.concat([others, alone])
    a = model.report(alone).creators.set_index("creator_id").loc[organic]
    b = model.report(batch).creators.set_index("creator_id").loc[organic]
    assert a["inauthentic_share"] == b["inauthentic_share"]
    assert a["reasons"] == b["reasons"]


def test_both_scopes_and_the_column_profiles_are_fitted_at_training_time(model):
    from detector.features import FEATURES
    from detector.features.catalogue import profile_feature_sets

    own = tuple(n for n in model.feature_names_in_ if FEATURES[n].scope == "creator")
    assert own in model.feature_sets_ and len(own) < len(model.feature_names_in_)
    profiles = profile_feature_sets(tuple(model.feature_names_in_))
    assert len(profiles) >= 4 and set(profiles) <= set(model.feature_sets_)
    assert all(model.rate_spreads_[names] == (f.fpr_spread, f.tpr_spread)
               for names, f in model.feature_sets_.items())  # fmt: skip


def test_a_tenth_of_the_labels_beats_no_labels(world, test_world):
    likes, _ = world
    rng = np.random.default_rng(0)
    partial = likes.assign(is_fake=likes["is_fake"].where(rng.random(len(likes)) < 0.1))
    none = AuthenticityModel(**SMALL).fit(likes.drop(columns=["is_fake"]))
    some = AuthenticityModel(**SMALL).fit(partial)
    test = test_world[0]
    auc_none = roc_auc_score(test["is_fake"], none.score_samples(test))
    auc_some = roc_auc_score(test["is_fake"], some.score_samples(test))
    assert some.supervised_ and not none.supervised_
    assert auc_some > auc_none + 0.015


def test_probabilities_are_calibrated_on_held_out_labels(model, test_world):
    likes, _ = test_world
    scored = model.score_likes(likes)
    assert scored["probability"].between(0, 1).all()
    fake = likes["is_fake"].to_numpy() == 1
    assert scored["probability"][fake].mean() > 0.7 > 0.3 > scored["probability"][~fake].mean()


# ----------------------------------------------------------------------------- one-sided caps
def test_one_sided_features_are_capped_at_the_reference_median_on_their_innocent_side(model):
    assert model.floors_["log_following"] == model.medians_["log_following"]  # many = suspicious
    assert model.ceilings_["log_posts"] == model.medians_["log_posts"]  # few = suspicious
    assert "log_gap_seconds" not in model.floors_ | model.ceilings_  # timing: both tails
    assert "has_avatar" not in model.floors_ | model.ceilings_  # binary: never capped


def test_a_liker_more_active_than_the_reference_is_not_more_suspicious_for_it(
    model, world, test_world
):
    features = model.features(test_world[0]).values
    busier = features.copy()
    for name in ("log_posts", "log_followers", "log_account_age_days"):
        innocent = busier[name] >= model.medians_[name]
        busier.loc[innocent, name] += 5.0  # e^5 ~ 150 times more posts, followers, days
    np.testing.assert_array_equal(
        model.score_features(busier)["score"], model.score_features(features)["score"]
    )
    two_sided = AuthenticityModel(one_sided=False, **SMALL).fit(world[0])
    assert not two_sided.floors_ and not two_sided.ceilings_
    assert np.any(
        two_sided.score_features(busier)["score"] != two_sided.score_features(features)["score"]
    )


def test_head_max_depth_bounds_the_depth_of_every_head_tree(world):
    shallow = AuthenticityModel(head_max_depth=3, head_iterations=20, **SMALL).fit(world[0])
    fitted = shallow.feature_set(tuple(shallow.feature_names_in_))
    depths = [int(predictor.nodes["depth"].max()) for (predictor,) in fitted.head._predictors]
    assert max(depths) <= 3


def test_a_partly_labelled_model_measures_false_positives_on_likes_known_to_be_authentic(world):
    likes = world[0]
    hidden = np.random.default_rng(0).random(len(likes)) < 0.8
    labels = likes["is_fake"].astype(float).mask(hidden)
    model = AuthenticityModel(**SMALL).fit(likes.drop(columns="is_fake"), labels)
    names = tuple(model.feature_names_in_)
    fitted = model.feature_set(names)
    assert model.reference_known_.sum() == min((labels == 0).sum(), model.reference_size)
    matrix = model_input(
        model.reference_[list(names)], model.medians_, model.floors_, model.ceilings_
    )
    flagged = above(fitted.score(matrix), fitted.threshold)
    calibration = model.reference_is_calibration_
    known = calibration & model.reference_known_
    assert fitted.fpr == pytest.approx(flagged[known].mean())
    # the unlabelled held-out likes hold unlabelled fakes: counting them
    # would inflate the rate well beyond the known-authentic one
    assert flagged[calibration & ~model.reference_known_].mean() > 1.5 * fitted.fpr
