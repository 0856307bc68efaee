"""The creators table: facts about each creator, kept once per creator instead of on every like.

A creators table has ``creator_id`` (required, text as written, one row per creator) and
optionally ``followers`` (a count), ``category`` and ``platform`` (text; an empty cell or a
missing word such as ``NA`` is missing). Other columns are ignored.

It joins onto validated likes by ``creator_id`` as likes columns (:data:`FACT_COLUMNS`):
``followers`` becomes ``creator_followers``, so the report's engagement rates work as when the
likes carry it; ``category`` and ``platform`` ride as ``creator_category`` and
``creator_platform`` to the report's creator table (:data:`REPORTED_FACTS`). A likes table that
also has ``creator_followers`` must agree with the creators table where both have a value; a
like without one takes the table's.

The join is per like, so every engine applies it to each partition of whole creators (the
counts in :data:`PARTITION_COUNTS` add up across them), and scoring code never needs the
table itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from detector.errors import SchemaError
from detector.schema import parse_counts, unique_keys, without_missing_words

CREATOR_KEY = "creator_id"
FACT_COLUMNS: dict[str, str] = {
    "followers": "creator_followers",
    "category": "creator_category",
    "platform": "creator_platform",
}
"""Each creators-table column and the likes column it joins as."""
TEXT_FACTS: tuple[str, ...] = ("category", "platform")
REPORTED_FACTS: dict[str, str] = {"creator_category": "category", "creator_platform": "platform"}
"""Likes columns shown in the report's creator table, under their creators-table names."""

FACT_COUNTS = "creator_facts_counts"
"""Where a joined table keeps (in ``attrs``) the counts of :func:`join_creators`."""
PARTITION_COUNTS: tuple[str, ...] = ("creators_with_facts", "creators_without_facts")
"""Counts that add up over partitions of whole creators; ``creator_facts_unused`` does not
(each partition sees the whole table), so the engines work it out at the end."""
_VALIDATED = "detector_creators_validated"


def validate_creators(frame: pd.DataFrame, source: str = "creators") -> pd.DataFrame:
    """Check a creators table and return its facts indexed by ``creator_id``, in table order.

    Raises :class:`SchemaError` naming the file, column, row and value of the first problem:
    no rows, no ``creator_id`` column, a missing or repeated id, a bad ``followers`` count.
    """
    if frame.attrs.get(_VALIDATED):
        return frame
    frame = frame.reset_index(drop=True)
    keys = unique_keys(frame, CREATOR_KEY, source, "creator")
    facts = pd.DataFrame(index=pd.Index(keys.to_numpy(dtype=object), name=CREATOR_KEY))
    if "followers" in frame.columns:
        facts["followers"] = parse_counts(frame["followers"], source, "followers").to_numpy()
    for column in TEXT_FACTS:
        if column in frame.columns:
            facts[column] = _text(frame[column]).to_numpy()
    facts.attrs.update({_VALIDATED: True, "source": source})
    return facts


def _text(values: pd.Series) -> pd.Series:
    """Text facts as strings; missing words and empty cells missing. Whole numbers a reader
    typed as floats (a column with gaps) are written without ``.0``."""
    values = without_missing_words(values)
    if pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
        values = values.astype("Int64")
    text = values.astype("string")
    return text.where(text != "")


def join_creators(
    likes: pd.DataFrame,
    creators: pd.DataFrame,
    source: str | None = None,
    likes_source: str = "the likes table",
) -> pd.DataFrame:
    """Join a creators table (raw or from :func:`validate_creators`) onto validated likes.

    Adds :data:`FACT_COLUMNS` for the facts the table has; creators not in it get missing
    values. Raises :class:`SchemaError` where the likes' own ``creator_followers`` disagrees
    with the table's ``followers``. Leaves in ``attrs[FACT_COUNTS]`` how many of the likes'
    creators the table has, how many it lacks, and how many of its rows have no likes here.
    """
    facts = validate_creators(creators, source or "creators")
    source = source or facts.attrs.get("source", "creators")
    where = facts.index.get_indexer(likes[CREATOR_KEY])
    out = likes.copy(deep=False)  # columns are added, not changed
    if "followers" in facts.columns:
        given = np.append(facts["followers"].to_numpy(dtype=float), np.nan)[where]
        if "creator_followers" in likes.columns:
            own = likes["creator_followers"].to_numpy(dtype=float)
            _check_agreement(own, given, likes, where, source, likes_source)
            given = np.where(np.isnan(own), given, own)
        out["creator_followers"] = given
    for column in TEXT_FACTS:
        if column in facts.columns:
            out[FACT_COLUMNS[column]] = facts[column].array.take(where, allow_fill=True)
    matched = np.unique(where)
    with_facts = int((matched >= 0).sum())
    out.attrs[FACT_COUNTS] = {
        "creators_with_facts": with_facts,
        "creators_without_facts": int(likes[CREATOR_KEY][where < 0].nunique()),
        "creator_facts_unused": len(facts) - with_facts,
    }
    return out


def _check_agreement(
    own: np.ndarray,
    given: np.ndarray,
    likes: pd.DataFrame,
    where: np.ndarray,
    source: str,
    likes_source: str,
) -> None:
    """Refuse two different follower counts for one creator: which is right cannot be told,
    and the engagement rates would silently follow one of them."""
    with np.errstate(invalid="ignore"):
        clash = np.flatnonzero(~np.isnan(own) & ~np.isnan(given) & (own != given))
    if clash.size:
        first = int(clash[0])
        creator = likes[CREATOR_KEY].iloc[first]
        raise SchemaError(
            f"{source}: column 'followers' row {where[first] + 1}: creator {creator!r} has "
            f"{given[first]:g} followers here but creator_followers {own[first]:g} in "
            f"{likes_source} (expected the same count; give it in one table only)"
        )


def creator_fact_counts(likes: pd.DataFrame, partition: bool = False) -> dict[str, int]:
    """The counts :func:`join_creators` left on ``likes`` (none without a creators table);
    ``partition``: only those that add up over partitions (:data:`PARTITION_COUNTS`)."""
    counts = likes.attrs.get(FACT_COUNTS)
    if counts is None:
        return {}
    return {k: int(v) for k, v in counts.items() if not partition or k in PARTITION_COUNTS}


def count_unused_facts(meta: dict[str, Any], creators: pd.DataFrame | None) -> None:
    """Add to ``meta["input"]`` how many rows of the (validated) creators table had no likes,
    once the partitions' ``creators_with_facts`` are added up."""
    counts = meta.get("input", {})
    if creators is not None and "creators_with_facts" in counts:
        counts["creator_facts_unused"] = len(creators) - int(counts["creators_with_facts"])


def creator_fact_messages(meta: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Warnings and notes for the user about the creators table's match with the likes."""
    counts = meta.get("input", {})
    warnings, notes = [], []
    if counts.get("creators_without_facts"):
        warnings.append(
            f"{counts['creators_without_facts']:,} creator(s) are not in the creators table: "
            f"their creator facts (followers, category, platform) are left missing"
        )
    if counts.get("creator_facts_unused"):
        notes.append(
            f"{counts['creator_facts_unused']:,} creator(s) of the creators table have no "
            f"likes here: ignored"
        )
    return warnings, notes
