"""Who likes a creator: the shares of its likes from real people, mass followers, influencers
and suspicious accounts, as brands read an audience.

The split follows the audience types of HypeAuditor's published audience report, with its
cut-offs: a *mass follower* follows more than :data:`MASS_FOLLOWING_OVER` accounts, an
*influencer* has more than :data:`INFLUENCER_FOLLOWERS_OVER` followers. Each like counts in one
type, taken in this order (the first that applies wins):

1. ``audience_suspicious``: the model flagged the like (its per-like ``flagged``). Flags come
   first, unlike the published order (following and followers first), because bought likes
   are what this tool is for: a farm account that follows thousands is a farm account. The
   flags include the few percent of authentic likes the model flags (its false-positive rate),
   so this share is the raw flag rate, not the corrected ``inauthentic_share``.
2. ``audience_mass_followers``: the liker follows more than 1,500 accounts.
3. ``audience_influencers``: the liker has more than 5,000 followers.
4. ``audience_real``: every other like.

The four shares of a creator sum to 1. The split by traits needs the likers' ``following`` and
``followers`` (on the likes or from an accounts table): a creator none of whose likes has a
known value in both leaves the three trait shares missing (NaN), ``audience_suspicious`` given
alone. A like whose liker lacks one of the two counts is taken as under that cut-off. Shares
are per like (a liker who likes three posts counts three times), as the engagement rates are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MASS_FOLLOWING_OVER = 1_500
"""A liker following more accounts than this is a mass follower (HypeAuditor's cut-off)."""
INFLUENCER_FOLLOWERS_OVER = 5_000
"""A liker with more followers than this is an influencer (HypeAuditor's cut-off)."""

AUDIENCE_COLUMNS: tuple[str, ...] = (
    "audience_real",
    "audience_mass_followers",
    "audience_influencers",
    "audience_suspicious",
)
"""The report's audience columns, in the order of the table's compact cell (real/mass/infl/susp)."""


def audience_shares(
    likes: pd.DataFrame, flags: np.ndarray, creator: np.ndarray, n_creators: int
) -> pd.DataFrame:
    """Per creator code (0 to ``n_creators - 1``), the share of its likes of each audience
    type (:data:`AUDIENCE_COLUMNS`); ``flags`` and ``creator`` are aligned with ``likes``."""
    flagged = np.asarray(flags, dtype=bool)
    likes_of = np.bincount(creator, minlength=n_creators).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        suspicious = np.bincount(creator, weights=flagged, minlength=n_creators) / likes_of
    following = _counts(likes, "following")
    followers = _counts(likes, "followers")
    if following is None or followers is None:
        unknown = {name: np.full(n_creators, np.nan) for name in AUDIENCE_COLUMNS[:3]}
        return pd.DataFrame({**unknown, "audience_suspicious": suspicious})
    known = np.bincount(
        creator, weights=~np.isnan(following) & ~np.isnan(followers), minlength=n_creators
    )
    mass = ~flagged & (following > MASS_FOLLOWING_OVER)  # NaN compares False: under the cut-off
    influencer = ~flagged & ~mass & (followers > INFLUENCER_FOLLOWERS_OVER)
    real = ~flagged & ~mass & ~influencer
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = {
            name: np.bincount(creator, weights=kind, minlength=n_creators) / likes_of
            for name, kind in zip(AUDIENCE_COLUMNS[:3], (real, mass, influencer), strict=True)
        }
    for name in AUDIENCE_COLUMNS[:3]:
        shares[name][known == 0] = np.nan
    shares["audience_suspicious"] = suspicious
    return pd.DataFrame(shares)


def _counts(likes: pd.DataFrame, column: str) -> np.ndarray | None:
    """A liker count column as floats (missing = NaN), or None when the likes lack it."""
    if column not in likes.columns:
        return None
    return pd.to_numeric(likes[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def audience_cell(row: pd.Series | object) -> str:
    """The compact ``real/mass/infl/susp`` cell of the score table, in whole percent
    (``-`` for a share that is missing)."""
    values = [getattr(row, name) for name in AUDIENCE_COLUMNS]
    return "/".join("-" if pd.isna(value) else f"{100 * value:.0f}" for value in values)
