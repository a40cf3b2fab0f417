"""The plan-coherence and RPE rules through the API: 400s on the field the rule is about, parents' changes
refused naming the children in the way, athletes setting rpe on their own sessions, and nothing left behind by
a refused write."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import MicroCycle, TrainingSession

pytestmark = pytest.mark.django_db
START = date(2030, 1, 7)  # a Monday; the athlete fixture's timezone is Europe/Oslo (UTC+1 in January)
END = START + timedelta(days=27)


@pytest.fixture
def program(athlete):
    return TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)


def oslo(day: date, hour: int, minute: int = 0) -> str:
    return (datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=1)).isoformat()


def session_body(program, **extra):
    return {
        "programId": str(program.pk),
        "title": "Intervals",
        "scheduledAt": oslo(START + timedelta(days=1), 7),
        "durationMinutes": 40,
        "modality": "run",
        **extra,
    }


# --- micro-cycles ----------------------------------------------------------------------------------


def test_second_current_cycle_is_400_on_status(coach_client, program):
    first = coach_client.post(
        "/api/v1/micro-cycles/", {"programId": str(program.pk), "weekIndex": 1, "status": "current"}, format="json"
    )
    assert first.status_code == 201
    second = coach_client.post(
        "/api/v1/micro-cycles/", {"programId": str(program.pk), "weekIndex": 2, "status": "current"}, format="json"
    )
    assert second.status_code == 400
    assert second.json() == {"status": ["This program already has a current micro-cycle."]}
    assert MicroCycle.objects.filter(program=program).count() == 1
    planned = coach_client.post(
        "/api/v1/micro-cycles/", {"programId": str(program.pk), "weekIndex": 2, "status": "planned"}, format="json"
    )
    assert planned.status_code == 201
    url = f"/api/v1/micro-cycles/{planned.json()['id']}/"
    assert coach_client.patch(url, {"status": "current"}, format="json").status_code == 400
    assert coach_client.patch(f"/api/v1/micro-cycles/{first.json()['id']}/", {"status": "completed"}).status_code == 200
    assert coach_client.patch(url, {"status": "current"}, format="json").status_code == 200


@pytest.mark.parametrize(("week", "status"), [(2, 201), (3, 201), (4, 400), (1, 400)])
def test_cycle_week_must_overlap_its_phase(coach_client, program, week, status):
    # the phase covers 14–21 January: week 2 (14–20) and the first day of week 3 (21–27)
    phase = ProgramPhaseFactory(
        program=program, start_date=START + timedelta(days=7), end_date=START + timedelta(days=14)
    )
    response = coach_client.post(
        "/api/v1/micro-cycles/",
        {"programId": str(program.pk), "phaseId": str(phase.pk), "weekIndex": week},
        format="json",
    )
    assert response.status_code == status, response.json()
    if status == 400:
        assert list(response.json()) == ["weekIndex"] and "does not overlap" in response.json()["weekIndex"][0]


def test_cycle_week_change_names_the_sessions_in_the_way(coach_client, program):
    cycle = MicroCycleFactory(program=program, week_index=1)
    TrainingSessionFactory(program=program, micro_cycle=cycle, title="Tempo", scheduled_at=oslo(START, 9))
    response = coach_client.patch(f"/api/v1/micro-cycles/{cycle.pk}/", {"weekIndex": 2}, format="json")
    assert response.status_code == 400
    assert response.json() == {"weekIndex": ["1 session would no longer fit: “Tempo” (2030-01-07)."]}
    cycle.refresh_from_db()
    assert cycle.week_index == 1 and cycle.version == 1


# --- sessions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheduled_at", "status"),
    [
        (oslo(START + timedelta(days=7), 0), 201),  # 14 Jan 00:00 in Oslo: the cycle's first day
        (oslo(START + timedelta(days=6), 23, 59), 400),  # 13 Jan 23:59 in Oslo: the last minute of week 1
        (oslo(START + timedelta(days=13), 23, 59), 201),  # 20 Jan 23:59: the week's last minute
        (oslo(START + timedelta(days=14), 0), 400),  # 21 Jan 00:00 in Oslo (20 Jan 23:00 UTC)
    ],
)
def test_session_must_lie_in_its_cycles_week(coach_client, program, scheduled_at, status):
    cycle = MicroCycleFactory(program=program, week_index=2)
    response = coach_client.post(
        "/api/v1/sessions/", session_body(program, microCycleId=str(cycle.pk), scheduledAt=scheduled_at), format="json"
    )
    assert response.status_code == status, response.json()
    if status == 400:
        assert list(response.json()) == ["scheduledAt"] and "week 2" in response.json()["scheduledAt"][0]


@pytest.mark.parametrize(("day", "status"), [(9, 201), (10, 201), (11, 400), (8, 400)])
def test_session_must_lie_in_its_phase(coach_client, program, day, status):
    phase = ProgramPhaseFactory(program=program, start_date=date(2030, 1, 9), end_date=date(2030, 1, 10))
    response = coach_client.post(
        "/api/v1/sessions/",
        session_body(program, phaseId=str(phase.pk), scheduledAt=oslo(date(2030, 1, day), 12)),
        format="json",
    )
    assert response.status_code == status, response.json()
    if status == 400:
        assert list(response.json()) == ["scheduledAt"] and "outside its phase" in response.json()["scheduledAt"][0]
        assert not TrainingSession.objects.exists()


def test_completed_at_in_the_future_is_400_and_a_small_skew_is_accepted(coach_client, program):
    ahead = (timezone.now() + timedelta(minutes=2)).isoformat()
    late = (timezone.now() + timedelta(hours=1)).isoformat()
    ok = coach_client.post(
        "/api/v1/sessions/", session_body(program, status="completed", completedAt=ahead), format="json"
    )
    assert ok.status_code == 201
    bad = coach_client.post(
        "/api/v1/sessions/", session_body(program, status="completed", completedAt=late), format="json"
    )
    assert bad.status_code == 400 and bad.json() == {"completedAt": ["The completion time is in the future."]}


def test_phase_date_change_names_the_sessions_in_the_way(coach_client, program):
    phase = ProgramPhaseFactory(program=program)
    for i in range(6):
        TrainingSessionFactory(program=program, phase=phase, title=f"S{i}", scheduled_at=oslo(END, 8 + i))
    response = coach_client.patch(
        f"/api/v1/phases/{phase.pk}/", {"endDate": str(END - timedelta(days=1))}, format="json"
    )
    assert response.status_code == 400
    message = response.json()["endDate"][0]
    assert message.startswith("6 sessions would no longer fit: “S0” (2030-02-03)") and message.endswith("and 1 more.")


def test_program_date_change_names_the_children_in_the_way(coach_client, program):
    phase = ProgramPhaseFactory(program=program, name="Peak", start_date=END - timedelta(days=3), end_date=END)
    TrainingSessionFactory(program=program, phase=phase, title="Race", scheduled_at=oslo(END, 10))
    response = coach_client.patch(
        f"/api/v1/programs/{program.pk}/", {"endDate": str(END - timedelta(days=7))}, format="json"
    )
    assert response.status_code == 400
    messages = response.json()["endDate"]
    assert any("phase 1 “Peak”" in m for m in messages) and any("“Race” (2030-02-03)" in m for m in messages)


# --- RPE and load --------------------------------------------------------------------------------------


def test_rpe_on_a_planned_session_is_400_on_rpe(coach_client, program):
    response = coach_client.post("/api/v1/sessions/", session_body(program, rpe=5), format="json")
    assert response.status_code == 400 and response.json() == {
        "rpe": ["RPE can only be given for a completed session."]
    }
    assert not TrainingSession.objects.exists()


def test_load_is_derived_from_rpe_when_omitted_and_kept_when_given(coach_client, program):
    body = coach_client.post(
        "/api/v1/sessions/", session_body(program, status="completed", rpe=6), format="json"
    ).json()
    assert body["load"] == 240  # 6 × 40 minutes
    url = f"/api/v1/sessions/{body['id']}/"
    assert coach_client.patch(url, {"rpe": 8}, format="json").json()["load"] == 320  # a corrected rpe re-derives
    assert coach_client.patch(url, {"rpe": 9, "load": 100}, format="json").json()["load"] == 100  # given: kept
    assert coach_client.patch(url, {"durationMinutes": 60}, format="json").json()["load"] == 100  # no rpe: kept
    assert coach_client.patch(url, {"rpe": 10, "durationMinutes": 1440}, format="json").json()["load"] == 14400


def test_leaving_completed_drops_rpe_unless_rpe_is_given(coach_client, program):
    body = coach_client.post(
        "/api/v1/sessions/", session_body(program, status="completed", rpe=6), format="json"
    ).json()
    url = f"/api/v1/sessions/{body['id']}/"
    response = coach_client.patch(url, {"status": "skipped", "rpe": 6}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["rpe"]
    body = coach_client.patch(url, {"status": "skipped"}, format="json").json()
    assert body["rpe"] is None and body["completedAt"] is None and body["load"] == 240


def test_athlete_sets_rpe_on_their_own_session(athlete_client, other_client, program):
    session = TrainingSessionFactory(program=program, duration_minutes=45)
    url = f"/api/v1/sessions/{session.pk}/"
    response = athlete_client.patch(url, {"status": "completed", "rpe": 7}, format="json")
    assert response.status_code == 200 and response.json()["rpe"] == 7 and response.json()["load"] == 315
    assert athlete_client.patch(url, {"rpe": 11}, format="json").status_code == 400
    assert athlete_client.patch(url, {"plannedLoad": 300}, format="json").status_code == 403
    assert other_client.patch(url, {"rpe": 3}, format="json").status_code == 404
