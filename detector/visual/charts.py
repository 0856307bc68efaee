"""The creator report's charts, each a function of plain arrays that returns one ``<svg>``.

They know nothing of the model or of pandas: :mod:`detector.visual.page` picks a creator's
likes and the model's reference and passes numbers, so each chart can be read (and tested) alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from detector.visual.svg import (
    AUTHENTIC,
    FLAGGED,
    GRID,
    INK,
    MUTED,
    REFERENCE,
    Canvas,
    count_label,
    log_ticks,
    nice_ticks,
    number,
)

BIN_SECONDS = (
    60,
    300,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86400,
    7 * 86400,
    30 * 86400,
)
"""Bin widths of the likes timeline: the first that gives at most :data:`MAX_BINS` bins."""
MAX_BINS = 120
MAX_POSTS_SHOWN = 12
"""Posts drawn in the per-post chart (the most liked); the rest are counted under it."""


def interval_bar(share: float, low: float, high: float, marks: Sequence[float]) -> str:
    """The inauthentic share on a 0-100% track: the 90% interval as a band, the estimate as a
    tick, and the verdict thresholds ``marks`` as dashed lines labelled above the track."""
    canvas = Canvas(340, 52, (0, 1), (0, 1), margins=(10, 14, 14, 16), label="inauthentic share")
    canvas.rect(0, 1, 0.35, 0.65, GRID)
    canvas.rect(low, high, 0.2, 0.8, FLAGGED, ' opacity="0.35"')
    canvas.rect(share - 0.004, share + 0.004, 0.05, 0.95, FLAGGED)
    for mark in marks:
        canvas.line(mark, 0, mark, 1, MUTED, ' stroke-dasharray="2 2"')
        canvas.write(canvas.x(mark), 10, f"{mark:.0%}", size=9, pixels=True)
    canvas.x_axis([(v, f"{v:.0%}") for v in (0, 0.5, 1)])
    return canvas.svg()


def _bin_width(span: float, finest: int) -> int:
    return next((w for w in BIN_SECONDS if w >= finest and span / w <= MAX_BINS), BIN_SECONDS[-1])


def _time_label(seconds: float, width: int) -> str:
    stamp = np.datetime64(int(seconds), "s").astype("datetime64[m]").astype(str)
    return stamp[5:10] if width >= 86400 else stamp[5:16].replace("T", " ")


def likes_timeline(
    seconds: np.ndarray,
    flagged: np.ndarray,
    published: np.ndarray,
    burst: tuple[float, float] | None,
    finest: int = 60,
) -> str:
    """Likes per time bin, flagged likes stacked in red; the posts' publication times as ticks
    along the top and the creator's largest burst as a shaded band (seconds since the epoch).
    Bins are ``finest`` seconds or wider: what the times resolve (a day for dates)."""
    start, end = float(seconds.min()), float(seconds.max())
    width = _bin_width(end - start, finest)
    start = math.floor(start / width) * width
    bins = max(int((end - start) // width) + 1, 1)
    index = ((seconds - start) // width).astype(np.int64)
    total = np.bincount(index, minlength=bins)
    red = np.bincount(index, weights=flagged.astype(float), minlength=bins)
    top = float(total.max())
    canvas = Canvas(
        560, 190, (start, start + bins * width), (0, top * 1.12), label="likes over time"
    )
    canvas.y_axis([(v, count_label(v)) for v in nice_ticks(0, top)], "likes")
    if burst is not None:
        canvas.rect(
            burst[0], max(burst[1], burst[0] + width), 0, top * 1.12, REFERENCE, ' opacity="0.25"'
        )
    for b in np.flatnonzero(total):
        left = start + b * width
        canvas.rect(left, left + width * 0.9, 0, total[b] - red[b], AUTHENTIC)
        if red[b]:
            canvas.rect(left, left + width * 0.9, total[b] - red[b], total[b], FLAGGED)
    for moment in published[(published >= start) & (published <= start + bins * width)]:
        canvas.line(moment, top * 1.12, moment, top * 1.05, INK)
    ticks = np.linspace(start, start + bins * width, 4)
    canvas.x_axis([(t, _time_label(t, width)) for t in ticks], f"UTC, bins of {_duration(width)}")
    return canvas.svg()


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def post_bars(labels: Sequence[str], likes: np.ndarray, flagged: np.ndarray) -> str:
    """Each of the most liked posts as a bar, its flagged likes in red."""
    order = np.argsort(-likes, kind="stable")[:MAX_POSTS_SHOWN]
    rows = len(order)
    top = float(likes[order].max()) if rows else 1.0
    canvas = Canvas(
        340, 36 + 16 * rows, (0, top * 1.05), (rows, 0), margins=(92, 6, 12, 30), label="posts"
    )
    for row, i in enumerate(order):
        canvas.rect(0, likes[i] - flagged[i], row + 0.15, row + 0.85, AUTHENTIC)
        if flagged[i]:
            canvas.rect(likes[i] - flagged[i], likes[i], row + 0.15, row + 0.85, FLAGGED)
        label = labels[i] if len(labels[i]) <= 14 else "…" + labels[i][-13:]
        canvas.write(88, canvas.y(row + 0.5) + 4, label, anchor="end", size=10, pixels=True)
        canvas.write(
            canvas.x(likes[i]) + 3, canvas.y(row + 0.5) + 4, count_label(likes[i]),
            anchor="start", size=10, pixels=True,
        )  # fmt: skip
    canvas.x_axis([(v, count_label(v)) for v in nice_ticks(0, top, 3)], "likes per post")
    return canvas.svg()


def age_bins(
    edges: Sequence[str],
    creator_share: np.ndarray,
    creator_flagged: np.ndarray,
    reference_share: np.ndarray,
) -> str:
    """The creator's likers per account-age bin (flagged part in red) beside the model's
    authentic reference (orange), the bins being the reference's deciles; ``edges`` label the
    bounds between bins."""
    bins = len(creator_share)
    top = float(max(creator_share.max(), reference_share.max(), 0.01))
    canvas = Canvas(
        360, 180, (0, bins), (0, top * 1.1), margins=(40, 10, 10, 32), label="liker account age"
    )
    canvas.y_axis(percent_ticks(0, top, 3), "likes")
    for b in range(bins):
        authentic = creator_share[b] - creator_flagged[b]
        canvas.rect(b + 0.12, b + 0.88, 0, authentic, AUTHENTIC)
        canvas.rect(b + 0.12, b + 0.88, authentic, creator_share[b], FLAGGED)
        canvas.line(
            b + 0.05, reference_share[b], b + 0.95, reference_share[b], REFERENCE,
            ' stroke-width="2.5"',
        )  # fmt: skip
    # every other bound is labelled: ten labels do not fit under ten bars
    canvas.x_axis([(b + 1, label) for b, label in enumerate(edges) if b % 2 == 0], "account age")
    return canvas.svg()


def follow_scatter(followers: np.ndarray, following: np.ndarray, flagged: np.ndarray) -> str:
    """Each liker by followers (x) and following (y) on log axes; flagged likers in red, drawn
    on top. The diagonal marks following as many as follow."""
    x, y = np.log10(1 + followers), np.log10(1 + following)
    high = float(max(np.nanmax(x, initial=1), np.nanmax(y, initial=1), 1))
    high = math.ceil(high)
    canvas = Canvas(
        300,
        250,
        (0, high),
        (0, high),
        margins=(44, 10, 10, 32),
        label="followers against following",
    )
    ticks = log_ticks(high)
    canvas.y_axis(ticks, "following")
    for value, _ in ticks:
        canvas.line(value, 0, value, high, GRID)
    canvas.line(0, 0, high, high, MUTED, ' stroke-dasharray="3 3"')
    canvas.circles(zip(x[~flagged], y[~flagged], strict=True), 2.2, AUTHENTIC)
    canvas.circles(zip(x[flagged], y[flagged], strict=True), 2.4, FLAGGED)
    canvas.x_axis(ticks, "followers")
    return canvas.svg()


def rate_bars(rows: Sequence[tuple[str, float, float | None, float | None]]) -> str:
    """Rates (label, value, low, high) as horizontal bars, an interval as a whisker."""
    top = max((max(v, h or 0) for _, v, _, h in rows), default=0.0) or 0.01
    canvas = Canvas(
        340, 30 + 26 * len(rows), (0, top * 1.25), (len(rows), 0), margins=(118, 6, 12, 22),
        label="engagement rate",
    )  # fmt: skip
    for row, (label, value, low, high) in enumerate(rows):
        colour = AUTHENTIC if row else MUTED
        canvas.rect(0, value, row + 0.2, row + 0.8, colour)
        if low is not None and high is not None:
            canvas.line(low, row + 0.5, high, row + 0.5, INK, ' stroke-width="1.5"')
        canvas.write(114, canvas.y(row + 0.5) + 4, label, anchor="end", size=10, pixels=True)
        canvas.write(
            canvas.x(max(value, high or 0)) + 4, canvas.y(row + 0.5) + 4, f"{value:.2%}",
            anchor="start", size=10, pixels=True, fill=INK,
        )  # fmt: skip
    canvas.x_axis(percent_ticks(0, top * 1.2, 3))
    return canvas.svg()


def percent_ticks(low: float, high: float, count: int) -> list[tuple[float, str]]:
    """Round shares as percentages, with as many decimals as their step needs."""
    ticks = nice_ticks(low, high, count)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step * 100) + 1e-9))
    return [(v, f"{v * 100:.{decimals}f}%") for v in ticks]


AUDIENCE_COLOURS = ("#4c78a8", "#72b7b2", "#b279a2", FLAGGED)


def audience_bar(parts: Sequence[tuple[str, float]]) -> str:
    """Shares of likes by kind of liker, one stacked bar, with a legend under it."""
    canvas = Canvas(340, 56, (0, 1), (0, 1), margins=(4, 4, 4, 30), label="audience")
    at = 0.0
    for (_, share), colour in zip(parts, AUDIENCE_COLOURS, strict=False):
        if share > 0:
            canvas.rect(at, at + share, 0, 1, colour)
        at += share
    step = (canvas.width - 8) / max(len(parts), 1)
    for i, ((label, share), colour) in enumerate(zip(parts, AUDIENCE_COLOURS, strict=False)):
        x = 4 + i * step
        canvas.add(
            f'<rect x="{number(x)}" y="{canvas.height - 20}" width="9" height="9" fill="{colour}"/>'
        )
        canvas.write(
            x + 12, canvas.height - 12, f"{label} {share:.0%}", anchor="start", size=10, pixels=True
        )
    return canvas.svg()
