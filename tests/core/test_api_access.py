"""Athletes' access (docs/api.md, Roles): a head coach / the owning athlete / another athlete / a user with no
role and no profile / anonymous × list / retrieve / create / update / partial update, for every resource.
The full role matrix (coaches, operations, staff without groups, ...) is test_access_matrix.py."""

from datetime import timedelta

import pytest

from tests.support.factories.athletes import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["coach", "owner", "other", "noprofile", "anon"]
TRAINING = ["athletes", "programs", "phases", "micro-cycles", "sessions"]
STAFF_ONLY = ["connection-profiles", "health-events"]


@pytest.fixture
def world_options(athlete, other_athlete):
    """The owner and the other athlete of the clients below are A and B (tests.support.world)."""
    return {"athletes": (athlete, other_athlete)}


@pytest.fixture
def access(world):
    athlete, program, start = world.A["athletes"], world.A["programs"], world.start
    objects = {**world.A, "connection-profiles": world.profile, "health-events": world.event}
    creates = {
        "athletes": lambda: {
            "userId": UserFactory().pk,
            "displayName": "New",
            "timezone": "UTC",
            "primaryGoal": "strength",
        },
        "programs": lambda: {
            "athleteId": str(athlete.pk),
            "title": "Next",
            "startDate": "2030-01-01",
            "endDate": "2030-02-01",
            "status": "planned",
        },
        "phases": lambda: {
            "programId": str(program.pk),
            "name": "Build",
            "focus": "Threshold",
            "phaseOrder": 2,
            "startDate": str(start + timedelta(days=28)),
            "endDate": str(start + timedelta(days=41)),
        },
        "micro-cycles": lambda: {"programId": str(program.pk), "weekIndex": 2},
        "sessions": lambda: {
            "programId": str(program.pk),
            "title": "Intervals",
            "scheduledAt": f"{start + timedelta(days=2)}T10:00:00Z",
            "durationMinutes": 45,
            "modality": "bike",
        },
        "connection-profiles": lambda: {
            "environment": "staging",
            "host": "db",
            "port": 5432,
            "database": "c",
            "schema": "public",
            "credentialRef": "env:DATABASE_URL",
            "rotationIntervalDays": 30,
        },
        "health-events": lambda: {"environment": "x", "status": "pass"},
    }
    # A PATCH that athletes may not make (a coach may).
    forbidden_patch = {
        "athletes": {"coachNotes": "mine now"},
        "programs": {"title": "Renamed"},
        "phases": {"name": "Renamed"},
        "micro-cycles": {"readinessScore": 10},
        "sessions": {"title": "Renamed"},
        "connection-profiles": {"host": "db2"},
        "health-events": {"message": "x"},
    }
    return {"objects": objects, "creates": creates, "forbidden_patch": forbidden_patch}


@pytest.fixture
def clients(coach_client, athlete_client, other_client, noprofile_client, anon_client):
    return {
        "coach": coach_client,
        "owner": athlete_client,
        "other": other_client,
        "noprofile": noprofile_client,
        "anon": anon_client,
    }


def _put_payload(client, url):
    body = client.get(url).json()
    return {k: v for k, v in body.items() if v is not None}


# A user with neither a role nor an athlete profile has no business here: 403 (not an empty list).
LIST_EXPECT = {"coach": 200, "owner": 200, "other": 200, "noprofile": 403, "anon": 401}
RETRIEVE_EXPECT = {"coach": 200, "owner": 200, "other": 404, "noprofile": 403, "anon": 401}
CREATE_EXPECT = {"coach": 201, "owner": 403, "other": 403, "noprofile": 403, "anon": 401}
UPDATE_EXPECT = {"coach": 200, "owner": 403, "other": 404, "noprofile": 403, "anon": 401}
STAFF_EXPECT = {"coach": 200, "owner": 403, "other": 403, "noprofile": 403, "anon": 401}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", TRAINING)
def test_training_list_scoped_to_own_rows(access, clients, role, resource):
    response = clients[role].get(f"/api/v1/{resource}/")
    assert response.status_code == LIST_EXPECT[role]
    if response.status_code != 200:
        return
    ids = {row["id"] for row in response.json()["results"]}
    own = str(access["objects"][resource].pk)
    if role == "coach":
        assert own in ids and len(ids) >= 2
    elif role == "owner":
        assert ids == {own}
    elif role == "other":
        assert own not in ids and len(ids) == 1
    else:
        raise AssertionError(role)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", TRAINING)
def test_training_retrieve(access, clients, role, resource):
    url = f"/api/v1/{resource}/{access['objects'][resource].pk}/"
    response = clients[role].get(url)
    assert response.status_code == RETRIEVE_EXPECT[role]
    if response.status_code == 404:
        assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", TRAINING)
def test_training_create(access, clients, role, resource):
    response = clients[role].post(f"/api/v1/{resource}/", access["creates"][resource](), format="json")
    assert response.status_code == CREATE_EXPECT[role], response.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", TRAINING)
def test_training_put(access, clients, role, resource):
    url = f"/api/v1/{resource}/{access['objects'][resource].pk}/"
    payload = _put_payload(clients["coach"], url)
    response = clients[role].put(url, payload, format="json")
    assert response.status_code == UPDATE_EXPECT[role], response.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", TRAINING)
def test_training_patch_of_a_field_athletes_may_not_change(access, clients, role, resource):
    obj = access["objects"][resource]
    url = f"/api/v1/{resource}/{obj.pk}/"
    version = type(obj).objects.get(pk=obj.pk).version
    response = clients[role].patch(url, access["forbidden_patch"][resource], format="json")
    assert response.status_code == UPDATE_EXPECT[role], response.content
    if role != "coach":
        assert type(obj).objects.get(pk=obj.pk).version == version  # nothing written


@pytest.mark.parametrize(
    ("resource", "payload"),
    [
        ("athletes", {"displayName": "Me", "timezone": "Asia/Tokyo"}),
        ("sessions", {"status": "completed", "load": 300}),
        ("sessions", {"status": "completed", "completedAt": "2026-01-01T10:00:00+02:00"}),
        ("sessions", {"status": "completed", "rpe": 6}),
    ],
)
def test_owner_may_patch_the_listed_fields(access, clients, resource, payload):
    obj = access["objects"][resource]
    response = clients["owner"].patch(f"/api/v1/{resource}/{obj.pk}/", payload, format="json")
    assert response.status_code == 200, response.content
    for key, value in payload.items():
        if key == "completedAt":
            assert response.json()[key] == "2026-01-01T08:00:00Z"
        else:
            assert response.json()[key] == value
    # ... but not the same fields of someone else's object.
    response = clients["other"].patch(f"/api/v1/{resource}/{obj.pk}/", payload, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize("resource", ["programs", "phases", "micro-cycles"])
def test_owner_may_not_patch_even_status_of_plan_rows(access, clients, resource):
    obj = access["objects"][resource]
    response = clients["owner"].patch(f"/api/v1/{resource}/{obj.pk}/", {"status": "completed"}, format="json")
    assert response.status_code == 403


def test_owner_patch_mixing_allowed_and_forbidden_fields_is_403_and_writes_nothing(access, clients):
    session = access["objects"]["sessions"]
    response = clients["owner"].patch(
        f"/api/v1/sessions/{session.pk}/", {"status": "completed", "durationMinutes": 5}, format="json"
    )
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == "planned" and session.duration_minutes == 60


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("resource", STAFF_ONLY)
def test_staff_only_resources(access, clients, role, resource):
    client = clients[role]
    obj = access["objects"][resource]
    assert client.get(f"/api/v1/{resource}/").status_code == STAFF_EXPECT[role]
    assert client.get(f"/api/v1/{resource}/{obj.pk}/").status_code == STAFF_EXPECT[role]
    create = client.post(f"/api/v1/{resource}/", access["creates"][resource](), format="json")
    patch = client.patch(f"/api/v1/{resource}/{obj.pk}/", access["forbidden_patch"][resource], format="json")
    if resource == "health-events" and role != "anon":
        assert create.status_code == patch.status_code == 405  # read-only for everyone signed in
    elif role == "coach":
        assert (create.status_code, patch.status_code) == (201, 200)
    else:
        assert create.status_code == patch.status_code == STAFF_EXPECT[role]


@pytest.mark.parametrize(
    ("resource", "param"),
    [
        ("programs", "athleteId"),
        ("sessions", "athleteId"),
        ("phases", "programId"),
        ("micro-cycles", "programId"),
        ("sessions", "programId"),
    ],
)
def test_filters_cannot_reach_other_athletes_rows(access, clients, resource, param, other_athlete):
    value = other_athlete.pk if param == "athleteId" else other_athlete.programs.get().pk
    response = clients["owner"].get(f"/api/v1/{resource}/", {param: str(value)})
    assert response.status_code == 200
    assert response.json()["count"] == 0
    # ... while the coach does get them.
    assert clients["coach"].get(f"/api/v1/{resource}/", {param: str(value)}).json()["count"] == 1
