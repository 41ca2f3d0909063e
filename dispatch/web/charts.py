"""Charts drawn on the server as inline SVG, each with the table of its numbers.

No script and no ``style`` attributes (a strict Content-Security-Policy must
pass): colours come from CSS classes in ``dashboard.css``, and every series
also differs by something other than colour: a fill pattern (solid, hatched,
dotted) for bars, a marker shape and dash for lines, and numbers printed on
the chart. The SVG is ``role="img"`` named by the figure's caption; the same
numbers are in a table below it for screen readers and for copying.
"""
from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from markupsafe import Markup, escape

W, H = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 24, 48
PATTERNS = ("solid", "hatch", "dots", "cross")
MARKERS = ("circle", "square", "diamond")


def nice_top(value: float) -> float:
    """The axis maximum: four gridline steps of 1, 2 or 5 times a power of ten (whole steps for counts)."""
    if value <= 0:
        return 4
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)
    step = next(m * power for m in steps if m * power >= raw)
    return 4 * max(step, 1) if value >= 4 else 4 * step


@dataclass
class Series:
    name: str
    values: list[float | None]


@dataclass
class Chart:
    """One chart: ``kind`` is ``bars`` (stacked columns), ``lines`` or ``hbars`` (one bar per category)."""

    id: str
    title: str
    kind: str
    categories: list[str]
    series: list[Series]
    fmt: Callable[[float], str] = lambda v: f"{v:g}"
    y_max: float | None = None
    reference: tuple[float, str] | None = None  # a line drawn across, e.g. the budget
    summary: str = ""
    category_header: str = ""
    empty_text: str = ""
    extra_rows: list[list[str]] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return any(v for s in self.series for v in s.values if v)

    def table_rows(self) -> list[list[str]]:
        rows = []
        for i, cat in enumerate(self.categories):
            rows.append([cat] + ["–" if s.values[i] is None else self.fmt(s.values[i]) for s in self.series])
        return rows + self.extra_rows

    def svg(self) -> Markup:
        body = {"bars": self._bars, "lines": self._lines, "hbars": self._hbars}[self.kind]()
        return Markup(
            f'<svg class="chart chart-{self.kind}" viewBox="0 0 {W} {self._height()}" role="img" '
            f'aria-labelledby="{self.id}-title" preserveAspectRatio="xMinYMin meet" data-chart="{self.id}">'
            f'<defs>{self._defs()}</defs>{body}{self._legend()}</svg>')

    # drawing helpers --------------------------------------------------------------
    def _height(self) -> int:
        if self.kind == "hbars":
            return TOP + 30 * max(1, len(self.categories)) + 40 + (20 if self.reference else 0)
        return H

    def _defs(self) -> str:
        p = self.id
        return (
            f'<pattern id="{p}-solid" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" class="pat-0"/></pattern>'
            f'<pattern id="{p}-hatch" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" class="pat-bg-1"/><path d="M-2 2L2 -2M0 8L8 0M6 10L10 6" class="pat-1"/>'
            f'</pattern>'
            f'<pattern id="{p}-dots" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" class="pat-bg-2"/><circle cx="4" cy="4" r="1.8" class="pat-2"/></pattern>'
            f'<pattern id="{p}-cross" width="8" height="8" patternUnits="userSpaceOnUse">'
            f'<rect width="8" height="8" class="pat-bg-3"/><path d="M0 4H8M4 0V8" class="pat-3"/></pattern>')

    def _fill(self, i: int) -> str:
        return f'url(#{self.id}-{PATTERNS[i % len(PATTERNS)]})'

    def _legend(self) -> str:
        if len(self.series) < 2 and not self.reference:
            return ""
        y = self._height() - 12
        x, out = LEFT, []
        for i, s in enumerate(self.series):
            if self.kind == "lines":
                out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" class="line line-{i}"/>'
                           + self._marker(i, x + 9, y - 4))
            else:
                out.append(f'<rect x="{x}" y="{y - 10}" width="14" height="12" fill="{self._fill(i)}" '
                           f'class="swatch"/>')
            out.append(f'<text x="{x + 22}" y="{y}" class="legend">{escape(s.name)}</text>')
            x += 30 + _text_width(s.name)
        if self.reference:
            out.append(f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" class="reference"/>'
                       f'<text x="{x + 22}" y="{y}" class="legend">{escape(self.reference[1])}</text>')
        return "".join(out)

    def _marker(self, i: int, x: float, y: float) -> str:
        shape = MARKERS[i % len(MARKERS)]
        if shape == "circle":
            return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="marker marker-{i}"/>'
        if shape == "square":
            return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" class="marker marker-{i}"/>'
        return f'<path d="M{x:.1f} {y - 5:.1f}l5 5l-5 5l-5 -5z" class="marker marker-{i}"/>'

    def _scale(self) -> float:
        if self.y_max is not None:
            return self.y_max
        if self.kind == "bars":
            top = max((sum(v or 0 for v in col) for col in zip(*(s.values for s in self.series))), default=0)
        else:
            top = max((v or 0 for s in self.series for v in s.values), default=0)
        if self.reference:
            top = max(top, self.reference[0])
        return nice_top(top * 1.05)

    def _axes(self, top: float) -> str:
        plot_h = H - TOP - BOTTOM
        out = []
        for k in range(5):
            value = top * k / 4
            y = TOP + plot_h - plot_h * k / 4
            out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" class="grid"/>'
                       f'<text x="{LEFT - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
                       f'{escape(self.fmt(value))}</text>')
        return "".join(out)

    def _x(self, i: int) -> tuple[float, float]:
        n = max(1, len(self.categories))
        step = (W - LEFT - RIGHT) / n
        return LEFT + step * i, step

    def _cat_labels(self) -> str:
        out = []
        every = max(1, len(self.categories) // 10)
        for i, cat in enumerate(self.categories):
            if i % every:
                continue
            x, step = self._x(i)
            out.append(f'<text x="{x + step / 2:.1f}" y="{H - BOTTOM + 16}" class="tick" text-anchor="middle">'
                       f'{escape(cat)}</text>')
        return "".join(out)

    def _bars(self) -> str:
        top = self._scale()
        plot_h = H - TOP - BOTTOM
        out = [self._axes(top)]
        for i in range(len(self.categories)):
            x, step = self._x(i)
            width = step * 0.64
            y = TOP + plot_h
            total = 0.0
            for j, s in enumerate(self.series):
                v = s.values[i] or 0
                h = plot_h * v / top
                y -= h
                total += v
                if h > 0:
                    out.append(f'<rect x="{x + step * 0.18:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" '
                               f'fill="{self._fill(j)}" class="bar bar-{j}"><title>{escape(s.name)}: '
                               f'{escape(self.fmt(v))}</title></rect>')
            out.append(f'<text x="{x + step / 2:.1f}" y="{y - 4:.1f}" class="value" text-anchor="middle">'
                       f'{escape(self.fmt(total))}</text>')
        return "".join(out) + self._cat_labels()

    def _lines(self) -> str:
        top = self._scale()
        plot_h = H - TOP - BOTTOM
        out = [self._axes(top)]
        labels = len(self.categories) <= 14
        for j, s in enumerate(self.series):
            points = []
            for i, v in enumerate(s.values):
                if v is None:
                    continue
                x, step = self._x(i)
                points.append((x + step / 2, TOP + plot_h - plot_h * v / top, v))
            if len(points) > 1:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _v in points)
                out.append(f'<polyline points="{path}" class="line line-{j}" fill="none"/>')
            for px, py, v in points:
                out.append(self._marker(j, px, py))
                if labels:
                    dy = -8 if j % 2 == 0 else 16
                    out.append(f'<text x="{px:.1f}" y="{py + dy:.1f}" class="value" text-anchor="middle">'
                               f'{escape(self.fmt(v))}</text>')
        return "".join(out) + self._cat_labels()

    def _hbars(self) -> str:
        top = self._scale()
        x0 = 230
        plot_w = W - RIGHT - x0 - 70
        out = []
        for i, cat in enumerate(self.categories):
            y = TOP + 30 * i
            v = self.series[0].values[i] or 0
            w = plot_w * v / top
            out.append(f'<text x="{x0 - 8}" y="{y + 15}" class="tick" text-anchor="end">{escape(_short(cat))}</text>'
                       f'<rect x="{x0}" y="{y + 3}" width="{max(w, 0):.1f}" height="18" fill="{self._fill(i % 2)}" '
                       f'class="bar bar-{i % 2}"><title>{escape(cat)}: {escape(self.fmt(v))}</title></rect>'
                       f'<text x="{x0 + w + 6:.1f}" y="{y + 16}" class="value">{escape(self.fmt(v))}</text>')
        if self.reference:
            rx = x0 + plot_w * self.reference[0] / top
            bottom = TOP + 30 * len(self.categories)
            out.append(f'<line x1="{rx:.1f}" y1="{TOP - 6}" x2="{rx:.1f}" y2="{bottom + 4}" class="reference"/>'
                       f'<text x="{rx:.1f}" y="{bottom + 18}" class="value" text-anchor="middle">'
                       f'{escape(self.reference[1])}</text>')
        return "".join(out)


def _short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _text_width(text: str) -> int:
    """About how wide a legend label is drawn: a Chinese character takes the width of nearly two Latin ones
    (8 px a Latin character was all the legend allowed, so Chinese labels ran into the next one)."""
    return sum(14 if unicodedata.east_asian_width(ch) in ("W", "F") else 8 for ch in text)
