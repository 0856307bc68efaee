"""Promises kept: a creator's report depends on its own likes only (creator scope), also when
its optional values are blank, and on the rows' values, never on their order."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import validated


@pytest.fixture(scope="module")
def blank_world() -> pd.DataFrame:
    """Six creators; one with no follower counts at all, others with a few bios missing."""
    from detector.synth import generate_world

    likes, _ = generate_world(n_creators=6, seed=97)
    ids = likes["creator_id"].unique()
    likes.loc[likes["creator_id"] == ids[1], "followers"] = None
    likes.loc[likes.index[::7], "bio_length"] = None
    return likes


def _creators(report: object) -> dict[str, dict]:
    return {c["creator_id"]: c for c in json.loads(report.to_json())["creators"]}


def test_a_creator_with_a_blank_column_scores_alone_as_beside_others(model, blank_world):
    """Presence is decided per creator: the creator without follower counts is scored
    without the features that need them, beside others as alone (they were imputed)."""
    likes = validated(blank_world)
    together = _creators(model.report(likes, scope="creator"))
    for creator in likes["creator_id"].unique():
        alone = _creators(model.report(likes[likes["creator_id"] == creator], scope="creator"))
        assert together[creator] == alone[creator], creator


def test_groups_of_creators_come_back_in_id_order_and_likes_in_input_order(model, blank_world):
    """Creators and posts of a table scored as groups are listed by id; likes keep the input's
    rows and order."""
    likes = validated(blank_world)
    report = model.report(likes, include_likes=True, scope="creator")
    assert report.creators["creator_id"].tolist() == sorted(likes["creator_id"].unique())
    pairs = sorted(map(tuple, likes[["creator_id", "post_id"]].drop_duplicates().values.tolist()))
    assert list(map(tuple, report.posts[["creator_id", "post_id"]].values.tolist())) == pairs
    assert report.likes.index.tolist() == likes.index.tolist()
    assert report.likes["liker_id"].tolist() == likes["liker_id"].tolist()


@pytest.mark.parametrize("scope", ["creator", "batch"])
def test_shuffled_rows_give_the_same_report_byte_for_byte(model, scope):
    """Ties are broken by values and creators and posts are listed by id: shuffled rows give
    the same JSON text (the first-appearance order of before changed it)."""
    from detector.synth import generate_world

    likes, _ = generate_world(n_creators=24, seed=97)
    shuffled = likes.sample(frac=1, random_state=3).reset_index(drop=True)
    a = model.report(validated(likes), scope=scope)
    b = model.report(validated(shuffled), scope=scope)
    assert a.to_json() == b.to_json()
    assert a.to_json(creator_per_line=True) == b.to_json(creator_per_line=True)


@pytest.mark.parametrize("engine", ["memory", "chunked"])
def test_the_command_line_prints_the_same_bytes_for_shuffled_rows(engine, tmp_path):
    from typer.testing import CliRunner

    from detector.cli import app

    sample = Path(__file__).resolve().parents[1] / "datasets" / "sample" / "likes.csv"
    likes = pd.read_csv(sample, dtype=str, keep_default_na=False)
    outputs = set()
    for seed in (None, 5):
        frame = likes if seed is None else likes.sample(frac=1, random_state=seed)
        path = tmp_path / ("likes.csv" if engine == "memory" else "likes.parquet")
        frame.to_csv(path, index=False) if engine == "memory" else frame.to_parquet(path)
        for fmt in ("json", "csv"):
            result = CliRunner().invoke(
                app, ["score", str(path), "--engine", engine, "--format", fmt]
            )
            assert result.exit_code == 0, result.stderr
            outputs.add((fmt, result.stdout))
    assert len(outputs) == 2


def test_the_shipped_scorer_decides_presence_per_creator_too(blank_world):
    """The command line's scorer (compiled arrays, profiles fitted from them) keeps the promise."""
    from detector.persistence import load_scorer

    scorer = load_scorer()
    likes = validated(blank_world)
    creator = likes["creator_id"].unique()[1]
    together = _creators(scorer.report(likes, scope="creator"))
    alone = _creators(scorer.report(likes[likes["creator_id"] == creator], scope="creator"))
    assert together[creator] == alone[creator]


def test_a_creator_without_follower_count_has_the_same_record_alone_and_beside_others(model):
    """Engagement rates are null, not absent, for a creator without ``creator_followers``:
    its record has the same fields whether or not another creator has a count."""
    from detector.synth import generate_world

    likes, _ = generate_world(n_creators=4, seed=5)
    first = likes["creator_id"].iloc[0]
    likes.loc[likes["creator_id"] == first, "creator_followers"] = None
    likes = validated(likes)
    together = _creators(model.report(likes, scope="creator"))
    alone = _creators(model.report(likes[likes["creator_id"] == first], scope="creator"))
    assert together[first] == alone[first]
    assert alone[first]["engagement_rate"] is None
