"""Races that could break a plan (PostgreSQL, real threads): a write that names a phase or micro-cycle racing a
write that moves it or re-phases it: in every round exactly one of the two requests succeeds and the other is
refused with the rule's own message (judged on rows read under the locks); a write racing a change of the
athlete's timezone, which moves the sessions with it. Afterwards no session or micro-cycle has a phase,
micro-cycle and program that disagree."""

import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connections, transaction

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, StaffFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from tests.support.races import ROUNDS, delays, incoherent_rows, outcome, race
from tests.support.utils import postgres_only
from training.models import MicroCycle, TrainingSession

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
START = date(2030, 3, 4)  # a Monday
END = START + timedelta(days=27)


def coach():
    return bearer_client(StaffFactory(is_superuser=True))


def session_body(program, **extra):
    return {
        "programId": str(program.pk),
        "title": "Race",
        "scheduledAt": f"{START + timedelta(days=1)}T12:00:00Z",
        "durationMinutes": 30,
        "modality": "run",
        **extra,
    }


def test_phase_moved_to_another_program_while_a_session_naming_it_is_created():
    athlete = AthleteProfileFactory()
    client_a, client_b, own = coach(), coach(), bearer_client(athlete.user)
    wins = Counter()
    for delay in delays():
        home = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
        away = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
        phase = ProgramPhaseFactory(program=home)
        create, move = race(
            lambda home=home, phase=phase: client_a.post(
                "/api/v1/sessions/", session_body(home, phaseId=str(phase.pk)), format="json"
            ),
            lambda away=away, phase=phase: client_b.patch(
                f"/api/v1/phases/{phase.pk}/", {"programId": str(away.pk)}, format="json"
            ),
            delay=delay,
        )
        codes = outcome([create, move])
        assert codes in ([201, 400], [400, 200]), (codes, create, move)
        phase.refresh_from_db()
        if codes == [201, 400]:
            wins["session"] += 1
            assert phase.program_id == home.pk
            assert move.json() == {
                "programId": ["This phase has micro-cycles or sessions; it cannot move to another program."]
            }
            # the athlete can log it: no 400 on a field they may not change (what the race used to leave)
            logged = own.patch(
                f"/api/v1/sessions/{create.json()['id']}/", {"status": "completed", "rpe": 5}, format="json"
            )
            assert logged.status_code == 200 and logged.json()["load"] == 5 * 30, logged.json()
        else:
            wins["move"] += 1
            assert phase.program_id == away.pk
            assert create.json() == {"phaseId": ["The phase belongs to another program."]}
            assert not TrainingSession.objects.filter(program=home).exists()
    assert incoherent_rows() == []
    assert sum(wins.values()) == ROUNDS


def test_micro_cycle_moved_to_another_program_while_a_session_naming_it_is_created():
    athlete = AthleteProfileFactory()
    client_a, client_b = coach(), coach()
    for delay in delays():
        home = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
        away = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
        cycle = MicroCycleFactory(program=home, week_index=1)
        create, move = race(
            lambda home=home, cycle=cycle: client_a.post(
                "/api/v1/sessions/", session_body(home, microCycleId=str(cycle.pk)), format="json"
            ),
            lambda away=away, cycle=cycle: client_b.patch(
                f"/api/v1/micro-cycles/{cycle.pk}/", {"programId": str(away.pk)}, format="json"
            ),
            delay=delay,
        )
        codes = outcome([create, move])
        assert codes in ([201, 400], [400, 200]), (codes, create, move)
        if codes == [201, 400]:
            assert move.json() == {"programId": ["This micro-cycle has sessions; it cannot move to another program."]}
        else:
            assert create.json() == {"microCycleId": ["The micro-cycle belongs to another program."]}
    assert incoherent_rows() == []


def test_micro_cycle_re_phased_while_a_session_naming_both_is_created():
    athlete = AthleteProfileFactory()
    client_a, client_b = coach(), coach()
    for delay in delays():
        program = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
        first = ProgramPhaseFactory(program=program, phase_order=1, end_date=START + timedelta(days=13))
        second = ProgramPhaseFactory(program=program, phase_order=2, start_date=START + timedelta(days=14))
        cycle = MicroCycleFactory(program=program, phase=first, week_index=2)  # 11–17 March
        # The second phase starts in week 3: move the cycle to week 3 and phase 2 together.
        create, rephase = race(
            lambda program=program, first=first, cycle=cycle: client_a.post(
                "/api/v1/sessions/",
                session_body(
                    program,
                    phaseId=str(first.pk),
                    microCycleId=str(cycle.pk),
                    scheduledAt=f"{START + timedelta(days=8)}T12:00:00Z",
                ),
                format="json",
            ),
            lambda second=second, cycle=cycle: client_b.patch(
                f"/api/v1/micro-cycles/{cycle.pk}/", {"phaseId": str(second.pk), "weekIndex": 3}, format="json"
            ),
            delay=delay,
        )
        codes = outcome([create, rephase])
        assert codes in ([201, 400], [400, 200]), (codes, create, rephase)
        if codes == [201, 400]:
            assert set(rephase.json()) == {"phaseId"}  # its session is in the first phase
        else:
            assert create.json() == {"microCycleId": ["The micro-cycle belongs to another phase."]}
    assert incoherent_rows() == []


def test_phase_moved_to_another_program_while_a_micro_cycle_naming_it_is_created():
    athlete = AthleteProfileFactory()
    client_a, client_b = coach(), coach()
    for i, delay in enumerate(delays()):
        home = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
        away = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
        phase = ProgramPhaseFactory(program=home)
        create, move = race(
            lambda home=home, phase=phase, i=i: client_a.post(
                "/api/v1/micro-cycles/",
                {"programId": str(home.pk), "phaseId": str(phase.pk), "weekIndex": 1 + i % 4},
                format="json",
            ),
            lambda away=away, phase=phase: client_b.patch(
                f"/api/v1/phases/{phase.pk}/", {"programId": str(away.pk)}, format="json"
            ),
            delay=delay,
        )
        codes = outcome([create, move])
        assert codes in ([201, 400], [400, 200]), (codes, create, move)
        if codes == [400, 200]:
            assert create.json() == {"phaseId": ["The phase belongs to another program."]}
    assert incoherent_rows() == []


def test_timezone_change_while_a_session_near_local_midnight_is_created():
    """23:30 UTC on the program's last day is that day in UTC and the next day in Oslo. A timezone change moves
    the sessions that exist (their wall-clock time stays): a session created first is moved with the others
    (never left behind at its UTC instant, a day late in Oslo); one created after is judged in Oslo (refused)."""
    client = coach()
    late = f"{END}T23:30:00Z"
    wins = Counter()
    for delay in delays():
        athlete = AthleteProfileFactory(timezone="UTC")
        program = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
        own = bearer_client(athlete.user)
        create, move = race(
            lambda program=program: client.post(
                "/api/v1/sessions/", session_body(program, scheduledAt=late), format="json"
            ),
            lambda athlete=athlete, own=own: own.patch(
                f"/api/v1/athletes/{athlete.pk}/", {"timezone": "Europe/Oslo"}, format="json"
            ),
            delay=delay,
        )
        codes = outcome([create, move])
        assert codes in ([201, 200], [400, 200]), (codes, create, move)
        athlete.refresh_from_db()
        assert athlete.timezone == "Europe/Oslo"
        if codes == [201, 200]:
            wins["session first"] += 1
            local = program.sessions.get().scheduled_at.astimezone(athlete.tzinfo)
            assert (local.date(), local.hour, local.minute) == (END, 23, 30)
        else:
            wins["timezone first"] += 1
            assert set(create.json()) == {"scheduledAt"}
            assert not program.sessions.exists()
        # whichever came first, every session's local date is inside its program in the timezone that stands
        for session in program.sessions.all():
            assert START <= session.scheduled_at.astimezone(athlete.tzinfo).date() <= END
    assert wins["session first"] and wins["timezone first"], wins


# --- the database's own guard, for writes that bypass the models' rules --------------------------


def test_composite_keys_refuse_a_session_phase_or_cycle_of_another_program():
    athlete = AthleteProfileFactory()
    home = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
    away = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
    phase = ProgramPhaseFactory(program=home)
    cycle = MicroCycleFactory(program=home, phase=phase)
    other_phase = ProgramPhaseFactory(program=home, phase_order=2, start_date=END, end_date=END)
    session = TrainingSessionFactory(program=home, phase=phase, micro_cycle=cycle)
    attempts = [
        lambda: TrainingSession.objects.filter(pk=session.pk).update(phase=ProgramPhaseFactory(program=away)),
        lambda: TrainingSession.objects.filter(pk=session.pk).update(micro_cycle=MicroCycleFactory(program=away)),
        lambda: MicroCycle.objects.filter(pk=cycle.pk).update(phase=ProgramPhaseFactory(program=away)),
        lambda: type(phase).objects.filter(pk=phase.pk).update(program=away),  # its children stay in home
    ]
    for attempt in attempts:
        with pytest.raises(IntegrityError), transaction.atomic():
            attempt()
    # the session's cycle and phase must agree: checked at commit, like Django's own foreign keys
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingSession.objects.filter(pk=session.pk).update(phase=other_phase)
    # a null phase or cycle is not checked; deleting a phase empties it on cycles and sessions
    TrainingSession.objects.filter(pk=session.pk).update(phase=None)
    phase.delete()
    cycle.refresh_from_db()
    session.refresh_from_db()
    assert cycle.phase_id is None and session.phase_id is None and session.micro_cycle_id == cycle.pk
    home.delete()
    assert not TrainingSession.objects.filter(pk=session.pk).exists()
    assert incoherent_rows() == []


# --- coherence rules a concurrent write could slip past ---------------------------------------------


def test_concurrent_patches_make_exactly_one_cycle_current():
    clients = [coach() for _ in range(4)]
    for _ in range(ROUNDS // 2):
        program = TrainingProgramFactory(start_date=START, end_date=END)
        cycles = [MicroCycleFactory(program=program, week_index=w) for w in range(1, 5)]
        barrier = threading.Barrier(len(cycles))
        codes = [None] * len(cycles)

        def run(i, client, cycle, barrier=barrier, codes=codes):
            try:
                barrier.wait()
                codes[i] = client.patch(
                    f"/api/v1/micro-cycles/{cycle.pk}/", {"status": "current"}, format="json"
                ).status_code
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=run, args=(i, c, y)) for i, (c, y) in enumerate(zip(clients, cycles, strict=True))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert Counter(codes) == {200: 1, 400: 3}, codes
        assert MicroCycle.objects.filter(program=program, status="current").count() == 1


def test_phase_shortened_while_a_session_is_created_on_its_last_day():
    client_a, client_b = coach(), coach()
    for delay in delays():
        program = TrainingProgramFactory(start_date=START, end_date=END)
        phase = ProgramPhaseFactory(program=program)
        create, shorten = race(
            lambda program=program, phase=phase: client_a.post(
                "/api/v1/sessions/",
                session_body(program, phaseId=str(phase.pk), scheduledAt=f"{END}T12:00:00Z"),
                format="json",
            ),
            lambda phase=phase: client_b.patch(
                f"/api/v1/phases/{phase.pk}/", {"endDate": str(END - timedelta(days=1))}, format="json"
            ),
            delay=delay,
        )
        codes = outcome([create, shorten])
        assert codes in ([201, 400], [400, 200]), (codes, create, shorten)
        phase.refresh_from_db()
        for session in TrainingSession.objects.filter(phase=phase):
            assert session.scheduled_at.date() <= phase.end_date
        if codes == [201, 400]:
            assert "1 session would no longer fit" in shorten.json()["endDate"][0]


def test_cycle_week_changed_while_a_session_in_its_old_week_is_created():
    client_a, client_b = coach(), coach()
    for delay in delays():
        program = TrainingProgramFactory(start_date=START, end_date=END)
        cycle = MicroCycleFactory(program=program, week_index=1)
        create, rewrite = race(
            lambda program=program, cycle=cycle: client_a.post(
                "/api/v1/sessions/", session_body(program, microCycleId=str(cycle.pk)), format="json"
            ),
            lambda cycle=cycle: client_b.patch(f"/api/v1/micro-cycles/{cycle.pk}/", {"weekIndex": 2}, format="json"),
            delay=delay,
        )
        codes = outcome([create, rewrite])
        assert codes in ([201, 400], [400, 200]), (codes, create, rewrite)
        if codes == [400, 200]:
            assert "outside its micro-cycle's week 2" in create.json()["scheduledAt"][0]
        else:
            assert "1 session would no longer fit" in rewrite.json()["weekIndex"][0]


def test_program_shortened_while_a_session_in_its_last_cycle_week_is_created():
    client_a, client_b = coach(), coach()
    for delay in delays():
        program = TrainingProgramFactory(start_date=START, end_date=END)
        cycle = MicroCycleFactory(program=program, week_index=4)  # the program's last days
        create, shorten = race(
            lambda program=program, cycle=cycle: client_a.post(
                "/api/v1/sessions/",
                session_body(program, microCycleId=str(cycle.pk), scheduledAt=f"{END}T12:00:00Z"),
                format="json",
            ),
            lambda program=program: client_b.patch(
                f"/api/v1/programs/{program.pk}/", {"endDate": str(END - timedelta(days=1))}, format="json"
            ),
            delay=delay,
        )
        codes = outcome([create, shorten])
        assert codes in ([201, 400], [400, 200]), (codes, create, shorten)
        if codes == [201, 400]:
            assert "1 session would no longer fit" in " ".join(shorten.json()["endDate"])
        else:
            assert "outside the program" in create.json()["scheduledAt"][0]
