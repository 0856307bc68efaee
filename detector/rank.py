"""From scores to decisions: creators ranked by authentic engagement, against their peers, with
an eligibility rule; and posts ranked within their category (top content).

Reads a creator report (:func:`detector.report.build_report`), never the likes, so ranking is
cheap and works on any engine's report. Per creator:

- ``tier`` (:mod:`detector.tiers`) from ``followers``; ``authentic_engagement_rate`` with its
  interval from the share's: ``rate x (1 - share_high)`` to ``rate x (1 - share_low)``.
- **Peers** are the batch's creators of the same category and tier (creators without a
  category are peers of one another). With at least ``peers_min`` of them
  (:data:`PEERS_MIN`, the creator included), ``authentic_rate_percentile`` and
  ``share_percentile_in_peers`` say what share of the *other* peers it is above (ties count
  half; 0-100), and ``peer_median_rate`` is the peers' median authentic rate. With fewer, the
  tier's published benchmark stands in (:data:`detector.tiers.BENCHMARK`): it has a mean and a
  median only, so the rate is said to be above or below each (``benchmark_position``) and no
  percentile is made up; ``peer_median_rate`` is then the benchmark's median. ``peer_basis``
  says which was used.
- **Eligible** (default rule): verdict ``authentic`` and the low end of the authentic rate's
  interval at or above ``peer_median_rate``. So ``inflated``, ``suspicious`` and ``cannot tell``
  creators are never eligible, nor a creator without a follower count (no rate) or without a
  peer median (under 1k followers with fewer than ``peers_min`` peers: the benchmark starts at
  1k). ``eligible_reason`` gives the first condition that failed, or why it passed.
- **Pulse** (``pulse=True``), the published shape of TikTok's Pulse programme: ads run beside
  the top 4% of videos in each of 12 categories, and creators of 100,000 followers or more get
  a 50% revenue share. This tool's reading: eligible creators have 100,000 followers or more,
  verdict ``authentic``, and at least one post in the top 4% of its category in this batch,
  posts ranked by authentic likes (the category is the creators table's).

Posts (:func:`rank_posts`): a post's authentic likes are its likes less its own estimated
inauthentic share (the report's per-post share); its ``category_rank`` counts the posts of its
category here with more authentic likes, plus one; ``top_content`` marks a rank within the top
:data:`TOP_CONTENT_SHARE` (at most ``ceil(4% x posts)``, so a category's best post always is).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from detector.audience import AUDIENCE_COLUMNS
from detector.errors import SchemaError, SelectionError
from detector.tiers import BENCHMARK, BENCHMARK_SOURCE, TIERS, follower_tiers

if TYPE_CHECKING:
    from detector.report import CreatorReport

PEERS_MIN = 10
"""Fewest creators (of one category and tier, the creator included) whose percentiles mean
something; with fewer, the tier's published benchmark stands in."""
PULSE_FOLLOWERS_FROM = 100_000
"""Fewest followers of a Pulse creator (the programme's published threshold)."""
TOP_CONTENT_SHARE = 0.04
"""Share of a category's posts that are its top content (Pulse: the top 4% of videos)."""
NO_CATEGORY = "uncategorised"
"""How a creator without a category is named in its peer group."""

RULE = (
    "verdict authentic, and the low end of the authentic engagement rate's interval at or "
    "above the median of its peers (same category and tier, at least {peers} in the batch) "
    "or, with fewer, of its tier's benchmark"
)
PULSE_RULE = (
    "Pulse-style: verdict authentic, 100,000 followers or more, and a post in the top 4% of "
    "its category in this batch by authentic likes"
)
REQUIRED = ("creator_id", "verdict", "inauthentic_share_low", "inauthentic_share_high")


def rank_creators(
    report_creators: pd.DataFrame | CreatorReport,
    category: str | None = None,
    tier: str | None = None,
    top: int | None = None,
    pulse: bool = False,
    peers_min: int = PEERS_MIN,
    posts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Creators of a report, highest authentic engagement rate first, with peers and eligibility.

    ``report_creators`` is a report's creator table (``report.creators``) or the report
    itself, whose posts then serve ``pulse``; ``posts`` gives them otherwise. ``category`` and
    ``tier`` keep only the creators of that category or follower tier (:data:`TIERS`) and
    ``top`` the first ``top`` of them; peers are always the whole batch's. Creators without a
    follower count come last, their rates missing. Raises :class:`SelectionError` for a
    category or tier no creator has, listing those there are.
    """
    creators, posts = _tables(report_creators, posts)
    if pulse and posts is None:
        raise ValueError("pulse=True needs the report's posts: pass the report or posts=")
    table = _peers(creators, peers_min)
    if pulse:
        best = rank_posts(creators, posts)
        counted = best[best["top_content"]].groupby("creator_id").size()
        table["top_posts"] = table["creator_id"].map(counted).fillna(0).astype(int).to_numpy()
        eligible, reason = _pulse_eligibility(table, best)
    else:
        eligible, reason = _eligibility(table)
    table["verdict"] = table.pop("verdict")  # beside the eligibility it decides first
    table["eligible"], table["eligible_reason"] = eligible, reason
    table = _selected(table, category, tier)
    order = np.lexsort(
        (
            table["creator_id"].astype(str).to_numpy(),
            -table["authentic_engagement_rate"].fillna(-np.inf).to_numpy(),
        )
    )
    table = table.iloc[order].reset_index(drop=True)
    if top is not None:
        table = table.head(top)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def _tables(
    source: pd.DataFrame | CreatorReport, posts: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The creator table (checked for the columns ranking needs) and the posts, if any."""
    creators = source if isinstance(source, pd.DataFrame) else source.creators
    if posts is None and not isinstance(source, pd.DataFrame):
        posts = source.posts
    missing = [name for name in REQUIRED if name not in creators.columns]
    if missing:
        raise SchemaError(
            f"creator report: missing column(s) {', '.join(missing)}; rank a report made by "
            "detector.report.build_report (model.report(likes).creators)"
        )
    return creators, posts


def _peers(creators: pd.DataFrame, peers_min: int) -> pd.DataFrame:
    """The ranking's columns: rates with intervals, tier, peer percentiles and basis."""
    n = len(creators)
    nan = np.full(n, np.nan)
    category = (
        creators["category"].astype("string")
        if "category" in creators.columns
        else pd.Series([pd.NA] * n, dtype="string")
    ).reset_index(drop=True)
    followers = (
        creators["followers"] if "followers" in creators.columns else pd.Series(nan)
    ).reset_index(drop=True)
    rate = _column(creators, "engagement_rate", nan)
    authentic = _column(creators, "authentic_engagement_rate", nan)
    authentic = np.where(np.isnan(rate), np.nan, authentic)
    share = _column(creators, "inauthentic_share", nan)
    low_share = creators["inauthentic_share_low"].to_numpy(dtype=float)
    high_share = creators["inauthentic_share_high"].to_numpy(dtype=float)
    tiers = follower_tiers(followers.to_numpy(dtype=float, na_value=np.nan))
    tiers = tiers.where(~np.isnan(rate))  # a count of 0 followers gives no rate and no tier
    out = pd.DataFrame(
        {
            "creator_id": creators["creator_id"].to_numpy(),
            "category": category.to_numpy(),
            "followers": pd.array(followers.to_numpy(dtype=float, na_value=np.nan)).astype("Int64"),
            "tier": tiers.to_numpy(),
            "likes": creators["likes"].to_numpy() if "likes" in creators.columns else nan,
            "engagement_rate": rate,
            "authentic_engagement_rate": authentic,
            "authentic_engagement_rate_low": np.round(rate * (1 - high_share), 6),
            "authentic_engagement_rate_high": np.round(rate * (1 - low_share), 6),
            "inauthentic_share": share,
            "verdict": creators["verdict"].to_numpy(),
        }
    )
    out["category"] = out["category"].astype("string")
    out["tier"] = out["tier"].astype("string")
    group = pd.Series(
        list(zip(category.fillna(NO_CATEGORY).to_numpy(), tiers.fillna("").to_numpy(), strict=True))
    )
    has_tier = tiers.notna().to_numpy()
    size = group.where(has_tier).map(group[has_tier].value_counts()).to_numpy(dtype=float)
    batch = has_tier & (size >= peers_min)
    out["peers"] = pd.array(np.where(has_tier, size, np.nan)).astype("Int64")
    out["authentic_rate_percentile"] = _percentiles(authentic, group, batch)
    out["share_percentile_in_peers"] = _percentiles(share, group, batch)
    medians = pd.Series(authentic[batch]).groupby(group[batch].to_numpy()).median()
    bench_median = tiers.map(lambda t: BENCHMARK[t].median if t in BENCHMARK else np.nan)
    out["peer_median_rate"] = np.where(
        batch, group.map(medians).to_numpy(dtype=float), bench_median.to_numpy(dtype=float)
    )
    out["peer_basis"] = [
        _basis(b, t, c, s, peers_min)
        for b, t, c, s in zip(batch, tiers, category.fillna(NO_CATEGORY), size, strict=True)
    ]
    out["benchmark_position"] = [
        _position(a, t) if not b and isinstance(t, str) else None
        for a, t, b in zip(authentic, tiers, batch, strict=True)
    ]
    out["peer_summary"] = [_summary(row) for row in out.itertuples(index=False)]
    for name in AUDIENCE_COLUMNS:
        if name in creators.columns:
            out[name] = creators[name].to_numpy()
    return out


def _column(frame: pd.DataFrame, name: str, default: np.ndarray) -> np.ndarray:
    return frame[name].to_numpy(dtype=float) if name in frame.columns else default


def _percentiles(values: np.ndarray, group: pd.Series, where: np.ndarray) -> np.ndarray:
    """Per row in ``where``: 100 x the share of the other rows of its group with a lower
    value (ties count half), rounded to 0.1; NaN elsewhere."""
    out = np.full(len(values), np.nan)
    if not where.any():
        return out
    frame = pd.DataFrame({"value": values[where], "group": group[where].to_numpy()})
    ranks = frame.groupby("group")["value"].rank(method="average")
    sizes = frame.groupby("group")["value"].transform("count")
    with np.errstate(divide="ignore", invalid="ignore"):
        out[where] = np.round(100 * (ranks - 1) / (sizes - 1), 1).to_numpy()
    return out


def _basis(batch: bool, tier: Any, category: str, size: float, peers_min: int) -> str:
    if not isinstance(tier, str):
        return "none: no follower count, so no tier"
    if batch:
        return f"batch: {int(size)} {category} creators, {tier}"
    if tier in BENCHMARK:
        return f"benchmark: {BENCHMARK_SOURCE}, {tier} median {100 * BENCHMARK[tier].median:.2f}%"
    return (
        f"none: {int(size)} {category} creator(s) {tier} here (fewer than {peers_min}) and no "
        "benchmark under 1k"
    )


def _position(rate: float, tier: str) -> str | None:
    """Where an authentic rate lies against the tier's published median and mean."""
    if tier not in BENCHMARK or np.isnan(rate):
        return None
    figures = BENCHMARK[tier]
    median, mean = percent(figures.median), percent(figures.mean)
    above_median, above_mean = rate >= figures.median, rate >= figures.mean
    if above_median == above_mean:
        side = "above" if above_median else "below"
        return f"{side} the {tier} median {median} and mean {mean} ({BENCHMARK_SOURCE})"
    first, second = ("mean", "median") if above_mean else ("median", "mean")
    values = {"mean": mean, "median": median}
    return (
        f"above the {tier} {first} {values[first]}, below its {second} {values[second]} "
        f"({BENCHMARK_SOURCE})"
    )


def _summary(row: Any) -> str:
    """One readable line on where a creator stands among its peers (or the benchmark)."""
    if not isinstance(row.tier, str):
        return "no follower count: no rate to compare"
    category = row.category if isinstance(row.category, str) else NO_CATEGORY
    if not np.isnan(row.authentic_rate_percentile):
        return (
            f"authentic rate higher than {row.authentic_rate_percentile:.0f}% of the "
            f"{row.peers} {category} {row.tier} creators here, more inflated than "
            f"{row.share_percentile_in_peers:.0f}%"
        )
    if row.benchmark_position:
        return f"too few peers here; {row.benchmark_position}"
    return f"too few {category} {row.tier} creators here, and no benchmark under 1k"


def _eligibility(table: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The default rule, condition by condition (see the module docstring)."""
    eligible, reasons = [], []
    for row in table.itertuples(index=False):
        low, bar = row.authentic_engagement_rate_low, row.peer_median_rate
        where = "peers'" if row.peer_basis.startswith("batch") else "benchmark"
        if row.verdict != "authentic":
            ok, why = False, f"verdict {row.verdict}"
        elif not isinstance(row.tier, str):
            ok, why = False, "no follower count"
        elif np.isnan(bar):
            ok, why = False, "no median to clear (under 1k, too few peers)"
        elif low >= bar:
            ok, why = (
                True,
                f"rate's low end {percent(low)} clears the {where} median {percent(bar)}",
            )
        else:
            ok, why = (
                False,
                f"rate's low end {percent(low)} is under the {where} median {percent(bar)}",
            )
        eligible.append(ok)
        reasons.append(why)
    return np.asarray(eligible, dtype=bool), reasons


def _pulse_eligibility(table: pd.DataFrame, posts: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The Pulse-style rule (see the module docstring)."""
    best = posts.groupby("creator_id")["category_rank"].min()
    eligible, reasons = [], []
    for row in table.itertuples(index=False):
        followers = row.followers
        where = row.category if isinstance(row.category, str) else NO_CATEGORY
        if row.verdict != "authentic":
            ok, why = False, f"verdict {row.verdict}"
        elif pd.isna(followers):
            ok, why = False, "no follower count"
        elif followers < PULSE_FOLLOWERS_FROM:
            ok, why = False, f"{int(followers):,} followers, under {PULSE_FOLLOWERS_FROM:,}"
        elif row.top_posts == 0:
            rank = best.get(row.creator_id)
            ok, why = False, f"no post in the top 4% of {where} posts (best rank {rank})"
        else:
            ok = True
            why = f"{int(followers):,} followers; {row.top_posts} post(s) in the top 4% of {where}"
        eligible.append(ok)
        reasons.append(why)
    return np.asarray(eligible, dtype=bool), reasons


def percent(rate: float) -> str:
    """A rate as a percentage of three significant digits (rates of simulated worlds are
    hundredths of a percent; the benchmark's whole percents)."""
    return f"{100 * rate:.3g}%"


def _selected(table: pd.DataFrame, category: str | None, tier: str | None) -> pd.DataFrame:
    """The creators of the category and tier asked for; an unknown one is an error."""
    if category is not None:
        known = sorted(table["category"].dropna().unique().tolist())
        if not known:
            raise SelectionError(
                f"category {category!r}: the creators have no category (a creators table "
                "with a 'category' column gives them one)"
            )
        if category not in known:
            raise SelectionError(
                f"category {category!r}: no creator here has it; categories: {', '.join(known)}"
            )
        table = table[(table["category"] == category).fillna(False).to_numpy()]
    if tier is not None:
        wanted = {name.lower(): name for name in TIERS}.get(tier.strip().lower())
        if wanted is None:
            raise SelectionError(f"tier {tier!r}: unknown; tiers: {', '.join(TIERS)}")
        table = table[(table["tier"] == wanted).fillna(False).to_numpy()]
    return table.reset_index(drop=True)


def rank_posts(
    report_creators: pd.DataFrame, posts: pd.DataFrame, top_share: float = TOP_CONTENT_SHARE
) -> pd.DataFrame:
    """Every post of the report ranked within its creator's category by authentic likes
    (see the module docstring): ``creator_id``, ``post_id``, ``category``, ``likes``,
    ``authentic_likes``, ``category_rank``, ``category_posts``, ``category_percentile`` and
    ``top_content``; best first within each category, categories in name order."""
    category = (
        report_creators.set_index("creator_id")["category"]
        if "category" in report_creators.columns
        else pd.Series(dtype="string")
    )
    share = posts["inauthentic_share"].to_numpy(dtype=float)
    likes = posts["likes"].to_numpy(dtype=float)
    out = pd.DataFrame(
        {
            "creator_id": posts["creator_id"].to_numpy(),
            "post_id": posts["post_id"].to_numpy(),
            "category": posts["creator_id"].map(category).astype("string").to_numpy(),
            "likes": posts["likes"].to_numpy(),
            "authentic_likes": np.round(likes * (1 - share)).astype(int),
        }
    )
    out["category"] = out["category"].astype("string")
    key = out["category"].fillna(NO_CATEGORY)
    grouped = out["authentic_likes"].groupby(key)
    out["category_rank"] = grouped.rank(method="min", ascending=False).astype(int)
    out["category_posts"] = grouped.transform("size").astype(int)
    average = grouped.rank(method="average")
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * (average - 1) / (out["category_posts"] - 1)
    out["category_percentile"] = np.round(pct.where(out["category_posts"] > 1, 100.0), 1)
    cut = np.ceil(top_share * out["category_posts"].to_numpy() - 1e-9)
    out["top_content"] = out["category_rank"].to_numpy() <= np.maximum(cut, 1)
    order = np.lexsort((out["post_id"].astype(str), out["category_rank"], key.astype(str)))
    return out.iloc[order].reset_index(drop=True)


def rank_meta(pulse: bool, peers_min: int = PEERS_MIN) -> dict[str, Any]:
    """What a ranking rests on: its rule, the peer minimum and the benchmark with its source."""
    return {
        "rule": PULSE_RULE if pulse else RULE.format(peers=peers_min),
        "peers_min": peers_min,
        "tiers": list(TIERS),
        "benchmark": {
            "source": f"{BENCHMARK_SOURCE}: Instagram engagement rate by follower tier, "
            "about 37,000 accounts",
            "tiers": {
                name: {"mean": figures.mean, "median": figures.median}
                for name, figures in BENCHMARK.items()
            },
        },
    }


def ranking_json(ranked: pd.DataFrame, meta: dict[str, Any]) -> str:
    """The ranking as JSON text: ``meta`` and one object per creator (missing values null)."""
    records = json.loads(ranked.to_json(orient="records", double_precision=15))
    return json.dumps({"meta": meta, "creators": records}, indent=2) + "\n"
