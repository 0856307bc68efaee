"""Timing features of each like relative to its post and creator.

All computed with one sort of the table by (post, time) and array operations over post
segments; no Python loop per like, post or creator.
"""

from __future__ import annotations

from functools import cache
from typing import NamedTuple

import numpy as np
import pandas as pd

from detector import _jit
from detector._sorted import window_counts
from detector.features.arrays import pair_codes, sums_by_group
from detector.schema import publication_times

BURST_HALF_WINDOW_SECONDS = 300
"""Half width of the window that counts neighbouring likes for the burst density."""


def seconds(values: pd.Series) -> np.ndarray:
    """Datetimes as whole seconds since the epoch (int64)."""
    return values.to_numpy("datetime64[ns]").astype("int64") // 1_000_000_000


def post_codes(likes: pd.DataFrame) -> np.ndarray:
    """Dense integer code per (creator_id, post_id), in order of first appearance."""
    return pair_codes(pd.factorize(likes["creator_id"])[0], pd.factorize(likes["post_id"])[0])


class PostTimeline(NamedTuple):
    """The likes ordered by post, then time: ``order`` (stable) and, in that order, one
    ascending int64 ``key`` per like, ``post * 2**34`` plus seconds, so that a window of seconds
    never reaches another post. Computed once and shared by the features that look at a like's
    neighbours on its post."""

    key: np.ndarray
    order: np.ndarray


SPAN_LIMIT = 1 << 34
"""Seconds (544 years) a key holds within one post."""


def post_timeline(post: np.ndarray, liked: np.ndarray) -> PostTimeline:
    """The :class:`PostTimeline` of likes with post codes ``post`` and times ``liked`` (seconds).

    Sorting one key is as fast as a pass when the input is already in that order (much faster
    than ``lexsort`` on likes already sorted by post and time), and gives the same order. When the
    likes span more than :data:`SPAN_LIMIT` (a stray timestamp centuries off), they are sorted
    by post and time and each post's seconds count from its own first like instead (and stop
    at the limit: only a post that itself spans centuries has its far likes bunched)."""
    if len(liked) == 0:
        return PostTimeline(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.intp))
    since = liked - liked.min()
    if since.max() < SPAN_LIMIT and post.max() < 1 << 29:
        key = post.astype(np.int64) * SPAN_LIMIT + since
        order = np.argsort(key, kind="stable")
        return PostTimeline(key[order], order)
    order = np.lexsort((liked, post))
    p, t = post[order], liked[order]
    new_post = np.r_[True, p[1:] != p[:-1]]
    segment = np.cumsum(new_post) - 1
    own = t - t[np.flatnonzero(new_post)][segment]
    return PostTimeline(segment * SPAN_LIMIT + np.minimum(own, SPAN_LIMIT - 1), order)


def neighbour_counts(timeline: PostTimeline, half_width: int) -> np.ndarray:
    """Per like, in timeline order, the likes of the same post within ``half_width`` seconds
    (itself included)."""
    return window_counts(timeline.key, half_width)


def timing_features(
    likes: pd.DataFrame,
    post: np.ndarray | None = None,
    creator: np.ndarray | None = None,
    timeline: PostTimeline | None = None,
) -> dict[str, np.ndarray]:
    """Delay after publication, gap to the previous like, burst density and hour offset.

    ``post`` (:func:`post_codes`), ``creator`` (integer codes of ``creator_id``) and
    ``timeline`` (:func:`post_timeline`) are computed from ``likes`` when not given.
    From :data:`detector._jit.JIT_FROM_ROWS` likes the per-like arithmetic runs as numba kernels
    (:func:`detector._kernels.post_timing`), with the same operations in the same order: the
    same values, bit for bit (tested); logarithms and angles stay numpy's.
    """
    post = post_codes(likes) if post is None else post
    creator = pd.factorize(likes["creator_id"])[0] if creator is None else creator
    liked = seconds(likes["liked_at"])
    n = len(liked)
    timeline = post_timeline(post, liked) if timeline is None else timeline
    order = timeline.order
    p, t = post[order], liked[order]
    published = None
    if "post_published_at" in likes.columns:
        published = publication_times(likes)[order]
    neighbours = neighbour_counts(timeline, BURST_HALF_WINDOW_SECONDS)
    kernels = _jit.kernels_for(n)
    if kernels is None:
        values = timing_values(p, t, published, neighbours)
    else:
        values = np.empty((4, n))
        kernels.post_timing(
            p.astype(np.int64, copy=False),
            t,
            np.zeros(0, np.int64) if published is None else published.view(np.int64),
            neighbours,
            2.0 * BURST_HALF_WINDOW_SECONDS,
            values,
        )
    np.log1p(values[:3], out=values[:3])
    creators = creator[order]
    peaks = _peak_hours(creators, _cos_sin_of_day(t % 86_400))
    if kernels is None:
        offset = np.abs(values[3] - peaks[creators]) % 24.0
        values[3] = np.minimum(offset, 24.0 - offset)
        out = np.empty_like(values)
        out[:, order] = values
    else:
        out = np.empty_like(values)
        kernels.restore_with_offsets(values, peaks, creators, order, out)
    names = ("log_delay_minutes", "log_gap_seconds", "log_burst_density", "hour_offset")
    return dict(zip(names, out, strict=True))


def timing_values(
    post: np.ndarray,
    liked: np.ndarray,
    published: np.ndarray | None,
    neighbours: np.ndarray,
) -> np.ndarray:
    """For likes in timeline order (post codes, seconds, publication times as datetime64[ns]
    or None, neighbours within the burst window): rows of delay in minutes (at least 0), gap
    to the previous like of the post in seconds (at least 0), burst density and hour of day.

    The delay runs from publication, or from the post's first like when that is unknown (or
    later); a post's first gap is its delay, or the mean gap of its likes without one; likes in
    the same second have gap 0 (their order among them is arbitrary). The burst density is
    ``(neighbours + 1) / (expected neighbours + 1)`` for likes spread evenly over the post."""
    p, t = post, liked
    n = len(t)
    starts = np.flatnonzero(np.r_[True, p[1:] != p[:-1]])
    counts = np.diff(np.r_[starts, n])
    segment = np.repeat(np.arange(len(starts)), counts)
    first = t[starts][segment]
    last = t[np.r_[starts[1:], n] - 1][segment]
    size = counts[segment].astype("float64")

    origin = first.astype("float64")
    if published is not None:
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
    gap[tied] = 0.0

    window = 2.0 * BURST_HALF_WINDOW_SECONDS
    expected = (size - 1) * np.minimum(window / np.maximum(span, window), 1.0)
    values = np.empty((4, n))
    values[0] = np.maximum(delay, 0.0) / 60.0
    values[1] = np.maximum(gap, 0.0)
    values[2] = neighbours / (expected + 1.0)
    values[3] = (t % 86_400) / 3_600.0
    return values


def _peak_hours(creators: np.ndarray, cos_sin: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Per creator code, the circular mean of its likes' hours of day (in hours), summed over
    its own likes only (:func:`~detector.features.arrays.sums_by_group`)."""
    peaks = np.zeros(int(creators.max()) + 1 if len(creators) else 0)
    present, sizes, (cos, sin) = sums_by_group(creators, cos_sin)
    peaks[present] = np.arctan2(sin / sizes, cos / sizes)
    return peaks * (24.0 / (2 * np.pi))


TABLE_FROM_ROWS = 20_000
"""Likes from which the cosine and sine of their hour angle are looked up in a table of the
86,400 seconds of a day rather than computed (the same numbers: the table holds numpy's)."""


def _cos_sin_of_day(second_of_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cosine and sine of the hour angle ``hour * 2 pi / 24`` of each second of the day."""
    if len(second_of_day) < TABLE_FROM_ROWS:
        return _cos_sin(second_of_day)
    cos, sin = _day_table()
    return cos[second_of_day], sin[second_of_day]


def _cos_sin(second_of_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    angle = (second_of_day / 3_600.0) * (2 * np.pi / 24.0)
    return np.cos(angle), np.sin(angle)


@cache
def _day_table() -> tuple[np.ndarray, np.ndarray]:
    return _cos_sin(np.arange(86_400, dtype=np.int64))
