"""Array helpers for the features: integer id codes and sort-based distinct values.

``np.unique`` on a million int64 values takes about a second with numpy 2.4 (it hashes); sorting
takes a few hundredths. These helpers return what ``np.unique`` returns, sorted, and count
distinct values per group over several integer columns packed into one int64 key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

_INT64_MAX = int(np.iinfo(np.int64).max)


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (NaN, if any, last and kept once per occurrence)."""
    ordered = np.sort(values, kind="stable")
    if len(ordered) == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def distinct_inverse(
    values: np.ndarray, kind: str | None = "stable"
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and, per input, the index of its value among them.

    ``kind`` is passed to :func:`numpy.argsort`; ``None`` (its unstable default) is faster and
    gives the same result unless there are NaNs (each NaN is its own value).
    """
    order = np.argsort(values, kind=kind)
    ordered = values[order]
    if len(ordered) == 0:
        return ordered, np.zeros(0, dtype=np.intp)
    starts = np.r_[True, ordered[1:] != ordered[:-1]]
    inverse = np.empty(len(values), dtype=np.intp)
    inverse[order] = np.cumsum(starts) - 1
    return ordered[starts], inverse


def _dense(values: np.ndarray) -> np.ndarray:
    return distinct_inverse(values, kind=None)[1].astype(np.int64)


def _from_zero(values: np.ndarray) -> np.ndarray:
    """Integers (within the int64 range) as int64 codes from 0 in the same order: shifted by the
    minimum, or numbered densely when their range does not fit in int64."""
    if len(values) == 0:
        return values.astype(np.int64)
    low, high = int(values.min()), int(values.max())
    if high - low > _INT64_MAX:
        return _dense(values)
    return values.astype(np.int64) - np.int64(low)


def _fits(high: np.ndarray, low: np.ndarray) -> bool:
    radix = int(low.max()) + 1
    return int(high.max()) <= (_INT64_MAX - radix + 1) // radix


def _pack(high: np.ndarray, low: np.ndarray) -> tuple[np.ndarray, np.int64]:
    """``high * radix + low`` for codes from 0 (``radix = low.max() + 1``) and the radix; ``high``,
    then ``low``, are first numbered densely if that is needed to fit in int64."""
    if len(low) == 0:
        return high.copy(), np.int64(1)
    if not _fits(high, low):
        high = _dense(high)
    if not _fits(high, low):
        low = _dense(low)
    radix = np.int64(int(low.max()) + 1)
    return high * radix + low, radix


def row_codes(columns: list[np.ndarray]) -> np.ndarray:
    """One int64 code per row of several integer columns, equal exactly when every column is
    (the columns packed in mixed radix; the codes sort as the rows do)."""
    code = _from_zero(columns[0])
    for column in columns[1:]:
        code, _ = _pack(code, _from_zero(column))
    return code


def distinct_per_group(group: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per row, how many distinct ``values`` the rows of its ``group`` hold (integer arrays)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.intp)
    pair, radix = _pack(_from_zero(group), _from_zero(values))
    order = np.argsort(pair)
    ordered = pair[order]
    new_pair = np.r_[True, ordered[1:] != ordered[:-1]]
    owner = ordered // radix
    run = np.cumsum(np.r_[True, owner[1:] != owner[:-1]]) - 1
    counts = np.bincount(run[new_pair], minlength=int(run[-1]) + 1)
    out = np.empty(len(pair), dtype=np.intp)
    out[order] = counts[run]
    return out


def sums_by_group(
    group: np.ndarray, columns: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """For integer group codes: the groups present (ascending), their sizes, and the sum of each
    of ``columns`` over each group's rows. The rows of a group are added in their order by
    ``np.add.reduceat`` (as pandas' ``groupby().sum()`` adds sorted groups), so a group's sum
    depends on its own rows only, not on the other groups around them."""
    if len(group) == 0:
        return group[:0], np.zeros(0, dtype=np.intp), [column[:0] for column in columns]
    order = None if bool((np.diff(group) >= 0).all()) else np.argsort(group, kind="stable")
    grouped = group if order is None else group[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    sizes = np.diff(starts, append=len(grouped))
    sums = [np.add.reduceat(c if order is None else c[order], starts) for c in columns]
    return grouped[starts], sizes, sums


@dataclass(frozen=True)
class IdCodes:
    """Dense integer codes of a likes table's ids, computed once and shared by the features.

    ``creator`` and ``liker`` number the distinct ids in order of first appearance
    (``creator_ids`` and ``liker_index``, or ``liker_ids`` as an array, hold the id of each
    code); ``post`` numbers the distinct (creator, post) pairs and ``pair`` the distinct
    (creator, liker) pairs.
    """

    creator: np.ndarray
    liker: np.ndarray
    liker_index: pd.Index
    post: np.ndarray
    pair: np.ndarray
    creator_ids: pd.Index

    @cached_property
    def liker_ids(self) -> np.ndarray:
        """The liker id of each liker code (an array of Python strings: made when first asked,
        as only the liker summary of batch scope needs it)."""
        return np.asarray(self.liker_index)

    @classmethod
    def of(cls, likes: pd.DataFrame) -> IdCodes:
        """Codes of ``likes`` (columns creator_id, post_id, liker_id)."""
        creator, creator_ids = pd.factorize(likes["creator_id"])
        liker, liker_ids = pd.factorize(likes["liker_id"])
        post = pair_codes(creator, pd.factorize(likes["post_id"])[0])
        pair = pair_codes(creator, liker)
        return cls(creator, liker, pd.Index(liker_ids), post, pair, pd.Index(creator_ids))


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Index of the first row of each code, in code order, for codes numbered from 0 in order of
    first appearance (as ``pd.factorize`` numbers them): a row is a code's first where its code
    exceeds every code before it."""
    if len(codes) == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.r_[True, codes[1:] > np.maximum.accumulate(codes)[:-1]])


def pair_codes(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Dense codes of the distinct (first, second) pairs of two code arrays, in order of first
    appearance."""
    if len(first) == 0:
        return np.zeros(0, dtype=np.intp)
    codes, _ = pd.factorize(first.astype(np.int64) * (int(second.max()) + 1) + second)
    return codes
