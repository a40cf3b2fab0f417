"""A program's week-by-week picture, drawn by the server as inline SVG (no JavaScript, no CDN).

Weeks are counted from the program's start date in the athlete's timezone, like the program metrics:
week 1 is the first seven days. "Planned" counts every session scheduled in the week, "completed" the ones
marked completed. Load is shown twice: the coach's plan (the sum of the sessions' `planned_load`) and the
load done (the sum of `load` over the completed sessions). A week that has not started yet (in the
athlete's timezone) shows its plan only: nothing can have been done in it, and drawing 0 would read as a
collapse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import SessionStatus, TrainingProgram

PLANNED_BAR, COMPLETED_BAR = "#9fb8d0", "#2e7d32"
PLANNED_LOAD, DONE_LOAD = "#d08a3c", "#8a3b00"


@dataclass
class WeekStats:
    week: int
    planned: int = 0
    completed: int = 0
    planned_load: Decimal = Decimal(0)
    completed_load: Decimal = Decimal(0)
    future: bool = False  # the week starts after the athlete's today: only the plan is shown
    has_planned_load: bool = False  # some session of the week carries a planned load


def program_weekly_stats(program: TrainingProgram, *, today: date | None = None) -> list[WeekStats]:
    """One entry per week of the program (1 … totalWeeks), from a single query over its sessions.

    `today` is the athlete's local date (default: now in the athlete's timezone)."""
    total = program.total_weeks or 0
    tz = program.athlete.tzinfo
    today = today or timezone.now().astimezone(tz).date()
    weeks = [WeekStats(week=i) for i in range(1, total + 1)]
    for stats in weeks:
        stats.future = (program.start_date - today).days + 7 * (stats.week - 1) > 0
    rows = program.sessions.order_by().values_list("scheduled_at", "status", "load", "planned_load")
    for scheduled_at, status, load, planned_load in rows:
        index = (scheduled_at.astimezone(tz).date() - program.start_date).days // 7
        if not 0 <= index < total:
            continue  # cannot happen for valid data; a chart must not fail on invalid data
        stats = weeks[index]
        stats.planned += 1
        if planned_load is not None:
            stats.planned_load += planned_load
            stats.has_planned_load = True
        if status == SessionStatus.COMPLETED:
            stats.completed += 1
            stats.completed_load += load or 0
    return weeks


def nice_max(value: float) -> float:
    """The smallest 1/2/5 × 10^n at or above `value` (at least 1), for a readable axis."""
    if value <= 1:
        return 1
    magnitude = 1
    while magnitude * 10 < value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def count_ticks(largest: int) -> list[int]:
    """Axis ticks for a count: whole numbers only, 0 first, at most five, the last at or above `largest`."""
    largest = max(int(largest), 1)
    step = math.ceil(largest / 4)
    return list(range(0, math.ceil(largest / step) * step + 1, step))


def format_number(value) -> str:
    number = float(value)
    return f"{number:.0f}" if number == int(number) else f"{number:.1f}"


def svg_legend(items, *, x: float, baseline: float, char_width: int, dash: str, text_class: str = "") -> list[str]:
    """A row of legend entries, each `(kind, color, label)`: a swatch ("rect", a translucent "band", a "line"
    or a "dash"ed line) then its label, each entry as wide as its label. `baseline` is the labels' baseline;
    labels are constants (not escaped)."""
    parts = []
    css = f' class="{text_class}"' if text_class else ""
    for kind, color, label in items:
        if kind in ("rect", "band"):
            opacity = ' fill-opacity="0.25"' if kind == "band" else ""
            parts.append(f'<rect x="{x}" y="{baseline - 9}" width="10" height="10" fill="{color}"{opacity}/>')
        else:
            dashed = f' stroke-dasharray="{dash}"' if kind == "dash" else ""
            parts.append(
                f'<line x1="{x - 2}" x2="{x + 12}" y1="{baseline - 4}" y2="{baseline - 4}" '
                f'stroke="{color}" stroke-width="2"{dashed}/>'
            )
        parts.append(f'<text{css} x="{x + 15}" y="{baseline}" fill="#333">{label}</text>')
        x += 15 + char_width * len(label) + 14
    return parts


def render_weekly_chart(weeks: list[WeekStats]) -> SafeString:
    """An SVG bar chart (planned vs completed sessions) with the planned load and the load done on a second
    axis; the legend lists exactly the series drawn."""
    if not weeks:
        return mark_safe('<p class="help">No weeks to show yet.</p>')
    left, right, top, bottom = 44, 52, 34, 34
    slot = max(18, min(56, 560 // len(weeks)))
    plot_w, plot_h = slot * len(weeks), 180
    # At least wide enough for the legend, however few the weeks.
    width, height = max(left + plot_w + right, 600), top + plot_h + bottom
    ticks = count_ticks(max(w.planned for w in weeks))
    max_sessions = ticks[-1]
    past = [w for w in weeks if not w.future]
    show_planned_load = any(w.has_planned_load for w in weeks)
    show_done_load = any(w.completed for w in past)
    loads = [float(w.planned_load) for w in weeks] + [float(w.completed_load) for w in past]
    max_load = nice_max(max([*loads, 1]))

    def y_sessions(v: float) -> float:
        return top + plot_h - plot_h * v / max_sessions

    def y_load(v) -> float:
        return top + plot_h - plot_h * float(v) / max_load

    def x_center(n: int) -> float:
        return left + n * slot + slot / 2

    def describe(w: WeekStats) -> str:
        text = f"week {w.week}: "
        if w.future:
            text += f"ahead, {w.planned} sessions planned"
        else:
            text += f"{w.completed} of {w.planned} sessions completed"
        if w.has_planned_load:
            text += f", planned load {format_number(w.planned_load)}"
        if not w.future:
            text += f", load done {format_number(w.completed_load)}"
        return text

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="weekly-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" '
        'aria-labelledby="weekly-chart-title weekly-chart-desc">',
        '<title id="weekly-chart-title">Sessions and load per week</title>',
        '<desc id="weekly-chart-desc">' + escape("; ".join(describe(w) for w in weeks)) + "</desc>",
    ]
    # Grid and axes: whole session counts on the left; load on the right (only when a load is drawn).
    for v in ticks:
        y = y_sessions(v)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(
            f'<text class="tick-sessions" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{v}</text>'
        )
    parts.append(f'<text x="4" y="{top - 20}" fill="#555">sessions</text>')
    if show_planned_load or show_done_load:
        for i in range(5):
            y = top + plot_h - plot_h * i / 4
            parts.append(
                f'<text class="tick-load" x="{left + plot_w + 6}" y="{y + 4:.1f}" fill="{DONE_LOAD}">'
                f"{format_number(max_load * i / 4)}</text>"
            )
        parts.append(
            f'<text x="{left + plot_w + right - 4}" y="{top - 20}" text-anchor="end" fill="{DONE_LOAD}">load</text>'
        )
    # Future weeks: a light band, so "ahead" reads at a glance.
    first_future = next((n for n, w in enumerate(weeks) if w.future), None)
    if first_future is not None:
        x = left + first_future * slot
        parts.append(
            f'<rect class="future-weeks" x="{x}" y="{top}" width="{left + plot_w - x}" height="{plot_h}" '
            'fill="#f4f6f8"><title>Weeks ahead: plan only</title></rect>'
        )
    bar_w = max(4, (slot - 8) // 2)
    label_every = max(1, len(weeks) // 16)
    for n, w in enumerate(weeks):
        x = left + n * slot + (slot - 2 * bar_w) / 2
        bars = [(0, w.planned, PLANNED_BAR, "bar-planned", "planned")]
        if not w.future:
            bars.append((bar_w, w.completed, COMPLETED_BAR, "bar-completed", "completed"))
        for offset, value, color, css, label in bars:
            y = y_sessions(value)
            parts.append(
                f'<rect class="{css}" data-week="{w.week}" data-value="{value}" x="{x + offset:.1f}" '
                f'y="{y:.1f}" width="{bar_w}" height="{top + plot_h - y:.1f}" fill="{color}">'
                f"<title>Week {w.week}: {value} {label}</title></rect>"
            )
        if n % label_every == 0:
            parts.append(
                f'<text x="{x_center(n):.1f}" y="{top + plot_h + 14}" text-anchor="middle" fill="#555">W{w.week}</text>'
            )
    series = []
    if show_planned_load:
        series.append(("planned_load", "load-planned", PLANNED_LOAD, ' stroke-dasharray="5 3"', "planned load", weeks))
    if show_done_load:
        series.append(("completed_load", "load-completed", DONE_LOAD, "", "load done", past))
    for attr, css, color, dash, label, shown in series:
        points = [(x_center(weeks.index(w)), y_load(getattr(w, attr)), w) for w in shown]
        parts.append(
            f'<polyline class="{css}" fill="none" stroke="{color}" stroke-width="2"{dash} points="'
            + " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
            + '"/>'
        )
        for px, py, w in points:
            parts.append(
                f'<circle class="{css}-point" data-week="{w.week}" data-value="{format_number(getattr(w, attr))}" '
                f'cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{color}">'
                f"<title>Week {w.week}: {label} {format_number(getattr(w, attr))}</title></circle>"
            )
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#555"/>')
    # Legend along the top: exactly the series drawn above.
    legend = [("rect", PLANNED_BAR, "planned sessions")]
    if past:
        legend.append(("rect", COMPLETED_BAR, "completed sessions"))
    for _attr, _css, color, dash, label, _shown in series:
        legend.append(("dash" if dash else "line", color, label))
    parts += svg_legend(legend, x=left + 70, baseline=top - 7, char_width=6, dash="5 3", text_class="legend-item")
    parts.append("</svg>")
    # Every interpolated value above is a number or a constant; the only text (desc) is escaped.
    return mark_safe("".join(parts))  # noqa: S308
