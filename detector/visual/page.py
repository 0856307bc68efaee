"""The creator report as one self-contained HTML page: an overview of every creator, sortable
and filterable, and a section per creator with its headline, reasons and charts.

Everything is inlined (styles, the overview's script, charts as SVG), so the file opens from
disk with no network. Its size is bounded by drawing detail for the ``detail`` most suspicious
creators (and every creator asked for by name) and listing at most :data:`OVERVIEW_ROWS` in the
overview; the page says what it left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.resources import files

import numpy as np
import pandas as pd

from detector._version import __version__
from detector.audience import AUDIENCE_COLUMNS
from detector.features.account import account_age_days
from detector.model.protocol import FeatureScorer
from detector.progress import stage
from detector.report import (
    AUTHENTIC_BELOW,
    INFLATED_FROM,
    INFLATED_LOW_FROM,
    CreatorReport,
    shift_warnings,
)
from detector.visual import charts
from detector.visual.svg import VERDICT_COLOURS, text

DETAIL = 50
"""Creators drawn in detail by default: the most suspicious (see :func:`detailed_creators`)."""
OVERVIEW_ROWS = 20_000
"""Overview rows at most (the most suspicious first): about 300 bytes each."""
SCATTER_POINTS = 600
"""Likers drawn per scatter at most (a fixed-seed random sample beyond it)."""
AGE_FEATURE = "log_account_age_days"
RESOLUTION_SECONDS = {"day": 86_400, "hour": 3_600, "minute": 60, "second": 60}
"""The finest timeline bin for what a creator's times resolve (report column time_resolution)."""
AUDIENCE = tuple(
    zip(
        ("real people", "mass followers", "influencers", "suspicious"),
        AUDIENCE_COLUMNS,
        strict=True,
    )
)
"""The audience split's columns (:mod:`detector.audience`) and their labels."""


@dataclass(frozen=True)
class AgeReference:
    """The model's authentic reference of liker account ages: the inner bin edges (days; the
    reference's deciles) and the share of its authentic likes in each bin."""

    edges_days: np.ndarray
    authentic_share: np.ndarray

    @classmethod
    def of(cls, model: FeatureScorer, used: Sequence[str]) -> AgeReference | None:
        """From the rate profile of the model's feature set of the features ``used`` if it is
        fitted, else of its largest fitted set with the account age (None without one)."""
        holding = [s for s in model.fitted_sets() if AGE_FEATURE in s.features and s.rate_profile]
        if not holding:
            return None
        exact = [s for s in holding if set(s.features) == set(used)]
        chosen = exact[0] if exact else max(holding, key=lambda s: len(s.features))
        profile = chosen.rate_profile
        assert profile is not None
        row = chosen.features.index(AGE_FEATURE)
        return cls(np.expm1(profile.edges[row]), profile.authentic_share[row])

    def edge_labels(self) -> list[str]:
        return [_age(days) for days in self.edges_days]


def _age(days: float) -> str:
    if days < 60:
        return f"{days:.0f}d"
    if days < 730:
        return f"{days / 30.4:.0f}mo"
    return f"{days / 365.25:.1f}y"


def detailed_creators(
    creators: pd.DataFrame, detail: int, named: Sequence[str] | None = None
) -> list[str]:
    """The creators drawn in detail: every one ``named``, else the ``detail`` most suspicious,
    by the interval's lower end, then the estimate (so that a sure share outranks a wide one)."""
    ids = creators["creator_id"].astype(str).to_numpy()[suspicious_first(creators)].tolist()
    if named:
        wanted = set(map(str, named))
        return [c for c in ids if c in wanted]
    return ids[:detail]


def suspicious_first(creators: pd.DataFrame) -> np.ndarray:
    """Row positions, most suspicious first."""
    return np.lexsort(
        (
            -creators["suspicion_index"].to_numpy(dtype=float),
            -creators["inauthentic_share"].to_numpy(dtype=float),
            -creators["inauthentic_share_low"].to_numpy(dtype=float),
        )
    )


def render_html(
    report: CreatorReport,
    likes: pd.DataFrame,
    reference: AgeReference | None = None,
    detail: int = DETAIL,
    named: Sequence[str] | None = None,
    title: str = "Creator authenticity",
) -> str:
    """The page for ``report`` and the validated ``likes`` it was made from (with its per-like
    table, ``include_likes=True``); ``reference`` draws the model's account ages beside each
    creator's."""
    if report.likes is None:
        raise ValueError(
            "the HTML report needs the per-like table: report(..., include_likes=True)"
        )
    creators = report.creators
    shown = detailed_creators(creators, detail, named)
    sections = _sections(report, likes, reference, shown)
    overview, listed = _overview(creators, set(shown))
    left_out = []
    if len(shown) < len(creators):
        left_out.append(
            f"Detail for {len(shown):,} of {len(creators):,} creators: "
            + ("those asked for" if named else f"the {len(shown):,} most suspicious")
            + " (--detail N or --creator ID for others)."
        )
    if listed < len(creators):
        left_out.append(
            f"The overview lists the {listed:,} most suspicious of {len(creators):,} creators."
        )
    return _page(title, report, overview, sections, left_out)


def _overview(creators: pd.DataFrame, detailed: set[str]) -> tuple[str, int]:
    order = suspicious_first(creators)[:OVERVIEW_ROWS]
    facts = [c for c in ("category", "platform") if c in creators.columns]
    known = [
        (label, column, shown)
        for label, column, shown in OVERVIEW_FIGURES
        if column in creators.columns and creators[column].notna().any()
    ]
    head = "".join(
        f'<th data-sort="{kind}"{_title(label)}>{text(label)}</th>'
        for label, kind in (
            ("creator", "text"),
            *[(f, "text") for f in facts],
            ("likes", "number"),
            ("authenticity", "number"),
            ("inauthentic (90%)", "number"),
            ("verdict", "text"),
            *[(label, "number") for label, _, _ in known],
            ("top reason", "text"),
        )
    )
    rows = []
    picked = creators.iloc[order]
    for row in picked.itertuples(index=False):
        cid = str(row.creator_id)
        name = f'<a href="#{_anchor(cid)}">{text(cid)}</a>' if cid in detailed else text(cid)
        reasons = row.reasons
        reason = reasons[1] if len(reasons) > 1 else reasons[0] if len(reasons) else ""
        cells = [
            f"<td>{name}</td>",
            *[f"<td>{text(_fact(getattr(row, f)))}</td>" for f in facts],
            f'<td data-v="{row.likes}">{row.likes:,}</td>',
            f'<td data-v="{row.authenticity}">{row.authenticity:.1f}</td>',
            f'<td data-v="{row.inauthentic_share}">{row.inauthentic_share:.1%} '
            f"<small>({row.inauthentic_share_low:.0%}-{row.inauthentic_share_high:.0%})</small></td>",
            f"<td>{_badge(row.verdict)}</td>",
            *[_figure_cell(getattr(row, column), shown) for _, column, shown in known],
            f"<td class=reason>{text(reason)}</td>",
        ]
        rows.append(f'<tr data-verdict="{text(row.verdict)}">{"".join(cells)}</tr>')
    verdicts = "".join(
        f'<option value="{text(v)}">{text(v)}</option>' for v in VERDICT_COLOURS if v
    )
    filters = (
        '<div class="filters"><label>verdict <select id="f-verdict"><option value="">all</option>'
        f"{verdicts}</select></label>"
        '<label>share at least <input id="f-share" type="number" min="0" max="100" step="1" value="0">%</label>'
        '<label>likes at least <input id="f-likes" type="number" min="0" step="10" value="0"></label>'
        '<label>creator <input id="f-id" type="search" placeholder="id contains"></label>'
        '<span id="f-count"></span></div>'
    )
    table = (
        f'{filters}<div class="scroll"><table id="overview"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    return table, len(order)


OVERVIEW_FIGURES = (
    ("followers", "followers", "{:,.0f}"),
    ("authentic ER", "authentic_engagement_rate", "{:.2%}"),
    ("real likers", "audience_real", "{:.0%}"),
)
"""Overview columns shown when the report has values in them (a creators table, liker counts)."""


HEADER_TITLES = {
    "authentic ER": "authentic engagement rate: authentic likes per post over followers",
    "real likers": "share of likes from real people (not flagged, not mass followers, "
    "not influencers)",
    "inauthentic (90%)": "estimated inauthentic share of likes, with its 90% interval",
}


def _title(label: str) -> str:
    found = HEADER_TITLES.get(label)
    return f' title="{text(found)}"' if found else ""


def _figure_cell(value: object, shown: str) -> str:
    """A number cell; a missing one sorts below every known one."""
    if value is None or pd.isna(value):
        return '<td data-v="-1">–</td>'
    return f'<td data-v="{value}">{shown.format(value)}</td>'


def _fact(value: object) -> str:
    return value if isinstance(value, str) else ""


def _anchor(creator_id: str) -> str:
    return "c-" + "".join(
        ch if ch.isalnum() or ch in "-_" else f"_{ord(ch):x}" for ch in creator_id
    )


def _badge(verdict: str) -> str:
    colour = VERDICT_COLOURS.get(verdict, "#4a5568")
    return f'<span class="badge" style="background:{colour}">{text(verdict)}</span>'


def _seconds(times: pd.Series) -> np.ndarray:
    """Seconds since the epoch (NaN where unknown), whatever the column's time unit."""
    values = pd.to_datetime(times, utc=True)
    out = (values - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    return out.to_numpy(dtype=float, na_value=np.nan)


def _sections(
    report: CreatorReport,
    likes: pd.DataFrame,
    reference: AgeReference | None,
    shown: list[str],
) -> list[str]:
    per_like = report.likes
    assert per_like is not None
    keep = per_like["creator_id"].astype(str).isin(set(shown)).to_numpy()
    scored = per_like.loc[keep]
    inputs = _inputs_of(likes, scored.index)
    by_creator = (
        pd.Series(np.arange(len(scored)))
        .groupby(scored["creator_id"].astype(str).to_numpy(), sort=False)
        .indices
    )
    posts = report.posts.assign(creator_id=report.posts["creator_id"].astype(str))
    posts_by_creator = posts.groupby("creator_id", sort=False).indices
    creators = report.creators.assign(_id=report.creators["creator_id"].astype(str))
    creators = creators.set_index("_id")
    out = []
    with stage("drawing the HTML report", len(shown), "creators") as counted:
        for cid in shown:
            rows = by_creator.get(cid, np.zeros(0, dtype=np.int64))
            out.append(
                _section(
                    creators.loc[cid],
                    scored.iloc[rows],
                    inputs.iloc[rows],
                    posts.iloc[posts_by_creator.get(cid, [])],
                    reference,
                )
            )
            counted.advance()
    return out


def _inputs_of(likes: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The input rows behind per-like rows (the per-like table keeps the input's index)."""
    columns = [
        c
        for c in (
            "liker_id",
            "followers",
            "following",
            "account_created_at",
            "liked_at",
            "post_published_at",
            "post_id",
        )
        if c in likes.columns
    ]
    if likes.index.is_unique:
        return likes.loc[index, columns]
    return likes[columns].iloc[np.asarray(index)]


def _section(
    creator: pd.Series,
    scored: pd.DataFrame,
    inputs: pd.DataFrame,
    posts: pd.DataFrame,
    reference: AgeReference | None,
) -> str:
    cid = str(creator["creator_id"])
    flagged = scored["flagged"].to_numpy(dtype=bool)
    share, low, high = (
        float(creator["inauthentic_share"]),
        float(creator["inauthentic_share_low"]),
        float(creator["inauthentic_share_high"]),
    )
    facts = [f"{int(creator['likes']):,} likes", f"{int(flagged.sum()):,} flagged by the model"]
    for name in ("category", "platform"):
        if name in creator.index and isinstance(creator[name], str):
            facts.append(f"{name} {creator[name]}")
    facts.append(f"times: {creator['time_resolution']}")
    headline = (
        f'<div class="headline"><div class="score" title="authenticity, 0-100">'
        f"<b>{float(creator['authenticity']):.0f}</b><small>authenticity</small></div>"
        f'<div class="share"><div>Inauthentic share <b>{share:.1%}</b> '
        f"<small>90% interval {low:.1%}-{high:.1%}</small></div>"
        f"{charts.interval_bar(share, low, high, (AUTHENTIC_BELOW, INFLATED_FROM))}</div>"
        f'<div class="facts">{" · ".join(text(f) for f in facts)}</div></div>'
    )
    reasons = "".join(f"<li>{text(r)}</li>" for r in creator["reasons"])
    evidence = _evidence(creator["evidence"])
    figures = [
        _timeline(scored, inputs, flagged, creator),
        _posts(posts),
        _ages(inputs, flagged, reference),
        _scatter(inputs, flagged),
        _rates(creator),
        _audience(creator),
    ]
    body = "".join(f for f in figures if f)
    return (
        f'<section class="creator" id="{_anchor(cid)}"><h2>{text(cid)} {_badge(creator["verdict"])}'
        f'<a class="top" href="#top">overview ↑</a></h2>{headline}'
        f'<div class="why"><ol class="reasons">{reasons}</ol>{evidence}</div>'
        f'<div class="charts">{body}</div></section>'
    )


def _figure(title: str, svg: str, note: str = "") -> str:
    caption = f"<figcaption>{text(title)}" + (f"<small>{text(note)}</small>" if note else "")
    return f"<figure>{caption}</figcaption>{svg}</figure>"


def _missing(title: str, why: str) -> str:
    return (
        f'<figure class="missing"><figcaption>{text(title)}</figcaption><p>{text(why)}</p></figure>'
    )


def _evidence(items: object) -> str:
    rows = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        numbers = ", ".join(
            f"{key.replace('_', ' ')} {_value(value)}"
            for key, value in item.items()
            if key != "condition"
        )
        rows.append(f"<tr><td>{text(str(item.get('condition', '')).replace('_', ' '))}</td>"
                    f"<td>{text(numbers)}</td></tr>")  # fmt: skip
    if not rows:
        return ""
    return f'<table class="evidence"><caption>evidence</caption>{"".join(rows)}</table>'


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1%}" if 0 <= value <= 1 else f"{value:,.1f}"
    return str(value)


def _timeline(
    scored: pd.DataFrame, inputs: pd.DataFrame, flagged: np.ndarray, creator: pd.Series
) -> str:
    title = "Likes over time"
    if "liked_at" not in scored.columns:
        return _missing(title, "The input has no like times.")
    seconds = _seconds(scored["liked_at"])
    known = np.isfinite(seconds)
    if not known.any():
        return _missing(title, "The input has no like times for this creator.")
    published = (
        np.unique(_seconds(inputs["post_published_at"]))
        if "post_published_at" in inputs.columns
        else np.zeros(0)
    )
    published = published[np.isfinite(published)]
    burst = _burst_window(seconds[known], creator)
    note = "flagged in red; ticks along the top: posts published"
    if burst is not None:
        note += (
            f"; shaded: largest burst ({int(creator['largest_burst_likes']):,} likes in "
            f"{float(creator['largest_burst_minutes']):.0f} min)"
        )
    if (~known).any():
        note += f"; {int((~known).sum()):,} likes without a time left out"
    finest = RESOLUTION_SECONDS.get(str(creator["time_resolution"]), 60)
    timeline = charts.likes_timeline(seconds[known], flagged[known], published, burst, finest)
    return _figure(title, timeline, note)


def _burst_window(seconds: np.ndarray, creator: pd.Series) -> tuple[float, float] | None:
    """Where the report's largest burst lies: the window of its length holding most likes."""
    likes = creator.get("largest_burst_likes")
    minutes = creator.get("largest_burst_minutes")
    if likes is None or minutes is None or pd.isna(minutes) or int(likes) <= 0:
        return None
    width = max(float(minutes) * 60.0, 60.0)
    times = np.sort(seconds)
    counts = np.searchsorted(times, times + width, side="right") - np.arange(len(times))
    start = times[int(np.argmax(counts))]
    return float(start), float(start + width)


def _posts(posts: pd.DataFrame) -> str:
    if posts.empty:
        return ""
    likes = posts["likes"].to_numpy(dtype=float)
    flagged = posts["flagged_likes"].to_numpy(dtype=float)
    note = "flagged in red"
    if len(posts) > charts.MAX_POSTS_SHOWN:
        note += f"; the {charts.MAX_POSTS_SHOWN} most liked of {len(posts):,} posts"
    labels = posts["post_id"].astype(str).tolist()
    return _figure("Likes per post", charts.post_bars(labels, likes, flagged), note)


def _ages(inputs: pd.DataFrame, flagged: np.ndarray, reference: AgeReference | None) -> str:
    title = "Liker account age"
    if "account_created_at" not in inputs.columns:
        return _missing(title, "The input has no account creation times.")
    if reference is None:
        return _missing(title, "The model holds no reference of account ages.")
    days = account_age_days(inputs)
    known = np.isfinite(days)
    if not known.any():
        return _missing(title, "No liker of this creator has a known account age.")
    bins = np.searchsorted(reference.edges_days, days[known], side="right")
    size = len(reference.authentic_share)
    share = np.bincount(bins, minlength=size) / known.sum()
    red = np.bincount(bins, weights=flagged[known].astype(float), minlength=size) / known.sum()
    note = "bars: this creator's likes (flagged in red); orange: the model's authentic reference"
    return _figure(
        title, charts.age_bins(reference.edge_labels(), share, red, reference.authentic_share), note
    )


def _scatter(inputs: pd.DataFrame, flagged: np.ndarray) -> str:
    title = "Likers: followers against following"
    if "followers" not in inputs.columns or "following" not in inputs.columns:
        return _missing(title, "The input has no follower and following counts.")
    frame = pd.DataFrame(
        {
            "liker": inputs["liker_id"].to_numpy(),
            "followers": pd.to_numeric(inputs["followers"], errors="coerce").to_numpy(dtype=float),
            "following": pd.to_numeric(inputs["following"], errors="coerce").to_numpy(dtype=float),
            "flagged": flagged,
        }
    ).dropna()
    likers = frame.groupby("liker", sort=False).agg(
        followers=("followers", "first"),
        following=("following", "first"),
        flagged=("flagged", "max"),
    )
    if likers.empty:
        return _missing(title, "No liker of this creator has follower and following counts.")
    note = "flagged likers in red"
    if len(likers) > SCATTER_POINTS:  # at random, so that the mix drawn is the creator's
        picked = np.random.default_rng(0).choice(len(likers), SCATTER_POINTS, replace=False)
        note += f"; {SCATTER_POINTS:,} of {len(likers):,} likers drawn at random"
        likers = likers.iloc[np.sort(picked)]
    return _figure(
        title,
        charts.follow_scatter(
            likers["followers"].to_numpy(),
            likers["following"].to_numpy(),
            likers["flagged"].to_numpy(dtype=bool),
        ),
        note,
    )


def _rates(creator: pd.Series) -> str:
    rate = creator.get("engagement_rate")
    authentic = creator.get("authentic_engagement_rate")
    if rate is None or pd.isna(rate) or authentic is None or pd.isna(authentic):
        return ""
    low = float(rate) * (1 - float(creator["inauthentic_share_high"]))
    high = float(rate) * (1 - float(creator["inauthentic_share_low"]))
    rows = [
        ("engagement rate", float(rate), None, None),
        ("authentic rate", float(authentic), low, high),
    ]
    note = "likes per post over followers; the whisker: the authentic rate's 90% interval"
    return _figure("Engagement rate", charts.rate_bars(rows), note)


def _audience(creator: pd.Series) -> str:
    if not all(column in creator.index for _, column in AUDIENCE):
        return ""
    parts = [(label, float(creator[column])) for label, column in AUDIENCE]
    if any(np.isnan(share) for _, share in parts):
        return ""
    return _figure("Audience", charts.audience_bar(parts), "share of likes by kind of liker")


def _page(
    title: str, report: CreatorReport, overview: str, sections: list[str], left_out: list[str]
) -> str:
    meta = report.meta
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    counts = report.creators["verdict"].value_counts()
    summary = " · ".join(f"{_badge(v)} {int(counts.get(v, 0)):,}" for v in VERDICT_COLOURS)
    notes = [*shift_warnings(report), *left_out]
    used = ", ".join(meta.get("features_used", []))
    missing = ", ".join(sorted(meta.get("features_missing", []))) or "none"
    asset = files("detector.visual")
    style = asset.joinpath("page.css").read_text(encoding="utf-8")
    script = asset.joinpath("page.js").read_text(encoding="utf-8")
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{text(title)}</title>"
        # errors are caught before any other script runs, so a test (or a user) can read them
        "<script>window.addEventListener('error',function(e){var d=document.documentElement;"
        "d.setAttribute('data-errors',(d.getAttribute('data-errors')||'')+String(e.message)+';')});"
        "</script>"
        f"<style>{style}</style></head><body>"
        f'<header id="top"><h1>{text(title)}</h1>'
        f'<p class="sub">{len(report.creators):,} creators · {summary}</p>'
        f'<p class="sub">made {made} by detector {__version__} · rates: '
        f"{text(_rates_method(meta))}</p>"
        + "".join(f'<p class="note">{text(n)}</p>' for n in notes)
        + f"<details><summary>features used ({len(meta.get('features_used', []))})</summary>"
        f"<p>{text(used)}</p><p>left out (inputs absent or times too coarse): {text(missing)}</p>"
        "</details></header>"
        f"<main><h2>Overview</h2>{overview}{''.join(sections)}</main>"
        "<footer>Verdicts: authentic if the share is below "
        f"{AUTHENTIC_BELOW:.0%} and its interval ends below {INFLATED_FROM:.0%}; inflated if the "
        f"share is {INFLATED_FROM:.0%} or more and the interval starts at {INFLATED_LOW_FROM:.0%} "
        "or more; cannot tell "
        "when the evidence allows both; else suspicious.</footer>"
        f"<script>{script}</script></body></html>"
    )


def _rates_method(meta: dict) -> str:
    rates = meta.get("rates")
    return str(rates.get("method", "reference")) if isinstance(rates, dict) else "reference"
