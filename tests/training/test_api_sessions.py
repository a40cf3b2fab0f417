"""/api/v1/sessions/: fields, validation, completedAt rules, timezones, filters and ordering."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import Modality, TrainingSession

pytestmark = pytest.mark.django_db
URL = "/api/v1/sessions/"
START = date(2030, 1, 7)
FIELDS = {
    "id",
    "actualDurationMinutes",
    "activityId",
    "compliance",
    "programId",
    "phaseId",
    "microCycleId",
    "athleteId",
    "title",
    "scheduledAt",
    "durationMinutes",
    "structure",
    "structureSummary",
    "modality",
    "status",
    "rpe",
    "load",
    "plannedLoad",
    "completedAt",
    "updatedAt",
}


@pytest.fixture
def program(athlete):  # athlete's timezone is Europe/Oslo (UTC+1 in January)
    return TrainingProgramFactory(athlete=athlete, start_date=START, end_date=START + timedelta(days=27))


def payload(program, **overrides):
    data = {
        "programId": str(program.pk),
        "title": "Easy run",
        "scheduledAt": "2030-01-08T07:00:00Z",
        "durationMinutes": 45,
        "modality": "run",
    }
    data.update(overrides)
    return data


def test_create_fills_athlete_from_program_and_defaults(coach_client, program, athlete):
    response = coach_client.post(URL, payload(program), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["athleteId"] == str(athlete.pk)
    assert body["status"] == "planned" and body["load"] is None and body["completedAt"] is None
    assert body["phaseId"] is None and body["microCycleId"] is None


def test_athlete_id_if_given_must_be_the_programs(coach_client, program, athlete):
    assert coach_client.post(URL, payload(program, athleteId=str(athlete.pk)), format="json").status_code == 201
    response = coach_client.post(URL, payload(program, athleteId=str(AthleteProfileFactory().pk)), format="json")
    assert response.status_code == 400
    assert response.json() == {"athleteId": ["The athlete must be the program's athlete."]}


def test_scheduled_at_offset_input_is_stored_and_shown_in_utc(coach_client, program):
    body = coach_client.post(URL, payload(program, scheduledAt="2030-01-08T09:30:00+02:00"), format="json").json()
    assert body["scheduledAt"] == "2030-01-08T07:30:00Z"
    assert TrainingSession.objects.get(pk=body["id"]).scheduled_at == datetime(2030, 1, 8, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("scheduled", "ok"),
    [
        ("2030-01-06T23:00:00Z", True),  # 00:00 on the 7th in Oslo: first day of the program
        ("2030-01-06T22:59:59Z", False),  # still the 6th in Oslo
        ("2030-02-03T22:59:59Z", True),  # last day, 23:59:59 in Oslo
        ("2030-02-03T23:00:00Z", False),  # the 4th in Oslo
    ],
)
def test_scheduled_at_must_fall_in_program_dates_in_athletes_timezone(coach_client, program, scheduled, ok):
    response = coach_client.post(URL, payload(program, scheduledAt=scheduled), format="json")
    assert response.status_code == (201 if ok else 400), response.content
    if not ok:
        assert list(response.json()) == ["scheduledAt"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("durationMinutes", 1),
        ("durationMinutes", 1440),
        ("load", 0),
        ("load", 14400),
        ("load", 12.25),
        ("load", None),
        ("title", "t" * 120),
    ],
)
def test_boundaries_accepted(coach_client, program, field, value):
    response = coach_client.post(URL, payload(program, **{field: value}), format="json")
    assert response.status_code == 201, response.content
    assert response.json()[field] == value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("durationMinutes", 0),
        ("durationMinutes", 1441),
        ("durationMinutes", 10**40),
        ("durationMinutes", "long"),
        ("load", -0.01),
        ("load", 14400.01),
        ("load", 1.234),
        ("modality", "yoga"),
        ("status", "cancelled"),
        ("title", "t" * 121),
        ("title", ""),
        ("scheduledAt", "tomorrow"),
        ("scheduledAt", None),
        ("programId", "0190d7a0-0000-7000-8000-000000000000"),
        ("completedAt", "not a time"),
    ],
)
def test_bad_values_are_400(coach_client, program, field, value):
    response = coach_client.post(URL, payload(program, **{field: value}), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize("number", ["1e400", "-1e400", "1" * 400, "1e-400"])
def test_out_of_range_numbers_in_raw_json_are_400(coach_client, program, number):
    session = TrainingSessionFactory(program=program)
    for field in ("load", "durationMinutes"):
        response = coach_client.generic(
            "PATCH", f"{URL}{session.pk}/", f'{{"{field}": {number}}}', content_type="application/json"
        )
        if number == "1e-400" and field == "load":  # parses as 0.0: a valid load
            assert response.status_code == 200
            continue
        assert response.status_code == 400, (field, number, response.content)


@pytest.mark.parametrize("modality", Modality.values)
def test_every_modality_is_accepted(coach_client, program, modality):
    assert coach_client.post(URL, payload(program, modality=modality), format="json").status_code == 201


def test_completed_at_is_set_when_completed_and_cleared_otherwise(coach_client, program):
    body = coach_client.post(URL, payload(program, status="completed"), format="json").json()
    assert body["completedAt"] is not None and body["completedAt"].endswith("Z")
    url = f"{URL}{body['id']}/"
    body = coach_client.patch(url, {"status": "planned", "completedAt": "2030-01-08T08:00:00Z"}, format="json").json()
    assert body["completedAt"] is None
    body = coach_client.patch(
        url, {"status": "completed", "completedAt": "2026-01-08T09:15:00+01:00"}, format="json"
    ).json()
    assert body["completedAt"] == "2026-01-08T08:15:00Z"
    assert coach_client.patch(url, {"status": "skipped"}, format="json").json()["completedAt"] is None


def test_phase_and_cycle_must_belong_to_the_program_and_each_other(coach_client, program, athlete):
    phase = ProgramPhaseFactory(program=program, start_date=START, end_date=START + timedelta(days=13))
    phase2 = ProgramPhaseFactory(
        program=program, phase_order=2, start_date=START + timedelta(days=14), end_date=START + timedelta(days=27)
    )
    cycle = MicroCycleFactory(program=program, phase=phase)
    foreign = TrainingProgramFactory(athlete=athlete)
    foreign_phase = ProgramPhaseFactory(program=foreign)
    foreign_cycle = MicroCycleFactory(program=foreign)
    ok = payload(program, phaseId=str(phase.pk), microCycleId=str(cycle.pk))
    assert coach_client.post(URL, ok, format="json").status_code == 201
    cases = [
        ({"phaseId": str(foreign_phase.pk)}, "phaseId"),
        ({"microCycleId": str(foreign_cycle.pk)}, "microCycleId"),
        ({"phaseId": str(phase2.pk), "microCycleId": str(cycle.pk)}, "microCycleId"),
        ({"microCycleId": "bad"}, "microCycleId"),
    ]
    for extra, key in cases:
        response = coach_client.post(URL, payload(program, **extra), format="json")
        assert response.status_code == 400 and list(response.json()) == [key], (extra, response.json())


def test_filters(coach_client, program, athlete, other_athlete):
    phase = ProgramPhaseFactory(program=program, start_date=START, end_date=START + timedelta(days=27))
    cycle = MicroCycleFactory(program=program, phase=phase)
    at = lambda d, h=7: datetime(2030, 1, d, h, tzinfo=UTC)  # noqa: E731
    s1 = TrainingSessionFactory(program=program, scheduled_at=at(8), modality="run")
    s2 = TrainingSessionFactory(
        program=program, scheduled_at=at(9), modality="bike", status="completed", phase=phase, micro_cycle=cycle
    )
    s3 = TrainingSessionFactory(program=program, scheduled_at=at(10), modality="swim", status="skipped")
    theirs = TrainingSessionFactory(program=TrainingProgramFactory(athlete=other_athlete))
    ids = lambda q: [r["id"] for r in coach_client.get(URL, q).json()["results"]]  # noqa: E731
    assert ids({"athleteId": str(athlete.pk)}) == [str(s1.pk), str(s2.pk), str(s3.pk)]
    assert ids({"athleteId": str(other_athlete.pk)}) == [str(theirs.pk)]
    assert ids({"programId": str(program.pk), "status": "completed"}) == [str(s2.pk)]
    assert ids({"phaseId": str(phase.pk)}) == [str(s2.pk)]
    assert ids({"microCycleId": str(cycle.pk)}) == [str(s2.pk)]
    assert ids({"modality": "swim"}) == [str(s3.pk)]
    assert ids({"programId": str(program.pk), "scheduledAfter": "2030-01-09T07:00:00Z"}) == [str(s2.pk), str(s3.pk)]
    assert ids({"programId": str(program.pk), "scheduledBefore": "2030-01-09T07:00:00Z"}) == [str(s1.pk)]
    assert ids({"scheduledAfter": "2030-01-09T08:00:00+01:00", "scheduledBefore": "2030-01-10T00:00:00Z"}) == [
        str(s2.pk)
    ]


def test_default_order_scheduled_at_and_ordering_param(coach_client, program):
    late = TrainingSessionFactory(program=program, scheduled_at=datetime(2030, 1, 20, tzinfo=UTC))
    early = TrainingSessionFactory(program=program, scheduled_at=datetime(2030, 1, 8, tzinfo=UTC))
    early.save()
    ids = lambda q: [r["id"] for r in coach_client.get(URL, q).json()["results"]]  # noqa: E731
    assert ids({}) == [str(early.pk), str(late.pk)]
    assert ids({"ordering": "-scheduledAt"}) == [str(late.pk), str(early.pk)]
    assert ids({"ordering": "-updatedAt"}) == [str(early.pk), str(late.pk)]
    assert ids({"ordering": "updatedAt"}) == [str(late.pk), str(early.pk)]


def test_athlete_logs_own_session(athlete_client, program):
    session = TrainingSessionFactory(program=program)
    body = athlete_client.patch(f"{URL}{session.pk}/", {"status": "completed", "load": 420.5}, format="json").json()
    assert body["status"] == "completed" and body["load"] == 420.5 and body["completedAt"]
    response = athlete_client.patch(f"{URL}{session.pk}/", {"load": 14401}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["load"]
