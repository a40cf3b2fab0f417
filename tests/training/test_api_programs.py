"""/api/v1/programs/: fields, validation, one current program per athlete, metrics, filters, ordering."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import ProgramPhaseFactory, TrainingProgramFactory, TrainingSessionFactory
from training.models import TrainingProgram

pytestmark = pytest.mark.django_db
URL = "/api/v1/programs/"
FIELDS = {
    "id",
    "athleteId",
    "title",
    "startDate",
    "endDate",
    "macroCycle",
    "status",
    "totalWeeks",
    "completedWeeks",
    "adherenceRate",
    "currentPhaseId",
    "nextSessionId",
    "createdAt",
    "updatedAt",
}


def payload(athlete, **overrides):
    data = {
        "athleteId": str(athlete.pk),
        "title": "Base",
        "startDate": "2030-01-07",
        "endDate": "2030-03-31",
        "macroCycle": "Spring",
        "status": "planned",
    }
    data.update(overrides)
    return data


def test_create_returns_every_field_with_metrics(coach_client, athlete):
    response = coach_client.post(URL, payload(athlete), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["totalWeeks"] == 12  # 84 days
    assert body["completedWeeks"] == 0 and body["adherenceRate"] is None
    assert body["currentPhaseId"] is None and body["nextSessionId"] is None
    assert body["startDate"] == "2030-01-07"


def test_macro_cycle_defaults_empty_and_status_planned(coach_client, athlete):
    data = payload(athlete)
    del data["macroCycle"], data["status"]
    body = coach_client.post(URL, data, format="json").json()
    assert body["macroCycle"] == "" and body["status"] == "planned"


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "x" * 120), ("title", "T"), ("macroCycle", "m" * 120), ("macroCycle", ""), ("endDate", "2030-01-07")],
)
def test_boundaries_accepted(coach_client, athlete, field, value):
    response = coach_client.post(URL, payload(athlete, **{field: value}), format="json")
    assert response.status_code == 201, response.content
    if field == "endDate":
        assert response.json()["totalWeeks"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "x" * 121),
        ("title", "  "),
        ("macroCycle", "m" * 121),
        ("endDate", "2030-01-06"),
        ("startDate", "2030-02-30"),
        ("startDate", "07/01/2030"),
        ("status", "archived"),
        ("athleteId", "0190d7a0-0000-7000-8000-000000000000"),
        ("athleteId", "nope"),
        ("athleteId", None),
    ],
)
def test_bad_values_are_400_keyed_by_the_api_field(coach_client, athlete, field, value):
    response = coach_client.post(URL, payload(athlete, **{field: value}), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not TrainingProgram.objects.exists()


def test_second_current_program_is_400_on_create_and_update(coach_client, athlete):
    TrainingProgramFactory(athlete=athlete, status="current")
    response = coach_client.post(URL, payload(athlete, status="current"), format="json")
    assert response.status_code == 400
    assert response.json() == {"status": ["This athlete already has a current program."]}
    other = TrainingProgramFactory(athlete=athlete)
    response = coach_client.patch(f"{URL}{other.pk}/", {"status": "current"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()
    assert TrainingProgram.objects.filter(athlete=athlete, status="current").count() == 1
    # Another athlete may have their own current program.
    assert coach_client.post(URL, payload(AthleteProfileFactory(), status="current"), format="json").status_code == 201


def test_current_program_can_be_patched_while_current(coach_client, athlete):
    program = TrainingProgramFactory(athlete=athlete, status="current")
    assert coach_client.patch(f"{URL}{program.pk}/", {"title": "Still current"}, format="json").status_code == 200


def test_date_change_that_strands_phases_is_400_on_end_date(coach_client, athlete):
    program = TrainingProgramFactory(athlete=athlete)
    ProgramPhaseFactory(program=program)
    response = coach_client.patch(
        f"{URL}{program.pk}/", {"endDate": str(program.end_date - timedelta(days=1))}, format="json"
    )
    assert response.status_code == 400
    assert "endDate" in response.json()


def test_metrics_in_list_and_detail(coach_client):
    athlete = AthleteProfileFactory(timezone="UTC")
    today = timezone.now().astimezone(UTC).date()
    start = today - timedelta(days=15)
    program = TrainingProgramFactory(
        athlete=athlete, start_date=start, end_date=start + timedelta(days=27), status="current"
    )
    phase = ProgramPhaseFactory(program=program, start_date=start, end_date=start + timedelta(days=27))
    past = datetime.combine(start + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    TrainingSessionFactory(program=program, scheduled_at=past, status="completed")
    TrainingSessionFactory(program=program, scheduled_at=past, status="completed")
    TrainingSessionFactory(program=program, scheduled_at=past, status="skipped")
    TrainingSessionFactory(program=program, scheduled_at=past)  # planned, overdue: due
    future = datetime.combine(start + timedelta(days=26), datetime.min.time(), tzinfo=UTC)
    later = TrainingSessionFactory(program=program, scheduled_at=future + timedelta(hours=1))
    nxt = TrainingSessionFactory(program=program, scheduled_at=future)
    expected = {
        "totalWeeks": 4,
        "completedWeeks": 2,
        "adherenceRate": 0.5,
        "currentPhaseId": str(phase.pk),
        "nextSessionId": str(nxt.pk),
    }
    detail = coach_client.get(f"{URL}{program.pk}/").json()
    listed = coach_client.get(URL).json()["results"][0]
    for body in (detail, listed):
        assert {k: body[k] for k in expected} == expected
    assert later.pk  # not the next one


def test_completed_program_counts_all_weeks(coach_client, athlete):
    program = TrainingProgramFactory(
        athlete=athlete, start_date=date.today(), end_date=date.today() + timedelta(days=20), status="completed"
    )
    assert coach_client.get(f"{URL}{program.pk}/").json()["completedWeeks"] == 3


def test_response_after_update_has_refreshed_metrics(coach_client, athlete):
    program = TrainingProgramFactory(
        athlete=athlete, start_date=date.today(), end_date=date.today() + timedelta(days=13)
    )
    body = coach_client.patch(f"{URL}{program.pk}/", {"status": "completed"}, format="json").json()
    assert body["completedWeeks"] == 2 and body["status"] == "completed"


def test_filters_athlete_id_and_status(coach_client, athlete, other_athlete):
    mine = TrainingProgramFactory(athlete=athlete, status="current")
    planned = TrainingProgramFactory(athlete=athlete)
    theirs = TrainingProgramFactory(athlete=other_athlete, status="current")
    ids = lambda q: {r["id"] for r in coach_client.get(URL, q).json()["results"]}  # noqa: E731
    assert ids({"athleteId": str(athlete.pk)}) == {str(mine.pk), str(planned.pk)}
    assert ids({"status": "current"}) == {str(mine.pk), str(theirs.pk)}
    assert ids({"athleteId": str(athlete.pk), "status": "current"}) == {str(mine.pk)}
    assert ids({"athleteId": "0190d7a0-0000-7000-8000-000000000000"}) == set()
    assert coach_client.get(URL, {"athleteId": "123"}).status_code == 400
    assert coach_client.get(URL, {"status": "archived"}).status_code == 400


def test_ordering_start_date_default_and_updated_at(coach_client, athlete):
    late = TrainingProgramFactory(athlete=athlete, start_date=date(2031, 1, 1), end_date=date(2031, 2, 1))
    early = TrainingProgramFactory(athlete=athlete, start_date=date(2030, 1, 1), end_date=date(2030, 2, 1))
    late.save()
    ids = lambda q: [r["id"] for r in coach_client.get(URL, q).json()["results"]]  # noqa: E731
    assert ids({}) == [str(early.pk), str(late.pk)]
    assert ids({"ordering": "-startDate"}) == [str(late.pk), str(early.pk)]
    assert ids({"ordering": "updatedAt"}) == [str(early.pk), str(late.pk)]
    assert ids({"ordering": "-updatedAt"}) == [str(late.pk), str(early.pk)]


def test_timestamps_are_utc_with_z(coach_client, athlete):
    program = TrainingProgramFactory(athlete=athlete)
    body = coach_client.get(f"{URL}{program.pk}/").json()
    assert body["updatedAt"].endswith("Z") and "+" not in body["updatedAt"]
