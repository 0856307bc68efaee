"""The audience split of the creator report: rules, precedence, missing traits, every output."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.audience import AUDIENCE_COLUMNS, audience_shares
from detector.cli import app

runner = CliRunner()


def test_each_like_counts_in_one_type_suspicious_first_then_mass_followers_then_influencers():
    likes = pd.DataFrame(
        {
            # flagged mass follower, mass follower and influencer, influencer, real, real
            "following": [3000, 2000, 10, 1500, np.nan],
            "followers": [10, 9000, 5001, 5000, 10],
        }
    )
    flags = np.array([True, False, False, False, False])
    creator = np.zeros(5, dtype=np.int64)
    shares = audience_shares(likes, flags, creator, 1).iloc[0]
    assert shares["audience_suspicious"] == pytest.approx(0.2)
    assert shares["audience_mass_followers"] == pytest.approx(0.2)  # the cut-offs are exclusive
    assert shares["audience_influencers"] == pytest.approx(0.2)
    assert shares["audience_real"] == pytest.approx(0.4)  # a missing count is under its cut-off
    assert shares[list(AUDIENCE_COLUMNS)].sum() == pytest.approx(1.0)


def test_without_liker_counts_only_the_suspicious_share_is_given():
    flags = np.array([True, False, False, True])
    creator = np.array([0, 0, 1, 1])
    no_following = pd.DataFrame({"followers": [1, 2, 3, 4]})
    shares = audience_shares(no_following, flags, creator, 2)
    assert shares["audience_suspicious"].tolist() == [0.5, 0.5]
    assert shares[list(AUDIENCE_COLUMNS[:3])].isna().all().all()
    # counts known for creator 0 only: creator 1's trait shares stay missing
    partly = pd.DataFrame({"following": [5, 6, np.nan, np.nan], "followers": [1, 2, 3, np.nan]})
    shares = audience_shares(partly, flags, creator, 2)
    assert shares.loc[0, "audience_real"] == 0.5
    assert np.isnan(shares.loc[1, "audience_real"]) and shares.loc[1, "audience_suspicious"] == 0.5


@pytest.fixture(scope="module")
def report(shipped_model, world):
    likes, _ = world
    return shipped_model.report(likes)


def test_the_report_splits_every_creators_likes_into_shares_summing_to_one(report):
    shares = report.creators[list(AUDIENCE_COLUMNS)]
    assert shares.notna().all().all()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=5e-4)
    # the suspicious share is the raw flag rate of the creator's likes
    flagged = report.creators["flagged_likes"] / report.creators["likes"]
    np.testing.assert_allclose(report.creators["audience_suspicious"], flagged, atol=1e-3)


def test_the_report_without_liker_counts_leaves_the_split_by_traits_missing(shipped_model, world):
    likes, _ = world
    bare = likes.drop(columns=["following", "followers"])
    bare.attrs["detector_validated"] = True
    creators = shipped_model.report(bare).creators
    assert creators[list(AUDIENCE_COLUMNS[:3])].isna().all().all()
    assert creators["audience_suspicious"].between(0, 1).all()


def test_the_chunked_engine_gives_the_same_audience(shipped_model, world, tmp_path):
    from detector.engines.chunked import score_parquet_chunked

    likes, _ = world
    likes.to_parquet(tmp_path / "likes.parquet", index=False)
    got = score_parquet_chunked(tmp_path / "likes.parquet", shipped_model, buckets=3)
    want = shipped_model.report(likes).creators.set_index("creator_id")
    got_shares = got.creators.set_index("creator_id").loc[want.index, list(AUDIENCE_COLUMNS)]
    pd.testing.assert_frame_equal(got_shares, want[list(AUDIENCE_COLUMNS)])


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("audience-world")
    result = runner.invoke(app, ["generate", str(out), "--creators", "8", "--seed", "3"])
    assert result.exit_code == 0, result.stderr
    return out


def test_score_carries_the_audience_in_json_csv_and_table(world_dir, monkeypatch):
    likes = str(world_dir / "likes.csv")
    result = runner.invoke(app, ["score", likes, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    creators = json.loads(result.stdout)["creators"]
    for creator in creators:
        assert sum(creator[name] for name in AUDIENCE_COLUMNS) == pytest.approx(1, abs=5e-4)
    result = runner.invoke(app, ["score", likes, "--format", "csv"])
    table = pd.read_csv(io.StringIO(result.stdout))
    assert set(AUDIENCE_COLUMNS) <= set(table.columns) and len(table) == len(creators)
    monkeypatch.setenv("COLUMNS", "120")
    result = runner.invoke(app, ["score", likes])
    assert "real/mass/" in result.stdout
    first = creators[0]
    cell = "/".join(f"{100 * first[name]:.0f}" for name in AUDIENCE_COLUMNS)
    assert cell in result.stdout
