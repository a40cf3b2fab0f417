from datetime import UTC, date, datetime, time, timedelta

import factory

from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory
from training.activities.models import Activity
from training.library.models import ProgramTemplate, SessionTemplate
from training.models import (
    MicroCycle,
    Modality,
    PlanStatus,
    ProgramPhase,
    SessionStatus,
    TrainingProgram,
    TrainingSession,
)
from training.season.models import SeasonEvent
from training.workouts.models import Exercise, ExerciseCategory, PerformedSet


class TrainingProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingProgram

    athlete = factory.SubFactory(AthleteProfileFactory)
    title = factory.Sequence(lambda n: f"Program {n}")
    start_date = factory.LazyFunction(lambda: date.today() - timedelta(days=14))
    end_date = factory.LazyAttribute(lambda p: p.start_date + timedelta(days=83))
    macro_cycle = "Base season"
    status = PlanStatus.PLANNED


class ProgramPhaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramPhase

    program = factory.SubFactory(TrainingProgramFactory)
    name = factory.Sequence(lambda n: f"Phase {n}")
    focus = "Aerobic base"
    phase_order = 1
    start_date = factory.LazyAttribute(lambda p: p.program.start_date)
    end_date = factory.LazyAttribute(lambda p: p.program.end_date)
    status = PlanStatus.PLANNED


class MicroCycleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MicroCycle

    phase = None
    # A cycle in a phase is in that phase's program (PostgreSQL's composite keys refuse anything else).
    program = factory.Maybe(
        "phase",
        yes_declaration=factory.SelfAttribute("phase.program"),
        no_declaration=factory.SubFactory(TrainingProgramFactory),
    )
    week_index = 1
    readiness_score = 70
    status = PlanStatus.PLANNED


def _default_scheduled_at(s) -> datetime:
    """The program's second day at 07:00 UTC; in a cycle or phase, a day of its week or dates at noon UTC."""
    if s.micro_cycle is None and s.phase is None:
        return datetime.combine(s.program.start_date + timedelta(days=1), time(7, 0), tzinfo=UTC)
    first, last = s.program.start_date, s.program.end_date
    if s.micro_cycle is not None:
        first, last = s.micro_cycle.week_dates(s.program)
    if s.phase is not None:
        first, last = max(first, s.phase.start_date), min(last, s.phase.end_date)
    return datetime.combine(min(first + timedelta(days=1), last), time(12, 0), tzinfo=UTC)


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    micro_cycle = None
    phase = factory.LazyAttribute(lambda s: s.micro_cycle.phase if s.micro_cycle else None)
    # A session in a cycle or phase is in its program (PostgreSQL's composite keys refuse anything else).
    program = factory.Maybe(
        "micro_cycle",
        yes_declaration=factory.SelfAttribute("micro_cycle.program"),
        no_declaration=factory.Maybe(
            "phase",
            yes_declaration=factory.SelfAttribute("phase.program"),
            no_declaration=factory.SubFactory(TrainingProgramFactory),
        ),
    )
    athlete = factory.LazyAttribute(lambda s: s.program.athlete)
    title = factory.Sequence(lambda n: f"Session {n}")
    scheduled_at = factory.LazyAttribute(_default_scheduled_at)
    duration_minutes = 60
    modality = Modality.RUN
    status = SessionStatus.PLANNED
    load = None
    completed_at = factory.LazyAttribute(
        lambda s: s.scheduled_at + timedelta(hours=1) if s.status == SessionStatus.COMPLETED else None
    )


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise

    name = factory.Sequence(lambda n: f"Test exercise {n}")
    category = ExerciseCategory.SQUAT
    equipment = factory.LazyFunction(lambda: ["barbell"])
    unilateral = False
    instructions = ""
    archived = False


class PerformedSetFactory(factory.django.DjangoModelFactory):
    """A set of a completed session (its athlete is the session's)."""

    class Meta:
        model = PerformedSet

    session = factory.SubFactory(TrainingSessionFactory, status=SessionStatus.COMPLETED)
    athlete = factory.LazyAttribute(lambda s: s.session.athlete)
    exercise = factory.SubFactory(ExerciseFactory)
    set_index = factory.Sequence(lambda n: n % 20 + 1)
    reps = 5
    seconds = None
    load_kg = 100
    rir = None


def structure_with(exercise: Exercise | None = None, **set_fields) -> dict:
    """A valid structure as the API writes it: a warmup, 5 × (1 km work, 2:00 recovery) and, with `exercise`, an
    exercise step of 3 sets (`set_fields` override the sets' fields, e.g. percent1rm=80)."""
    steps = [
        {"kind": "warmup", "duration": {"seconds": 600}, "target": {"type": "heartRateZone", "low": 1, "high": 2}},
        {
            "kind": "repeat",
            "times": 5,
            "steps": [
                {"kind": "work", "duration": {"meters": 1000}, "target": {"type": "pace", "low": 225, "high": 235}},
                {"kind": "recovery", "duration": {"seconds": 120}},
            ],
        },
    ]
    if exercise is not None:
        one_set = {"reps": 5, "loadKg": 100, "rir": 2, "restSeconds": 120, **set_fields}
        if "percent1rm" in set_fields:
            one_set.pop("loadKg")
        steps.append({"kind": "exercise", "exerciseId": str(exercise.pk), "sets": [dict(one_set) for _ in range(3)]})
    return {"steps": steps}


def template_session(week: int = 1, day: int = 1, at: str = "07:30", **fields) -> dict:
    """A program template's session item, as stored (the API's camelCase keys)."""
    return {
        "week": week,
        "day": day,
        "time": at,
        "title": fields.pop("title", f"Session w{week}d{day}"),
        "modality": fields.pop("modality", "run"),
        "durationMinutes": fields.pop("durationMinutes", 45),
        "plannedLoad": fields.pop("plannedLoad", 300.0),
        "structure": fields.pop("structure", None),
        **fields,
    }


class ProgramTemplateFactory(factory.django.DjangoModelFactory):
    """Four weeks: a phase over weeks 1–2 and one over 3–4; sessions on Monday and Thursday of every week."""

    class Meta:
        model = ProgramTemplate

    owner = factory.SubFactory(CoachFactory)
    title = factory.Sequence(lambda n: f"Template {n}")
    weeks = 4
    shared = False
    phases = factory.LazyFunction(
        lambda: [
            {"name": "Base", "focus": "Aerobic", "startWeek": 1, "endWeek": 2},
            {"name": "Build", "focus": "Threshold", "startWeek": 3, "endWeek": 4},
        ]
    )
    sessions = factory.LazyAttribute(
        lambda o: [template_session(week, day) for week in range(1, o.weeks + 1) for day in (1, 4)]
    )


class SessionTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SessionTemplate

    owner = factory.SubFactory(CoachFactory)
    title = factory.Sequence(lambda n: f"Session template {n}")
    modality = "run"
    duration_minutes = 50
    planned_load = 350
    shared = False


class SeasonEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeasonEvent

    athlete = factory.SubFactory(AthleteProfileFactory)
    date = factory.LazyFunction(lambda: date.today() + timedelta(days=60))
    name = factory.Sequence(lambda n: f"Race {n}")
    priority = "A"
    kind = "race"


class ActivityFactory(factory.django.DjangoModelFactory):
    """A processed activity (`done`, with figures); its file name points at nothing in storage."""

    class Meta:
        model = Activity

    athlete = factory.SubFactory(AthleteProfileFactory)
    file_name = factory.Sequence(lambda n: f"ride-{n}.fit")
    file = factory.LazyAttribute(lambda a: f"activities/missing/{a.file_name}")
    sha256 = factory.Sequence(lambda n: f"{n:064x}")
    size_bytes = 1000
    status = "done"
    sport = "cycling"
    started_at = factory.LazyFunction(lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))
    duration_seconds = 3600
    distance_meters = 30000.0
    elevation_gain_meters = 250.0
    avg_heart_rate = 140
    max_heart_rate = 170
    avg_power_watts = 210
    trimp = 120.5
