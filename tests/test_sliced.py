"""Scoring a table in slices of whole creators on threads: the report of one pass, bit for bit."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from detector._threads import cpu_threads, map_row_chunks, map_threads
from detector.estimator import AuthenticityModel
from detector.report import in_id_order
from detector.scoring import pipeline as sliced
from detector.scoring.pipeline import creator_slices, report_in_slices
from detector.scoring.scorer import compiled_scorer
from detector.synth import generate_world

from .conftest import validated

SLICE = 1_500  # likes per slice: several slices of the small world below


@pytest.fixture(scope="module")
def likes() -> pd.DataFrame:
    """A small world whose creators' likes are interleaved (not grouped by creator)."""
    world, _ = generate_world(n_creators=12, seed=3)
    shuffled = world.sample(frac=1.0, random_state=0).reset_index(drop=True)
    return validated(shuffled)


@pytest.fixture(scope="module")
def model(likes) -> AuthenticityModel:
    return AuthenticityModel(n_estimators=40).fit(likes, likes["is_fake"])


def _grouped(likes: pd.DataFrame) -> pd.DataFrame:
    order = np.argsort(pd.factorize(likes["creator_id"])[0], kind="stable")
    return validated(likes.iloc[order].reset_index(drop=True))


def assert_identical(got, want) -> None:
    """The same report; the slices come back in first-appearance order, reports in id order."""
    got, want = in_id_order(got), in_id_order(want)
    for name in ("creators", "posts", "likes"):
        if getattr(want, name) is None:
            assert getattr(got, name) is None
            continue
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
    assert got.meta == want.meta


@pytest.mark.parametrize("grouped", [False, True], ids=["interleaved", "grouped"])
def test_slices_hold_whole_creators_and_every_row_once_in_order(likes, grouped):
    table = _grouped(likes) if grouped else likes
    slices = creator_slices(table["creator_id"], SLICE)
    assert len(slices) > 2
    rows = np.concatenate(slices)
    assert np.array_equal(np.sort(rows), np.arange(len(table)))
    owners = [set(table["creator_id"].to_numpy()[s]) for s in slices]
    assert sum(len(o) for o in owners) == table["creator_id"].nunique()  # no creator split
    for s in slices:
        assert np.all(np.diff(s) > 0)
        if grouped:
            assert s[-1] - s[0] + 1 == len(s)  # contiguous rows


def test_one_creator_or_a_missing_id_gives_a_single_slice():
    assert len(creator_slices(pd.Series(["a"] * 10), 3)) == 1
    ids = pd.Series(["a", "b", None, "c", "d", "e"], dtype=object)
    (only,) = creator_slices(ids, 2)
    assert np.array_equal(only, np.arange(6))


@pytest.mark.parametrize("scope", ["creator", "batch"])
@pytest.mark.parametrize("grouped", [False, True], ids=["interleaved", "grouped"])
def test_slices_on_threads_give_the_one_pass_report(likes, model, scope, grouped):
    table = _grouped(likes) if grouped else likes
    want = model.report(table, include_likes=True, scope=scope)  # small: one pass
    got = report_in_slices(model, table, scope, include_likes=True, threads=2, slice_rows=SLICE)
    assert got is not None
    assert_identical(got, want)


def test_per_like_rows_keep_the_callers_index(likes, model):
    table = validated(likes)
    table = table[table["creator_id"] != table["creator_id"].iloc[0]]  # index with gaps
    want = model.report(table, include_likes=True)
    got = report_in_slices(model, table, "creator", include_likes=True, threads=2, slice_rows=SLICE)
    assert got is not None
    assert got.likes.index.equals(table.index)
    assert_identical(got, want)


def test_compiled_scorer_in_slices_gives_its_one_pass_report(likes, model):
    scorer = compiled_scorer(model)
    want = scorer.report(likes)
    got = report_in_slices(scorer, likes, scorer.scope, threads=2, slice_rows=SLICE)
    assert got is not None
    assert_identical(got, want)


def test_large_tables_are_sliced_by_report_itself(likes, model, monkeypatch):
    calls = []
    original = sliced.second_pass
    monkeypatch.setattr(sliced, "SLICED_FROM_ROWS", 1)
    monkeypatch.setattr(sliced, "SLICE_ROWS", SLICE)
    monkeypatch.setattr(sliced, "cpu_threads", lambda: 2)
    monkeypatch.setattr(sliced, "second_pass", lambda *a, **k: calls.append(1) or original(*a, **k))
    want = report_in_slices(model, likes, model.scope, threads=2, slice_rows=SLICE)
    calls.clear()
    got = model.report(likes)
    assert len(calls) == len(creator_slices(likes["creator_id"], SLICE)) > 2
    assert_identical(got, want)


def test_a_slice_without_values_in_a_column_falls_back_to_one_pass(likes, model):
    table = _grouped(likes).copy()
    first = table["creator_id"].iloc[0]
    table.loc[table["creator_id"] == first, "followers"] = np.nan  # whole first slice
    table = validated(table)
    assert report_in_slices(model, table, "creator", threads=2, slice_rows=SLICE) is None
    one_pass = model.report(table)
    assert first in one_pass.creators["creator_id"].tolist()


def test_a_slice_without_creator_follower_counts_keeps_the_report_columns_in_order(likes, model):
    table = _grouped(likes).copy()
    first = creator_slices(table["creator_id"], SLICE)[0]
    table.loc[first, "creator_followers"] = np.nan  # no engagement rates in the first slice
    table = validated(table)
    got = report_in_slices(model, table, "creator", threads=2, slice_rows=SLICE)
    assert got is not None
    assert_identical(got, model.report(table))
    assert got.creators["engagement_rate"].isna().sum() == table.loc[first, "creator_id"].nunique()


def test_one_thread_or_one_slice_is_left_to_one_pass(likes, model):
    assert report_in_slices(model, likes, "creator", threads=1, slice_rows=SLICE) is None
    assert report_in_slices(model, likes, "creator", threads=2, slice_rows=10**9) is None


def test_threads_started_by_a_slice_run_on_it():
    def work(start: int, stop: int) -> str:
        return threading.current_thread().name

    def in_slice(_: int) -> tuple[int, list[str]]:
        return cpu_threads(), map_row_chunks(work, 100, 10, threads=4)

    for threads, names in map_threads(in_slice, [0, 1], threads=2):
        assert threads == 1
        assert len(set(names)) == 1 and names[0].startswith("detector-slice")
    outside = map_row_chunks(work, 100, 10, threads=2)  # the calling thread is not marked
    assert all(name.startswith("detector") for name in outside)


@pytest.mark.parametrize("scope", ["creator", "batch"])
def test_a_giant_creator_is_scored_on_the_calling_thread_with_the_same_report(
    likes, model, scope, monkeypatch
):
    """A creator holding far more likes than a slice is scored on the calling thread (its row
    chunks on every core) while the other slices run on the pool: the one-pass report, bit
    for bit."""
    from detector.model import formulas

    largest = max(len(rows) for rows in creator_slices(likes["creator_id"], SLICE))
    monkeypatch.setattr(sliced, "GIANT_ROWS", largest)  # the largest slice counts as a giant
    monkeypatch.setattr(formulas, "SCORE_CHUNK_ROWS", 97)  # many row chunks, on threads
    callers = []
    original = sliced.second_pass

    def recorded(part, *args, **kwargs):
        on_caller = threading.current_thread() is threading.main_thread()
        callers.append((len(part) >= largest, on_caller))
        return original(part, *args, **kwargs)

    monkeypatch.setattr(sliced, "second_pass", recorded)
    want = model.report(likes, include_likes=True, scope=scope)
    got = report_in_slices(model, likes, scope, include_likes=True, threads=2, slice_rows=SLICE)
    assert (True, True) in callers  # the giant's slice, on the calling thread,
    assert all(giant == on_caller for giant, on_caller in callers)  # the others on the pool
    assert got is not None
    assert_identical(got, want)


def test_repeated_likes_found_slice_by_slice_are_those_of_the_whole_table(likes, monkeypatch):
    from detector.schema import repeated_likes

    copies = likes.sample(n=300, random_state=5)
    table = validated(pd.concat([likes, copies]).sample(frac=1.0, random_state=6))
    monkeypatch.setattr(sliced, "SLICED_FROM_ROWS", 1)
    monkeypatch.setattr(sliced, "SLICE_ROWS", SLICE)
    monkeypatch.setattr(sliced, "cpu_threads", lambda: 2)
    found = sliced._repeated(table)
    assert found.sum() == 300
    assert np.array_equal(found, repeated_likes(table))


def test_row_chunks_score_every_row_as_one_call_does(likes, model, monkeypatch):
    from detector.model import formulas

    scorer = compiled_scorer(model)
    features = model.features(likes).values
    whole = scorer.score_features(features)
    monkeypatch.setattr(formulas, "SCORE_CHUNK_ROWS", 101)
    chunked = scorer.score_features(features)
    pd.testing.assert_frame_equal(chunked, whole, check_exact=True)
    assert chunked.attrs == whole.attrs
    flags = scorer.score_features(features, flags_only=True)
    assert np.array_equal(flags["flagged"], whole["flagged"])


def test_account_features_computed_beside_the_others_are_the_same(likes, monkeypatch):
    import detector.features as features

    inline = features.partition_features(likes).local
    monkeypatch.setattr(features, "BESIDE_FROM_ROWS", 1)
    monkeypatch.setattr(features, "cpu_threads", lambda: 2)
    started = []
    real = features.account_features

    def on_which_thread(frame):
        started.append(threading.current_thread().name)
        return real(frame)

    monkeypatch.setattr(features, "account_features", on_which_thread)
    beside = features.partition_features(likes).local
    assert started and started[0].startswith("detector-accounts")
    assert list(beside) != [] and set(beside) == set(inline)
    for name in inline:
        np.testing.assert_array_equal(beside[name], inline[name])
