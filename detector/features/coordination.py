"""Coordination features: signs that likers act as a group rather than as individuals.

Platforms that catch fake likes at scale look at groups (CopyCatch, SynchroTrap): accounts that
like the same posts within the same minutes, again and again, and accounts created in batches.
Everything here is counting over sorted keys and group sizes; there is no all-pairs loop.

- burst flags (:func:`bursty_likes`): a like is in a burst when its 10-minute bucket of the post
  holds at least ``BURST_MIN_LIKES`` likes and ``BURST_MIN_RATIO`` times the post's average. How
  often each liker bursts across the data is counted in :mod:`.footprint`
  (``log_liker_burst_posts``, ``burst_coordination``).
- ``log_local_spike``: likes within 2.5 minutes over what the surrounding 2 hours predict.
- ``creation_day_crowding``: likers of the same creator whose accounts were created on the same
  day as this liker's, over the number expected from the creator's likers created within 30 days
  either side: accounts made in batches stand out.
- ``profile_twins``: likers of the same creator whose profile falls in the same coarse cell
  (followers, following, posts, account age, all binned on a log scale), relative to the creator's
  likers: farm accounts are many and alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detector._sorted import window_counts
from detector.features.arrays import (
    IdCodes,
    distinct,
    distinct_inverse,
    distinct_per_group,
    first_rows,
    pair_codes,
    row_codes,
)
from detector.features.timing import PostTimeline, neighbour_counts, post_timeline, seconds
from detector.schema import creation_times, like_instants

BUCKET_SECONDS = 600
BURST_MIN_LIKES = 5
BURST_MIN_RATIO = 5.0
CROWDING_HALF_WINDOW_DAYS = 30


def burst_cells(post: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    """Dense code of each like's (post, 10-minute bucket) cell, in order of first appearance."""
    if len(bucket) == 0:
        return np.zeros(0, dtype=np.intp)
    span = np.int64(bucket.max() - bucket.min() + 1)
    codes, _ = pd.factorize(post.astype(np.int64) * span + (bucket - bucket.min()))
    return codes


def cell_means(cells: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per like, the mean of ``values`` over its cell (:func:`burst_cells`), as
    ``groupby(cells).transform("mean")``; for whole-number values, whose sums are exact."""
    counts = np.bincount(cells)
    return (np.bincount(cells, weights=values, minlength=len(counts)) / counts)[cells]


def burst_buckets(likes: pd.DataFrame) -> np.ndarray:
    """Absolute 10-minute bucket of each like (epoch based, so independent of the batch)."""
    return seconds(likes["liked_at"]) // BUCKET_SECONDS


def bursty_likes(
    post: np.ndarray, bucket: np.ndarray, cells: np.ndarray | None = None
) -> np.ndarray:
    """True for likes in a bucket of their post holding at least ``BURST_MIN_LIKES`` likes and
    ``BURST_MIN_RATIO`` times the post's average likes per bucket (``cells``:
    :func:`burst_cells`, computed when not given)."""
    cells = burst_cells(post, bucket) if cells is None else cells
    in_bucket = np.bincount(cells)[cells]
    post_likes = np.bincount(post)[post]
    expected = post_likes / _post_span_buckets(post, bucket)
    return (in_bucket >= BURST_MIN_LIKES) & (in_bucket >= BURST_MIN_RATIO * expected)


SPIKE_HALF_WINDOW_SECONDS = 150
SPIKE_CONTEXT_HALF_WINDOW_SECONDS = 3600


def local_spike(
    likes: pd.DataFrame, post: np.ndarray, timeline: PostTimeline | None = None
) -> np.ndarray:
    """Likes on the post within 2.5 minutes either side, over what the surrounding two hours
    predict: a farm job is a spike of minutes, an organic viral wave is hours wide.
    ``timeline`` (:func:`~detector.features.timing.post_timeline`) is computed when not given."""
    if timeline is None:
        timeline = post_timeline(post, seconds(likes["liked_at"]))
    near = neighbour_counts(timeline, SPIKE_HALF_WINDOW_SECONDS)
    wide = neighbour_counts(timeline, SPIKE_CONTEXT_HALF_WINDOW_SECONDS)
    expected = (wide - 1) * SPIKE_HALF_WINDOW_SECONDS / SPIKE_CONTEXT_HALF_WINDOW_SECONDS
    out = np.empty(len(near))
    out[timeline.order] = np.log1p((near - 1) / (expected + 1.0))
    return out


def _post_span_buckets(post: np.ndarray, bucket: np.ndarray) -> np.ndarray:
    """Buckets from each like's post's first to its last (post codes from 0)."""
    n = int(post.max()) + 1 if len(post) else 0
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, post, bucket)
    np.maximum.at(last, post, bucket)
    return np.maximum(last - first + 1, 1).astype(float)[post]


def _pair_codes(ids: IdCodes) -> np.ndarray:
    """``ids.pair``, or exact pair codes when missing ids left negative codes that it can mix up."""
    if len(ids.pair) == 0 or (ids.creator.min() >= 0 and ids.liker.min() >= 0):
        return ids.pair
    return pair_codes(ids.creator - ids.creator.min(), ids.liker - ids.liker.min())


def _creator_likers(ids: IdCodes) -> np.ndarray:
    """Number of distinct likers of each row's creator."""
    if len(ids.creator) == 0:
        return np.zeros(0, dtype=np.intp)
    creator = ids.creator - ids.creator.min()
    return np.bincount(creator[first_rows(_pair_codes(ids))])[creator]


def _crowding(key: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Crowding of each (creator, day) query among the sorted (creator, day) keys, computed once
    per distinct query."""
    query, inverse = distinct_inverse(query, None)
    same = window_counts(key, 0, query)
    w = CROWDING_HALF_WINDOW_DAYS
    around = window_counts(key, w, query)
    expected = (around - same) / (2 * w) + 1.0
    return np.log1p(np.maximum(same - 1, 0) / expected)[inverse]


def creation_day_crowding(likes: pd.DataFrame, ids: IdCodes | None = None) -> np.ndarray:
    """Same-day account creations among a creator's likers, over the local expectation from the
    days around it."""
    ids = IdCodes.of(likes) if ids is None else ids
    created = creation_times(likes)
    missing = np.isnat(created)
    day = np.where(missing, 0, created.astype("datetime64[D]").astype("int64"))
    query = ids.creator.astype(np.int64) * (1 << 32) + day + (1 << 31)
    pair = _pair_codes(ids)
    first = first_rows(pair)  # the first like of each creator-liker pair counts its liker
    key = np.sort(query[first[~missing[first]]])
    # a liker's likes of one creator almost always share their day: look it up once per pair
    pair_query = query[first]
    out = _crowding(key, pair_query)[pair]
    other = query != pair_query[pair]
    out[other] = _crowding(key, query[other])
    out[missing] = np.nan
    return out


PROFILE_COLUMNS = ("followers", "following", "posts", "account_created_at")


def _profile_cells(likes: pd.DataFrame) -> tuple[list[np.ndarray], np.ndarray]:
    """Log-binned cell of each profile column, and where any of them is missing (cell 0)."""
    cells = []
    missing = np.zeros(len(likes), dtype=bool)
    for column in PROFILE_COLUMNS:
        if column == "account_created_at":
            created = creation_times(likes)
            values = (like_instants(likes) - created).astype("timedelta64[s]").astype(
                float
            ) / 86_400.0
            values[np.isnat(created)] = np.nan
        else:
            values = likes[column].to_numpy(dtype=float)
        missing |= np.isnan(values)
        cells.append(np.floor(2 * np.log1p(np.nan_to_num(np.maximum(values, 0)))).astype(np.int64))
    return cells, missing


def profile_twins(likes: pd.DataFrame, ids: IdCodes | None = None) -> np.ndarray:
    """Share of a creator's likers in the same coarse profile cell (log-binned), scaled by 100."""
    ids = IdCodes.of(likes) if ids is None else ids
    cells, missing = _profile_cells(likes)
    twins = distinct_per_group(row_codes([ids.creator, *cells]), ids.liker)
    out = np.log1p(100.0 * (twins - 1) / np.maximum(_creator_likers(ids), 1))
    out[missing] = np.nan
    return out


_SET_HASH = np.uint64(0x9E3779B97F4A7C15)


def _mixed(codes: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each integer code (splitmix64's finaliser): sums of hashes of distinct
    codes tell sets apart (a collision among a creator's likers is vanishingly rare)."""
    with np.errstate(over="ignore"):
        z = codes.astype(np.uint64) * _SET_HASH + _SET_HASH
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def post_set_twins(likes: pd.DataFrame, post: np.ndarray, ids: IdCodes | None = None) -> np.ndarray:
    """Per like, how many more other likers of its creator liked exactly the same set of its
    posts (two or more) than expected, relative to the number expected among the likers of as many of its posts if each
    chose posts independently, each post with its share of the creator's likers: accounts run
    together like the same posts, again and again (CopyCatch's lockstep, without the times),
    while loyal fans who like nearly everything are many but expected. Counted by hashing each
    liker's set, never by comparing pairs of likers."""
    ids = IdCodes.of(likes) if ids is None else ids
    if len(likes) == 0:
        return np.zeros(0)
    pair = _pair_codes(ids)
    width = np.int64(int(post.max()) + 1)
    liked = distinct(pair.astype(np.int64) * width + post)  # each liker's posts, once each
    owner, on = liked // width, liked % width
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    size = np.diff(starts, append=len(owner))
    set_hash = np.add.reduceat(_mixed(on), starts)
    creator_of_post = np.zeros(int(width), dtype=np.int64)
    creator_of_post[post] = ids.creator - ids.creator.min()
    creator = creator_of_post[on[starts]]
    likers = np.bincount(creator)  # distinct likers of each creator
    # each post's share of its creator's likers, kept off 0 and 1
    share = (np.bincount(on, minlength=int(width)) + 0.5) / (likers[creator_of_post] + 1.0)
    logit = np.log(share) - np.log1p(-share)
    none_liked = np.bincount(creator_of_post, weights=np.log1p(-share), minlength=len(likers))
    log_chance = np.add.reduceat(logit[on], starts) + none_liked[creator]
    # the chance of liking that many posts (Poisson binomial, in its normal approximation)
    mean = np.bincount(creator_of_post, weights=share, minlength=len(likers))[creator]
    spread = np.sqrt(
        np.bincount(creator_of_post, weights=share * (1 - share), minlength=len(likers))
    )[creator]
    log_size_chance = np.log(
        np.maximum(ndtr((size + 0.5 - mean) / spread) - ndtr((size - 0.5 - mean) / spread), 1e-300)
    )
    same_size = _counts(creator * (int(size.max()) + 1) + size)
    expected = (same_size - 1) * np.exp(np.minimum(log_chance - log_size_chance, 0.0))
    key = set_hash ^ _mixed(creator.astype(np.int64) * 4096 + np.minimum(size, 4095))
    same = _counts(key)
    excess = np.maximum(same - 1 - expected, 0.0)  # as many as expected: 0
    twins = np.where(size >= 2, np.log1p(excess / (expected + 1.0)), 0.0)
    where = np.empty(int(owner.max()) + 1)
    where[owner[starts]] = twins
    return where[pair]


def ndtr(x: np.ndarray) -> np.ndarray:
    """The standard normal distribution function, to 1.5e-7 (Abramowitz and Stegun 7.1.26):
    enough for a feature, and scoring never imports SciPy."""
    z = np.abs(x) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    upper = 0.5 * poly * np.exp(-z * z)  # P(X > |x|)
    return np.where(x >= 0, 1.0 - upper, upper)


def _counts(keys: np.ndarray) -> np.ndarray:
    """How many of ``keys`` equal each one."""
    group, _ = pd.factorize(keys)
    return np.bincount(group)[group]


def coordination_features(
    likes: pd.DataFrame,
    post: np.ndarray,
    ids: IdCodes | None = None,
    timeline: PostTimeline | None = None,
    to_the_minute: bool = True,
) -> dict[str, np.ndarray]:
    """Every coordination feature that needs only the partition's own creators: the spike
    needs ``timeline`` and times ``to_the_minute``."""
    ids = IdCodes.of(likes) if ids is None else ids
    out = {"post_set_twins": post_set_twins(likes, post, ids)}
    if to_the_minute and "liked_at" in likes.columns:
        out["log_local_spike"] = local_spike(likes, post, timeline)
    if "account_created_at" in likes.columns:
        out["creation_day_crowding"] = creation_day_crowding(likes, ids)
    if all(c in likes.columns for c in PROFILE_COLUMNS):
        out["profile_twins"] = profile_twins(likes, ids)
    return out
