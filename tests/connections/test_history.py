"""Every change to a profile is kept: who, when, old and new values; from code and through the admin form.
The history never holds a secret."""

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from connections.models import DatabaseConnectionProfile
from tests.support.factories.connections import DatabaseConnectionProfileFactory

pytestmark = pytest.mark.django_db
SECRET = "S3cr3t-Pa55"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-for-tests-only")
    client.force_login(user)
    client.user = user
    return client


def _form(profile, **changes):
    data = {
        "environment": profile.environment,
        "host": profile.host,
        "port": profile.port,
        "database": profile.database,
        "schema": profile.schema,
        "credential_ref": profile.credential_ref,
        "rotation_interval_days": profile.rotation_interval_days,
    }
    data.update(changes)
    return data


def test_orm_changes_record_when_old_and_new():
    before = timezone.now()
    profile = DatabaseConnectionProfileFactory(environment="prod", host="db-1")
    profile.host = "db-2"
    profile.port = 6432
    profile.save()

    created, changed = profile.history.order_by("history_date", "history_id")
    assert (created.history_type, changed.history_type) == ("+", "~")
    assert before <= created.history_date <= changed.history_date <= timezone.now()
    assert changed.history_user is None  # a script has no request user
    diff = {c.field: (c.old, c.new) for c in changed.diff_against(created).changes}
    assert diff == {"host": ("db-1", "db-2"), "port": (5432, 6432)}


def test_admin_form_change_records_the_user_and_values(admin_client):
    profile = DatabaseConnectionProfileFactory(environment="prod", credential_ref="env:DATABASE_URL")
    url = f"/admin/connections/databaseconnectionprofile/{profile.pk}/change/"

    response = admin_client.post(url, _form(profile, credential_ref="vault:secret/data/db/prod", schema="app"))

    assert response.status_code == 302, response.content[:2000]
    latest = profile.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == admin_client.user
    diff = {c.field: (c.old, c.new) for c in latest.diff_against(latest.prev_record).changes}
    assert diff == {"credential_ref": ("env:DATABASE_URL", "vault:secret/data/db/prod"), "schema": ("public", "app")}


def test_admin_form_rejects_a_secret_and_history_stays_clean(admin_client):
    profile = DatabaseConnectionProfileFactory(environment="prod")
    url = f"/admin/connections/databaseconnectionprofile/{profile.pk}/change/"
    rows_before = profile.history.count()

    response = admin_client.post(url, _form(profile, credential_ref=f"postgres://app:{SECRET}@db/cadence"))

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors["credential_ref"]
    assert "looks like a secret" in errors[0]
    assert all(SECRET not in e for e in errors)
    profile.refresh_from_db()
    assert profile.credential_ref == "env:DATABASE_URL"
    assert profile.history.count() == rows_before


def test_history_never_holds_a_secret_whatever_path_was_tried(admin_client):
    profile = DatabaseConnectionProfileFactory(environment="prod")
    admin_client.post(
        f"/admin/connections/databaseconnectionprofile/{profile.pk}/change/",
        _form(profile, credential_ref=f"password={SECRET}"),
    )
    profile.credential_ref = f"postgres://app:{SECRET}@db/cadence"
    with pytest.raises(Exception):  # noqa: B017 (the model refuses; which exception is the validator's)
        profile.save()
    for record in DatabaseConnectionProfile.history.all():
        for field in record._meta.fields:
            assert SECRET not in str(getattr(record, field.attname))
