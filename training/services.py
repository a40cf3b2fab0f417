"""Writes that span rows or must stay correct under concurrent requests.

Views, serializers, admin actions and commands call these; they do not re-implement them. Each is one
transaction. Rules are checked with `full_clean()` after taking a row lock that serializes the writers who
could break them, so on PostgreSQL two concurrent writers cannot both pass the check; the database's own
constraints stay as the last line, and an `IntegrityError` from them is turned into a `ValidationError`.

The API's writes are one function per resource (`program_write`, `phase_write`, `micro_cycle_write`,
`session_write`), taking the steps of core.writes: lock, compare If-Match, apply, validate, save.

Lock order (every writer in Cadence takes its locks in this order, so no two writers can deadlock):

1. the login (auth user row), when the write judges one (athletes.services);
2. athletes, ids ascending;
3. programs, ids ascending;
4. the row being written (a phase, micro-cycle or session; a program at level 3, an athlete at level 2).

All are FOR NO KEY UPDATE (no_key=True), except the login's FOR UPDATE (see athletes.services): they serialize
the writers above, yet do not block the FOR KEY SHARE lock that an INSERT takes on the rows its foreign keys
name. A plain FOR UPDATE on the athlete deadlocked program_save (athlete, then program) against session_save
(program, then the session INSERT's key-share on the athlete).

A lock only protects what is read after it: the row being written and the parents it is judged against are
read under the locks, never taken from copies loaded before (e.g. by a serializer resolving `phaseId`).

A write of a row under a parent (a program under its athlete; a phase, micro-cycle or session under its program)
takes its locks through one function, `core.writes.lock_parents_and_row`: the parents (the one the write names
and the one the row is stored under, ids ascending), then the row, and again with the row's new parent if it
moved meanwhile. The API's writes here take it, and so do `program_locks` and `plan_row_locks`, which the
`*_save` functions (the admin, cloning) take, as do the admin's forms before they judge.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from athletes.models import AthleteProfile
from core import events
from core.writes import (
    apply_changes,
    full_clean_known,
    if_match_check,
    lock_parents_and_row,
    lock_row,
    lock_rows,
    save_checked,
)

from .models import MicroCycle, PlanStatus, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession


def athlete_lock(athlete_id) -> AthleteProfile | None:
    """Lock an athlete's row (FOR NO KEY UPDATE, core.writes.lock_rows) until the transaction ends and return it
    as read under the lock (None: no such athlete)."""
    # Serializes every writer that could make a second program of this athlete current.
    return lock_rows(AthleteProfile, {athlete_id}).get(athlete_id)


def program_lock(program_id) -> TrainingProgram | None:
    """Lock a program's row (FOR NO KEY UPDATE, core.writes.lock_rows) and return it as read under the lock,
    athlete attached (None: no such program)."""
    # Serializes writers of one program's phases (current flag, order, dates), micro-cycles and sessions.
    program = lock_rows(TrainingProgram, {program_id}).get(program_id)
    if program is not None:
        # The athlete (its timezone) is read in a statement of its own, after the lock: a row joined into the
        # locking query would be the version that query's snapshot saw, even when the query had to wait for
        # a writer (a timezone change holds this lock) that has since committed a new one.
        program.athlete = AthleteProfile.objects.get(pk=program.athlete_id)
    return program


def _stored(model, pk, field: str, *, lock: bool = False):
    """The `field` of row `pk` as stored (None: no such row); with `lock`, the row locked FOR NO KEY UPDATE
    first and read under its lock."""
    queryset = model._default_manager.all()
    if lock:
        queryset = queryset.select_for_update(no_key=True)
    return queryset.filter(pk=pk).values_list(field, flat=True).first()


def _parents_and_row_locks(row, parent_model, field: str, parent_id) -> dict:
    """core.writes.lock_parents_and_row for a row not read through the API's path: the parents (`parent_id`,
    the one the write names, and the one the row is stored under) then the row itself, an existing one locked
    and its stored parent read under the lock. Returns the parents by id, as read under their locks."""
    if row._state.adding:
        return lock_rows(parent_model, {parent_id})
    model, pk = type(row), row.pk
    guess = _stored(model, pk, field)  # the stored parent as known before the locks (`row` may name a new one)
    parents, _ = lock_parents_and_row(
        parent_model, {parent_id, guess}, lambda: (None, _stored(model, pk, field, lock=True))
    )
    return parents


def program_locks(program: TrainingProgram, *, athlete_id) -> dict[object, AthleteProfile]:
    """Take the locks a write of `program` is judged under, in the module's lock order: its athletes (the one
    `athlete_id` names and the one the program is stored under, ids ascending), then the program's row (an
    existing one). Returns the athletes by id, as read under their locks.

    program_save takes them, and so does the admin's program form before it judges (the admin's change view is
    one transaction: they are held until the save commits)."""
    return _parents_and_row_locks(program, AthleteProfile, "athlete_id", athlete_id)


def plan_row_locks(row: ProgramPhase | MicroCycle | TrainingSession, *, program_id) -> dict[object, TrainingProgram]:
    """Take the locks a write of a phase, micro-cycle or session is judged under, in the module's lock order: the
    programs (the one `program_id` names and the one the row is stored under, ids ascending), then the row (an
    existing one). Returns the programs by id, as read under their locks.

    phase_save, micro_cycle_save and session_save take them, and so do the admin's forms before they judge."""
    return _parents_and_row_locks(row, TrainingProgram, "program_id", program_id)


def _lock_parent_program(child) -> None:
    """Take the child's locks (plan_row_locks), then re-attach the rows it names (program, phase, micro-cycle)
    as read under those locks.

    A lock only protects what is read after it: clean() must judge against rows as they are now, not copies
    loaded before the lock (e.g. by a serializer resolving `phaseId`) that another writer has since changed.
    Moving a phase or micro-cycle to another program needs its current program's lock too, so it is serialized
    with every writer that names it there."""
    program = plan_row_locks(child, program_id=child.program_id).get(child.program_id)
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


def _judged_and_saved(instance) -> None:
    """full_clean (under the locks the caller took) and core.writes.save_checked: a constraint that fires anyway
    becomes a ValidationError, and leaving the caller's transaction.atomic rolls the refused statement back."""
    instance.full_clean()
    save_checked(instance)


@transaction.atomic
def program_save(*, program: TrainingProgram) -> TrainingProgram:
    """Create or update a program, race-safe for the one-current-program-per-athlete rule."""
    # The athlete lock serializes "one current program"; the program lock keeps concurrent phase, cycle and
    # session writes from slipping outside dates being changed.
    athlete = program_locks(program, athlete_id=program.athlete_id).get(program.athlete_id)
    if athlete is not None:
        program.athlete = athlete  # its timezone as it is now, for the sessions-still-fit check
    created = program._state.adding
    _judged_and_saved(program)
    _program_announce(program, created=created)
    return program


def _program_announce(program: TrainingProgram, *, created: bool) -> None:
    """program.created or program.updated (core.events), in the write's transaction."""
    kind = events.PROGRAM_CREATED if created else events.PROGRAM_UPDATED
    events.event_emit(type=kind, athlete_id=program.athlete_id, resource=program)


def _session_announce(session: TrainingSession, *, created: bool, previous_status) -> None:
    """session.created or session.updated, and session.completed when the write made it completed (core.events),
    in the write's transaction."""
    item = [(session.athlete_id, session)]
    completed = session.status == SessionStatus.COMPLETED and previous_status != SessionStatus.COMPLETED
    events.events_announce(
        [
            (events.SESSION_CREATED if created else events.SESSION_UPDATED, item),
            (events.SESSION_COMPLETED, item if completed else []),
        ]
    )


@transaction.atomic
def program_activate(*, program: TrainingProgram) -> TrainingProgram:
    """Make `program` its athlete's current program; a ValidationError if another one is current."""
    program.status = PlanStatus.CURRENT
    return program_save(program=program)


@transaction.atomic
def phase_save(*, phase: ProgramPhase) -> ProgramPhase:
    """Create or update a phase; the program lock makes overlap, order and current-phase checks race-safe."""
    _lock_parent_program(phase)
    _judged_and_saved(phase)
    return phase


@transaction.atomic
def micro_cycle_save(*, micro_cycle: MicroCycle) -> MicroCycle:
    _lock_parent_program(micro_cycle)
    _judged_and_saved(micro_cycle)
    return micro_cycle


@transaction.atomic
def session_save(*, session: TrainingSession) -> TrainingSession:
    """Create or update a session; clean() fills the athlete from the program and handles completedAt."""
    _lock_parent_program(session)
    created = session._state.adding
    previous_status = None if created else _stored(TrainingSession, session.pk, "status")
    _judged_and_saved(session)
    _session_announce(session, created=created, previous_status=previous_status)
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

    Marking completed may record what was done, the same for every session: `duration_minutes` is each one's
    actual duration (the planned one stays, for compliance), and `rpe` is set with load = RPE × the minutes trained
    (the actual duration when known, else the planned one).

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

    def lock_programs(where):
        locked = TrainingProgram.objects.select_for_update(of=("self",), no_key=True).select_related("athlete")
        return {program.pk: program for program in locked.filter(where).order_by("pk")}

    programs = lock_programs(Q(pk__in=TrainingSession.objects.filter(pk__in=ids).values("program_id")))
    while True:
        changed = list(
            TrainingSession.objects.filter(pk__in=ids)
            .select_related("phase", "micro_cycle")
            .order_by("scheduled_at", "pk")
        )
        moved = {session.program_id for session in changed} - programs.keys()
        if not moved:
            break
        # Moved meanwhile to a program not yet locked, by a writer that held the old program's lock while we
        # waited for it: lock that one too and read again (as core.writes.lock_parents_and_row does for one row).
        programs.update(lock_programs(Q(pk__in=moved)))
    stamp = timezone.now()
    errors = []
    previous = [session.status for session in changed]
    for session in changed:
        session.program = programs[session.program_id]
        session.status = status
        session.completed_at = at if status == SessionStatus.COMPLETED else None
        if status != SessionStatus.COMPLETED:
            session.rpe = session.actual_duration_minutes = None  # they go with completed, like completedAt
        else:
            if duration_minutes is not None:
                session.actual_duration_minutes = duration_minutes  # what was done; the plan's minutes stay
            if rpe is not None:
                # Foster's session load: the RPE times the minutes trained (the actual ones when given).
                session.rpe = rpe
                session.load = rpe * (duration_minutes or session.actual_duration_minutes or session.duration_minutes)
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
            # Only the columns this status can change (fewer columns: SQLite fits more rows in one statement).
            logged = ["actual_duration_minutes", *(["load"] if status == SessionStatus.COMPLETED else [])]
            TrainingSession.objects.bulk_update(
                changed, ["status", "completed_at", "rpe", *logged, "version", "updated_at"], batch_size=500
            )
    except IntegrityError as exc:
        raise TrainingSession.integrity_error_as_validation_error(exc) from exc
    completed = [
        (s.athlete_id, s)
        for s, was in zip(changed, previous, strict=True)
        if status == SessionStatus.COMPLETED and was != SessionStatus.COMPLETED
    ]
    events.events_announce(
        [(events.SESSION_UPDATED, [(s.athlete_id, s) for s in changed]), (events.SESSION_COMPLETED, completed)]
    )
    return changed


# --- The API's writes: one function per resource, the steps of core.writes -----------------------------


def _program_id_named(changes: dict):
    program = changes.get("program")
    return program.pk if program is not None else None


def _read_locked(model, pk, parent_field: str):
    """The `read_row` of core.writes.lock_parents_and_row for the API's writes: the row locked and read fresh
    (lock_row, a 404 when it is gone), with the id of the parent it is stored under."""

    def read_row():
        row = lock_row(model, pk)
        return row, getattr(row, parent_field)

    return read_row


def _lock_programs_and_row(model, instance, program_ids: set):
    """Lock the programs (ids ascending: the row's stored program and the one the write moves it to), then the
    row itself, read fresh (core.writes.lock_parents_and_row). Returns (the locked programs by id, the row)."""
    return lock_parents_and_row(
        TrainingProgram, {*program_ids, instance.program_id}, _read_locked(model, instance.pk, "program_id")
    )


def _attach_locked(child, programs: dict, stored: dict, parents=()) -> list[str]:
    """Point `child` at its program as locked, and at the rows of the foreign keys the write changes (from the
    `stored` ids; a new row has none) as they are now, read under the program's lock; return the foreign keys
    whose rows need no existence check."""
    known = []
    program = programs.get(child.program_id)
    if program is not None:
        child.program = program
        known.append("program")
    for name, model in parents:
        field = type(child)._meta.get_field(name)
        pk = getattr(child, field.attname)
        if pk is None or (name in stored and stored[name] == pk):
            known.append(name)  # none, or the stored row, which the database's foreign key guarantees
            # The stored row, but maybe as the body's parser read it, before the locks: forget that copy, so a
            # rule that judges against it (a session inside its phase's dates) reads it now, under the program's
            # lock, and a write that judges nothing against it (logging a session) reads nothing.
            if pk is not None and field.is_cached(child):
                field.delete_cached_value(child)
            continue
        fresh = model._default_manager.filter(pk=pk).first()
        if fresh is not None:  # a missing one is left to clean_fields, which reports it
            setattr(child, name, fresh)
            known.append(name)
    return known


def _child_write(model, *, instance, changes: dict, if_match: str | None, parents=(), announce=None):
    """Create (`instance` None) or update a phase, micro-cycle or session under its program's lock; `announce(row,
    created=, previous_status=)` runs after a save (never for a write that changes nothing)."""
    target = _program_id_named(changes)
    if instance is None:
        programs = lock_rows(TrainingProgram, {target})
        row = model()
    else:
        programs, row = _lock_programs_and_row(model, instance, {target})
        if_match_check(if_match, row)
    if model is TrainingSession:
        changes = _session_defaults(dict(changes), programs)
    stored = {} if instance is None else {name: getattr(row, f"{name}_id") for name, _ in parents}
    previous_status = getattr(row, "status", None) if instance is not None else None
    if not apply_changes(row, changes) and instance is not None:
        return row  # nothing changes: the version (ETag) and updatedAt stay
    known = _attach_locked(row, programs, stored, parents)
    if model is TrainingSession and row.program_id in programs and row.athlete_id == row.program.athlete_id:
        known.append("athlete")  # the locked program's athlete: it exists while the program does
    full_clean_known(row, known=known)
    save_checked(row)
    if announce is not None:
        announce(row, created=instance is None, previous_status=previous_status)
    return row


def _session_defaults(changes: dict, programs: dict) -> dict:
    """What a session write derives from the fields it gives."""
    # The session's athlete is the program's (as locked) unless the write names one, which clean() then checks.
    program = changes.get("program")
    if "athlete" not in changes and program is not None:
        changes["athlete_id"] = programs.get(program.pk, program).athlete_id
    # load = rpe x durationMinutes when a write gives rpe and not load (the model derives it from a load left
    # empty), so a corrected rpe re-derives the load; an explicit load is kept as given.
    if changes.get("rpe") is not None and "load" not in changes:
        changes["load"] = None
    # RPE and the actual duration go with completed, like completedAt: leaving completed without naming them drops
    # them.
    status = changes.get("status")
    if status is not None and status != SessionStatus.COMPLETED:
        for field in ("rpe", "actual_duration_minutes"):
            changes.setdefault(field, None)
    return changes


@transaction.atomic
def session_write(
    *, instance: TrainingSession | None, changes: dict, if_match: str | None = None, actor=None
) -> TrainingSession:
    """The API's create (`instance` None) or update of a session: its program(s) then the session locked, If-Match
    compared, the athlete, load and rpe derived, validated and saved. A write that only logs the session (status,
    completedAt, rpe, load) is judged without its placement (see the model) and re-reads nothing it does not need."""
    return _child_write(
        TrainingSession,
        instance=instance,
        changes=changes,
        if_match=if_match,
        parents=(("phase", ProgramPhase), ("micro_cycle", MicroCycle)),
        announce=_session_announce,
    )


@transaction.atomic
def phase_write(
    *, instance: ProgramPhase | None, changes: dict, if_match: str | None = None, actor=None
) -> ProgramPhase:
    """The API's create or update of a phase: overlap, order and current-phase checks under the program's lock."""
    return _child_write(ProgramPhase, instance=instance, changes=changes, if_match=if_match)


@transaction.atomic
def micro_cycle_write(
    *, instance: MicroCycle | None, changes: dict, if_match: str | None = None, actor=None
) -> MicroCycle:
    """The API's create or update of a micro-cycle, judged under its program's lock."""
    return _child_write(
        MicroCycle, instance=instance, changes=changes, if_match=if_match, parents=(("phase", ProgramPhase),)
    )


@transaction.atomic
def program_write(
    *, instance: TrainingProgram | None, changes: dict, if_match: str | None = None, actor=None
) -> TrainingProgram:
    """The API's create or update of a program: its athlete(s) (stored and new, ids ascending) then the program
    locked, so "one current program per athlete" and the children-still-fit checks are race-safe."""
    return athlete_row_write(
        TrainingProgram, instance=instance, changes=changes, if_match=if_match, announce=_program_announce
    )


def athlete_row_write(model, *, instance, changes: dict, if_match: str | None, announce=None):
    """Create (`instance` None) or update a row that hangs directly under an athlete (a program, a season event):
    its athlete(s) (stored and new, ids ascending) then the row locked and read fresh, If-Match compared, the
    changes applied (none: the row is returned unchanged), validated against the athlete as locked, saved. The
    caller holds the transaction."""
    athlete = changes.get("athlete")
    target = athlete.pk if athlete is not None else None
    if instance is None:
        athletes = lock_rows(AthleteProfile, {target})
        row = model()
    else:
        athletes, row = lock_parents_and_row(
            AthleteProfile, {target, instance.athlete_id}, _read_locked(model, instance.pk, "athlete_id")
        )
        if_match_check(if_match, row)
    if not apply_changes(row, changes) and instance is not None:
        return row
    known = []
    if row.athlete_id in athletes:
        row.athlete = athletes[row.athlete_id]  # its timezone as locked (a program's sessions-still-fit check)
        known.append("athlete")
    full_clean_known(row, known=known)
    save_checked(row)
    if announce is not None:
        announce(row, created=instance is None)
    return row
