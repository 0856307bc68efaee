"""Implausible input is refused or counted, never scored as if it were true (issue 16).

Counts must be whole numbers within a column's bound; a like repeated row for row is one like;
an account "created" after its like, or a like before its post's publication, has that time
taken as unknown; an accounts table that has none of the likers is refused and one that has few
is warned about. Every engine counts the same things (``meta["input"]``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.engines.chunked import score_parquet_chunked
from detector.errors import SchemaError
from detector.schema import COUNT_LIMITS, parse_counts, validate_likes

from .conftest import validated

ACCOUNT_COLUMNS = ["account_created_at", "followers", "following", "posts", "username"]


@pytest.fixture(scope="module")
def likes(test_world) -> pd.DataFrame:
    """Five creators of the held-out world, as the readers return them."""
    world, _ = test_world
    keep = world["creator_id"].isin(world["creator_id"].unique()[:5])
    return validated(world[keep].reset_index(drop=True))


def _report(model, frame: pd.DataFrame, engine: str, tmp_path, accounts=None):
    if engine == "memory":
        from detector.schema import join_accounts

        if accounts is not None:
            frame = join_accounts(frame, accounts)
        return model.report(frame, scope="creator")
    if engine == "chunked":
        path = tmp_path / "likes.parquet"
        frame.to_parquet(path, index=False)
        return score_parquet_chunked(path, model, buckets=3, accounts=accounts, scope="creator")
    dd = pytest.importorskip("dask.dataframe")
    import dask

    from detector.engines.dask_engine import score_dask

    with dask.config.set(scheduler="synchronous"):
        return score_dask(
            dd.from_pandas(frame, npartitions=3), model, accounts=accounts, scope="creator"
        )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("3.5", "is not a whole number"),
        ("inf", "is too large"),
        ("1e30", "is too large"),
        (str(10**40), "is too large"),
        ("-1", "is negative"),
        ("-inf", "is negative"),
        ("many", "is not a number"),
    ],
)
def test_counts_that_cannot_be_counts_are_refused_with_their_row(value, problem):
    values = pd.Series(["12", "3.0", value, None], dtype=object)
    with pytest.raises(SchemaError, match=rf"likes: column 'followers' row 3: .* {problem}"):
        parse_counts(values, "likes", "followers")
    numbers = pd.to_numeric(values, errors="coerce")  # already numeric (Parquet, JSON)
    if not np.isnan(numbers.iloc[2]):
        with pytest.raises(SchemaError, match=rf"row 3: .* {problem}"):
            parse_counts(numbers, "likes", "followers")


def test_whole_counts_up_to_the_bound_are_kept():
    values = pd.Series(["0", "3.0", f"{COUNT_LIMITS['followers']:.0f}", None], dtype=object)
    parsed = parse_counts(values, "likes", "followers")
    assert parsed.iloc[:3].tolist() == [0.0, 3.0, COUNT_LIMITS["followers"]]
    assert np.isnan(parsed.iloc[3])


@pytest.mark.parametrize("table", ["likes", "accounts"])
def test_the_command_line_refuses_a_bad_count_in_either_table(tmp_path, likes, table):
    frame = likes.drop(columns=["is_fake"]).copy()
    accounts = (
        frame[["liker_id", *ACCOUNT_COLUMNS]]
        .drop_duplicates("liker_id")
        .rename(columns={"liker_id": "account_id"})
        .astype({"followers": object})
    )
    args = ["score", str(tmp_path / "likes.csv")]
    if table == "accounts":
        frame = frame.drop(columns=ACCOUNT_COLUMNS)
        accounts.iloc[7, accounts.columns.get_loc("followers")] = "2.5"
        accounts.to_csv(tmp_path / "accounts.csv", index=False)
        args += ["--accounts", str(tmp_path / "accounts.csv")]
    else:
        frame = frame.astype({"followers": object})
        frame.iloc[7, frame.columns.get_loc("followers")] = "2.5"
    frame.to_csv(tmp_path / "likes.csv", index=False)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Error: {tmp_path / f'{table}.csv'}: column 'followers' row 8:")
    assert "is not a whole number" in lines[0]


@pytest.mark.parametrize("engine", ["memory", "chunked", "dask"])
def test_a_like_repeated_row_for_row_is_counted_once(model, likes, tmp_path, engine):
    repeated = pd.concat([likes, likes.iloc[::7], likes.iloc[:3]], ignore_index=True)
    copies = len(likes.iloc[::7]) + 3
    got = _report(model, validated(repeated), engine, tmp_path)
    want = model.report(likes, scope="creator")
    pd.testing.assert_frame_equal(got.creators, want.creators)
    assert got.meta["input"]["duplicate_likes_dropped"] == copies
    assert got.meta["input"]["likes"] == len(likes)
    assert want.meta["input"]["duplicate_likes_dropped"] == 0


def test_the_same_like_at_another_time_is_not_a_duplicate(likes):
    later = likes.iloc[:1].assign(liked_at=likes["liked_at"].iloc[0] + pd.Timedelta(seconds=1))
    frame = validated(pd.concat([likes, later], ignore_index=True))
    from detector.schema import repeated_likes

    assert not repeated_likes(frame).any()


@pytest.mark.parametrize("engine", ["memory", "chunked", "dask"])
def test_times_after_the_like_are_taken_as_unknown(model, likes, tmp_path, engine):
    rows = np.arange(0, len(likes), 5)
    impossible = likes.copy()
    future = likes["liked_at"].iloc[rows] + pd.Timedelta(days=400)
    impossible.loc[rows, "account_created_at"] = future.to_numpy()
    impossible.loc[rows[::2], "post_published_at"] = future.iloc[::2].to_numpy()
    unknown = likes.copy()
    unknown.loc[rows, "account_created_at"] = pd.NaT
    unknown.loc[rows[::2], "post_published_at"] = pd.NaT
    got = _report(model, validated(impossible), engine, tmp_path)
    want = model.report(validated(unknown), scope="creator")
    pd.testing.assert_frame_equal(got.creators, want.creators)
    assert got.meta["input"]["account_created_after_like"] == len(rows)
    assert got.meta["input"]["liked_before_publication"] == len(rows[::2])
    assert want.meta["input"]["account_created_after_like"] == 0


def test_an_account_created_after_its_likes_does_not_make_a_creator_look_inflated(model, likes):
    """The old reading (age clipped to zero: every liker newborn) called clean creators
    inflated; unknown creation times leave an honest creator's share where it was."""
    honest = model.report(likes, scope="creator").creators.set_index("creator_id")
    shifted = likes.assign(account_created_at=likes["liked_at"] + pd.Timedelta(days=30))
    report = model.report(validated(shifted), scope="creator").creators.set_index("creator_id")
    clean = honest.index[honest["verdict"] != "inflated"]
    assert len(clean) > 0
    assert (report.loc[clean, "verdict"] != "inflated").all()


@pytest.mark.parametrize("engine", ["memory", "chunked", "dask"])
def test_accounts_table_matches_are_counted_and_none_is_refused(model, likes, tmp_path, engine):
    frame = validated(likes.drop(columns=ACCOUNT_COLUMNS))
    accounts = (
        likes[["liker_id", *ACCOUNT_COLUMNS]]
        .drop_duplicates("liker_id")
        .rename(columns={"liker_id": "account_id"})
    )
    few = accounts.iloc[:10]
    report = _report(model, frame, engine, tmp_path, accounts=few)
    matched = int(frame["liker_id"].isin(few["account_id"]).sum())
    assert report.meta["input"]["accounts_matched_likes"] == matched
    from detector.report import input_warnings

    assert any(
        f"only {matched:,} of {len(frame):,} likes" in w for w in input_warnings(report.meta)
    )
    others = accounts.assign(account_id="other-" + accounts["account_id"])
    if engine == "memory":
        return  # the reader refuses it (next test); joining alone only counts
    with pytest.raises(SchemaError, match="no 'account_id' matches a 'liker_id'"):
        _report(model, frame, engine, tmp_path, accounts=others)


def test_the_command_line_warns_about_what_the_checks_counted(likes, tmp_path):
    frame = likes.drop(columns=["is_fake"])
    accounts = (
        frame[["liker_id", *ACCOUNT_COLUMNS]]
        .drop_duplicates("liker_id")
        .rename(columns={"liker_id": "account_id"})
    )
    bare = frame.drop(columns=ACCOUNT_COLUMNS)
    pd.concat([bare, bare.iloc[:4]]).to_csv(tmp_path / "likes.csv", index=False)
    accounts.iloc[:10].to_csv(tmp_path / "few.csv", index=False)
    accounts.assign(account_id="x" + accounts["account_id"]).to_csv(
        tmp_path / "none.csv", index=False
    )
    runner = CliRunner()
    base = ["score", str(tmp_path / "likes.csv"), "--format", "json", "--accounts"]
    result = runner.invoke(app, [*base, str(tmp_path / "few.csv")])
    assert result.exit_code == 0, result.stderr
    warnings = [  # the input checks' (a shift from the reference has its own test)
        line
        for line in result.stderr.splitlines()
        if line.startswith("warning: ") and "model's reference" not in line
    ]
    assert len(warnings) == 2, result.stderr
    assert "4 duplicate like(s) dropped" in warnings[0]
    assert "the accounts table has the liker of only" in warnings[1]
    refused = runner.invoke(app, [*base, str(tmp_path / "none.csv")])
    assert refused.exit_code == 1
    assert refused.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 'none.csv'}: no 'account_id' matches a 'liker_id' of "
        f"{tmp_path / 'likes.csv'} (expected the likers' ids, written the same way)"
    ]


def test_validation_keeps_every_row(likes):
    """Dropping repeated likes is the report's job: validation and per-like scores keep the
    caller's rows, one output row per input row, as scikit-learn's conventions expect."""
    doubled = pd.concat([likes, likes.iloc[:5]], ignore_index=True)
    assert len(validate_likes(doubled, "t")) == len(doubled)


@pytest.mark.parametrize("engine", ["chunked", "dask"])
def test_engines_decide_a_columns_presence_per_creator_as_memory_does(
    model, likes, tmp_path, engine
):
    """Creators without any value in some columns, in partitions beside creators with values:
    each is scored as when alone (as the memory engine does), not with imputed values."""
    blank = likes["creator_id"].isin(likes["creator_id"].unique()[:2])
    frame = likes.copy()
    frame.loc[blank, ["followers", "username"]] = np.nan
    frame = validated(frame)
    want = model.report(frame, scope="creator")
    got = _report(model, frame, engine, tmp_path)
    pd.testing.assert_frame_equal(got.creators, want.creators)
    pd.testing.assert_frame_equal(got.posts, want.posts)
    alone = model.report(validated(frame[blank].reset_index(drop=True)), scope="creator")
    pd.testing.assert_frame_equal(
        got.creators.set_index("creator_id").loc[alone.creators["creator_id"]].reset_index(),
        alone.creators,
    )


@pytest.mark.parametrize(("fmt", "engines"), [("parquet", ["chunked", "dask"]), ("csv", ["dask"])])
def test_every_engine_strips_header_whitespace_and_says_so(likes, tmp_path, fmt, engines):
    pytest.importorskip("dask.dataframe")
    frame = likes.drop(columns=["is_fake"]).rename(columns={"liker_id": " liker_id "})
    path = tmp_path / f"likes.{fmt}"
    frame.to_parquet(path, index=False) if fmt == "parquet" else frame.to_csv(path, index=False)
    runner = CliRunner()
    outputs = {}
    for engine in ["memory", *engines]:
        result = runner.invoke(app, ["score", str(path), "--engine", engine, "--format", "csv"])
        assert result.exit_code == 0, (engine, result.stderr)
        notes = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
        assert notes == [
            f"note: {path}: stripped surrounding whitespace from column name(s) ' liker_id '"
        ], (engine, result.stderr)
        outputs[engine] = result.stdout
    assert len(set(outputs.values())) == 1


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_missing_words_in_text_columns_mean_missing_in_every_format(likes, tmp_path, fmt):
    """An empty string or ``NA`` in a text count, time or boolean column is a missing value in
    Parquet and JSON as in CSV (they were 'not a number' there); ids stay verbatim."""
    frame = likes.drop(columns=["is_fake"]).astype(
        {"followers": object, "account_created_at": object, "is_private": object}
    )
    frame["account_created_at"] = frame["account_created_at"].map(lambda t: t.isoformat())
    frame["followers"] = frame["followers"].map(lambda v: str(int(v)))
    frame["is_private"] = frame["is_private"].map(lambda v: "true" if v else "false")
    for i, word in enumerate(["", "NA", " ", "null", "nan"]):
        frame.loc[frame.index[i], ["followers", "account_created_at", "is_private"]] = word
    frame.to_csv(tmp_path / "likes.csv", index=False)
    path = tmp_path / f"likes.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True, date_format="iso")
    runner = CliRunner()
    want = runner.invoke(app, ["score", str(tmp_path / "likes.csv"), "--format", "json"])
    got = runner.invoke(app, ["score", str(path), "--format", "json"])
    assert want.exit_code == 0, want.stderr
    assert got.exit_code == 0, got.stderr
    assert got.stdout == want.stdout


@pytest.mark.parametrize("engine", ["chunked", "dask"])
def test_batch_scope_partitions_without_a_columns_values_impute_as_memory_does(
    model, likes, tmp_path, engine
):
    """A bucket or partition whose creators have no value at all in a column is scored with
    the table's columns (its values imputed), the same report as the whole table at once."""
    blank = likes["creator_id"].isin(likes["creator_id"].unique()[:2])
    frame = likes.copy()
    frame.loc[blank, ["followers", "username"]] = np.nan
    frame = validated(frame)
    want = model.report(frame, scope="batch")
    if engine == "chunked":
        path = tmp_path / "likes.parquet"
        frame.to_parquet(path, index=False)
        got = score_parquet_chunked(path, model, buckets=3, scope="batch")
    else:
        dd = pytest.importorskip("dask.dataframe")
        import dask

        from detector.engines.dask_engine import score_dask

        with dask.config.set(scheduler="synchronous"):
            got = score_dask(dd.from_pandas(frame, npartitions=3), model, scope="batch")
    assert got.to_json() == want.to_json()


def test_batch_scope_slices_without_a_columns_values_are_scored_in_slices(model, likes):
    from detector.report import in_id_order
    from detector.scoring.pipeline import creator_slices, report_in_slices

    frame = likes.sort_values("creator_id", kind="stable").reset_index(drop=True)
    first = creator_slices(frame["creator_id"], 400)[0]
    frame.loc[first, ["followers", "username"]] = np.nan
    frame = validated(frame)
    got = report_in_slices(model, frame, "batch", threads=2, slice_rows=400)
    assert got is not None  # no fallback to one pass
    assert in_id_order(got).to_json() == model.report(frame, scope="batch").to_json()
