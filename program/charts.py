"""Server-side SVG charts for the managers' pages: no JavaScript, no inline style (the CSP
forbids both), readable at 390 px wide.

Each bar has its category label on the line above it (long stage or partner names never
collide with the bars), a value at its end, gridlines with tick values and the value
axis's label under them. The drawing is 360 units wide and shrinks with the card; text is
14 units (12 px at the narrowest). Every string is escaped here: the result is safe to
put in a template as it is."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 360
LEFT = 8
RIGHT = 56  # room for the value printed after the longest bar
LABEL_H = 18
BAR_H = 14
GAP = 10
AXIS_H = 44
LEGEND_H = 22
COLOURS = ("#2458b8", "#a04a00", "#2b7a3d")  # ≥ 4.5:1 on white


@dataclass(frozen=True)
class Bar:
    """One category: its label, a value per series (None: no data) and how each value
    reads ("2.5", "50 %")."""

    label: str
    values: Sequence[float | None]
    shown: Sequence[str]


def nice_step(top: float, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 × 10^n) so `ticks` steps cover `top`."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * power >= raw:
            return float(m * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _num(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:,.0f}"


def hbar_chart(
    *,
    chart_id: str,
    title: str,
    value_label: str,
    bars: Sequence[Bar],
    series: Sequence[str] = (),
    top: float | None = None,
    whole: bool = False,
) -> SafeString:
    """A horizontal bar chart (one bar per series in each category); `whole` for counts
    (ticks on whole numbers)."""
    n_series = max(1, len(series))
    legend = LEGEND_H if len(series) > 1 else 0
    row_h = LABEL_H + n_series * BAR_H + GAP
    plot_w = WIDTH - LEFT - RIGHT
    values = [v for b in bars for v in b.values if v is not None]
    # at least 1 on the scale: a chart of tiny values (0.001 days) still reads 0, 0.25, …
    top = max(top if top is not None else max(values, default=0), 1)
    step = max(nice_step(top), 1.0) if whole else nice_step(top)
    scale_top = step * max(1, math.ceil(top / step)) if top > 0 else step * 4
    height = legend + max(len(bars), 1) * row_h + AXIS_H
    plot_bottom = legend + max(len(bars), 1) * row_h

    def x(value: float) -> float:
        return round(LEFT + plot_w * value / scale_top, 1)

    out = [
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(value_label)}; the table beside the chart has '
        "the same figures.</desc>",
    ]
    if legend:
        lx = LEFT
        for i, name in enumerate(series):
            out.append(
                f'<rect x="{lx}" y="4" width="12" height="12" fill="{COLOURS[i % 3]}"></rect>'
                f'<text x="{lx + 16}" y="15" font-size="13" fill="#1f2933">{escape(name)}</text>'
            )
            lx += 24 + 8 * len(name)
    # gridlines and ticks
    ticks = round(scale_top / step)
    for t in range(ticks + 1):
        value = t * step
        gx = x(value)
        out.append(
            f'<line x1="{gx}" y1="{legend}" x2="{gx}" y2="{plot_bottom}" stroke="#d5dbe3" '
            'stroke-width="1"></line>'
            f'<text x="{gx}" y="{plot_bottom + 16}" font-size="13" text-anchor="middle" '
            f'fill="#3d4752">{_num(value)}</text>'
        )
    out.append(
        f'<text x="{LEFT + plot_w / 2}" y="{plot_bottom + 36}" font-size="14" '
        f'text-anchor="middle" fill="#1f2933">{escape(value_label)}</text>'
    )
    for i, bar in enumerate(bars):
        y0 = legend + i * row_h
        out.append(
            f'<text x="{LEFT}" y="{y0 + 14}" font-size="14" fill="#1f2933">{escape(bar.label)}</text>'
        )
        for j, (value, shown) in enumerate(zip(bar.values, bar.shown, strict=True)):
            by = y0 + LABEL_H + j * BAR_H
            w = max(0.0, x(value or 0) - LEFT)
            if value:
                out.append(
                    f'<rect x="{LEFT}" y="{by}" width="{w}" height="{BAR_H - 2}" '
                    f'fill="{COLOURS[j % 3]}"></rect>'
                )
            out.append(
                f'<text x="{LEFT + w + 4}" y="{by + BAR_H - 3}" font-size="13" '
                f'fill="#1f2933">{escape(shown)}</text>'
            )
    out.append(
        f'<line x1="{LEFT}" y1="{legend}" x2="{LEFT}" y2="{plot_bottom}" stroke="#3d4752" '
        'stroke-width="1"></line></svg>'
    )
    return mark_safe("".join(out))  # noqa: S308 - every text above is escaped
