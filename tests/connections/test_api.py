"""/api/v1/connection-profiles/: staff-only CRUD (no delete), credentialRef never a secret, audit history."""

import pytest

from connections.models import DatabaseConnectionProfile
from tests.support.factories.connections import DatabaseConnectionProfileFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/connection-profiles/"
SECRET = "hunter2-S3cr3t"


def payload(**overrides):
    data = {
        "environment": "production",
        "host": "db.internal",
        "port": 5432,
        "database": "cadence",
        "schema": "public",
        "credentialRef": "vault:secret/data/db/prod",
        "rotationIntervalDays": 90,
    }
    data.update(overrides)
    return data


def test_create_fields(coach_client):
    response = coach_client.post(URL, payload(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "environment",
        "role",
        "host",
        "port",
        "database",
        "schema",
        "credentialRef",
        "rotationIntervalDays",
        "lastValidatedAt",
        "updatedAt",
    }
    assert body["lastValidatedAt"] is None
    assert body["role"] == "primary"  # the default when omitted


@pytest.mark.parametrize("role", ["primary", "replica"])
def test_role_is_taken_and_shown(coach_client, role):
    response = coach_client.post(URL, payload(role=role), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["role"] == role
    assert DatabaseConnectionProfile.objects.get(environment="production").role == role


@pytest.mark.parametrize("role", ["standby", "", "PRIMARY", None, 1])
def test_unknown_role_is_400_and_nothing_saved(coach_client, role):
    response = coach_client.post(URL, payload(role=role), format="json")
    assert response.status_code == 400
    assert "role" in response.json()
    assert not DatabaseConnectionProfile.objects.exists()


def test_role_can_be_changed_with_patch(coach_client):
    profile = DatabaseConnectionProfileFactory(environment="staging")
    response = coach_client.patch(f"{URL}{profile.pk}/", {"role": "replica"}, format="json")
    assert response.status_code == 200, response.content
    profile.refresh_from_db()
    assert profile.role == "replica"


def test_last_validated_at_is_read_only(coach_client):
    body = coach_client.post(URL, payload(lastValidatedAt="2030-01-01T00:00:00Z"), format="json").json()
    assert body["lastValidatedAt"] is None


@pytest.mark.parametrize(
    "ref",
    [
        f"postgres://app:{SECRET}@db:5432/cadence",
        f"password={SECRET}",
        f"host=db user=app password={SECRET}",
        f"env:X token={SECRET}",
        f"mysql://root:{SECRET}@db/x",
    ],
)
def test_secret_credential_ref_is_400_never_echoed_nor_stored(coach_client, ref):
    response = coach_client.post(URL, payload(credentialRef=ref), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["credentialRef"]
    assert SECRET not in response.content.decode()
    assert not DatabaseConnectionProfile.objects.exists()
    profile = DatabaseConnectionProfileFactory()
    response = coach_client.patch(f"{URL}{profile.pk}/", {"credentialRef": ref}, format="json")
    assert response.status_code == 400 and SECRET not in response.content.decode()
    profile.refresh_from_db()
    assert profile.credential_ref == "env:DATABASE_URL"
    assert not profile.history.filter(credential_ref__contains=SECRET).exists()


@pytest.mark.parametrize("ref", ["env:DATABASE_URL", "vault:secret/data/db/prod", "aws-sm:prod/db"])
def test_references_are_accepted(coach_client, ref):
    assert coach_client.post(URL, payload(credentialRef=ref), format="json").status_code == 201


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        ("environment", "a", True),
        ("environment", "a" * 40, True),
        ("environment", "a" * 41, False),
        ("environment", "Prod", False),
        ("environment", "-prod", False),
        ("environment", "prod env", False),
        ("port", 1, True),
        ("port", 65535, True),
        ("port", 0, False),
        ("port", 65536, False),
        ("port", 10**30, False),
        ("rotationIntervalDays", 1, True),
        ("rotationIntervalDays", 365, True),
        ("rotationIntervalDays", 0, False),
        ("rotationIntervalDays", 366, False),
        ("credentialRef", "just-a-name", False),
        ("host", "", False),
    ],
)
def test_field_rules(coach_client, field, value, ok):
    response = coach_client.post(URL, payload(**{field: value}), format="json")
    assert response.status_code == (201 if ok else 400), response.content
    if not ok:
        assert list(response.json()) == [field]


def test_environment_is_unique(coach_client):
    DatabaseConnectionProfileFactory(environment="production")
    response = coach_client.post(URL, payload(), format="json")
    assert response.status_code == 400 and list(response.json()) == ["environment"]


def test_every_change_is_kept_in_history(coach_client):
    body = coach_client.post(URL, payload(), format="json").json()
    coach_client.patch(f"{URL}{body['id']}/", {"host": "db2.internal"}, format="json")
    profile = DatabaseConnectionProfile.objects.get(pk=body["id"])
    assert [h.host for h in profile.history.order_by("history_date")] == ["db.internal", "db2.internal"]
    assert profile.history.first().history_user is not None


def test_list_ordered_by_environment(coach_client):
    DatabaseConnectionProfileFactory(environment="staging")
    DatabaseConnectionProfileFactory(environment="production")
    envs = [r["environment"] for r in coach_client.get(URL).json()["results"]]
    assert envs == ["production", "staging"]
