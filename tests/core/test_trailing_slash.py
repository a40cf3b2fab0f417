"""Every /api/ route answers with and without its trailing slash, and no API request is redirected: a 301 would
turn a browser's POST or PATCH into a GET (the write silently lost), and with DEBUG on APPEND_SLASH raises on a
POST (a 500)."""

import uuid
from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from tests.support.factories.athletes import UserFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from tests.support.utils import api_patterns
from training.models import TrainingProgram, TrainingSession

SAMPLE_ID = "0190a1b2-0000-7000-8000-000000000000"


API_PATTERNS = api_patterns()


def test_the_walk_sees_every_api_route():
    routes = {route for route, _ in API_PATTERNS}
    # A few known routes of each kind: a router list and detail, an action, a hand-written view, the schema.
    assert {"api/v1/sessions/", "api/v1/auth/token/", "api/v1/athletes/<uuid:pk>/load/", "api/schema/"} <= routes
    assert any(route.startswith("api/v1/athletes/(?P<pk>") and route.endswith("/invite/") for route in routes)
    assert len(API_PATTERNS) >= 25


@pytest.mark.parametrize(("route", "pattern"), API_PATTERNS, ids=[route for route, _ in API_PATTERNS])
def test_every_api_route_resolves_with_and_without_its_slash(route, pattern):
    assert pattern.name, f"{route} has no name: give it one so it can be reversed (and walked here)"
    groups = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
    path = reverse(pattern.name, kwargs=dict.fromkeys(groups, SAMPLE_ID))
    assert path.endswith("/"), f"{route}: reverse() must give the canonical form, with the slash"
    with_slash, without = resolve(path), resolve(path.removesuffix("/"))
    assert with_slash.func is without.func is pattern.callback
    assert with_slash.kwargs == without.kwargs


@pytest.mark.django_db
def test_admin_and_pages_outside_the_api_keep_append_slash(client):
    response = client.get("/admin")
    assert response.status_code == 301 and response["Location"] == "/admin/"


@pytest.mark.django_db
def test_unknown_api_path_without_slash_is_a_json_404_not_a_redirect(coach_client):
    response = coach_client.get("/api/v1/no-such-resource")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


def _program_body(athlete):
    start = date(2030, 1, 7)
    return {
        "athleteId": str(athlete.pk),
        "title": "Base",
        "startDate": start.isoformat(),
        "endDate": (start + timedelta(days=27)).isoformat(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_post_without_slash_creates(coach_client, athlete, debug):
    with override_settings(DEBUG=debug):
        response = coach_client.post("/api/v1/programs", _program_body(athlete), format="json")
    assert response.status_code == 201, response.content
    assert TrainingProgram.objects.filter(pk=response.json()["id"], title="Base").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_patch_without_slash_updates(coach_client, athlete, debug):
    session = TrainingSessionFactory(program__athlete=athlete, title="Before")
    with override_settings(DEBUG=debug):
        response = coach_client.patch(f"/api/v1/sessions/{session.pk}", {"title": "After"}, format="json")
    assert response.status_code == 200, response.content
    assert response["ETag"]
    assert TrainingSession.objects.get(pk=session.pk).title == "After"


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_get_without_slash_is_the_same_answer_not_a_redirect(coach_client, athlete, debug):
    TrainingProgramFactory.create_batch(2, athlete=athlete)
    with override_settings(DEBUG=debug):
        slashless = coach_client.get("/api/v1/programs", {"pageSize": 1})
        canonical = coach_client.get("/api/v1/programs/", {"pageSize": 1})
    assert slashless.status_code == 200 and "Location" not in slashless
    assert slashless.json()["count"] == canonical.json()["count"] == 2
    assert slashless.json()["results"] == canonical.json()["results"]


@pytest.mark.django_db
def test_login_and_hand_written_views_without_slash():
    user = UserFactory(username="slashless")
    client = APIClient()
    response = client.post("/api/v1/auth/token", {"username": "slashless", "password": "pass-word-123"})
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    assert client.get("/api/v1/auth/me").json()["id"] == user.pk
    assert client.post("/api/v1/auth/logout").status_code == 204


@pytest.mark.django_db
def test_missing_detail_without_slash_is_404_not_a_redirect(coach_client):
    response = coach_client.patch(f"/api/v1/sessions/{uuid.uuid4()}", {"title": "x"}, format="json")
    assert response.status_code == 404
