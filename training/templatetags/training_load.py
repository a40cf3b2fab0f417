"""`{% athlete_load_panel athlete %}`: the athlete change page's load chart (the athletes app imports no training
code; its template loads this tag)."""

from django import template
from django.template.loader import render_to_string
from django.urls import reverse

from training import load_selectors
from training.load_charts import render_load_chart

register = template.Library()

CHART_DAYS = 84


@register.simple_tag
def athlete_load_panel(athlete):
    """The last 84 days (the API's default window) up to the athlete's today, as a chart with a CSV link."""
    end = load_selectors.athlete_today(athlete)
    start = end.fromordinal(end.toordinal() - CHART_DAYS + 1)
    body = load_selectors.athlete_load(athlete, start=start, end=end)
    latest = body["days"][-1]
    week = body["weeks"][-1]
    return render_to_string(
        "admin/training/athleteload/panel.html",
        {
            "chart": render_load_chart(body["days"]),
            "start": start,
            "end": end,
            "latest": latest,
            "week": week,
            "csv_url": reverse("athlete-load", args=[athlete.pk]) + f"?from={start}&to={end}&format=csv",
        },
    )
