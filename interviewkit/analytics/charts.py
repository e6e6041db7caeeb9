"""Server-side SVG charts for the numbers pages: no JavaScript, nothing fetched, printable.

Each chart is a complete <svg> with a <title> and a <desc> that screen readers announce and
that list every value, so the chart is never the only place a number is. Shapes use
currentColor (black on paper) with CSS classes the stylesheet may restyle; every label and
title is escaped.
"""

from __future__ import annotations

import hashlib
import itertools
import math

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"
FONT_SIZE = 11

# A page may hold two charts with the same title and data (say, the same panel twice): the
# counter keeps their ids apart, the hash keeps an id readable across renders of one chart.
_serial = itertools.count(1)


def _chart_id(kind: str, title: str, data: object) -> str:
    digest = hashlib.sha256(repr((kind, title, data)).encode()).hexdigest()[:8]
    return f"chart-{digest}-{next(_serial)}"


def _number(value: float | None) -> float | None:
    # NaN and infinities come from divisions upstream; they have no place on an axis.
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _fmt(value: float) -> str:
    # Two decimals at most, no trailing zeros: 3, 0.5, 0.82, -1.25.
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _xy(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _open(chart_id: str, title: str, desc: str, width: float, height: float, kind: str) -> str:
    return (
        f'<svg xmlns="{SVG_NS}" class="chart {kind}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {_xy(width)} {_xy(height)}" width="{_xy(width)}" height="{_xy(height)}" '
        f'font-family="sans-serif" font-size="{FONT_SIZE}" fill="currentColor">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>'
    )


def _no_data(width: float, height: float) -> str:
    return (
        f'<text class="chart-empty" x="{_xy(width / 2)}" y="{_xy(height / 2)}" '
        'text-anchor="middle" dominant-baseline="middle">no data</text>'
    )


def _close(parts: list[str]) -> Markup:
    # Safe to mark: every title, label and description went through escape() above, and
    # everything else is numbers this module formatted.
    return Markup("".join(parts) + "</svg>")  # noqa: S704


def bar_chart(
    title: str,
    bars: list[tuple[str, float | None]],
    *,
    desc: str = "",
    unit: str = "",
    width: int = 360,
    height: int = 160,
) -> Markup:
    """Return an SVG bar chart from 0 to the largest value, each value above its bar."""
    values = [_number(v) for _, v in bars]
    chart_id = _chart_id("bars", title, bars)
    if not desc:
        desc = (
            "; ".join(
                f"{label}: {_fmt(v) + unit if v is not None else 'no value'}"
                for (label, _), v in zip(bars, values, strict=True)
            )
            if bars
            else "No data."
        )
    parts = [_open(chart_id, title, desc, width, height, "chart-bars")]
    if not bars:
        parts.append(_no_data(width, height))
        return _close(parts)

    top, bottom, side = 18.0, 30.0, 6.0  # room for the values above and the labels below
    plot_h = height - top - bottom
    base = top + plot_h
    slot = (width - 2 * side) / len(bars)
    bar_w = slot * 0.7
    # Negative values draw no bar (the axis starts at 0) but still print their number.
    largest = max((v for v in values if v is not None and v > 0), default=0.0)
    parts.append(
        f'<line class="chart-axis" x1="{_xy(side)}" y1="{_xy(base)}" '
        f'x2="{_xy(width - side)}" y2="{_xy(base)}" stroke="currentColor" stroke-width="1"/>'
    )
    for i, ((label, _), value) in enumerate(zip(bars, values, strict=True)):
        centre = side + slot * i + slot / 2
        shown = max(value, 0.0) if value is not None else 0.0
        bar_h = plot_h * shown / largest if largest > 0 else 0.0
        parts.append(
            f'<rect class="chart-bar" x="{_xy(centre - bar_w / 2)}" y="{_xy(base - bar_h)}" '
            f'width="{_xy(bar_w)}" height="{_xy(bar_h)}" fill="currentColor" '
            'fill-opacity="0.6"/>'
        )
        text = _fmt(value) + unit if value is not None else "–"
        parts.append(
            f'<text class="chart-value" x="{_xy(centre)}" y="{_xy(base - bar_h - 4)}" '
            f'text-anchor="middle">{escape(text)}</text>'
        )
        parts.append(
            f'<text class="chart-label" x="{_xy(centre)}" y="{_xy(base + 15)}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return _close(parts)


def _nice_step(span: float, target: int = 5) -> float:
    # A step of 1, 2, 2.5 or 5 times a power of ten giving about `target` ticks.
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def _ticks(lo: float, hi: float) -> list[float]:
    step = _nice_step(hi - lo)
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def interval_chart(
    title: str,
    rows: list[tuple[str, float | None, float | None, float | None]],
    *,
    desc: str = "",
    reference: float = 0.0,
    lo: float | None = None,
    hi: float | None = None,
    width: int = 420,
) -> Markup:
    """Return an SVG dot-and-interval chart, one row per label, with a reference line."""
    clean = [(label, _number(m), _number(a), _number(b)) for label, m, a, b in rows]
    chart_id = _chart_id("intervals", title, rows)
    if not desc:
        desc = "; ".join(_describe(label, m, a, b) for label, m, a, b in clean) or "No data"
        desc += f". Reference line at {_fmt(reference)}." if clean else "."

    row_h, top, axis_h = 22.0, 8.0, 28.0
    height = top + row_h * max(len(clean), 1) + axis_h
    parts = [_open(chart_id, title, desc, width, height, "chart-intervals")]
    if not clean:
        parts.append(_no_data(width, height))
        return _close(parts)

    # The domain: what the caller fixed, else everything drawn plus the reference, widened
    # to whole ticks so the axis ends on a number.
    if lo is not None and hi is not None and hi <= lo:
        raise ValueError(f"lo ({lo}) must be below hi ({hi})")
    seen = [v for _, m, a, b in clean for v in (m, a, b) if v is not None] + [reference]
    low = lo if lo is not None else min(seen)
    high = hi if hi is not None else max(seen)
    if high <= low:  # one value, or every value beyond a fixed end: give the axis a width
        if lo is None and hi is None:
            low, high = low - 1, high + 1
        elif hi is None:
            high = low + 1
        else:
            low = high - 1
    step = _nice_step(high - low)
    if lo is None:
        low = math.floor(low / step + 1e-9) * step
    if hi is None:
        high = math.ceil(high / step - 1e-9) * step
    ticks = _ticks(low, high)

    label_w = min(160.0, width * 0.35)
    value_w = 40.0  # the mean printed at the right end of each row
    left, right = label_w + 8, width - value_w - 8
    plot_bottom = top + row_h * len(clean)

    def x(value: float) -> float:
        # Values beyond a fixed range sit on its edge rather than off the chart.
        value = min(max(value, low), high)
        return left + (value - low) / (high - low) * (right - left)

    parts.append(
        f'<g class="chart-axis" stroke="currentColor" stroke-width="1">'
        f'<line x1="{_xy(left)}" y1="{_xy(plot_bottom)}" x2="{_xy(right)}" '
        f'y2="{_xy(plot_bottom)}"/>'
        + "".join(
            f'<line x1="{_xy(x(t))}" y1="{_xy(plot_bottom)}" x2="{_xy(x(t))}" '
            f'y2="{_xy(plot_bottom + 4)}"/>'
            for t in ticks
        )
        + "</g>"
    )
    parts.extend(
        f'<text class="chart-tick" x="{_xy(x(t))}" y="{_xy(plot_bottom + 16)}" '
        f'text-anchor="middle">{_fmt(t)}</text>'
        for t in ticks
    )
    if low <= reference <= high:
        parts.append(
            f'<line class="chart-reference" x1="{_xy(x(reference))}" y1="{_xy(top)}" '
            f'x2="{_xy(x(reference))}" y2="{_xy(plot_bottom)}" stroke="currentColor" '
            'stroke-width="1" stroke-dasharray="3 3"/>'
        )
    for i, (label, m, a, b) in enumerate(clean):
        y = top + row_h * i + row_h / 2
        parts.append(
            f'<text class="chart-label" x="{_xy(label_w)}" y="{_xy(y)}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(label)}</text>'
        )
        if m is None:
            parts.append(
                f'<text class="chart-value" x="{_xy(left)}" y="{_xy(y)}" '
                'dominant-baseline="middle">no data</text>'
            )
            continue
        if a is not None and b is not None:
            parts.append(
                f'<line class="chart-ci" x1="{_xy(x(min(a, b)))}" y1="{_xy(y)}" '
                f'x2="{_xy(x(max(a, b)))}" y2="{_xy(y)}" stroke="currentColor" '
                'stroke-width="2"/>'
            )
        parts.append(
            f'<circle class="chart-dot" cx="{_xy(x(m))}" cy="{_xy(y)}" r="3.5" '
            'fill="currentColor"/>'
        )
        parts.append(
            f'<text class="chart-value" x="{_xy(width - 4)}" y="{_xy(y)}" text-anchor="end" '
            f'dominant-baseline="middle">{_fmt(m)}</text>'
        )
    return _close(parts)


def _describe(label: str, m: float | None, a: float | None, b: float | None) -> str:
    if m is None:
        return f"{label}: no data"
    if a is None or b is None:
        return f"{label}: {_fmt(m)}"
    return f"{label}: {_fmt(m)} ({_fmt(min(a, b))} to {_fmt(max(a, b))})"
