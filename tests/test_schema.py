"""The data contract: what is accepted, how it is normalised, and how bad input is refused."""

from __future__ import annotations

import pandas as pd
import pytest

from detector.errors import SchemaError
from detector.schema import join_accounts, validate_likes


def test_timestamps_accept_iso_with_and_without_offset_and_epoch_seconds(tiny_likes):
    likes = validate_likes(tiny_likes, "likes.csv")
    assert str(likes["liked_at"].dtype) == "datetime64[ns, UTC]"
    assert list(likes["liked_at"].dt.strftime("%Y-%m-%d %H:%M")) == [
        "2026-01-01 00:00",  # Z
        "2026-01-01 00:01",  # no offset means UTC
        "2026-01-01 00:05",  # epoch seconds
        "2026-01-02 08:00",  # +02:00 converted to UTC
    ]


def test_ids_become_strings_and_extra_columns_are_kept(tiny_likes):
    likes = validate_likes(tiny_likes.assign(campaign="spring"), "likes.csv")
    assert likes["liker_id"].tolist() == ["1", "2", "3", "1"]
    assert likes["campaign"].tolist() == ["spring"] * 4


def test_all_missing_required_columns_are_listed_at_once(tiny_likes):
    with pytest.raises(
        SchemaError, match=r"likes.csv: missing required column\(s\) 'post_id', 'liker_id'"
    ):
        validate_likes(tiny_likes.drop(columns=["post_id", "liker_id"]), "likes.csv")


def test_liked_at_is_optional_but_complete_when_given(tiny_likes):
    assert "liked_at" not in validate_likes(tiny_likes.drop(columns=["liked_at"]), "t").columns
    with pytest.raises(SchemaError, match=r"'liked_at' row 2: value is missing \(give every"):
        validate_likes(
            tiny_likes.assign(liked_at=["2026-01-01", None, "2026-01-02", "2026-01-03"]), "t"
        )


@pytest.mark.parametrize("zone", [None, "UTC", "Europe/Paris"])
@pytest.mark.parametrize("unit", ["s", "us", "ns"])
def test_times_read_as_times_keep_their_instant_in_utc_nanoseconds(zone, unit):
    from detector.schema import parse_timestamps

    times = pd.Series(pd.to_datetime(["2024-01-01T10:00:00", None, "2024-06-01T00:00:01"]))
    times = times.astype(f"datetime64[{unit}]")
    if zone is not None:
        times = times.dt.tz_localize(zone)
    parsed = parse_timestamps(times, "likes.parquet", "liked_at")
    assert str(parsed.dtype) == "datetime64[ns, UTC]"
    offset = pd.Timedelta(hours=1 if zone == "Europe/Paris" else 0)  # Paris: UTC+1 in January
    assert parsed[0] == pd.Timestamp("2024-01-01T10:00:00", tz="UTC") - offset
    assert parsed.isna().tolist() == [False, True, False]


def test_unparsable_timestamp_names_file_column_row_and_value(tiny_likes):
    tiny_likes.loc[2, "liked_at"] = "yesterday"
    with pytest.raises(
        SchemaError, match=r"likes.csv: column 'liked_at' row 3: 'yesterday' is not a timestamp"
    ):
        validate_likes(tiny_likes, "likes.csv")


def test_unparsable_number_is_refused(tiny_likes):
    tiny_likes["followers"] = tiny_likes["followers"].astype(object)
    tiny_likes.loc[1, "followers"] = "many"
    with pytest.raises(SchemaError, match=r"column 'followers' row 2: 'many' is not a number"):
        validate_likes(tiny_likes, "likes.csv")


def test_negative_counts_are_refused(tiny_likes):
    tiny_likes.loc[3, "following"] = -5
    with pytest.raises(SchemaError, match=r"column 'following' row 4: -5 is negative"):
        validate_likes(tiny_likes, "likes.csv")


def test_booleans_accept_words_and_digits_and_refuse_others(tiny_likes):
    ok = validate_likes(tiny_likes.assign(has_avatar=["true", "No", "1", None]), "x")
    assert ok["has_avatar"].tolist()[:3] == [1.0, 0.0, 1.0]
    assert pd.isna(ok["has_avatar"].iloc[3])
    with pytest.raises(SchemaError, match=r"column 'is_private' row 1: 'maybe' is not a boolean"):
        validate_likes(tiny_likes.assign(is_private=["maybe", "1", "0", "1"]), "x")


def test_missing_id_or_time_is_refused(tiny_likes):
    tiny_likes.loc[1, "liker_id"] = None
    with pytest.raises(SchemaError, match=r"column 'liker_id' row 2: id is missing"):
        validate_likes(tiny_likes, "likes.csv")


def test_empty_table_is_refused(tiny_likes):
    with pytest.raises(SchemaError, match="no rows"):
        validate_likes(tiny_likes.iloc[:0], "likes.csv")


def test_label_column_must_be_complete_and_binary(tiny_likes):
    labelled = validate_likes(tiny_likes.assign(is_fake=["true", "0", 1, "false"]), "x", "is_fake")
    assert labelled["is_fake"].tolist() == [1, 0, 1, 0]
    with pytest.raises(SchemaError, match=r"column 'is_fake' row 2: label is missing"):
        validate_likes(tiny_likes.assign(is_fake=[1, None, 0, 0]), "x", "is_fake")


def test_accounts_table_joins_on_liker_id():
    likes = validate_likes(
        pd.DataFrame(
            {"creator_id": "c", "post_id": "p", "liker_id": ["u1", "u2"], "liked_at": [0, 60]}
        ),
        "likes.csv",
    )
    accounts = pd.DataFrame({"account_id": ["u2", "u1"], "followers": [5, 7], "is_fake": [1, 0]})
    joined = join_accounts(likes, accounts, "accounts.csv")
    assert joined["followers"].tolist() == [7.0, 5.0]
    assert joined["is_fake"].tolist() == [0, 1]


def test_accounts_table_refuses_duplicates_and_overlapping_columns():
    likes = validate_likes(
        pd.DataFrame(
            {"creator_id": "c", "post_id": "p", "liker_id": ["u1"], "liked_at": [0], "posts": [1]}
        ),
        "likes.csv",
    )
    with pytest.raises(
        SchemaError, match=r"accounts.csv: column 'account_id' row 2: 'u1' appears more than once"
    ):
        join_accounts(likes, pd.DataFrame({"account_id": ["u1", "u1"]}), "accounts.csv")
    with pytest.raises(SchemaError, match=r"'posts' are also in the likes table"):
        join_accounts(likes, pd.DataFrame({"account_id": ["u1"], "posts": [3]}), "accounts.csv")


# ------------------------------------------------- issue 16: timestamps and ids
def _likes(liked_at: list[object]) -> pd.DataFrame:
    n = len(liked_at)
    return pd.DataFrame(
        {"creator_id": ["c"] * n, "post_id": ["p"] * n, "liker_id": ["a"] * n, "liked_at": liked_at}
    )


@pytest.mark.parametrize(
    "value", [1778512752, 1778512752000, 1778512752000000, 1778512752000000000, "1778512752000"]
)
def test_epoch_seconds_ms_us_and_ns_are_told_apart_by_magnitude(value):
    likes = validate_likes(_likes([value]), "likes.csv")
    assert likes["liked_at"].iloc[0] == pd.Timestamp("2026-05-11 15:19:12", tz="UTC")


@pytest.mark.parametrize(
    "value", ["9999-12-31", "0001-01-01", "1500-01-01T00:00:00+01:00", 5e10, "99999999999999999999"]
)
def test_timestamps_out_of_range_are_one_error_with_row_and_range(value):
    with pytest.raises(
        SchemaError, match=r"column 'liked_at' row 2: .* is out of range \(supported range 1677"
    ):
        validate_likes(_likes(["2026-01-01", value]), "likes.csv")


@pytest.mark.parametrize("unit", ["s", "ms", "us"])
def test_parquet_timestamps_of_other_units_out_of_range_are_refused(tmp_path, unit):
    from detector.io import load_likes

    frame = _likes([pd.Timestamp("2026-01-01"), pd.Timestamp("9999-12-31")])
    frame["liked_at"] = frame["liked_at"].astype(f"datetime64[{unit}]")
    frame.to_parquet(tmp_path / "likes.parquet")
    with pytest.raises(SchemaError, match=r"likes.parquet: column 'liked_at' row 2: '9999-12-31"):
        load_likes(tmp_path / "likes.parquet")


def test_float_ids_with_nulls_are_refused_as_missing_and_whole_floats_read_as_integers():
    frame = _likes(["2026-01-01", "2026-01-02"]).assign(creator_id=[7.0, 8.0])
    assert validate_likes(frame, "likes")["creator_id"].tolist() == ["7", "8"]
    with pytest.raises(SchemaError, match="'creator_id' row 2: id is missing"):
        validate_likes(frame.assign(creator_id=[7.0, float("nan")]), "likes")
