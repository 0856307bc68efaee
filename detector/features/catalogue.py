"""The catalogue of like features: stable name, unit, required input columns, one line of meaning.

This is the single place where features are declared. The functions that compute them live in
the sibling modules (:mod:`.account`, :mod:`.timing`, :mod:`.footprint`); each returns only the
features whose required columns are present.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from detector.schema import ACCOUNT_COLUMNS, OPTIONAL_COLUMNS, REQUIRED_COLUMNS

TIME_RESOLUTIONS: tuple[str, ...] = ("none", "post", "day", "hour", "minute", "second")
"""What a creator's ``liked_at`` resolves, coarsest first: no like times at all; every like
of a post at one instant (a collection or publication time copied onto each like); whole days,
hours or minutes; seconds (or finer). Detected per creator (:mod:`.resolution`)."""
LIKE_INSTANT = "like instant"
"""Input that holds when some instant stands for the like: ``liked_at``, or, without it,
``post_published_at`` (an account's age at publication: a like comes after it)."""
TO_HOUR, TO_MINUTE, TO_SECOND = (f"liked_at to the {unit}" for unit in ("hour", "minute", "second"))
"""Inputs that hold when ``liked_at`` resolves at least this unit within a creator's posts:
features that need the unit require them, so coarser times leave those features out."""
TIME_INPUTS: dict[str, tuple[str, ...]] = {
    "none": (),
    "post": (),
    "day": (),
    "hour": (TO_HOUR,),
    "minute": (TO_HOUR, TO_MINUTE),
    "second": (TO_HOUR, TO_MINUTE, TO_SECOND),
}
"""The time inputs each resolution gives (each finer one all the coarser ones' too)."""
DERIVED_INPUTS = frozenset((LIKE_INSTANT, TO_HOUR, TO_MINUTE, TO_SECOND))
"""Inputs that are not columns but facts found in them."""


@dataclass(frozen=True)
class FeatureInfo:
    """Description of one like feature."""

    name: str
    unit: str
    requires: tuple[str, ...]
    description: str
    scope: str = "creator"
    """'creator': computed from the creator's own likes; 'batch': uses the whole table."""
    suspicious: str = "both"
    """Which values can signal inauthenticity: 'low', 'high' or 'both' (either tail). A model
    may cap a one-sided feature at its reference median on the innocent side, so that, say, a
    very active real account is not isolated for being active (see ``AuthenticityModel``)."""
    monotone: bool = False
    """The supervised head may only raise P(fake) towards the suspicious side: for the traits
    every audit reads one way (young accounts, following many, following far more than followed,
    no posts, digit-run names), so that a real platform's accounts unlike the simulator's are
    never suspicious for lying on the innocent side. Left off where fakes also buy the innocent
    side (followers) or the simulator's own tiers need both (profiles, timing)."""


_CATALOGUE = (
    FeatureInfo(
        "log_account_age_days",
        "log(1 + days)",
        ("account_created_at", LIKE_INSTANT),
        "age of the liking account at the moment of the like",
        suspicious="low",
        monotone=True,
    ),
    FeatureInfo(
        "log_followers",
        "log(1 + accounts)",
        ("followers",),
        "how many accounts follow the liker",
        suspicious="low",
    ),
    FeatureInfo(
        "log_following",
        "log(1 + accounts)",
        ("following",),
        "how many accounts the liker follows",
        suspicious="high",
        monotone=True,
    ),
    FeatureInfo(
        "following_followers_log_ratio",
        "log((1 + following) / (1 + followers))",
        ("followers", "following"),
        "follows far more than it is followed (follow-for-follow and farm accounts)",
        suspicious="high",
        monotone=True,
    ),
    FeatureInfo(
        "log_posts",
        "log(1 + posts)",
        ("posts",),
        "how much the liker has published; empty accounts are typical of bought likes",
        suspicious="low",
        monotone=True,
    ),
    FeatureInfo(
        "log_posts_per_day",
        "log(1 + posts per day of account age)",
        ("posts", "account_created_at", LIKE_INSTANT),
        "publishing rate over the account's life",
        suspicious="low",
    ),
    FeatureInfo(
        "has_avatar",
        "0/1",
        ("has_avatar",),
        "profile picture present (profile completeness)",
    ),
    FeatureInfo(
        "is_private",
        "0/1",
        ("is_private",),
        "account is private",
    ),
    FeatureInfo(
        "log_bio_length",
        "log(1 + characters)",
        ("bio_length",),
        "length of the profile biography (profile completeness)",
        suspicious="low",
    ),
    FeatureInfo(
        "username_digit_share",
        "share 0-1",
        ("username",),
        "share of digits in the username; generated names carry long digit runs",
        suspicious="high",
        monotone=True,
    ),
    FeatureInfo(
        "log_delay_minutes",
        "log(1 + minutes)",
        (TO_MINUTE,),
        "time from the post's publication (or, without post_published_at, its first like) to the like",
    ),
    FeatureInfo(
        "log_gap_seconds",
        "log(1 + seconds)",
        (TO_SECOND,),
        "time since the previous like on the same post (0 for likes in the same second)",
    ),
    FeatureInfo(
        "log_burst_density",
        "log(1 + ratio)",
        (TO_MINUTE,),
        "likes on the same post within 5 minutes either side, over the number the post's average rate predicts (both + 1)",
    ),
    FeatureInfo(
        "hour_offset",
        "hours 0-12",
        (TO_HOUR,),
        "distance of the like's hour of day from the creator's busiest hour (circular)",
    ),
    FeatureInfo(
        "log_liker_likes",
        "log(1 + likes)",
        (),
        "how many likes the liker gave in the data (its footprint)",
        scope="batch",
    ),
    FeatureInfo(
        "log_liker_creators",
        "log(1 + creators)",
        (),
        "how many distinct creators the liker liked in the data",
        scope="batch",
    ),
)

_CATALOGUE += (
    FeatureInfo(
        "log_liker_creator_likes",
        "log(1 + likes)",
        (),
        "how many of this creator's posts the liker liked (loyal fans like many)",
    ),
    FeatureInfo(
        "log_liker_creator_bursts",
        "log(1 + posts)",
        (TO_MINUTE,),
        "distinct posts of this creator on which the liker's like fell inside a burst",
    ),
    FeatureInfo(
        "creator_burst_coordination",
        "log(1 + bursts)",
        (TO_MINUTE,),
        "mean number of this creator's other bursts joined by the likers sharing this burst",
    ),
    FeatureInfo(
        "log_liker_burst_posts",
        "log(1 + posts)",
        (TO_MINUTE,),
        "distinct posts on which the liker's like fell inside a burst (farm jobs recur)",
        scope="batch",
    ),
    FeatureInfo(
        "burst_coordination",
        "log(1 + bursts)",
        (TO_MINUTE,),
        "mean number of other bursts joined by the likers sharing this like's burst",
        scope="batch",
    ),
    FeatureInfo(
        "creation_day_crowding",
        "log(1 + ratio)",
        ("account_created_at",),
        "creator's likers created the same day as this liker, over the local expectation",
        suspicious="high",
    ),
    FeatureInfo(
        "log_local_spike",
        "log(1 + ratio)",
        (TO_MINUTE,),
        "other likes on the post within 2.5 minutes, over what the surrounding 2 hours predict",
    ),
    FeatureInfo(
        "data_creation_crowding",
        "log(1 + ratio)",
        ("account_created_at",),
        "likers anywhere in the data created the same day as this liker, over the local expectation",
        scope="batch",
        suspicious="high",
    ),
    FeatureInfo(
        "profile_twins",
        "log(1 + percent)",
        ("followers", "following", "posts", "account_created_at", LIKE_INSTANT),
        "percent of the creator's likers whose coarse profile equals this liker's",
        suspicious="high",
    ),
    FeatureInfo(
        "post_set_twins",
        "log(1 + ratio)",
        (),
        "creator's likers who liked exactly the same 2 or more of its posts, over the number independent likers would",
        suspicious="high",
    ),
)

FEATURES: dict[str, FeatureInfo] = {info.name: info for info in _CATALOGUE}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)


FEATURES_INPUTS = frozenset(c for info in FEATURES.values() for c in info.requires)
"""Input columns some feature needs: the ones whose presence changes the feature set."""

SCOPES = ("batch", "creator")
SIDES = ("low", "high", "both")


def available_features(columns: set[str] | list[str], scope: str = "batch") -> list[str]:
    """Names of the features computable from the given input columns, in catalogue order.

    ``scope="creator"`` keeps only the features that depend on each creator's own likes.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    present = set(columns)
    return [
        info.name
        for info in _CATALOGUE
        if set(info.requires) <= present and (scope == "batch" or info.scope == "creator")
    ]


def missing_inputs(columns: set[str] | list[str]) -> dict[str, list[str]]:
    """For each feature that cannot be computed, the input columns it lacks."""
    present = set(columns)
    return {
        info.name: [c for c in info.requires if c not in present]
        for info in _CATALOGUE
        if not set(info.requires) <= present
    }


def inputs_of(columns: Sequence[str], resolution: str = "second") -> tuple[str, ...]:
    """The inputs a table with values in ``columns`` gives, its ``liked_at`` (if among them)
    resolving ``resolution``: the columns and the facts found in them (:data:`DERIVED_INPUTS`)."""
    present = tuple(columns)
    if "liked_at" in present:
        present += TIME_INPUTS[resolution]
    if "liked_at" in present or "post_published_at" in present:
        present += (LIKE_INSTANT,)
    return present


_NO_CREATION = tuple(c for c in OPTIONAL_COLUMNS if c != "account_created_at")
COLUMN_PROFILES: dict[str, tuple[str, ...]] = {
    "every column": inputs_of(OPTIONAL_COLUMNS),
    "no account_created_at": inputs_of(_NO_CREATION),
    "traits only": inputs_of(("liked_at", *ACCOUNT_COLUMNS)),
    "ids and times only": inputs_of(("liked_at",)),
    "traits, no like times": inputs_of(ACCOUNT_COLUMNS),
    "traits without creation date, no like times": inputs_of(
        tuple(c for c in ACCOUNT_COLUMNS if c != "account_created_at")
    ),
    "every column, times to the day": inputs_of(OPTIONAL_COLUMNS, "day"),
    "ids and times to the day": inputs_of(("liked_at",), "day"),
}
"""The inputs (besides the ids) of the profiles real sources give: a full export; likers'
profiles without a creation date (as Instagram's come); account traits with like times; bare
like events; likers of a post with their profiles but no like time (X's liking users, with a
creation date; Instagram's, without); exports and reviews with day-level dates. A model fits
their feature sets in ``fit`` and its artifact carries them compiled."""


def profile_feature_sets(names: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The distinct feature sets (subsets of ``names``, in their order) that the column
    profiles give in each scope."""
    found: list[tuple[str, ...]] = []
    for columns in COLUMN_PROFILES.values():
        for scope in SCOPES:
            available = set(available_features([*REQUIRED_COLUMNS, *columns], scope))
            subset = tuple(n for n in names if n in available)
            if subset and subset not in found:
                found.append(subset)
    return found
