"""In-memory scoring on threads: a large table scored as slices of whole creators at once.

A slice holding every like of each of its creators is scored on its own (the invariant of
:mod:`detector.engines`), and most of that time goes to numpy, Arrow and numba code that
releases the GIL. So a table of at least :data:`SLICED_FROM_ROWS` likes is cut into slices of
about :data:`SLICE_ROWS` likes of whole creators, scored on a few threads (:func:`slice_threads`)
and assembled in the table's order: the same report, bit for bit, as one pass over the table
(tested), in about 0.6 of the time on 2 cores (BENCHMARKS.md, "Speed").

In batch scope every slice takes the table's columns with values as present (a slice without
any value in one imputes it, as one pass over the table does). In creator scope a column's
presence is decided per creator: a table whose creators differ in the columns they have values
in is first cut into groups of creators alike (:func:`presence_groups`), each sliced on its own;
a slice that would still lack a column's values, small tables and single creators are scored
in one pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detector._threads import cpu_threads, map_threads
from detector.engines import (
    FEATURES_INPUTS,
    accounts_matched,
    assemble,
    presence_groups,
    reduce_summaries,
    second_pass,
    warm_model,
)
from detector.features import partition_features
from detector.features.arrays import first_rows
from detector.schema import repeated_likes

if TYPE_CHECKING:
    from detector.features import PartitionFeatures
    from detector.report import CreatorReport

__all__ = [
    "SLICED_FROM_ROWS",
    "SLICE_ROWS",
    "creator_slices",
    "presence_groups",
    "report_in_slices",
    "report_likes",
]

SLICE_ROWS = 125_000
"""Likes per slice, about (the chunked engine's slice: faster than 90k, as fast as 180k)."""
SLICED_FROM_ROWS = 250_000
"""Tables from this many likes are scored in slices, when more than one thread may run."""


def creator_slices(creator_id: pd.Series, slice_rows: int = SLICE_ROWS) -> list[np.ndarray]:
    """Row positions (ascending) of slices of whole creators of about ``slice_rows`` likes each:
    runs of rows where creators come one after another, else creators in order of first
    appearance. One slice (all rows) when the ids cannot be cut: a single creator, or missing
    ids."""
    n = len(creator_id)
    codes, _ = pd.factorize(creator_id, use_na_sentinel=True)
    if n == 0 or codes.min() < 0:
        return [np.arange(n)]
    if bool(np.all(codes[1:] >= codes[:-1])):  # grouped: each creator's rows are contiguous
        order = None
        starts = first_rows(codes)
    else:
        order = np.argsort(codes, kind="stable")
        starts = np.r_[0, np.cumsum(np.bincount(codes))[:-1]]
    from detector.engines.grouped import creator_cuts  # imports pyarrow.dataset: only here

    bounds = creator_cuts(starts, np.arange(slice_rows, n, slice_rows), n)
    slices = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        slices.append(np.arange(a, b) if order is None else np.sort(order[a:b]))
    return slices


def slice_threads(rows: int) -> int:
    """Threads a table of ``rows`` likes is scored on: :func:`cpu_threads` from
    :data:`SLICED_FROM_ROWS` likes on, else 1 (one pass)."""
    return cpu_threads() if rows >= SLICED_FROM_ROWS else 1


def report_likes(
    model: Any, likes: pd.DataFrame, include_likes: bool, scope: str
) -> CreatorReport:
    """The creator report of validated ``likes`` in memory, for :meth:`AuthenticityModel.report`
    and :meth:`Scorer.report` alike: repeated likes dropped (counted in ``meta["input"]``),
    then creators grouped by the columns they have values in (creator scope), large tables in
    slices on threads, the rest in one pass."""
    from detector.report import in_id_order

    repeated = repeated_likes(likes)
    if repeated.any():
        likes = likes[~repeated]  # the kept rows keep their index, as the per-like table does
        likes.attrs["detector_validated"] = True
    report = _report_of(model, likes, include_likes, scope)
    report.meta["input"].update(
        {"duplicate_likes_dropped": int(repeated.sum()), **accounts_matched(likes)}
    )
    return in_id_order(report)


def _report_of(model: Any, likes: pd.DataFrame, include_likes: bool, scope: str) -> CreatorReport:
    from detector.features import build_like_features
    from detector.report import build_report

    if scope == "creator":  # a column's presence decided per creator
        groups = presence_groups(likes)
        if groups is not None:
            parts = [
                _report_of(model, _rows_of(likes, rows), include_likes, scope) for rows in groups
            ]
            return _in_input_order(likes, groups, parts)
    sliced = report_in_slices(model, likes, scope, include_likes)
    if sliced is not None:
        return sliced
    features = build_like_features(likes, scope)
    return build_report(model, likes, include_likes=include_likes, features=features)


def report_in_slices(
    model: Any,
    likes: pd.DataFrame,
    scope: str,
    include_likes: bool = False,
    threads: int | None = None,
    slice_rows: int | None = None,
) -> CreatorReport | None:
    """The report of validated ``likes``, scored in slices of whole creators of about
    ``slice_rows`` likes (default :data:`SLICE_ROWS`) on ``threads`` threads (default
    :func:`slice_threads`); None when it would be a single slice or not exact (see the module's
    notes), for the caller to score the table in one pass."""
    threads = slice_threads(len(likes)) if threads is None else max(1, threads)
    if threads < 2:
        return None
    slices = creator_slices(likes["creator_id"], slice_rows or SLICE_ROWS)
    if len(slices) < 2:
        return None
    if scope == "batch":  # every slice takes the table's columns as present (imputing)
        present = [c for c in likes.columns if c not in FEATURES_INPUTS or _any(likes[c])]
    else:
        present = _present_everywhere(likes, slices)
        if present is None:
            return None
    warm_model(model, present, scope)  # fitted or built here once, not by each thread
    parts = [_slice_of(likes, rows) for rows in slices]
    table, kept = None, [None] * len(parts)
    if scope == "batch":  # pass 1's partition features are kept for pass 2 (in memory)
        kept = list(map_threads(lambda part: _summarised(part[0], present), parts, threads))
        table = reduce_summaries([features.summary for features in kept])
    partials = list(
        map_threads(
            lambda job: second_pass(*job[0], model, table, include_likes, job[1]),
            list(zip(parts, kept, strict=True)),
            threads,
        )
    )
    report = assemble(partials)
    if report.likes is not None:  # in table order: the table's own index, as one pass keeps it
        report.likes.index = likes.index
    return report


def _any(column: pd.Series) -> bool:
    return bool(column.notna().any())


def _summarised(likes: pd.DataFrame, present: list[str]) -> PartitionFeatures:
    """Pass 1 on a slice: its partition features (``present``: the table's columns with
    values), with their liker summary made."""
    features = partition_features(likes, present)
    features.summary  # noqa: B018 - computed on first use, here on the slice's thread
    return features


def _slice_of(likes: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """A slice's likes (a fresh index, still validated) and their positions in the table."""
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):  # contiguous: a view
        part = likes.iloc[int(rows[0]) : int(rows[-1]) + 1]
    else:
        part = likes.take(rows)
    part = part.reset_index(drop=True)
    part.attrs["detector_validated"] = True
    return part, rows


def _present_everywhere(likes: pd.DataFrame, slices: list[np.ndarray]) -> list[str] | None:
    """The table's columns, less the feature inputs without any value; None if some slice has
    no value in a feature input column the whole table has values in."""
    present = []
    for column in likes.columns:
        if column in FEATURES_INPUTS:
            known = likes[column].notna().to_numpy()
            if not known.any():
                continue
            if not known.all() and not all(known[rows].any() for rows in slices):
                return None
        present.append(column)
    return present


def _rows_of(likes: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The validated likes at positions ``rows`` (their index kept), still validated."""
    part = likes.iloc[rows]
    part.attrs["detector_validated"] = True
    return part


def _in_input_order(
    likes: pd.DataFrame, groups: list[np.ndarray], parts: list[CreatorReport]
) -> CreatorReport:
    """The reports of groups of whole creators as one, with creators, posts and likes in the
    order one pass over ``likes`` lists them (first appearance; likes in input order)."""
    from detector.report import combine_reports

    combined = combine_reports(parts)
    creator, creator_ids = pd.factorize(likes["creator_id"])
    where = pd.Index(creator_ids).get_indexer(combined.creators["creator_id"])
    creators = combined.creators.iloc[np.argsort(where, kind="stable")].reset_index(drop=True)
    keys = pd.MultiIndex.from_arrays([likes["creator_id"], likes["post_id"]])
    first = pd.Series(np.arange(len(likes))).groupby(pd.factorize(keys)[0]).min()
    post_keys = pd.MultiIndex.from_arrays([combined.posts["creator_id"], combined.posts["post_id"]])
    post_first = first.to_numpy()[pd.Index(keys.unique()).get_indexer(post_keys)]
    posts = combined.posts.iloc[np.argsort(post_first, kind="stable")].reset_index(drop=True)
    liked = None
    if all(part.likes is not None for part in parts):
        liked = pd.concat([part.likes for part in parts])
        liked = liked.iloc[np.argsort(np.concatenate(groups), kind="stable")]
    return type(combined)(creators=creators, posts=posts, likes=liked, meta=combined.meta)
