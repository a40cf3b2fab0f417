"""Derived metrics (docs/api.md, Metric formulas), pinned at their edges with a fixed `now`."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.metrics import adherence_rate, completed_weeks
from training.models import MicroCycle, PlanStatus, ProgramPhase, SessionStatus, TrainingProgram

pytestmark = pytest.mark.django_db

START = date(2026, 3, 2)
NOON = datetime(2026, 3, 16, 12, 0, tzinfo=UTC)  # day 14 of a program starting START


def at(day: int, hour: int = 12) -> datetime:
    """Noon UTC (or `hour`) on day `day` of a program starting START."""
    return datetime(2026, 3, 2, hour, 0, tzinfo=UTC) + timedelta(days=day)


def metrics(program, now=NOON) -> TrainingProgram:
    return TrainingProgram.objects.with_metrics(now=now).get(pk=program.pk)


def program_of(days: int = 28, **kwargs) -> TrainingProgram:
    return TrainingProgramFactory(start_date=START, end_date=START + timedelta(days=days - 1), **kwargs)


# --- totalWeeks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "weeks"), [(1, 1), (7, 1), (8, 2), (10, 2), (14, 2), (15, 3)])
def test_total_weeks(days, weeks):
    assert metrics(program_of(days)).total_weeks == weeks


# --- completedWeeks -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [(-30, 0), (-1, 0), (0, 0), (6, 0), (7, 1), (13, 1), (14, 2), (20, 2), (27, 3), (28, 4), (400, 4)],
)
def test_completed_weeks_by_day_of_a_28_day_program(day, expected):
    assert metrics(program_of(28), now=at(day)).completed_weeks == expected


def test_completed_weeks_clamped_to_total_on_the_last_day_of_a_partial_week():
    # 10 days = 2 weeks; on day 9 (the end date) floor(9/7) = 1; the day after it is past the end: 2.
    program = program_of(10)
    assert metrics(program, now=at(9)).completed_weeks == 1
    assert metrics(program, now=at(10)).completed_weeks == 2


def test_completed_weeks_is_total_when_status_completed_even_before_the_end():
    program = program_of(28, status=PlanStatus.COMPLETED)
    assert metrics(program, now=at(-5)).completed_weeks == 4
    assert metrics(program, now=at(3)).completed_weeks == 4


def test_completed_weeks_pure_function_edges():
    kw = {"start": START, "end": START + timedelta(days=9), "status": "current"}
    assert completed_weeks(**kw, today=START - timedelta(days=1)) == 0
    assert completed_weeks(**kw, today=START + timedelta(days=7)) == 1
    assert completed_weeks(**kw, today=START + timedelta(days=10)) == 2


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("UTC", 0),  # 8 Mar 2026 22:00 UTC is day 6
        ("Pacific/Kiritimati", 1),  # UTC+14: already 9 Mar, day 7
        ("Pacific/Pago_Pago", 0),  # UTC-11: still 8 Mar
    ],
)
def test_completed_weeks_uses_the_athletes_local_today(tz, expected):
    program = program_of(28, athlete=AthleteProfileFactory(timezone=tz))
    assert metrics(program, now=at(6, hour=22)).completed_weeks == expected


def test_completed_weeks_in_a_timezone_behind_utc():
    # 9 Mar 2026 05:00 UTC is day 7 in UTC but still 8 Mar (day 6) in Pago Pago (UTC-11).
    now = at(7, hour=5)
    utc = program_of(28)
    pago = program_of(28, athlete=AthleteProfileFactory(timezone="Pacific/Pago_Pago"))
    assert metrics(utc, now=now).completed_weeks == 1
    assert metrics(pago, now=now).completed_weeks == 0
    assert metrics(pago, now=now).local_today == date(2026, 3, 8)


# --- adherenceRate ------------------------------------------------------------------------------------


def sessions(program, *specs):
    for status, day in specs:
        TrainingSessionFactory(program=program, status=status, scheduled_at=at(day, hour=7))


def test_adherence_is_none_when_nothing_is_due():
    program = program_of(28)
    assert metrics(program).adherence_rate is None
    sessions(program, (SessionStatus.PLANNED, 20), (SessionStatus.PLANNED, 21))  # both in the future
    assert metrics(program).adherence_rate is None


def test_adherence_all_completed_is_1():
    program = program_of(28)
    sessions(program, (SessionStatus.COMPLETED, 1), (SessionStatus.COMPLETED, 2))
    assert metrics(program).adherence_rate == 1.0


def test_adherence_counts_skipped_and_missed_planned_as_due():
    program = program_of(28)
    sessions(
        program,
        (SessionStatus.COMPLETED, 1),
        (SessionStatus.SKIPPED, 2),
        (SessionStatus.PLANNED, 3),  # missed: planned in the past
        (SessionStatus.PLANNED, 20),  # future: not due
        (SessionStatus.COMPLETED, 21),  # completed ahead of schedule: due (counts)
    )
    program = metrics(program)
    assert (program.sessions_completed_count, program.sessions_due_count) == (2, 4)
    assert program.adherence_rate == 0.5


def test_adherence_rounds_to_4_decimals():
    program = program_of(28)
    sessions(program, (SessionStatus.COMPLETED, 1), (SessionStatus.COMPLETED, 2), (SessionStatus.SKIPPED, 3))
    assert metrics(program).adherence_rate == 0.6667
    assert adherence_rate(completed=1, due=3) == 0.3333
    assert adherence_rate(completed=0, due=3) == 0.0
    assert adherence_rate(completed=0, due=0) is None


def test_adherence_only_skipped_is_0_not_none():
    program = program_of(28)
    sessions(program, (SessionStatus.SKIPPED, 1))
    assert metrics(program).adherence_rate == 0.0


def test_planned_session_scheduled_exactly_now_is_not_due_yet():
    program = program_of(28)
    TrainingSessionFactory(program=program, scheduled_at=NOON)
    assert metrics(program).adherence_rate is None
    assert metrics(program, now=NOON + timedelta(microseconds=1)).adherence_rate == 0.0


def test_adherence_ignores_other_programs_sessions():
    program = program_of(28)
    other = program_of(28)
    sessions(program, (SessionStatus.COMPLETED, 1))
    sessions(other, (SessionStatus.SKIPPED, 1), (SessionStatus.SKIPPED, 2))
    assert metrics(program).adherence_rate == 1.0
    assert metrics(other).adherence_rate == 0.0


# --- currentPhaseId -----------------------------------------------------------------------------------


def phase(program, order, first_day, last_day, status=PlanStatus.PLANNED):
    return ProgramPhaseFactory(
        program=program,
        phase_order=order,
        start_date=START + timedelta(days=first_day),
        end_date=START + timedelta(days=last_day),
        status=status,
    )


def test_current_phase_flag_wins_over_dates():
    program = program_of(28)
    by_dates = phase(program, 1, 0, 20)
    flagged = phase(program, 2, 21, 27, status=PlanStatus.CURRENT)
    assert metrics(program, now=at(5)).current_phase_id == flagged.pk
    assert by_dates.pk != flagged.pk


def test_current_phase_falls_back_to_the_phase_containing_today():
    program = program_of(28)
    first = phase(program, 1, 0, 6)
    second = phase(program, 2, 7, 13)
    assert metrics(program, now=at(0)).current_phase_id == first.pk
    assert metrics(program, now=at(6, hour=23)).current_phase_id == first.pk
    assert metrics(program, now=at(7, hour=0)).current_phase_id == second.pk
    assert metrics(program, now=at(13)).current_phase_id == second.pk


def test_current_phase_fallback_takes_the_lowest_phase_order():
    # Phases cannot overlap through the model; a raw bulk insert can, and the metric must still be defined.
    program = program_of(28)
    late = phase(program, 5, 0, 6)
    early = ProgramPhase(
        program=program, name="Early", focus="x", phase_order=2, start_date=START, end_date=START + timedelta(6)
    )
    ProgramPhase.objects.bulk_create([early])
    assert metrics(program, now=at(3)).current_phase_id == early.pk
    assert late.phase_order > early.phase_order


def test_current_phase_is_none_between_phases_and_outside_them():
    program = program_of(28)
    phase(program, 1, 0, 6)
    phase(program, 2, 14, 20)
    assert metrics(program, now=at(10)).current_phase_id is None
    assert metrics(program, now=at(-1)).current_phase_id is None
    assert metrics(program, now=at(25)).current_phase_id is None
    assert metrics(program_of(28), now=at(3)).current_phase_id is None  # no phases at all


def test_current_phase_ignores_completed_status_and_other_programs():
    program = program_of(28)
    phase(program_of(28), 1, 0, 27, status=PlanStatus.CURRENT)
    completed = phase(program, 1, 0, 6, status=PlanStatus.COMPLETED)
    assert metrics(program, now=at(3)).current_phase_id == completed.pk  # by dates, not by its status
    assert metrics(program, now=at(10)).current_phase_id is None


@pytest.mark.parametrize(("tz", "expected_phase"), [("UTC", 1), ("Pacific/Kiritimati", 2), ("Pacific/Pago_Pago", 1)])
def test_current_phase_fallback_uses_the_athletes_local_today(tz, expected_phase):
    program = program_of(28, athlete=AthleteProfileFactory(timezone=tz))
    phases = {1: phase(program, 1, 0, 6), 2: phase(program, 2, 7, 13)}
    # 8 Mar 22:00 UTC: day 6 in UTC and Pago Pago, day 7 in Kiritimati.
    assert metrics(program, now=at(6, hour=22)).current_phase_id == phases[expected_phase].pk


def test_current_phase_in_a_timezone_behind_utc():
    program = program_of(28, athlete=AthleteProfileFactory(timezone="Pacific/Pago_Pago"))
    first, _ = phase(program, 1, 0, 6), phase(program, 2, 7, 13)
    # 9 Mar 05:00 UTC is day 7 in UTC but 8 Mar (day 6) in Pago Pago.
    assert metrics(program, now=at(7, hour=5)).current_phase_id == first.pk


# --- nextSessionId ------------------------------------------------------------------------------------


def test_next_session_is_the_earliest_planned_at_or_after_now():
    program = program_of(28)
    TrainingSessionFactory(program=program, scheduled_at=NOON - timedelta(minutes=1))  # past, missed
    TrainingSessionFactory(program=program, scheduled_at=NOON + timedelta(days=1), status=SessionStatus.COMPLETED)
    TrainingSessionFactory(program=program, scheduled_at=NOON + timedelta(days=1), status=SessionStatus.SKIPPED)
    later = TrainingSessionFactory(program=program, scheduled_at=NOON + timedelta(days=3))
    sooner = TrainingSessionFactory(program=program, scheduled_at=NOON + timedelta(days=2))
    assert metrics(program).next_session_id == sooner.pk
    assert later.pk != sooner.pk


def test_next_session_scheduled_exactly_now_counts():
    program = program_of(28)
    now_session = TrainingSessionFactory(program=program, scheduled_at=NOON)
    assert metrics(program).next_session_id == now_session.pk
    assert metrics(program, now=NOON + timedelta(microseconds=1)).next_session_id is None


def test_next_session_ties_are_broken_by_id():
    program = program_of(28)
    tied = [TrainingSessionFactory(program=program, scheduled_at=NOON + timedelta(hours=1)) for _ in range(3)]
    assert metrics(program).next_session_id == min(s.pk for s in tied)


def test_next_session_is_none_without_future_planned_sessions():
    program = program_of(28)
    TrainingSessionFactory(program=program, scheduled_at=NOON - timedelta(days=1))
    TrainingSessionFactory(program=program, scheduled_at=NOON + timedelta(days=1), status=SessionStatus.SKIPPED)
    TrainingSessionFactory(program=program_of(28), scheduled_at=NOON + timedelta(days=1))  # another program's
    assert metrics(program).next_session_id is None


# --- micro-cycle session counts -----------------------------------------------------------------------


def test_micro_cycle_session_counts():
    program = program_of(28)
    busy = MicroCycleFactory(program=program, week_index=1)
    empty = MicroCycleFactory(program=program, week_index=2)
    for status in [SessionStatus.COMPLETED, SessionStatus.COMPLETED, SessionStatus.SKIPPED, SessionStatus.PLANNED]:
        TrainingSessionFactory(program=program, micro_cycle=busy, status=status)
    TrainingSessionFactory(program=program)  # in no cycle
    counts = {c.pk: (c.sessions_planned, c.sessions_completed) for c in MicroCycle.objects.with_session_counts()}
    assert counts == {busy.pk: (4, 2), empty.pk: (0, 0)}


# --- refreshed_with_metrics and constant query counts ---------------------------------------------------


def test_refreshed_with_metrics_loads_the_annotations():
    program = program_of(28)
    sessions(program, (SessionStatus.COMPLETED, 1), (SessionStatus.SKIPPED, 2))
    fresh = program.refreshed_with_metrics(now=NOON)
    assert fresh.adherence_rate == 0.5
    assert fresh.completed_weeks == 2


def populate(n: int) -> None:
    for i in range(n):
        program = program_of(28, athlete=AthleteProfileFactory(timezone=["UTC", "Pacific/Kiritimati"][i % 2]))
        first = phase(program, 1, 0, 20, status=PlanStatus.CURRENT if i % 3 == 0 else PlanStatus.PLANNED)
        cycle = MicroCycleFactory(program=program, phase=first)
        TrainingSessionFactory(program=program, micro_cycle=cycle, status=SessionStatus.COMPLETED)
        TrainingSessionFactory(program=program, scheduled_at=at(20))


def evaluate_programs() -> list:
    return [
        (p.total_weeks, p.completed_weeks, p.adherence_rate, p.current_phase_id, p.next_session_id, p.athlete.timezone)
        for p in TrainingProgram.objects.with_metrics(now=NOON)
    ]


def test_program_metrics_query_count_does_not_grow(django_assert_num_queries):
    populate(3)
    with CaptureQueriesContext(connection) as small:
        assert len(evaluate_programs()) == 3
    populate(27)
    with django_assert_num_queries(len(small.captured_queries)):
        rows = evaluate_programs()
    assert len(rows) == 30
    assert len(small.captured_queries) == 1
    assert all(row[2] == 1.0 and row[3] is not None and row[4] is not None for row in rows)


def test_micro_cycle_counts_query_count_does_not_grow(django_assert_num_queries):
    populate(3)
    with django_assert_num_queries(1):
        assert len([(c.sessions_planned, c.sessions_completed) for c in MicroCycle.objects.with_session_counts()]) == 3
    populate(27)
    with django_assert_num_queries(1):
        counts = [(c.sessions_planned, c.sessions_completed) for c in MicroCycle.objects.with_session_counts()]
    assert counts == [(1, 1)] * 30
