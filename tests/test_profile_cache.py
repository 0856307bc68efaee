"""Feature sets the shipped arrays lack are fitted once from the arrays' training sample,
compiled and kept (issue 17, no cliff): later scorers load them instead of fitting and give the
same report, byte for byte."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from detector import persistence
from detector.model import feature_sets
from detector.scoring.profile_cache import ENV, ProfileCache
from tests.conftest import validated

SAMPLE = Path(__file__).resolve().parents[1] / "datasets" / "sample" / "likes.csv"


@pytest.fixture(scope="module")
def without_usernames() -> pd.DataFrame:
    """The sample without likers' usernames: a column profile the shipped model did not fit."""
    likes = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    keep = likes["creator_id"].isin(likes["creator_id"].unique()[:6])
    return validated(likes[keep].drop(columns=["username"]).reset_index(drop=True))


@pytest.fixture
def fits(monkeypatch) -> list[tuple[str, ...]]:
    """The feature sets fitted from here on; every scorer loads the artifact anew."""
    fitted: list[tuple[str, ...]] = []
    real = feature_sets.fit_feature_set

    def counted(sample, names):
        fitted.append(names)
        return real(sample, names)

    monkeypatch.setattr(feature_sets, "fit_feature_set", counted)
    return fitted


def load_scorer():
    persistence._compiled_arrays.cache_clear()  # no feature set fitted by an earlier scorer
    return persistence.load_scorer()


def _json(scorer, likes: pd.DataFrame) -> str:
    return scorer.report(likes, scope="creator").to_json()


def test_a_profile_is_fitted_once_then_loaded(tmp_path, monkeypatch, without_usernames, fits):
    monkeypatch.setenv(ENV, "off")
    want = _json(load_scorer(), without_usernames)  # fitted, not kept
    assert len(fits) == 1
    monkeypatch.setenv(ENV, str(tmp_path))
    first = load_scorer()
    assert _json(first, without_usernames) == want
    assert len(fits) == 2  # fitted from the training sample, once
    kept = list(tmp_path.rglob("features-*.npz"))
    assert len(kept) == 1
    second = load_scorer()
    assert _json(second, without_usernames) == want
    assert len(fits) == 2  # the kept arrays were enough: nothing fitted


def test_a_damaged_entry_is_fitted_and_written_again(
    tmp_path, monkeypatch, without_usernames, fits
):
    monkeypatch.setenv(ENV, str(tmp_path))
    want = _json(load_scorer(), without_usernames)
    (entry,) = tmp_path.rglob("features-*.npz")
    entry.write_bytes(entry.read_bytes()[:1000])
    again = load_scorer()
    assert _json(again, without_usernames) == want
    assert len(fits) == 2  # the damaged entry was ignored: fitted again
    assert _json(load_scorer(), without_usernames) == want  # whole again
    assert len(fits) == 2
    assert entry.stat().st_size > 1000


def test_an_unwritable_cache_folder_keeps_nothing_and_scores_the_same(
    tmp_path, monkeypatch, without_usernames
):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv(ENV, str(blocked / "cache"))  # as a read-only home: cannot be made
    scorer = load_scorer()
    monkeypatch.setenv(ENV, "off")
    assert _json(scorer, without_usernames) == _json(load_scorer(), without_usernames)
    assert blocked.read_text() == "not a folder"
    assert not list(tmp_path.rglob("*.tmp"))


def test_the_cache_can_be_turned_off(monkeypatch):
    monkeypatch.setenv(ENV, "off")
    assert load_scorer().cache is None


def test_entries_are_keyed_by_model_and_feature_set(tmp_path):
    a, b = ProfileCache(tmp_path, "a" * 64), ProfileCache(tmp_path, "b" * 64)
    names = ("log_followers", "log_gap_seconds")
    assert a.path(names) != b.path(names)
    assert a.path(names) != a.path(names[:1])
    assert a.load(names) is None


def test_two_processes_filling_one_entry_at_once_both_score_and_leave_one_whole_file(
    tmp_path, without_usernames
):
    import os
    import subprocess
    import sys

    data = tmp_path / "likes.csv"
    without_usernames.to_csv(data, index=False)
    env = {**os.environ, ENV: str(tmp_path / "cache")}
    command = [sys.executable, "-m", "detector", "score", str(data), "--format", "json"]
    runs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err.decode()[-300:] for _, err in outputs]
    assert outputs[0][0] == outputs[1][0]
    kept = list((tmp_path / "cache").rglob("*"))
    assert [p.suffix for p in kept if p.is_file()] == [".npz"]  # one entry, no temporary file
    env_off = {**env, ENV: "off"}
    alone = subprocess.run(command, env=env_off, capture_output=True, timeout=300)
    assert alone.stdout == outputs[0][0]
