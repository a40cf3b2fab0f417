"""TrainingProgram rules: title, date order, one current program per athlete, children fit."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import (
    MicroCycle,
    PlanStatus,
    ProgramPhase,
    TrainingProgram,
    TrainingSession,
    weeks_between,
)

pytestmark = pytest.mark.django_db

START = date(2026, 3, 2)


def build(athlete=None, **kwargs) -> TrainingProgram:
    defaults = {"title": "Spring block", "start_date": START, "end_date": START + timedelta(days=27)}
    return TrainingProgram(athlete=athlete or AthleteProfileFactory(), **{**defaults, **kwargs})


def errors_of(instance) -> dict:
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


# --- title ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("title", ["T", "x" * 120, " " + "x" * 120 + " "])
def test_title_of_1_to_120_characters_is_accepted(title):
    program = build(title=title)
    program.full_clean()
    program.save()
    assert program.title == title.strip()


@pytest.mark.parametrize("title", ["x" * 121, "", "   "])
def test_title_empty_blank_or_121_characters_is_refused(title):
    assert "title" in errors_of(build(title=title))


def test_database_refuses_blank_title_without_clean():
    with pytest.raises(IntegrityError), transaction.atomic():
        build(title="  ").save()


def test_macro_cycle_may_be_empty_and_is_limited_to_120():
    build(macro_cycle="").full_clean()
    build(macro_cycle="m" * 120).full_clean()
    assert "macro_cycle" in errors_of(build(macro_cycle="m" * 121))


# --- dates ------------------------------------------------------------------------------------------


def test_end_date_equal_to_start_date_is_accepted():
    program = build(end_date=START)
    program.full_clean()
    program.save()
    assert program.total_weeks == 1


def test_end_date_before_start_date_is_refused():
    assert "end_date" in errors_of(build(end_date=START - timedelta(days=1)))


def test_database_refuses_end_before_start_without_clean():
    with pytest.raises(IntegrityError), transaction.atomic():
        build(end_date=START - timedelta(days=1)).save()


def test_database_refuses_end_before_start_through_update():
    program = TrainingProgramFactory(start_date=START, end_date=START)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingProgram.objects.filter(pk=program.pk).update(end_date=START - timedelta(days=1))


def test_database_refuses_end_before_start_through_bulk_create():
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingProgram.objects.bulk_create([build(end_date=START - timedelta(days=1))])


@pytest.mark.parametrize(("days", "weeks"), [(1, 1), (7, 1), (8, 2), (10, 2), (14, 2), (15, 3), (364, 52), (365, 53)])
def test_total_weeks_is_ceil_of_days_over_7(days, weeks):
    end = START + timedelta(days=days - 1)
    assert weeks_between(START, end) == weeks
    assert build(end_date=end).total_weeks == weeks


def test_total_weeks_is_none_without_dates():
    assert TrainingProgram(title="x").total_weeks is None


# --- status: at most one current program per athlete ----------------------------------------------


def test_unknown_status_is_refused():
    assert "status" in errors_of(build(status="archived"))


def test_database_refuses_unknown_status_without_clean():
    with pytest.raises(IntegrityError), transaction.atomic():
        build(status="archived").save()


def test_second_current_program_of_an_athlete_is_refused():
    first = TrainingProgramFactory(status=PlanStatus.CURRENT)
    errors = errors_of(build(athlete=first.athlete, status=PlanStatus.CURRENT))
    assert errors == {"status": ["This athlete already has a current program."]}


def test_current_program_of_another_athlete_is_allowed():
    TrainingProgramFactory(status=PlanStatus.CURRENT)
    build(status=PlanStatus.CURRENT).full_clean()


def test_several_planned_and_completed_programs_of_one_athlete_are_allowed():
    athlete = AthleteProfileFactory()
    TrainingProgramFactory(athlete=athlete, status=PlanStatus.CURRENT)
    TrainingProgramFactory(athlete=athlete, status=PlanStatus.COMPLETED)
    TrainingProgramFactory(athlete=athlete, status=PlanStatus.PLANNED)
    build(athlete=athlete, status=PlanStatus.PLANNED).full_clean()
    build(athlete=athlete, status=PlanStatus.COMPLETED).full_clean()


def test_resaving_the_current_program_is_allowed():
    program = TrainingProgramFactory(status=PlanStatus.CURRENT)
    program.title = "Renamed"
    program.full_clean()
    program.save()


def test_database_refuses_second_current_program_without_clean():
    first = TrainingProgramFactory(status=PlanStatus.CURRENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        build(athlete=first.athlete, status=PlanStatus.CURRENT).save()


def test_database_refuses_second_current_program_through_update():
    first = TrainingProgramFactory(status=PlanStatus.CURRENT)
    second = TrainingProgramFactory(athlete=first.athlete)
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingProgram.objects.filter(pk=second.pk).update(status=PlanStatus.CURRENT)


def test_database_refuses_two_current_programs_in_one_bulk_create():
    athlete = AthleteProfileFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingProgram.objects.bulk_create(
            [build(athlete=athlete, status=PlanStatus.CURRENT), build(athlete=athlete, status=PlanStatus.CURRENT)]
        )


# --- date changes must not strand the program's children -------------------------------------------


def test_shrinking_dates_past_a_phase_is_refused():
    program = TrainingProgramFactory(start_date=START, end_date=START + timedelta(days=27))
    ProgramPhaseFactory(program=program, start_date=START, end_date=START + timedelta(days=27))
    program.end_date = START + timedelta(days=26)
    assert "end_date" in errors_of(program)
    program.end_date = START + timedelta(days=27)
    program.start_date = START + timedelta(days=1)
    assert "end_date" in errors_of(program)


def test_growing_dates_around_a_phase_is_allowed():
    program = TrainingProgramFactory(start_date=START, end_date=START + timedelta(days=27))
    ProgramPhaseFactory(program=program)
    program.start_date -= timedelta(days=7)
    program.end_date += timedelta(days=7)
    program.full_clean()


def test_shrinking_below_a_micro_cycles_week_is_refused():
    program = TrainingProgramFactory(start_date=START, end_date=START + timedelta(days=27))  # 4 weeks
    MicroCycleFactory(program=program, week_index=4)
    program.end_date = START + timedelta(days=21)  # 22 days: still 4 weeks
    program.full_clean()
    program.end_date = START + timedelta(days=20)  # 21 days: 3 weeks
    assert "end_date" in errors_of(program)


def test_shrinking_dates_past_a_session_in_the_athletes_timezone_is_refused():
    athlete = AthleteProfileFactory(timezone="America/Los_Angeles")  # UTC-7 in March 2026 after DST (8 Mar)
    program = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=START + timedelta(days=27))
    # 29 Mar 2026 06:30 UTC is 28 Mar 23:30 in Los Angeles: the program's 27th day, local time.
    TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 3, 29, 6, 30, tzinfo=UTC))
    program.end_date = date(2026, 3, 28)
    program.full_clean()  # the session's local date is still inside
    program.end_date = date(2026, 3, 27)
    assert "end_date" in errors_of(program)


def test_moving_a_program_with_sessions_to_another_athlete_is_refused():
    session = TrainingSessionFactory()
    program = session.program
    program.athlete = AthleteProfileFactory()
    assert "athlete" in errors_of(program)


# --- cascades ----------------------------------------------------------------------------------------


def test_deleting_a_program_deletes_its_phases_micro_cycles_and_sessions():
    program = TrainingProgramFactory()
    phase = ProgramPhaseFactory(program=program)
    cycle = MicroCycleFactory(program=program, phase=phase)
    TrainingSessionFactory(program=program, phase=phase, micro_cycle=cycle)
    other = TrainingSessionFactory()
    program.delete()
    assert not ProgramPhase.objects.exists()
    assert not MicroCycle.objects.filter(program_id=program.pk).exists()
    assert list(TrainingSession.objects.all()) == [other]


def test_deleting_an_athlete_profile_deletes_its_programs():
    program = TrainingProgramFactory()
    TrainingSessionFactory(program=program)
    program.athlete.delete()
    assert not TrainingProgram.objects.exists()
    assert not TrainingSession.objects.exists()
