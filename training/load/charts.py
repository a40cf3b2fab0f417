"""An athlete's training load drawn by the server as inline SVG (no JavaScript, no CDN), from the published days.

Two panels over the same days: daily load bars with the fitness, fatigue and form lines (one axis, form may be
negative), and below it the rolling and EWMA ACWR with the 0.8–1.3 band marked.
"""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..charts import format_number, nice_max, svg_legend
from .formulas import DayFigures, time_constants

BAND_LOW, BAND_HIGH = 0.8, 1.3
COLORS = {"load": "#9fb8d0", "fitness": "#1565c0", "fatigue": "#c2185b", "form": "#2e7d32", "acwr": "#b35900"}


def _or_dash(value) -> str:
    return "—" if value is None else str(value)


def _polyline(points: list[tuple[float, float | None]], css: str, color: str, dash: str = "") -> list[str]:
    """One <polyline> per run of non-null points (a null breaks the line)."""
    parts, run = [], []
    for x, y in [*points, (0, None)]:
        if y is None:
            if len(run) > 1:
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                parts.append(
                    f'<polyline class="{css}" fill="none" stroke="{color}" stroke-width="1.8"{dash_attr} points="'
                    + " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
                    + '"/>'
                )
            run = []
        else:
            run.append((x, y))
    return parts


def render_load_chart(days: list[DayFigures]) -> SafeString:
    """The SVG for `days` (published figures, oldest first)."""
    if not days or not any(d.load or d.fitness or d.fatigue for d in days):
        return mark_safe('<p class="help load-chart-empty">No completed sessions with a load in this period yet.</p>')
    left, right, top, gap, bottom = 48, 20, 30, 34, 30
    slot = max(3.0, min(12.0, 840 / len(days)))
    plot_w, load_h, ratio_h = slot * len(days), 190, 100
    width, height = left + plot_w + right, top + load_h + gap + ratio_h + bottom
    # One axis for load and the three lines (form may be negative): ticks every `step`, a 1/2/5 × 10^n.
    high = max(max(d.load, d.fitness, d.fatigue, d.form) for d in days)
    low = min(0.0, min(d.form for d in days))
    step = nice_max((high - low) / 4)
    low_value, top_value = -math.ceil(-low / step) * step, math.ceil(high / step) * step
    ticks = [low_value + step * i for i in range(round((top_value - low_value) / step) + 1)]
    ratio_max = max(2.0, *(v or 0 for d in days for v in (d.acwr, d.acwr_ewma)))
    ratio_top = top + load_h + gap

    def y_load(v: float) -> float:
        return top + load_h * (top_value - v) / (top_value - low_value)

    def y_ratio(v: float) -> float:
        return ratio_top + ratio_h * (ratio_max - min(v, ratio_max)) / ratio_max

    def x_mid(i: int) -> float:
        return left + i * slot + slot / 2

    first, last = days[0].date.isoformat(), days[-1].date.isoformat()
    latest = days[-1]
    parts = [
        # Scales down to the page's width (viewBox), never up beyond its drawn size.
        f'<svg xmlns="http://www.w3.org/2000/svg" class="load-chart" role="img" width="{width:.0f}" '
        f'height="{height}" viewBox="0 0 {width:.0f} {height}" style="max-width:100%;height:auto" '
        'font-family="sans-serif" font-size="11" aria-labelledby="load-chart-title load-chart-desc">',
        f'<title id="load-chart-title">Training load {escape(first)} to {escape(last)}</title>',
        '<desc id="load-chart-desc">'
        + escape(
            f"Latest day {last}: load {format_number(latest.load)}, fitness {latest.fitness}, "
            f"fatigue {latest.fatigue}, form {latest.form}, ACWR {_or_dash(latest.acwr)}, "
            f"EWMA ACWR {_or_dash(latest.acwr_ewma)}."
        )
        + "</desc>",
    ]
    # Load panel: grid, bars, lines.
    for v in ticks:
        y = y_load(v)
        parts.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{format_number(v)}</text>')
    zero = y_load(0)
    bar_w = max(1.5, slot - 2)
    for i, d in enumerate(days):
        if d.load:
            y = y_load(d.load)
            parts.append(
                f'<rect class="bar-load" data-date="{d.date.isoformat()}" data-value="{d.load}" '
                f'x="{left + i * slot + (slot - bar_w) / 2:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{zero - y:.1f}" fill="{COLORS["load"]}"><title>{d.date.isoformat()}: load '
                f"{format_number(d.load)} ({d.sessions} sessions)</title></rect>"
            )
    for key in ("fitness", "fatigue", "form"):
        parts += _polyline(
            [(x_mid(i), y_load(getattr(d, key))) for i, d in enumerate(days)], f"line-{key}", COLORS[key]
        )
    parts.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#555"/>')
    # Ratio panel: the 0.8–1.3 band, rolling and EWMA ACWR.
    band_top, band_bottom = y_ratio(BAND_HIGH), y_ratio(BAND_LOW)
    parts.append(
        f'<rect class="acwr-band" x="{left}" y="{band_top:.1f}" width="{plot_w:.1f}" '
        f'height="{band_bottom - band_top:.1f}" fill="#2e7d32" fill-opacity="0.12">'
        f"<title>ACWR {BAND_LOW}–{BAND_HIGH}</title></rect>"
    )
    for v in (0, BAND_LOW, 1.0, BAND_HIGH, ratio_max):
        y = y_ratio(v)
        parts.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        if v != 1.0:  # 1.0 sits between 0.8 and 1.3: its label would overlap theirs
            parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{v:g}</text>')
    parts += _polyline(
        [(x_mid(i), None if d.acwr is None else y_ratio(d.acwr)) for i, d in enumerate(days)],
        "line-acwr",
        COLORS["acwr"],
    )
    parts += _polyline(
        [(x_mid(i), None if d.acwr_ewma is None else y_ratio(d.acwr_ewma)) for i, d in enumerate(days)],
        "line-acwr-ewma",
        COLORS["acwr"],
        dash="4 3",
    )
    parts.append(f'<text x="4" y="{ratio_top - 8}" fill="#555">ACWR</text>')
    # Date labels under the ratio panel: about eight, on Mondays when the window is long.
    every = max(1, len(days) // 8)
    for i, d in enumerate(days):
        if i % every == 0:
            parts.append(
                f'<text x="{x_mid(i):.1f}" y="{ratio_top + ratio_h + 16}" text-anchor="middle" '
                f'fill="#555">{d.date.isoformat()[5:]}</text>'
            )
    # Legend along the top (the time constants are the deployment's settings).
    fitness_days, fatigue_days = time_constants()
    legend = (
        ("rect", COLORS["load"], "daily load"),
        ("line", COLORS["fitness"], f"fitness ({fitness_days} d)"),
        ("line", COLORS["fatigue"], f"fatigue ({fatigue_days} d)"),
        ("line", COLORS["form"], "form"),
        ("line", COLORS["acwr"], "ACWR 7:28"),
        ("dash", COLORS["acwr"], "ACWR EWMA"),
        ("band", "#2e7d32", "0.8–1.3"),
    )
    parts += svg_legend(legend, x=left, baseline=top - 11, char_width=7, dash="4 3")
    parts.append("</svg>")
    # Every interpolated value is a number, an ISO date, or a constant; the text is escaped.
    return mark_safe("".join(parts))  # noqa: S308
