"""training.services: transactional writes, rules through full_clean, races end in ValidationError."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from tests.support.utils import postgres_only, run_at_once
from training import services
from training.models import (
    MicroCycle,
    PlanStatus,
    ProgramPhase,
    SessionStatus,
    TrainingProgram,
    TrainingSession,
)

START = date(2026, 3, 2)
END = date(2026, 3, 29)


def program_of(**kwargs) -> TrainingProgram:
    return TrainingProgramFactory(start_date=START, end_date=END, **kwargs)


# --- programs -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_program_save_creates_a_valid_program_and_trims_the_title():
    athlete = AthleteProfileFactory()
    program = services.program_save(
        program=TrainingProgram(athlete=athlete, title="  Base  ", start_date=START, end_date=END)
    )
    assert TrainingProgram.objects.get(pk=program.pk).title == "Base"


@pytest.mark.django_db
def test_program_save_refuses_an_invalid_program_and_writes_nothing():
    athlete = AthleteProfileFactory()
    with pytest.raises(ValidationError) as exc:
        services.program_save(
            program=TrainingProgram(athlete=athlete, title="x", start_date=START, end_date=START - timedelta(days=1))
        )
    assert "end_date" in exc.value.message_dict
    assert not TrainingProgram.objects.exists()


@pytest.mark.django_db
def test_program_activate_makes_the_program_current():
    program = program_of()
    services.program_activate(program=program)
    assert TrainingProgram.objects.get(pk=program.pk).status == PlanStatus.CURRENT


@pytest.mark.django_db
def test_program_activate_twice_on_the_same_program_is_fine():
    program = program_of(status=PlanStatus.CURRENT)
    services.program_activate(program=program)
    assert TrainingProgram.objects.get(pk=program.pk).version == 2


@pytest.mark.django_db
def test_program_activate_refuses_a_second_current_program():
    current = program_of(status=PlanStatus.CURRENT)
    other = program_of(athlete=current.athlete)
    with pytest.raises(ValidationError) as exc:
        services.program_activate(program=other)
    assert exc.value.message_dict == {"status": ["This athlete already has a current program."]}
    assert TrainingProgram.objects.get(pk=other.pk).status == PlanStatus.PLANNED


@pytest.mark.django_db
def test_program_activate_of_another_athlete_is_allowed():
    program_of(status=PlanStatus.CURRENT)
    other = program_of()
    services.program_activate(program=other)
    assert TrainingProgram.objects.filter(status=PlanStatus.CURRENT).count() == 2


@pytest.mark.django_db
def test_constraint_that_fires_after_clean_becomes_a_validation_error(monkeypatch):
    # What a lost race looks like: the check passed, then the database refuses. No IntegrityError escapes.
    current = program_of(status=PlanStatus.CURRENT)
    other = program_of(athlete=current.athlete)
    monkeypatch.setattr(TrainingProgram, "full_clean", lambda self, *a, **k: None)
    with pytest.raises(ValidationError) as exc:
        services.program_activate(program=other)
    assert exc.value.message_dict == {"status": ["This athlete already has a current program."]}
    assert exc.value.error_dict["status"][0].code == "conflict"
    assert other.version == 1  # the refused save did not leave a bumped version in memory
    assert TrainingProgram.objects.get(pk=other.pk).version == 1


@pytest.mark.django_db
def test_program_save_refuses_dates_that_strand_a_session():
    program = program_of()
    TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 3, 29, 7, tzinfo=UTC))
    program.end_date = date(2026, 3, 28)
    with pytest.raises(ValidationError):
        services.program_save(program=program)
    assert TrainingProgram.objects.get(pk=program.pk).end_date == END


# --- phases and micro-cycles -------------------------------------------------------------------------


@pytest.mark.django_db
def test_phase_save_refuses_an_overlap():
    program = program_of()
    services.phase_save(
        phase=ProgramPhase(program=program, name="A", focus="f", phase_order=1, start_date=START, end_date=START)
    )
    with pytest.raises(ValidationError):
        services.phase_save(
            phase=ProgramPhase(program=program, name="B", focus="f", phase_order=2, start_date=START, end_date=END)
        )
    assert ProgramPhase.objects.count() == 1


@pytest.mark.django_db
def test_phase_constraint_after_clean_becomes_a_validation_error(monkeypatch):
    program = program_of()
    ProgramPhaseFactory(program=program, phase_order=1, start_date=START, end_date=START)
    monkeypatch.setattr(ProgramPhase, "full_clean", lambda self, *a, **k: None)
    phase = ProgramPhase(program=program, name="B", focus="f", phase_order=1, start_date=END, end_date=END)
    with pytest.raises(ValidationError) as exc:
        services.phase_save(phase=phase)
    assert exc.value.message_dict == {"phase_order": ["Another phase of this program has this order."]}


@pytest.mark.django_db
def test_micro_cycle_save_checks_the_week_index():
    program = program_of()  # 4 weeks
    services.micro_cycle_save(micro_cycle=MicroCycle(program=program, week_index=4))
    with pytest.raises(ValidationError):
        services.micro_cycle_save(micro_cycle=MicroCycle(program=program, week_index=5))
    with pytest.raises(ValidationError):
        services.micro_cycle_save(micro_cycle=MicroCycle(program=program, week_index=4))
    assert MicroCycle.objects.count() == 1


# --- sessions -----------------------------------------------------------------------------------------


def new_session(program, **kwargs) -> TrainingSession:
    defaults = {
        "title": "Tempo",
        "scheduled_at": datetime(2026, 3, 10, 7, tzinfo=UTC),
        "duration_minutes": 45,
        "modality": "run",
    }
    return TrainingSession(program=program, **{**defaults, **kwargs})


@pytest.mark.django_db
def test_session_save_takes_the_athlete_from_the_program_and_stamps_completed_at():
    program = program_of()
    session = services.session_save(session=new_session(program, status=SessionStatus.COMPLETED))
    session.refresh_from_db()
    assert session.athlete_id == program.athlete_id
    assert session.completed_at is not None


@pytest.mark.django_db
def test_session_save_refuses_a_session_outside_the_program():
    program = program_of()
    with pytest.raises(ValidationError) as exc:
        services.session_save(session=new_session(program, scheduled_at=datetime(2026, 3, 30, 0, tzinfo=UTC)))
    assert "scheduled_at" in exc.value.message_dict
    assert not TrainingSession.objects.exists()


@pytest.mark.django_db
def test_sessions_set_status_completed_then_skipped():
    program = program_of()
    sessions = TrainingSessionFactory.create_batch(2, program=program)
    at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    services.sessions_set_status(sessions=sessions, status=SessionStatus.COMPLETED, at=at)
    assert set(TrainingSession.objects.values_list("status", "completed_at")) == {(SessionStatus.COMPLETED, at)}
    services.sessions_set_status(sessions=sessions, status=SessionStatus.SKIPPED)
    assert set(TrainingSession.objects.values_list("status", "completed_at")) == {(SessionStatus.SKIPPED, None)}


@pytest.mark.django_db
def test_sessions_set_status_refuses_an_unknown_status():
    session = TrainingSessionFactory()
    with pytest.raises(ValidationError):
        services.sessions_set_status(sessions=[session], status="missed")
    session.refresh_from_db()
    assert session.status == SessionStatus.PLANNED


@pytest.mark.django_db
def test_sessions_set_status_is_all_or_nothing(monkeypatch):
    program = program_of()
    good = TrainingSessionFactory(program=program)
    bad = TrainingSessionFactory(program=program)

    # The second session's check fails (logging a session does not re-judge its placement, so the failure is
    # made directly, on the row as re-read under the lock): its save must fail, and take the first one back.
    clean = TrainingSession.clean

    def refuse(self):
        if self.pk == bad.pk:
            raise ValidationError({"title": "refused"})
        clean(self)

    monkeypatch.setattr(TrainingSession, "clean", refuse)
    with pytest.raises(ValidationError):
        services.sessions_set_status(sessions=[good, bad], status=SessionStatus.COMPLETED)
    assert set(TrainingSession.objects.values_list("status", flat=True)) == {SessionStatus.PLANNED}


# --- the rules are judged against the parent as it is under the lock, not a stale copy ----------------


@pytest.mark.django_db
def test_phase_save_judges_against_the_program_as_it_is_now():
    program = program_of()
    phase = ProgramPhase(program=program, name="Base", focus="x", phase_order=1, start_date=START, end_date=END)
    # Another writer shortened the program after `phase.program` was loaded (e.g. by a serializer).
    TrainingProgram.objects.filter(pk=program.pk).update(end_date=date(2026, 3, 15))
    with pytest.raises(ValidationError) as exc:
        services.phase_save(phase=phase)
    assert "end_date" in exc.value.message_dict
    assert not ProgramPhase.objects.exists()


@pytest.mark.django_db
def test_micro_cycle_save_judges_against_the_program_as_it_is_now():
    program = program_of()  # 4 weeks
    cycle = MicroCycle(program=program, week_index=4)
    TrainingProgram.objects.filter(pk=program.pk).update(end_date=date(2026, 3, 15))  # now 2 weeks
    with pytest.raises(ValidationError) as exc:
        services.micro_cycle_save(micro_cycle=cycle)
    assert "week_index" in exc.value.message_dict


@pytest.mark.django_db
def test_session_save_judges_against_the_program_and_timezone_as_they_are_now():
    program = program_of()
    late = new_session(program, scheduled_at=datetime(2026, 3, 20, 7, tzinfo=UTC))
    TrainingProgram.objects.filter(pk=program.pk).update(end_date=date(2026, 3, 15))
    with pytest.raises(ValidationError) as exc:
        services.session_save(session=late)
    assert "scheduled_at" in exc.value.message_dict

    # 29 Mar 23:30 UTC: inside in UTC, 30 Mar (outside) once the athlete has moved to Oslo.
    program = program_of()
    edge = new_session(program, scheduled_at=datetime(2026, 3, 29, 23, 30, tzinfo=UTC))
    type(program.athlete).objects.filter(pk=program.athlete_id).update(timezone="Europe/Oslo")
    with pytest.raises(ValidationError) as exc:
        services.session_save(session=edge)
    assert "scheduled_at" in exc.value.message_dict


@pytest.mark.django_db
def test_program_save_judges_sessions_in_the_athletes_timezone_as_it_is_now():
    program = program_of()
    TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC))
    program.refresh_from_db()
    program.athlete  # noqa: B018 - load the athlete (UTC) before the change below
    type(program.athlete).objects.filter(pk=program.athlete_id).update(timezone="Europe/Oslo")
    program.end_date = date(2026, 3, 28)  # fine in UTC; in Oslo the session is on 29 Mar
    with pytest.raises(ValidationError):
        services.program_save(program=program)


# --- races on PostgreSQL -------------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_activations_of_one_athletes_programs_leave_exactly_one_current():
    athlete = AthleteProfileFactory()
    programs = [program_of(athlete=athlete) for _ in range(8)]
    # Each thread loads its own instance before the barrier, as a request would.
    instances = [TrainingProgram.objects.get(pk=p.pk) for p in programs]
    results = run_at_once([lambda p=p: services.program_activate(program=p) for p in instances])

    winners = [r for r in results if isinstance(r, TrainingProgram)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1, results
    assert len(losers) == 7
    assert all(type(r) is ValidationError for r in losers), losers
    assert all(r.message_dict == {"status": ["This athlete already has a current program."]} for r in losers)
    assert list(TrainingProgram.objects.filter(status=PlanStatus.CURRENT).values_list("pk", flat=True)) == [
        winners[0].pk
    ]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_activations_for_different_athletes_all_succeed():
    programs = [program_of() for _ in range(4)]
    results = run_at_once([lambda p=p: services.program_activate(program=p) for p in programs])
    assert all(isinstance(r, TrainingProgram) for r in results), results
    assert TrainingProgram.objects.filter(status=PlanStatus.CURRENT).count() == 4


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_current_phases_leave_exactly_one():
    program = program_of()
    phases = [
        ProgramPhaseFactory(program=program, phase_order=i + 1, start_date=day, end_date=day)
        for i, day in enumerate([START, START + timedelta(days=7), START + timedelta(days=14), END])
    ]

    def make_current(pk):
        phase = ProgramPhase.objects.get(pk=pk)
        phase.status = PlanStatus.CURRENT
        return services.phase_save(phase=phase)

    results = run_at_once([lambda pk=p.pk: make_current(pk) for p in phases])
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(losers) == 3, results
    assert all(type(r) is ValidationError for r in losers), losers
    assert ProgramPhase.objects.filter(status=PlanStatus.CURRENT).count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_phases_leave_one():
    # Overlap is a rule no database constraint expresses here: only the program lock keeps it under a race.
    program = program_of()
    results = run_at_once(
        [
            lambda order=order: services.phase_save(
                phase=ProgramPhase(
                    program_id=program.pk,
                    name=f"P{order}",
                    focus="f",
                    phase_order=order,
                    start_date=START,
                    end_date=END,
                )
            )
            for order in range(1, 5)
        ]
    )
    assert sum(isinstance(r, ProgramPhase) for r in results) == 1, results
    assert all(type(r) is ValidationError for r in results if isinstance(r, Exception))
    assert ProgramPhase.objects.count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_shortening_a_program_while_a_session_is_added_on_its_last_day_lets_exactly_one_win():
    # Without the program lock both checks pass against the old state and the session ends up outside.
    program = program_of()

    def shorten():
        fresh = TrainingProgram.objects.get(pk=program.pk)
        fresh.end_date = date(2026, 3, 28)
        return services.program_save(program=fresh)

    def add_session():
        return services.session_save(
            session=new_session(
                TrainingProgram.objects.get(pk=program.pk), scheduled_at=datetime(2026, 3, 29, 7, tzinfo=UTC)
            )
        )

    results = run_at_once([shorten, add_session])
    assert sum(isinstance(r, ValidationError) for r in results) == 1, results
    assert all(isinstance(r, TrainingProgram | TrainingSession | ValidationError) for r in results), results
    program.refresh_from_db()
    assert TrainingSession.objects.filter(program=program).count() == (1 if program.end_date == END else 0)


# --- sessions_set_status: a constant number of queries -------------------------------------------------


def _sessions_over_programs(n: int, programs: int = 3) -> list[TrainingSession]:
    made = []
    for p in range(programs):
        program = program_of()
        start = datetime.combine(program.start_date, datetime.min.time(), tzinfo=UTC)
        made += [
            TrainingSessionFactory(program=program, scheduled_at=start + timedelta(hours=i))
            for i in range(p, n, programs)
        ]
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("n", [10, 100])
def test_sessions_set_status_costs_the_same_queries_for_10_and_100_sessions(n, django_assert_num_queries):
    sessions = _sessions_over_programs(n)
    # lock the programs, re-read the sessions, savepoint, one UPDATE, release (plus the outer atomic's own
    # savepoint pair inside the test's transaction), and the webhook endpoints that might want the events (none)
    with django_assert_num_queries(8):
        changed = services.sessions_set_status(sessions=sessions, status=SessionStatus.COMPLETED)
    assert len(changed) == n
    assert TrainingSession.objects.filter(status=SessionStatus.COMPLETED, completed_at__isnull=False).count() == n


@pytest.mark.django_db
def test_sessions_set_status_bumps_each_version_and_updated_at():
    sessions = _sessions_over_programs(4, programs=2)
    before = {s.pk: (s.version, s.updated_at) for s in TrainingSession.objects.all()}
    services.sessions_set_status(sessions=sessions, status=SessionStatus.SKIPPED)
    for pk, version, updated_at, completed_at in TrainingSession.objects.values_list(
        "pk", "version", "updated_at", "completed_at"
    ):
        assert version == before[pk][0] + 1
        assert updated_at > before[pk][1]
        assert completed_at is None


@pytest.mark.django_db
def test_sessions_set_status_judges_against_the_stored_rows_not_the_callers_copies():
    program = program_of()
    session = TrainingSessionFactory(program=program)
    stale = TrainingSession.objects.get(pk=session.pk)
    TrainingSession.objects.filter(pk=session.pk).update(title="Renamed meanwhile")
    services.sessions_set_status(sessions=[stale], status=SessionStatus.COMPLETED)
    session.refresh_from_db()
    assert (session.title, session.status) == ("Renamed meanwhile", SessionStatus.COMPLETED)


@pytest.mark.django_db
def test_sessions_set_status_of_nothing_is_nothing(django_assert_num_queries):
    with django_assert_num_queries(2):  # the function's own savepoint pair only
        assert services.sessions_set_status(sessions=[], status=SessionStatus.COMPLETED) == []


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_bulk_status_change_follows_a_session_moved_to_another_program_while_it_waited():
    """The bulk status change locks the programs its sessions are under, then reads the sessions. A writer that
    held the old program's lock may have moved a session to another program by then: that program is locked
    too and the session read again (not a KeyError, a 500 in the admin)."""
    import threading

    from django.db import connections, transaction

    athlete = AthleteProfileFactory(timezone="UTC")
    home, away = program_of(athlete=athlete), program_of(athlete=athlete)
    session = TrainingSessionFactory(
        program=home, phase=None, micro_cycle=None, scheduled_at=datetime(2026, 3, 10, 9, tzinfo=UTC)
    )
    holding, release = threading.Event(), threading.Event()

    def move():
        try:
            with transaction.atomic():
                # The writer's locks, in the documented order (programs ascending), then the move.
                list(TrainingProgram.objects.select_for_update(no_key=True).filter(pk__in=[home.pk, away.pk]))
                TrainingSession.objects.filter(pk=session.pk).update(program=away)
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    mover = threading.Thread(target=move)
    mover.start()
    assert holding.wait(10)
    timer = threading.Timer(0.5, release.set)  # commit the move while the status change waits for `home`
    timer.start()
    try:
        changed = services.sessions_set_status(sessions=[session], status=SessionStatus.SKIPPED)
    finally:
        release.set()
        mover.join(10)
    assert [s.program_id for s in changed] == [away.pk]
    session.refresh_from_db()
    assert (session.program_id, session.status) == (away.pk, SessionStatus.SKIPPED)
