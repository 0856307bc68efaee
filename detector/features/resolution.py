"""What ``liked_at`` resolves, per creator: seconds, minutes, hours, days, one instant per post,
or nothing at all.

Exports often carry coarse times: a date, a time to the minute, or one collection time copied
onto every like of a post. Read as exact, day-level ties look like bursts of likes in the same
second. So the resolution is found in the data, per creator (a creator's features then depend
on its own likes only, in any batch), and the features that need a finer one are left out
(:data:`~detector.features.catalogue.TIME_INPUTS`).

A creator's times resolve a unit (a minute, say) when they do not all fall on whole units: in
UTC, and, from :data:`OFFSET_FROM_LIKES` likes on, at a common offset either (a date exported
in a local time zone is still a date). Its likes resolve only the post when every post with
more than one like has them all at one instant.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detector.features.arrays import first_rows, pair_codes
from detector.features.catalogue import LIKE_INSTANT, TIME_INPUTS, TIME_RESOLUTIONS
from detector.schema import WHOLE_UNITS_NS

NONE, POST, DAY, HOUR, MINUTE, SECOND = range(len(TIME_RESOLUTIONS))
OFFSET_FROM_LIKES = 5
"""Likes from which a creator's times sharing one offset from whole units count as whole units
of another time zone: with fewer, times to the second share an offset by chance too often."""
_FINEST_FIRST = tuple(zip(WHOLE_UNITS_NS, (SECOND, MINUTE, HOUR), strict=True))
"""Each unit, the finest first, and the resolution times that do not fall on it resolve."""


def creator_resolutions(likes: pd.DataFrame, creator: np.ndarray, post: np.ndarray) -> np.ndarray:
    """Per creator code (``creator``: codes from 0 in order of first appearance; ``post``: post
    codes), the index in :data:`TIME_RESOLUTIONS` of what its ``liked_at`` resolves."""
    n = int(creator.max()) + 1 if len(creator) else 0
    if "liked_at" not in likes.columns:
        return np.full(n, NONE, dtype=np.int8)
    ticks = likes["liked_at"].to_numpy("datetime64[ns]").view(np.int64)
    first = first_rows(creator)[creator]
    small = np.bincount(creator, minlength=n) < OFFSET_FROM_LIKES
    level = np.full(n, DAY, dtype=np.int8)
    rows = None  # all likes; then those of the creators not yet found finer
    for unit, finer in _FINEST_FIRST:  # most data resolves seconds: one pass settles it
        on, firsts = (ticks, first) if rows is None else (ticks[rows], first[rows])
        of = creator if rows is None else creator[rows]
        remainder = on % unit
        off_unit = _any_per(of, remainder != 0, n)
        apart = _any_per(of, remainder != ticks[firsts] % unit, n)
        found = off_unit & (small | apart) & (level == DAY)
        level[found] = finer
        rows = np.flatnonzero(level[creator] == DAY)
        if len(rows) == 0:
            break
    post_first = first_rows(post)[post]
    shared = np.bincount(post)[post] > 1
    varies = _any_per(creator, ticks != ticks[post_first], n)
    level[_any_per(creator, shared, n) & ~varies] = POST
    return level


def resolutions_of(likes: pd.DataFrame, creator: np.ndarray | None = None) -> np.ndarray:
    """:func:`creator_resolutions` from the ids alone (``creator``: its codes, when known)."""
    creator = pd.factorize(likes["creator_id"])[0] if creator is None else creator
    if "liked_at" not in likes.columns:  # no post codes needed
        return np.full(int(creator.max()) + 1 if len(creator) else 0, NONE, dtype=np.int8)
    post = pair_codes(creator, pd.factorize(likes["post_id"])[0])
    return creator_resolutions(likes, creator, post)


TIME_TIERS = np.array([len(TIME_INPUTS[name]) for name in TIME_RESOLUTIONS], dtype=np.int8)
"""How many time inputs each resolution gives: creators alike in it have the same features."""


def _any_per(creator: np.ndarray, where: np.ndarray, n: int) -> np.ndarray:
    """Per creator code, whether ``where`` holds for any of its likes."""
    out = np.zeros(n, dtype=bool)
    out[creator[where]] = True
    return out


def time_inputs(likes: pd.DataFrame, levels: np.ndarray) -> list[str]:
    """The derived inputs (:data:`~detector.features.catalogue.DERIVED_INPUTS`) that likes of
    creators with resolutions ``levels`` give: those of the finest, as a table read whole finds
    some time off a whole unit if any creator's is."""
    found: list[str] = []
    if "liked_at" in likes.columns or _has_values(likes, "post_published_at"):
        found.append(LIKE_INSTANT)
    if len(levels):
        found += TIME_INPUTS[TIME_RESOLUTIONS[int(levels.max())]]
    return found


def _has_values(likes: pd.DataFrame, column: str) -> bool:
    return column in likes.columns and bool(likes[column].notna().any())


def resolution_names(levels: np.ndarray) -> np.ndarray:
    """The name in :data:`TIME_RESOLUTIONS` of each level."""
    return np.asarray(TIME_RESOLUTIONS, dtype=object)[levels]
