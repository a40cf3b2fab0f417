"""Copy a program, with its phases, micro-cycles and sessions, to an athlete and a new start date.

`program_clone` is the one way to do it (the API's `POST /programs/{id}/clone/` and the admin's "Copy to
athlete…" both call it). It is one transaction with a constant number of queries whatever the size of the
program: the new program goes through `program_save` (locks, full_clean), the children are built in memory,
checked with the models' own `clean_fields()`/`clean()` against the new parents held in memory (no query per
row), and written with one `bulk_create` per table. A copy that would break a rule raises ValidationError and
leaves nothing behind.

What the copy is:
- dates move by `start_date − source.start_date` days (program, phases);
- a session keeps its **local wall-clock time**: the source's local date and time in the source athlete's
  timezone, moved by the same days, read in the target athlete's timezone. A local time that does not exist
  on the new date (a spring-forward gap) moves forward by the gap (02:30 → 03:30); one that exists twice (an
  autumn overlap) is the first of the two (fold=0, the daylight-saving one);
- program, phases, micro-cycles and sessions are `planned`; sessions lose `completedAt`, `load` and `rpe`
  and keep `plannedLoad`; micro-cycles lose `readinessScore` (a measurement of the source athlete's week,
  not part of the plan); titles, focus, order, week indexes, durations and modalities are kept.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from athletes.models import AthleteProfile
from core import events
from core.api import LATEST_DATE
from core.writes import field_and_clean_errors

from . import services
from .models import MicroCycle, PlanStatus, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession


def local_wall_clock_moved(instant: datetime, *, source_tz, target_tz, days: int) -> datetime:
    """`instant`'s wall-clock time in `source_tz`, `days` later, as an aware datetime in `target_tz`.

    fold=0: a nonexistent local time resolves with the offset before the gap, i.e. forward by the gap once
    normalized; an ambiguous one is its first occurrence."""
    local = instant.astimezone(source_tz).replace(tzinfo=None) + timedelta(days=days)
    return local.replace(tzinfo=target_tz, fold=0)


def _checked(instance, *, exclude: list[str]) -> None:
    """The model's field validators and clean(), with the foreign keys held in memory (no query per row).

    Foreign-key existence is the database's to check (they point at rows this transaction just wrote)."""
    errors = field_and_clean_errors(instance, exclude=exclude)
    if errors:
        raise ValidationError(errors)


def _with_context(exc: ValidationError, what: str) -> ValidationError:
    """The error of one copied row, each message prefixed by the source row it comes from."""
    return ValidationError([f"{what}: {message}" for message in exc.messages], code="clone_invalid")


def checked_in_memory(instance, *, exclude: list[str], what: str) -> None:
    """`_checked`, its messages prefixed by `what` (the row they are about): for the writers that build many plan
    rows in memory before one bulk insert (this copy, a template's apply)."""
    try:
        _checked(instance, exclude=exclude)
    except ValidationError as exc:
        raise _with_context(exc, what) from exc


@transaction.atomic
def program_clone(
    *, source: TrainingProgram, athlete: AthleteProfile, start_date: date, title: str | None = None
) -> TrainingProgram:
    """A planned copy of `source` for `athlete` starting on `start_date` (see the module docstring)."""
    # Target athlete first, then the source program: the services' athlete-then-program order. The source's
    # program lock keeps its children from changing while they are read.
    fresh = services.athlete_lock(athlete.pk)
    if fresh is None:
        raise ValidationError({"athlete": "The athlete no longer exists."}, code="clone_athlete_missing")
    athlete = fresh  # its timezone as it is now, under the lock (a concurrent change waits for the copy)
    locked = services.program_lock(source.pk)
    if locked is None:
        raise ValidationError("The program to copy no longer exists.", code="clone_source_missing")
    source = locked
    days = (start_date - source.start_date).days
    length = source.end_date - source.start_date
    if start_date > LATEST_DATE - length:
        raise ValidationError(
            {"start_date": f"The copy would end after {LATEST_DATE.isoformat()}."}, code="date_out_of_range"
        )

    program = TrainingProgram(
        athlete=athlete,
        title=source.title if title is None else title,
        start_date=start_date,
        end_date=start_date + length,
        macro_cycle=source.macro_cycle,
        status=PlanStatus.PLANNED,
    )
    services.program_save(program=program)
    program.athlete = athlete  # the row read under the lock (timezone) for the sessions' checks

    source_phases = list(ProgramPhase.objects.filter(program=source).order_by("phase_order"))
    source_cycles = list(MicroCycle.objects.filter(program=source).order_by("week_index"))
    source_sessions = list(TrainingSession.objects.filter(program=source).order_by("scheduled_at", "id"))

    phases: dict = {}
    for old in source_phases:
        phase = ProgramPhase(
            program=program,
            name=old.name,
            focus=old.focus,
            phase_order=old.phase_order,
            start_date=old.start_date + timedelta(days=days),
            end_date=old.end_date + timedelta(days=days),
            status=PlanStatus.PLANNED,
        )
        phases[old.pk] = phase
    _check_phases(program, list(phases.values()))

    cycles: dict = {}
    for old in source_cycles:
        cycle = MicroCycle(
            program=program,
            phase=phases.get(old.phase_id),
            week_index=old.week_index,
            readiness_score=None,
            status=PlanStatus.PLANNED,
        )
        checked_in_memory(cycle, exclude=["program", "phase"], what=f"Micro-cycle week {old.week_index}")
        cycles[old.pk] = cycle

    source_tz, target_tz = source.athlete.tzinfo, athlete.tzinfo
    sessions = []
    for old in source_sessions:
        session = TrainingSession(
            program=program,
            athlete=athlete,
            phase=phases.get(old.phase_id),
            micro_cycle=cycles.get(old.micro_cycle_id),
            title=old.title,
            scheduled_at=local_wall_clock_moved(old.scheduled_at, source_tz=source_tz, target_tz=target_tz, days=days),
            duration_minutes=old.duration_minutes,
            modality=old.modality,
            status=SessionStatus.PLANNED,
            rpe=None,
            load=None,
            planned_load=old.planned_load,
            completed_at=None,
        )
        checked_in_memory(
            session,
            exclude=["program", "athlete", "phase", "micro_cycle"],
            what=f"Session “{old.title}” ({old.scheduled_at.isoformat()})",
        )
        # The workout comes along as the source stores it (the sets the athlete logged do not). Not checked
        # again: it was valid when written, and exercises are archived, never deleted; a plan that already
        # names an archived exercise keeps it, in its copies too.
        session.structure = old.structure
        session.with_structure_totals()
        sessions.append(session)

    try:
        with transaction.atomic():
            ProgramPhase.objects.bulk_create(phases.values())
            MicroCycle.objects.bulk_create(cycles.values())
            TrainingSession.objects.bulk_create(sessions)
    except IntegrityError as exc:
        # A constraint the checks above cannot see (none is known): refuse the copy whole, as a rule error.
        raise ValidationError(f"The copy breaks a rule of the plan: {exc}", code="clone_invalid") from exc
    # program_save announced the program; its sessions were written in bulk and are announced here.
    events.events_emit(type=events.SESSION_CREATED, items=[(s.athlete_id, s) for s in sessions])
    return program


def _check_phases(program: TrainingProgram, phases: list[ProgramPhase]) -> None:
    """ProgramPhase.clean()'s rules for the copies, among themselves (its own overlap check would ask the
    database, once per phase, about rows not written yet)."""
    for phase in phases:
        label = f"Phase {phase.phase_order} “{phase.name}”"
        try:
            phase.clean_fields(exclude=["program"])
        except ValidationError as exc:
            raise _with_context(exc, label) from exc
        if (
            phase.end_date < phase.start_date
            or phase.start_date < program.start_date
            or phase.end_date > program.end_date
        ):
            raise ValidationError(f"{label}: the phase would fall outside the copy's dates.", code="clone_invalid")
    ordered = sorted(phases, key=lambda p: p.start_date)
    for first, second in itertools.pairwise(ordered):
        if second.start_date <= first.end_date:
            raise ValidationError(
                f"Phase {second.phase_order} would overlap phase {first.phase_order}.", code="clone_invalid"
            )
