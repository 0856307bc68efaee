"""The one pipeline from a likes table to a creator report, for every engine.

A partition that holds *all* the likes of each of its creators can be scored on its own once
the liker table (one row per distinct liker, :mod:`detector.features.footprint`) is known: the
invariant every engine rests on. So scoring is three steps, whoever runs them:

1. :func:`first_pass` on every partition of whole creators; the per-liker summaries added up
   (:func:`reduce_summaries`; batch scope only);
2. :func:`second_pass` on every partition with the combined table and the scorer;
3. :func:`assemble` the partial reports into one, creators and posts in the order one pass over
   the whole table gives (every row carries its position in the input as order key).

In memory (:func:`report_likes`) a table of at least :data:`SLICED_FROM_ROWS` likes is cut into
slices of about :data:`SLICE_ROWS` likes of whole creators scored on threads (most of the work
is numpy, Arrow and numba code that releases the GIL); the chunked engine
(:mod:`detector.engines.chunked`) runs the same steps on buckets read from disk, the Dask engine
(:mod:`detector.engines.dask_engine`) on a cluster's partitions. The scorer is anything that
implements :class:`~detector.model.protocol.FeatureScorer`.

In batch scope every slice or partition takes the table's columns with values as present (one
without any value in a column imputes it, as the whole table scored at once does). In creator
scope a column's presence is decided per creator: creators that differ in the columns they have
values in are scored in groups of creators alike (:func:`presence_groups`).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from detector._sorted import creator_cuts
from detector._threads import cpu_threads, map_threads, mark_worker_thread
from detector.calibrate import RATES
from detector.creators import creator_fact_counts, join_creators
from detector.features import (
    build_like_features,
    combine_liker_summaries,
    finish_features,
    partition_features,
)
from detector.features.arrays import first_rows
from detector.features.catalogue import FEATURES_INPUTS, SCOPES
from detector.features.resolution import TIME_TIERS, resolutions_of, time_inputs
from detector.progress import advance, stage
from detector.report import CreatorReport, build_report, combine_reports, in_id_order
from detector.schema import (
    ACCOUNTS_MATCHED,
    check_accounts_matched,
    join_accounts,
    like_key,
    repeated_likes,
)

if TYPE_CHECKING:
    from detector.features import PartitionFeatures
    from detector.model.protocol import FeatureScorer


@dataclass
class PartialReport:
    """The report of one partition plus the order keys needed to put partitions back in order."""

    report: CreatorReport
    creator_first: np.ndarray
    post_first: np.ndarray
    like_rows: np.ndarray | None
    present: list[str]
    creator_lines: list[str] | None = None
    """The report's :meth:`~detector.report.CreatorReport.creator_lines`, when rendered where
    the partition was scored."""


def resolve_scope(model: FeatureScorer, scope: str | None) -> str:
    """The scoring scope: the one asked for, else the model's."""
    scope = scope or model.scope
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    return scope


def with_accounts(
    likes: pd.DataFrame, accounts: pd.DataFrame | None, source: str = "accounts"
) -> pd.DataFrame:
    """Join the liker accounts table onto validated likes (no-op without one)."""
    if accounts is None:
        return likes
    joined = join_accounts(likes, accounts, source)
    joined.attrs["detector_validated"] = True
    return joined


def tidy_partition(
    likes: pd.DataFrame,
    rows: np.ndarray,
    accounts: pd.DataFrame | None,
    source: str = "accounts",
    creator_facts: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """A partition of whole creators in input order (``rows`` ascending) as the memory engine
    sees the table: repeated likes dropped (the first kept), then the accounts and the creators
    table (validated, :func:`detector.creators.validate_creators`) joined; and the input counts
    of that (``meta["input"]``), for :func:`second_pass` to add to its report."""
    repeated = _repeated(likes)
    if repeated.any():
        likes, rows = likes[~repeated].reset_index(drop=True), rows[~repeated]
        likes.attrs["detector_validated"] = True
    joined = with_accounts(likes, accounts, source)
    if creator_facts is not None:
        joined = join_creators(joined, creator_facts)
    return (
        joined,
        rows,
        {
            "duplicate_likes_dropped": int(repeated.sum()),
            **accounts_matched(joined),
            **creator_fact_counts(joined, partition=True),
        },
    )


def accounts_matched(likes: pd.DataFrame) -> dict[str, int]:
    """``{"accounts_matched_likes": n}`` when an accounts table was joined onto ``likes``
    (:func:`detector.schema.join_accounts` leaves the count of likes whose liker it has)."""
    matched = likes.attrs.get(ACCOUNTS_MATCHED)
    return {} if matched is None else {ACCOUNTS_MATCHED: int(matched)}


def check_input(report: CreatorReport, accounts: str | None, source: str) -> CreatorReport:
    """Refuse, once every partition is counted, an accounts table that had none of the likers
    (:func:`detector.schema.check_accounts_matched`)."""
    counts = report.meta.get("input", {})
    if accounts is not None and ACCOUNTS_MATCHED in counts:
        check_accounts_matched(counts[ACCOUNTS_MATCHED], counts.get("likes", 0), accounts, source)
    return report


def presence_groups(likes: pd.DataFrame, times: bool = True) -> list[np.ndarray] | None:
    """Row positions of the groups of creators that have values in the same columns (and,
    with ``times``, whose like times give the same time inputs), when some creator differs
    from others in them; else None (one group).

    In creator scope a column's presence is decided per creator: a creator without any value
    in a column is scored without the features that need it (as it is when scored alone),
    one with some values gets the missing ones imputed; so is the resolution of its times.
    Columns without a missing value (the common case) cost one check each.
    """
    partial = [
        c
        for c in likes.columns
        if c in FEATURES_INPUTS and likes[c].hasnans and likes[c].notna().any()
    ]
    if len(likes) == 0:
        return None
    creator, creator_ids = pd.factorize(likes["creator_id"])
    if len(creator_ids) < 2 or (creator < 0).any():
        return None
    tiers = (
        TIME_TIERS[resolutions_of(likes, creator)]
        if times
        else np.zeros(len(creator_ids), dtype=np.int8)
    )
    if not partial and len(np.unique(tiers)) < 2:
        return None
    has = np.column_stack(
        [
            np.bincount(creator, weights=likes[c].notna().to_numpy(), minlength=len(creator_ids))
            > 0
            for c in partial
        ]
        + [tiers]
    )
    kinds, kind_of_creator = np.unique(has, axis=0, return_inverse=True)
    if len(kinds) == 1:
        return None
    kind = kind_of_creator.reshape(-1)[creator]
    fullest_first = np.argsort(-kinds.sum(axis=1), kind="stable")  # its meta leads
    return [np.flatnonzero(kind == k) for k in fullest_first]


def first_pass(likes: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Pass 1 on a partition of whole creators: per-liker summary and the columns with values."""
    part = partition_features(likes)
    return part.summary, [c for c in part.present if c in FEATURES_INPUTS]


def reduce_summaries(summaries: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Combine partial liker summaries (sums and maxima: any grouping gives the same table)."""
    return combine_liker_summaries(list(summaries))


def second_pass(
    likes: pd.DataFrame,
    rows: np.ndarray,
    model: FeatureScorer,
    table: pd.DataFrame | None,
    include_likes: bool = False,
    part: PartitionFeatures | None = None,
    counts: dict[str, int] | None = None,
    present: Sequence[str] | None = None,
) -> PartialReport:
    """Pass 2 on a partition: features with the liker table (None: creator scope) and report.
    ``rows`` are the likes' order keys, ascending (:func:`split_rows`); ``counts`` (from
    :func:`tidy_partition`) are added to the report's input counts; ``present`` (batch scope:
    the columns with values anywhere, from pass 1) are taken as present here too.

    Partition features are recomputed here unless pass 1 kept them (``part``, as the memory
    engine does): they are several times the size of the likes, and recomputing them is
    cheaper than spilling them.
    """

    if table is None and part is None:  # creator scope: a column's presence is per creator
        groups = presence_groups(likes)
        if groups is not None:
            return _grouped_pass(likes, rows, model, groups, include_likes, counts)
    part = partition_features(likes, present) if part is None else part
    features = finish_features(likes, part, table)
    report = build_report(model, likes, include_likes=include_likes, features=features)
    report.meta["input"] = {**report.meta["input"], **(counts or {})}
    # first order key of each creator and post: ``rows`` ascend, so it is the key of the first
    # row of each creator (post) code; the report lists creators and posts in code order
    creator_first = rows[first_rows(part.ids.creator)]
    creator_codes = part.ids.creator_ids.get_indexer(report.creators["creator_id"])
    post_first = rows[first_rows(part.post)]
    return PartialReport(
        report=report,
        creator_first=creator_first[creator_codes],
        post_first=post_first,
        like_rows=rows if include_likes else None,
        present=[c for c in part.present if c in FEATURES_INPUTS],
    )


def _grouped_pass(
    likes: pd.DataFrame,
    rows: np.ndarray,
    model: FeatureScorer,
    groups: list[np.ndarray],
    include_likes: bool,
    counts: dict[str, int] | None,
) -> PartialReport:
    """Creator-scope pass 2 on a partition whose creators differ in the columns they have
    values in: each group of creators alike scored on its own, as the memory engine does."""
    partials = []
    for group in groups:
        part = likes.iloc[group].reset_index(drop=True)
        part.attrs["detector_validated"] = True
        partials.append(second_pass(part, rows[group], model, None, include_likes))
    report = assemble(partials)  # in order of the order keys, which ascend in ``rows``
    report.meta["input"] = {**report.meta["input"], **(counts or {})}
    return PartialReport(
        report=report,
        creator_first=np.sort(np.concatenate([p.creator_first for p in partials])),
        post_first=np.sort(np.concatenate([p.post_first for p in partials])),
        like_rows=rows if include_likes else None,
        present=sorted(set().union(*(p.present for p in partials))),
    )


def check_present(present: Sequence[Sequence[str]]) -> list[str]:
    """The columns with values in some partition (pass 1's findings, combined): in batch scope
    every partition is scored with them (:func:`second_pass`'s ``present``), a partition
    without any value in one imputing it, as the whole table scored at once does."""
    return sorted(set().union(*(set(p) for p in present))) if present else []


def assemble(partials: Sequence[PartialReport]) -> CreatorReport:
    """Combine partial reports and restore the in-memory order of creators, posts and likes."""

    if not partials:
        raise ValueError("no partial reports to assemble")
    combined = combine_reports([p.report for p in partials])
    creators = _ordered(
        _common_dtypes(combined.creators, [p.report.creators for p in partials]),
        np.concatenate([p.creator_first for p in partials]),
    )
    posts = _ordered(combined.posts, np.concatenate([p.post_first for p in partials]))
    likes = combined.likes
    if likes is not None:
        rows = np.concatenate([p.like_rows for p in partials if p.like_rows is not None])
        likes = _ordered(likes, rows)
    return CreatorReport(
        creators=creators, posts=posts, likes=likes, meta=combined.meta, shift=combined.shift
    )


def assembled_lines(partials: Sequence[PartialReport], report: CreatorReport) -> list[str] | None:
    """The creator lines the partials rendered, in the order of ``report`` (their assembly),
    or None if one was not rendered or its tables' columns or dtypes differ from the report's
    (a value may then be written differently: an integer column that became float)."""

    def layout(frame: pd.DataFrame) -> list[tuple[str, str]]:
        return [(str(name), str(dtype)) for name, dtype in frame.dtypes.items()]

    wanted = (layout(report.creators), layout(report.posts))
    for partial in partials:
        own = (layout(partial.report.creators), layout(partial.report.posts))
        if partial.creator_lines is None or own != wanted:
            return None
    lines = [line for partial in partials for line in partial.creator_lines or []]
    ids = np.concatenate([p.report.creators["creator_id"].to_numpy(dtype=object) for p in partials])
    order = pd.Index(ids).get_indexer(report.creators["creator_id"])
    return [lines[i] for i in order]


def _common_dtypes(combined: pd.DataFrame, parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Give a column the dtype its partitions agree on where some had no value at all.

    A partition without any burst has all-missing ``object`` burst columns; concatenated with
    the ``float64`` of the others they would turn the whole column into ``object``.
    """
    for column in combined.columns:
        if combined[column].dtype != object:  # the partitions already agree
            continue
        kinds = {p[column].dtype for p in parts if p[column].notna().any()}
        if len(kinds) == 1 and combined[column].dtype != (kind := kinds.pop()):
            combined[column] = combined[column].astype(kind)
    return combined


def _ordered(frame: pd.DataFrame, keys: np.ndarray) -> pd.DataFrame:
    return frame.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)


SLICE_ROWS = 125_000
"""Likes per slice, about: enough for numpy's per-call costs to be small, few enough for a
slice's features to stay a small share of memory (the chunked engine's bucket size too)."""
GIANT_ROWS = 2 * SLICE_ROWS
"""A slice of this many likes holds one creator too large to cut: it is scored on the calling
thread, its likes in row chunks on every core, while the other slices run on the pool."""
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
    model: FeatureScorer,
    likes: pd.DataFrame,
    include_likes: bool,
    scope: str,
    rates: str = "reference",
) -> CreatorReport:
    """The creator report of validated ``likes`` in memory, for every scorer's ``report``: repeated likes dropped (counted in ``meta["input"]``),
    then creators grouped by the columns they have values in (creator scope), large tables in
    slices on threads, the rest in one pass."""

    repeated = _repeated(likes)
    if repeated.any():
        likes = likes[~repeated]  # the kept rows keep their index, as the per-like table does
        likes.attrs["detector_validated"] = True
    if rates not in RATES:
        raise ValueError(f"rates must be one of {RATES}, not {rates!r}")
    with stage("scoring", total=len(likes), unit="likes"):
        report = _report_of(model, likes, include_likes, scope, rates)
    report.meta["input"].update(
        {
            "duplicate_likes_dropped": int(repeated.sum()),
            **accounts_matched(likes),
            **creator_fact_counts(likes),
        }
    )
    return in_id_order(report)


def _repeated(likes: pd.DataFrame) -> np.ndarray:
    """:func:`detector.schema.repeated_likes` of the table, found slice by slice on threads for
    a large one: a like's copies share its creator, so slices of whole creators (rows in
    ascending order) find exactly the rows the whole table does."""
    threads = slice_threads(len(likes))
    if threads < 2:
        return repeated_likes(likes)
    keys = likes[like_key(likes)]
    slices = creator_slices(keys["creator_id"])
    out = np.zeros(len(likes), dtype=bool)
    found = map_threads(lambda rows: repeated_likes(_slice_of(keys, rows)[0]), slices, threads)
    for rows, repeated in zip(slices, found, strict=True):
        out[rows] = repeated
    return out


def _report_of(
    model: FeatureScorer,
    likes: pd.DataFrame,
    include_likes: bool,
    scope: str,
    rates: str = "reference",
) -> CreatorReport:

    # sliced, each slice groups its own creators by their times (second_pass): the whole
    # table's are read only if it is scored in one pass; rates from the batch need every
    # creator's flags at once, so one pass
    sliced = rates == "reference" and slice_threads(len(likes)) > 1
    if scope == "creator":  # a column's presence decided per creator
        groups = presence_groups(likes, times=not sliced)
        if groups is not None:
            return _grouped_report(model, likes, groups, include_likes, scope, rates)
    report = report_in_slices(model, likes, scope, include_likes) if sliced else None
    if report is not None:
        return report
    if scope == "creator" and sliced:  # slicing declined: one pass, after all
        groups = presence_groups(likes)
        if groups is not None:
            return _grouped_report(model, likes, groups, include_likes, scope)
    features = build_like_features(likes, scope)
    report = build_report(model, likes, include_likes, features, rates)
    advance(len(likes))
    return report


def _grouped_report(
    model: FeatureScorer,
    likes: pd.DataFrame,
    groups: list[np.ndarray],
    include_likes: bool,
    scope: str,
    rates: str = "reference",
) -> CreatorReport:
    """The report of each group of creators alike, as one, in input order (with rates from
    the batch, each group's from its own creators: they share a feature set)."""
    parts = [
        _report_of(model, _rows_of(likes, rows), include_likes, scope, rates) for rows in groups
    ]
    return _in_input_order(likes, groups, parts)


def report_in_slices(
    model: FeatureScorer,
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
    parts = [_slice_of(likes, rows) for rows in slices]
    if scope == "batch":  # the table's: the finest of its slices'
        found = set().union(*map_threads(lambda part: _time_inputs_of(part[0]), parts, threads))
    else:  # only to prepare the likeliest set: each slice groups its creators by their times
        found = set(_time_inputs_of(min(parts, key=lambda part: len(part[0]))[0]))
    present += sorted(found)
    model.prepare(present, scope)  # fitted or laid out here once, not by each thread
    table, kept = None, [None] * len(parts)
    if scope == "batch":  # pass 1's partition features are kept for pass 2 (in memory)
        kept = list(map_threads(lambda part: _summarised(part[0], present), parts, threads))
        table = reduce_summaries([features.summary for features in kept])
    jobs = list(zip(parts, kept, strict=True))

    def scored(
        job: tuple[tuple[pd.DataFrame, np.ndarray], PartitionFeatures | None],
    ) -> PartialReport:
        return second_pass(*job[0], model, table, include_likes, job[1])

    giants = [i for i, (part, _) in enumerate(parts) if len(part) >= GIANT_ROWS]
    others = [i for i in range(len(jobs)) if i not in set(giants)]
    partials: list[PartialReport | None] = [None] * len(jobs)
    with ThreadPoolExecutor(threads, initializer=mark_worker_thread) as pool:
        pending = pool.map(scored, [jobs[i] for i in others])  # submitted now
        for i in giants:  # meanwhile, on this unmarked thread: its row chunks on every core
            partials[i] = scored(jobs[i])
            advance(len(parts[i][0]))
        for i, partial in zip(others, pending, strict=True):
            partials[i] = partial
            advance(len(parts[i][0]))
    report = assemble([p for p in partials if p is not None])
    if report.likes is not None:  # in table order: the table's own index, as one pass keeps it
        report.likes.index = likes.index
    return report


def _time_inputs_of(likes: pd.DataFrame) -> list[str]:
    """The time inputs a slice's likes give: the slices' together are the table's (the finest
    of its creators')."""
    return time_inputs(likes, resolutions_of(likes))


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
    return CreatorReport(
        creators=creators, posts=posts, likes=liked, meta=combined.meta, shift=combined.shift
    )
