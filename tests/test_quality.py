"""Quality floors of the shipped model on held-out generated data (a new seed)."""

from __future__ import annotations

from detector.training import evaluate


def test_shipped_model_separates_inflated_from_clean_creators(shipped_model, test_world):
    likes, creators = test_world
    metrics = evaluate(shipped_model, likes, "is_fake", creators)
    assert metrics["creator_level"]["roc_auc"] >= 0.95
    assert metrics["like_level"]["roc_auc"] >= 0.9
    assert metrics["creator_level"]["share_mae"] < 0.1
