"""TrainingSession rules: relations agree, date inside the program in the athlete's timezone,
duration, modality, status, load and completedAt."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import Modality, SessionStatus, TrainingSession

pytestmark = pytest.mark.django_db

START = date(2026, 3, 2)
END = date(2026, 3, 29)


@pytest.fixture
def program():
    return TrainingProgramFactory(start_date=START, end_date=END)


def build(program, **kwargs) -> TrainingSession:
    defaults = {
        "title": "Intervals",
        "scheduled_at": datetime(2026, 3, 10, 7, 0, tzinfo=UTC),
        "duration_minutes": 60,
        "modality": Modality.RUN,
    }
    return TrainingSession(program=program, **{**defaults, **kwargs})


def errors_of(instance) -> dict:
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


def test_valid_session_saves_and_takes_the_athlete_from_the_program(program):
    session = build(program)
    session.full_clean()
    session.save()
    assert session.athlete_id == program.athlete_id


# --- title --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["x", "x" * 120])
def test_title_1_and_120_characters_accepted(program, title):
    build(program, title=title).full_clean()


@pytest.mark.parametrize("title", ["", " \t", "x" * 121])
def test_title_blank_or_121_refused(program, title):
    assert "title" in errors_of(build(program, title=title))


def test_database_refuses_blank_title_without_clean(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, title=" ", athlete=program.athlete).save()


# --- relations agree ---------------------------------------------------------------------------------


def test_athlete_of_another_program_is_refused(program):
    assert "athlete" in errors_of(build(program, athlete=AthleteProfileFactory()))


def test_athlete_equal_to_the_programs_is_accepted(program):
    build(program, athlete=program.athlete).full_clean()


def test_phase_of_another_program_is_refused(program):
    assert "phase" in errors_of(build(program, phase=ProgramPhaseFactory()))


def test_micro_cycle_of_another_program_is_refused(program):
    assert "micro_cycle" in errors_of(build(program, micro_cycle=MicroCycleFactory()))


def test_micro_cycle_not_in_the_given_phase_is_refused(program):
    phase_1 = ProgramPhaseFactory(program=program, phase_order=1, start_date=START, end_date=START + timedelta(6))
    phase_2 = ProgramPhaseFactory(program=program, phase_order=2, start_date=START + timedelta(7), end_date=END)
    cycle = MicroCycleFactory(program=program, phase=phase_2, week_index=2)
    assert "micro_cycle" in errors_of(build(program, phase=phase_1, micro_cycle=cycle))


def test_micro_cycle_in_the_given_phase_is_accepted(program):
    phase = ProgramPhaseFactory(program=program)
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=2)  # 9–15 March, the session's week
    build(program, phase=phase, micro_cycle=cycle).full_clean()


def test_phase_and_micro_cycle_are_optional(program):
    build(program, phase=None, micro_cycle=None).full_clean()
    build(program, micro_cycle=MicroCycleFactory(program=program, week_index=2)).full_clean()
    build(program, phase=ProgramPhaseFactory(program=program)).full_clean()


# --- scheduledAt: its local date (athlete's timezone) inside the program --------------------------


@pytest.mark.parametrize(
    ("tz", "scheduled_at", "inside"),
    [
        # Los Angeles is UTC-8 on 2 March 2026 (DST starts 8 March) and UTC-7 on 29 March.
        ("America/Los_Angeles", datetime(2026, 3, 2, 8, 0, tzinfo=UTC), True),  # 2 Mar 00:00 local
        ("America/Los_Angeles", datetime(2026, 3, 2, 7, 59, tzinfo=UTC), False),  # 1 Mar 23:59 local
        ("America/Los_Angeles", datetime(2026, 3, 30, 6, 59, tzinfo=UTC), True),  # 29 Mar 23:59 local
        ("America/Los_Angeles", datetime(2026, 3, 30, 7, 0, tzinfo=UTC), False),  # 30 Mar 00:00 local
        # Auckland is UTC+13 on both boundary days (NZDT until 5 April 2026).
        ("Pacific/Auckland", datetime(2026, 3, 1, 11, 0, tzinfo=UTC), True),  # 2 Mar 00:00 local
        ("Pacific/Auckland", datetime(2026, 3, 1, 10, 59, tzinfo=UTC), False),  # 1 Mar 23:59 local
        ("Pacific/Auckland", datetime(2026, 3, 29, 10, 59, tzinfo=UTC), True),  # 29 Mar 23:59 local
        ("Pacific/Auckland", datetime(2026, 3, 29, 11, 0, tzinfo=UTC), False),  # 30 Mar 00:00 local
        ("UTC", datetime(2026, 3, 2, 0, 0, tzinfo=UTC), True),
        ("UTC", datetime(2026, 3, 1, 23, 59, tzinfo=UTC), False),
        ("UTC", datetime(2026, 3, 29, 23, 59, tzinfo=UTC), True),
        ("UTC", datetime(2026, 3, 30, 0, 0, tzinfo=UTC), False),
    ],
)
def test_scheduled_at_is_judged_in_the_athletes_timezone(tz, scheduled_at, inside):
    athlete = AthleteProfileFactory(timezone=tz)
    program = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
    session = build(program, scheduled_at=scheduled_at)
    if inside:
        session.full_clean()
    else:
        assert "scheduled_at" in errors_of(session)


def test_scheduled_at_is_required(program):
    assert "scheduled_at" in errors_of(build(program, scheduled_at=None))


# --- durationMinutes: 1–1440 -------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [1, 1440])
def test_duration_1_and_1440_accepted(program, minutes):
    build(program, duration_minutes=minutes).full_clean()


@pytest.mark.parametrize("minutes", [0, 1441])
def test_duration_0_and_1441_refused(program, minutes):
    assert "duration_minutes" in errors_of(build(program, duration_minutes=minutes))


@pytest.mark.parametrize("minutes", [0, 1441])
def test_database_refuses_duration_outside_1_1440_without_clean(program, minutes):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, athlete=program.athlete, duration_minutes=minutes).save()


def test_database_refuses_duration_1441_through_update(program):
    session = TrainingSessionFactory(program=program)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingSession.objects.filter(pk=session.pk).update(duration_minutes=1441)


# --- load: 0–14400 or null ---------------------------------------------------------------------------


@pytest.mark.parametrize("load", [None, Decimal(0), Decimal("0.01"), Decimal("420.5"), Decimal(14400)])
def test_load_0_to_14400_or_null_accepted(program, load):
    session = build(program, load=load)
    session.full_clean()
    session.save()
    session.refresh_from_db()
    assert session.load == load


@pytest.mark.parametrize("load", [Decimal(-1), Decimal("-0.01"), Decimal(14401), Decimal("14400.01")])
def test_load_outside_0_14400_refused(program, load):
    assert "load" in errors_of(build(program, load=load))


@pytest.mark.parametrize("load", [Decimal(-1), Decimal(14401)])
def test_database_refuses_load_outside_0_14400_without_clean(program, load):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, athlete=program.athlete, load=load).save()


def test_database_refuses_load_14401_through_bulk_create(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingSession.objects.bulk_create([build(program, athlete=program.athlete, load=Decimal(14401))])


# --- modality and status -----------------------------------------------------------------------------


def test_modalities_are_the_documented_ones():
    assert set(Modality.values) == {"run", "bike", "swim", "strength", "conditioning", "mobility", "sport", "other"}
    assert set(SessionStatus.values) == {"planned", "completed", "skipped"}


@pytest.mark.parametrize(("field", "value"), [("modality", "yoga"), ("status", "current"), ("status", "missed")])
def test_unknown_modality_or_status_refused(program, field, value):
    assert field in errors_of(build(program, **{field: value}))
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, athlete=program.athlete, **{field: value}).save()


# --- completedAt goes with status completed -----------------------------------------------------------


def test_completed_without_completed_at_is_stamped_now(program):
    session = build(program, status=SessionStatus.COMPLETED)
    before = timezone.now()
    session.full_clean()
    assert before <= session.completed_at <= timezone.now()


def test_completed_with_completed_at_keeps_it(program):
    at = datetime(2026, 3, 10, 8, 5, tzinfo=UTC)
    session = build(program, status=SessionStatus.COMPLETED, completed_at=at)
    session.full_clean()
    assert session.completed_at == at


@pytest.mark.parametrize("status", [SessionStatus.PLANNED, SessionStatus.SKIPPED])
def test_completed_at_is_cleared_unless_completed(program, status):
    session = build(program, status=status, completed_at=datetime(2026, 3, 10, 8, 5, tzinfo=UTC))
    session.full_clean()
    assert session.completed_at is None


def test_database_refuses_completed_without_completed_at(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, athlete=program.athlete, status=SessionStatus.COMPLETED, completed_at=None).save()


def test_database_refuses_completed_at_on_a_skipped_session(program):
    session = TrainingSessionFactory(program=program, status=SessionStatus.SKIPPED)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingSession.objects.filter(pk=session.pk).update(completed_at=timezone.now())


# --- cascades ------------------------------------------------------------------------------------------


def test_deleting_a_micro_cycle_nulls_its_sessions_cycle(program):
    cycle = MicroCycleFactory(program=program)
    session = TrainingSessionFactory(program=program, micro_cycle=cycle)
    cycle.delete()
    session.refresh_from_db()
    assert session.micro_cycle_id is None
