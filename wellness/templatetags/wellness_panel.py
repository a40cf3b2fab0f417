"""`{% athlete_wellness_panel athlete user %}`: the athlete change page's last 28 days of wellness, for the users who
read wellness (the athlete's coaches, head coaches and superusers: the change page already shows only athletes the
user sees); nothing for anyone else."""

from __future__ import annotations

import statistics
from datetime import timedelta

from django import template
from django.template.loader import render_to_string

from wellness import readiness
from wellness.charts import render_wellness_chart
from wellness.models import WellnessEntry
from wellness.selectors import VIEW_WELLNESS
from wellness.services import athlete_today

register = template.Library()

CHART_DAYS = 28


def _low_days(entries: dict, first, end) -> set:
    """The days of `first`..`end` whose score is low against the 28 days before each (as readiness judges)."""
    low = set()
    day = first
    while day <= end:
        entry = entries.get(day)
        if entry is not None:
            window = [
                e.wellness_score for d, e in entries.items() if day - timedelta(days=readiness.BASELINE_DAYS) <= d < day
            ]
            if len(window) >= readiness.MIN_BASELINE_VALUES:
                deviation = statistics.pstdev(window)
                if deviation >= readiness.ZERO_DEVIATION:
                    z = (entry.wellness_score - statistics.fmean(window)) / deviation
                    if readiness.round_half_up(z, 2) <= readiness.Z_LOW:
                        low.add(day)
        day += timedelta(days=1)
    return low


@register.simple_tag
def athlete_wellness_panel(athlete, user):
    if not (user.is_active and user.has_perm(VIEW_WELLNESS)):
        return ""
    end = athlete_today(athlete)
    first = end - timedelta(days=CHART_DAYS - 1)
    rows = WellnessEntry.objects.filter(
        athlete=athlete, date__gte=first - timedelta(days=readiness.BASELINE_DAYS), date__lte=end
    ).order_by("date")
    entries = {e.date: e for e in rows}
    today = readiness.readiness_of({athlete.pk: end})[athlete.pk]
    shown = [entries[d] for d in sorted(entries) if d >= first]
    return render_to_string(
        "admin/wellness/panel.html",
        {
            "chart": render_wellness_chart(entries, end=end, days=CHART_DAYS, low=_low_days(entries, first, end)),
            "first": first,
            "end": end,
            "today": today,
            "flag_labels": [readiness.FLAG_LABELS[f] for f in today.flags],
            "recent": list(reversed(shown))[:7],
        },
    )
