"""Timing features of each like relative to its post and creator.

All computed with one sort of the table by (post, time) and array operations over post
segments; no Python loop per like, post or creator.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from detector._sorted import window_counts
from detector.features.arrays import pair_codes

BURST_HALF_WINDOW_SECONDS = 300
"""Half width of the window that counts neighbouring likes for the burst density."""


def seconds(values: pd.Series) -> np.ndarray:
    """Datetimes as whole seconds since the epoch (int64)."""
    return values.to_numpy("datetime64[ns]").astype("int64") // 1_000_000_000


def post_codes(likes: pd.DataFrame) -> np.ndarray:
    """Dense integer code per (creator_id, post_id), in order of first appearance."""
    return pair_codes(pd.factorize(likes["creator_id"])[0], pd.factorize(likes["post_id"])[0])


class PostTimeline(NamedTuple):
    """The likes ordered by post, then time: ``order`` (stable) and, in that order, one int64
    ``key`` per like (``post * 2**34`` plus seconds since the earliest like). Computed once and
    shared by the features that look at a like's neighbours on its post."""

    key: np.ndarray
    order: np.ndarray
    exact: bool = True
    """Whether ``key`` sorts ascending: likes of different posts are then at least 2**34
    seconds apart in it, so a window of seconds never reaches another post (False only when
    the key overflowed, for spans of centuries or half a billion posts)."""


def post_timeline(post: np.ndarray, liked: np.ndarray) -> PostTimeline:
    """The :class:`PostTimeline` of likes with post codes ``post`` and times ``liked`` (seconds).

    Sorting one key is as fast as a pass when the input is already in that order (30x faster
    than ``lexsort`` on 450k likes sorted by post and time), and gives the same order."""
    if len(liked) == 0:
        return PostTimeline(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.intp))
    since = liked - liked.min()
    key = post.astype(np.int64) * (1 << 34) + since
    if since.max() >= 1 << 34 or post.max() >= 1 << 29:  # the key overflows: sort two keys
        order = np.lexsort((liked, post))
        return PostTimeline(key[order], order, exact=False)
    order = np.argsort(key, kind="stable")
    return PostTimeline(key[order], order)


def neighbour_counts(timeline: PostTimeline, half_width: int) -> np.ndarray:
    """Per like, in timeline order, the likes of the same post within ``half_width`` seconds
    (itself included)."""
    if timeline.exact:
        return window_counts(timeline.key, half_width)
    key = timeline.key
    lo = np.searchsorted(key, key - half_width, side="left")
    return np.searchsorted(key, key + half_width, side="right") - lo


def timing_features(
    likes: pd.DataFrame,
    post: np.ndarray | None = None,
    creator: np.ndarray | None = None,
    timeline: PostTimeline | None = None,
) -> dict[str, np.ndarray]:
    """Delay after publication, gap to the previous like, burst density and hour offset.

    ``post`` (:func:`post_codes`), ``creator`` (integer codes of ``creator_id``) and
    ``timeline`` (:func:`post_timeline`) are computed from ``likes`` when not given.
    """
    post = post_codes(likes) if post is None else post
    creator = pd.factorize(likes["creator_id"])[0] if creator is None else creator
    liked = seconds(likes["liked_at"])
    n = len(liked)
    timeline = post_timeline(post, liked) if timeline is None else timeline
    order = timeline.order
    p, t = post[order], liked[order]
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    counts = np.diff(np.r_[starts, n])
    segment = np.repeat(np.arange(len(starts)), counts)
    first = t[starts][segment]
    last = t[np.r_[starts[1:], n] - 1][segment]
    size = counts[segment].astype("float64")

    origin = first.astype("float64")
    if "post_published_at" in likes.columns:
        published = likes["post_published_at"].to_numpy("datetime64[ns]")[order]
        known = ~np.isnat(published)
        pub_seconds = published.astype("int64") // 1_000_000_000
        origin = np.where(known, np.minimum(pub_seconds, t).astype("float64"), origin)
    delay = t - origin

    gap = np.empty(n, dtype="float64")
    gap[1:] = np.diff(t)
    span = np.maximum(last - origin, 1.0)
    mean_gap = span / size
    gap[starts] = np.where(delay[starts] > 0, delay[starts], mean_gap[starts])
    same_post_next = np.r_[p[1:] == p[:-1], False]
    tied_next = same_post_next & np.r_[t[1:] == t[:-1], False]
    tied = tied_next | np.r_[False, tied_next[:-1]]
    gap[tied] = 0.0  # likes in the same second: order among them is arbitrary

    neighbours = neighbour_counts(timeline, BURST_HALF_WINDOW_SECONDS)
    window = 2.0 * BURST_HALF_WINDOW_SECONDS
    expected = (size - 1) * np.minimum(window / np.maximum(span, window), 1.0)
    density = neighbours / (expected + 1.0)  # (neighbours + 1) / (expected neighbours + 1)

    hour = (t % 86_400) / 3_600.0
    angle = hour * (2 * np.pi / 24.0)
    creators = creator[order]
    frame = pd.DataFrame({"creator": creators, "cos": np.cos(angle), "sin": np.sin(angle)})
    means = frame.groupby("creator", sort=False)[["cos", "sin"]].mean()
    peaks = np.zeros(int(creators.max()) + 1 if n else 0)  # the peak hour, per creator code
    peaks[means.index.to_numpy()] = np.arctan2(means["sin"].to_numpy(), means["cos"].to_numpy())
    peak = peaks[creators] * (24.0 / (2 * np.pi))
    offset = np.abs(hour - peak) % 24.0
    offset = np.minimum(offset, 24.0 - offset)

    sorted_values = {
        "log_delay_minutes": np.log1p(np.maximum(delay, 0.0) / 60.0),
        "log_gap_seconds": np.log1p(np.maximum(gap, 0.0)),
        "log_burst_density": np.log1p(density),
        "hour_offset": offset,
    }
    out = {}
    for name, values in sorted_values.items():
        restored = np.empty(n, dtype="float64")
        restored[order] = values
        out[name] = restored
    return out
