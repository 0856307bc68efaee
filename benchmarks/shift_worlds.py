"""Worlds whose authentic population is not the simulator's default: how the shipped model fares
when its reference does not fit the data it scores.

Every builder returns ``(likes, creators)`` as :func:`detector.synth.generate_world` does: one row
per like with its ``is_fake`` label, one row per creator with its true ``inauthentic_share``
(the share of its likes that are fake).

Simulated shifts (:data:`SIMULATED_SHIFTS`)
    The default simulator with the *genuine* accounts' parameters replaced
    (:class:`~detector.synth.SimulationParams`); every fake tier's own parameters stay default.
    Two things move with the genuine population by the simulator's design, not by choice here:
    stealth-farm accounts copy the genuine profile and age distributions, and ``following_max``
    is a platform cap on every account, farms included.

    ==================  =========================================================================
    world               replaced parameters (default in brackets)
    ==================  =========================================================================
    more active         posts_median 100 (25, x4), following_median 600 (300, x2),
                        followers_median 360 (120, x3), lurker_share 0.1 (0.3),
                        lurker_share_young 0.25 (0.55)
    less active         posts_median 6.25 (25, x0.25), lurker_share 0.6 (0.3),
                        lurker_share_young 0.8 (0.55), followers_median 40 (120),
                        acct_age_median_years 1.5 (3), young_account_share 0.25 (0.12)
    another platform    private_share 0 (0.25), acct_age_median_years 6 (3),
                        young_account_share 0.04 (0.12), avatar_share 0.97 (0.88),
                        following_max 5,000 (7,500), following_median 150 (300),
                        following_sigma 1.1 (0.7), bio_empty_share 0.2 (0.45)
    ==================  =========================================================================

Bitcoin OTC ratings (:func:`bitcoin_otc_world`)
    Real event timing with a fraud label (Kumar et al. 2016, 2018; REV2 labels): a rating is a
    like, the ratee the creator, the rater the liker, the rating's time ``liked_at`` (UTC). Only
    ratings whose rater is labelled are kept (``is_fake`` = rater labelled fraudulent); a creator
    is a ratee with at least :data:`BITCOIN_MIN_RATINGS` such ratings. A "post" is one calendar
    month (UTC) of a ratee's ratings: the ratings span 2010-2016 and a ratee gets a few a month,
    so a week would leave most posts with a single like. There is no publication time (the
    detector then measures delays from a post's first like) and no account trait. Measured on
    the shared copy (35,592 ratings, 316 raters labelled, 180 fraudulent): 8,372 ratings have a
    labelled rater; 133 ratees have at least 10 (2,388 ratings on 1,264 monthly posts, most
    with a single rating), of which only **12 are clean** (share 0) and 23 have a share of at
    least 35% (median share 0.17, quartiles 0.09 and 0.30). With so few clean creators, "clean
    called inflated" moves in steps of 1/12 and a creator ROC AUC rests on 12 negatives: read
    both as rough.

Real account pools
    Part 3's worlds (``quality.pool_worlds``): built there, not here, so both parts score the
    same creators.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from detector.synth import SimulationParams, generate_world

__all__ = [
    "BITCOIN_FOLDER",
    "BITCOIN_MIN_RATINGS",
    "SIMULATED_SHIFTS",
    "bitcoin_otc_world",
    "shifted_params",
    "shifted_world",
]

#: Replacements of the default :class:`SimulationParams` per shifted world (genuine accounts only).
SIMULATED_SHIFTS: dict[str, dict[str, float]] = {
    "more active": {
        "posts_median": 100.0,
        "following_median": 600.0,
        "followers_median": 360.0,
        "lurker_share": 0.1,
        "lurker_share_young": 0.25,
    },
    "less active": {
        "posts_median": 6.25,
        "lurker_share": 0.6,
        "lurker_share_young": 0.8,
        "followers_median": 40.0,
        "acct_age_median_years": 1.5,
        "young_account_share": 0.25,
    },
    "another platform": {
        "private_share": 0.0,
        "acct_age_median_years": 6.0,
        "young_account_share": 0.04,
        "avatar_share": 0.97,
        "following_max": 5_000,
        "following_median": 150.0,
        "following_sigma": 1.1,
        "bio_empty_share": 0.2,
    },
}
#: Folder of the Bitcoin OTC ratings inside the shared data folder.
BITCOIN_FOLDER = "bitcoin_otc_rev2"
#: Fewest ratings from labelled raters that make a ratee a creator.
BITCOIN_MIN_RATINGS = 10


def shifted_params(name: str) -> SimulationParams:
    """The default parameters with the replacements of :data:`SIMULATED_SHIFTS` ``[name]``."""
    return replace(SimulationParams(), **SIMULATED_SHIFTS[name])


def shifted_world(name: str, n_creators: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The simulated world ``name`` (same creators' plan draws as the default world of ``seed``)."""
    return generate_world(n_creators, seed, params=shifted_params(name))


def bitcoin_otc_world(
    folder: Path, min_ratings: int = BITCOIN_MIN_RATINGS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Likes and creators from the Bitcoin OTC ratings in ``folder`` (see the module docstring).

    Raises ``OSError`` when a file is missing and ``ValueError`` when a label is not +1 or -1.
    """
    folder = Path(folder)
    ratings = pd.read_csv(
        folder / "otc_network.csv",
        header=None,
        names=["rater", "ratee", "rating", "time"],
        dtype={"rater": str, "ratee": str},
    )
    labels = pd.read_csv(
        folder / "otc_gt.csv", header=None, names=["user", "label"], dtype={"user": str}
    )
    if not labels["label"].isin([1, -1]).all():
        raise ValueError(f"{folder / 'otc_gt.csv'}: labels other than +1 and -1")
    fraudulent = labels.set_index("user")["label"].eq(-1)
    kept = ratings[ratings["rater"].isin(fraudulent.index)]
    counts = kept["ratee"].value_counts()
    kept = kept[kept["ratee"].isin(counts.index[counts >= min_ratings])]
    liked_at = pd.to_datetime(kept["time"], unit="s", utc=True)
    month = liked_at.dt.strftime("%Y-%m").to_numpy(dtype=str)
    likes = pd.DataFrame(
        {
            "creator_id": kept["ratee"].to_numpy(dtype=str),
            "post_id": np.strings.add(
                np.strings.add(kept["ratee"].to_numpy(dtype=str), "_"), month
            ),
            "liker_id": kept["rater"].to_numpy(dtype=str),
            "liked_at": liked_at.array,
            "is_fake": fraudulent.reindex(kept["rater"]).to_numpy().astype(np.int8),
        }
    )
    likes = likes.sort_values(["creator_id", "post_id", "liked_at"], kind="stable")
    likes = likes.reset_index(drop=True)
    grouped = likes.groupby("creator_id", sort=True)["is_fake"]
    creators = pd.DataFrame(
        {"inauthentic_share": grouped.mean().astype(float), "likes": grouped.size()}
    ).rename_axis("creator_id")
    return likes, creators.reset_index()
