"""Shared fixtures: small generated worlds and models fitted once per session."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from detector.estimator import AuthenticityModel
from detector.persistence import default_model_path, load_model
from detector.schema import validate_likes
from detector.training import train

SMALL = {"n_estimators": 60}


@pytest.fixture(scope="session", autouse=True)
def profile_cache_in_a_temporary_folder(tmp_path_factory):
    """Tests never write to the user's cache folder (detector.scoring.profile_cache)."""
    from detector.scoring.profile_cache import ENV

    before = os.environ.get(ENV)
    os.environ[ENV] = str(tmp_path_factory.mktemp("profile-cache"))
    yield
    if before is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = before


def use_path(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """Run the helpers that have numba kernels through their numpy code (``"numpy"``) or
    through their kernels whatever the input size (``"kernel"``)."""
    from detector import _jit

    if path == "kernel":
        pytest.importorskip("numba")
        monkeypatch.delenv(_jit.ENV, raising=False)
        monkeypatch.setattr(_jit, "JIT_FROM_ROWS", 0)
    else:
        monkeypatch.setenv(_jit.ENV, "0")


@pytest.fixture(params=["numpy", "kernel"])
def jit_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test once through the numpy code and once through the numba kernels."""
    use_path(monkeypatch, request.param)
    return request.param


def validated(likes: pd.DataFrame) -> pd.DataFrame:
    """Likes as the readers return them."""
    out = validate_likes(likes, "generated", label_column="is_fake")
    out.attrs["detector_validated"] = True
    return out


@pytest.fixture(scope="session")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A training world: validated likes and creator truth."""
    from detector.synth import generate_world

    likes, creators = generate_world(n_creators=24, seed=11)
    return validated(likes), creators


@pytest.fixture(scope="session")
def test_world() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A held-out world made with another seed."""
    from detector.synth import generate_world

    likes, creators = generate_world(n_creators=24, seed=97)
    return validated(likes), creators


@pytest.fixture(scope="session")
def trained(world) -> tuple[AuthenticityModel, dict]:
    """A small supervised model trained on the training world, with its held-out metrics."""
    likes, _ = world
    return train(likes, "is_fake", params=SMALL, random_state=0)


@pytest.fixture(scope="session")
def model(trained) -> AuthenticityModel:
    return trained[0]


@pytest.fixture(scope="session")
def shipped_model() -> AuthenticityModel:
    """The model shipped in models/."""
    return load_model(default_model_path())


@pytest.fixture
def tiny_likes() -> pd.DataFrame:
    """Four likes written by hand, as a user's CSV would hold them."""
    return pd.DataFrame(
        {
            "creator_id": ["a", "a", "a", "b"],
            "post_id": ["p1", "p1", "p2", "p3"],
            "liker_id": [1, 2, 3, 1],
            "liked_at": [
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:01:00",
                "1767225900",
                "2026-01-02T10:00:00+02:00",
            ],
            "post_published_at": ["2026-01-01T00:00:00Z"] * 3 + ["2026-01-02T07:00:00Z"],
            "followers": [10, 20, 30, 40],
            "following": [100, 20, 3000, 40],
            "account_created_at": ["2025-12-22T00:00:00Z"] * 4,
            "username": ["anna", "bot12345678", "x1", None],
        }
    )
