"""SVG drawn as text: the few shapes the report's charts need, and their axes.

Charts are drawn here, on the server, rather than by a charting library in the browser: the page
then needs no script to show a chart, nothing to fetch, and a chart costs a few kilobytes of
markup, so a report of thousands of creators stays one small file that opens offline.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape

INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
AUTHENTIC = "#4c78a8"
FLAGGED = "#d64545"
REFERENCE = "#f0a202"
VERDICT_COLOURS = {
    "authentic": "#2f855a",
    "suspicious": "#c05621",
    "inflated": "#c53030",
    "cannot tell": "#718096",
}


def text(value: object) -> str:
    """Text or an attribute value, escaped for HTML and SVG alike."""
    return escape(str(value), quote=True)


def number(value: float) -> str:
    """A coordinate: short, so that charts of many points stay small."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


class Canvas:
    """One ``<svg>`` of ``width`` x ``height`` with a plot area inside ``margins`` (left, top,
    right, bottom), and the data ranges its x and y axes map onto that area."""

    def __init__(
        self,
        width: int,
        height: int,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
        margins: tuple[int, int, int, int] = (44, 12, 12, 30),
        label: str = "",
    ) -> None:
        self.width, self.height = width, height
        self.left, self.top, self.right, self.bottom = margins
        # a range may run downwards (rows from the top); an empty one gets a unit's width
        self.x0, self.x1 = x_range if x_range[1] != x_range[0] else (x_range[0], x_range[0] + 1)
        self.y0, self.y1 = y_range if y_range[1] != y_range[0] else (y_range[0], y_range[0] + 1)
        self.label = label
        self.parts: list[str] = []

    def x(self, value: float) -> float:
        span = self.width - self.left - self.right
        return self.left + (value - self.x0) / (self.x1 - self.x0) * span

    def y(self, value: float) -> float:
        span = self.height - self.top - self.bottom
        return self.height - self.bottom - (value - self.y0) / (self.y1 - self.y0) * span

    def add(self, markup: str) -> None:
        self.parts.append(markup)

    def rect(self, x0: float, x1: float, y0: float, y1: float, fill: str, extra: str = "") -> None:
        """A rectangle between data coordinates (x0, y0) and (x1, y1)."""
        left, right = sorted((self.x(x0), self.x(x1)))
        low, high = sorted((self.y(y0), self.y(y1)))
        self.add(
            f'<rect x="{number(left)}" y="{number(low)}" width="{number(max(right - left, 0.6))}" '
            f'height="{number(max(high - low, 0))}" fill="{fill}"{extra}/>'
        )

    def line(
        self, x0: float, y0: float, x1: float, y1: float, stroke: str, extra: str = ""
    ) -> None:
        self.add(
            f'<line x1="{number(self.x(x0))}" y1="{number(self.y(y0))}" x2="{number(self.x(x1))}" '
            f'y2="{number(self.y(y1))}" stroke="{stroke}"{extra}/>'
        )

    def circles(self, points: Iterable[tuple[float, float]], radius: float, fill: str) -> None:
        """Many dots as one path (a dot per zero-length round-capped segment): a tenth of the
        bytes of one ``<circle>`` each."""
        moves = "".join(f"M{number(self.x(a))} {number(self.y(b))}h0" for a, b in points)
        if moves:
            self.add(
                f'<path d="{moves}" stroke="{fill}" stroke-width="{number(2 * radius)}" '
                'stroke-linecap="round" fill="none" opacity="0.75"/>'
            )

    def write(
        self,
        x: float,
        y: float,
        content: object,
        anchor: str = "middle",
        size: int = 11,
        fill: str = MUTED,
        pixels: bool = False,
    ) -> None:
        """Text at data coordinates, or at pixel coordinates with ``pixels``."""
        px, py = (x, y) if pixels else (self.x(x), self.y(y))
        self.add(
            f'<text x="{number(px)}" y="{number(py)}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}">{text(content)}</text>'
        )

    def x_axis(self, ticks: Sequence[tuple[float, str]], title: str = "") -> None:
        base = self.height - self.bottom
        self.add(
            f'<line x1="{self.left}" y1="{base}" x2="{self.width - self.right}" y2="{base}" '
            f'stroke="{MUTED}"/>'
        )
        for i, (value, label) in enumerate(ticks):
            # the outermost labels lean inwards, so that none is cut at the edge
            anchor = "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle"
            x = self.x(value)
            anchor = anchor if x < self.left + 30 or x > self.width - self.right - 30 else "middle"
            self.write(x, base + 13, label, anchor=anchor, pixels=True, size=10)
        if title:
            self.write(
                (self.left + self.width - self.right) / 2, self.height - 3, title, pixels=True
            )

    def y_axis(self, ticks: Sequence[tuple[float, str]], title: str = "") -> None:
        for value, label in ticks:
            self.line(self.x0, value, self.x1, value, GRID)
            self.write(self.left - 4, self.y(value) + 3, label, anchor="end", pixels=True, size=10)
        if title:
            self.add(
                f'<text transform="translate(11 {number((self.top + self.height - self.bottom) / 2)}) '
                f'rotate(-90)" text-anchor="middle" font-size="11" fill="{MUTED}">{text(title)}</text>'
            )

    def svg(self) -> str:
        label = f' aria-label="{text(self.label)}"' if self.label else ""
        return (
            f'<svg class="chart" viewBox="0 0 {self.width} {self.height}" width="{self.width}" '
            f'height="{self.height}" role="img"{label} font-family="inherit">'
            + "".join(self.parts)
            + "</svg>"
        )


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About ``count`` round values (1, 2 or 5 times a power of ten) from ``low`` to ``high``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low]
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda s: abs(math.log(s / raw)))
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def count_label(value: float) -> str:
    """1,234 as 1.2k, 2,000,000 as 2M; whole counts as integers."""
    if abs(value) >= 1_000_000:
        return f"{value / 1e6:.1f}M".replace(".0M", "M")
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def log_ticks(high: float) -> list[tuple[float, str]]:
    """Ticks of an axis of log10(1 + count), at 0, 10, 100, ... up to ``high``."""
    return [
        (math.log10(1 + 10**p) if p else 0.0, count_label(10**p if p else 0))
        for p in range(0, int(high) + 1)
    ]
