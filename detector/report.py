"""The creator report: how authentic each creator's likes are, with the interval and reasons.

Per creator (JSON field names are a contract): ``creator_id``, ``likes``, ``authenticity``
(0-100, = 100 x (1 - inauthentic_share)), ``inauthentic_share`` (0-1),
``inauthentic_share_interval`` ([low, high], 90%, method in :mod:`detector.calibrate`),
``authentic_likes``, ``verdict``, ``reasons`` and ``posts`` (the per-post breakdown); with
``creator_followers`` also ``followers`` and ``engagement_rate`` and
``authentic_engagement_rate`` (likes per post over followers, all likes and authentic likes
only); ``audience_real``,
``audience_mass_followers``, ``audience_influencers`` and ``audience_suspicious`` (who the
likes come from, :mod:`detector.audience`); with a creators table
(:mod:`detector.creators`) also its ``category`` and ``platform``, after ``creator_id``.

Verdict cut-offs: ``inflated`` when the estimated inauthentic share is at least 25%, the
interval's lower end is at least 10% and the creator has 50 likes or more; ``authentic`` when
the share is below 10%, the interval's upper end below 25% and at least 6 features were scored;
``cannot tell`` when the interval reaches from below 10% to 25% or more, or when too few likes
or features stand behind the other verdict (the evidence fits an authentic and an inflated
creator alike); ``suspicious`` otherwise.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detector.audience import AUDIENCE_COLUMNS, audience_shares
from detector.calibrate import (
    batch_false_positive_rate,
    corrected_share,
    effective_sizes,
    share_interval,
)
from detector.creators import REPORTED_FACTS
from detector.features import LikeFeatureSet, build_like_features
from detector.features.arrays import first_rows, pair_codes
from detector.features.catalogue import TIME_RESOLUTIONS
from detector.features.coordination import burst_buckets, bursty_likes
from detector.features.resolution import creator_resolutions, resolution_names
from detector.features.timing import post_codes
from detector.reasons import condition_shares, explain
from detector.schema import impossible_times, like_key
from detector.shift import SHIFT_WARNING_FROM, ShiftTally, shift_figures

if TYPE_CHECKING:
    from detector.model.protocol import FeatureScorer

AUTHENTIC_BELOW = 0.10
INFLATED_FROM = 0.25
INFLATED_LOW_FROM = 0.10


@dataclass
class CreatorReport:
    """Creator table, per-post table, optional per-like table, and what the scoring used."""

    creators: pd.DataFrame
    posts: pd.DataFrame
    likes: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    shift: ShiftTally | None = None
    """The run's shift from the reference as counts (``meta["shift"]`` is made from it), so
    that partitions' reports combine into the whole run's."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready report: ``meta`` and one object per creator with its posts."""
        posts_by_creator = self._posts_by_creator(_records)
        creators = self._creator_records()
        for record in creators:
            record["posts"] = posts_by_creator.get(record["creator_id"], [])
        return {"meta": _jsonable(self.meta), "creators": creators}

    def _posts_by_creator(self, convert: Any) -> dict[Any, list[Any]]:
        """Each creator's posts, converted by ``convert`` (rows to JSON-ready objects or text)."""
        grouped: dict[Any, list[Any]] = {}
        converted = convert(self.posts.drop(columns="creator_id"))
        for creator, post in zip(self.posts["creator_id"].tolist(), converted, strict=True):
            grouped.setdefault(creator, []).append(post)
        return grouped

    def _creator_records(self) -> list[dict[str, Any]]:
        """One JSON-ready object per creator, without its posts."""
        creators = []
        for record in _records(self.creators):
            low = record.pop("inauthentic_share_low")
            high = record.pop("inauthentic_share_high")
            record["inauthentic_share_interval"] = [low, high]
            creators.append(record)
        return creators

    def to_json(self, indent: int | None = 2, *, creator_per_line: bool = False) -> str:
        """The report as JSON text; ``creator_per_line`` writes each creator compactly on one
        line (the same JSON value, written several times faster: Python's JSON encoder is
        compiled only for compact output, and the posts, most of the text, are written from
        their columns without building an object per post)."""
        if not creator_per_line:
            return json.dumps(self.to_dict(), indent=indent)
        return json_document(self.meta, self.creator_lines(), indent)

    def creator_lines(self) -> list[str]:
        """Each creator with its posts as one line of compact JSON (indented four spaces), in
        table order: the lines of ``to_json(creator_per_line=True)``, written a column at a
        time as ``json.dumps`` writes each creator of :meth:`to_dict`. A line depends only on
        its creator's rows and the tables' columns and dtypes."""
        posts = self._joined_posts()
        texts = {str(name): _column_texts(self.creators[name]) for name in self.creators.columns}
        low, high = texts.pop("inauthentic_share_low"), texts.pop("inauthentic_share_high")
        interval = zip(low, high, strict=True)
        texts["inauthentic_share_interval"] = [f"[{a}, {b}]" for a, b in interval]
        ids = _column_values(self.creators["creator_id"])
        texts["posts"] = [f"[{posts.get(creator, '')}]" for creator in ids]
        return _objects(texts, prefix="    ")

    def _joined_posts(self) -> dict[Any, str]:
        """Each creator's posts as JSON object texts joined by ", ", in table order (the posts
        of a creator need not be next to each other)."""
        texts = _json_objects(self.posts.drop(columns="creator_id"))
        codes, creators = pd.factorize(self.posts["creator_id"])
        order = np.argsort(codes, kind="stable")
        if (order != np.arange(len(order))).any():
            texts = [texts[i] for i in order]
        bounds = np.searchsorted(codes[order], np.arange(len(creators) + 1)).tolist()
        return {
            creator: ", ".join(texts[a:b])
            for creator, a, b in zip(creators.tolist(), bounds[:-1], bounds[1:], strict=True)
        }


JSON_PRETTY_UP_TO = 100
"""JSON reports of more creators put each creator on one line (fast to write, easy to grep)."""


def json_document(meta: dict[str, Any], lines: Sequence[str], indent: int | None = 2) -> str:
    """The report's JSON text from its ``meta`` and its :meth:`CreatorReport.creator_lines`."""
    meta_text = json.dumps(_jsonable(meta), indent=indent).replace("\n", "\n  ")
    body = ",\n".join(lines)
    return f'{{\n  "meta": {meta_text},\n  "creators": [\n{body}\n  ]\n}}'


def report_json(report: CreatorReport, creator_lines: Sequence[str] | None = None) -> str:
    """The report as the command line writes JSON: indented up to :data:`JSON_PRETTY_UP_TO`
    creators, else one creator per line; ``creator_lines`` are those lines when already
    rendered (by the chunked engine's workers)."""
    if len(report.creators) <= JSON_PRETTY_UP_TO:
        return report.to_json() + "\n"
    lines = report.creator_lines() if creator_lines is None else creator_lines
    return json_document(report.meta, lines) + "\n"


def _json_objects(frame: pd.DataFrame) -> list[str]:
    """Each row as compact JSON object text, exactly as ``json.dumps`` writes the row's
    :func:`_records` object, encoded a column at a time."""
    return _objects({str(name): _column_texts(frame[name]) for name in frame.columns})


def _column_texts(column: pd.Series) -> list[str]:
    """The JSON text of each value of a column, as ``json.dumps`` writes its plain value."""
    return _json_values(_column_values(column))


def _objects(texts: dict[str, list[str]], prefix: str = "") -> list[str]:
    """JSON objects (after ``prefix``) from the value texts of each key, row by row."""
    keys = [json.dumps(name).replace("%", "%%") for name in texts]
    template = prefix + "{" + ", ".join(f"{key}: %s" for key in keys) + "}"
    return [template % row for row in zip(*texts.values(), strict=True)]


def _json_values(values: list[Any]) -> list[str]:
    """JSON text of each plain value from :func:`_column_values`, as ``json.dumps`` writes it
    (ASCII only); a column of one type (and missing values) is encoded without asking each
    value its type."""
    kinds = set(map(type, values))
    known = kinds - {type(None)}
    if len(known) == 1 and next(iter(known)) in _ENCODERS:
        encode = _ENCODERS[next(iter(known))]
        if len(kinds) == 1:
            return list(map(encode, values))
        return ["null" if value is None else encode(value) for value in values]
    return [json.dumps(value) for value in values]


_ENCODERS: dict[type, Any] = {
    str: json.encoder.encode_basestring_ascii,
    int: int.__repr__,
    float: float.__repr__,  # finite: :func:`_column_values` gives None for the others
    bool: lambda value: "true" if value else "false",
}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts, converted a column at a time (``to_dict`` per row is slow)."""
    columns = [_column_values(frame[name]) for name in frame.columns]
    names = [str(name) for name in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _column_values(column: pd.Series) -> list[Any]:
    """One column as plain Python values: missing and non-finite numbers -> None, times -> ISO."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return iso_times(column)
    if pd.api.types.is_float_dtype(column.dtype):
        values = column.to_numpy(dtype=float)
        finite = np.isfinite(values)
        out = values.tolist()
        if not finite.all():
            for index in np.flatnonzero(~finite):
                out[index] = None
        return out
    if pd.api.types.is_bool_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
        if column.hasnans:
            return [_jsonable(value) for value in column.astype(object)]
        return column.to_numpy().tolist()
    if isinstance(column.dtype, pd.StringDtype):  # text needs no conversion, only NA -> None
        return column.astype(object).where(column.notna(), None).tolist()
    return [_jsonable(value) for value in column.tolist()]


def iso_times(column: pd.Series) -> list[str | None]:
    """``Timestamp.isoformat()`` of each value (None for NaT), vectorised for UTC times.

    Sub-second digits follow ``isoformat``: none for whole seconds, 6 when the nanoseconds are
    whole microseconds, else 9.
    """
    if str(getattr(column.dtype, "tz", None)) != "UTC":
        return [None if value is pd.NaT else value.isoformat() for value in column]
    ns = column.to_numpy("datetime64[ns]")
    missing = np.isnat(ns)
    ticks = np.where(missing, 0, ns.view("int64"))
    seconds, sub = np.divmod(ticks, 1_000_000_000)
    text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    fractional = np.flatnonzero(sub)  # digits only where there are any (often nowhere)
    if fractional.size:
        part = sub[fractional]
        digits = np.where(
            part % 1000 == 0,
            np.char.zfill((part // 1000).astype(str), 6),
            np.char.zfill(part.astype(str), 9),
        )
        text = text.astype(object)
        text[fractional] = np.char.add(np.char.add(text[fractional].astype(str), "."), digits)
    out = [f"{value}+00:00" for value in text.tolist()]
    for index in np.flatnonzero(missing).tolist():
        out[index] = None
    return out


def _jsonable(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is bool:  # the common cases first
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if value is pd.NaT or value is None or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def verdicts(
    share: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    likes: np.ndarray | None = None,
    features: int | None = None,
) -> np.ndarray:
    """Verdict per creator from the share estimate, its interval, its number of likes and the
    number of features scored.

    ``inflated`` only when the interval's lower end clears :data:`INFLATED_LOW_FROM` and the
    creator has at least :data:`MIN_INFLATED_LIKES` likes;
    ``authentic`` only when the interval also rules inflation out (its upper end below
    :data:`INFLATED_FROM`) and at least :data:`MIN_AUTHENTIC_FEATURES` features were scored; ``cannot tell`` when the interval allows both an authentic and an
    inflated creator (too few likes, too few features, or data unlike the reference).
    """
    inflated = (share >= INFLATED_FROM) & (low >= INFLATED_LOW_FROM)
    authentic = (share < AUTHENTIC_BELOW) & (high < INFLATED_FROM)
    open_both = (low < AUTHENTIC_BELOW) & (high >= INFLATED_FROM)
    if likes is not None:
        too_few = inflated & (np.asarray(likes) < MIN_INFLATED_LIKES)
        inflated, open_both = inflated & ~too_few, open_both | too_few
    if features is not None and features < MIN_AUTHENTIC_FEATURES:
        authentic, open_both = np.zeros_like(authentic), open_both | authentic
    return np.where(
        inflated,
        "inflated",
        np.where(authentic, "authentic", np.where(open_both, CANNOT_TELL, "suspicious")),
    )


MIN_INFLATED_LIKES = 50
"""Fewest likes a creator called ``inflated`` has: below, an interval that clears the threshold
rests on a handful of likers and posts whose flags are not independent (clean creators of
30-40 likes were called inflated on the simulator's day-level world, one of 11 on Bitcoin OTC
ratings), so the verdict is ``cannot tell``."""
MIN_AUTHENTIC_FEATURES = 6
"""Fewest features an ``authentic`` verdict rests on: with fewer (say a liker's age and
username, no times), fakes that look ordinary in them go unseen, so a low flag rate does not
rule inflation out (on Twitter bots and humans with five features the shipped model ranked likes
at ROC AUC 0.53)."""
CANNOT_TELL = "cannot tell"
"""The verdict when the evidence supports neither ``authentic`` nor ``inflated``."""


def _cannot_tell_reason(low: float, high: float, likes: int, features: int) -> str:
    if features < MIN_AUTHENTIC_FEATURES and high < INFLATED_FROM:
        return (
            f"cannot tell: {100 * low:.0f}% to {100 * high:.0f}% inauthentic likes, but from "
            f"{features} features only (an authentic verdict needs {MIN_AUTHENTIC_FEATURES}: "
            "fakes that look ordinary in so few go unseen)"
        )
    if likes < MIN_INFLATED_LIKES and low >= INFLATED_LOW_FROM:
        return (
            f"cannot tell: {100 * low:.0f}% to {100 * high:.0f}% inauthentic likes, but only "
            f"{likes} likes (an inflated verdict needs {MIN_INFLATED_LIKES} or more)"
        )
    return (
        f"cannot tell: the evidence allows {100 * low:.0f}% to {100 * high:.0f}% inauthentic "
        "likes, an authentic creator as well as an inflated one"
    )


def _shift_reason(shift: float, feature: str, typical: float) -> str:
    return (
        f"its likers are unlike the model's reference in {feature} (shift {shift:.2f}; "
        f"half the reference's creators: up to {typical:.2f}): the rates behind the "
        "share were widened for it"
    )


MIN_BURST_REASON_LIKES = 10
"""A creator's largest burst is quoted as a reason when it holds at least this many likes and its
likers took part in other bursts (coordination), or it is a spike of minutes."""


def largest_bursts(
    likes: pd.DataFrame,
    features: pd.DataFrame,
    post: np.ndarray | None = None,
    cells: tuple[np.ndarray, np.ndarray] | None = None,
    creator: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per creator, its largest burst: likes, minutes spanned, and how many other bursts the
    accounts in it joined (median; across the table in batch scope, else on this creator).

    ``post`` is :func:`detector.features.timing.post_codes` of ``likes``, ``cells`` its
    burst buckets and bursty likes (:func:`detector.features.coordination.burst_buckets`,
    :func:`~detector.features.coordination.bursty_likes`) and ``creator`` the integer codes of
    its ``creator_id``, when already known. Bursts are compared on codes; ids and medians are
    worked out for each creator's largest only.
    """
    post = post_codes(likes) if post is None else post
    creator = pd.factorize(likes["creator_id"])[0] if creator is None else creator
    if cells is None and "liked_at" not in likes.columns:
        cells = (np.zeros(len(likes), dtype=np.int64), np.zeros(len(likes), dtype=bool))
    bucket, bursty = cells if cells is not None else (burst_buckets(likes), None)
    if bursty is None:
        bursty = bursty_likes(post, bucket)
    rows = np.flatnonzero(bursty)
    column = (
        "log_liker_burst_posts"
        if "log_liker_burst_posts" in features
        else "log_liker_creator_bursts"
    )
    if rows.size == 0:
        return pd.DataFrame(columns=["post_id", "likes", "minutes", "other_bursts", "across"])
    minutes = likes["liked_at"].to_numpy("datetime64[ns]")[rows].astype("int64") / 6e10
    buckets = bucket[rows]
    cell = pair_codes(post[rows], buckets - buckets.min())  # (post, bucket), as they appear
    n = int(cell.max()) + 1
    first, last = np.full(n, np.inf), np.full(n, -np.inf)
    np.minimum.at(first, cell, minutes)
    np.maximum.at(last, cell, minutes)
    sizes = np.bincount(cell, minlength=n)
    head = rows[first_rows(cell)]  # the first like of each burst
    # each creator's largest burst; ties broken by values (earliest bucket, then smallest
    # post id), never by row order, so that shuffled rows give the same report
    post_rank = pd.factorize(likes["post_id"].take(head).to_numpy(), sort=True)[0]
    by_size = np.lexsort((post_rank, bucket[head], -sizes))
    owner = creator[head][by_size]
    top = np.sort(by_size[np.unique(owner, return_index=True)[1]])
    chosen = np.isin(cell, top)
    other = np.expm1(features[column].to_numpy()[rows[chosen]]) - 1
    medians = pd.Series(other).groupby(cell[chosen]).median()
    out = pd.DataFrame(
        {
            "post_id": likes["post_id"].take(head[top]).to_numpy(),
            "likes": sizes[top],
            "other_bursts": medians.reindex(top).to_numpy(),
            "minutes": last[top] - first[top],
        },
        index=pd.Index(likes["creator_id"].take(head[top]).to_numpy(), name="creator_id"),
    )
    out["across"] = column == "log_liker_burst_posts"
    return out


def _burst_sentence(row: object) -> str | None:
    other = row.other_bursts
    minutes = max(float(row.minutes), 1.0)
    where = "other posts in this data" if row.across else "this creator's other posts"
    if other >= 1:
        return (
            f"{int(row.likes)} likes on post {row.post_id} arrived within "
            f"{minutes:.0f} minutes from accounts that also joined bursts on {other:.0f} "
            f"{where} (median)"
        )
    if minutes <= 5:
        return f"{int(row.likes)} likes on post {row.post_id} arrived within {minutes:.0f} minutes"
    return None


def _post_table(
    post: np.ndarray, flags: np.ndarray, liked_at: pd.Series | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per post code (codes from 0 in order of first appearance): likes, share flagged, first
    and last like; and the first row of each post. Counted on the codes directly (as
    ``groupby(post, sort=False)`` would give them, several times faster)."""
    rows = first_rows(post)
    likes = np.bincount(post, minlength=len(rows))
    if liked_at is None:  # no like times: the columns stay, empty
        never = np.full(len(rows), np.datetime64("NaT", "ns"))
        table = pd.DataFrame({"likes": likes, "flagged": _flagged(post, flags, likes, rows)})
        return table.assign(first_like_at=never, last_like_at=never), rows
    ticks = liked_at.to_numpy("datetime64[ns]").view(np.int64)  # never missing in valid likes
    first = np.full(len(rows), np.iinfo(np.int64).max)
    last = np.full(len(rows), np.iinfo(np.int64).min)
    np.minimum.at(first, post, ticks)
    np.maximum.at(last, post, ticks)
    table = pd.DataFrame(
        {
            "likes": likes,
            "flagged": _flagged(post, flags, likes, rows),
            "first_like_at": _as_times(first, liked_at.dtype),
            "last_like_at": _as_times(last, liked_at.dtype),
        }
    )
    return table, rows


def _flagged(
    post: np.ndarray, flags: np.ndarray, likes: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    return np.bincount(post, weights=flags, minlength=len(rows)) / likes


def _as_times(ticks: np.ndarray, dtype: Any) -> pd.Series:
    """Nanoseconds since the epoch as times in the time zone of ``dtype`` (if any)."""
    times = pd.DatetimeIndex(ticks.view("datetime64[ns]"))
    zone = getattr(dtype, "tz", None)
    return pd.Series(times if zone is None else times.tz_localize("UTC").tz_convert(zone))


def _insert_creator_facts(
    creators: pd.DataFrame, likes: pd.DataFrame, creator: np.ndarray, codes: np.ndarray
) -> None:
    """Put the creators table's text facts joined onto ``likes`` (:data:`REPORTED_FACTS`)
    after ``creator_id``, read from each creator's first like (they are the same on all)."""
    joined = [column for column in REPORTED_FACTS if column in likes.columns]
    if not joined:
        return
    first = np.zeros(int(creator.max()) + 1 if len(creator) else 0, dtype=np.intp)
    first[creator[::-1]] = np.arange(len(creator) - 1, -1, -1)  # earliest row wins
    for offset, column in enumerate(joined, start=1):
        values = likes[column].astype("string").array.take(first[codes])
        creators.insert(offset, REPORTED_FACTS[column], values)


def build_report(
    model: FeatureScorer,
    likes: pd.DataFrame,
    include_likes: bool = False,
    features: LikeFeatureSet | None = None,
    rates: str = "reference",
) -> CreatorReport:
    """Score validated likes with ``model`` and aggregate per creator and per post.

    ``features`` (from :func:`detector.features.finish_features`) skips recomputing them, as the
    chunked and distributed engines do for each partition of whole creators. ``rates="batch"``
    raises the false-positive rate to these creators' floor where it is higher
    (:func:`~detector.calibrate.batch_false_positive_rate`).
    """
    built = build_like_features(likes) if features is None else features
    scored = model.score_features(built.values, flags_only=not include_likes)
    fpr, tpr = scored.attrs["fpr"], scored.attrs["tpr"]
    flags = scored["flagged"].to_numpy()
    # grouped by integer codes; ids are read back for one row per creator or post only
    groups = built.groups
    if groups is not None:
        creator, creator_ids, post = groups.creator, groups.creator_ids, groups.post
    else:
        creator, creator_ids = pd.factorize(likes["creator_id"])
        post = pair_codes(creator, pd.factorize(likes["post_id"])[0])  # = post_codes(likes)

    # index: creator codes, in order of appearance (posts are numbered within creators)
    sizes = effective_sizes(flags, creator, post, nested=True)
    rate_facts = None
    reference_fpr = fpr
    if rates == "batch":
        fpr, rate_facts = batch_false_positive_rate(
            sizes["likes"].to_numpy(), sizes["flag_rate"].to_numpy(), fpr
        )
    share_raw = corrected_share(sizes["flag_rate"].to_numpy(), fpr, tpr)
    share = np.clip(share_raw, 0, 1)
    profile = scored.attrs.get("rate_profile")
    shifted = tally = None
    if profile is not None:
        matrix = built.values[scored.attrs["features"]].to_numpy(dtype=float)
        shifted = shift_figures(
            matrix, flags, creator, len(creator_ids), profile, reference_fpr, tpr
        )
        shifted.move_fpr(fpr - reference_fpr)
        shifted = shifted.take(sizes.index.to_numpy())
        tally = ShiftTally.of(matrix, flags, profile, scored.attrs["features"])
    low, high = share_interval(
        sizes["flag_rate"].to_numpy(),
        sizes["effective_likes"].to_numpy(),
        fpr,
        tpr,
        scored.attrs.get("fpr_size", np.inf),
        scored.attrs.get("tpr_size", np.inf),
        # a rate raised for the batch spreads between creators in proportion
        scored.attrs.get("fpr_spread", 0.0) * (fpr / reference_fpr if reference_fpr > 0 else 1.0),
        scored.attrs.get("tpr_spread", 0.0),
        shifted,
    )
    creators = pd.DataFrame(
        {
            "creator_id": creator_ids.take(sizes.index.to_numpy()).to_numpy(),
            "likes": sizes["likes"].to_numpy(),
            "authenticity": np.round(100 * (1 - share), 1),
            "inauthentic_share": np.round(share, 4),
            "inauthentic_share_low": np.round(low, 4),
            "inauthentic_share_high": np.round(high, 4),
            "authentic_likes": np.round(sizes["likes"].to_numpy() * (1 - share)).astype(int),
            "flagged_likes": np.round(
                sizes["flag_rate"].to_numpy() * sizes["likes"].to_numpy()
            ).astype(int),
            "suspicion_index": np.round(share_raw, 4),
            "reference_shift": np.round(shifted.shift, 4) if shifted else np.nan,
        }
    )
    n_features = len(scored.attrs["features"])
    creators["verdict"] = verdicts(share, low, high, creators["likes"].to_numpy(), n_features)
    _insert_creator_facts(creators, likes, creator, sizes.index.to_numpy())

    per_post, post_rows = _post_table(post, flags, likes.get("liked_at"))
    per_post.insert(0, "creator_id", likes["creator_id"].take(post_rows).to_numpy())
    per_post.insert(1, "post_id", likes["post_id"].take(post_rows).to_numpy())
    per_post["inauthentic_share"] = np.round(
        np.clip(corrected_share(per_post["flagged"], fpr, tpr), 0, 1), 4
    )
    per_post["flagged_likes"] = np.round(per_post.pop("flagged") * per_post["likes"]).astype(int)
    for column in ("first_like_at", "last_like_at"):
        per_post[column] = iso_times(per_post[column])

    if "creator_followers" in likes.columns and likes["creator_followers"].notna().any():
        followers = likes["creator_followers"].groupby(creator, sort=False).max()
        n_posts = np.bincount(creator[post_rows], minlength=len(creator_ids))
        f = followers.reindex(sizes.index).to_numpy(dtype=float)
        per_post_likes = creators["likes"].to_numpy() / n_posts[sizes.index.to_numpy()]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(f > 0, per_post_likes / f, np.nan)
        creators["followers"] = pd.array(np.where(np.isnan(f), None, f), dtype="Int64")
        creators["engagement_rate"] = np.round(rate, 6)
        creators["authentic_engagement_rate"] = np.round(rate * (1 - share), 6)
    else:  # always the same fields, so a creator's record does not depend on its neighbours
        creators["followers"] = pd.array([None] * len(creators), dtype="Int64")
        creators["engagement_rate"] = np.nan
        creators["authentic_engagement_rate"] = np.nan

    audience = audience_shares(likes, flags, creator, len(creator_ids))
    for name in AUDIENCE_COLUMNS:
        creators[name] = np.round(audience[name].to_numpy()[sizes.index.to_numpy()], 4)

    group_shares = condition_shares(built.values, creator, len(creator_ids)).take(sizes.index)
    group_shares.index = pd.Index(creators["creator_id"], name="creator_id")
    texts, evidence = explain(group_shares, model.reference_conditions_)
    lead = [
        f"{100 * r:.0f}% of likes scored as unlike authentic engagement "
        f"(expected for authentic likes: {100 * fpr:.0f}%)"
        for r in sizes["flag_rate"].to_numpy()
    ]
    cells = None if groups is None else (groups.bucket, groups.bursty)
    bursts = largest_bursts(likes, built.values, post, cells, creator)
    bursts = bursts.reindex(creators["creator_id"])
    burst_text = [
        _burst_sentence(row) if row.likes >= MIN_BURST_REASON_LIKES else None
        for row in bursts.itertuples()
    ]
    creators["reasons"] = [
        [first, *rest, *([burst] if burst else [])]
        for first, rest, burst in zip(lead, texts, burst_text, strict=True)
    ]
    creators["evidence"] = evidence
    creators["largest_burst_likes"] = bursts["likes"].fillna(0).astype(int).to_numpy()
    creators["largest_burst_minutes"] = bursts["minutes"].round(1).to_numpy()
    levels = None if groups is None else groups.resolutions
    if levels is None:
        levels = creator_resolutions(likes, creator, post)
    levels = levels[sizes.index.to_numpy()]
    creators["time_resolution"] = resolution_names(levels)
    for reasons, level in zip(creators["reasons"], levels, strict=True):
        if TIME_NOTES.get(TIME_RESOLUTIONS[level]):
            reasons.append(TIME_NOTES[TIME_RESOLUTIONS[level]])
    names = scored.attrs["features"]
    for i, reasons in enumerate(creators["reasons"]):
        if shifted is not None and shifted.shift[i] > profile.typical_shift:
            reasons.append(
                _shift_reason(shifted.shift[i], names[shifted.feature[i]], profile.typical_shift)
            )
        if creators["verdict"].iat[i] == CANNOT_TELL:
            reasons.insert(
                0, _cannot_tell_reason(low[i], high[i], creators["likes"].iat[i], n_features)
            )

    meta = {
        "features_used": scored.attrs["features"],
        "features_missing": built.missing,
        "imputed_values": scored.attrs["imputed_values"],
        # what was scored; the callers that drop repeated likes or join accounts count those
        "input": {"likes": len(likes), "duplicate_likes_dropped": 0, **impossible_times(likes)},
        "false_positive_rate": round(fpr, 4),
        "true_positive_rate": round(tpr, 4),
        "shift": None if tally is None else tally.facts(),
        "rates": rate_facts or {"method": "reference"},
        "interval": (
            "90% Wilson interval with post-clustered effective size, Rogan-Gladen corrected, "
            "widened by the 90% prediction intervals of the false- and true-positive rates "
            "(their uncertainty and their spread between creators) and moved by the range "
            "each rate may take under the creator's measured shift from the reference"
        ),
        "score_orientation": "higher score = more suspicious",
    }
    liked = None
    if include_likes:
        liked = pd.concat([likes[like_key(likes)], scored], axis=1)
    return CreatorReport(creators=creators, posts=per_post, likes=liked, meta=meta, shift=tally)


TIME_NOTES: dict[str, str] = {
    "none": "no like times (liked_at absent): timing and burst features left out",
    "post": "liked_at has one instant per post: timing features left out",
    "day": "liked_at has day resolution: timing features left out",
    "hour": "liked_at has hour resolution: delays, gaps and bursts left out",
    "minute": "liked_at has minute resolution: gaps between likes left out",
}
"""The reason a creator's report gives when its like times are coarser than seconds."""


def time_notes(creators: pd.DataFrame) -> list[str]:
    """One sentence per coarse time resolution among the report's creators, with how many."""
    if "time_resolution" not in creators.columns:
        return []
    counts = creators["time_resolution"].value_counts(sort=False)
    return [
        f"{TIME_NOTES[name]} ({counts[name]:,} of {len(creators):,} creator(s))"
        for name in TIME_RESOLUTIONS
        if name in TIME_NOTES and name in counts.index
    ]


def shift_warnings(report: CreatorReport) -> list[str]:
    """The warning, if any, that the scored likes lie far from the model's reference: the
    features that moved most, what it does to the verdicts, and the next step."""
    shift = report.meta.get("shift")
    if not shift or shift["shift"] < SHIFT_WARNING_FROM:
        return []
    moved = [f"{name} {fact['shift']:.2f}" for name, fact in list(shift["features"].items())[:3]]
    unsure = int((report.creators["verdict"] == CANNOT_TELL).sum())
    return [
        f"the likes scored lie far from the model's reference (shift {shift['shift']:.2f}; most "
        f"in {', '.join(moved)}): its rates may not hold here, so the intervals were widened "
        f"({unsure:,} of {len(report.creators):,} creator(s) 'cannot tell') and shares may be "
        "biased; adapt the model to this data with likes of creators known to be clean: "
        "detector adapt CLEAN_LIKES --output MODEL, then score with --model MODEL"
    ]


def combine_reports(reports: list[CreatorReport]) -> CreatorReport:
    """Concatenate reports of partitions that each hold whole creators."""
    if not reports:
        raise ValueError("no partial reports to combine")
    likes = [r.likes for r in reports if r.likes is not None]
    meta = dict(reports[0].meta)
    meta["imputed_values"] = int(sum(r.meta.get("imputed_values", 0) for r in reports))
    meta["input"] = added_counts([r.meta.get("input", {}) for r in reports])
    tallies = [r.shift for r in reports if r.shift is not None]
    shift = ShiftTally.combined(tallies) if tallies else None
    meta["shift"] = None if shift is None else shift.facts()
    return CreatorReport(
        creators=_concat_in_order([r.creators for r in reports]),
        posts=_concat_in_order([r.posts for r in reports]),
        likes=pd.concat(likes, ignore_index=True) if likes else None,
        meta=meta,
        shift=shift,
    )


def in_id_order(report: CreatorReport) -> CreatorReport:
    """The report with creators in ``creator_id`` order and posts in (creator, ``post_id``)
    order (code point order), so that it is the same, byte for byte, however the input's rows
    were ordered. The per-like table stays one row per input like, in input order."""
    creators = report.creators.sort_values("creator_id", kind="stable", ignore_index=True)
    posts = report.posts.sort_values(["creator_id", "post_id"], kind="stable", ignore_index=True)
    return CreatorReport(
        creators=creators, posts=posts, likes=report.likes, meta=report.meta, shift=report.shift
    )


def added_counts(parts: Sequence[dict[str, int]]) -> dict[str, int]:
    """Input counts of partitions of whole creators, added up key by key (first-seen order)."""
    total: dict[str, int] = {}
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + int(value)
    return total


INPUT_WARNINGS: dict[str, str] = {
    "duplicate_likes_dropped": "{n:,} duplicate like(s) dropped (same creator, post, liker and "
    "liked_at, if given, as an earlier row): each like is counted once",
    "account_created_after_like": "{n:,} like(s) come before their liker account's "
    "account_created_at: that creation time is taken as unknown for them (imputed)",
    "liked_before_publication": "{n:,} like(s) come before their post's post_published_at: "
    "that publication time is taken as unknown for them (imputed)",
}
LOW_ACCOUNT_MATCH = 0.5
"""Below this share of likes whose liker is in the accounts table, the table probably belongs
to other data (or keys likers differently): most account features would be imputed."""


def input_warnings(meta: dict[str, Any]) -> list[str]:
    """One sentence per problem the input checks of ``meta["input"]`` counted, for the user."""
    counts = meta.get("input", {})
    lines = [text.format(n=counts[key]) for key, text in INPUT_WARNINGS.items() if counts.get(key)]
    matched, likes = counts.get("accounts_matched_likes"), counts.get("likes", 0)
    if matched is not None and likes and matched < LOW_ACCOUNT_MATCH * likes:
        lines.append(
            f"the accounts table has the liker of only {matched:,} of {likes:,} likes "
            f"({100 * matched / likes:.1f}%): the others are scored with imputed account values"
        )
    return lines


def _concat_in_order(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames one after another, their columns in the order of the one with the most (a
    partition without any creator follower count has no engagement rates: its columns are a
    subset, and they would otherwise move the rates to the end)."""
    combined = pd.concat(frames, ignore_index=True)
    widest = list(max(frames, key=lambda frame: frame.shape[1]).columns)
    order = widest + [c for c in combined.columns if c not in set(widest)]
    return combined if order == list(combined.columns) else combined[order]
