"""Likes without times, and times coarser than a second: what is detected, left out and said."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.features import build_like_features
from detector.features.arrays import IdCodes
from detector.features.catalogue import TO_HOUR, TO_MINUTE, TO_SECOND, available_features
from detector.features.coordination import post_set_twins
from detector.features.resolution import creator_resolutions, resolution_names
from detector.schema import validate_likes
from detector.scoring import pipeline as sliced
from detector.synth import generate_world
from detector.training import evaluate

from .conftest import validated

TIMING = {"log_delay_minutes", "log_gap_seconds", "log_burst_density", "hour_offset"}
BURSTS = {"log_liker_creator_bursts", "creator_burst_coordination", "log_local_spike"}
runner = CliRunner()


def _creator(name: str, times: list[str] | pd.DatetimeIndex, posts: int = 3) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame(
        {
            "creator_id": name,
            "post_id": [f"{name}_p{i % posts}" for i in range(n)],
            "liker_id": [f"{name}_u{i}" for i in range(n)],
            "liked_at": pd.to_datetime(list(times), utc=True, format="ISO8601"),
        }
    )


def _resolutions(likes: pd.DataFrame) -> dict[str, str]:
    likes = validate_likes(likes, "t")
    ids = IdCodes.of(likes)
    names = resolution_names(creator_resolutions(likes, ids.creator, ids.post))
    return dict(zip(ids.creator_ids, names, strict=True))


def test_each_creators_resolution_is_found_from_its_own_times():
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2026-03-01", tz="UTC")
    seconds = start + pd.to_timedelta(rng.integers(0, 10 * 86_400, 40), unit="s")
    table = pd.concat(
        [
            _creator("sec", seconds),
            _creator("min", seconds.floor("min")),
            _creator("hour", seconds.floor("h")),
            _creator("day", seconds.floor("D")),
            # dates written in a local time zone are still dates
            _creator("day_paris", seconds.floor("D") - pd.Timedelta(hours=2)),
            # one collection time copied onto every like of each post
            _creator("post", [start + pd.Timedelta(seconds=17 * (i % 3)) for i in range(40)]),
        ]
    )
    assert _resolutions(table) == {
        "sec": "second",
        "min": "minute",
        "hour": "hour",
        "day": "day",
        "day_paris": "day",
        "post": "post",
    }
    assert _resolutions(table.drop(columns=["liked_at"])) == dict.fromkeys(
        ["sec", "min", "hour", "day", "day_paris", "post"], "none"
    )


def test_a_creator_with_few_likes_is_read_in_utc_alone():
    """Under five likes, times sharing an offset from whole minutes is no evidence: only
    whole UTC units are taken as coarse."""
    few = _creator("few", ["2026-03-01T10:00:07", "2026-03-02T11:13:07", "2026-03-04T08:01:07"])
    dates = _creator("dates", ["2026-03-01", "2026-03-02"])
    assert _resolutions(pd.concat([few, dates])) == {"few": "second", "dates": "day"}


def test_coarse_times_leave_finer_features_out():
    names = set(available_features(["creator_id", "post_id", "liker_id", "liked_at", TO_HOUR]))
    assert "hour_offset" in names and not (TIMING - {"hour_offset"}) & names
    assert {"log_delay_minutes", "log_burst_density"} <= set(
        available_features(["liked_at", TO_HOUR, TO_MINUTE], "creator")
    )
    assert "log_gap_seconds" in available_features(["liked_at", TO_HOUR, TO_MINUTE, TO_SECOND])

    likes, _ = generate_world(n_creators=6, seed=5)
    day = likes.assign(liked_at=pd.to_datetime(likes["liked_at"], utc=True).dt.floor("D"))
    built = build_like_features(validated(day), "creator")
    assert not (TIMING | BURSTS) & set(built.names)
    assert "log_account_age_days" in built.names  # a date is enough for an account's age
    assert built.missing["log_gap_seconds"] == [TO_SECOND]
    assert not built.groups.bursty.any()  # ties on a day are no burst


def test_likes_without_times_are_scored_from_what_remains(shipped_model):
    likes, creators = generate_world(n_creators=8, seed=21)
    table = validated(likes.drop(columns=["liked_at"]))
    report = shipped_model.report(table, include_likes=True)
    used = set(report.meta["features_used"])
    assert not (TIMING | BURSTS) & used
    # account traits, creation-date batches, near-identical profiles and co-liking
    assert {"log_followers", "creation_day_crowding", "profile_twins", "post_set_twins"} <= used
    assert (report.creators["time_resolution"] == "none").all()
    assert all(
        "no like times (liked_at absent): timing and burst features left out" in reasons
        for reasons in report.creators["reasons"]
    )
    assert report.posts["first_like_at"].isna().all()
    assert "liked_at" not in report.likes.columns
    assert len(report.likes) == len(table)


@pytest.mark.parametrize("in_slices", [False, True])
def test_a_creators_report_does_not_depend_on_the_times_of_others(
    shipped_model, monkeypatch, in_slices
):
    """Creator scope: a creator with exact times scored beside creators with day-level or no
    times (or alone) gets the same report; its neighbours are scored without timing."""
    likes, _ = generate_world(n_creators=6, seed=8)
    first = likes["creator_id"].iloc[0]
    mine = likes[likes["creator_id"] == first]
    others = likes[likes["creator_id"] != first].copy()
    others["liked_at"] = pd.to_datetime(others["liked_at"], utc=True).dt.floor("D")
    alone = shipped_model.report(validated(mine.reset_index(drop=True))).creators
    if in_slices:  # each slice groups its own creators by their times
        monkeypatch.setattr(sliced, "SLICED_FROM_ROWS", 1)
        monkeypatch.setattr(sliced, "SLICE_ROWS", 1_000)
        monkeypatch.setattr(sliced, "cpu_threads", lambda: 2)
    mixed = shipped_model.report(validated(pd.concat([mine, others], ignore_index=True)))
    together = mixed.creators.set_index("creator_id")
    for column in ("inauthentic_share", "inauthentic_share_low", "verdict", "time_resolution"):
        assert together.loc[first, column] == alone.set_index("creator_id").loc[first, column]
    assert set(together.drop(index=first)["time_resolution"]) == {"day"}


def test_sliced_scoring_without_times_gives_the_one_pass_report(shipped_model, monkeypatch):
    likes, _ = generate_world(n_creators=12, seed=3)
    table = validated(likes.drop(columns=["liked_at"]))
    want = shipped_model.report(table, scope="batch")
    monkeypatch.setattr(sliced, "SLICED_FROM_ROWS", 1)
    monkeypatch.setattr(sliced, "SLICE_ROWS", 1_500)
    monkeypatch.setattr(sliced, "cpu_threads", lambda: 2)
    got = shipped_model.report(table, scope="batch")
    pd.testing.assert_frame_equal(
        got.creators.drop(columns=["reasons", "evidence"]),
        want.creators.drop(columns=["reasons", "evidence"]),
    )


def test_post_set_twins_find_likers_in_lockstep_without_times():
    rng = np.random.default_rng(1)
    organic = [(f"u{i}", f"p{p}") for i in range(300) for p in range(8) if rng.random() < 0.2]
    farm = [(f"f{i}", f"p{p}") for i in range(30) for p in (1, 4, 6)]  # the same three posts
    rows = pd.DataFrame(organic + farm, columns=["liker_id", "post_id"]).assign(creator_id="c")
    likes = validate_likes(rows, "t")
    twins = post_set_twins(likes, IdCodes.of(likes).post)
    in_farm = likes["liker_id"].str.startswith("f").to_numpy()
    assert twins[in_farm].min() > 2 * np.percentile(twins[~in_farm], 99)
    # a liker of one post says nothing
    single = likes.groupby("liker_id")["post_id"].transform("size").to_numpy() == 1
    assert (twins[single] == 0).all()


@pytest.mark.parametrize("variant", ["day resolution", "no like times"])
def test_shipped_model_quality_without_fine_times(shipped_model, test_world, variant):
    """Held-out generated world, times cut to the day or removed: the ranking floor and no
    clean creator called inflated."""
    likes, creators = test_world
    if variant == "no like times":
        table = likes.drop(columns=["liked_at"])
    else:
        table = likes.copy()
        for column in ("liked_at", "post_published_at"):
            table[column] = table[column].dt.floor("D")
    table = validated(table)
    metrics = evaluate(shipped_model, table, "is_fake", creators)
    assert metrics["creator_level"]["roc_auc"] >= 0.78
    assert metrics["creator_level"]["share_mae"] < 0.08
    report = shipped_model.report(table).creators.set_index("creator_id")
    clean = creators.loc[creators["inauthentic_share"] == 0, "creator_id"]
    assert (report.loc[clean, "verdict"] != "inflated").all()


def test_cli_scores_likes_without_times_in_each_engine(tmp_path):
    likes, _ = generate_world(n_creators=5, seed=4)
    path = tmp_path / "likers.parquet"
    likes.drop(columns=["liked_at", "is_fake", "tier"]).to_parquet(path)
    reports = {}
    for engine in ("memory", "chunked"):
        result = runner.invoke(app, ["score", str(path), "--engine", engine, "--format", "json"])
        assert result.exit_code == 0, result.stderr
        assert "note: no like times (liked_at absent)" in result.stderr
        reports[engine] = [
            (c["creator_id"], c["inauthentic_share"], c["verdict"])
            for c in json.loads(result.stdout)["creators"]
        ]
    assert reports["memory"] == reports["chunked"] and len(reports["memory"]) == 5
