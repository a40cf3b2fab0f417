"""The last 28 days of an athlete's wellness drawn by the server as inline SVG (no JavaScript, no CDN): a bar a day
for the wellness score (5–25), the days without an entry marked "–", an "ill" label over days of illness, and the
rMSSD as a line on its own scale. Every value is also in the table the panel prints beside it."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from training.charts import svg_legend

SCORE_BAR, LOW_BAR, HRV_LINE = "#5c8fbf", "#c0392b", "#6a1b9a"


def render_wellness_chart(entries: dict, *, end: date, days: int = 28, low: set | None = None) -> SafeString:
    """The SVG for the `days` days up to `end`; `entries` maps a date to its entry; `low` the dates whose score is
    flagged low (drawn red, and named so in each bar's title)."""
    low = low or set()
    left, right, top, bottom = 40, 44, 30, 30
    slot = 22
    plot_w, plot_h = slot * days, 160
    width, height = left + plot_w + right, top + plot_h + bottom
    first = end - timedelta(days=days - 1)
    hrv_values = [e.hrv_rmssd for e in entries.values() if e.hrv_rmssd]
    hrv_top = max([100.0, *hrv_values]) * 1.1

    def y_score(v):
        return top + plot_h * (25 - v) / 25

    def y_hrv(v):
        return top + plot_h * (hrv_top - v) / hrv_top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wellness-chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="max-width:100%;height:auto" font-family="sans-serif" font-size="11" '
        'aria-labelledby="wellness-chart-title">',
        f'<title id="wellness-chart-title">Wellness {first.isoformat()} to {end.isoformat()}</title>',
    ]
    for v in (5, 10, 15, 20, 25):
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y_score(v):.1f}" y2="{y_score(v):.1f}" stroke="#ddd"/>'
        )
        parts.append(f'<text x="{left - 6}" y="{y_score(v) + 4:.1f}" text-anchor="end" fill="#555">{v}</text>')
    points = []
    for i in range(days):
        day = first + timedelta(days=i)
        x = left + i * slot
        entry = entries.get(day)
        if entry is None:
            parts.append(
                f'<text class="no-entry" x="{x + slot / 2:.1f}" y="{top + plot_h - 4}" text-anchor="middle" '
                f'fill="#999">–<title>{day.isoformat()}: no entry</title></text>'
            )
            continue
        score = entry.wellness_score
        color = LOW_BAR if day in low else SCORE_BAR
        label = f"{day.isoformat()}: score {score}/25" + (" (low)" if day in low else "")
        label += f", sleep {entry.sleep_hours} h" if entry.sleep_hours is not None else ""
        label += f", rMSSD {entry.hrv_rmssd} ms" if entry.hrv_rmssd else ""
        label += ", ill" if entry.illness else ""
        css = "score low" if day in low else "score"
        parts.append(
            f'<rect class="{css}" x="{x + 3}" y="{y_score(score):.1f}" width="{slot - 6}" '
            f'height="{top + plot_h - y_score(score):.1f}" fill="{color}"><title>{escape(label)}</title></rect>'
        )
        if entry.illness:
            parts.append(
                f'<text class="ill" x="{x + slot / 2:.1f}" y="{y_score(score) - 4:.1f}" text-anchor="middle" '
                'fill="#8e0000" font-weight="bold">ill</text>'
            )
        if entry.hrv_rmssd:
            points.append((x + slot / 2, y_hrv(entry.hrv_rmssd)))
    if len(points) > 1:
        parts.append(
            f'<polyline class="hrv" fill="none" stroke="{HRV_LINE}" stroke-width="1.8" points="'
            + " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            + '"/>'
        )
    for v in (0.25, 0.5, 0.75, 1.0):
        value = hrv_top * v
        parts.append(f'<text x="{left + plot_w + 4}" y="{y_hrv(value) + 4:.1f}" fill="{HRV_LINE}">{value:.0f}</text>')
    for i in range(0, days, 7):
        day = first + timedelta(days=i)
        parts.append(
            f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#555">'
            f"{day.isoformat()}</text>"
        )
    legend = (
        ("rect", SCORE_BAR, "wellness score (5–25)"),
        ("rect", LOW_BAR, "score low (z ≤ −1.5)"),
        ("line", HRV_LINE, "rMSSD, ms (right scale)"),
    )
    parts += svg_legend(legend, x=left, baseline=14, char_width=6, dash="")
    parts.append("</svg>")
    # Every interpolated value is a number, an ISO date, a constant or escaped text.
    return mark_safe("".join(parts))  # noqa: S308
