"""Convenience functions for embedding the scorer in other pipelines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from detector.estimator import AuthenticityModel
from detector.persistence import load_model


def score_creators(
    likes: pd.DataFrame, model: AuthenticityModel | str | Path | None = None
) -> pd.DataFrame:
    """Creator table (one row per creator) for a likes DataFrame.

    ``model`` is a fitted :class:`AuthenticityModel`, a path to an artifact, or ``None`` for the
    shipped default model.
    """
    if not isinstance(model, AuthenticityModel):
        model = load_model(model)
    return model.report(likes).creators


def rank_likes(
    likes: pd.DataFrame,
    model: AuthenticityModel | str | Path | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Score a likes DataFrame (with ``creator_followers`` and ``creator_category``, e.g.
    from ``load_likes(..., creator_facts=...)``) and rank its creators: one call for
    :func:`detector.rank.rank_creators`, whose keyword ``options`` (``category``, ``tier``,
    ``top``, ``pulse``, ``peers_min``) it passes on."""
    from detector.rank import rank_creators

    if not isinstance(model, AuthenticityModel):
        model = load_model(model)
    return rank_creators(model.report(likes), **options)
