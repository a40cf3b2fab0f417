"""Roles on the derived endpoints (training load, load summary, program clone, calendar feed), for every role: the same
"who sees what" as the resources they hang under. A coach reaches only their own athletes (another coach's
athlete is a 404, and never appears in the summary); operations and staff without a role get 403 on the
training figures; athletes reach their own load and feed but may not clone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from tests.support.clients import bearer_client
from tests.support.factories.athletes import (
    HeadCoachFactory,
    UserFactory,
)
from training.models import TrainingProgram

pytestmark = pytest.mark.django_db


@pytest.fixture
def world_options():
    """Plans a month ahead, so a clone two months after them overlaps nothing."""
    return {"names": ("Mine", "Theirs"), "start": date.today() + timedelta(days=30), "operations_rows": False}


@pytest.fixture
def derived(world):
    """The callers by role and the rows they aim at."""
    return {
        "coach": world.client("coach"),
        "operations": world.client("operations"),
        "staff": world.client("staff without groups"),
        "athlete": world.client("athlete"),
        "mine": world.A["athletes"],
        "theirs": world.B["athletes"],
        "program_mine": world.A["programs"],
        "program_theirs": world.B["programs"],
        "start": world.start,
    }


def _clone(client, program, athlete, start):
    body = {"athleteId": str(athlete.pk), "startDate": str(start + timedelta(days=60))}
    return client.post(f"/api/v1/programs/{program.pk}/clone/", body, format="json")


def test_a_coach_reaches_the_load_of_their_own_athletes_only(derived):
    assert derived["coach"].get(f"/api/v1/athletes/{derived['mine'].pk}/load/").status_code == 200
    assert derived["coach"].get(f"/api/v1/athletes/{derived['theirs'].pk}/load/").status_code == 404
    names = [row["displayName"] for row in derived["coach"].get("/api/v1/load-summary/").json()["results"]]
    assert names == ["Mine"]


def test_an_athlete_reaches_their_own_load_only(derived):
    assert derived["athlete"].get(f"/api/v1/athletes/{derived['mine'].pk}/load/").status_code == 200
    assert derived["athlete"].get(f"/api/v1/athletes/{derived['theirs'].pk}/load/").status_code == 404
    names = [row["displayName"] for row in derived["athlete"].get("/api/v1/load-summary/").json()["results"]]
    assert names == ["Mine"]


@pytest.mark.parametrize("role", ["operations", "staff"])
def test_operations_and_staff_without_a_role_get_403_on_load(derived, role):
    assert derived[role].get(f"/api/v1/athletes/{derived['mine'].pk}/load/").status_code == 403
    assert derived[role].get("/api/v1/load-summary/").status_code == 403


def test_a_coach_clones_only_between_their_own_athletes(derived):
    before = TrainingProgram.objects.count()
    coach, start = derived["coach"], derived["start"]
    assert _clone(coach, derived["program_theirs"], derived["mine"], start).status_code == 404  # source invisible
    assert _clone(coach, derived["program_mine"], derived["theirs"], start).status_code == 404  # target invisible
    assert TrainingProgram.objects.count() == before  # a refused copy leaves nothing
    assert _clone(coach, derived["program_mine"], derived["mine"], start).status_code == 201


@pytest.mark.parametrize("role", ["athlete", "operations", "staff"])
def test_only_coaches_clone(derived, role):
    before = TrainingProgram.objects.count()
    response = _clone(derived[role], derived["program_mine"], derived["mine"], derived["start"])
    assert response.status_code == 403
    assert TrainingProgram.objects.count() == before


def test_calendar_feed_is_issued_for_visible_athletes_only(derived):
    assert derived["coach"].post(f"/api/v1/athletes/{derived['mine'].pk}/calendar-feed/").status_code == 201
    assert derived["athlete"].post(f"/api/v1/athletes/{derived['mine'].pk}/calendar-feed/").status_code == 201
    for role in ("coach", "athlete", "operations", "staff"):
        response = derived[role].post(f"/api/v1/athletes/{derived['theirs'].pk}/calendar-feed/")
        assert response.status_code == 404, role
        response = derived[role].post(f"/api/v1/athletes/{derived['theirs'].pk}/calendar-feed/revoke/")
        assert response.status_code == 404, role


def _superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.mark.parametrize("factory", [HeadCoachFactory, _superuser])
def test_head_coaches_and_superusers_reach_every_athletes_derived_endpoints(derived, factory):
    client = bearer_client(factory())
    theirs = derived["theirs"]
    assert client.get(f"/api/v1/athletes/{theirs.pk}/load/").status_code == 200
    names = {row["displayName"] for row in client.get("/api/v1/load-summary/").json()["results"]}
    assert {"Mine", "Theirs"} <= names
    assert _clone(client, derived["program_theirs"], derived["mine"], derived["start"]).status_code == 201
    assert client.post(f"/api/v1/athletes/{theirs.pk}/calendar-feed/").status_code == 201


def test_anonymous_callers_get_401_on_every_derived_endpoint(derived):
    client = APIClient()
    mine = derived["mine"]
    assert client.get(f"/api/v1/athletes/{mine.pk}/load/").status_code == 401
    assert client.get("/api/v1/load-summary/").status_code == 401
    assert _clone(client, derived["program_mine"], mine, derived["start"]).status_code == 401
    assert client.post(f"/api/v1/athletes/{mine.pk}/calendar-feed/").status_code == 401
    assert client.post(f"/api/v1/athletes/{mine.pk}/calendar-feed/revoke/").status_code == 401
