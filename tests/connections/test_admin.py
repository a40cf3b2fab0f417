"""Connection profiles in the admin: audit history and the "Run check now" action (the real checkdb)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from connections.models import DatabaseConnectionProfile
from health.models import ConnectionHealthEvent
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from tests.support.factories.health import ConnectionHealthEventFactory
from tests.support.profiles import live_profile, run_check

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:connections_databaseconnectionprofile_changelist")


def test_run_check_now_records_an_event_and_reports_it(admin_client):
    profile = live_profile()
    response = run_check(admin_client, profile)
    event = ConnectionHealthEvent.objects.get()
    assert event.environment == "development"
    texts = [str(m) for m in response.context["messages"]]
    assert len(texts) == 1 and texts[0].startswith(f"Check of development: {event.status.upper()}")
    assert "(event recorded)" in texts[0]
    assert event.status == "pass", event.message
    profile.refresh_from_db()
    assert profile.last_validated_at == event.checked_at


def test_run_check_now_reports_a_mismatch_as_an_error(admin_client):
    profile = DatabaseConnectionProfileFactory(environment="elsewhere", database="not-this-one", port=6543)
    response = run_check(admin_client, profile)
    event = ConnectionHealthEvent.objects.get()
    assert (event.environment, event.status, event.error_code) == ("elsewhere", "fail", "PROFILE_MISMATCH")
    (message,) = list(response.context["messages"])
    assert message.level_tag == "error" and "[PROFILE_MISMATCH]" in str(message)


def test_run_check_now_runs_once_per_selected_profile(admin_client):
    run_check(admin_client, live_profile(), DatabaseConnectionProfileFactory(environment="other"))
    assert sorted(ConnectionHealthEvent.objects.values_list("environment", flat=True)) == ["development", "other"]


def test_profile_changes_are_kept_in_the_audit_history(admin_client):
    profile = DatabaseConnectionProfileFactory(environment="production", host="db1.internal")
    url = reverse("admin:connections_databaseconnectionprofile_change", args=[profile.pk])
    data = {
        "environment": "production",
        "host": "db2.internal",
        "port": "5432",
        "database": "cadence",
        "schema": "public",
        "credential_ref": "vault:secret/data/db/prod",
        "rotation_interval_days": "30",
    }
    assert admin_client.post(url, data).status_code == 302
    history = admin_client.get(reverse("admin:connections_databaseconnectionprofile_history", args=[profile.pk]))
    html = history.content.decode()
    assert "db2.internal" in html and "db1.internal" in html
    assert profile.history.count() == 2


def test_a_secret_in_credential_ref_is_an_error_on_the_field(admin_client):
    data = {
        "environment": "production",
        "host": "db",
        "port": "5432",
        "database": "cadence",
        "schema": "public",
        "credential_ref": "postgres://app:hunter2@db/cadence",
        "rotation_interval_days": "30",
    }
    response = admin_client.post(reverse("admin:connections_databaseconnectionprofile_add"), data)
    assert "credential_ref" in response.context["adminform"].form.errors
    assert "hunter2" not in response.content.decode()  # not even in the re-rendered input
    assert not DatabaseConnectionProfile.objects.exists()


def test_profile_changelist_costs_the_same_with_5_and_50_rows(admin_client):
    counts = []
    for target in (5, 50):
        while DatabaseConnectionProfile.objects.count() < target:
            profile = DatabaseConnectionProfileFactory()
            ConnectionHealthEventFactory(environment=profile.environment)
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(CHANGELIST)
        assert response.context["cl"].result_count == target
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert 'class="health-badge health-pass"' in response.content.decode()


@pytest.mark.parametrize(("posted", "stored"), [("replica", "replica"), ("primary", "primary"), (None, "primary")])
def test_the_admin_edits_the_role(admin_client, posted, stored):
    profile = DatabaseConnectionProfileFactory(
        environment="production", role="replica" if stored == "primary" else "primary"
    )
    url = reverse("admin:connections_databaseconnectionprofile_change", args=[profile.pk])
    assert 'name="role"' in admin_client.get(url).content.decode()
    data = {
        "environment": "production",
        "host": "db1.internal",
        "port": "5432",
        "database": "cadence",
        "schema": "public",
        "credential_ref": "vault:secret/data/db/prod",
        "rotation_interval_days": "30",
    }
    if posted is not None:
        data["role"] = posted
    assert admin_client.post(url, data).status_code == 302
    profile.refresh_from_db()
    assert profile.role == stored


def test_the_admin_refuses_an_unknown_role(admin_client):
    profile = DatabaseConnectionProfileFactory(environment="production")
    url = reverse("admin:connections_databaseconnectionprofile_change", args=[profile.pk])
    data = {"environment": "production", "role": "standby", "host": "h", "port": "5432", "database": "d",
            "schema": "public", "credential_ref": "env:DATABASE_URL", "rotation_interval_days": "30"}  # fmt: skip
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "role" in response.context["adminform"].form.errors
    profile.refresh_from_db()
    assert profile.role == "primary"


def test_run_check_now_checks_a_replica_profile_on_its_own_alias(admin_client, settings, add_alias):
    # A replica's profile is named <APP_ENVIRONMENT>-<alias>; here the "replica" is the test database itself.
    add_alias("replica")
    settings.REPLICA_ALIASES = ["replica"]
    profile = live_profile("development-replica")
    run_check(admin_client, profile, live_profile("development"))
    checked = dict(ConnectionHealthEvent.objects.values_list("environment", "database"))
    assert checked == {"development-replica": "replica", "development": "default"}
