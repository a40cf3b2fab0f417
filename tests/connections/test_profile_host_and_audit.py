"""A SQLite profile needs no host (a PostgreSQL one does), and "Run check now" leaves an admin log entry."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse

from connections.models import DatabaseConnectionProfile
from connections.validators import names_sqlite_file
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from tests.support.profiles import live_profile, run_check

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "database", ["db.sqlite3", "var/db.sqlite3", "/srv/cadence/var/db.sqlite3", "demo.db", ":memory:"]
)
def test_a_sqlite_profile_may_leave_the_host_blank(database):
    profile = DatabaseConnectionProfile(
        environment="dev", host="", database=database, credential_ref="env:DATABASE_URL"
    )
    profile.full_clean()


@pytest.mark.parametrize("host", ["", "   "])
def test_a_postgresql_profile_needs_a_host(host):
    profile = DatabaseConnectionProfile(
        environment="dev", host=host, database="cadence", credential_ref="env:DATABASE_URL"
    )
    with pytest.raises(ValidationError) as excinfo:
        profile.full_clean()
    assert "needs a host" in excinfo.value.message_dict["host"][0]


@pytest.mark.parametrize(
    ("database", "sqlite"),
    [("cadence", False), ("cadence_db", False), ("db.sqlite3", True), ("file:x?mode=memory", True)],
)
def test_names_sqlite_file(database, sqlite):
    assert names_sqlite_file(database) is sqlite


def test_the_admin_saves_a_sqlite_profile_without_a_host(admin_client):
    data = {
        "environment": "laptop",
        "host": "",
        "port": "5432",
        "database": "db.sqlite3",
        "schema": "public",
        "credential_ref": "env:DATABASE_URL",
        "rotation_interval_days": "90",
    }
    response = admin_client.post(reverse("admin:connections_databaseconnectionprofile_add"), data)
    assert response.status_code == 302
    assert DatabaseConnectionProfile.objects.get().host == ""
    data.update(environment="pg", database="cadence")
    response = admin_client.post(reverse("admin:connections_databaseconnectionprofile_add"), data)
    assert response.status_code == 200 and "needs a host" in response.context["adminform"].form.errors["host"][0]


def test_the_api_refuses_a_blank_host_for_postgresql_and_takes_it_for_sqlite(coach_client):
    url = "/api/v1/connection-profiles/"
    body = {"environment": "pg", "host": "", "database": "cadence", "credentialRef": "env:DATABASE_URL"}
    response = coach_client.post(url, body, format="json")
    assert response.status_code == 400 and list(response.json()) == ["host"]
    body.update(environment="lite", database="db.sqlite3")
    assert coach_client.post(url, body, format="json").status_code == 201


def test_run_check_now_writes_a_log_entry_per_profile(admin_client, admin_user):
    profiles = [live_profile(), DatabaseConnectionProfileFactory(environment="staging")]
    run_check(admin_client, *profiles)
    entries = LogEntry.objects.filter(action_flag=CHANGE).order_by("object_repr")
    assert sorted(e.object_id for e in entries) == sorted(str(p.pk) for p in profiles)
    assert all(e.user_id == admin_user.pk for e in entries)
    messages = {e.object_id: e.change_message for e in entries}
    assert messages[str(profiles[0].pk)].startswith("Ran check now: PASS")
    assert (
        messages[str(profiles[1].pk)].startswith("Ran check now: FAIL")
        and "PROFILE_MISMATCH" in messages[str(profiles[1].pk)]
    )
