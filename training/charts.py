"""A program's week-by-week picture, drawn by the server as inline SVG (no JavaScript, no CDN).

Weeks are counted from the program's start date in the athlete's timezone, like the contract's metrics:
week 1 is the first seven days. "Planned" counts every session scheduled in the week, "completed" the ones
marked completed; load is summed twice: over all the week's sessions that carry a load (the plan) and over
the completed ones (what was done).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import SessionStatus, TrainingProgram


@dataclass
class WeekStats:
    week: int
    planned: int = 0
    completed: int = 0
    planned_load: Decimal = Decimal(0)
    completed_load: Decimal = Decimal(0)


def program_weekly_stats(program: TrainingProgram) -> list[WeekStats]:
    """One entry per week of the program (1 … totalWeeks), from a single query over its sessions."""
    total = program.total_weeks or 0
    weeks = [WeekStats(week=i) for i in range(1, total + 1)]
    tz = program.athlete.tzinfo
    rows = program.sessions.order_by().values_list("scheduled_at", "status", "load")
    for scheduled_at, status, load in rows:
        index = (scheduled_at.astimezone(tz).date() - program.start_date).days // 7
        if not 0 <= index < total:
            continue  # cannot happen for valid data; a chart must not fail on invalid data
        stats = weeks[index]
        stats.planned += 1
        stats.planned_load += load or 0
        if status == SessionStatus.COMPLETED:
            stats.completed += 1
            stats.completed_load += load or 0
    return weeks


def _nice_max(value: float) -> float:
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


def _fmt(value) -> str:
    number = float(value)
    return f"{number:.0f}" if number == int(number) else f"{number:.1f}"


def render_weekly_chart(weeks: list[WeekStats]) -> SafeString:
    """An SVG bar chart (planned vs completed sessions) with load lines on a second axis."""
    if not weeks:
        return mark_safe('<p class="help">No weeks to show yet.</p>')
    left, right, top, bottom = 44, 52, 34, 34
    slot = max(18, min(56, 560 // len(weeks)))
    plot_w, plot_h = slot * len(weeks), 180
    width, height = left + plot_w + right, top + plot_h + bottom
    max_sessions = _nice_max(max(max(w.planned for w in weeks), 1))
    max_load = _nice_max(float(max(max(w.planned_load for w in weeks), 1)))

    def y_sessions(v: float) -> float:
        return top + plot_h - plot_h * v / max_sessions

    def y_load(v) -> float:
        return top + plot_h - plot_h * float(v) / max_load

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="weekly-chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11" '
        'aria-labelledby="weekly-chart-title weekly-chart-desc">',
        '<title id="weekly-chart-title">Sessions and load per week</title>',
        '<desc id="weekly-chart-desc">'
        + escape(
            "; ".join(
                f"week {w.week}: {w.completed} of {w.planned} sessions completed, "
                f"load {_fmt(w.completed_load)} of {_fmt(w.planned_load)}"
                for w in weeks
            )
        )
        + "</desc>",
    ]
    # Grid and axes: sessions on the left, load on the right.
    for i in range(5):
        v = max_sessions * i / 4
        y = y_sessions(v)
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{_fmt(v)}</text>')
        parts.append(f'<text x="{left + plot_w + 6}" y="{y + 4:.1f}" fill="#b35900">{_fmt(max_load * i / 4)}</text>')
    parts.append(
        f'<text x="4" y="{top - 20}" fill="#555">sessions</text>'
        f'<text x="{width - 4}" y="{top - 20}" text-anchor="end" fill="#b35900">load</text>'
    )
    bar_w = max(4, (slot - 8) // 2)
    label_every = max(1, len(weeks) // 16)
    for n, w in enumerate(weeks):
        x = left + n * slot + (slot - 2 * bar_w) / 2
        for offset, value, color, css, label in (
            (0, w.planned, "#9fb8d0", "bar-planned", "planned"),
            (bar_w, w.completed, "#2e7d32", "bar-completed", "completed"),
        ):
            y = y_sessions(value)
            parts.append(
                f'<rect class="{css}" data-week="{w.week}" data-value="{value}" x="{x + offset:.1f}" '
                f'y="{y:.1f}" width="{bar_w}" height="{top + plot_h - y:.1f}" fill="{color}">'
                f"<title>Week {w.week}: {value} {label}</title></rect>"
            )
        if n % label_every == 0:
            parts.append(
                f'<text x="{left + n * slot + slot / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
                f'fill="#555">W{w.week}</text>'
            )
    for attr, css, dash, label in (
        ("planned_load", "load-planned", ' stroke-dasharray="4 3"', "planned load"),
        ("completed_load", "load-completed", "", "completed load"),
    ):
        points = [(left + n * slot + slot / 2, y_load(getattr(w, attr))) for n, w in enumerate(weeks)]
        parts.append(
            f'<polyline class="{css}" fill="none" stroke="#b35900" stroke-width="2"{dash} points="'
            + " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            + '"/>'
        )
        for (px, py), w in zip(points, weeks, strict=True):
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="#b35900">'
                f"<title>Week {w.week}: {label} {_fmt(getattr(w, attr))}</title></circle>"
            )
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#555"/>')
    # Legend along the top.
    legend_y = top - 8
    legend = (
        ("rect", "#9fb8d0", "planned sessions"),
        ("rect", "#2e7d32", "completed sessions"),
        ("dash", "#b35900", "planned load"),
        ("line", "#b35900", "completed load"),
    )
    lx = left + 70
    for kind, color, label in legend:
        if kind == "rect":
            parts.append(f'<rect x="{lx}" y="{legend_y - 8}" width="10" height="10" fill="{color}"/>')
        else:
            dash = ' stroke-dasharray="4 3"' if kind == "dash" else ""
            parts.append(
                f'<line x1="{lx - 2}" x2="{lx + 12}" y1="{legend_y - 3}" y2="{legend_y - 3}" '
                f'stroke="{color}" stroke-width="2"{dash}/>'
            )
        parts.append(f'<text x="{lx + 15}" y="{legend_y + 1}" fill="#333">{label}</text>')
        lx += 15 + 6 * len(label) + 14
    parts.append("</svg>")
    # Every interpolated value above is a number or a constant; the only text (desc) is escaped.
    return mark_safe("".join(parts))  # noqa: S308
