"""MicroCycle rules: week index within the program's weeks and unique, phase of the same
program, readiness 0–100 or null."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import MicroCycle, PlanStatus

pytestmark = pytest.mark.django_db

START = date(2026, 3, 2)


@pytest.fixture
def program():
    # 10 days: totalWeeks = 2
    return TrainingProgramFactory(start_date=START, end_date=START + timedelta(days=9))


def build(program, **kwargs) -> MicroCycle:
    return MicroCycle(program=program, **{"week_index": 1, **kwargs})


def errors_of(instance) -> dict:
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


# --- weekIndex: 1 … totalWeeks, unique within the program -----------------------------------------


@pytest.mark.parametrize("week_index", [1, 2])
def test_week_index_from_1_to_total_weeks_is_accepted(program, week_index):
    build(program, week_index=week_index).full_clean()


def test_week_index_above_total_weeks_is_refused(program):
    assert "week_index" in errors_of(build(program, week_index=3))


def test_week_index_0_is_refused(program):
    assert "week_index" in errors_of(build(program, week_index=0))


def test_database_refuses_week_index_0_without_clean(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, week_index=0).save()


def test_duplicate_week_index_is_refused(program):
    MicroCycleFactory(program=program, week_index=1)
    assert errors_of(build(program, week_index=1)) == {
        "__all__": ["This program already has a micro-cycle for this week."]
    }


def test_same_week_index_in_another_program_is_allowed(program):
    MicroCycleFactory(week_index=1)
    build(program, week_index=1).full_clean()


def test_database_refuses_duplicate_week_index_without_clean(program):
    MicroCycleFactory(program=program, week_index=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, week_index=1).save()


def test_database_refuses_duplicate_week_index_through_bulk_create(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        MicroCycle.objects.bulk_create([build(program, week_index=2), build(program, week_index=2)])


# --- phase must belong to the program --------------------------------------------------------------


def test_phase_of_the_same_program_is_accepted(program):
    build(program, phase=ProgramPhaseFactory(program=program)).full_clean()


def test_phase_of_another_program_is_refused(program):
    assert "phase" in errors_of(build(program, phase=ProgramPhaseFactory()))


def test_phase_is_optional(program):
    build(program, phase=None).full_clean()


# --- readinessScore: 0–100 or null -----------------------------------------------------------------


@pytest.mark.parametrize("score", [None, 0, 50, 100])
def test_readiness_between_0_and_100_or_null_is_accepted(program, score):
    build(program, readiness_score=score).full_clean()


@pytest.mark.parametrize("score", [101, -1])
def test_readiness_outside_0_100_is_refused(program, score):
    assert "readiness_score" in errors_of(build(program, readiness_score=score))


def test_database_refuses_readiness_101_without_clean(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, readiness_score=101).save()


def test_database_refuses_readiness_101_through_update(program):
    cycle = MicroCycleFactory(program=program)
    with pytest.raises(IntegrityError), transaction.atomic():
        MicroCycle.objects.filter(pk=cycle.pk).update(readiness_score=101)


# --- status ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", PlanStatus.values)
def test_plan_statuses_are_accepted(program, status):
    build(program, status=status).full_clean()


def test_unknown_status_is_refused(program):
    assert "status" in errors_of(build(program, status="done"))
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, status="done").save()


# --- a cycle's sessions keep agreeing with it ---------------------------------------------------------


def test_changing_a_cycles_phase_away_from_its_sessions_phase_is_refused(program):
    first = ProgramPhaseFactory(program=program, phase_order=1, start_date=START, end_date=START)
    second = ProgramPhaseFactory(program=program, phase_order=2, start_date=START + timedelta(days=1))
    cycle = MicroCycleFactory(program=program, phase=first)
    TrainingSessionFactory(program=program, phase=first, micro_cycle=cycle)
    cycle.phase = second
    assert "phase" in errors_of(cycle)
    cycle.phase = None
    assert "phase" in errors_of(cycle)


def test_changing_a_cycles_phase_is_allowed_when_its_sessions_have_no_phase(program):
    phase = ProgramPhaseFactory(program=program)
    cycle = MicroCycleFactory(program=program)
    TrainingSessionFactory(program=program, micro_cycle=cycle)
    cycle.phase = phase
    cycle.full_clean()


def test_moving_a_cycle_with_sessions_to_another_program_is_refused(program):
    cycle = MicroCycleFactory(program=program)
    TrainingSessionFactory(program=program, micro_cycle=cycle)
    cycle.program = TrainingProgramFactory(start_date=START, end_date=START + timedelta(days=9))
    assert "program" in errors_of(cycle)
