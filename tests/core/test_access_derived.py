"""Roles on the derived endpoints (training load, load summary, program clone, calendar feed), for every role: the same
"who sees what" as the resources they hang under. A coach reaches only their own athletes (another coach's
athlete is a 404, and never appears in the summary); operations and staff without a role get 403 on the
training figures; athletes reach their own load and feed but may not clone."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from tests.athletes.factories import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    OperationsFactory,
    StaffFactory,
    UserFactory,
)
from tests.conftest import bearer_client
from tests.training.factories import TrainingProgramFactory
from training.models import TrainingProgram

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    coach_a, coach_b = CoachFactory(), CoachFactory()
    mine = AthleteProfileFactory(display_name="Mine")
    theirs = AthleteProfileFactory(display_name="Theirs")
    mine.coaches.add(coach_a)
    theirs.coaches.add(coach_b)
    start = date.today() + timedelta(days=30)
    program_mine = TrainingProgramFactory(athlete=mine, start_date=start, end_date=start + timedelta(days=27))
    program_theirs = TrainingProgramFactory(athlete=theirs, start_date=start, end_date=start + timedelta(days=27))
    return {
        "coach": bearer_client(coach_a),
        "operations": bearer_client(OperationsFactory()),
        "staff": bearer_client(StaffFactory()),
        "athlete": bearer_client(mine.user),
        "mine": mine,
        "theirs": theirs,
        "program_mine": program_mine,
        "program_theirs": program_theirs,
        "start": start,
    }


def _clone(client, program, athlete, start):
    body = {"athleteId": str(athlete.pk), "startDate": str(start + timedelta(days=60))}
    return client.post(f"/api/v1/programs/{program.pk}/clone/", body, format="json")


def test_a_coach_reaches_the_load_of_their_own_athletes_only(world):
    assert world["coach"].get(f"/api/v1/athletes/{world['mine'].pk}/load/").status_code == 200
    assert world["coach"].get(f"/api/v1/athletes/{world['theirs'].pk}/load/").status_code == 404
    names = [row["displayName"] for row in world["coach"].get("/api/v1/load-summary/").json()["results"]]
    assert names == ["Mine"]


def test_an_athlete_reaches_their_own_load_only(world):
    assert world["athlete"].get(f"/api/v1/athletes/{world['mine'].pk}/load/").status_code == 200
    assert world["athlete"].get(f"/api/v1/athletes/{world['theirs'].pk}/load/").status_code == 404
    names = [row["displayName"] for row in world["athlete"].get("/api/v1/load-summary/").json()["results"]]
    assert names == ["Mine"]


@pytest.mark.parametrize("role", ["operations", "staff"])
def test_operations_and_staff_without_a_role_get_403_on_load(world, role):
    assert world[role].get(f"/api/v1/athletes/{world['mine'].pk}/load/").status_code == 403
    assert world[role].get("/api/v1/load-summary/").status_code == 403


def test_a_coach_clones_only_between_their_own_athletes(world):
    before = TrainingProgram.objects.count()
    coach, start = world["coach"], world["start"]
    assert _clone(coach, world["program_theirs"], world["mine"], start).status_code == 404  # source invisible
    assert _clone(coach, world["program_mine"], world["theirs"], start).status_code == 404  # target invisible
    assert TrainingProgram.objects.count() == before  # a refused copy leaves nothing
    assert _clone(coach, world["program_mine"], world["mine"], start).status_code == 201


@pytest.mark.parametrize("role", ["athlete", "operations", "staff"])
def test_only_coaches_clone(world, role):
    before = TrainingProgram.objects.count()
    response = _clone(world[role], world["program_mine"], world["mine"], world["start"])
    assert response.status_code == 403
    assert TrainingProgram.objects.count() == before


def test_calendar_feed_is_issued_for_visible_athletes_only(world):
    assert world["coach"].post(f"/api/v1/athletes/{world['mine'].pk}/calendar-feed/").status_code == 201
    assert world["athlete"].post(f"/api/v1/athletes/{world['mine'].pk}/calendar-feed/").status_code == 201
    for role in ("coach", "athlete", "operations", "staff"):
        response = world[role].post(f"/api/v1/athletes/{world['theirs'].pk}/calendar-feed/")
        assert response.status_code == 404, role
        response = world[role].post(f"/api/v1/athletes/{world['theirs'].pk}/calendar-feed/revoke/")
        assert response.status_code == 404, role


def _superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.mark.parametrize("factory", [HeadCoachFactory, _superuser])
def test_head_coaches_and_superusers_reach_every_athletes_derived_endpoints(world, factory):
    client = bearer_client(factory())
    theirs = world["theirs"]
    assert client.get(f"/api/v1/athletes/{theirs.pk}/load/").status_code == 200
    names = {row["displayName"] for row in client.get("/api/v1/load-summary/").json()["results"]}
    assert {"Mine", "Theirs"} <= names
    assert _clone(client, world["program_theirs"], world["mine"], world["start"]).status_code == 201
    assert client.post(f"/api/v1/athletes/{theirs.pk}/calendar-feed/").status_code == 201


def test_anonymous_callers_get_401_on_every_derived_endpoint(world):
    client = APIClient()
    mine = world["mine"]
    assert client.get(f"/api/v1/athletes/{mine.pk}/load/").status_code == 401
    assert client.get("/api/v1/load-summary/").status_code == 401
    assert _clone(client, world["program_mine"], mine, world["start"]).status_code == 401
    assert client.post(f"/api/v1/athletes/{mine.pk}/calendar-feed/").status_code == 401
    assert client.post(f"/api/v1/athletes/{mine.pk}/calendar-feed/revoke/").status_code == 401
