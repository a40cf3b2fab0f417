"""Reads for the training-load figures: who may see whose load, and daily sums grouped by the database.

A session counts on the athlete-local calendar day of its `scheduled_at` (the day it was planned for: a
session done late and logged after midnight still belongs to the day in the plan). The sums are grouped in
SQL by that local date, training.local_time.LocalDate, with the zone name from the athlete's row.

The recurrences (training.load.formulas) depend on every day since the athlete's first session, so each read
takes the whole history up to the last day it needs, one row per athlete-day: exact figures, no cut-off.

The reads return typed figures (`LoadSeries`, `LoadSummary`), as published (rounded, see
`formulas.DayFigures.published`); the API (training.load.api) writes them as JSON, the admin sorts and prints
them.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db import connections, models
from django.db.models import Count, Q, Sum, Value
from django.db.models.functions import Cast
from django.utils import timezone

from athletes.models import AthleteProfile, local_day_bounds
from athletes.selectors import athlete_list

from ..compliance.rules import week_compliance
from ..local_time import LocalDate
from ..models import SessionStatus, TrainingSession
from ..season.models import SeasonEvent
from . import formulas
from .formulas import DayFigures, DayTotals, WeekFigures

_COMPLETED = Q(status=SessionStatus.COMPLETED)


@dataclass(frozen=True, slots=True)
class EventFigures:
    """A season event of the window with the (possibly projected) figures of its day."""

    id: uuid.UUID
    date: date
    name: str
    priority: str
    fitness: float
    fatigue: float
    form: float


@dataclass(frozen=True, slots=True)
class LoadSeries:
    """An athlete's published figures for each local day `start`..`end` and each ISO week that meets it, and the
    athlete's events in the window."""

    athlete_id: uuid.UUID
    timezone: str
    start: date
    end: date
    days: list[DayFigures]
    weeks: list[WeekFigures]
    events: list[EventFigures]


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """One athlete's published figures on one local day, with the figures of its ISO week and the flags."""

    athlete_id: uuid.UUID
    display_name: str
    date: date
    load: float
    acute: float
    chronic: float
    acwr: float | None
    acwr_ewma: float | None
    fitness: float
    fatigue: float
    form: float
    week_load: float
    monotony: float | None
    strain: float | None
    flags: list[str]
    week_compliance: dict | None  # the ISO week's load over its planned load (training.compliance.rules)


def load_athletes_visible_to(user) -> models.QuerySet[AthleteProfile]:
    """The athletes whose load `user` may see: the athletes they may see at all (athletes.selectors)."""
    return athlete_list(user=user)


def _grouped(sessions: models.QuerySet, day: models.Expression, *, by_athlete: bool) -> list[tuple]:
    """([athlete_id,] day, load, planned load, completed sessions) per (athlete and) local day.

    The ORM writes the SQL (so it stays portable); the rows are fetched with a plain cursor, without the ORM's
    per-value converters, and the sums arrive as floats: the summary reads a row per athlete-day of history."""
    fields = ["athlete_id", "day"] if by_athlete else ["day"]
    queryset = (
        sessions.annotate(day=day)
        .order_by()
        .values(*fields)
        .annotate(
            load_sum=Cast(Sum("load", filter=_COMPLETED), models.FloatField()),
            planned_sum=Cast(Sum("planned_load"), models.FloatField()),
            completed=Count("pk", filter=_COMPLETED),
        )
        .values_list(*fields, "load_sum", "planned_sum", "completed")
    )
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _as_date(value) -> date:
    # Through a plain cursor SQLite gives dates as ISO strings; PostgreSQL as dates.
    return value if isinstance(value, date) else date.fromisoformat(value)


def athlete_daily_totals(athlete: AthleteProfile, until: date) -> tuple[date | None, dict[date, DayTotals]]:
    """(the local date of the athlete's first session, or None, {local day: totals}) for every day up to
    `until`; one query."""
    _, after_last = local_day_bounds(until, until, athlete.tzinfo)
    sessions = TrainingSession.objects.filter(athlete=athlete)
    if after_last is not None:
        sessions = sessions.filter(scheduled_at__lt=after_last)
    rows = _grouped(sessions, LocalDate("scheduled_at", Value(athlete.timezone)), by_athlete=False)
    daily = {_as_date(day): DayTotals(ls or 0.0, ps or 0.0, n) for day, ls, ps, n in rows}
    return (min(daily) if daily else None), daily


def athlete_today(athlete: AthleteProfile, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(athlete.tzinfo).date()


def athlete_series(athlete: AthleteProfile, *, start: date, end: date, today: date | None = None) -> LoadSeries:
    """The load series of `athlete` over `start`..`end` (local dates, already validated), the days after `today`
    projected with the planned load; two queries (the daily sums, the events of the window)."""
    first, daily = athlete_daily_totals(athlete, formulas.series_end(end))
    days = [d.published() for d in formulas.day_series(daily, first=first, start=start, end=end, today=today)]
    by_date = {d.date: d for d in days}
    events = [
        EventFigures(pk, day, name, priority, by_date[day].fitness, by_date[day].fatigue, by_date[day].form)
        for pk, day, name, priority in SeasonEvent.objects.filter(athlete=athlete, date__gte=start, date__lte=end)
        .order_by("date", "id")
        .values_list("pk", "date", "name", "priority")
    ]
    return LoadSeries(
        athlete.pk,
        athlete.timezone,
        start,
        end,
        days,
        [w.published() for w in formulas.week_series(daily, start=start, end=end)],
        events,
    )


def summaries(
    athletes: Iterable[AthleteProfile], *, on: date | None = None, now: datetime | None = None
) -> list[LoadSummary]:
    """One summary per athlete (in the order given) for `on`, or each athlete's own today; one query for
    any number of athletes (their whole history, grouped by athlete and local day)."""
    athletes = list(athletes)
    if not athletes:
        return []
    now = now or timezone.now()
    days = {a.pk: on or athlete_today(a, now) for a in athletes}
    # Every local date up to the last Sunday needed ends before that Sunday + 2 days, 00:00 UTC, in any zone
    # (the westernmost, UTC-12, is 12 hours behind); later rows are dropped per athlete below.
    last = max(formulas.series_end(d) for d in days.values())
    sessions = TrainingSession.objects.filter(athlete__in=[a.pk for a in athletes])
    if last < date.max - timedelta(days=2):
        sessions = sessions.filter(scheduled_at__lt=datetime.combine(last + timedelta(days=2), time.min, tzinfo=UTC))
    by_athlete: dict = defaultdict(dict)
    for athlete_id, day, load_sum, planned_sum, completed in _grouped(
        sessions, LocalDate("scheduled_at", "athlete__timezone"), by_athlete=True
    ):
        by_athlete[athlete_id][_as_date(day)] = DayTotals(load_sum or 0.0, planned_sum or 0.0, completed)
    # A raw cursor gives the athlete id as the database stores it (a UUID on PostgreSQL, hex text on SQLite).
    by_athlete = {_as_uuid(athlete_id): daily for athlete_id, daily in by_athlete.items()}
    return [summary(a, days[a.pk], by_athlete.get(a.pk, {})) for a in athletes]


def summary(athlete: AthleteProfile, on: date, daily: dict[date, DayTotals]) -> LoadSummary:
    """The summary of one athlete on `on` from their daily totals (days after the week of `on` are ignored)."""
    end = formulas.series_end(on)
    daily = {d: t for d, t in daily.items() if d <= end}
    first = min(daily) if daily else None
    (day,) = formulas.day_series(daily, first=first, start=on, end=on)
    (week,) = formulas.week_series(daily, start=on, end=on)
    day, week = day.published(), week.published()
    return LoadSummary(
        athlete_id=athlete.pk,
        display_name=athlete.display_name,
        date=day.date,
        load=day.load,
        acute=day.acute,
        chronic=day.chronic,
        acwr=day.acwr,
        acwr_ewma=day.acwr_ewma,
        fitness=day.fitness,
        fatigue=day.fatigue,
        form=day.form,
        week_load=week.load,
        monotony=week.monotony,
        strain=week.strain,
        flags=formulas.flags(acwr=day.acwr, monotony=week.monotony),
        week_compliance=week_compliance(planned_load=week.planned_load, load=week.load),
    )
