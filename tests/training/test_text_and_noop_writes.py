"""Training texts of only invisible characters are blank (API and model), and a write that changes nothing
keeps the row's version, so another client's If-Match still holds."""

import pytest
from django.core.exceptions import ValidationError

from tests.support.factories.training import ProgramPhaseFactory, TrainingProgramFactory, TrainingSessionFactory
from training.models import TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db

INVISIBLE = ["\u200b", "\ufeff", "\u2060\u200b", "\u00a0\u200b\u3000"]


@pytest.mark.parametrize("title", INVISIBLE)
def test_program_title_of_only_invisible_characters_is_400(coach_client, athlete, title):
    body = {"athleteId": str(athlete.pk), "title": title, "startDate": "2030-01-01", "endDate": "2030-02-01"}
    response = coach_client.post("/api/v1/programs/", body, format="json")
    assert response.status_code == 400
    assert "title" in response.json()
    assert not TrainingProgram.objects.exists()


@pytest.mark.parametrize("title", INVISIBLE)
def test_session_title_of_only_invisible_characters_is_400(coach_client, title):
    program = TrainingProgramFactory()
    session = TrainingSessionFactory(program=program)
    response = coach_client.patch(f"/api/v1/sessions/{session.pk}/", {"title": title}, format="json")
    assert response.status_code == 400
    assert "title" in response.json()
    session.refresh_from_db()
    assert session.title.startswith("Session")


@pytest.mark.parametrize(("field", "value"), [("name", "\u200b"), ("focus", "\ufeff")])
def test_phase_name_and_focus_of_only_invisible_characters_are_400(coach_client, field, value):
    phase = ProgramPhaseFactory()
    response = coach_client.patch(f"/api/v1/phases/{phase.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_model_validation_trims_format_characters_too():
    session = TrainingSessionFactory()
    session.title = "\u200b\ufeff"
    with pytest.raises(ValidationError) as caught:
        session.full_clean()
    assert "title" in caught.value.message_dict
    session.title = "\u200bTempo\ufeff"
    session.full_clean()
    assert session.title == "Tempo"


def test_macro_cycle_may_still_be_empty_after_trimming(coach_client, athlete):
    body = {
        "athleteId": str(athlete.pk),
        "title": "Base",
        "startDate": "2030-01-01",
        "endDate": "2030-02-01",
        "macroCycle": "\u200b",
    }
    response = coach_client.post("/api/v1/programs/", body, format="json")
    assert response.status_code == 201
    assert response.json()["macroCycle"] == ""


def test_a_session_patch_that_changes_nothing_keeps_version_and_updated_at(coach_client):
    session = TrainingSessionFactory()
    url = f"/api/v1/sessions/{session.pk}/"
    first = coach_client.get(url)
    response = coach_client.patch(
        url,
        {"title": session.title, "durationMinutes": session.duration_minutes, "programId": str(session.program_id)},
        format="json",
    )
    assert response.status_code == 200
    assert response["ETag"] == first["ETag"]
    assert response.json()["updatedAt"] == first.json()["updatedAt"]
    assert TrainingSession.objects.get(pk=session.pk).version == session.version


def test_a_program_put_with_the_same_values_keeps_the_version(coach_client):
    program = TrainingProgramFactory()
    url = f"/api/v1/programs/{program.pk}/"
    current = coach_client.get(url)
    body = {k: current.json()[k] for k in ("athleteId", "title", "startDate", "endDate", "macroCycle", "status")}
    response = coach_client.put(url, body, format="json", HTTP_IF_MATCH=current["ETag"])
    assert response.status_code == 200
    assert response["ETag"] == current["ETag"]
    body["title"] = "Changed"
    assert coach_client.put(url, body, format="json")["ETag"] != current["ETag"]


def test_a_no_op_write_still_checks_if_match(coach_client):
    session = TrainingSessionFactory()
    response = coach_client.patch(f"/api/v1/sessions/{session.pk}/", {}, format="json", HTTP_IF_MATCH='"999"')
    assert response.status_code == 412


def test_changes_anything_compares_foreign_keys_by_id():
    from core.api import changes_anything

    session = TrainingSessionFactory()
    other = TrainingProgramFactory()
    assert not changes_anything(session, {"program": session.program})
    assert changes_anything(session, {"program": other})
    assert changes_anything(session, {"no_such_field": 1})
