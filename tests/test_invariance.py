"""Promises kept: a creator's report depends on its own likes only (creator scope), also when
its optional values are blank, and on the rows' values, never on their order."""

from __future__ import annotations

import json

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


def test_groups_of_creators_come_back_in_input_order(model, blank_world):
    """Creators, posts and likes of a table scored as groups keep one pass's order."""
    likes = validated(blank_world)
    report = model.report(likes, include_likes=True, scope="creator")
    assert report.creators["creator_id"].tolist() == likes["creator_id"].unique().tolist()
    pairs = likes[["creator_id", "post_id"]].drop_duplicates()
    assert report.posts[["creator_id", "post_id"]].values.tolist() == pairs.values.tolist()
    assert report.likes.index.tolist() == likes.index.tolist()
    assert report.likes["liker_id"].tolist() == likes["liker_id"].tolist()


@pytest.mark.parametrize("scope", ["creator", "batch"])
def test_shuffled_rows_give_the_same_report(model, scope):
    """Ties are broken by values: shuffling the rows changes only the order creators and
    posts are listed in (first appearance), never a creator's numbers or reasons."""
    from detector.synth import generate_world

    likes, _ = generate_world(n_creators=24, seed=97)
    shuffled = likes.sample(frac=1, random_state=3).reset_index(drop=True)
    a = json.loads(model.report(validated(likes), scope=scope).to_json())
    b = json.loads(model.report(validated(shuffled), scope=scope).to_json())
    assert a["meta"] == b["meta"]

    def by_id(report: dict) -> dict:
        out = {}
        for creator in report["creators"]:
            creator["posts"] = sorted(creator["posts"], key=lambda post: post["post_id"])
            out[creator["creator_id"]] = creator
        return out

    assert by_id(a) == by_id(b)


def test_the_shipped_scorer_decides_presence_per_creator_too(blank_world):
    """The command line's scorer (compiled arrays, full model on demand) keeps the promise."""
    from detector.persistence import load_scorer

    scorer = load_scorer()
    likes = validated(blank_world)
    creator = likes["creator_id"].unique()[1]
    together = _creators(scorer.report(likes, scope="creator"))
    alone = _creators(scorer.report(likes[likes["creator_id"] == creator], scope="creator"))
    assert together[creator] == alone[creator]
