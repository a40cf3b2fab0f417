"""An athlete's season drawn by the server as inline SVG (no JavaScript, no CDN): fitness, fatigue and form from the
first session to the last event, the days done drawn solid and the projected ones (the plan, as if done as
planned) dashed over a shaded background, and the events as vertical markers labelled with their priority letter
(so nothing is told by colour alone)."""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..charts import format_number, nice_max, svg_legend
from ..load.charts import COLORS
from ..load.formulas import DayFigures

# An event's marker: line width and dash by priority (A the season's goal, boldest).
PRIORITY_STYLE = {"A": ("#b71c1c", 2.5, ""), "B": ("#6d4c41", 1.6, "6 3"), "C": ("#757575", 1.0, "2 3")}


def _polyline(points, css: str, color: str, dash: str = "") -> str:
    if len(points) < 2:
        return ""
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<polyline class="{css}" fill="none" stroke="{color}" stroke-width="1.8"{dash_attr} points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        + '"/>'
    )


def render_season_chart(days: list[DayFigures], events: list) -> SafeString:
    """The SVG for `days` (published figures, oldest first, the projected ones flagged) and `events` (objects with
    `date`, `name`, `priority`)."""
    if not days:
        return mark_safe('<p class="help season-chart-empty">No sessions and no events yet.</p>')
    left, right, top, bottom = 48, 20, 44, 30
    slot = max(1.0, min(8.0, 900 / len(days)))
    plot_w, plot_h = slot * len(days), 220
    width, height = left + plot_w + right, top + plot_h + bottom
    values = [v for d in days for v in (d.fitness, d.fatigue, d.form)]
    high, low = max(0.0, *values), min(0.0, *values)
    step = nice_max(max(high - low, 1.0) / 4)
    low_value, top_value = -math.ceil(-low / step) * step, math.ceil(high / step) * step or step
    ticks = [low_value + step * i for i in range(round((top_value - low_value) / step) + 1)]

    def y(v: float) -> float:
        return top + plot_h * (top_value - v) / (top_value - low_value)

    def x(i: int) -> float:
        return left + i * slot + slot / 2

    index = {d.date: i for i, d in enumerate(days)}
    first_projected = next((i for i, d in enumerate(days) if d.projected), None)
    first, last = days[0].date.isoformat(), days[-1].date.isoformat()
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="season-chart" role="img" width="{width:.0f}" '
        f'height="{height}" viewBox="0 0 {width:.0f} {height}" style="max-width:100%;height:auto" '
        'font-family="sans-serif" font-size="11" aria-labelledby="season-chart-title season-chart-desc">',
        f'<title id="season-chart-title">Season {escape(first)} to {escape(last)}</title>',
        '<desc id="season-chart-desc">'
        + escape(
            "Fitness, fatigue and form; "
            + ("projected from " + days[first_projected].date.isoformat() if first_projected is not None else "")
            + "; events: "
            + (", ".join(f"{e.priority} {e.name} {e.date.isoformat()}" for e in events) or "none")
        )
        + "</desc>",
    ]
    if first_projected is not None:
        start_x = left + first_projected * slot
        parts.append(
            f'<rect class="projected-zone" x="{start_x:.1f}" y="{top}" width="{left + plot_w - start_x:.1f}" '
            f'height="{plot_h}" fill="#9e9e9e" fill-opacity="0.12"><title>Projected: the plan as planned</title></rect>'
        )
        parts.append(f'<text x="{start_x + 4:.1f}" y="{top + 12}" fill="#555">projected →</text>')
    for v in ticks:
        parts.append(f'<line x1="{left}" x2="{left + plot_w:.1f}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#555">{format_number(v)}</text>')
    for key in ("fitness", "fatigue", "form"):
        done = [(x(i), y(getattr(d, key))) for i, d in enumerate(days) if not d.projected]
        # The projected line starts at the last day done, so the two join.
        ahead_from = max(0, (first_projected or 0) - 1)
        ahead = [(x(i), y(getattr(days[i], key))) for i in range(ahead_from, len(days)) if first_projected is not None]
        parts.append(_polyline(done, f"line-{key}", COLORS[key]))
        parts.append(_polyline(ahead, f"line-{key}-projected", COLORS[key], dash="5 4"))
    for event in events:
        if event.date not in index:
            continue
        color, stroke, dash = PRIORITY_STYLE.get(event.priority, PRIORITY_STYLE["C"])
        ex = x(index[event.date])
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<g class="event event-{escape(event.priority)}"><line x1="{ex:.1f}" x2="{ex:.1f}" y1="{top - 14}" '
            f'y2="{top + plot_h}" stroke="{color}" stroke-width="{stroke}"{dash_attr}/>'
            f'<text x="{ex:.1f}" y="{top - 18}" text-anchor="middle" fill="{color}" font-weight="bold">'
            f"{escape(event.priority)}</text><title>{escape(event.priority)} · {escape(event.name)} · "
            f"{event.date.isoformat()}</title></g>"
        )
    every = max(1, len(days) // 8)
    for i, d in enumerate(days):
        if i % every == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#555">'
                f"{d.date.isoformat()}</text>"
            )
    legend = (
        ("line", COLORS["fitness"], "fitness"),
        ("line", COLORS["fatigue"], "fatigue"),
        ("line", COLORS["form"], "form"),
        ("dash", "#555", "projected (dashed)"),
    )
    parts += svg_legend(legend, x=left, baseline=12, char_width=7, dash="5 4")
    parts.append("</svg>")
    # Every interpolated value is a number, an ISO date, a constant or escaped text.
    return mark_safe("".join(parts))  # noqa: S308
