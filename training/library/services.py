"""Writes of the plan library, each one transaction: templates written whole, a program saved as a template, and
a template applied to many athletes.

`template_apply` is the one way to give a template to athletes (the API's `apply` and the admin's "Apply to
athletes or a squad…" call it). It locks the athletes in one statement (ids ascending: the lock order of
training.services, so it serializes with every writer of those athletes' plans), builds every athlete's program,
phases, micro-cycles and sessions in memory, checks them with the models' own rules against the parents held in
memory, and writes them with one bulk insert per table: a constant number of statements for any number of
athletes. A rule broken for one athlete refuses the whole apply with a message naming that athlete."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework import exceptions

from athletes.filters import of_squad
from athletes.models import AthleteProfile
from athletes.selectors import athlete_list
from core import events
from core.api import LATEST_DATE
from core.writes import (
    apply_changes,
    full_clean_known,
    if_match_check,
    lock_row,
    lock_rows,
    save_checked,
)

from ..cloning import checked_in_memory
from ..models import MicroCycle, PlanStatus, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession
from ..workouts.models import Exercise
from ..workouts.structure import exercise_ids, stored_summary
from .models import ProgramTemplate, SessionTemplate
from .selectors import may_change_template

NOT_YOURS = "Only the template's owner or a head coach may change it."
MAX_APPLY_ATHLETES = 100


def _template_write(model, *, instance, changes: dict, if_match: str | None, actor):
    if instance is None:
        template = model(owner=actor)
    else:
        template = lock_row(model, instance.pk)
        if not may_change_template(user=actor, template=template):
            raise exceptions.PermissionDenied(NOT_YOURS)
        if_match_check(if_match, template)
    if not apply_changes(template, changes) and instance is not None:
        return template
    full_clean_known(template, known={"owner"})
    save_checked(template)
    return template


@transaction.atomic
def program_template_write(
    *, instance: ProgramTemplate | None, changes: dict, if_match: str | None = None, actor
) -> ProgramTemplate:
    """The API's create (`instance` None: `actor` owns it) or update of a program template, written whole: the row
    locked and read fresh, If-Match compared (412), the owner or a head coach only (403), validated (the model's
    clean(): phases and sessions inside the weeks) and saved."""
    return _template_write(ProgramTemplate, instance=instance, changes=changes, if_match=if_match, actor=actor)


@transaction.atomic
def session_template_write(
    *, instance: SessionTemplate | None, changes: dict, if_match: str | None = None, actor
) -> SessionTemplate:
    """As program_template_write, for a session template."""
    return _template_write(SessionTemplate, instance=instance, changes=changes, if_match=if_match, actor=actor)


@transaction.atomic
def template_save(*, template: ProgramTemplate | SessionTemplate) -> ProgramTemplate | SessionTemplate:
    """Create or update a template as the admin's form built it (its owner set by the caller): the row locked (an
    update), validated (the model's clean()) and saved. Who may change it is the admin's permission check, the
    same rule as the API's (selectors.may_change_template)."""
    if not template._state.adding:
        lock_row(type(template), template.pk)  # serializes with the API's writers of the row
    full_clean_known(template, known={"owner"})
    save_checked(template)
    return template


# --- A program as a template ----------------------------------------------------------------------------------


def _week_of(day: date, start: date) -> int:
    return (day - start).days // 7 + 1


def template_phases(program: TrainingProgram, phases) -> list[dict]:
    """The program's phases as template phases by the weeks their dates cover (week w: the days start + 7(w − 1)
    to start + 7w − 1). Where two phases share a week, the week goes to the earlier phase; a phase left with no
    week of its own (it lies inside a week the previous phase already covers) is left out."""
    result: list[dict] = []
    for phase in sorted(phases, key=lambda p: (p.start_date, p.phase_order)):
        first, last = _week_of(phase.start_date, program.start_date), _week_of(phase.end_date, program.start_date)
        if result and first <= result[-1]["endWeek"]:
            first = result[-1]["endWeek"] + 1
        if first > last:
            continue
        result.append({"name": phase.name, "focus": phase.focus, "startWeek": first, "endWeek": last})
    return result


def template_sessions(program: TrainingProgram, sessions, tz) -> list[dict]:
    """The program's sessions as template sessions: the week of their local date, its ISO weekday, the local time
    to the minute, and what a session plans (title, modality, duration, planned load, workout)."""
    result = []
    for session in sessions:
        local = session.scheduled_at.astimezone(tz)
        result.append(
            {
                "week": _week_of(local.date(), program.start_date),
                "day": local.isoweekday(),
                "time": local.strftime("%H:%M"),
                "title": session.title,
                "modality": session.modality,
                "durationMinutes": session.duration_minutes,
                "plannedLoad": None if session.planned_load is None else float(session.planned_load),
                "structure": session.structure,
            }
        )
    return result


@transaction.atomic
def program_save_as_template(
    *, program: TrainingProgram, title: str | None = None, shared: bool = False, actor
) -> ProgramTemplate:
    """A template of `program` owned by `actor`: its weeks, its phases by week (template_phases) and its sessions by
    week, weekday and local time (template_sessions). Applying it on the program's start date reproduces the
    sessions' local dates and times (to the minute)."""
    from .. import services as plan_services

    locked = plan_services.program_lock(program.pk)  # its children stay as they are while they are read
    if locked is None:
        raise exceptions.NotFound("The program no longer exists.")
    phases = list(ProgramPhase.objects.filter(program=locked))
    sessions = list(TrainingSession.objects.filter(program=locked).order_by("scheduled_at", "id"))
    template = ProgramTemplate(
        owner=actor,
        title=locked.title if title is None else title,
        weeks=locked.total_weeks,
        shared=shared,
        phases=template_phases(locked, phases),
        sessions=template_sessions(locked, sessions, locked.athlete.tzinfo),
    )
    full_clean_known(template, known={"owner"})
    save_checked(template)
    return template


# --- Applying a template ----------------------------------------------------------------------------------------


def session_day(start: date, week: int, day: int) -> date:
    """The date of a template session in a program starting on `start`: week `week` is the 7 days from
    start + 7(week − 1), and `day` (ISO weekday) is the one of them on that weekday."""
    return start + timedelta(days=7 * (week - 1) + (day - start.isoweekday()) % 7)


def local_instant(day: date, at: str, tz) -> datetime:
    """`at` ("HH:MM") on `day` in timezone `tz`. fold=0: a time a spring-forward gap skips moves forward by the
    gap (02:30 → 03:30); one an autumn overlap repeats is the first of the two."""
    hours, minutes = (int(part) for part in at.split(":"))
    return datetime.combine(day, time(hours, minutes)).replace(tzinfo=tz, fold=0)


# The models' rules on a row held in memory, its messages prefixed by the row: the program copy's check.
_checked = checked_in_memory


def _athletes(*, athlete_ids, squad_id, actor) -> list[AthleteProfile]:
    """The athletes to apply to, as the caller may see them: every id must name one (404 otherwise, like an id
    that exists nowhere); a squad gives its members the caller may see (404 for a squad they may not see)."""
    visible = athlete_list(user=actor)
    if squad_id is not None:
        ids = list(of_squad(visible, user=actor, squad_id=squad_id, field_name="pk").values_list("pk", flat=True))
        if not ids:
            raise ValidationError({"squad_id": "This squad has no athlete that you may see."})
        if len(ids) > MAX_APPLY_ATHLETES:
            raise ValidationError(
                {"squad_id": f"At most {MAX_APPLY_ATHLETES} athletes at once; this squad has {len(ids)}."}
            )
    else:
        ids = list(dict.fromkeys(athlete_ids))
        found = set(visible.filter(pk__in=ids).values_list("pk", flat=True))
        if missing := [str(pk) for pk in ids if pk not in found]:
            raise exceptions.NotFound(f"No athlete that you may see with the id {', '.join(missing)}.")
    locked = lock_rows(AthleteProfile, ids)  # ids ascending, one statement: the plan writers' lock order
    if len(locked) != len(ids):
        raise exceptions.NotFound("An athlete was deleted meanwhile.")
    return [locked[pk] for pk in sorted(ids)]


def _plan_for(template: ProgramTemplate, athlete: AthleteProfile, start: date, title: str):
    """The program, phases, micro-cycles and sessions `template` gives `athlete` from `start`, checked in memory."""
    tz = athlete.tzinfo
    program = TrainingProgram(
        athlete=athlete,
        title=title,
        start_date=start,
        end_date=start + timedelta(days=7 * template.weeks - 1),
        status=PlanStatus.PLANNED,
    )
    _checked(program, exclude=["athlete"], what="The program")
    phases = []
    for order, item in enumerate(sorted(template.phases, key=lambda p: p["startWeek"]), start=1):
        phase = ProgramPhase(
            program=program,
            name=item["name"],
            focus=item["focus"],
            phase_order=order,
            start_date=start + timedelta(days=7 * (item["startWeek"] - 1)),
            end_date=start + timedelta(days=7 * item["endWeek"] - 1),
            status=PlanStatus.PLANNED,
        )
        phase.weeks = (item["startWeek"], item["endWeek"])
        # Its fields only: inside the program and apart from the others it is by the template's own rules, and
        # clean() would ask the database about phases not written yet.
        try:
            phase.clean_fields(exclude=["program"])
        except ValidationError as exc:
            raise ValidationError([f"Phase {order} “{phase.name}”: {m}" for m in exc.messages]) from exc
        phases.append(phase)
    cycles = {}
    for week in range(1, template.weeks + 1):
        cycle = MicroCycle(
            program=program,
            phase=next((p for p in phases if p.weeks[0] <= week <= p.weeks[1]), None),
            week_index=week,
            status=PlanStatus.PLANNED,
        )
        _checked(cycle, exclude=["program", "phase"], what=f"Week {week}")
        cycles[week] = cycle
    sessions = []
    for item in template.sessions:
        day = session_day(start, item["week"], item["day"])
        cycle = cycles[item["week"]]
        session = TrainingSession(
            program=program,
            athlete=athlete,
            phase=cycle.phase,
            micro_cycle=cycle,
            title=item["title"],
            scheduled_at=local_instant(day, item["time"], tz),
            duration_minutes=item["durationMinutes"],
            modality=item["modality"],
            status=SessionStatus.PLANNED,
            planned_load=None if item["plannedLoad"] is None else Decimal(str(item["plannedLoad"])),
        )
        _checked(
            session,
            exclude=["program", "athlete", "phase", "micro_cycle"],
            what=f"Session “{session.title}” (week {item['week']}, day {item['day']}, {item['time']})",
        )
        session.structure = item["structure"]
        session.structure_totals = stored_summary(item["structure"])
        sessions.append(session)
    return program, phases, list(cycles.values()), sessions


def _check_exercises(template: ProgramTemplate) -> None:
    """The workouts' exercises exist and are not archived, as for any session written (one query, none when the
    template names no exercise): the rule is the same for every athlete, so it is judged once."""
    named = {pk for item in template.sessions if item["structure"] for pk in exercise_ids(item["structure"])}
    if not named:
        return
    usable = {str(pk) for pk in Exercise.objects.filter(pk__in=named, archived=False).values_list("pk", flat=True)}
    if unusable := sorted(named - usable):
        raise ValidationError(
            f"The template's workouts name exercises that are archived or no longer exist ({', '.join(unusable)}): "
            "change the template first."
        )


@transaction.atomic
def template_apply(
    *,
    template: ProgramTemplate,
    athlete_ids: list | None = None,
    squad_id=None,
    start_date: date,
    title: str | None = None,
    actor,
) -> list[tuple]:
    """A `planned` program from `template` for each athlete (the ids given, or the squad's athletes the caller
    may see), starting on `start_date`; returns [(athlete id, program id)] by athlete id. All or nothing: an
    athlete the caller may not see is a 404, a rule broken for one athlete a ValidationError naming them."""
    if start_date + timedelta(days=7 * template.weeks - 1) > LATEST_DATE:
        raise ValidationError({"start_date": f"The programs would end after {LATEST_DATE.isoformat()}."})
    athletes = _athletes(athlete_ids=athlete_ids, squad_id=squad_id, actor=actor)
    template = ProgramTemplate.objects.get(pk=template.pk)  # as it is now (a write meanwhile is committed)
    _check_exercises(template)
    plans = []
    for athlete in athletes:
        try:
            plans.append(_plan_for(template, athlete, start_date, title or template.title))
        except ValidationError as exc:
            raise ValidationError(
                {"athlete_ids": [f"{athlete.display_name} ({athlete.pk}): {message}" for message in exc.messages]}
            ) from exc
    try:
        with transaction.atomic():
            # Ids are made in Python (UUIDv7): every child already points at its parent's id.
            TrainingProgram.objects.bulk_create([plan[0] for plan in plans])
            ProgramPhase.objects.bulk_create([phase for plan in plans for phase in plan[1]])
            MicroCycle.objects.bulk_create([cycle for plan in plans for cycle in plan[2]])
            TrainingSession.objects.bulk_create([session for plan in plans for session in plan[3]])
            events.events_announce(
                [
                    (events.PROGRAM_CREATED, [(plan[0].athlete_id, plan[0]) for plan in plans]),
                    (events.SESSION_CREATED, [(s.athlete_id, s) for plan in plans for s in plan[3]]),
                ]
            )
    except IntegrityError as exc:
        raise ValidationError(f"The programs would break a rule of the plan: {exc}", code="apply_invalid") from exc
    return [(plan[0].athlete_id, plan[0].pk) for plan in plans]
