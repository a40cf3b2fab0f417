from datetime import UTC, date, datetime, time, timedelta

import factory

from tests.athletes.factories import AthleteProfileFactory
from training.models import (
    MicroCycle,
    Modality,
    PlanStatus,
    ProgramPhase,
    SessionStatus,
    TrainingProgram,
    TrainingSession,
)


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

    program = factory.SubFactory(TrainingProgramFactory)
    phase = None
    week_index = 1
    readiness_score = 70
    status = PlanStatus.PLANNED


class TrainingSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingSession

    program = factory.SubFactory(TrainingProgramFactory)
    athlete = factory.LazyAttribute(lambda s: s.program.athlete)
    phase = None
    micro_cycle = None
    title = factory.Sequence(lambda n: f"Session {n}")
    scheduled_at = factory.LazyAttribute(
        lambda s: datetime.combine(s.program.start_date + timedelta(days=1), time(7, 0), tzinfo=UTC)
    )
    duration_minutes = 60
    modality = Modality.RUN
    status = SessionStatus.PLANNED
    load = None
    completed_at = factory.LazyAttribute(
        lambda s: s.scheduled_at + timedelta(hours=1) if s.status == SessionStatus.COMPLETED else None
    )
