"""Convenience functions for embedding the scorer in other pipelines."""

from __future__ import annotations

from pathlib import Path

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
