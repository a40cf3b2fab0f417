"""What compliance needs from the database, computed for the rows of a page: whether a session's local date is
before its athlete's today (a derived column of the sessions list), and a micro-cycle's planned and done loads
(training.metrics' session counts gain them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.db.models.lookups import LessThan

from ..local_time import LocalDate, local_today


def with_before_today(queryset: QuerySet, now: datetime) -> QuerySet:
    """Sessions with `before_today`: their local date (in their athlete's timezone) is before the athlete's today
    at `now`."""
    return queryset.annotate(
        before_today=LessThan(LocalDate("scheduled_at", "athlete__timezone"), local_today(now, "athlete__timezone"))
    )


def _athlete_of(session):
    """The session's athlete, as already loaded with it or with its program (a write's locks read it), else read."""
    cached = session._state.fields_cache
    if "athlete" in cached:
        return cached["athlete"]
    program = cached.get("program")
    if program is not None and program.athlete_id == session.athlete_id and "athlete" in program._state.fields_cache:
        return program._state.fields_cache["athlete"]
    return session.athlete


def before_today_of(session, now: datetime) -> bool:
    """`before_today` for one session read without the column (a write's answer): in Python. A session at `now` or
    later is on the athlete's today or after it, and one two days or more before `now` on an earlier day, in any
    timezone (local times differ from UTC by less than a day); only in between is its athlete's timezone read."""
    if session.scheduled_at >= now:
        return False
    if now - session.scheduled_at >= timedelta(days=2):
        return True
    tz = _athlete_of(session).tzinfo
    return session.scheduled_at.astimezone(tz).date() < now.astimezone(tz).date()
