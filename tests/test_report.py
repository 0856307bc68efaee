"""The creator report: contract fields, intervals, verdicts, reasons and per-post breakdown."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from detector.calibrate import between_group_spread, clustered_size, share_interval
from detector.report import iso_times, verdicts

CONTRACT = {
    "creator_id",
    "likes",
    "authenticity",
    "inauthentic_share",
    "inauthentic_share_interval",
    "authentic_likes",
    "verdict",
    "reasons",
    "posts",
}


@pytest.fixture(scope="module")
def report(model, test_world):
    return model.report(test_world[0], include_likes=True)


def test_json_report_carries_the_contract_fields(report):
    data = json.loads(report.to_json())
    for creator in data["creators"]:
        assert CONTRACT <= set(creator)
        low, high = creator["inauthentic_share_interval"]
        assert 0 <= low <= creator["inauthentic_share"] <= high <= 1
        assert creator["authenticity"] == pytest.approx(
            100 * (1 - creator["inauthentic_share"]), abs=0.06
        )
        assert creator["reasons"] and all(isinstance(r, str) for r in creator["reasons"])
        assert sum(p["likes"] for p in creator["posts"]) == creator["likes"]
    assert data["meta"]["score_orientation"] == "higher score = more suspicious"


def test_one_creator_per_line_is_the_same_json_value(report):
    text = report.to_json(creator_per_line=True)
    assert json.loads(text) == json.loads(report.to_json())
    lines = text.splitlines()
    creators = [line for line in lines if line.startswith('    {"creator_id"')]
    assert len(creators) == len(report.creators)


def test_each_creator_line_is_exactly_what_json_dumps_writes(report):
    """Creators and posts are written from their columns: the text must be json.dumps' own,
    byte for byte, also for quotes, non-ASCII text, missing values, a creator without posts
    and posts of creators that alternate."""
    from detector.report import CreatorReport

    creators = report.creators.head(3).copy()
    creators["creator_id"] = ['quote "q" \\', "caf\u00e9 \u2603", "no posts"]
    creators.loc[1, "suspicion_index"] = np.nan
    posts = report.posts.head(4).copy()
    posts["creator_id"] = [creators["creator_id"][i] for i in (0, 1, 0, 1)]  # interleaved
    posts["post_id"] = ["p,1", 'p"2', "\u00fc", "%s"]
    posts["inauthentic_share"] = [0.1, np.nan, 1 / 3, 0.0]
    posts["first_like_at"] = posts["first_like_at"].astype(object)
    posts.loc[posts.index[2], "first_like_at"] = None
    odd = CreatorReport(creators=creators, posts=posts, meta=report.meta)
    lines = odd.to_json(creator_per_line=True).splitlines()
    written = [line[4:].rstrip(",") for line in lines if line.startswith('    {"creator_id"')]
    assert written == [json.dumps(creator) for creator in odd.to_dict()["creators"]]
    assert json.loads(written[2])["posts"] == []


def test_engagement_rates_are_given_when_followers_are_known(report):
    creators = report.creators
    assert (creators["authentic_engagement_rate"] <= creators["engagement_rate"] + 1e-12).all()
    assert (creators["engagement_rate"] > 0).all()


def test_inflated_creators_get_higher_shares_than_organic_ones(report, test_world):
    truth = test_world[1].set_index("creator_id")
    shares = report.creators.set_index("creator_id")["inauthentic_share"]
    inflated = truth.index[truth["inauthentic_share"] > 0.2]
    organic = truth.index[truth["tier"] == "organic"]
    assert shares[inflated].median() > shares[organic].median() + 0.15


def test_share_estimates_track_the_truth(report, test_world):
    truth = test_world[1].set_index("creator_id")["inauthentic_share"]
    shares = report.creators.set_index("creator_id")["inauthentic_share"]
    assert np.mean(np.abs(shares - truth.reindex(shares.index))) < 0.12


def test_reasons_quote_numbers_against_the_reference(report):
    inflated = report.creators[report.creators["verdict"] == "inflated"]
    assert len(inflated) > 0
    for reasons in inflated["reasons"]:
        assert any("(reference: " in r for r in reasons), reasons


def test_per_like_output_joins_the_input_keys(report, test_world):
    likes = report.likes
    assert {"creator_id", "post_id", "liker_id", "liked_at", "score", "flagged"} <= set(
        likes.columns
    )
    assert len(likes) == len(test_world[0])


def test_verdict_cut_offs():
    share = np.array([0.05, 0.15, 0.30, 0.30, 0.05, 0.15, 0.30])
    low = np.array([0.0, 0.05, 0.2, 0.1, 0.0, 0.12, 0.05])
    high = np.array([0.2, 0.2, 0.4, 0.5, 0.3, 0.3, 0.6])
    assert verdicts(share, low, high).tolist() == [
        "authentic",  # below 10%, and the interval rules 25% out
        "suspicious",
        "inflated",
        "inflated",
        "cannot tell",  # the interval reaches from authentic to inflated
        "suspicious",  # above 10% at its lower end, not inflated
        "cannot tell",
    ]
    likes = np.array([100, 100, 49, 50, 100, 100, 100])
    assert verdicts(share, low, high, likes)[2:4].tolist() == ["cannot tell", "inflated"]
    few_features = verdicts(share, low, high, likes, features=5).tolist()
    assert "authentic" not in few_features and few_features[0] == "cannot tell"


def test_shift_moves_the_rates_and_so_the_interval():
    """A creator whose rates may lie elsewhere gets a wider interval, never a narrower one."""
    from types import SimpleNamespace

    rate, effective = np.array([0.02, 0.3]), np.array([400.0, 400.0])
    low, high = share_interval(rate, effective, fpr=0.05, tpr=0.9)
    ranges = SimpleNamespace(
        fpr_low=np.array([0.01, 0.05]),
        fpr_high=np.array([0.05, 0.12]),
        tpr_low=np.array([0.5, 0.9]),
        tpr_high=np.array([0.9, 0.9]),
    )
    moved_low, moved_high = share_interval(rate, effective, 0.05, 0.9, shifted=ranges)
    assert (moved_low <= low + 1e-12).all() and (moved_high >= high - 1e-12).all()
    assert moved_high[0] > high[0] + 0.01  # a lower fpr and tpr allow more inauthentic likes
    assert moved_low[1] < low[1] - 0.05  # a higher fpr explains more of the flags


def test_uncertain_rates_widen_the_share_interval():
    rate, effective = np.array([0.02, 0.3]), np.array([400.0, 400.0])
    exact_low, exact_high = share_interval(rate, effective, fpr=0.01, tpr=0.9)
    low, high = share_interval(rate, effective, fpr=0.01, tpr=0.9, fpr_size=300, tpr_size=20)
    assert np.all(low <= exact_low) and np.all(high >= exact_high)
    assert np.any(high - low > exact_high - exact_low + 0.01)


def test_rates_measured_on_few_creators_count_as_few_trials():
    flags = np.r_[np.ones(50), np.zeros(50)].astype(bool)
    one_creator_each_half = np.r_[np.zeros(50), np.ones(50)]
    assert clustered_size(flags, None) == 100
    assert clustered_size(flags, one_creator_each_half) < 5


def test_the_spread_of_rates_between_creators_is_what_sampling_does_not_explain():
    rng = np.random.default_rng(0)
    creators = np.repeat(np.arange(200), 500)
    same_rate = rng.random(len(creators)) < 0.05
    assert between_group_spread(same_rate, creators) < 0.005
    rates = np.where(np.arange(200) % 2 == 0, 0.0, 0.2)  # true spread 0.1
    own_rates = rng.random(len(creators)) < rates[creators]
    assert between_group_spread(own_rates, creators) == pytest.approx(0.1, abs=0.01)
    assert between_group_spread(own_rates, None) == 0.0


def test_rates_that_vary_between_creators_widen_the_share_interval():
    rate, effective = np.array([0.0, 0.05, 0.3]), np.array([400.0, 400.0, 400.0])
    plain_low, plain_high = share_interval(rate, effective, 0.03, 0.9, 5_000, 500)
    low, high = share_interval(rate, effective, 0.03, 0.9, 5_000, 500, 0.02, 0.1)
    assert np.all(low <= plain_low) and np.all(high >= plain_high)
    assert high[2] > plain_high[2] + 0.01  # a farm that this model catches less often
    assert low[1] == 0.0 < plain_low[1]  # 5% flagged is within one audience's false positives


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_times_are_written_as_isoformat_writes_them(unit):
    rng = np.random.default_rng(1)
    ticks = rng.integers(-(10**18), 4 * 10**18, 3_000)
    ticks[::3] = ticks[::3] // 10**9 * 10**9  # whole seconds
    ticks[1::3] = ticks[1::3] // 1_000 * 1_000  # whole microseconds
    times = pd.Series(pd.to_datetime(ticks, utc=True)).astype(f"datetime64[{unit}, UTC]")
    times[7] = pd.NaT
    expected = [None if t is pd.NaT else t.isoformat() for t in times]
    assert iso_times(times) == expected
    assert iso_times(times.dt.tz_convert("Europe/Paris"))[:3] == [
        t.isoformat() for t in times.dt.tz_convert("Europe/Paris")[:3]
    ]


def test_condition_shares_are_the_per_creator_means_of_the_condition_matrix(jit_path):
    from detector.reasons import CONDITIONS, condition_matrix, condition_shares

    rng = np.random.default_rng(11)
    n, groups = 5000, 40
    features = pd.DataFrame({c.feature: rng.normal(c.threshold, 1.0, n) for c in CONDITIONS[:8]})
    features.iloc[::7, 0] = np.nan  # some likes lack a feature
    features.iloc[:, 1] = np.where(rng.random(n) < 0.5, features.iloc[:, 1], np.nan)
    group = rng.integers(0, groups - 1, n)  # the last group has no likes
    features.loc[group == 3, features.columns[2]] = np.nan  # a group with no known value
    features.iloc[:20, 3] = features.iloc[:20, 3].map(lambda _: CONDITIONS[3].threshold)  # ties
    expected = condition_matrix(features).groupby(group).mean().reindex(range(groups))
    shares = condition_shares(features, group, groups)
    assert list(shares.columns) == list(expected.columns)
    np.testing.assert_array_equal(shares.to_numpy(), expected.to_numpy())  # NaN where NaN
    assert np.isnan(shares.iloc[3, 2]) and shares.iloc[-1].isna().all()


def test_largest_burst_per_creator_is_the_biggest_post_and_bucket_group(test_world):
    """A burst is the bursty likes of one post in one bucket; each creator's largest is the one
    with most likes (on ties the earliest bucket, then the smallest post id), with its time span and the median of how
    many other bursts its accounts joined."""
    from detector.features import build_like_features
    from detector.report import largest_bursts

    likes = test_world[0]
    built = build_like_features(likes, scope="creator")
    groups = built.groups
    got = largest_bursts(likes, built.values, groups.post, (groups.bucket, groups.bursty))
    rows = likes[groups.bursty].assign(
        bucket=groups.bucket[groups.bursty],
        other=np.expm1(built.values["log_liker_creator_bursts"][groups.bursty]) - 1,
        minutes=likes["liked_at"][groups.bursty].astype("int64") / 6e10,
    )
    bursts = rows.groupby(["creator_id", "post_id", "bucket"], sort=False).agg(
        likes=("other", "size"),
        other_bursts=("other", "median"),
        first=("minutes", "min"),
        last=("minutes", "max"),
    )
    bursts = bursts.reset_index().sort_values(
        ["likes", "bucket", "post_id"], ascending=[False, True, True], kind="stable"
    )
    want = bursts.drop_duplicates("creator_id").set_index("creator_id")
    second = bursts.groupby("creator_id", sort=False)["likes"].nth(1)
    tied = want["likes"].reindex(bursts.loc[second.index, "creator_id"]).to_numpy() == second
    assert len(want) > 5 and tied.any()  # some creators have two largest bursts
    got = got.reindex(want.index)
    assert got["post_id"].tolist() == want["post_id"].tolist()
    assert got["likes"].tolist() == want["likes"].tolist()
    np.testing.assert_array_equal(got["other_bursts"], want["other_bursts"])
    np.testing.assert_array_equal(got["minutes"], want["last"] - want["first"])
    assert not got["across"].any()


def test_largest_bursts_do_not_depend_on_row_order(test_world):
    """Ties between equally large bursts are broken by values: shuffled rows pick the same
    burst (post, likes, minutes) for every creator (row order picked the first to appear)."""
    from detector.features import build_like_features
    from detector.report import largest_bursts

    def bursts(likes: pd.DataFrame) -> pd.DataFrame:
        built = build_like_features(likes, scope="creator")
        groups = built.groups
        got = largest_bursts(likes, built.values, groups.post, (groups.bucket, groups.bursty))
        return got.sort_index()

    likes = test_world[0]
    shuffled = likes.sample(frac=1, random_state=5).reset_index(drop=True)
    pd.testing.assert_frame_equal(bursts(likes), bursts(shuffled))


def test_effective_sizes_count_nested_clusters_directly_with_the_same_numbers():
    from detector.calibrate import effective_sizes
    from detector.features.arrays import pair_codes

    rng = np.random.default_rng(12)
    creator = np.sort(rng.integers(0, 30, 6000))[rng.permutation(6000) % 6000]
    creator = pd.factorize(creator)[0]
    post = pair_codes(creator, rng.integers(0, 8, 6000))
    for share in (0.0, 0.05, 0.4, 1.0):
        flags = rng.random(6000) < share
        nested = effective_sizes(flags, creator, post, nested=True)
        grouped = effective_sizes(flags, creator, post)
        pd.testing.assert_frame_equal(nested, grouped, check_exact=True)
        assert (nested["likes"] == np.bincount(creator)[nested.index]).all()
        assert (nested["effective_likes"] <= nested["likes"]).all()
    # creators interleaved (as above): each one's effective size is computed from its own likes
    flags = rng.random(6000) < 0.2
    everyone = effective_sizes(flags, creator, post, nested=True)
    for code in range(3):
        own = creator == code
        alone = effective_sizes(flags[own], creator[own] * 0, pd.factorize(post[own])[0])
        assert everyone.loc[code, "effective_likes"] == alone["effective_likes"].iloc[0]
    flags = rng.random(6000) < 0.3
    alone = effective_sizes(flags, np.zeros(6000, np.int8), np.arange(6000))["effective_likes"]
    assert 5999 <= alone.iloc[0] <= 6000  # one like per cluster: nothing to shrink
    alike = np.repeat(rng.random(60) < 0.3, 100)  # 60 clusters of 100 likes flagged alike
    clustered = effective_sizes(alike, np.zeros(6000, np.int8), np.arange(6000) // 100)
    assert clustered["effective_likes"].iloc[0] <= 61
