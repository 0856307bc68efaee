"""Like features: values on hand-made likes, missing inputs, and independence from row order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.features import (
    FEATURES,
    SIDES,
    LikeFeatures,
    build_like_features,
    combine_liker_summaries,
    finish_features,
    partition_features,
)
from detector.features.arrays import IdCodes, distinct, distinct_inverse
from detector.schema import validate_likes


def features_of(frame: pd.DataFrame) -> pd.DataFrame:
    return build_like_features(validate_likes(frame, "test")).values


def test_every_feature_is_documented_with_a_unit():
    for info in FEATURES.values():
        assert info.unit and info.description, info.name


def test_every_feature_says_which_side_is_suspicious_and_binary_ones_keep_both():
    assert {info.suspicious for info in FEATURES.values()} <= set(SIDES)
    assert {FEATURES[n].suspicious for n in ("has_avatar", "is_private")} == {"both"}


def test_account_features_on_known_values(tiny_likes):
    values = features_of(tiny_likes)
    np.testing.assert_allclose(np.expm1(values["log_account_age_days"])[:2], [10.0, 10 + 1 / 1440])
    np.testing.assert_allclose(values["following_followers_log_ratio"][2], np.log(3001 / 31))
    np.testing.assert_allclose(values["username_digit_share"][:3], [0.0, 8 / 11, 0.5])
    assert np.isnan(values["username_digit_share"][3])  # missing username stays missing


def test_timing_features_on_known_values(tiny_likes):
    values = features_of(tiny_likes)
    # delays after publication: 0, 1 and 5 minutes; like 4 three hours after its post
    np.testing.assert_allclose(np.expm1(values["log_delay_minutes"]), [0, 1, 5, 60], atol=1e-9)
    # gap to the previous like on the same post; first likes fall back to the delay or mean gap
    np.testing.assert_allclose(np.expm1(values["log_gap_seconds"])[1], 60.0)
    np.testing.assert_allclose(np.expm1(values["log_gap_seconds"])[3], 3600.0)


def test_burst_density_is_high_inside_a_burst_and_near_one_for_steady_likes():
    steady = pd.DataFrame(
        {
            "creator_id": "c",
            "post_id": "p",
            "liker_id": range(100),
            "liked_at": np.arange(100) * 3600,  # one like an hour
        }
    )
    burst = steady.copy()
    burst.loc[50:89, "liked_at"] = 50 * 3600 + np.arange(40)  # 40 likes within 40 seconds
    steady_density = np.expm1(features_of(steady)["log_burst_density"])
    burst_density = np.expm1(features_of(burst)["log_burst_density"])
    assert steady_density.max() < 1.5
    assert burst_density[50:90].min() > 20 * steady_density.max()


def test_footprint_counts_likes_and_creators_per_liker(tiny_likes):
    values = features_of(tiny_likes)
    assert np.expm1(values["log_liker_likes"]).round().tolist() == [2, 1, 1, 2]
    assert np.expm1(values["log_liker_creators"]).round().tolist() == [2, 1, 1, 2]


def test_absent_optional_columns_remove_their_features_and_say_why(tiny_likes):
    built = build_like_features(
        validate_likes(tiny_likes.drop(columns=["username", "following"]), "t")
    )
    assert "username_digit_share" not in built.names
    assert built.missing["username_digit_share"] == ["username"]
    assert built.missing["following_followers_log_ratio"] == ["following"]
    assert "log_followers" in built.names
    assert not built.values.isna().any().any()


def test_required_columns_alone_still_give_timing_and_footprint_features(tiny_likes):
    built = build_like_features(
        validate_likes(tiny_likes[["creator_id", "post_id", "liker_id", "liked_at"]], "t")
    )
    assert set(built.names) == {
        "log_delay_minutes",
        "log_gap_seconds",
        "log_burst_density",
        "hour_offset",
        "log_liker_likes",
        "log_liker_creators",
        "log_liker_burst_posts",
        "burst_coordination",
        "log_local_spike",
        "log_liker_creator_likes",
        "log_liker_creator_bursts",
        "creator_burst_coordination",
    }


def test_features_do_not_depend_on_row_order(world):
    likes, _ = world
    shuffled = likes.sample(frac=1.0, random_state=3)
    original = build_like_features(likes).values
    reordered = build_like_features(shuffled).values.loc[original.index]
    pd.testing.assert_frame_equal(original, reordered)


def test_transformer_fits_sklearn_conventions(world):
    likes, _ = world
    transformer = LikeFeatures().fit(likes)
    out = transformer.transform(likes)
    assert list(out.columns) == list(transformer.get_feature_names_out())
    with pytest.raises(ValueError, match=r"missing input column\(s\) \['username'\]"):
        transformer.transform(likes.drop(columns=["username"]))


def test_partitions_of_whole_creators_give_the_same_features_as_one_pass(world):
    likes, _ = world
    whole = build_like_features(likes).values
    creators = likes["creator_id"].unique()
    parts = [likes[likes["creator_id"].isin(creators[i::3])] for i in range(3)]
    first = [partition_features(part) for part in parts]
    table = combine_liker_summaries(p.summary for p in first)
    pieces = [finish_features(part, p, table).values for part, p in zip(parts, first, strict=True)]
    pd.testing.assert_frame_equal(pd.concat(pieces).loc[whole.index], whole)


def test_burst_buckets_do_not_depend_on_the_rest_of_the_batch(world):
    likes, _ = world
    one = likes[likes["creator_id"] == likes["creator_id"].iloc[0]]
    alone = build_like_features(one).values["log_local_spike"]
    together = build_like_features(likes).values.loc[one.index, "log_local_spike"]
    pd.testing.assert_series_equal(alone, together)


def test_creator_scope_leaves_out_the_features_that_look_across_creators(world):
    likes, _ = world
    batch = build_like_features(likes, scope="batch").names
    creator = build_like_features(likes, scope="creator").names
    assert set(creator) < set(batch)
    assert {FEATURES[n].scope for n in set(batch) - set(creator)} == {"batch"}
    with pytest.raises(ValueError, match="scope must be one of"):
        build_like_features(likes, scope="planet")


def test_sort_based_distinct_values_equal_numpy_unique():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 50, 1000).astype(np.int64)
    assert np.array_equal(distinct(values), np.unique(values))
    unique, inverse = distinct_inverse(values.astype(float))
    expected, expected_inverse = np.unique(values.astype(float), return_inverse=True)
    assert np.array_equal(unique, expected) and np.array_equal(inverse, expected_inverse)
    assert len(distinct(np.array([], dtype=np.int64))) == 0


def test_id_codes_number_creators_likers_posts_and_pairs():
    likes = pd.DataFrame(
        {
            "creator_id": ["a", "a", "b", "b", "a"],
            "post_id": ["p1", "p2", "p1", "p1", "p1"],
            "liker_id": ["x", "y", "x", "x", "y"],
        }
    )
    ids = IdCodes.of(likes)
    assert ids.creator.tolist() == [0, 0, 1, 1, 0]
    assert ids.liker.tolist() == [0, 1, 0, 0, 1] and ids.liker_ids.tolist() == ["x", "y"]
    assert ids.post.tolist() == [0, 1, 2, 2, 0]  # post p1 of a and p1 of b differ
    assert ids.pair.tolist() == [0, 1, 2, 2, 1]
