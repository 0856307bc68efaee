"""Tests of the synthetic world: data contract, reproducibility and the structure of each tier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detector.synth import (
    CATEGORIES,
    CREATORS_COLUMNS,
    LIKES_COLUMNS,
    POPULATIONS,
    TRAINING_TIERS,
    SimulationParams,
    generate_world,
    write_world,
    write_world_parquet_chunked,
)

WINDOW_END = pd.Timestamp(SimulationParams().window_end)
ACCOUNT_ATTRS = [
    "account_created_at",
    "followers",
    "following",
    "posts",
    "has_avatar",
    "is_private",
    "is_verified",
    "bio_length",
    "username",
]


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    # 20 creators, 12 inflated: 3 per tier, so the pod has in-world pod-mates
    return generate_world(20, seed=3, inflated_share=0.6)


@pytest.fixture(scope="module")
def big_inflated() -> tuple[pd.DataFrame, pd.DataFrame]:
    # only large inflated creators (2 per tier): farm reuse is visible, whatever the seed
    params = SimulationParams(creator_followers_min=200_000)
    return generate_world(8, seed=1, inflated_share=1.0, params=params)


def _with_delays(likes: pd.DataFrame) -> pd.DataFrame:
    out = likes.copy()
    out["delay_s"] = (out["liked_at"] - out["post_published_at"]).dt.total_seconds()
    return out


def test_columns_and_dtypes(world):
    likes, creators = world
    assert tuple(likes.columns) == LIKES_COLUMNS
    assert tuple(creators.columns) == CREATORS_COLUMNS
    for col in ("liked_at", "post_published_at", "account_created_at"):
        assert isinstance(likes[col].dtype, pd.DatetimeTZDtype)
        assert str(likes[col].dt.tz) == "UTC"
    for col in ("creator_followers", "followers", "following", "posts", "bio_length"):
        assert likes[col].dtype == np.int64
        assert (likes[col] >= 0).all()
    for col in ("has_avatar", "is_private", "is_verified"):
        assert likes[col].dtype == bool
    assert likes["is_fake"].dtype == np.int8
    for col in ("creator_id", "post_id", "liker_id", "username", "tier"):
        assert pd.api.types.is_string_dtype(likes[col])
    assert likes["creator_id"].str.fullmatch(r"c\d{5}").all()
    assert (likes["post_id"].str.slice(0, 6) == likes["creator_id"]).all()
    assert likes["post_id"].str.fullmatch(r"c\d{5}_p\d{3}").all()
    assert likes["liker_id"].str.fullmatch(r"u\d{7}").all()
    assert set(likes["tier"]) <= {"organic", "naive", "aged", "stealth", "pod"}
    assert set(likes["is_fake"]) == {0, 1}
    keys = list(zip(likes["creator_id"], likes["post_id"], likes["liked_at"], strict=True))
    assert keys == sorted(keys)
    assert likes.index.equals(pd.RangeIndex(len(likes)))
    assert creators["followers"].dtype == np.int64 and creators["likes"].dtype == np.int64
    assert creators["inauthentic_share"].dtype == np.float64
    assert set(creators["category"]) <= set(CATEGORIES)
    assert len(CATEGORIES) == 12
    assert creators["followers"].between(1_000, 1_000_000).all()
    assert likes.groupby("creator_id")["creator_followers"].nunique().eq(1).all()


def test_reproducible_and_seed_dependent():
    a_likes, a_creators = generate_world(6, seed=11)
    b_likes, b_creators = generate_world(6, seed=11)
    pd.testing.assert_frame_equal(a_likes, b_likes)
    pd.testing.assert_frame_equal(a_creators, b_creators)
    c_likes, c_creators = generate_world(6, seed=12)
    assert len(c_likes) != len(a_likes) or not c_likes["liker_id"].equals(a_likes["liker_id"])
    assert not c_creators["followers"].equals(a_creators["followers"])


def test_every_tier_present_and_labels_consistent(world):
    likes, creators = world
    assert set(creators["tier"]) == {"organic", "naive", "aged", "stealth", "pod"}
    assert (creators["tier"] != "organic").sum() == 12
    assert {"organic", "organic_viral", "organic_new_creator", "inflated"} <= set(
        creators["scenario"]
    )
    assert ((creators["scenario"] == "inflated") == (creators["tier"] != "organic")).all()
    assert set(likes["tier"]) == {"organic", "naive", "aged", "stealth", "pod"}
    assert (likes["is_fake"] == (likes["tier"] != "organic")).all()

    per = likes.groupby("creator_id").agg(share=("is_fake", "mean"), n=("is_fake", "size"))
    merged = creators.set_index("creator_id").join(per)
    np.testing.assert_allclose(merged["inauthentic_share"], merged["share"], rtol=0, atol=1e-12)
    assert (merged["likes"] == merged["n"]).all()
    organic = merged["tier"] == "organic"
    assert (merged.loc[organic, "inauthentic_share"] == 0).all()
    assert (merged.loc[~organic, "inauthentic_share"] > 0).all()
    assert merged.loc[~organic, "inauthentic_share"].max() < 1

    # fake likes of a creator all belong to the creator's tier
    fake = likes[likes["is_fake"] == 1].merge(
        creators[["creator_id", "tier"]], on="creator_id", suffixes=("", "_creator")
    )
    assert (fake["tier"] == fake["tier_creator"]).all()


def test_account_attributes_consistent_per_liker(world):
    likes, _ = world
    nunique = likes.groupby("liker_id")[ACCOUNT_ATTRS].nunique()
    assert (nunique == 1).all().all()
    # some accounts like several creators (shared audiences), with identical attributes
    assert (likes.groupby("liker_id")["creator_id"].nunique() > 1).sum() > 100


def test_unique_likes_and_time_order(world):
    likes, _ = world
    assert not likes.duplicated(["post_id", "liker_id"]).any()
    assert (likes["liked_at"] > likes["post_published_at"]).all()
    assert (likes["liked_at"] >= likes["account_created_at"]).all()
    assert (likes["liked_at"] < WINDOW_END).all()
    start = WINDOW_END - pd.Timedelta(days=SimulationParams().window_days)
    assert (likes["post_published_at"] >= start).all()
    assert likes.groupby("post_id")["post_published_at"].nunique().eq(1).all()
    assert (likes["liked_at"].dt.microsecond == 0).all()


def test_organic_timing_is_realistic(world):
    likes = _with_delays(world[0])
    organic = likes[likes["tier"] == "organic"]
    assert (organic["delay_s"] < 48 * 3600).mean() > 0.85  # most likes within two days
    assert 0.5 * 3600 < organic["delay_s"].median() < 12 * 3600
    assert (organic["delay_s"] > 72 * 3600).any()  # a long tail
    # loyal fans: some accounts like most of a creator's posts
    n_posts = organic.groupby("creator_id")["post_id"].nunique()
    fans = organic.groupby(["creator_id", "liker_id"])["post_id"].nunique().reset_index()
    fans["n_posts"] = fans["creator_id"].map(n_posts)
    fans = fans[fans["n_posts"] >= 5]
    assert (fans["post_id"] >= 0.6 * fans["n_posts"]).sum() > 20
    # daily cycle: audiences cluster in the creator's time zone, so hours are far from uniform
    for _, g in organic.groupby("creator_id"):
        if len(g) >= 1000:
            hourly = g["liked_at"].dt.hour.value_counts().reindex(range(24), fill_value=0)
            assert hourly.max() > 2.5 * hourly.min()


def test_naive_likes_are_one_burst_from_fresh_accounts(world):
    likes = _with_delays(world[0])
    naive = likes[likes["tier"] == "naive"]
    organic = likes[likes["tier"] == "organic"]
    span = naive.groupby("post_id")["liked_at"].agg(lambda s: (s.max() - s.min()).total_seconds())
    assert (span <= 20 * 60).all()
    assert (naive.groupby("creator_id")["post_id"].nunique() <= 3).all()
    age_days = (naive["liked_at"] - naive["account_created_at"]).dt.total_seconds() / 86400
    assert age_days.between(1, 10.01).all()
    assert (
        naive["username"].str.count(r"\d").mean() > 4 * organic["username"].str.count(r"\d").mean()
    )
    assert naive["followers"].median() < organic["followers"].median() / 10


def test_aged_farms_drip_from_old_accounts(world):
    likes = _with_delays(world[0])
    aged = likes[likes["tier"] == "aged"]
    age_days = (aged["liked_at"] - aged["account_created_at"]).dt.total_seconds() / 86400
    assert age_days.min() > 90
    span_h = aged.groupby("post_id")["liked_at"].agg(lambda s: (s.max() - s.min()).total_seconds())
    assert span_h[aged.groupby("post_id").size() >= 10].median() > 3 * 3600


def test_farm_accounts_return_across_posts_and_creators(big_inflated):
    likes, creators = big_inflated
    assert (creators["tier"] != "organic").all()
    aged = likes[likes["tier"] == "aged"]
    for _, farm_likes in aged.groupby("creator_id"):
        # a farm is a finite set of accounts: the same ones come back on several posts
        if len(farm_likes) >= 200:
            assert (farm_likes.groupby("liker_id")["post_id"].nunique() >= 2).any()
    assert aged["liker_id"].nunique() <= 2 * SimulationParams().aged_farm_size
    stealth = likes[likes["tier"] == "stealth"]
    assert stealth["creator_id"].nunique() == 2
    # one shared pool serves both stealth creators
    (_, first), (_, second) = stealth.groupby("creator_id")["liker_id"]
    first, second = set(first), set(second)
    pool = SimulationParams().stealth_pool_size
    assert len(first | second) <= pool
    expected = len(first) * len(second) / pool  # overlap if both draw from the same pool
    assert expected >= 10  # the fixture has two sizeable stealth creators
    assert len(first & second) >= 0.3 * expected
    # the pool accounts never like organically
    assert not set(stealth["liker_id"]) & set(likes.loc[likes["is_fake"] == 0, "liker_id"])


def test_stealth_pool_is_shared_and_looks_organic(world):
    likes, _ = world
    stealth = likes[likes["tier"] == "stealth"]
    organic = likes[likes["tier"] == "organic"].drop_duplicates("liker_id")
    assert stealth["creator_id"].nunique() == 3
    assert (stealth.groupby("liker_id")["creator_id"].nunique() >= 2).any()
    # a job: many pool accounts on one post within a few minutes
    span = stealth.groupby("post_id")["liked_at"].agg(lambda s: (s.max() - s.min()).total_seconds())
    assert (span <= 10 * 60).all()
    # traits close to the organic population
    accounts = stealth.drop_duplicates("liker_id")
    assert 0.5 < accounts["followers"].median() / organic["followers"].median() < 2
    assert 0.5 < accounts["following"].median() / organic["following"].median() < 2
    assert abs(accounts["has_avatar"].mean() - organic["has_avatar"].mean()) < 0.1
    assert (
        abs(
            accounts["username"].str.count(r"\d").mean()
            - organic["username"].str.count(r"\d").mean()
        )
        < 0.5
    )
    # created in batches: many accounts share a creation day
    days = accounts["account_created_at"].dt.floor("D")
    assert days.value_counts().iloc[0] >= 5


def test_pods_are_reciprocal_and_fast(world):
    likes, creators = world
    pods = creators[creators["pod_id"] != ""]
    assert (pods["tier"] == "pod").all() and len(pods) == 3
    pod_likes = _with_delays(likes[likes["tier"] == "pod"])
    assert pod_likes["delay_s"].median() < 30 * 60
    checked = 0
    for _, mates in pods.groupby("pod_id"):
        if len(mates) < 2:
            continue
        for a in mates.itertuples():
            for b in mates.itertuples():
                if a.creator_id == b.creator_id:
                    continue
                # a's own account likes every post of b published after a's account exists
                created = likes.loc[likes["liker_id"] == a.account_id, "account_created_at"]
                posts_b = likes[likes["creator_id"] == b.creator_id]
                posts_b = posts_b.loc[
                    (posts_b["post_published_at"] > created.iloc[0])
                    & (posts_b["post_published_at"] < WINDOW_END - pd.Timedelta(hours=6)),
                    "post_id",
                ].unique()
                liked = pod_likes.loc[pod_likes["liker_id"] == a.account_id, "post_id"]
                assert len(posts_b) > 0 and set(posts_b) <= set(liked)
                # both creators are liked by the same pod (up to their own accounts)
                set_a = set(pod_likes.loc[pod_likes["creator_id"] == a.creator_id, "liker_id"])
                set_b = set(pod_likes.loc[pod_likes["creator_id"] == b.creator_id, "liker_id"])
                assert set_a | {a.account_id} == set_b | {b.account_id}
                assert 10 <= len(set_a | {a.account_id}) <= 30
                checked += 1
    assert checked >= 2


def test_honest_negatives(world):
    likes, creators = world
    m = likes.merge(creators[["creator_id", "scenario"]], on="creator_id")
    # viral: one post far above the creator's usual, in a short burst
    viral = m[m["scenario"] == "organic_viral"]
    assert len(viral) > 0 and (viral["is_fake"] == 0).all()
    for _, g in viral.groupby("creator_id"):
        per_post = g.groupby("post_id").size()
        top = g[g["post_id"] == per_post.idxmax()]
        assert per_post.max() >= 5 * per_post.drop(per_post.idxmax()).median()
        burst = top["liked_at"].quantile(0.9) - top["liked_at"].quantile(0.1)
        assert burst < pd.Timedelta(hours=24)
    # brand-new creators: younger audiences than established organic creators
    age = (m["liked_at"] - m["account_created_at"]).dt.days
    new = age[m["scenario"] == "organic_new_creator"]
    established = age[m["scenario"] == "organic"]
    assert len(new) > 0 and new.median() < 0.75 * established.median()
    assert (m.loc[m["scenario"] == "organic_new_creator", "is_fake"] == 0).all()


def test_chunked_equals_in_memory(tmp_path):
    likes, creators = generate_world(7, seed=5)
    likes_dir, creators_path = write_world_parquet_chunked(
        tmp_path, 7, seed=5, creators_per_chunk=3
    )
    parts = sorted(likes_dir.glob("part-*.parquet"))
    assert [p.name for p in parts] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    chunked = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(chunked, likes)
    read = pd.read_csv(creators_path, keep_default_na=False)
    pd.testing.assert_frame_equal(read, creators, check_dtype=False)
    # rewriting with another chunk size replaces the parts and gives the same rows
    write_world_parquet_chunked(tmp_path, 7, seed=5, creators_per_chunk=100)
    parts = sorted(likes_dir.glob("part-*.parquet"))
    assert len(parts) == 1
    pd.testing.assert_frame_equal(pd.read_parquet(parts[0]), likes)


def test_write_world_csv_round_trip(tmp_path):
    likes, creators = generate_world(5, seed=2)
    likes_path, creators_path = write_world(tmp_path, 5, seed=2)
    assert likes_path == tmp_path / "likes.csv" and creators_path == tmp_path / "creators.csv"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    first = likes_path.read_text().splitlines()[1].split(",")
    assert pd.Series(first[3]).str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    read = pd.read_csv(likes_path)
    for col in ("liked_at", "post_published_at", "account_created_at"):
        read[col] = pd.to_datetime(read[col], utc=True, format="ISO8601")
    read["is_fake"] = read["is_fake"].astype("int8")
    pd.testing.assert_frame_equal(read, likes, check_dtype=False)
    assert (read["liked_at"] == likes["liked_at"]).all()
    read_creators = pd.read_csv(creators_path, keep_default_na=False)
    pd.testing.assert_frame_equal(read_creators, creators, check_dtype=False)

    parquet_path, _ = write_world(tmp_path, 5, seed=2, fmt="parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(parquet_path), likes)


def test_invalid_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate_world(5, seed=0, inflated_share=1.5)
    with pytest.raises(ValueError):
        generate_world(0, seed=0)
    with pytest.raises(ValueError):
        write_world(tmp_path, 3, seed=0, fmt="json")


def test_inflated_share_zero_and_one():
    likes, creators = generate_world(6, seed=4, inflated_share=0.0)
    assert (likes["is_fake"] == 0).all() and (creators["tier"] == "organic").all()
    likes, creators = generate_world(8, seed=4, inflated_share=1.0)
    assert (creators["tier"] != "organic").all()
    assert sorted(creators["tier"].value_counts().to_dict().items()) == [
        ("aged", 2),
        ("naive", 2),
        ("pod", 2),
        ("stealth", 2),
    ]


@pytest.fixture(scope="module")
def hollow_world() -> tuple[pd.DataFrame, pd.DataFrame]:
    # the training ladder: 5 tiers, 3 creators each
    return generate_world(25, seed=6, inflated_share=0.6, params=POPULATIONS["default"])


def test_hollow_tier_is_opt_in():
    assert "hollow" not in SimulationParams().inflated_tiers
    assert all(params.inflated_tiers == TRAINING_TIERS for params in POPULATIONS.values())
    with pytest.raises(ValueError):
        generate_world(5, seed=0, params=SimulationParams(inflated_tiers=("naive", "bogus")))
    with pytest.raises(ValueError):
        generate_world(5, seed=0, params=SimulationParams(inflated_tiers=()))


def test_hollow_farms_look_organic_but_for_the_profile(hollow_world):
    likes, creators = hollow_world
    assert set(creators["tier"]) == {"organic", *TRAINING_TIERS}
    assert (creators["tier"] == "hollow").sum() == 3
    likes = _with_delays(likes)
    hollow = likes[likes["tier"] == "hollow"]
    organic = likes[likes["tier"] == "organic"]
    assert len(hollow) > 100 and (hollow["is_fake"] == 1).all()
    # organic timing: delays and spread over the posts like the audience's
    assert 0.5 < hollow["delay_s"].median() / organic["delay_s"].median() < 2
    assert (hollow["delay_s"] > 24 * 3600).mean() > 0.05
    per_creator_posts = hollow.groupby("creator_id")["post_id"].nunique()
    all_posts = likes[likes["tier"] == "organic"].groupby("creator_id")["post_id"].nunique()
    assert (per_creator_posts >= 0.5 * all_posts.loc[per_creator_posts.index]).all()
    # aged accounts registered one by one (no batch days), no fresh account
    accounts = hollow.drop_duplicates("liker_id")
    age_days = (WINDOW_END - accounts["account_created_at"]).dt.total_seconds() / 86400
    assert age_days.min() > 80
    max_days = SimulationParams().acct_age_max_years * 365.25
    unclipped = accounts[age_days < max_days - 1]  # as for genuine accounts, ages are capped
    assert unclipped["account_created_at"].dt.floor("D").value_counts().iloc[0] <= 5
    # the profile: followed by few, following many, fewer posts
    genuine = organic.drop_duplicates("liker_id")
    ratio = lambda a: np.log1p(a["following"]) - np.log1p(a["followers"])  # noqa: E731
    assert ratio(accounts).median() > ratio(genuine).median() + 1.0
    assert accounts["posts"].median() < genuine["posts"].median()
    assert not set(accounts["liker_id"]) & set(genuine["liker_id"])


def test_hollow_world_chunked_equals_in_memory(tmp_path):
    params = POPULATIONS["default"]
    likes, _ = generate_world(10, seed=7, params=params, inflated_share=1.0)
    likes_dir, _ = write_world_parquet_chunked(
        tmp_path, 10, seed=7, params=params, inflated_share=1.0, creators_per_chunk=3
    )
    chunked = pd.concat(
        [pd.read_parquet(p) for p in sorted(likes_dir.glob("part-*.parquet"))], ignore_index=True
    )
    pd.testing.assert_frame_equal(chunked, likes)
