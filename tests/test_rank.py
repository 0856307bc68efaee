"""Ranking creators: order, filters, peer percentiles, the benchmark fallback, eligibility,
the Pulse-style rule, the post list and the command line."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.errors import SelectionError
from detector.rank import rank_creators, rank_posts
from detector.tiers import BENCHMARK, follower_tiers

runner = CliRunner()


def creators_frame(rows: list[dict]) -> pd.DataFrame:
    """A report's creator table from a few facts per creator (the rest made consistent)."""
    out = []
    for i, row in enumerate(rows):
        share = row.get("share", 0.02)
        rate = row.get("rate", 0.03)
        out.append(
            {
                "creator_id": row.get("id", f"c{i:03d}"),
                "category": row.get("category", "food"),
                "likes": 500,
                "inauthentic_share": share,
                "inauthentic_share_low": row.get("low", max(share - 0.02, 0)),
                "inauthentic_share_high": row.get("high", share + 0.05),
                "verdict": row.get("verdict", "authentic"),
                "followers": row.get("followers", 50_000),
                "engagement_rate": rate,
                "authentic_engagement_rate": rate * (1 - share),
            }
        )
    frame = pd.DataFrame(out)
    frame["followers"] = frame["followers"].astype("Int64")
    frame["category"] = frame["category"].astype("string")
    missing = frame["followers"].isna().to_numpy()
    frame.loc[missing, ["engagement_rate", "authentic_engagement_rate"]] = np.nan
    return frame


def test_tiers_are_the_benchmarks_bands_lower_bound_included():
    tiers = follower_tiers(pd.Series([0, 999, 1_000, 4_999, 5_000, 20_000, 100_000, 1_000_000]))
    assert tiers.tolist() == [
        "under 1k",
        "under 1k",
        "1k-5k",
        "1k-5k",
        "5k-20k",
        "20k-100k",
        "100k-1M",
        "over 1M",
    ]
    assert follower_tiers(pd.Series([np.nan])).isna().all()


def test_creators_are_ordered_by_authentic_rate_and_those_without_followers_come_last():
    frame = creators_frame(
        [
            {"id": "low", "rate": 0.01},
            {"id": "none", "followers": None},
            {"id": "high", "rate": 0.05},
            {"id": "mid", "rate": 0.03},
        ]
    )
    ranked = rank_creators(frame)
    assert ranked["creator_id"].tolist() == ["high", "mid", "low", "none"]
    assert ranked["rank"].tolist() == [1, 2, 3, 4]
    last = ranked.iloc[-1]
    assert np.isnan(last["authentic_engagement_rate"]) and pd.isna(last["tier"])
    assert not last["eligible"] and last["eligible_reason"] == "no follower count"
    # the interval comes from the share's: rate x (1 - high) to rate x (1 - low)
    first = ranked.iloc[0]
    assert first["authentic_engagement_rate_low"] == pytest.approx(0.05 * (1 - 0.07))
    assert first["authentic_engagement_rate_high"] == pytest.approx(0.05 * (1 - 0.0))


def test_category_tier_and_top_select_after_the_peers_are_counted():
    rows = [{"category": "food", "rate": 0.01 * (i + 1)} for i in range(10)]
    rows += [{"category": "tech", "rate": 0.5}, {"category": "food", "followers": 2_000}]
    ranked = rank_creators(creators_frame(rows), category="food", tier="20k-100k", top=3)
    assert len(ranked) == 3 and (ranked["category"] == "food").all()
    assert (ranked["tier"] == "20k-100k").all()
    assert ranked["authentic_rate_percentile"].tolist() == [100.0, pytest.approx(88.9), 77.8]
    assert rank_creators(creators_frame(rows), tier="1K-5K")["followers"].tolist() == [2_000]


def test_percentiles_compare_with_the_other_peers_of_the_category_and_tier():
    rows = [{"rate": 0.01 * (i + 1), "share": 0.01 * i} for i in range(10)]
    rows.append({"category": "tech", "rate": 1.0})  # another category: not a peer
    ranked = rank_creators(creators_frame(rows)).set_index("creator_id")
    food = ranked[ranked["category"] == "food"]
    expected = np.round(100 * np.arange(10) / 9, 1)
    np.testing.assert_allclose(food["authentic_rate_percentile"].sort_values(), expected)
    np.testing.assert_allclose(food["share_percentile_in_peers"].sort_values(), expected)
    assert set(food["peer_basis"]) == {"batch: 10 food creators, 20k-100k"}
    rates = food["authentic_engagement_rate"]
    assert food["peer_median_rate"].iloc[0] == pytest.approx(rates.median())
    top = food.loc["c009"]
    assert "of the 10 food 20k-100k creators here, more inflated than 100%" in top["peer_summary"]


def test_too_few_peers_fall_back_to_the_tiers_benchmark_and_say_so():
    median = BENCHMARK["20k-100k"].median
    rows = [{"rate": median * 2, "share": 0.0}, {"rate": 0.02, "share": 0.0}]
    rows += [{"rate": 0.001} for _ in range(7)]  # nine peers: fewer than ten
    ranked = rank_creators(creators_frame(rows))
    assert ranked["authentic_rate_percentile"].isna().all()
    assert ranked["share_percentile_in_peers"].isna().all()
    assert set(ranked["peer_basis"]) == {"benchmark: HypeAuditor 2018, 20k-100k median 2.63%"}
    assert (ranked["peer_median_rate"] == median).all()
    positions = ranked["benchmark_position"].tolist()
    assert positions[0] == "above the 20k-100k median 2.63% and mean 1.62% (HypeAuditor 2018)"
    assert (
        positions[1] == "above the 20k-100k mean 1.62%, below its median 2.63% (HypeAuditor 2018)"
    )
    assert positions[-1].startswith("below the 20k-100k median")
    assert (
        rank_creators(creators_frame(rows), peers_min=9)["peer_basis"].str.startswith("batch").all()
    )
    alone = rank_creators(creators_frame([{"followers": 500}])).iloc[0]
    assert alone["peer_basis"].startswith("none") and not alone["eligible"]


def test_eligible_needs_an_authentic_verdict_and_a_low_end_clearing_the_median():
    median = BENCHMARK["20k-100k"].median
    rows = [
        {"id": "clears", "rate": median * 1.5, "share": 0.0, "high": 0.1},
        {"id": "interval_dips", "rate": median * 1.05, "share": 0.0, "high": 0.1},
        {"id": "inflated", "rate": 0.5, "share": 0.4, "verdict": "inflated"},
        {"id": "unsure", "rate": 0.5, "share": 0.05, "verdict": "cannot tell"},
        {"id": "suspicious", "rate": 0.5, "share": 0.15, "verdict": "suspicious"},
    ]
    ranked = rank_creators(creators_frame(rows)).set_index("creator_id")
    assert ranked["eligible"].to_dict() == {
        "inflated": False,
        "unsure": False,
        "suspicious": False,
        "clears": True,
        "interval_dips": False,
    }
    assert ranked.loc["inflated", "eligible_reason"] == "verdict inflated"
    assert "is under the benchmark median 2.63%" in ranked.loc["interval_dips", "eligible_reason"]


def test_no_inflated_creator_is_eligible_in_a_scored_world(shipped_model, world):
    likes, _ = world
    report = shipped_model.report(likes)
    for pulse in (False, True):
        ranked = rank_creators(report, pulse=pulse, peers_min=2)
        assert (ranked.loc[ranked["eligible"], "verdict"] == "authentic").all()
        assert (ranked["verdict"] == "inflated").any()  # the world has some to refuse
    rates = ranked["authentic_engagement_rate"].dropna().to_numpy()
    assert (np.diff(rates) <= 0).all()


def posts_frame(counts: dict[str, list[int]], shares: dict[str, float]) -> pd.DataFrame:
    rows = [
        {
            "creator_id": creator,
            "post_id": f"{creator}_p{i}",
            "likes": likes,
            "inauthentic_share": shares.get(creator, 0.0),
        }
        for creator, posts in counts.items()
        for i, likes in enumerate(posts)
    ]
    return pd.DataFrame(rows)


def test_posts_rank_in_their_category_by_authentic_likes_and_the_top_four_percent_is_marked():
    frame = creators_frame([{"id": "a"}, {"id": "b"}, {"id": "c", "category": "tech"}])
    # b's big post is half bought: by authentic likes a's post ranks first
    posts = posts_frame({"a": [90] + [10] * 29, "b": [150] + [5] * 19, "c": [3]}, {"b": 0.5})
    ranked = rank_posts(frame, posts)
    food = ranked[ranked["category"] == "food"]
    assert food["category_posts"].eq(50).all()
    assert food.iloc[0][["post_id", "authentic_likes", "category_rank"]].tolist() == [
        "a_p0",
        90,
        1,
    ]
    assert food.iloc[1]["post_id"] == "b_p0" and food.iloc[1]["authentic_likes"] == 75
    assert food["top_content"].sum() == 2  # ceil(4% of 50)
    tech = ranked[ranked["category"] == "tech"].iloc[0]
    assert tech["top_content"] and tech["category_percentile"] == 100.0


def test_pulse_needs_100k_followers_an_authentic_verdict_and_a_top_post():
    frame = creators_frame(
        [
            {"id": "star", "followers": 150_000},
            {"id": "small", "followers": 99_999},
            {"id": "bought", "followers": 500_000, "verdict": "inflated", "share": 0.5},
            {"id": "plain", "followers": 200_000},
        ]
    )
    posts = posts_frame(
        {"star": [500] + [5] * 9, "small": [400] * 2, "bought": [900], "plain": [6] * 10},
        {"bought": 0.5},
    )
    ranked = rank_creators(frame, pulse=True, posts=posts).set_index("creator_id")
    assert ranked["eligible"].to_dict() == {
        "bought": False,
        "star": True,
        "plain": False,
        "small": False,
    }
    assert ranked.loc["star", "top_posts"] == 1  # its 500 likes: the category's best post
    assert ranked.loc["small", "eligible_reason"] == "99,999 followers, under 100,000"
    assert ranked.loc["bought", "eligible_reason"] == "verdict inflated"
    assert ranked.loc["plain", "eligible_reason"].startswith("no post in the top 4% of food")
    with pytest.raises(ValueError, match="posts"):
        rank_creators(frame, pulse=True)


def test_an_unknown_category_or_tier_names_those_there_are():
    frame = creators_frame([{"category": "food"}, {"category": "tech"}])
    with pytest.raises(SelectionError, match="category 'cars'.*categories: food, tech"):
        rank_creators(frame, category="cars")
    with pytest.raises(SelectionError, match="tier '10k'.*under 1k, 1k-5k"):
        rank_creators(frame, tier="10k")
    with pytest.raises(SelectionError, match="no category"):
        rank_creators(frame.drop(columns="category"), category="food")


# --- the command line --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("rank-world")
    result = runner.invoke(app, ["generate", str(out), "--creators", "16", "--seed", "4"])
    assert result.exit_code == 0, result.stderr
    return out


def rank_args(world_dir, *more: str) -> list[str]:
    likes, creators = str(world_dir / "likes.csv"), str(world_dir / "creators.csv")
    return ["rank", likes, "--creators", creators, *more]


def test_rank_writes_json_in_order_with_the_rule_on_stderr(world_dir):
    result = runner.invoke(app, rank_args(world_dir, "--format", "json"))
    assert result.exit_code == 0, result.stderr
    ranking = json.loads(result.stdout)
    creators = ranking["creators"]
    assert len(creators) == 16 and [c["rank"] for c in creators] == list(range(1, 17))
    rates = [c["authentic_engagement_rate"] for c in creators]
    assert rates == sorted(rates, reverse=True)
    assert ranking["meta"]["benchmark"]["tiers"]["20k-100k"] == {"mean": 0.0162, "median": 0.0263}
    assert "eligible: verdict authentic" in result.stderr
    assert not any(c["eligible"] for c in creators if c["verdict"] != "authentic")


def test_rank_filters_and_writes_csv_and_the_posts_list(world_dir, tmp_path):
    categories = pd.read_csv(world_dir / "creators.csv")["category"]
    chosen = categories.value_counts().index[0]
    out, posts = tmp_path / "rank.csv", tmp_path / "posts.csv"
    args = rank_args(world_dir, "--category", chosen, "--output", str(out))
    result = runner.invoke(app, [*args, "--posts-output", str(posts), "--pulse"])
    assert result.exit_code == 0, result.stderr
    ranked = pd.read_csv(out)
    assert len(ranked) == (categories == chosen).sum() and (ranked["category"] == chosen).all()
    assert {"share_percentile_in_peers", "peer_basis", "eligible_reason", "top_posts"} <= set(
        ranked.columns
    )
    listed = pd.read_csv(posts)
    assert listed["top_content"].all() and set(listed["creator_id"]) <= set(ranked["creator_id"])
    assert list(listed.columns[:5]) == [
        "creator_id",
        "post_id",
        "category",
        "likes",
        "authentic_likes",
    ]
    again = runner.invoke(app, [*args, "--top", "2"])
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_rank_table_on_the_sample_and_bad_selections_give_one_error_line(monkeypatch):
    sample = ["rank", "datasets/sample/likes.csv", "--creators", "datasets/sample/creators.csv"]
    result = runner.invoke(app, [*sample, "--top", "3"])
    assert result.exit_code == 0, result.stderr
    assert "Creators by authentic engagement" in result.stdout
    assert result.stdout.count("20") >= 1 and "verdict" in result.stdout
    result = runner.invoke(app, [*sample, "--category", "cars"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("Error: category 'cars': no creator here has it; categories: ")
    assert "food" in lines[-1] and "Traceback" not in result.stderr
    result = runner.invoke(app, [*sample, "--tier", "huge"])
    assert result.exit_code == 1 and "tiers: under 1k, 1k-5k, 5k-20k" in result.stderr


def test_rank_without_follower_counts_lists_creators_none_eligible(world_dir, tmp_path):
    creators = pd.read_csv(world_dir / "creators.csv").drop(columns="followers")
    likes = pd.read_csv(world_dir / "likes.csv").drop(columns="creator_followers")
    creators.to_csv(tmp_path / "creators.csv", index=False)
    likes.to_csv(tmp_path / "likes.csv", index=False)
    result = runner.invoke(app, [*rank_args(tmp_path), "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    ranked = pd.read_csv(io.StringIO(result.stdout))
    assert len(ranked) == 16 and not ranked["eligible"].any()
    assert ranked["authentic_engagement_rate"].isna().all()
    assert "no creator has a follower count" in result.stderr
    authentic = ranked[ranked["verdict"] == "authentic"]
    assert (authentic["eligible_reason"] == "no follower count").all()


def test_the_package_ranks_likes_in_one_call(shipped_model, world):
    import detector

    likes, _ = world
    ranked = detector.rank_likes(likes, shipped_model, top=5)
    want = detector.rank_creators(shipped_model.report(likes)).head(5)
    pd.testing.assert_frame_equal(ranked, want)
