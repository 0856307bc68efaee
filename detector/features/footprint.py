"""The liker's footprint in the data: how many likes it gave and to how many creators."""

from __future__ import annotations

import numpy as np
import pandas as pd


def footprint_features(likes: pd.DataFrame) -> dict[str, np.ndarray]:
    """Likes per liker and distinct creators per liker, over the whole table."""
    liker, _ = pd.factorize(likes["liker_id"])
    creator, _ = pd.factorize(likes["creator_id"])
    likes_per_liker = np.bincount(liker)
    pairs = np.unique(liker.astype("int64") * (creator.max() + 1) + creator)
    creators_per_liker = np.bincount(pairs // (creator.max() + 1), minlength=len(likes_per_liker))
    return {
        "log_liker_likes": np.log1p(likes_per_liker[liker].astype("float64")),
        "log_liker_creators": np.log1p(creators_per_liker[liker].astype("float64")),
    }
