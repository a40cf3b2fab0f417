"""/api/v1/phases/ and /api/v1/micro-cycles/: fields, validation, filters and default orders."""

from datetime import date, timedelta

import pytest

from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import MicroCycle, ProgramPhase

pytestmark = pytest.mark.django_db
START = date(2030, 1, 7)


@pytest.fixture
def program(athlete):
    return TrainingProgramFactory(athlete=athlete, start_date=START, end_date=START + timedelta(days=55))  # 8 weeks


def phase_payload(program, **overrides):
    data = {
        "programId": str(program.pk),
        "name": "Base",
        "focus": "Aerobic",
        "phaseOrder": 1,
        "startDate": str(START),
        "endDate": str(START + timedelta(days=27)),
        "status": "planned",
    }
    data.update(overrides)
    return data


def test_phase_create_fields(coach_client, program):
    response = coach_client.post("/api/v1/phases/", phase_payload(program), format="json")
    assert response.status_code == 201, response.content
    assert set(response.json()) == {
        "id",
        "programId",
        "name",
        "focus",
        "phaseOrder",
        "startDate",
        "endDate",
        "status",
        "updatedAt",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "n" * 120),
        ("focus", "f"),
        ("phaseOrder", 32767),
        ("endDate", str(START)),
        ("endDate", str(START + timedelta(days=55))),
    ],
)
def test_phase_boundaries_accepted(coach_client, program, field, value):
    assert (
        coach_client.post("/api/v1/phases/", phase_payload(program, **{field: value}), format="json").status_code == 201
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "n" * 121),
        ("focus", ""),
        ("phaseOrder", 0),
        ("phaseOrder", 32768),
        ("phaseOrder", 10**30),
        ("phaseOrder", "first"),
        ("startDate", str(START - timedelta(days=1))),
        ("endDate", str(START + timedelta(days=56))),
        ("endDate", str(START - timedelta(days=1))),
        ("status", "done"),
        ("programId", "0190d7a0-0000-7000-8000-000000000000"),
    ],
)
def test_phase_bad_values(coach_client, program, field, value):
    response = coach_client.post("/api/v1/phases/", phase_payload(program, **{field: value}), format="json")
    assert response.status_code == 400
    assert field in response.json() or (field == "endDate" and "startDate" in response.json()), response.json()
    assert not ProgramPhase.objects.exists()


def test_phase_order_unique_overlap_and_one_current(coach_client, program):
    assert (
        coach_client.post("/api/v1/phases/", phase_payload(program, status="current"), format="json").status_code == 201
    )
    later = {"startDate": str(START + timedelta(days=28)), "endDate": str(START + timedelta(days=41))}
    dup = coach_client.post("/api/v1/phases/", phase_payload(program, **later), format="json")
    assert dup.status_code == 400 and "phaseOrder" in dup.json()
    overlap = coach_client.post("/api/v1/phases/", phase_payload(program, phaseOrder=2), format="json")
    assert overlap.status_code == 400 and "startDate" in overlap.json()
    second = coach_client.post(
        "/api/v1/phases/", phase_payload(program, phaseOrder=2, status="current", **later), format="json"
    )
    assert second.json() == {"status": ["This program already has a current phase."]}
    assert (
        coach_client.post("/api/v1/phases/", phase_payload(program, phaseOrder=2, **later), format="json").status_code
        == 201
    )


def test_phase_filters_and_default_order(coach_client, program, athlete):
    p2 = ProgramPhaseFactory(
        program=program,
        phase_order=2,
        start_date=START + timedelta(days=28),
        end_date=START + timedelta(days=41),
        status="current",
    )
    p1 = ProgramPhaseFactory(program=program, phase_order=1, start_date=START, end_date=START + timedelta(days=27))
    other = ProgramPhaseFactory(program=TrainingProgramFactory(athlete=athlete))
    ids = lambda q: [r["id"] for r in coach_client.get("/api/v1/phases/", q).json()["results"]]  # noqa: E731
    assert ids({"programId": str(program.pk)}) == [str(p1.pk), str(p2.pk)]
    assert ids({"status": "current"}) == [str(p2.pk)]
    assert set(ids({})) == {str(p1.pk), str(p2.pk), str(other.pk)}
    assert ids({"programId": str(program.pk), "ordering": "-phaseOrder"}) == [str(p2.pk), str(p1.pk)]
    assert coach_client.get("/api/v1/phases/", {"programId": "x"}).status_code == 400
    assert coach_client.get("/api/v1/phases/", {"status": "x"}).status_code == 400


def cycle_payload(program, **overrides):
    data = {"programId": str(program.pk), "weekIndex": 1, "readinessScore": 80, "status": "planned"}
    data.update(overrides)
    return data


def test_cycle_create_fields_and_counts(coach_client, program):
    response = coach_client.post("/api/v1/micro-cycles/", cycle_payload(program), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "programId",
        "phaseId",
        "weekIndex",
        "sessionsPlanned",
        "sessionsCompleted",
        "compliance",
        "readinessScore",
        "status",
        "updatedAt",
    }
    assert body["phaseId"] is None and body["sessionsPlanned"] == 0 and body["sessionsCompleted"] == 0
    cycle = MicroCycle.objects.get(pk=body["id"])
    TrainingSessionFactory(program=program, micro_cycle=cycle, status="completed")
    TrainingSessionFactory(program=program, micro_cycle=cycle)
    TrainingSessionFactory(program=program, micro_cycle=cycle, status="skipped")
    for got in (
        coach_client.get(f"/api/v1/micro-cycles/{cycle.pk}/").json(),
        coach_client.get("/api/v1/micro-cycles/").json()["results"][0],
    ):
        assert (got["sessionsPlanned"], got["sessionsCompleted"]) == (3, 1)


@pytest.mark.parametrize(
    ("field", "value"), [("weekIndex", 8), ("readinessScore", 0), ("readinessScore", 100), ("readinessScore", None)]
)
def test_cycle_boundaries_accepted(coach_client, program, field, value):
    assert (
        coach_client.post("/api/v1/micro-cycles/", cycle_payload(program, **{field: value}), format="json").status_code
        == 201
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("weekIndex", 9),
        ("weekIndex", 0),
        ("weekIndex", 10**20),
        ("readinessScore", -1),
        ("readinessScore", 101),
        ("readinessScore", 1.5),
        ("status", "skipped"),
        ("programId", None),
    ],
)
def test_cycle_bad_values(coach_client, program, field, value):
    response = coach_client.post("/api/v1/micro-cycles/", cycle_payload(program, **{field: value}), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_cycle_week_unique_and_phase_must_belong_to_program(coach_client, program, athlete):
    MicroCycleFactory(program=program, week_index=1)
    assert "weekIndex" in coach_client.post("/api/v1/micro-cycles/", cycle_payload(program), format="json").json()
    foreign = ProgramPhaseFactory(program=TrainingProgramFactory(athlete=athlete))
    response = coach_client.post(
        "/api/v1/micro-cycles/", cycle_payload(program, weekIndex=2, phaseId=str(foreign.pk)), format="json"
    )
    assert response.json() == {"phaseId": ["The phase belongs to another program."]}


def test_cycle_filters_and_default_order(coach_client, program, athlete):
    phase = ProgramPhaseFactory(program=program, start_date=START, end_date=START + timedelta(days=27))
    w2 = MicroCycleFactory(program=program, week_index=2, phase=phase, status="current")
    w1 = MicroCycleFactory(program=program, week_index=1)
    other = MicroCycleFactory(program=TrainingProgramFactory(athlete=athlete), week_index=3)
    ids = lambda q: [r["id"] for r in coach_client.get("/api/v1/micro-cycles/", q).json()["results"]]  # noqa: E731
    assert ids({}) == [str(w1.pk), str(w2.pk), str(other.pk)]
    assert ids({"programId": str(program.pk)}) == [str(w1.pk), str(w2.pk)]
    assert ids({"phaseId": str(phase.pk)}) == [str(w2.pk)]
    assert ids({"status": "current"}) == [str(w2.pk)]
    assert ids({"ordering": "-weekIndex"}) == [str(other.pk), str(w2.pk), str(w1.pk)]
    for bad in ({"phaseId": "1"}, {"programId": "p"}, {"status": "skipped"}):
        assert coach_client.get("/api/v1/micro-cycles/", bad).status_code == 400
