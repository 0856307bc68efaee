"""The creators table (``--creators FILE``): facts kept once per creator, joined by creator_id.

Its followers give the same engagement rates as ``creator_followers`` on every like; category
and platform reach the report's creator table in every output format and engine; a bad table
is refused with one line naming the file, the row, the column and the value.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from detector.cli import app
from detector.creators import join_creators, validate_creators
from detector.engines.chunked import score_parquet_chunked
from detector.errors import SchemaError
from detector.estimator import AuthenticityModel
from detector.io import load_likes
from detector.persistence import save_model
from detector.report import CreatorReport, json_document
from detector.schema import validate_likes
from detector.synth import generate_world

runner = CliRunner()
PLATFORMS = ("instagram", "tiktok")
FACT_COUNTS = ("creators_with_facts", "creators_without_facts", "creator_facts_unused")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A small world as likes with ``creator_followers`` (``full``) and without (``bare``), and
    its creators table with followers, category and platform."""
    root = tmp_path_factory.mktemp("creators-table")
    likes, truth = generate_world(n_creators=8, seed=3)
    likes.to_parquet(root / "full.parquet", index=False)
    likes.drop(columns="creator_followers").to_parquet(root / "bare.parquet", index=False)
    creators = truth[["creator_id", "followers", "category"]].copy()
    creators["platform"] = [PLATFORMS[i % 2] for i in range(len(creators))]
    creators.to_csv(root / "creators.csv", index=False)
    return {
        "full": root / "full.parquet",
        "bare": root / "bare.parquet",
        "creators": root / "creators.csv",
    }


@pytest.fixture(scope="module")
def model(files) -> AuthenticityModel:
    likes = load_likes(files["full"], label_column="is_fake")
    return AuthenticityModel(n_estimators=30).fit(likes, likes["is_fake"])


@pytest.fixture(scope="module")
def model_path(model, tmp_path_factory) -> Path:
    return save_model(model, tmp_path_factory.mktemp("model") / "m.joblib")


@pytest.fixture(scope="module")
def joined_report(model, files) -> CreatorReport:
    return model.report(load_likes(files["bare"], creator_facts=files["creators"]))


def _score(*args: str) -> object:
    return runner.invoke(app, ["score", *map(str, args)])


def _one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------------------- the join
def test_followers_from_the_creators_table_give_the_rates_creator_followers_gives(
    model, files, joined_report
):
    on_likes = model.report(load_likes(files["full"]))
    got = joined_report.creators
    assert list(got.columns[:3]) == ["creator_id", "category", "platform"]
    pd.testing.assert_frame_equal(got.drop(columns=["category", "platform"]), on_likes.creators)
    assert got["engagement_rate"].notna().all()
    pd.testing.assert_frame_equal(joined_report.posts, on_likes.posts)


def test_category_and_platform_are_each_creators_own(files, joined_report):
    table = pd.read_csv(files["creators"]).set_index("creator_id")
    got = joined_report.creators.set_index("creator_id")
    assert (got["category"] == table.loc[got.index, "category"]).all()
    assert (got["platform"] == table.loc[got.index, "platform"]).all()
    counts = joined_report.meta["input"]
    assert {k: counts[k] for k in FACT_COUNTS} == dict(zip(FACT_COUNTS, (8, 0, 0), strict=True))


def test_agreeing_followers_on_both_tables_are_fine_and_a_gap_is_filled(files):
    likes = pd.read_parquet(files["full"])
    first = likes["creator_id"].iloc[0]
    likes.loc[likes["creator_id"] == first, "creator_followers"] = np.nan
    joined = join_creators(load_likes(files["full"]), pd.read_csv(files["creators"]))
    gap = join_creators(validate_likes(likes, "likes"), pd.read_csv(files["creators"]))
    np.testing.assert_array_equal(gap["creator_followers"], joined["creator_followers"])


def test_text_facts_are_text_and_missing_words_are_missing():
    facts = validate_creators(
        pd.DataFrame(
            {
                "creator_id": ["007", "7", "x"],
                "category": [1.0, np.nan, 3.0],
                "platform": ["NA", "", "web"],
                "ignored": [1, 2, 3],
            }
        ),
        "creators.csv",
    )
    assert facts.index.tolist() == ["007", "7", "x"]
    assert facts["category"].tolist()[0::2] == ["1", "3"] and pd.isna(facts["category"].iloc[1])
    assert facts["platform"].isna().tolist() == [True, True, False]
    assert "ignored" not in facts.columns


def test_creators_missing_from_the_table_get_missing_facts_and_are_counted(model, files):
    table = pd.read_csv(files["creators"])
    absent = table["creator_id"].iloc[0]
    extra = pd.DataFrame({"creator_id": ["nobody"], "followers": [5], "category": ["x"]})
    partial = pd.concat([table.iloc[1:], extra], ignore_index=True)
    report = model.report(load_likes(files["bare"], creator_facts=partial))
    row = report.creators.set_index("creator_id").loc[absent]
    assert pd.isna(row["category"]) and pd.isna(row["platform"])
    assert np.isnan(row["engagement_rate"])
    counts = report.meta["input"]
    assert [counts[k] for k in FACT_COUNTS] == [7, 1, 1]
    assert "nobody" not in set(report.creators["creator_id"])
    # the one-line-per-creator JSON (large reports, chunked workers) writes missing facts too
    fast = json.loads(json_document(report.meta, report.creator_lines()))
    assert fast == json.loads(report.to_json())


# ----------------------------------------------------------------------------- the CLI
def test_json_and_csv_reports_carry_category_and_platform(files, model_path, tmp_path):
    table = pd.read_csv(files["creators"])
    absent = table["creator_id"].iloc[0]
    extra = pd.DataFrame({"creator_id": ["nobody"], "platform": ["web"]})
    partial = tmp_path / "creators.tsv"
    pd.concat([table.iloc[1:], extra]).to_csv(partial, sep="\t", index=False)
    base = [files["bare"], "--model", model_path, "--creators", partial]

    result = _score(*base, "--format", "json")
    assert result.exit_code == 0, result.stderr
    creators = {c["creator_id"]: c for c in json.loads(result.stdout)["creators"]}
    assert creators[absent]["category"] is None and creators[absent]["platform"] is None
    other = table["creator_id"].iloc[1]
    assert creators[other]["platform"] == table["platform"].iloc[1]
    assert creators[other]["engagement_rate"] is not None
    assert "warning: 1 creator(s) are not in the creators table" in result.stderr
    assert "note: 1 creator(s) of the creators table have no likes here: ignored" in result.stderr

    result = _score(*base, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    flat = pd.read_csv(StringIO(result.stdout), keep_default_na=False).set_index("creator_id")
    assert list(flat.columns[:2]) == ["category", "platform"]
    assert flat.loc[absent, "category"] == "" and flat.loc[other, "category"] != ""

    result = _score(*base, "--format", "table")
    assert result.exit_code == 0, result.stderr
    assert "category" in result.stdout and "platform" in result.stdout


def test_creator_filter_and_creators_table_together(files, model_path):
    table = pd.read_csv(files["creators"])
    one = table["creator_id"].iloc[2]
    result = _score(
        files["bare"], "--model", model_path, "--creators", files["creators"], "--creator", one,
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    [creator] = json.loads(result.stdout)["creators"]
    assert creator["category"] == table["category"].iloc[2]
    assert "7 creator(s) of the creators table have no likes here" in result.stderr


def _bad_table(tmp_path: Path, rows: dict[str, list[object]]) -> Path:
    path = tmp_path / "creators.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("engine", ["memory", "chunked"])
def test_a_bad_creators_table_gives_one_error_line(files, model_path, tmp_path, engine):
    ids = pd.read_csv(files["creators"])["creator_id"].tolist()
    cases = [
        ({"creator_id": [ids[0], ids[1], ids[0]]}, ["column 'creator_id' row 3", repr(ids[0])]),
        ({"creator_id": ids[:2], "followers": [10, -5]}, ["column 'followers' row 2: -5"]),
        ({"creator_id": ids[:2], "followers": [10, "many"]}, ["'followers' row 2: 'many'"]),
        ({"creator": ids[:2]}, ["missing required column(s) 'creator_id'"]),
    ]
    for rows, fragments in cases:
        path = _bad_table(tmp_path, rows)
        result = _score(
            files["bare"], "--model", model_path, "--creators", path, "--engine", engine
        )
        _one_line_error(result, str(path), *fragments)


@pytest.mark.parametrize("engine", ["memory", "chunked"])
def test_followers_disagreeing_with_creator_followers_give_one_error_line(
    files, model_path, tmp_path, engine
):
    table = pd.read_csv(files["creators"])
    table.loc[3, "followers"] = table.loc[3, "followers"] + 1
    path = tmp_path / "creators.csv"
    table.to_csv(path, index=False)
    result = _score(files["full"], "--model", model_path, "--creators", path, "--engine", engine)
    line = _one_line_error(result, str(path), "row 4", repr(table.loc[3, "creator_id"]))
    assert f"{table.loc[3, 'followers']:g} followers" in line
    assert f"creator_followers {table.loc[3, 'followers'] - 1:g}" in line


def test_join_refuses_disagreement_in_the_api_too(files):
    likes = load_likes(files["full"])
    table = pd.read_csv(files["creators"]).assign(followers=1)
    with pytest.raises(SchemaError, match="creator_followers"):
        join_creators(likes, table)


# ---------------------------------------------------------------------------- engines
def _assert_same(got: CreatorReport, want: CreatorReport) -> None:
    pd.testing.assert_frame_equal(got.creators, want.creators, rtol=1e-12)
    pd.testing.assert_frame_equal(got.posts, want.posts, rtol=1e-12)
    assert got.meta == want.meta


@pytest.mark.parametrize("spill", [{"buckets": 3}, {}])
def test_chunked_engine_joins_the_creators_table_as_memory_does(model, files, joined_report, spill):
    got = score_parquet_chunked(files["bare"], model, creator_facts=files["creators"], **spill)
    _assert_same(got, joined_report)


def test_chunked_engine_counts_creators_missing_from_the_table_as_memory_does(model, files):
    table = pd.read_csv(files["creators"]).iloc[2:]
    want = model.report(load_likes(files["bare"], creator_facts=table))
    got = score_parquet_chunked(files["bare"], model, creator_facts=table, buckets=3)
    _assert_same(got, want)
    assert got.meta["input"]["creators_without_facts"] == 2


def test_dask_engine_joins_the_creators_table_as_memory_does(model, files, joined_report):
    dask = pytest.importorskip("dask")
    pytest.importorskip("dask.dataframe")
    from detector.engines.dask_engine import read_likes_dask, score_dask

    with dask.config.set(scheduler="synchronous"):
        got = score_dask(
            read_likes_dask(files["bare"]),
            model,
            creator_facts=files["creators"],
            npartitions=3,
            source=str(files["bare"]),
        )
    _assert_same(got, joined_report)


def test_validated_creators_survive_a_pickle_to_worker_processes(files):
    import pickle

    facts = validate_creators(pd.read_csv(files["creators"]), "creators.csv")
    again = pickle.loads(pickle.dumps(facts))
    assert validate_creators(again) is again
    pd.testing.assert_frame_equal(again, facts)


def test_cli_engines_write_the_same_json_with_the_creators_table(files, model_path, tmp_path):
    base = [files["bare"], "--model", model_path, "--creators", files["creators"]]
    outputs = {}
    for engine in ("memory", "chunked"):
        out = tmp_path / f"{engine}.json"
        result = _score(*base, "--engine", engine, "--output", out)
        assert result.exit_code == 0, result.stderr
        outputs[engine] = out.read_text()
    assert outputs["chunked"] == outputs["memory"]
    assert '"platform": "tiktok"' in outputs["memory"]
