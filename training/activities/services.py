"""Writes of activities, each one transaction under the athlete's row lock (training.services' lock order: the
athlete, then the session's program, then the rows), so an upload, its processing, matching and a hand link of
one athlete serialize.

- `activity_upload`: the file stored, the row created and its job enqueued in the same transaction; the same
  file (SHA-256) again for the athlete returns the existing activity.
- `activity_process` (the worker): reads the file outside any transaction, then records the figures (or the
  error) and matches the activity to a session under the locks.
- `activity_link` / `activity_unlink`: by hand (the API, the admin)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from athletes.models import AthleteProfile, local_day_bounds
from core import events
from core.writes import lock_row, lock_rows

from ..models import Modality, SessionStatus, TrainingProgram, TrainingSession
from ..services import athlete_lock
from . import parsing
from .models import EXTENSIONS, Activity, ActivityStatus

logger = logging.getLogger(__name__)

# The modality a sport fits; a sport not listed here fits every modality.
SPORT_MODALITY = {
    "running": Modality.RUN,
    "cycling": Modality.BIKE,
    "swimming": Modality.SWIM,
    "training": Modality.STRENGTH,
}


class Conflict(Exception):
    """The write cannot be made in the current state (the API answers 409 with the message)."""


def extension_of(name: str) -> str | None:
    """The accepted ending of `name` (`.fit`, `.gpx.gz`, ...), or None for any other file."""
    lowered = name.lower()
    return next((ext for ext in EXTENSIONS if lowered.endswith(ext)), None)


@transaction.atomic
def activity_upload(*, athlete_id, upload, file_name: str, sha256: str) -> tuple[Activity, bool]:
    """Store an uploaded file for the athlete and enqueue its processing; (the activity, created?). The same
    file (by SHA-256) already uploaded for the athlete is returned as it is, nothing written."""
    from .tasks import activity_process_task

    athlete = athlete_lock(athlete_id)  # serializes two uploads of the same file: one row, never an IntegrityError
    if athlete is None:
        raise AthleteProfile.DoesNotExist
    existing = Activity.objects.filter(athlete_id=athlete.pk, sha256=sha256).first()
    if existing is not None:
        return existing, False
    activity = Activity(athlete=athlete, file_name=file_name[:255], sha256=sha256, size_bytes=upload.size)
    # The file is written before the row commits: a rollback leaves an orphan file (docs/operations.md), never a
    # row without its file.
    activity.file.save(activity.file_name, upload, save=False)
    try:
        with transaction.atomic():
            activity.save(force_insert=True)
    except IntegrityError:
        activity.file.delete(save=False)
        raise
    activity_process_task.enqueue(activity_id=str(activity.pk))
    return activity, True


def activity_process(*, activity_id) -> str:
    """The worker's job: read the file, then record its figures (`done`) and match it, or the error (`failed`).
    An activity no longer pending (a job run twice) is left as it is. Never raises for a bad file."""
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None or activity.status != ActivityStatus.PENDING:
        return activity.status if activity else "missing"
    figures, error = None, ""
    try:
        with activity.file.open("rb") as stream:
            figures = parsing.read(stream, name=activity.file_name, limit=settings.ACTIVITY_MAX_BYTES)
    except parsing.ActivityFileError as exc:
        error = str(exc)
    except FileNotFoundError:
        error = "The uploaded file is missing from storage."
    except Exception as exc:
        logger.exception("activity %s: unexpected failure reading its file", activity_id)
        error = f"The file could not be read ({type(exc).__name__})."
    try:
        return _record(activity_id=activity_id, figures=figures, error=error)
    except Exception as exc:  # figures the database refuses, a match that breaks: the file fails, the worker goes on
        logger.exception("activity %s: unexpected failure recording its figures", activity_id)
        return _record(
            activity_id=activity_id, figures=None, error=f"The figures could not be recorded ({type(exc).__name__})."
        )


@transaction.atomic
def _record(*, activity_id, figures: parsing.Figures | None, error: str) -> str:
    stored = Activity.objects.filter(pk=activity_id).values_list("athlete_id", flat=True).first()
    if stored is None:
        return "missing"
    athlete = athlete_lock(stored)
    activity = lock_row(Activity, activity_id)
    if activity.status != ActivityStatus.PENDING:
        return activity.status
    activity.processed_at = timezone.now()
    if figures is None:
        activity.status, activity.error = ActivityStatus.FAILED, error[:2000]
        activity.save()
        return activity.status
    activity.status, activity.error = ActivityStatus.DONE, ""
    activity.sport = figures.sport
    activity.started_at = figures.started_at
    activity.duration_seconds = figures.duration_seconds
    activity.distance_meters = figures.distance_meters
    activity.elevation_gain_meters = figures.elevation_gain_meters
    activity.avg_heart_rate = figures.avg_heart_rate
    activity.max_heart_rate = figures.max_heart_rate
    activity.avg_power_watts = figures.avg_power_watts
    activity.trimp = figures.trimp(athlete.max_heart_rate)
    activity.save()
    session = match_session(activity=activity, athlete=athlete)
    if session is not None:
        _complete(session=session, activity=activity)
    events.event_emit(type=events.ACTIVITY_IMPORTED, athlete_id=activity.athlete_id, resource=activity)
    return activity.status


def match_session(*, activity: Activity, athlete: AthleteProfile) -> TrainingSession | None:
    """Among the athlete's sessions on the activity's local start date that have no activity and whose modality
    fits the sport, the one whose scheduledAt is nearest the start (ties by id); None when there is none."""
    if activity.started_at is None:
        return None
    day = timezone.localtime(activity.started_at, athlete.tzinfo).date()
    first, after_last = local_day_bounds(day, day, athlete.tzinfo)
    candidates = TrainingSession.objects.filter(athlete_id=athlete.pk, activity__isnull=True)
    if first is not None:
        candidates = candidates.filter(scheduled_at__gte=first)
    if after_last is not None:
        candidates = candidates.filter(scheduled_at__lt=after_last)
    modality = SPORT_MODALITY.get(activity.sport)
    if modality is not None:
        candidates = candidates.filter(modality=modality)
    rows = list(candidates.only("pk", "program_id", "scheduled_at"))
    if not rows:
        return None
    return min(rows, key=lambda s: (abs((s.scheduled_at - activity.started_at).total_seconds()), s.pk))


def _complete(*, session: TrainingSession, activity: Activity) -> TrainingSession:
    """Mark the session completed by the activity: completedAt its end, actualDurationMinutes its minutes
    rounded half up (1–1440). The session's program, then the session, locked (the athlete's lock is held) and
    the session read again under them."""
    lock_rows(TrainingProgram, {session.program_id})
    session = lock_row(TrainingSession, session.pk)
    if session.activity_id is not None:
        raise Conflict("This session already has an activity.")
    session.activity = activity
    session.status = SessionStatus.COMPLETED
    session.completed_at = activity.ended_at
    minutes = ((activity.duration_seconds or 0) + 30) // 60  # half a minute rounds up
    session.actual_duration_minutes = min(1440, max(1, minutes))
    session.save(update_fields=["activity", "status", "completed_at", "actual_duration_minutes"])
    item = [(session.athlete_id, session)]
    events.events_announce([(events.SESSION_UPDATED, item), (events.SESSION_COMPLETED, item)])
    return session


@transaction.atomic
def activity_link(*, activity: Activity, session_id) -> TrainingSession:
    """Link an activity to a session of the same athlete by hand, completing it as a match does. ValidationError:
    another athlete's session or a failed activity; Conflict: the session or the activity already linked, or the
    activity not processed yet."""
    athlete = athlete_lock(activity.athlete_id)
    activity = lock_row(Activity, activity.pk)
    session = TrainingSession.objects.filter(pk=session_id).only("athlete_id", "program_id", "activity_id").first()
    if session is None or session.athlete_id != athlete.pk:
        raise ValidationError({"session_id": ["Not a session of this activity's athlete."]})
    if activity.status == ActivityStatus.PENDING:
        raise Conflict("The activity is still being processed; link it once it is done.")
    if activity.status == ActivityStatus.FAILED:
        raise ValidationError({"non_field_errors": ["A failed activity cannot complete a session."]})
    if TrainingSession.objects.filter(activity_id=activity.pk).exists():
        raise Conflict("This activity already completes a session; unlink it first (admin).")
    if session.activity_id is not None:
        raise Conflict("This session already has an activity.")
    return _complete(session=session, activity=activity)


@transaction.atomic
def activity_match(*, activity: Activity) -> TrainingSession | None:
    """Match a processed activity that completes no session yet, as the worker does (the admin's action); the
    session it completed, or None."""
    athlete = athlete_lock(activity.athlete_id)
    activity = lock_row(Activity, activity.pk)
    if activity.status != ActivityStatus.DONE or TrainingSession.objects.filter(activity_id=activity.pk).exists():
        return None
    session = match_session(activity=activity, athlete=athlete)
    return _complete(session=session, activity=activity) if session is not None else None


@transaction.atomic
def activity_unlink(*, activity: Activity) -> bool:
    """Remove the link between an activity and the session it completed (the session keeps its status, completedAt
    and actualDurationMinutes: the coach corrects them if the match was wrong). False: it had none."""
    athlete_lock(activity.athlete_id)
    session = TrainingSession.objects.filter(activity_id=activity.pk).only("pk", "program_id").first()
    if session is None:
        return False
    lock_rows(TrainingProgram, {session.program_id})
    session = lock_row(TrainingSession, session.pk)
    if session.activity_id != activity.pk:
        return False
    session.activity = None
    session.save(update_fields=["activity"])
    return True
