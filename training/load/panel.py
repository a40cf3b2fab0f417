"""`{% athlete_load_panel athlete %}`: the athlete change page's load chart (the athletes app imports no training
code; its template loads this library as `training_load`, the name training/templatetags/training_load.py
gives it: Django finds tag libraries only in an app's `templatetags` package)."""

from django import template
from django.template.loader import render_to_string
from django.urls import reverse

from . import queries
from .charts import render_load_chart

register = template.Library()

CHART_DAYS = 84


@register.simple_tag
def athlete_load_panel(athlete):
    """The last 84 days (the API's default window) up to the athlete's today, as a chart with a CSV link."""
    end = queries.athlete_today(athlete)
    start = end.fromordinal(end.toordinal() - CHART_DAYS + 1)
    series = queries.athlete_series(athlete, start=start, end=end)
    return render_to_string(
        "admin/training/athleteload/panel.html",
        {
            "chart": render_load_chart(series.days),
            "start": start,
            "end": end,
            "latest": series.days[-1],
            "week": series.weeks[-1],
            "csv_url": reverse("athlete-load", args=[athlete.pk]) + f"?from={start}&to={end}&format=csv",
        },
    )
