"""The readiness board: for a page of athletes, each one's readiness on a day (their own today by default), the
sessions planned on that local date and the compliance of its ISO week (training.compliance.rules, as the load
summary's `weekCompliance`). Five queries at most for the page, whatever its length: the baselines and the
day's entries (wellness.readiness), and the sessions of the weeks grouped by athlete and local date."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from athletes.models import AthleteProfile
from training.compliance.rules import week_compliance
from training.local_time import LocalDate
from training.models import SessionStatus, TrainingSession

from .readiness import Readiness, readiness_of
from .services import athlete_today


@dataclass(frozen=True, slots=True)
class BoardRow:
    athlete_id: uuid.UUID
    display_name: str
    date: date
    readiness: Readiness
    sessions_today: int
    week_compliance: dict | None


def _week(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def session_days(days: dict) -> dict:
    """{athlete id: {local date: (sessions, load done, planned load)}} over the ISO weeks of `days`; one query.

    The UTC window runs from the day before the earliest Monday to two days after the latest Sunday, which holds
    every local date of those weeks in any zone (local time is within ±14 h of UTC); rows outside an athlete's
    own week are ignored by the caller."""
    if not days:
        return {}
    first = min(_week(d)[0] for d in days.values()) - timedelta(days=1)
    last = max(_week(d)[1] for d in days.values()) + timedelta(days=2)
    rows = (
        TrainingSession.objects.filter(
            athlete_id__in=list(days),
            scheduled_at__gte=datetime.combine(first, time.min, tzinfo=UTC),
            scheduled_at__lt=datetime.combine(last, time.min, tzinfo=UTC),
        )
        .annotate(day=LocalDate("scheduled_at", "athlete__timezone"))
        .order_by()
        .values("athlete_id", "day")
        .annotate(
            sessions=Count("pk"),
            done=Cast(Sum("load", filter=Q(status=SessionStatus.COMPLETED)), FloatField()),
            planned=Cast(Sum("planned_load"), FloatField()),
        )
        .values_list("athlete_id", "day", "sessions", "done", "planned")
    )
    found: dict = defaultdict(dict)
    for athlete_id, day, sessions, done, planned in rows:
        day = day if isinstance(day, date) else date.fromisoformat(day)
        found[athlete_id][day] = (sessions, done or 0.0, planned or 0.0)
    return found


def board(athletes: Iterable[AthleteProfile], *, on: date | None = None, now: datetime | None = None) -> list[BoardRow]:
    """One row per athlete (in the order given) for `on`, or each athlete's own today."""
    athletes = list(athletes)
    if not athletes:
        return []
    now = now or timezone.now()
    days = {a.pk: on or athlete_today(a, now) for a in athletes}
    readiness = readiness_of(days)
    by_day = session_days(days)
    rows = []
    for athlete in athletes:
        day = days[athlete.pk]
        monday, sunday = _week(day)
        daily = by_day.get(athlete.pk, {})
        week = [v for d, v in daily.items() if monday <= d <= sunday]
        rows.append(
            BoardRow(
                athlete_id=athlete.pk,
                display_name=athlete.display_name,
                date=day,
                readiness=readiness[athlete.pk],
                sessions_today=daily.get(day, (0, 0.0, 0.0))[0],
                week_compliance=week_compliance(planned_load=sum(v[2] for v in week), load=sum(v[1] for v in week)),
            )
        )
    return rows
