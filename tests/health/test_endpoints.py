"""/health/live and /health/db: the verdict table of docs/operations.md, 3. Health endpoints, row by row."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.support.factories.health import ConnectionHealthEventFactory
from tests.support.utils import postgres_only


def get(client, path):
    response = client.get(path)
    return response, json.loads(response.content)


def assert_health_headers(response):
    assert response["Content-Type"] == "application/health+json"
    assert response["Cache-Control"] == "no-store"


def test_live_answers_pass_without_touching_the_database(client):
    # No django_db mark: any database access in this request would raise "Database access not allowed".
    response, body = get(client, "/health/live")
    assert (response.status_code, body) == (200, {"status": "pass"})
    assert_health_headers(response)


@pytest.mark.django_db
def test_db_pass_matches_the_documented_example_shape(client, settings):
    settings.RELEASE_ID = "2026.11.25-1"
    event = ConnectionHealthEventFactory(environment=settings.APP_ENVIRONMENT, latency_ms=1.8)
    response, body = get(client, "/health/db")
    checked_at = event.checked_at.isoformat().replace("+00:00", "Z")
    assert response.status_code == 200
    assert_health_headers(response)
    assert body == {
        "status": "pass",
        "environment": settings.APP_ENVIRONMENT,
        "checkedAt": checked_at,
        "latencyMs": 1.8,
        "errorCode": None,
        "message": None,
        "stale": False,
        "version": "0.1.0",
        "releaseId": "2026.11.25-1",
        "checks": {
            "database:responseTime": [
                {
                    "componentId": "default",
                    "componentType": "datastore",
                    "observedValue": 1.8,
                    "observedUnit": "ms",
                    "status": "pass",
                    "time": checked_at,
                }
            ]
        },
    }


@pytest.mark.django_db
def test_db_newest_failed_event_is_503_with_its_code(client, settings):
    ConnectionHealthEventFactory(checked_at=timezone.now() - timedelta(seconds=30))
    ConnectionHealthEventFactory(status="fail", error_code="PROFILE_MISMATCH", message="host: expected a, actual b")
    response, body = get(client, "/health/db")
    assert response.status_code == 503
    assert_health_headers(response)
    # Anonymous: the code, not the message (it names hosts); staff see it (tests/health/test_endpoint_messages.py).
    assert (body["status"], body["errorCode"], body["message"], body["stale"]) == (
        "fail",
        "PROFILE_MISMATCH",
        None,
        False,
    )
    check = body["checks"]["database:responseTime"][0]
    assert check["status"] == "fail"
    assert "output" not in check


@pytest.mark.django_db
def test_db_newest_wins_over_older_failure(client):
    ConnectionHealthEventFactory(status="fail", error_code="DB_TIMEOUT", checked_at=timezone.now() - timedelta(60))
    ConnectionHealthEventFactory()
    assert client.get("/health/db").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(("age", "stale"), [(299, False), (301, True), (3600, True)])
def test_db_stale_boundary(client, settings, age, stale):
    settings.HEALTH_MAX_AGE_SECONDS = 300
    ConnectionHealthEventFactory(checked_at=timezone.now() - timedelta(seconds=age))
    response, body = get(client, "/health/db")
    assert body["stale"] is stale
    if stale:
        assert (response.status_code, body["status"], body["errorCode"]) == (503, "fail", "CHECK_STALE")
        assert body["checkedAt"] is not None and body["latencyMs"] == 1.5
        assert "older than 300 s" in body["message"]
    else:
        assert (response.status_code, body["status"], body["errorCode"]) == (200, "pass", None)


@pytest.mark.django_db
def test_db_stale_failure_reports_check_stale(client):
    ConnectionHealthEventFactory(
        status="fail", error_code="DB_TIMEOUT", checked_at=timezone.now() - timedelta(seconds=1000)
    )
    response, body = get(client, "/health/db")
    assert (response.status_code, body["errorCode"], body["stale"]) == (503, "CHECK_STALE", True)
    assert "(fail)" in body["message"]


@pytest.mark.django_db
def test_db_no_event_for_this_environment(client, settings):
    settings.APP_ENVIRONMENT = "production"
    ConnectionHealthEventFactory(environment="staging")  # another environment's events do not count
    response, body = get(client, "/health/db")
    assert response.status_code == 503
    assert_health_headers(response)
    assert (body["status"], body["errorCode"], body["checkedAt"], body["latencyMs"], body["stale"]) == (
        "fail",
        "NO_CHECK_RECORDED",
        None,
        None,
        False,
    )
    assert body["environment"] == "production"
    assert body["checks"]["database:responseTime"][0]["status"] == "fail"


@pytest.mark.django_db
def test_db_reads_one_query_however_many_events(client, django_assert_max_num_queries, settings):
    settings.REPLICA_ALIASES = []  # each configured replica adds one query (its node's newest event)
    ConnectionHealthEventFactory.create_batch(20)
    with django_assert_max_num_queries(4):  # savepoint, SET LOCAL (PostgreSQL), the event, release
        assert client.get("/health/db").status_code == 200


@pytest.mark.django_db
def test_db_unreachable_database_is_503_db_unreachable(client, pg_alias, record_to, closed_port, settings):
    ConnectionHealthEventFactory()
    pg_alias("down", port=closed_port)
    record_to("down")
    started = time.monotonic()
    response, body = get(client, "/health/db")
    assert time.monotonic() - started < settings.DB_CONNECT_TIMEOUT + 1
    assert response.status_code == 503
    assert_health_headers(response)
    assert (body["status"], body["errorCode"]) == ("fail", "DB_UNREACHABLE")
    assert "127.0.0.1" not in json.dumps(body)  # no connection details to anonymous callers


@postgres_only
@pytest.mark.django_db
def test_db_silent_database_answers_within_connect_timeout_plus_one(client, pg_alias, record_to, silent_server):
    pg_alias("silent", port=silent_server.port)  # connect_timeout 2 s on this alias
    record_to("silent")
    started = time.monotonic()
    response, body = get(client, "/health/db")
    elapsed = time.monotonic() - started
    assert (response.status_code, body["errorCode"]) == (503, "DB_UNREACHABLE")
    assert elapsed < 2 + 1, elapsed


@postgres_only
@pytest.mark.django_db
def test_db_connection_that_stalls_after_connecting_answers_within_connect_timeout_plus_one(
    client, pg_alias, record_to, stalling_proxy, settings
):
    # Connected and authenticated through the proxy, then silence: statement_timeout never reaches the server,
    # so only the client-side watchdog can end the read.
    settings.DB_CONNECT_TIMEOUT = 2
    pg_alias("stalled", port=stalling_proxy.port)
    record_to("stalled")
    started = time.monotonic()
    response, body = get(client, "/health/db")
    elapsed = time.monotonic() - started
    assert stalling_proxy.stalled.is_set()
    assert (response.status_code, body["errorCode"]) == (503, "DB_UNREACHABLE")
    assert elapsed < settings.DB_CONNECT_TIMEOUT + 1, elapsed


def test_health_endpoints_need_no_authentication_and_are_not_redirected(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/health/live")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/health/live", "/health/db"])
def test_health_endpoints_answer_writes_with_a_json_405(client, path):
    response = client.post(path)
    assert (response.status_code, response["Allow"]) == (405, "GET, HEAD")
    assert_health_headers(response)
    assert json.loads(response.content)["status"] == "fail"


def test_health_endpoints_refuse_writes(client):
    assert client.post("/health/live").status_code == 405
