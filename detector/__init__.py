"""Authentic-engagement fraud detector: how much of a creator's likes are real.

Public API::

    from detector import AuthenticityModel, load_model, load_likes, generate_world

    model = load_model()                      # the shipped default model
    likes = load_likes("likes.csv", creator_facts="creators.csv")  # creators table optional
    report = model.report(likes)              # CreatorReport: .creators, .posts, .to_json()
    per_like = model.score_likes(likes)
    ranked = rank_creators(report, category="food")   # by authentic engagement, with peers
    mine, metrics = adapt(model, likes_of_clean_creators)   # another platform, no fake label

Heavy or optional pieces (Dask, the simulator) are imported lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from detector._version import __version__

__all__ = [
    "AuthenticityModel",
    "CreatorReport",
    "DetectorError",
    "LikeFeatures",
    "LikeScorer",
    "ModelError",
    "SchemaError",
    "__version__",
    "adapt",
    "build_like_features",
    "generate_world",
    "join_creators",
    "load_likes",
    "load_model",
    "rank_creators",
    "rank_likes",
    "rank_posts",
    "save_model",
    "score_creators",
    "train",
]

_LAZY = {
    "AuthenticityModel": "detector.estimator",
    "CreatorReport": "detector.report",
    "DetectorError": "detector.errors",
    "ModelError": "detector.errors",
    "SchemaError": "detector.errors",
    "LikeFeatures": "detector.features.transformer",
    "build_like_features": "detector.features",
    "LikeScorer": "detector.model.forest",
    "generate_world": "detector.synth",
    "join_creators": "detector.creators",
    "load_likes": "detector.io",
    "load_model": "detector.persistence",
    "save_model": "detector.persistence",
    "score_creators": "detector.api",
    "rank_likes": "detector.api",
    "rank_creators": "detector.rank",
    "rank_posts": "detector.rank",
    "train": "detector.training",
    "adapt": "detector.training",
}

if TYPE_CHECKING:
    from detector.api import rank_likes, score_creators
    from detector.creators import join_creators
    from detector.errors import DetectorError, ModelError, SchemaError
    from detector.estimator import AuthenticityModel
    from detector.features import build_like_features
    from detector.features.transformer import LikeFeatures
    from detector.io import load_likes
    from detector.model.forest import LikeScorer
    from detector.persistence import load_model, save_model
    from detector.rank import rank_creators, rank_posts
    from detector.report import CreatorReport
    from detector.synth import generate_world
    from detector.training import adapt, train


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'detector' has no attribute {name!r}")
