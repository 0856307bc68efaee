"""Scoring engines for data larger than memory: chunked (one machine) and Dask (a cluster).

Both rest on one invariant: a partition that holds *all* the likes of each of its creators can
be scored on its own once the liker table (one row per distinct liker, see
:mod:`detector.features.footprint`) is known. Each engine therefore

1. splits the likes into partitions of whole creators (hash of ``creator_id``),
2. runs :func:`first_pass` on every partition and adds up the per-liker summaries,
3. runs :func:`second_pass` on every partition with the combined table and the model,
4. :func:`assemble`\\ s the partial reports into one, in the order the in-memory engine gives.

Every row carries an order key (its position in the input), so the assembled report lists
creators, posts and likes in first-appearance order, exactly as ``model.report(likes)`` does.

- :func:`detector.engines.chunked.score_parquet_chunked`: Parquet file or folder, bounded memory.
- :func:`detector.engines.dask_engine.score_dask`: a ``dask.dataframe.DataFrame`` on any
  scheduler (imports Dask lazily; the core library never needs it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from detector.errors import DetectorError, SchemaError
from detector.features import combine_liker_summaries, finish_features, partition_features
from detector.features.arrays import first_rows
from detector.features.catalogue import FEATURES, SCOPES
from detector.schema import (
    ACCOUNTS_MATCHED,
    BOOLEAN_COLUMNS,
    COUNT_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    TIMESTAMP_COLUMNS,
    check_accounts_matched,
    join_accounts,
    repeated_likes,
    validate_likes,
)

if TYPE_CHECKING:
    from detector.features import PartitionFeatures
    from detector.model import AuthenticityModel
    from detector.report import CreatorReport

__all__ = [
    "CONTRACT_COLUMNS",
    "MissingDependencyError",
    "PartialReport",
    "assemble",
    "fast_scorer",
    "first_pass",
    "presence_groups",
    "reduce_summaries",
    "score_dask",
    "score_parquet_chunked",
    "second_pass",
    "validate_batch",
]

CONTRACT_COLUMNS: tuple[str, ...] = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
"""Columns the engines read: everything else in the input never reaches the model."""
FEATURES_INPUTS = frozenset(c for info in FEATURES.values() for c in info.requires)
"""Input columns some feature needs: the ones whose presence changes the feature set."""
ROW_KEY = "_detector_row"
"""Column holding each like's position in the input (its order key) while partitioned."""


class MissingDependencyError(DetectorError, ImportError):
    """An optional dependency (Dask) is needed for what was asked and is not installed."""


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


def contract_columns(names: Iterable[str]) -> list[str]:
    """The input columns the engines keep (required and optional contract columns), in order."""
    wanted = set(CONTRACT_COLUMNS)
    return [n for n in names if n in wanted]


def validated_sample(columns: Sequence[str]) -> pd.DataFrame:
    """One made-up row with the dtypes :func:`validate_likes` gives ``columns``, plus the order
    key: the schema every partition of validated likes has (``.iloc[:0]`` for an empty one)."""
    sample: dict[str, list[object]] = {}
    for column in columns:
        if column in TIMESTAMP_COLUMNS:
            sample[column] = ["2000-01-01T00:00:00Z"]
        elif column in COUNT_COLUMNS:
            sample[column] = [0]
        elif column in BOOLEAN_COLUMNS:
            sample[column] = ["true"]
        else:  # ids, username and anything else: text
            sample[column] = ["x"]
    frame = pd.DataFrame(sample)
    if all(c in frame.columns for c in REQUIRED_COLUMNS):
        frame = validate_likes(frame, "sample")
    frame[ROW_KEY] = np.zeros(len(frame), dtype=np.int64)
    return frame


_ROW = re.compile(r"^(?P<head>.*?: column '[^']*' row )(?P<row>\d+)")


def validate_batch(frame: pd.DataFrame, source: str, offset: int) -> pd.DataFrame:
    """Validate one batch of a file; row numbers in errors count from the start of the file
    (``offset`` is the row of the file the batch starts at)."""
    try:
        return validate_likes(frame, source)
    except SchemaError as error:
        message = str(error)
        match = _ROW.match(message)
        if match and message.startswith(source) and offset:
            row = int(match["row"]) + offset
            message = f"{match['head']}{row}{message[match.end() :]}"
        raise SchemaError(message) from None


def resolve_scope(model: AuthenticityModel, scope: str | None) -> str:
    """The scoring scope: the one asked for, else the model's."""
    scope = scope or model.scope
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    return scope


def split_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Sort a partition by its order key (unless it already is, as input read where it lies);
    return it without the key (fresh index) and the keys, ascending."""
    rows = frame[ROW_KEY].to_numpy(dtype=np.int64)
    if len(rows) > 1 and not bool(np.all(rows[1:] > rows[:-1])):
        frame = frame.sort_values(ROW_KEY, kind="stable")
        rows = frame[ROW_KEY].to_numpy(dtype=np.int64)
    likes = frame.drop(columns=ROW_KEY).reset_index(drop=True)
    likes.attrs["detector_validated"] = True
    return likes, rows


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
) -> tuple[pd.DataFrame, np.ndarray, dict[str, int]]:
    """A partition of whole creators in input order (``rows`` ascending) as the memory engine
    sees the table: repeated likes dropped (the first kept), then the accounts joined; and the
    input counts of that (``meta["input"]``), for :func:`second_pass` to add to its report."""
    repeated = repeated_likes(likes)
    if repeated.any():
        likes, rows = likes[~repeated].reset_index(drop=True), rows[~repeated]
        likes.attrs["detector_validated"] = True
    joined = with_accounts(likes, accounts, source)
    return joined, rows, {"duplicate_likes_dropped": int(repeated.sum()), **accounts_matched(joined)}


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


def presence_groups(likes: pd.DataFrame) -> list[np.ndarray] | None:
    """Row positions of the groups of creators that have values in the same columns, when
    some creator has no value in a column others have values in; else None (one group).

    In creator scope a column's presence is decided per creator: a creator without any value
    in a column is scored without the features that need it (as it is when scored alone),
    one with some values gets the missing ones imputed. Columns without a missing value (the
    common case) cost one check each.
    """
    partial = [
        c
        for c in likes.columns
        if c in FEATURES_INPUTS and likes[c].hasnans and likes[c].notna().any()
    ]
    if not partial or len(likes) == 0:
        return None
    creator, creator_ids = pd.factorize(likes["creator_id"])
    if len(creator_ids) < 2 or (creator < 0).any():
        return None
    has = np.column_stack(
        [np.bincount(creator, weights=likes[c].notna().to_numpy(), minlength=len(creator_ids))
         > 0 for c in partial]
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
    model: AuthenticityModel,
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
    from detector.report import build_report

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
    model: AuthenticityModel,
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


def warm_model(model: AuthenticityModel, present: Iterable[str], scope: str) -> None:
    """Fit (and cache) the model's forest for the feature set the partitions will use (for a
    :class:`~detector.compiled.Scorer`: lay out its trees, or warm its full model).

    Done once before the partitions are scored, so that workers receive a model that does not
    need to refit anything, and threads do not each do it.
    """
    from detector.errors import NotEnoughDataError
    from detector.features.catalogue import available_features

    if hasattr(model, "warm"):
        model.warm(present, scope)
        return
    if not hasattr(model, "feature_set"):  # e.g. compiled arrays: nothing to fit
        return
    names = set(available_features(list(present), scope))
    wanted = tuple(n for n in model.feature_names_in_ if n in names)
    if wanted:
        try:
            model.feature_set(wanted)
        except NotEnoughDataError:
            pass  # the partitions will raise the same error with context


def fast_scorer(model: AuthenticityModel, threads: int | None = None) -> object:
    """The model's fitted feature sets compiled in memory (:func:`detector.compiled.compiled_scorer`:
    compiled tree walk on all cores, scores equal to the model's within 1e-9); other sets and
    non-estimator scorers (such as an already compiled model) are ``model`` itself."""
    if not hasattr(model, "feature_set"):
        return model
    from detector.compiled import compiled_scorer

    return compiled_scorer(model, threads)


def assemble(partials: Sequence[PartialReport]) -> CreatorReport:
    """Combine partial reports and restore the in-memory order of creators, posts and likes."""
    from detector.report import CreatorReport, combine_reports

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
    return CreatorReport(creators=creators, posts=posts, likes=likes, meta=combined.meta)


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


def score_parquet_chunked(
    path: str | Path, model: AuthenticityModel, **options: object
) -> CreatorReport:
    """Score a Parquet file or folder with bounded memory (see :mod:`.chunked`)."""
    from detector.engines.chunked import score_parquet_chunked as run

    return run(path, model, **options)  # type: ignore[arg-type]


def score_dask(ddf: object, model: AuthenticityModel, **options: object) -> CreatorReport:
    """Score a ``dask.dataframe.DataFrame`` on the current Dask scheduler (see :mod:`.dask_engine`)."""
    from detector.engines.dask_engine import score_dask as run

    return run(ddf, model, **options)  # type: ignore[arg-type]
