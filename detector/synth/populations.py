"""Account populations for training a model that must transfer across platforms, and the
stacked world made of one world per population (the shipped model's training data)."""

from __future__ import annotations

import pandas as pd

from detector.synth.params import SimulationParams
from detector.synth.schema import DEFAULT_INFLATED_TIERS
from detector.synth.world import generate_world

#: Tiers of the training populations: the default ladder plus hollow-account farms, whose only
#: signal is the profile (without them the supervised head never needs profile traits, since every
#: other tier is also given away by its timing or account ages).
TRAINING_TIERS: tuple[str, ...] = DEFAULT_INFLATED_TIERS + ("hollow",)

#: Account populations for training a model that must transfer across platforms (domain
#: randomisation). ``default`` is :class:`SimulationParams()` with the :data:`TRAINING_TIERS`;
#: the others move the genuine population's activity and audience, and the farms' disguise, to the
#: ranges that public labelled account sets show (Instagram and Twitter users post and follow far
#: more than the default world's lurker-heavy population; real farm accounts often have tens to
#: hundreds of followers). Hollow farms scale with each population's genuine medians.
POPULATIONS: dict[str, SimulationParams] = {
    "default": SimulationParams(inflated_tiers=TRAINING_TIERS),
    # Instagram-like active users: few lurkers, more posts, wider following
    "active": SimulationParams(
        inflated_tiers=TRAINING_TIERS,
        lurker_share=0.05,
        lurker_share_young=0.15,
        posts_median=60.0,
        posts_sigma=1.5,
        following_sigma=1.0,
        followers_median=250.0,
    ),
    # microblog-like: hundreds of posts, balanced follow counts; farms with real-looking audiences
    "microblog": SimulationParams(
        inflated_tiers=TRAINING_TIERS,
        lurker_share=0.02,
        lurker_share_young=0.1,
        posts_median=500.0,
        posts_sigma=1.5,
        followers_median=90.0,
        following_median=120.0,
        following_sigma=1.2,
        bio_empty_share=0.3,
        aged_followers_mean=200.0,
        aged_following_median=1_500.0,
        aged_posts_max=400.0,
    ),
    # social-network users with large networks; farms that follow thousands and carry avatars
    "social": SimulationParams(
        inflated_tiers=TRAINING_TIERS,
        lurker_share=0.03,
        lurker_share_young=0.1,
        posts_median=40.0,
        posts_sigma=1.3,
        followers_median=300.0,
        following_median=500.0,
        following_sigma=1.1,
        avatar_share=0.97,
        aged_followers_mean=120.0,
        aged_following_median=2_000.0,
        aged_avatar_share=0.9,
        naive_followers_mean=40.0,
        naive_avatar_share=0.6,
    ),
}


def generate_mixed_world(
    n_creators: int,
    seed: int,
    populations: tuple[str, ...] = tuple(POPULATIONS),
    *,
    inflated_share: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One world per population (``n_creators`` each, seeds ``seed``, ``seed + 1``, ...), stacked.

    Creator, post and liker ids are prefixed with the population name (``active:c00001``), so
    accounts of different worlds never share an id. This is the training data of the shipped
    model: a model fitted on one population learns that population's quirks (for instance that
    accounts without posts are normal), one fitted on several learns what they share.
    """
    unknown = [name for name in populations if name not in POPULATIONS]
    if unknown or not populations:
        raise ValueError(f"populations must be among {sorted(POPULATIONS)}, got {unknown or '[]'}")
    likes_parts, creator_parts = [], []
    for offset, name in enumerate(populations):
        likes, creators = generate_world(
            n_creators, seed + offset, params=POPULATIONS[name], inflated_share=inflated_share
        )
        for column in ("creator_id", "post_id", "liker_id"):
            likes[column] = f"{name}:" + likes[column].astype(str)
        for column in ("creator_id", "account_id"):
            creators[column] = f"{name}:" + creators[column].astype(str)
        creators.insert(1, "population", name)
        likes_parts.append(likes)
        creator_parts.append(creators)
    return (
        pd.concat(likes_parts, ignore_index=True),
        pd.concat(creator_parts, ignore_index=True),
    )
