"""seed_demo's green demo: a connection profile for the database it runs on and a first passing check."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from connections.models import DatabaseConnectionProfile
from health.models import ConnectionHealthEvent
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from training.management.commands.seed_demo import seed_demo_connection_check

pytestmark = pytest.mark.django_db


def test_first_check_passes_against_a_profile_made_for_this_database():
    check = seed_demo_connection_check()
    assert (check.environment, check.profile_created, check.status) == ("development", True, "pass"), check.message
    profile = DatabaseConnectionProfile.objects.get(environment="development")
    if connection.vendor == "sqlite":
        assert profile.host == ""  # a SQLite file has no host
    else:
        assert profile.host and profile.database == connection.settings_dict["NAME"]
    assert profile.credential_ref == "env:DATABASE_URL"
    event = ConnectionHealthEvent.objects.get()
    assert (event.environment, event.status) == ("development", "pass")
    profile.refresh_from_db()
    assert profile.last_validated_at == event.checked_at  # through checkdb's own path


def test_a_second_run_keeps_the_profile_and_records_a_new_check():
    seed_demo_connection_check()
    again = seed_demo_connection_check()
    assert not again.profile_created and again.status == "pass"
    assert DatabaseConnectionProfile.objects.count() == 1
    assert ConnectionHealthEvent.objects.count() == 2


def test_an_existing_profile_is_never_changed_and_its_mismatch_is_reported():
    DatabaseConnectionProfileFactory(environment="development", host="elsewhere.internal", database="other")
    check = seed_demo_connection_check()
    assert not check.profile_created
    assert (check.status, check.error_code) == ("fail", "PROFILE_MISMATCH")
    assert DatabaseConnectionProfile.objects.get().host == "elsewhere.internal"


@override_settings(APP_ENVIRONMENT="demo")
def test_the_profile_is_for_app_environment():
    assert seed_demo_connection_check().environment == "demo"
    assert DatabaseConnectionProfile.objects.get().environment == "demo"


def test_after_seed_demo_health_db_and_the_admin_index_say_pass(client, admin_client):
    out = StringIO()
    call_command("seed_demo", "--athletes", "1", "--weeks", "2", stdout=out)
    assert "Connection profile for 'development': created; first check: PASS." in out.getvalue()
    response = client.get("/health/db")
    assert response.status_code == 200 and response.json()["status"] == "pass"
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert 'data-environment="development"' in html and 'data-status="pass"' in html
