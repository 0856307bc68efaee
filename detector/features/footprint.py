"""The liker's footprint across the whole data set: the only features that need global state.

Most features depend only on the likes of one creator. A few need to know what each liker did
elsewhere in the data: how many likes it gave, to how many creators, in how many bursts, and how
many other likers were created the same day. These come from a *liker table*, built in an extra
pass: each partition of the data (holding whole creators) yields a partial summary per liker
(:func:`liker_summary`), the summaries are added up (:func:`combine_liker_summaries`), and the
features are read back from the combined table (:func:`footprint_features`). The in-memory path
runs the same three steps on one partition, so chunked and distributed scoring give identical
results.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from detector.features.arrays import IdCodes, distinct, distinct_inverse
from detector.features.coordination import burst_cells, cell_means
from detector.schema import creation_times

LIKER_TABLE_COLUMNS = ("likes", "creators", "burst_posts", "created_day")
CROWDING_HALF_WINDOW_DAYS = 30


def liker_summary(
    likes: pd.DataFrame, bursty: np.ndarray, post: np.ndarray, ids: IdCodes | None = None
) -> pd.DataFrame:
    """Per liker in one partition (whole creators): likes, creators, burst posts, creation day."""
    codes = IdCodes.of(likes) if ids is None else ids
    liker, creator, liker_ids = codes.liker, codes.creator, codes.liker_ids
    n = len(liker_ids)
    width = np.int64(creator.max() + 1)
    creators = np.bincount(distinct(liker * width + creator) // width, minlength=n)
    post_width = np.int64(post.max() + 1)
    burst_pairs = distinct(liker[bursty].astype(np.int64) * post_width + post[bursty])
    burst_posts = np.bincount(burst_pairs // post_width, minlength=n)
    table = pd.DataFrame(
        {
            "likes": np.bincount(liker, minlength=n),
            "creators": creators,
            "burst_posts": burst_posts,
        },
        index=pd.Index(liker_ids, name="liker_id"),
    )
    if "account_created_at" in likes.columns:
        created = creation_times(likes)
        day = np.full(n, np.nan)
        known = ~np.isnat(created)
        day[liker[known]] = created[known].astype("datetime64[D]").astype("int64")
        table["created_day"] = day
    else:
        table["created_day"] = np.nan
    return table


def combine_liker_summaries(summaries: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Add up partial liker summaries from partitions that each hold whole creators."""
    frames = list(summaries)
    if len(frames) == 1:
        return frames[0]
    stacked = pd.concat(frames)
    grouped = stacked.groupby(level=0, sort=False)
    table = grouped[["likes", "creators", "burst_posts"]].sum()
    table["created_day"] = grouped["created_day"].max()
    return table


def _lookup(table: pd.DataFrame, likes: pd.DataFrame) -> np.ndarray:
    position = table.index.get_indexer(likes["liker_id"])
    if (position < 0).any():
        missing = likes["liker_id"].iloc[int(np.flatnonzero(position < 0)[0])]
        raise KeyError(f"liker {missing!r} is not in the liker table")
    return position


def footprint_features(
    likes: pd.DataFrame,
    table: pd.DataFrame,
    bursty: np.ndarray,
    post: np.ndarray,
    bucket: np.ndarray,
    cells: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Features read from the combined liker table, for the likes of one partition (``cells``:
    :func:`~detector.features.coordination.burst_cells`, computed when not given)."""
    row = _lookup(table, likes)
    burst_posts = table["burst_posts"].to_numpy(dtype=float)[row]
    others = np.where(bursty, burst_posts - 1.0, burst_posts)
    cells = burst_cells(post, bucket) if cells is None else cells
    coordination = cell_means(cells, others)
    out = {
        "log_liker_likes": np.log1p(table["likes"].to_numpy(dtype=float)[row]),
        "log_liker_creators": np.log1p(table["creators"].to_numpy(dtype=float)[row]),
        "log_liker_burst_posts": np.log1p(burst_posts),
        "burst_coordination": np.log1p(np.where(bursty, coordination, 0.0)),
    }
    days = table["created_day"].to_numpy(dtype=float)
    if not np.isnan(days).all():
        out["data_creation_crowding"] = _day_crowding(days, days[row])
    return out


def creator_footprint_features(
    likes: pd.DataFrame,
    bursty: np.ndarray,
    post: np.ndarray,
    bucket: np.ndarray,
    ids: IdCodes | None = None,
    cells: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The same footprint counted within the liker's likes of this creator only.

    These need no liker table: they depend on the creator's own likes alone, so a creator's
    score from them does not change with whatever else is in the batch.
    """
    pair = (IdCodes.of(likes) if ids is None else ids).pair
    likes_on_creator = np.bincount(pair)[pair]
    width = np.int64(post.max() + 1)
    burst_pairs = distinct(pair[bursty].astype(np.int64) * width + post[bursty])
    bursts = np.bincount(burst_pairs // width, minlength=pair.max() + 1)[pair].astype(float)
    others = np.where(bursty, bursts - 1.0, bursts)
    cells = burst_cells(post, bucket) if cells is None else cells
    coordination = cell_means(cells, others)
    return {
        "log_liker_creator_likes": np.log1p(likes_on_creator.astype(float)),
        "log_liker_creator_bursts": np.log1p(bursts),
        "creator_burst_coordination": np.log1p(np.where(bursty, coordination, 0.0)),
    }


def _day_crowding(all_days: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Likers created the same day, over the expectation from the 30 days either side."""
    known = np.sort(all_days[~np.isnan(all_days)])
    w = CROWDING_HALF_WINDOW_DAYS
    distinct_days, inverse = distinct_inverse(days)  # few distinct days: count once
    same = np.searchsorted(known, distinct_days, "right") - np.searchsorted(
        known, distinct_days, "left"
    )
    around = np.searchsorted(known, distinct_days + w, "right") - np.searchsorted(
        known, distinct_days - w, "left"
    )
    expected = (around - same) / (2 * w) + 1.0
    per_day = np.log1p(np.maximum(same - 1, 0) / expected)
    per_day[np.isnan(distinct_days)] = np.nan
    return per_day[inverse.ravel()]
