"""An athlete's sessions as an RFC 5545 calendar, built with the `icalendar` library.

The body is a pure function of the rows: `DTSTAMP` is the session's last change (what RFC 5545 asks of a
published calendar without a METHOD), so the same data always gives the same bytes, and the ETag (a hash of
them) changes exactly when an event does. `SEQUENCE` is the session's version, so calendar apps that
re-read the feed update an event in place."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from django.db.models import QuerySet
from icalendar import Calendar, Event

from athletes.models import AthleteProfile, local_day_bounds
from training.models import SessionStatus, TrainingSession
from training.workouts.exports import structure_text
from training.workouts.models import Exercise
from training.workouts.structure import exercise_ids

DAYS_BEFORE, DAYS_AFTER = 90, 365
PRODID = "-//Cadence//Training sessions//EN"
REFRESH = timedelta(hours=1)


def feed_window(athlete: AthleteProfile, now: datetime) -> tuple[datetime, datetime]:
    """[first instant of the day 90 days ago, first instant of the day after 365 days ahead), in the athlete's
    calendar days: the window moves once a day, not with every request."""
    tz = athlete.tzinfo
    today = now.astimezone(tz).date()
    start, end = local_day_bounds(today - timedelta(days=DAYS_BEFORE), today + timedelta(days=DAYS_AFTER), tz)
    return start, end


def feed_sessions(athlete: AthleteProfile, now: datetime) -> QuerySet[TrainingSession]:
    start, end = feed_window(athlete, now)
    return (
        TrainingSession.objects.filter(athlete_id=athlete.pk, scheduled_at__gte=start, scheduled_at__lt=end)
        .select_related("program")
        .only(
            "id",
            "title",
            "scheduled_at",
            "duration_minutes",
            "modality",
            "status",
            "version",
            "updated_at",
            "structure",
            "program__id",
            "program__title",
        )
        .order_by("scheduled_at", "id")
    )


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)  # iCalendar times have whole seconds


def exercise_names(sessions) -> dict[str, str]:
    """{exercise id: name} for every exercise the sessions' structures name, in one query (none without any)."""
    ids = set().union(*(exercise_ids(session.structure) for session in sessions))
    if not ids:
        return {}
    return {str(pk): name for pk, name in Exercise.objects.filter(pk__in=ids).values_list("pk", "name")}


def session_event(session: TrainingSession, names: dict[str, str] | None = None) -> Event:
    event = Event()
    event.add("uid", f"{session.pk}@cadence")
    event.add("dtstamp", _utc(session.updated_at))
    event.add("dtstart", _utc(session.scheduled_at))
    event.add("duration", timedelta(minutes=session.duration_minutes))
    event.add("summary", session.title)
    description = (
        f"Modality: {session.get_modality_display()}\n"
        f"Status: {session.get_status_display()}\n"
        f"Program: {session.program.title}"
    )
    if session.structure:
        # The prescription as written (a %1RM set as its percentage: the feed is read by calendar apps, long
        # after the estimate it would resolve with).
        description += "\n\n" + structure_text(structure=session.structure, exercise_names=names or {})
    event.add("description", description)
    event.add("status", "CANCELLED" if session.status == SessionStatus.SKIPPED else "CONFIRMED")
    event.add("sequence", session.version)
    event.add("last-modified", _utc(session.updated_at))
    return event


def render_calendar(athlete: AthleteProfile, sessions) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", f"Cadence: {athlete.display_name}")  # RFC 7986
    calendar.add("x-wr-calname", f"Cadence: {athlete.display_name}")  # the name older clients read
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})  # RFC 7986
    calendar.add("x-published-ttl", "PT1H")
    sessions = list(sessions)
    names = exercise_names(sessions)
    for session in sessions:
        calendar.add_component(session_event(session, names))
    return calendar.to_ical()


def body_etag(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'
