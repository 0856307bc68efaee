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
from detector.features.account import _regex_digit_share, username_digit_share
from detector.features.arrays import (
    IdCodes,
    distinct,
    distinct_inverse,
    distinct_per_group,
    row_codes,
)
from detector.features.coordination import (
    CROWDING_HALF_WINDOW_DAYS,
    _profile_cells,
    creation_day_crowding,
    profile_twins,
)
from detector.features.timing import timing_features
from detector.schema import creation_times, validate_likes
from tests.conftest import use_path


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
    # the timing features themselves (hand-written times on whole minutes would leave the gaps
    # out of the feature set: see test_coarse_times_leave_finer_features_out)
    values = timing_features(validate_likes(tiny_likes, "test"))
    # delays after publication: 0, 1 and 5 minutes; like 4 three hours after its post
    np.testing.assert_allclose(np.expm1(values["log_delay_minutes"]), [0, 1, 5, 60], atol=1e-9)
    # gap to the previous like on the same post; first likes fall back to the delay or mean gap
    np.testing.assert_allclose(np.expm1(values["log_gap_seconds"])[1], 60.0)
    np.testing.assert_allclose(np.expm1(values["log_gap_seconds"])[3], 3600.0)


def _timing_edge_cases(seed: int, n: int = 6000) -> pd.DataFrame:
    """Likes with ties within a second, posts of one like, publication times unknown, after
    the first like or before 1970, and creators whose likes straddle midnight."""
    rng = np.random.default_rng(seed)
    post = rng.integers(0, n // 8, n)
    base = np.where(post % 7 == 0, -3 * 10**8, 1.7 * 10**9).astype(np.int64)
    liked = base + post * 5000 + rng.integers(0, 4 * 86_400, n) // np.where(post % 3, 1, 900)
    published = base + post * 5000 + rng.integers(-3600, 600, n)
    frame = pd.DataFrame(
        {
            "creator_id": (post % 11).astype(str),
            "post_id": post.astype(str),
            "liker_id": rng.integers(0, n, n).astype(str),
            "liked_at": pd.to_datetime(liked, unit="s", utc=True),
            "post_published_at": pd.to_datetime(published, unit="s", utc=True),
        }
    )
    frame.loc[post % 5 == 0, "post_published_at"] = pd.NaT
    return frame


@pytest.mark.parametrize("published", [True, False])
def test_timing_kernels_give_the_numpy_values_bit_for_bit(monkeypatch, published):
    from detector.features.timing import post_timeline, seconds, timing_features

    likes = validate_likes(_timing_edge_cases(7), "test")
    if not published:
        likes = likes.drop(columns="post_published_at")
    ids = IdCodes.of(likes)
    timeline = post_timeline(ids.post, seconds(likes["liked_at"]))
    use_path(monkeypatch, "numpy")
    expected = timing_features(likes, ids.post, ids.creator, timeline)
    use_path(monkeypatch, "kernel")
    compiled = timing_features(likes, ids.post, ids.creator, timeline)
    assert list(compiled) == list(expected)
    for name, values in expected.items():
        assert np.array_equal(compiled[name], values), name
    assert (np.expm1(expected["log_gap_seconds"]) == 0).sum() >= 20  # ties were exercised


def test_a_creators_peak_hour_depends_on_its_own_likes_only():
    """The circular mean of a creator's hours is summed over its own likes in their order: the
    same with or without other creators' likes around (interleaved or not), and pandas' mean
    for creators that come one after the other."""
    from detector.features.timing import _cos_sin, _peak_hours

    rng = np.random.default_rng(9)
    creators = rng.integers(0, 40, 20_000)
    cos_sin = _cos_sin(rng.integers(0, 86_400, 20_000))
    everyone = _peak_hours(creators, cos_sin)
    some = creators < 20
    alone = _peak_hours(creators[some], tuple(values[some] for values in cos_sin))
    assert np.array_equal(everyone[:20], alone[:20])
    ordered = np.argsort(creators, kind="stable")
    frame = pd.DataFrame({"creator": creators[ordered]})
    frame["cos"], frame["sin"] = (values[ordered] for values in cos_sin)
    means = frame.groupby("creator")[["cos", "sin"]].mean()
    expected = np.arctan2(means["sin"], means["cos"]).to_numpy() * (24.0 / (2 * np.pi))
    assert np.array_equal(everyone, expected)
    assert 0 < np.abs(everyone).max() <= 12.0  # hours either side of midnight


@pytest.mark.parametrize("path", ["numpy", "kernel"])
def test_likes_centuries_apart_keep_each_posts_neighbours_its_own(monkeypatch, path):
    """Likes 571 years apart would overflow keys of post and seconds: each post's seconds then
    count from its own first like, and no post's window reaches another's likes."""
    use_path(monkeypatch, path)
    likes = validate_likes(_timing_edge_cases(5, n=3000), "test")
    old = likes.iloc[:3].assign(creator_id="archive", post_id="old")
    old["liked_at"] = pd.to_datetime(
        ["1690-01-01 00:00:07", "1690-01-01 00:01:13", "1690-01-01 00:02:29"]
    )
    old["liked_at"] = old["liked_at"].dt.tz_localize("UTC")
    late = likes.iloc[:1].assign(creator_id="archive", post_id="late")
    late["liked_at"] = pd.Timestamp("2261-12-31 00:00:05", tz="UTC")
    for frame in (old, late):
        frame["post_published_at"] = pd.NaT
    both = pd.concat([late, old, likes], ignore_index=True)  # the late post numbered first
    with_late = features_of(both)
    names = ["log_burst_density", "log_local_spike", "log_gap_seconds", "log_delay_minutes"]
    without = pd.concat([features_of(old), features_of(likes)], ignore_index=True)
    for name in names:
        np.testing.assert_array_equal(with_late[name].to_numpy()[1:], without[name].to_numpy())


def test_hour_angles_from_the_day_table_equal_computed_ones():
    from detector.features.timing import _cos_sin, _cos_sin_of_day

    seconds_of_day = np.random.default_rng(8).integers(0, 86_400, 50_000)
    table, computed = _cos_sin_of_day(seconds_of_day), _cos_sin(seconds_of_day)
    assert all(np.array_equal(a, b) for a, b in zip(table, computed, strict=True))


def test_burst_density_is_high_inside_a_burst_and_near_one_for_steady_likes():
    steady = pd.DataFrame(
        {
            "creator_id": "c",
            "post_id": "p",
            "liker_id": range(100),
            # one like an hour, to the second
            "liked_at": np.arange(100) * 3600 + np.random.default_rng(0).integers(0, 3600, 100),
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


def test_a_column_counts_as_present_by_any_value_not_only_its_first(tiny_likes):
    likes = tiny_likes.assign(following=[None, 20, None, None], tags=[["x", "z"], [], None, ["y"]])
    likes["username"] = None
    built = build_like_features(validate_likes(likes, "t"))
    assert "following_followers_log_ratio" in built.names  # first value missing, not all
    assert built.missing["username_digit_share"] == ["username"]  # no value at all


def test_required_columns_alone_still_give_timing_and_footprint_features(tiny_likes):
    seconds = [
        "2026-01-01T00:00:03",
        "2026-01-01T00:01:11",
        "2026-01-01T00:05:29",
        "2026-01-02T08:00:41",
    ]
    to_the_second = tiny_likes.assign(liked_at=seconds)
    built = build_like_features(
        validate_likes(to_the_second[["creator_id", "post_id", "liker_id", "liked_at"]], "t")
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
        "post_set_twins",
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


# ------------------------------------------------------------- fast features vs the plain originals


def reference_creation_day_crowding(likes: pd.DataFrame, ids: IdCodes) -> np.ndarray:
    """The pandas version that ``creation_day_crowding`` replaced, kept as its reference (on
    the creation times the contract keeps: unknown where after the like)."""
    created = creation_times(likes)
    missing = np.isnat(created)
    day = np.where(missing, 0, created.astype("datetime64[D]").astype("int64"))
    creator, liker = ids.creator, ids.liker
    unique = pd.DataFrame({"c": creator, "l": liker, "d": day, "m": missing}).drop_duplicates(
        ["c", "l"]
    )
    unique = unique[~unique["m"].to_numpy()]
    key = np.sort(
        unique["c"].to_numpy().astype(np.int64) * (1 << 32) + unique["d"].to_numpy() + (1 << 31)
    )
    query = creator.astype(np.int64) * (1 << 32) + day + (1 << 31)
    same = np.searchsorted(key, query, "right") - np.searchsorted(key, query, "left")
    w = CROWDING_HALF_WINDOW_DAYS
    around = np.searchsorted(key, query + w, "right") - np.searchsorted(key, query - w, "left")
    expected = (around - same) / (2 * w) + 1.0
    out = np.log1p(np.maximum(same - 1, 0) / expected)
    out[missing] = np.nan
    return out


def reference_profile_twins(likes: pd.DataFrame, ids: IdCodes) -> np.ndarray:
    """The pandas grouping that ``profile_twins`` replaced (same profile cells), as reference."""
    creator, liker = ids.creator, ids.liker
    profile, missing = _profile_cells(likes)
    cells = [creator.astype(np.int64), *profile]
    frame = pd.DataFrame(np.column_stack(cells))
    frame["liker"] = liker
    distinct = frame.drop_duplicates()
    cell_columns = list(range(len(cells)))
    size = distinct.groupby(cell_columns, sort=False)["liker"].transform("size")
    distinct = distinct.assign(size=size.to_numpy())
    merged = frame.merge(distinct, on=[*cell_columns, "liker"], how="left")
    creator_likers = pd.Series(liker).groupby(creator).transform("nunique").to_numpy()
    out = np.log1p(100.0 * (merged["size"].to_numpy() - 1) / np.maximum(creator_likers, 1))
    out[missing] = np.nan
    return out


def reference_username_digit_share(usernames: pd.Series) -> np.ndarray:
    """The regex definition (digits as Python's ``re`` counts them), kept as the reference."""
    return _regex_digit_share(usernames)


def assert_same_bits(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == expected.dtype == np.float64
    assert np.array_equal(actual.view(np.int64), expected.view(np.int64))


def profile_likes(seed: int, n: int, creators: int, likers: int) -> pd.DataFrame:
    """Likes with repeated likers, missing and extreme profile values and NaT creation times."""
    rng = np.random.default_rng(seed)
    liked = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 90 * 86_400, n), unit="s"
    )
    age_days = rng.choice([0.0, 0.4, 1.0, 30.0, 400.0, 3000.0, -2.0], n) + rng.integers(0, 3, n)
    created = pd.Series(liked - pd.to_timedelta(age_days, unit="D"))
    created[rng.random(n) < 0.1] = pd.NaT
    columns = {}
    for name in ("followers", "following", "posts"):
        values = np.floor(np.expm1(rng.uniform(0, 12, n)))
        special = rng.random(n)
        values[special < 0.05] = np.nan
        values[(special >= 0.05) & (special < 0.08)] = 0.0
        values[(special >= 0.08) & (special < 0.09)] = 1e300
        values[(special >= 0.09) & (special < 0.095)] = np.inf
        columns[name] = values
    return pd.DataFrame(
        {
            "creator_id": rng.integers(0, creators, n).astype(str),
            "post_id": rng.integers(0, 5, n).astype(str),
            "liker_id": rng.integers(0, likers, n).astype(str),
            "liked_at": liked,
            "account_created_at": created,
            **columns,
        }
    )


@pytest.mark.parametrize(
    ("seed", "n", "creators", "likers"),
    [(0, 3000, 7, 400), (1, 3000, 1, 50), (2, 500, 40, 5000), (3, 1, 1, 1), (4, 2000, 3, 3)],
)
def test_crowding_and_twins_equal_their_pandas_reference_bit_for_bit(seed, n, creators, likers):
    likes = profile_likes(seed, n, creators, likers)
    ids = IdCodes.of(likes)
    assert_same_bits(creation_day_crowding(likes, ids), reference_creation_day_crowding(likes, ids))
    assert_same_bits(profile_twins(likes, ids), reference_profile_twins(likes, ids))


def test_crowding_and_twins_equal_their_reference_on_edge_cases():
    likes = profile_likes(5, 800, 4, 60)
    cases = {
        "empty": likes.iloc[:0],
        "no creation times": likes.assign(account_created_at=pd.NaT),
        "one day": likes.assign(account_created_at=likes["liked_at"].iloc[0]),
        "missing profile": likes.assign(followers=np.nan),
        "huge counts": likes.assign(following=np.inf, posts=1e308),
        "one liker": likes.assign(liker_id="x"),
    }
    for name, frame in cases.items():
        ids = IdCodes.of(frame)
        crowding = creation_day_crowding(frame, ids)
        assert np.array_equal(crowding, reference_creation_day_crowding(frame, ids), True), name
        assert np.array_equal(profile_twins(frame, ids), reference_profile_twins(frame, ids), True)
    # missing ids give negative codes, which plain pair codes could mix up
    holes = likes.assign(liker_id=likes["liker_id"].where(likes.index % 7 != 0))
    holes["creator_id"] = holes["creator_id"].where(likes.index % 11 != 0)
    ids = IdCodes.of(holes)
    assert ids.liker.min() == ids.creator.min() == -1
    assert_same_bits(creation_day_crowding(holes, ids), reference_creation_day_crowding(holes, ids))
    assert_same_bits(profile_twins(holes, ids), reference_profile_twins(holes, ids))


def test_crowding_and_twins_equal_their_reference_on_a_generated_world(world):
    likes, _ = world
    ids = IdCodes.of(likes)
    assert_same_bits(creation_day_crowding(likes, ids), reference_creation_day_crowding(likes, ids))
    assert_same_bits(profile_twins(likes, ids), reference_profile_twins(likes, ids))
    share = username_digit_share(likes["username"])
    assert_same_bits(share, reference_username_digit_share(likes["username"]))


def test_sums_by_group_add_each_groups_rows_alone_as_pandas_adds_sorted_groups():
    from detector.features.arrays import sums_by_group

    rng = np.random.default_rng(13)
    group = rng.integers(0, 50, 30_000)
    values = rng.standard_normal(30_000) * 10.0 ** rng.integers(-8, 8, 30_000)
    present, sizes, (sums,) = sums_by_group(group, [values])
    assert present.tolist() == sorted(set(group.tolist()))
    assert sizes.tolist() == np.bincount(group)[present].tolist()
    some = group % 3 == 0  # the same groups among fewer others
    sub_present, _, (sub_sums,) = sums_by_group(group[some], [values[some]])
    assert np.array_equal(sums[np.isin(present, sub_present)], sub_sums)
    ordered = np.argsort(group, kind="stable")
    pandas_sums = pd.Series(values[ordered]).groupby(group[ordered]).sum()
    assert np.array_equal(sums, pandas_sums.to_numpy())
    empty = sums_by_group(group[:0], [values[:0]])
    assert len(empty[0]) == len(empty[1]) == len(empty[2][0]) == 0


def test_row_codes_and_distinct_counts_hold_when_packing_needs_renumbering():
    rng = np.random.default_rng(6)
    big = np.iinfo(np.int64).max
    columns = [
        rng.choice([-big - 1, -5, 0, big], 500),
        rng.choice([0, 1 << 40, big], 500),
        rng.integers(0, 3, 500),
        rng.choice([-(1 << 62), 1 << 62], 500),
    ]
    codes = row_codes(columns)
    rows = pd.DataFrame(dict(enumerate(columns)))
    assert np.array_equal(
        pd.factorize(codes)[0], rows.groupby(list(rows.columns), sort=False).ngroup()
    )
    order = np.lexsort(columns[::-1])
    assert (np.diff(codes[order]) >= 0).all()  # the codes sort as the rows do
    values = rng.choice([-big - 1, 3, big], 500)
    expected = pd.Series(values).groupby(codes).transform("nunique").to_numpy()
    assert np.array_equal(distinct_per_group(codes, values), expected)
    assert len(distinct_per_group(codes[:0], values[:0])) == 0


USERNAMES = [
    "anna",
    "bot12345678",
    "1234567",
    "",
    None,
    "x1",
    "ali٣٤",  # Arabic-Indic digits are digits for Python's re
    "٠١٢",
    "fullwidth１２",
    "super²",
    "zoë_99",
    "🙂7",
    "tab\t0",
]


@pytest.mark.parametrize("dtype", ["string", "str", pd.StringDtype("python"), object])
def test_username_digit_share_equals_the_regex_reference(dtype, jit_path):
    rng = np.random.default_rng(7)
    ascii_names = ["".join(rng.choice(list("ab09_x5"), rng.integers(0, 12))) for _ in range(300)]
    for names in (USERNAMES, ascii_names, ascii_names + USERNAMES, [None, None], []):
        usernames = pd.Series(names, dtype=dtype)
        expected = reference_username_digit_share(usernames)
        assert_same_bits(username_digit_share(usernames), expected)
        shifted = usernames.iloc[1:]  # an array that starts inside its buffers
        assert_same_bits(username_digit_share(shifted), reference_username_digit_share(shifted))


def test_username_digit_share_reads_chunked_arrays(jit_path):
    parts = [pd.Series(USERNAMES[:6], dtype="string"), pd.Series(USERNAMES[6:], dtype="string")]
    usernames = pd.concat(parts * 3, ignore_index=True)
    assert_same_bits(username_digit_share(usernames), reference_username_digit_share(usernames))
    assert username_digit_share(pd.Series(["2026", "", None], dtype="string"))[:2].tolist() == [
        1.0,
        0.0,
    ]
