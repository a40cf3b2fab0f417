"""`{% athlete_load_panel athlete %}`: the athlete change page's load chart (the athletes app imports no training
code; its template loads this library as `training_load`, the name training/templatetags/training_load.py
gives it: Django finds tag libraries only in an app's `templatetags` package)."""

from datetime import timedelta

from django import template
from django.template.loader import render_to_string
from django.urls import reverse

from ..season.charts import render_season_chart
from ..season.models import SeasonEvent
from . import formulas, queries
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
            "fitness_days": formulas.time_constants()[0],
            "fatigue_days": formulas.time_constants()[1],
        },
    )


SEASON_DAYS_AHEAD = 365  # the projection reaches this far past today, as the API's


@register.simple_tag
def athlete_season_panel(athlete):
    """The athlete's season: fitness, fatigue and form from their first session (or their first event, when earlier)
    to their last event (at most a year ahead, as far as the API projects; four weeks ahead without one), the days
    after today projected with the planned load, and the events marked by priority."""
    today = queries.athlete_today(athlete)
    events = list(
        SeasonEvent.objects.filter(athlete=athlete, date__lte=today + timedelta(days=SEASON_DAYS_AHEAD)).order_by(
            "date", "id"
        )
    )
    end = max([today + timedelta(days=28), *(e.date for e in events)])
    first, daily = queries.athlete_daily_totals(athlete, formulas.series_end(end))
    start = min(first or today, *(e.date for e in events), today)
    days = [d.published() for d in formulas.day_series(daily, first=first, start=start, end=end, today=today)]
    by_date = {d.date: d for d in days}
    fitness_days, fatigue_days = formulas.time_constants()
    return render_to_string(
        "admin/training/athleteload/season_panel.html",
        {
            "chart": render_season_chart(days, events),
            "start": start,
            "end": end,
            "today": today,
            "events": [(event, by_date.get(event.date)) for event in events],
            "fitness_days": fitness_days,
            "fatigue_days": fatigue_days,
        },
    )
