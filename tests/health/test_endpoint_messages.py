"""/health/db shows a failed check's message (host names, ports, databases) only to staff; anonymous callers
get the error code. checkdb (and the services) keep the full message."""

import json

import pytest
from django.test import Client

from health.services import health_verdict
from tests.support.factories.athletes import OperationsFactory, StaffFactory, UserFactory
from tests.support.factories.health import ConnectionHealthEventFactory

pytestmark = pytest.mark.django_db

SECRET_HOSTS = "host: expected 'db-1.internal', actual 'db-2.internal'"


@pytest.fixture
def failed_event():
    return ConnectionHealthEventFactory(status="fail", error_code="PROFILE_MISMATCH", message=SECRET_HOSTS)


def _body(client):
    response = client.get("/health/db")
    assert response.status_code == 503
    return json.loads(response.content)


def test_anonymous_sees_the_code_only(failed_event):
    body = _body(Client())
    assert body["errorCode"] == "PROFILE_MISMATCH"
    assert body["message"] is None
    assert "db-1.internal" not in json.dumps(body)


def test_a_logged_in_non_staff_user_sees_the_code_only(failed_event):
    client = Client()
    client.force_login(UserFactory())
    assert _body(client)["message"] is None


def test_staff_without_a_role_see_the_code_only(failed_event):
    client = Client()
    client.force_login(StaffFactory())
    assert _body(client)["message"] is None


def test_operations_see_the_message(failed_event):
    client = Client()
    client.force_login(OperationsFactory())
    body = _body(client)
    assert body["message"] == SECRET_HOSTS
    assert body["checks"]["database:responseTime"][0]["output"] == SECRET_HOSTS


def test_the_service_keeps_the_message_for_checkdb_and_staff_tools(failed_event):
    status, body = health_verdict()
    assert (status, body["message"]) == (503, SECRET_HOSTS)


def test_app_generated_messages_stay_for_anonymous_callers():
    # No event: the message says so and names nothing secret.
    assert "No check recorded" in _body(Client())["message"]
