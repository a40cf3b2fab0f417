"""Plan coherence in the model layer: one current micro-cycle per program, a cycle's week overlaps
its phase, a session lies in its phase's dates and its cycle's week (athlete-local), completedAt not in the
future, RPE only on completed sessions with load = rpe × minutes, and parent changes that would strand a child
are refused naming it. full_clean() is what the admin, the API and the services all run."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.placement import cycle_week
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training import services
from training.models import COMPLETED_AT_CLOCK_SKEW, MicroCycle, Modality, SessionStatus, TrainingSession

pytestmark = pytest.mark.django_db

START = date(2026, 3, 2)  # a Monday
END = date(2026, 3, 25)  # 24 days: weeks 1–3 full, week 4 is 23–25 March


def errors_of(instance) -> dict:
    with pytest.raises(ValidationError) as exc:
        instance.full_clean()
    return exc.value.message_dict


@pytest.fixture
def program():
    return TrainingProgramFactory(
        athlete=AthleteProfileFactory(timezone="America/Los_Angeles"), start_date=START, end_date=END
    )


def session(program, at: datetime, **kwargs) -> TrainingSession:
    return TrainingSession(
        program=program, title="Tempo", scheduled_at=at, duration_minutes=50, modality=Modality.RUN, **kwargs
    )


def la(day: date, hour: int, minute: int = 0) -> datetime:
    """A Los Angeles wall-clock time as UTC (PST −8 until 8 March 2026, PDT −7 after)."""
    offset = 8 if day < date(2026, 3, 8) else 7
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) + timedelta(hours=offset)


# --- a cycle's week ---------------------------------------------------------------------------------


def test_cycle_week_is_seven_days_and_the_last_one_ends_at_the_program_end():
    assert cycle_week(START, END, 1) == (date(2026, 3, 2), date(2026, 3, 8))
    assert cycle_week(START, END, 3) == (date(2026, 3, 16), date(2026, 3, 22))
    assert cycle_week(START, END, 4) == (date(2026, 3, 23), date(2026, 3, 25))
    assert MicroCycle(program=TrainingProgramFactory(start_date=START, end_date=END), week_index=4).week_dates() == (
        date(2026, 3, 23),
        date(2026, 3, 25),
    )


# --- one current micro-cycle per program --------------------------------------------------------------


def test_second_current_cycle_in_a_program_is_refused_on_status(program):
    MicroCycleFactory(program=program, week_index=1, status="current")
    second = MicroCycle(program=program, week_index=2, status="current")
    assert errors_of(second) == {"__all__": ["This program already has a current micro-cycle."]}
    second.status = "planned"
    second.full_clean()
    # another program's current cycle is no obstacle; the current cycle itself may be saved again
    MicroCycle(program=TrainingProgramFactory(), week_index=1, status="current").full_clean()
    current = MicroCycle.objects.get(program=program, status="current")
    current.readiness_score = 50
    current.full_clean()


def test_the_database_refuses_a_second_current_cycle_however_it_is_written(program):
    MicroCycleFactory(program=program, week_index=1, status="current")
    with pytest.raises(IntegrityError), transaction.atomic():
        MicroCycleFactory(program=program, week_index=2, status="current")


def test_service_reports_a_second_current_cycle_on_the_status_field(program):
    MicroCycleFactory(program=program, week_index=1, status="current")
    with pytest.raises(ValidationError) as exc:
        services.micro_cycle_save(micro_cycle=MicroCycle(program=program, week_index=2, status="current"))
    assert "This program already has a current micro-cycle." in str(exc.value)


# --- a cycle's week overlaps its phase ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase_start", "phase_end", "week", "ok"),
    [
        (date(2026, 3, 9), date(2026, 3, 15), 2, True),  # the same days
        (date(2026, 3, 8), date(2026, 3, 9), 2, True),  # shares the week's first day
        (date(2026, 3, 15), date(2026, 3, 20), 2, True),  # shares the week's last day
        (date(2026, 3, 2), date(2026, 3, 8), 2, False),  # ends the day before the week
        (date(2026, 3, 16), date(2026, 3, 25), 2, False),  # starts the day after the week
        (date(2026, 3, 25), date(2026, 3, 25), 4, True),  # the short last week (23–25 March)
        (date(2026, 3, 16), date(2026, 3, 22), 4, False),
    ],
)
def test_cycle_week_must_overlap_its_phase(program, phase_start, phase_end, week, ok):
    phase = ProgramPhaseFactory(program=program, start_date=phase_start, end_date=phase_end)
    cycle = MicroCycle(program=program, phase=phase, week_index=week)
    if ok:
        cycle.full_clean()
    else:
        message = errors_of(cycle)["week_index"][0]
        assert f"Week {week}" in message and str(phase_start) in message and "does not overlap" in message


# --- a session lies in its phase's dates and its cycle's week (athlete-local) ---------------------------


@pytest.mark.parametrize(
    ("at", "ok"),
    [
        (la(date(2026, 3, 9), 0, 0), True),  # the phase's first day, at local midnight
        (la(date(2026, 3, 8), 23, 59), False),  # one minute before (already 9 March in UTC)
        (la(date(2026, 3, 15), 23, 59), True),  # the phase's last day, a minute before midnight
        (la(date(2026, 3, 16), 0, 0), False),
    ],
)
def test_session_must_lie_in_its_phase_in_the_athletes_timezone(program, at, ok):
    phase = ProgramPhaseFactory(program=program, start_date=date(2026, 3, 9), end_date=date(2026, 3, 15))
    candidate = session(program, at, phase=phase)
    if ok:
        candidate.full_clean()
    else:
        message = errors_of(candidate)["scheduled_at"][0]
        assert "outside its phase" in message and "America/Los_Angeles" in message


@pytest.mark.parametrize(
    ("week", "at", "ok"),
    [
        (2, la(date(2026, 3, 9), 0, 0), True),
        (2, la(date(2026, 3, 8), 23, 59), False),  # week 1's last minute (DST began that morning)
        (2, la(date(2026, 3, 15), 23, 59), True),
        (2, la(date(2026, 3, 16), 0, 0), False),
        (4, la(date(2026, 3, 25), 23, 59), True),  # the short last week ends at the program's end
        (4, la(date(2026, 3, 22), 23, 59), False),
    ],
)
def test_session_must_lie_in_its_cycles_week_in_the_athletes_timezone(program, week, at, ok):
    cycle = MicroCycleFactory(program=program, week_index=week)
    candidate = session(program, at, micro_cycle=cycle)
    if ok:
        candidate.full_clean()
    else:
        message = errors_of(candidate)["scheduled_at"][0]
        assert f"outside its micro-cycle's week {week}" in message


def test_placement_is_not_judged_again_when_a_session_is_only_logged(program):
    """A session placed by an older rule set (written before these rules) can still be logged."""
    cycle = MicroCycleFactory(program=program, week_index=1)
    stray = TrainingSessionFactory(program=program, micro_cycle=cycle, scheduled_at=la(date(2026, 3, 12), 9))
    stray = TrainingSession.objects.get(pk=stray.pk)
    stray.status, stray.rpe = SessionStatus.COMPLETED, 4
    stray.full_clean()  # only the fields it changes are judged
    stray.scheduled_at = la(date(2026, 3, 12), 10)
    assert "scheduled_at" in errors_of(stray)  # moving it is judged


# --- completedAt not in the future ---------------------------------------------------------------------


def test_completed_at_may_run_ahead_by_the_clock_skew_but_not_more(program):
    at = la(date(2026, 3, 3), 9)
    now = timezone.now()
    within = session(program, at, status="completed", completed_at=now + COMPLETED_AT_CLOCK_SKEW - timedelta(seconds=5))
    within.full_clean()
    beyond = session(program, at, status="completed", completed_at=now + COMPLETED_AT_CLOCK_SKEW + timedelta(seconds=5))
    assert errors_of(beyond) == {"completed_at": ["The completion time is in the future."]}
    past = session(program, at, status="completed", completed_at=now - timedelta(days=400))
    past.full_clean()


# --- RPE -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["planned", "skipped"])
def test_rpe_only_on_a_completed_session(program, status):
    assert errors_of(session(program, la(date(2026, 3, 3), 9), status=status, rpe=5)) == {
        "rpe": ["RPE can only be given for a completed session."]
    }


def test_the_database_refuses_rpe_on_a_session_that_is_not_completed(program):
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingSessionFactory(program=program, status="planned", rpe=3)


@pytest.mark.parametrize(("rpe", "minutes", "load"), [(0, 50, 0), (7, 50, 350), (10, 1440, 14400)])
def test_load_is_rpe_times_minutes_when_left_empty(program, rpe, minutes, load):
    done = session(program, la(date(2026, 3, 3), 9), status="completed", rpe=rpe)
    done.duration_minutes = minutes
    done.full_clean()
    assert done.load == load


def test_a_given_load_is_kept(program):
    done = session(program, la(date(2026, 3, 3), 9), status="completed", rpe=7, load=Decimal("123.5"))
    done.full_clean()
    assert done.load == Decimal("123.5")


def test_sessions_set_status_drops_rpe_when_leaving_completed(program):
    done = TrainingSessionFactory(program=program, status="completed", rpe=6, load=300)
    services.sessions_set_status(sessions=[TrainingSession.objects.get(pk=done.pk)], status="skipped")
    done.refresh_from_db()
    assert (done.status, done.rpe, done.completed_at) == ("skipped", None, None)


# --- parent changes that would strand children are refused, naming them ---------------------------------


def test_program_dates_that_strand_children_are_refused_naming_them(program):
    phase = ProgramPhaseFactory(program=program, name="Build", start_date=date(2026, 3, 16), end_date=END)
    MicroCycleFactory(program=program, phase=phase, week_index=3)
    for i in range(7):
        TrainingSessionFactory(program=program, title=f"Run {i}", scheduled_at=la(date(2026, 3, 17), 9 + i))
    program.end_date = date(2026, 3, 15)
    message = " ".join(errors_of(program)["end_date"])
    assert "1 phase would no longer fit: phase 1 “Build” (2026-03-16 – 2026-03-25)" in message
    assert "1 micro-cycle would no longer fit: week 3" in message
    assert "7 sessions would no longer fit: “Run 0” (2026-03-17)" in message and "and 2 more" in message
    assert "Run 5" not in message  # the list is capped


def test_program_start_moving_shifts_every_cycle_week_and_is_judged(program):
    cycle = MicroCycleFactory(program=program, week_index=1)
    TrainingSessionFactory(program=program, micro_cycle=cycle, title="Opener", scheduled_at=la(date(2026, 3, 2), 9))
    program.start_date = date(2026, 3, 1)  # week 1 would be 1–7 March: still holds 2 March
    program.full_clean()
    program.start_date = date(2026, 3, 3)  # the session would be before the program
    assert "“Opener” (2026-03-02)" in " ".join(errors_of(program)["end_date"])


def test_phase_dates_that_strand_its_cycles_or_sessions_are_refused_naming_them(program):
    phase = ProgramPhaseFactory(program=program, start_date=START, end_date=date(2026, 3, 15))
    MicroCycleFactory(program=program, phase=phase, week_index=2)
    TrainingSessionFactory(program=program, phase=phase, title="Hills", scheduled_at=la(date(2026, 3, 4), 9))
    phase.start_date = date(2026, 3, 5)  # still overlaps week 2, but drops 4 March
    assert errors_of(phase) == {"end_date": ["1 session would no longer fit: “Hills” (2026-03-04)."]}
    phase.start_date, phase.end_date = START, date(2026, 3, 8)  # no longer overlaps week 2
    assert errors_of(phase) == {"end_date": ["1 micro-cycle would no longer fit: week 2 (2026-03-09 – 2026-03-15)."]}
    phase.start_date, phase.end_date = START, date(2026, 3, 9)  # shares a day with week 2: fine
    phase.full_clean()


def test_cycle_week_change_that_strands_its_sessions_is_refused_naming_them(program):
    cycle = MicroCycleFactory(program=program, week_index=1)
    TrainingSessionFactory(program=program, micro_cycle=cycle, title="Easy", scheduled_at=la(date(2026, 3, 3), 9))
    cycle.week_index = 2
    assert errors_of(cycle) == {"week_index": ["1 session would no longer fit: “Easy” (2026-03-03)."]}
    empty = MicroCycleFactory(program=program, week_index=3)
    empty.week_index = 4
    empty.full_clean()


def test_timezone_change_keeps_a_session_in_its_cycle_week(program):
    cycle = MicroCycleFactory(program=program, week_index=1)
    # Sunday 8 March 20:00 in Los Angeles (week 1) would be Monday 9 March (week 2) read in Tokyo; the session
    # keeps its wall-clock time instead: Sunday 8 March 20:00 in Tokyo.
    placed = TrainingSessionFactory(
        program=program, micro_cycle=cycle, title="Long", scheduled_at=la(date(2026, 3, 8), 20)
    )
    athlete = program.athlete
    athlete.timezone = "Asia/Tokyo"
    athlete.full_clean()
    athlete.save()
    placed.refresh_from_db()
    assert placed.scheduled_at == datetime(2026, 3, 8, 11, tzinfo=UTC)  # 20:00 JST
    first, last = cycle.week_dates(program)
    assert first <= placed.scheduled_at.astimezone(athlete.tzinfo).date() <= last


# --- the children checks cost the same number of queries however many children there are ----------------


def _queries_of(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@pytest.mark.parametrize("kind", ["program", "phase", "cycle", "timezone"])
def test_parent_change_checks_do_not_grow_with_the_children(kind):
    def make(sessions: int):
        program = TrainingProgramFactory(start_date=START, end_date=END)
        phase = ProgramPhaseFactory(program=program)
        cycle = MicroCycleFactory(program=program, phase=phase, week_index=2)
        for i in range(sessions):
            TrainingSessionFactory(program=program, phase=phase, micro_cycle=cycle, title=f"S{i}")
        return program, phase, cycle

    def change(program, phase, cycle):
        if kind == "program":
            program.end_date = END + timedelta(days=7)
            return lambda: services.program_save(program=program)
        if kind == "phase":
            phase.end_date = END - timedelta(days=1)
            return lambda: services.phase_save(phase=phase)
        if kind == "cycle":
            cycle.week_index = 3  # strands every session: refused, naming at most five

            def refused():
                with pytest.raises(ValidationError, match="would no longer fit"):
                    services.micro_cycle_save(micro_cycle=cycle)

            return refused
        athlete = program.athlete
        athlete.timezone = "Europe/Oslo"  # every session moves with the zone (athletes.travel)
        return lambda: (athlete.full_clean(), athlete.save())

    few = _queries_of(change(*make(2)))
    many = _queries_of(change(*make(30)))
    assert few == many


def test_placement_tracking_follows_save_and_refresh(program):
    placed = TrainingSessionFactory(program=program, scheduled_at=la(date(2026, 3, 3), 9))
    assert not placed.changed(*TrainingSession.PLACEMENT_FIELDS)  # saved: what is stored is what it holds
    placed.scheduled_at = la(date(2026, 3, 4), 9)
    assert placed.changed("scheduled_at")
    placed.refresh_from_db()
    assert not placed.changed("scheduled_at")
    placed.scheduled_at = la(date(2026, 3, 4), 9)
    placed.refresh_from_db(fields=["title"])
    assert placed.changed("scheduled_at")  # a partial refresh keeps the unsaved change, and it is judged
    assert TrainingSession(program=program).changed("scheduled_at")  # a new row: everything is judged
