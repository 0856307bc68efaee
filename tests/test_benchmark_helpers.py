"""Helpers of the detection-quality benchmark: real-pool loaders, pool worlds, baselines, metrics.

Loader tests read the shared data folder beside the project and skip when it is absent.
"""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks import baselines
from benchmarks.baselines import MethodScores, rule_flags, rule_of_thumb
from benchmarks.metrics import pool_metrics, ranking_metrics, simulated_metrics
from benchmarks.real_pools import (
    ENV_VAR,
    POOLS,
    SHARE_CYCLE,
    build_pool_world,
    default_shared_datasets,
    resolve_shared_datasets,
    split_accounts,
)
from benchmarks.shift_worlds import SIMULATED_SHIFTS, bitcoin_otc_world, shifted_world
from detector.schema import validate_likes


@pytest.fixture(scope="module")
def shared_root() -> Path:
    root = resolve_shared_datasets()
    if not root.is_dir():
        pytest.skip(f"shared data folder {root} not found")
    return root


def _load(root: Path, name: str) -> pd.DataFrame:
    folder = root / POOLS[name].folder
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return POOLS[name].loader(root)


# ----------------------------------------------------------------------------- location
def test_shared_folder_resolution_prefers_option_then_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert resolve_shared_datasets() == default_shared_datasets()
    assert default_shared_datasets().parts[-2:] == ("shared", "datasets")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert resolve_shared_datasets() == tmp_path / "env"
    assert resolve_shared_datasets(tmp_path / "opt") == tmp_path / "opt"


# ----------------------------------------------------------------------------- loaders
def test_instafake_has_994_real_and_200_fake_accounts(shared_root):
    accounts = _load(shared_root, "instafake")
    assert accounts["is_fake"].value_counts().to_dict() == {0: 994, 1: 200}
    assert list(accounts.columns) == [
        "followers",
        "following",
        "posts",
        "has_avatar",
        "is_private",
        "bio_length",
        "is_fake",
        "source_class",
    ]
    assert accounts["has_avatar"].dtype == bool
    # the first fake account of the file, untouched
    fake = accounts[accounts["is_fake"] == 1].iloc[0]
    assert (fake["followers"], fake["following"], fake["posts"]) == (25, 1937, 0)


def test_social_honeypot_maps_age_counts_and_bio(shared_root):
    accounts = _load(shared_root, "social_honeypot")
    assert accounts["is_fake"].value_counts().to_dict() == {0: 19_276, 1: 22_223}
    assert set(accounts.columns) == {
        "account_age_days",
        "followers",
        "following",
        "posts",
        "bio_length",
        "is_fake",
        "source_class",
    }
    assert (accounts["account_age_days"] >= 0).all()
    # first legitimate row: created 2006-07-13 15:30:05, collected 2009-11-20 23:56:21,
    # 510 followings, 350 followers, 3265 tweets, description of 34 characters
    first = accounts.iloc[0]
    assert (first["following"], first["followers"], first["posts"], first["bio_length"]) == (
        510,
        350,
        3265,
        34,
    )
    expected_age = (
        pd.Timestamp("2009-11-20 23:56:21") - pd.Timestamp("2006-07-13 15:30:05")
    ).total_seconds() / 86_400
    assert first["account_age_days"] == pytest.approx(expected_age)


def test_purba_counts_real_as_genuine_and_three_fake_classes(shared_root):
    accounts = _load(shared_root, "purba")
    assert len(accounts) == 43_307
    assert (accounts["source_class"] == "r").sum() == 10_441
    assert accounts.loc[accounts["is_fake"] == 0, "source_class"].unique().tolist() == ["r"]
    assert set(accounts.loc[accounts["is_fake"] == 1, "source_class"]) == {"a", "i", "s"}
    assert "account_age_days" not in accounts.columns and "username" not in accounts.columns


def test_gilani_keeps_age_and_screen_name_only(shared_root):
    accounts = _load(shared_root, "gilani")
    # 1,939 humans and 1,492 bots, less 21 screen names listed in both classes
    assert accounts["is_fake"].value_counts().to_dict() == {0: 1_918, 1: 1_471}
    assert set(accounts.columns) == {"account_age_days", "username", "is_fake", "source_class"}
    assert accounts["username"].is_unique


# ----------------------------------------------------------------------------- pool worlds
def _toy_pool(n_genuine: int = 300, n_fake: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_genuine + n_fake
    return pd.DataFrame(
        {
            "account_age_days": rng.uniform(1, 3000, n),
            "followers": rng.integers(0, 5000, n),
            "following": rng.integers(0, 3000, n),
            "posts": rng.integers(0, 500, n),
            "has_avatar": rng.random(n) < 0.8,
            "is_fake": np.r_[np.zeros(n_genuine), np.ones(n_fake)].astype(np.int8),
        }
    )


@pytest.mark.parametrize("timing", ["farm", "organic"])
def test_pool_world_uses_real_attributes_and_hits_the_target_shares(timing):
    pool = _toy_pool(n_fake=2_000)  # enough fake accounts for the largest single delivery
    likes, creators = build_pool_world(pool, n_creators=18, timing=timing, seed=3)
    validate_likes(likes, "pool world", label_column="is_fake")  # follows the contract
    assert not likes.duplicated(["post_id", "liker_id"]).any()
    assert (likes["liked_at"] > likes["post_published_at"]).all()
    # every like carries one pool account's attributes, with that account's label
    attrs = ["followers", "following", "posts", "has_avatar", "is_fake"]
    matched = likes[attrs].merge(
        pool[attrs].drop_duplicates(), on=attrs, how="left", indicator=True
    )
    assert (matched["_merge"] == "both").all()
    assert likes.groupby("liker_id")[["followers", "is_fake"]].nunique().max().max() == 1
    # clean creators are clean; realised shares are near their targets
    assert (creators.loc[creators["target_share"] == 0, "inauthentic_share"] == 0).all()
    inflated = creators[creators["target_share"] > 0]
    assert np.abs(inflated["inauthentic_share"] - inflated["target_share"]).max() < 0.12
    assert set(creators["target_share"]) == set(SHARE_CYCLE)
    truth = likes.groupby("creator_id")["is_fake"].mean()
    assert np.allclose(truth.reindex(creators["creator_id"]), creators["inauthentic_share"])
    styles = set(creators["style"])
    assert styles == ({"clean", "burst", "drip"} if timing == "farm" else {"clean", "organic"})


def test_farm_bursts_are_minutes_long_and_organic_fakes_are_not():
    pool = _toy_pool()
    spans = {}
    for timing in ("farm", "organic"):
        likes, creators = build_pool_world(pool, n_creators=18, timing=timing, seed=4)
        burst = creators.loc[creators["style"].isin(["burst", "organic"]), "creator_id"]
        fakes = likes[likes["creator_id"].isin(burst) & (likes["is_fake"] == 1)]
        span = fakes.groupby("post_id")["liked_at"].agg(lambda t: t.max() - t.min())
        spans[timing] = span.dt.total_seconds().median()
    assert spans["farm"] <= 20 * 60 < spans["organic"]


def test_split_accounts_gives_disjoint_stratified_halves():
    pool = _toy_pool().reset_index(names="row")
    first, second = split_accounts(pool, seed=1)
    assert set(first["row"]).isdisjoint(second["row"])
    assert len(first) + len(second) == len(pool)
    assert first["is_fake"].sum() == 60 and second["is_fake"].sum() == 60


# ----------------------------------------------------------------------------- baselines
def _likes(**columns: list) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame(
        {
            "creator_id": ["a"] * n,
            "post_id": ["p"] * n,
            "liker_id": [f"u{i}" for i in range(n)],
            "liked_at": pd.Timestamp("2026-06-01", tz="UTC"),
            **columns,
        }
    )
    return validate_likes(frame, "test")


def test_rule_of_thumb_flags_each_published_rule():
    likes = _likes(
        followers=[100, 100, 100, 100, 10, 0],
        following=[200, 200, 1600, 200, 150, 5],
        posts=[10, 0, 10, 10, 10, 10],
        has_avatar=[True, True, True, False, True, True],
    )
    flags = rule_flags(likes)
    assert list(flags.columns) == ["no_avatar", "follows_many", "follow_ratio", "no_posts"]
    assert flags.any(axis=1).tolist() == [False, True, True, True, True, False]
    assert flags.loc[1, "no_posts"] and flags.loc[4, "follow_ratio"]
    result = rule_of_thumb(likes)
    assert result.like_score.tolist() == [0, 1, 2, 1, 1, 0]
    assert result.creators["share"].iloc[0] == pytest.approx(4 / 6)


def test_rule_of_thumb_skips_rules_without_their_column():
    likes = _likes(posts=[0, 3])
    assert list(rule_flags(likes).columns) == ["no_posts"]
    assert not rule_of_thumb(_likes(username=["x", "y"])).available


def test_isolation_forest_ranks_a_planted_outlier_first():
    rng = np.random.default_rng(0)
    followers = np.r_[rng.integers(100, 200, 300), 0].tolist()
    following = np.r_[rng.integers(100, 200, 300), 7000].tolist()
    likes = _likes(followers=followers, following=following)
    likes["creator_id"] = np.concatenate([np.repeat(["a", "b", "c"], 100), ["c"]])
    result = baselines.isolation_forest(likes)
    assert int(np.argmax(result.like_score)) == 300
    assert result.extra["columns"] == ["followers", "following"]
    assert set(result.creators.columns) >= {"creator_id", "rank_score", "share", "flagged"}


def test_ecod_is_skipped_without_pyod_and_wired_with_it(monkeypatch):
    likes = _likes(followers=[1, 2, 3, 4], following=[5, 6, 7, 8])
    monkeypatch.setitem(sys.modules, "pyod.models.ecod", None)
    assert "not installed" in baselines.ecod(likes).note

    class FakeECOD:
        def fit(self, matrix: np.ndarray) -> FakeECOD:
            self.decision_scores_ = matrix[:, 0]
            self.labels_ = (matrix[:, 0] > np.log1p(3)).astype(int)
            return self

    module = types.ModuleType("pyod.models.ecod")
    module.ECOD = FakeECOD
    monkeypatch.setitem(sys.modules, "pyod.models.ecod", module)
    result = baselines.ecod(likes)
    assert result.available and result.creators["share"].iloc[0] == pytest.approx(0.25)


# ----------------------------------------------------------------------------- metrics
def test_ranking_metrics_handle_perfect_and_one_class_cases():
    assert ranking_metrics(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == {
        "roc_auc": 1.0,
        "pr_auc": 1.0,
    }
    assert np.isnan(ranking_metrics(np.array([1, 1]), np.array([0.1, 0.2]))["roc_auc"])


def _oracle(likes: pd.DataFrame, creators: pd.DataFrame) -> MethodScores:
    """A method that knows the truth: perfect ranking, exact shares."""
    table = pd.DataFrame(
        {
            "creator_id": creators["creator_id"],
            "rank_score": creators["inauthentic_share"],
            "share": creators["inauthentic_share"],
            "low": creators["inauthentic_share"],
            "high": creators["inauthentic_share"],
            "flagged": creators["inauthentic_share"] >= 0.1,
        }
    )
    return MethodScores("oracle", likes["is_fake"].to_numpy(dtype=float), table)


def test_simulated_metrics_of_an_oracle_are_perfect():
    from detector.synth import generate_world

    likes, creators = generate_world(n_creators=16, seed=5)
    figures = simulated_metrics(_oracle(likes, creators), likes, creators)
    for group in ("naive", "aged", "stealth", "pod", "all"):
        g = figures["groups"][group]
        assert g["like_roc_auc"] == g["creator_roc_auc"] == 1.0
        assert g["share_mae"] == 0 and g["interval_coverage"] == 1
    assert figures["flagged_clean"]["organic"] == 0


def test_pool_metrics_of_an_oracle_are_perfect():
    likes, creators = build_pool_world(_toy_pool(), n_creators=9, timing="organic", seed=1)
    figures = pool_metrics(_oracle(likes, creators), likes, creators)
    assert figures["creator_roc_auc"] == figures["like_roc_auc"] == 1.0
    assert figures["share_mae"] == 0 and figures["clean_flagged"] == 0


# ----------------------------------------------------------------------------- label fractions
def test_parse_fractions_accepts_a_list_and_empty_and_rejects_out_of_range():
    from benchmarks.quality import parse_fractions

    assert parse_fractions("0,0.01,0.1,1") == (0.0, 0.01, 0.1, 1.0)
    assert parse_fractions("") == () and parse_fractions(" , ") == ()
    assert parse_fractions("0.1, 0.1,1") == (0.1, 1.0)
    with pytest.raises(ValueError):
        parse_fractions("1.5")


def test_hide_labels_keeps_a_nested_random_share_of_rows():
    from benchmarks.quality import hide_labels

    labels = pd.Series(np.r_[np.zeros(900), np.ones(100)].astype(np.int8))
    assert np.isnan(hide_labels(labels, 0.0, seed=0)).all()
    assert np.array_equal(hide_labels(labels, 1.0, seed=0), labels.to_numpy(dtype=float))
    small, large = hide_labels(labels, 0.01, seed=0), hide_labels(labels, 0.1, seed=0)
    assert (~np.isnan(small)).sum() == 10 and (~np.isnan(large)).sum() == 100
    kept = ~np.isnan(small)
    assert not np.isnan(large[kept]).any()  # the 1% are among the 10%
    assert np.array_equal(large[kept], labels.to_numpy(dtype=float)[kept])  # values untouched
    assert np.array_equal(small, hide_labels(labels, 0.01, seed=0), equal_nan=True)
    assert not np.array_equal(small, hide_labels(labels, 0.01, seed=1), equal_nan=True)


def test_clean_reference_training_data_is_the_clean_creators_likes_without_labels():
    from benchmarks.quality import clean_creators_likes

    likes = pd.DataFrame(
        {"creator_id": ["a", "a", "b", "c", "c"], "is_fake": [0, 0, 1, 0, 0], "x": range(5)}
    )
    creators = pd.DataFrame({"creator_id": ["a", "b", "c"], "inauthentic_share": [0.0, 1.0, 0.0]})
    out = clean_creators_likes(likes, creators)
    assert out["creator_id"].tolist() == ["a", "a", "c", "c"]
    assert out["x"].tolist() == [0, 1, 3, 4]
    assert "is_fake" not in out.columns


# ----------------------------------------------------------------------------- shift worlds
def _genuine_likers(likes: pd.DataFrame) -> pd.DataFrame:
    genuine = likes[likes["is_fake"] == 0].drop_duplicates("liker_id")
    age = (genuine["liked_at"] - genuine["account_created_at"]).dt.days / 365.25
    return genuine.assign(age_years=age, lurker=genuine["posts"] == 0)


@pytest.fixture(scope="module")
def shift_likers() -> dict[str, pd.DataFrame]:
    from detector.synth import generate_world

    worlds = {"default": generate_world(24, 3)[0]}
    worlds.update({name: shifted_world(name, 24, 3)[0] for name in SIMULATED_SHIFTS})
    return {name: _genuine_likers(likes) for name, likes in worlds.items()}


def test_shift_worlds_move_the_genuine_likers_the_intended_way(shift_likers):
    default, more = shift_likers["default"], shift_likers["more active"]
    less, other = shift_likers["less active"], shift_likers["another platform"]
    for column in ("posts", "following", "followers"):
        assert more[column].median() > 1.5 * default[column].median()
    assert more["lurker"].mean() < default["lurker"].mean() < less["lurker"].mean()
    assert less["followers"].median() < default["followers"].median()
    assert less["age_years"].median() < default["age_years"].median() < other["age_years"].median()
    assert default["is_private"].mean() > 0.1 and other["is_private"].sum() == 0

    def spread(following: pd.Series) -> float:
        return following.quantile(0.9) / following.quantile(0.1)

    assert other["following"].median() < default["following"].median()
    assert spread(other["following"]) > spread(default["following"])
    assert other["following"].max() <= 5_000
    assert other["has_avatar"].mean() > default["has_avatar"].mean()
    assert (other["bio_length"] == 0).mean() < (default["bio_length"] == 0).mean()


def test_shift_worlds_replace_no_fake_tier_parameter():
    fake_prefixes = ("naive_", "aged_", "stealth_", "pod_", "hollow_", "inflat", "farm_")
    for changes in SIMULATED_SHIFTS.values():
        assert not [name for name in changes if name.startswith(fake_prefixes)]


@pytest.mark.parametrize("name", sorted(SIMULATED_SHIFTS))
def test_shift_world_truth_is_the_share_of_fake_likes(name):
    likes, creators = shifted_world(name, 8, 4)
    realised = likes.groupby("creator_id")["is_fake"].mean()
    truth = creators.set_index("creator_id")["inauthentic_share"]
    assert np.allclose(truth.reindex(realised.index), realised)
    assert (truth > 0).any() and (truth == 0).any()


def _write_otc(folder: Path) -> None:
    """Ratee 10: 10 ratings from labelled raters (3 fraudulent) over two months, plus one from an
    unlabelled rater; ratee 20: 9 labelled ratings (too few)."""
    folder.mkdir()
    jan, feb = 1_609_459_200, 1_612_137_600  # 2021-01-01 and 2021-02-01, 00:00 UTC
    rows = [(f"{r}", "10", 1, jan + 3_600 * r) for r in range(1, 7)]
    rows += [(f"{r}", "10", -5, feb + 60 * r) for r in range(7, 11)]
    rows += [("99", "10", 2, jan), *((f"{r}", "20", 1, feb) for r in range(1, 10))]
    lines = [f"{rater},{ratee},{rating},{time}.5" for rater, ratee, rating, time in rows]
    (folder / "otc_network.csv").write_text("\n".join(lines) + "\n")
    labels = [f"{r},{'-1' if r in (1, 8, 9) else '+1'}" for r in range(1, 11)]
    (folder / "otc_gt.csv").write_text("\n".join(labels) + "\n")


def test_bitcoin_world_keeps_labelled_raters_and_makes_a_post_per_month(tmp_path):
    _write_otc(tmp_path / "otc")
    likes, creators = bitcoin_otc_world(tmp_path / "otc")
    assert creators["creator_id"].tolist() == ["10"]
    assert creators["inauthentic_share"].tolist() == [0.3] and creators["likes"].tolist() == [10]
    assert list(likes.columns) == ["creator_id", "post_id", "liker_id", "liked_at", "is_fake"]
    assert "99" not in set(likes["liker_id"])
    assert likes.groupby("post_id").size().to_dict() == {"10_2021-01": 6, "10_2021-02": 4}
    assert str(likes["liked_at"].dt.tz) == "UTC"
    assert likes["liked_at"].iloc[0] == pd.Timestamp("2021-01-01 01:00:00.5", tz="UTC")
    fake = likes.loc[likes["is_fake"] == 1, "liker_id"]
    assert sorted(fake) == ["1", "8", "9"]
    validate_likes(likes, "otc", label_column="is_fake")  # the detector's contract holds


def test_bitcoin_world_refuses_labels_other_than_plus_and_minus_one(tmp_path):
    _write_otc(tmp_path / "otc")
    (tmp_path / "otc" / "otc_gt.csv").write_text("1,0\n")
    with pytest.raises(ValueError):
        bitcoin_otc_world(tmp_path / "otc")


def test_decision_figures_count_exact_verdicts_only():
    from benchmarks.quality import decision_figures

    creators = pd.DataFrame(
        {"creator_id": list("abcdef"), "inauthentic_share": [0, 0, 0, 0.35, 0.5, 0.2]}
    )
    verdicts = ["inflated", "cannot tell", "authentic", "authentic", "cannot tell", "authentic"]
    method = MethodScores(
        "m", None, pd.DataFrame({"creator_id": list("abcdef"), "verdict": verdicts})
    )
    figures = decision_figures(method, creators)
    assert figures["clean_inflated"] == figures["clean_cannot_tell"] == pytest.approx(1 / 3)
    assert figures["heavy_authentic"] == figures["heavy_cannot_tell"] == 0.5


def test_criteria_summary_on_a_hand_made_result():
    from benchmarks.quality import SHIFT_CRITERIA, criteria_summary, criteria_table

    good = {
        "clean_inflated": 0.01,  # bounds are inclusive
        "heavy_authentic": 0.0,
        "creator_roc_auc": 0.9,
        "share_mae": 0.05,
        "interval_coverage": 0.80,
    }
    rule = {"available": True, "creator_roc_auc": 0.8}
    summary = criteria_summary({"detector_shipped": good, "rule_of_thumb": rule})
    assert list(summary) == list(SHIFT_CRITERIA)
    assert all(check["met"] for check in summary.values())
    assert summary["creator ROC AUC above the rule of thumb's"]["reference"] == 0.8

    bad = {**good, "clean_inflated": 0.02, "creator_roc_auc": 0.8, "interval_coverage": 0.98}
    bad["heavy_authentic"] = float("nan")  # no heavy creator: n/a
    unavailable = {"available": False, "note": "no rule input column present"}
    summary = criteria_summary({"detector_shipped": bad, "rule_of_thumb": rule})
    met = {name: check["met"] for name, check in summary.items()}
    assert list(met.values()) == [False, None, False, True, False]  # equal AUC is not above
    summary = criteria_summary({"detector_shipped": good, "rule_of_thumb": unavailable})
    assert summary["creator ROC AUC above the rule of thumb's"]["met"] is None
    table = criteria_table({"w": {"exact times": summary}})
    assert "| w | exact times | yes (0.010) | yes (0.000) | n/a (0.900) |" in table


# ----------------------------------------------------------------------------- the script
def test_quality_script_runs_end_to_end_on_a_tiny_world(tmp_path, capsys):
    from benchmarks import quality

    output = tmp_path / "quality.json"
    argv = [
        "--creators",
        "16",
        "--shared-datasets",
        str(tmp_path / "absent"),
        "--label-fractions",
        "0,1",
    ]
    assert quality.main([*argv, "--output", str(output)]) == 0
    printed = capsys.readouterr()
    assert "| naive | detector_retrained |" in printed.out
    assert "Real pools skipped" in printed.out and "Real pools skipped" in printed.err
    result = json.loads(output.read_text())
    assert result["real_pools"]["status"] == "skipped"
    assert result["machine"]["cores"] >= 1
    detector = result["simulated"]["methods"]["detector_retrained"]
    assert 0.0 <= detector["groups"]["all"]["creator_roc_auc"] <= 1.0
    assert "| 0% | 0 |" in printed.out and "| 100% |" in printed.out
    unsupervised, full = result["label_fractions"]["fractions"]
    assert unsupervised["status"] == full["status"] == "ok"
    assert not unsupervised["supervised"] and full["supervised"]
    assert full["labelled_likes"] == result["simulated"]["train_likes"]
    shift = result["shift"]
    assert list(shift["worlds"]) == list(quality.SHIFT_SIMULATED_WORLDS)
    assert set(shift["skipped"]) == set(quality.CRITERIA_WORLDS) and shift["criteria"] == {}
    variants = shift["worlds"]["less active"]["variants"]
    assert list(variants) == list(quality.TIME_VARIANTS)
    assert list(variants["no like times"]) == list(quality.SHIFT_METHODS)
    assert "| less active | day resolution | detector_shipped/batch_scope |" in printed.out


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_speed_launcher_counts_the_memory_of_worker_processes():
    import subprocess
    import time

    from benchmarks.speed import _tree_rss_bytes

    alone = _tree_rss_bytes(os.getpid())
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; b = bytearray(200 * 2**20); sys.stdin.read()"],
        stdin=subprocess.PIPE,
    )
    try:
        for _ in range(100):  # until the child has touched its 200 MiB
            with_child = _tree_rss_bytes(os.getpid())
            if with_child - alone > 190 * 2**20:
                break
            time.sleep(0.05)
        assert with_child - alone > 190 * 2**20
    finally:
        child.communicate(b"")


def test_speed_spilled_run_forces_the_spill_and_reports_are_compared_across_engines(tmp_path):
    import json

    from benchmarks.speed import Dataset, command_for, compare_reports

    data = Dataset("1M", 1_000_000, 0, "likes.parquet", 1_000_203, 9, 10, 1, "x")
    spilled = command_for("end_to_end_spilled", data, tmp_path)
    assert spilled[spilled.index("--engine") + 1] == "chunked"
    assert spilled[spilled.index("--partitions") + 1] == "9"  # one bucket per 125,000 likes
    assert "--partitions" not in command_for("end_to_end_chunked", data, tmp_path)

    dirs = {}
    for method, share in (
        ("end_to_end_memory", 0.1),
        ("end_to_end_chunked", 0.1),
        ("end_to_end_spilled", 0.2),
    ):
        dirs[method] = tmp_path / method
        dirs[method].mkdir()
        creators = [{"creator_id": "a", "likes": 5, "inauthentic_share": 0.0}]
        creators.append({"creator_id": "b", "likes": 5, "inauthentic_share": share})
        report = {"creators": creators}
        (dirs[method] / f"report-{method}.json").write_text(json.dumps(report))
    check = compare_reports(dirs)
    assert check["methods"] == list(dirs)
    assert (check["creators"], check["differing_creators"], check["examples"]) == (2, 1, ["b"])
    assert compare_reports({"end_to_end_memory": dirs["end_to_end_memory"]})["checked"] is False


def test_speed_shapes_and_cold_sample_options(tmp_path):
    import csv
    import json
    from dataclasses import asdict

    from benchmarks.speed import (
        HEAVY_MIN_LIKES,
        SAMPLE,
        Dataset,
        cached_dataset,
        heavy_tail_sizes,
        parse_args,
        sample_without,
    )

    sizes = heavy_tail_sizes(5_000_000)
    assert sizes[0] >= 0.4 * 5_000_000 and sizes == sorted(sizes, reverse=True)
    assert min(sizes) >= HEAVY_MIN_LIKES and sum(sizes) < 5_000_000

    args = parse_args(["--sizes", "20M,5M:heavy", "--cold-sample"])
    assert (args.sizes, args.shapes, args.cold_sample) == (
        [20_000_000, 5_000_000],
        ["uniform", "heavy"],
        True,
    )
    assert parse_args(["--sizes", "1M", "--shape", "heavy"]).shapes == ["heavy"]
    assert parse_args(["--sizes", "none", "--cold-sample"]).sizes == []

    out = sample_without(("account_created_at",), tmp_path / "s.csv")
    with (
        open(SAMPLE, newline="", encoding="utf-8") as a,
        open(out, newline="", encoding="utf-8") as b,
    ):
        full, cut = list(csv.reader(a)), list(csv.reader(b))
    drop = full[0].index("account_created_at")
    assert cut == [row[:drop] + row[drop + 1 :] for row in full]

    parquet = tmp_path / "likes.parquet"
    parquet.write_bytes(b"x")
    data = Dataset("1M", 1_000_000, 0, str(parquet), 1_000_203, 9, 10, 1, "x")
    sidecar = tmp_path / "likes.json"
    sidecar.write_text(json.dumps(asdict(data)))
    assert cached_dataset(sidecar, 1_000_000, 0, "x") is not None  # uniform: as before
    assert cached_dataset(sidecar, 1_000_000, 0, "x", "heavy") is None  # the key has the shape


def test_the_quantifiers_recover_a_known_share_of_fakes():
    """Two creators whose scores mix two known distributions at 30% and 0% fakes."""
    from benchmarks.quantifiers import em_shares, hdy_shares, pcc_shares

    rng = np.random.default_rng(0)
    authentic, fake = rng.normal(0, 1, 20_000), rng.normal(3, 1, 20_000)
    mixed = np.r_[rng.normal(0, 1, 1_400), rng.normal(3, 1, 600)]
    clean = rng.normal(0, 1, 2_000)
    scores = np.r_[mixed, clean]
    codes = np.r_[np.zeros(2_000, np.int64), np.ones(2_000, np.int64)]
    # P(fake | score) at even odds for these two normals
    probability = 1 / (1 + np.exp(-(3 * scores - 4.5)))
    assert hdy_shares(scores, codes, 2, authentic, fake) == pytest.approx([0.3, 0.0], abs=0.03)
    assert em_shares(probability, codes, 2) == pytest.approx([0.3, 0.0], abs=0.03)
    pcc = pcc_shares(probability, codes, 2)
    assert 0.25 < pcc[0] < 0.35 and pcc[1] < 0.1  # biased, but in the right place
