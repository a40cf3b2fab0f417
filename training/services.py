"""Writes that span rows or must stay correct under concurrent requests.

Views, serializers, admin actions and commands call these; they do not re-implement them. Each is one
transaction. Rules are checked with `full_clean()` after taking a row lock that serializes the writers who
could break them, so on PostgreSQL two concurrent writers cannot both pass the check; the database's own
constraints stay as the last line, and an `IntegrityError` from them is turned into a `ValidationError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from athletes.models import AthleteProfile

from .models import MicroCycle, PlanStatus, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession


def _save_checked(instance, *, lock=None) -> None:
    """full_clean + save in a savepoint; a constraint that fires anyway (a race) becomes a ValidationError."""
    if lock is not None:
        lock()
    instance.full_clean()
    version = instance.version
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        instance.version = version  # save() bumped it in memory; the row kept the old one (ETags read it)
        raise type(instance).integrity_error_as_validation_error(exc) from exc


# The locks are FOR NO KEY UPDATE (no_key=True): they serialize the writers below, yet do not block the
# FOR KEY SHARE lock that an INSERT takes on the rows its foreign keys name. A plain FOR UPDATE on the athlete
# deadlocked program_save (athlete, then program) against session_save (program, then the session INSERT's
# key-share on the athlete).


def athlete_lock(athlete_id) -> AthleteProfile | None:
    """Lock an athlete's row (FOR NO KEY UPDATE) until the transaction ends; the admin and the API take it too."""
    # Serializes every writer that could make a second program of this athlete current.
    return AthleteProfile.objects.select_for_update(no_key=True).filter(pk=athlete_id).first()


def program_lock(program_id) -> TrainingProgram | None:
    """Lock a program's row (FOR NO KEY UPDATE) and return it as read under the lock, athlete attached."""
    # Serializes writers of one program's phases (current flag, order, dates), micro-cycles and sessions.
    program = TrainingProgram.objects.select_for_update(no_key=True).filter(pk=program_id).first()
    if program is not None:
        # The athlete (its timezone) is read in a statement of its own, after the lock: a row joined into the
        # locking query would be the version that query's snapshot saw, even when the query had to wait for
        # a writer (a timezone change holds this lock) that has since committed a new one.
        program.athlete = AthleteProfile.objects.get(pk=program.athlete_id)
    return program


def _stored_program_id(child):
    return type(child)._default_manager.filter(pk=child.pk).values_list("program_id", flat=True).first()


def _lock_parent_program(child) -> None:
    """Lock the child's program, and the program it is stored under when it moves, then re-attach the rows
    it names (program, phase, micro-cycle) as read under those locks.

    A lock only protects what is read after it: clean() must judge against rows as they are now, not copies
    loaded before the lock (e.g. by a serializer resolving `phaseId`) that another writer has since changed.
    Moving a phase or micro-cycle to another program needs its current program's lock too, so it is serialized
    with every writer that names it there; the stored program is re-read under the lock until stable."""
    stored = None if child._state.adding else _stored_program_id(child)
    while True:
        ids = sorted({pk for pk in (child.program_id, stored) if pk is not None})
        locked = {
            program.pk: program
            for program in TrainingProgram.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
        }
        now_stored = None if child._state.adding else _stored_program_id(child)
        if now_stored == stored or now_stored in locked:
            break
        stored = now_stored  # moved by a writer that held the old program's lock meanwhile: lock the new one too
    program = locked.get(child.program_id)
    if program is None:
        return  # a program that does not exist: clean_fields reports it
    program.athlete = AthleteProfile.objects.get(pk=program.athlete_id)
    child.program = program
    if isinstance(child, TrainingSession) and not child.changed(*TrainingSession.PLACEMENT_FIELDS):
        return  # a write that only logs the session: its placement is not judged again (see the model)
    _reattach(child, "phase", ProgramPhase)
    _reattach(child, "micro_cycle", MicroCycle)


def _reattach(child, name: str, model) -> None:
    """Replace a foreign key's cached row with the row as it is now (a missing one is left to clean_fields)."""
    field = next((f for f in type(child)._meta.concrete_fields if f.name == name), None)
    pk = getattr(child, field.attname) if field is not None else None
    if pk is None:
        return
    fresh = model._default_manager.filter(pk=pk).first()
    if fresh is not None:
        setattr(child, name, fresh)


def _lock_athlete_and_program(program: TrainingProgram) -> None:
    # Athlete first, then program (the same order everywhere, so no deadlock): the athlete lock serializes
    # "one current program"; the program lock keeps concurrent phase/cycle/session writes from slipping
    # outside dates that are being changed.
    athlete = athlete_lock(program.athlete_id)
    if athlete is not None:
        program.athlete = athlete  # its timezone as it is now, for the sessions-still-fit check
    if not program._state.adding:
        program_lock(program.pk)


@transaction.atomic
def program_save(*, program: TrainingProgram) -> TrainingProgram:
    """Create or update a program, race-safe for the one-current-program-per-athlete rule."""
    _save_checked(program, lock=lambda: _lock_athlete_and_program(program))
    return program


@transaction.atomic
def program_activate(*, program: TrainingProgram) -> TrainingProgram:
    """Make `program` its athlete's current program; a ValidationError if another one is current."""
    program.status = PlanStatus.CURRENT
    return program_save(program=program)


@transaction.atomic
def phase_save(*, phase: ProgramPhase) -> ProgramPhase:
    """Create or update a phase; the program lock makes overlap, order and current-phase checks race-safe."""
    _save_checked(phase, lock=lambda: _lock_parent_program(phase))
    return phase


@transaction.atomic
def micro_cycle_save(*, micro_cycle: MicroCycle) -> MicroCycle:
    _save_checked(micro_cycle, lock=lambda: _lock_parent_program(micro_cycle))
    return micro_cycle


@transaction.atomic
def session_save(*, session: TrainingSession) -> TrainingSession:
    """Create or update a session; clean() fills the athlete from the program and handles completedAt."""
    _save_checked(session, lock=lambda: _lock_parent_program(session))
    return session


# The foreign keys of a session whose rows the database already guarantees (they are not changed by a status
# change); full_clean would query each of them once per session.
_SESSION_KEYS = ["program", "phase", "micro_cycle", "athlete"]


@transaction.atomic
def sessions_set_status(
    *,
    sessions: Iterable[TrainingSession],
    status: str,
    at: datetime | None = None,
    rpe: int | None = None,
    duration_minutes: int | None = None,
) -> list[TrainingSession]:
    """Mark sessions completed or skipped (or planned) with the same rules as a single save, all or nothing.

    Marking completed may record what was done, the same for every session: `duration_minutes` replaces each
    one's duration, and `rpe` is set with load = RPE × minutes (the load derived as a single save derives it).

    A constant number of queries for any number of sessions: their programs are locked in one statement (in id
    order, so two bulk writers cannot deadlock), the sessions re-read under the locks in one, each judged by
    clean() against its program as locked, and all written in one UPDATE; the database's constraints hold the
    single-row rules (a violation is a ValidationError and nothing is written)."""
    if status not in SessionStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    at = at or timezone.now()
    ids = [session.pk for session in sessions]
    if not ids:
        return []
    programs = {
        program.pk: program
        for program in TrainingProgram.objects.select_for_update(of=("self",), no_key=True)
        .select_related("athlete")
        .filter(pk__in=TrainingSession.objects.filter(pk__in=ids).values("program_id"))
        .order_by("pk")
    }
    changed = list(
        TrainingSession.objects.filter(pk__in=ids).select_related("phase", "micro_cycle").order_by("scheduled_at", "pk")
    )
    stamp = timezone.now()
    errors = []
    for session in changed:
        session.program = programs[session.program_id]
        session.status = status
        session.completed_at = at if status == SessionStatus.COMPLETED else None
        if status != SessionStatus.COMPLETED:
            session.rpe = None  # RPE goes with completed, like completedAt
        else:
            if duration_minutes is not None:
                session.duration_minutes = duration_minutes
            if rpe is not None:
                session.rpe, session.load = rpe, None  # clean() derives the load from this RPE and duration
        try:
            session.full_clean(exclude=_SESSION_KEYS, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors.append(
                ValidationError(f"{session.title} ({session.scheduled_at:%Y-%m-%d}): {' '.join(exc.messages)}")
            )
        session.version += 1
        session.updated_at = stamp
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            TrainingSession.objects.bulk_update(
                changed,
                ["status", "completed_at", "rpe", "load", "duration_minutes", "version", "updated_at"],
                batch_size=500,
            )
    except IntegrityError as exc:
        raise TrainingSession.integrity_error_as_validation_error(exc) from exc
    return changed
