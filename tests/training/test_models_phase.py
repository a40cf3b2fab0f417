"""ProgramPhase rules: name/focus, order, dates inside the program, no overlap, one current."""

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
from training.models import MicroCycle, PlanStatus, ProgramPhase, TrainingSession

pytestmark = pytest.mark.django_db

START = date(2026, 3, 2)
END = START + timedelta(days=27)  # a 4-week program


@pytest.fixture
def program():
    return TrainingProgramFactory(start_date=START, end_date=END)


def build(program, **kwargs) -> ProgramPhase:
    defaults = {"name": "Base", "focus": "Aerobic", "phase_order": 1, "start_date": START, "end_date": END}
    return ProgramPhase(program=program, **{**defaults, **kwargs})


def errors_of(instance) -> dict:
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


def week(n: int) -> dict:
    """Dates of the program's week n (1-based)."""
    return {"start_date": START + timedelta(days=7 * (n - 1)), "end_date": START + timedelta(days=7 * n - 1)}


# --- name and focus ---------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "focus"])
def test_name_and_focus_of_1_and_120_characters_are_accepted(program, field):
    build(program, **{field: "x"}).full_clean()
    phase = build(program, **{field: "  " + "x" * 120 + " "})
    phase.full_clean()
    assert getattr(phase, field) == "x" * 120


@pytest.mark.parametrize("field", ["name", "focus"])
@pytest.mark.parametrize("value", ["", "  ", "x" * 121])
def test_name_and_focus_blank_or_121_characters_are_refused(program, field, value):
    assert field in errors_of(build(program, **{field: value}))


@pytest.mark.parametrize("field", ["name", "focus"])
def test_database_refuses_blank_name_and_focus_without_clean(program, field):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, **{field: " "}).save()


# --- phaseOrder -------------------------------------------------------------------------------------


def test_phase_order_1_is_accepted(program):
    build(program, phase_order=1).full_clean()


def test_phase_order_0_is_refused(program):
    assert "phase_order" in errors_of(build(program, phase_order=0))


def test_database_refuses_phase_order_0_without_clean(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, phase_order=0).save()


def test_duplicate_phase_order_in_a_program_is_refused(program):
    ProgramPhaseFactory(program=program, phase_order=1, **week(1))
    errors = errors_of(build(program, phase_order=1, **week(2)))
    assert errors == {"__all__": ["Another phase of this program has this order."]}


def test_same_phase_order_in_another_program_is_allowed(program):
    ProgramPhaseFactory(phase_order=1)
    build(program, phase_order=1).full_clean()


def test_database_refuses_duplicate_phase_order_without_clean(program):
    ProgramPhaseFactory(program=program, phase_order=1, **week(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, phase_order=1, **week(2)).save()


def test_database_refuses_duplicate_phase_order_through_update(program):
    ProgramPhaseFactory(program=program, phase_order=1, **week(1))
    second = ProgramPhaseFactory(program=program, phase_order=2, **week(2))
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgramPhase.objects.filter(pk=second.pk).update(phase_order=1)


# --- dates: ordered and inside the program ---------------------------------------------------------


def test_phase_spanning_exactly_the_program_is_accepted(program):
    build(program, start_date=START, end_date=END).full_clean()


def test_one_day_phase_is_accepted(program):
    build(program, start_date=END, end_date=END).full_clean()


def test_phase_ending_before_it_starts_is_refused(program):
    assert "end_date" in errors_of(build(program, start_date=START + timedelta(days=2), end_date=START))


def test_database_refuses_phase_ending_before_it_starts_without_clean(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, start_date=START + timedelta(days=2), end_date=START).save()


def test_phase_starting_one_day_before_the_program_is_refused(program):
    assert "start_date" in errors_of(build(program, start_date=START - timedelta(days=1)))


def test_phase_ending_one_day_after_the_program_is_refused(program):
    assert "end_date" in errors_of(build(program, end_date=END + timedelta(days=1)))


# --- no overlap with another phase of the program --------------------------------------------------


def test_adjacent_phases_are_accepted(program):
    ProgramPhaseFactory(program=program, phase_order=1, **week(1))
    build(program, phase_order=2, **week(2)).full_clean()


def test_phase_touching_another_at_one_shared_day_overlaps(program):
    ProgramPhaseFactory(program=program, phase_order=1, **week(1))
    touching = build(program, phase_order=2, start_date=week(1)["end_date"], end_date=week(2)["end_date"])
    assert "start_date" in errors_of(touching)


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, 27), (0, 7), (3, 10), (8, 9), (10, 20), (13, 13), (13, 20)],
    ids=["covers", "touches-first-day", "straddles-start", "inside", "straddles-end", "last-day", "touches-last-day"],
)
def test_phase_overlapping_another_is_refused(program, start, end):
    ProgramPhaseFactory(program=program, phase_order=1, **week(2))  # days 7..13
    candidate = build(
        program, phase_order=2, start_date=START + timedelta(days=start), end_date=START + timedelta(days=end)
    )
    assert "start_date" in errors_of(candidate)


def test_phase_overlapping_a_phase_of_another_program_is_allowed(program):
    ProgramPhaseFactory(program=TrainingProgramFactory(start_date=START, end_date=END), phase_order=1)
    build(program, phase_order=1).full_clean()


def test_resaving_a_phase_does_not_overlap_itself(program):
    phase = ProgramPhaseFactory(program=program)
    phase.name = "Renamed"
    phase.full_clean()


# --- status: at most one current phase per program -------------------------------------------------


def test_second_current_phase_is_refused(program):
    ProgramPhaseFactory(program=program, phase_order=1, status=PlanStatus.CURRENT, **week(1))
    errors = errors_of(build(program, phase_order=2, status=PlanStatus.CURRENT, **week(2)))
    assert errors == {"status": ["This program already has a current phase."]}


def test_current_phase_in_another_program_is_allowed(program):
    ProgramPhaseFactory(status=PlanStatus.CURRENT)
    build(program, status=PlanStatus.CURRENT).full_clean()


def test_database_refuses_second_current_phase_without_clean(program):
    ProgramPhaseFactory(program=program, phase_order=1, status=PlanStatus.CURRENT, **week(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, phase_order=2, status=PlanStatus.CURRENT, **week(2)).save()


def test_unknown_phase_status_is_refused(program):
    assert "status" in errors_of(build(program, status="active"))
    with pytest.raises(IntegrityError), transaction.atomic():
        build(program, status="active").save()


# --- cascades ----------------------------------------------------------------------------------------


def test_deleting_a_phase_keeps_its_micro_cycles_and_sessions_with_phase_null(program):
    phase = ProgramPhaseFactory(program=program)
    cycle = MicroCycleFactory(program=program, phase=phase)
    session = TrainingSessionFactory(program=program, phase=phase, micro_cycle=cycle)
    phase.delete()
    cycle = MicroCycle.objects.get(pk=cycle.pk)
    session = TrainingSession.objects.get(pk=session.pk)
    assert cycle.phase_id is None
    assert session.phase_id is None
    assert session.micro_cycle_id == cycle.pk


# --- a phase with children stays in its program -----------------------------------------------------


def test_moving_a_phase_with_sessions_to_another_program_is_refused(program):
    phase = ProgramPhaseFactory(program=program)
    TrainingSessionFactory(program=program, phase=phase)
    phase.program = TrainingProgramFactory(start_date=START, end_date=END)
    assert "program" in errors_of(phase)


def test_moving_a_phase_with_micro_cycles_to_another_program_is_refused(program):
    phase = ProgramPhaseFactory(program=program)
    MicroCycleFactory(program=program, phase=phase)
    phase.program = TrainingProgramFactory(start_date=START, end_date=END)
    assert "program" in errors_of(phase)


def test_moving_an_empty_phase_to_another_program_is_allowed(program):
    phase = ProgramPhaseFactory(program=program)
    phase.program = TrainingProgramFactory(start_date=START, end_date=END)
    phase.full_clean()
