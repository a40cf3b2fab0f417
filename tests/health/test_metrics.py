"""GET /metrics: OpenMetrics text behind METRICS_TOKEN, with the database-check gauges of the newest events,
the spool size, and request count and latency by view and status."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from health import services
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from tests.support.factories.health import ConnectionHealthEventFactory
from tests.support.utils import postgres_only

TOKEN = "metrics-token-0123456789"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture
def token(settings, tmp_path):
    settings.METRICS_TOKEN = TOKEN
    settings.HEALTH_SPOOL_PATH = tmp_path / "spool.jsonl"


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **AUTH)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def env(name):
    return (("environment", name),)


def test_without_metrics_token_the_endpoint_does_not_exist(client, settings):
    settings.METRICS_TOKEN = None
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", **AUTH).status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Token {TOKEN}", TOKEN,
     "Bearer wrong"],
)  # fmt: skip
def test_a_missing_or_wrong_token_is_401(client, token, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"cadence_" not in response.content


def test_writes_are_405_after_the_token_and_need_no_csrf_token(token):
    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post("/metrics", **AUTH).status_code == 405
    assert csrf_client.post("/metrics").status_code == 401


@pytest.mark.django_db
def test_gauges_after_a_pass_and_a_fail(client, token, settings):
    settings.APP_ENVIRONMENT = "production"
    DatabaseConnectionProfileFactory(environment="production")
    DatabaseConnectionProfileFactory(environment="production-replica")
    DatabaseConnectionProfileFactory(environment="staging")  # no event: no gauge
    now = timezone.now()
    ConnectionHealthEventFactory(environment="production", status="fail", error_code="DB_TIMEOUT",
                                 checked_at=now - timedelta(minutes=5), latency_ms=None)  # fmt: skip
    ConnectionHealthEventFactory(environment="production", latency_ms=12.5, checked_at=now - timedelta(seconds=30))
    ConnectionHealthEventFactory(
        environment="production-replica", database="replica", status="fail", error_code="REPLICA_LAG",
        latency_ms=3.25, checked_at=now - timedelta(seconds=90),
    )  # fmt: skip
    samples = scrape(client)
    assert samples[("cadence_db_check_up", env("production"))] == 1
    assert samples[("cadence_db_check_latency_ms", env("production"))] == 12.5
    assert 30 <= samples[("cadence_db_check_age_seconds", env("production"))] < 40
    assert samples[("cadence_db_check_up", env("production-replica"))] == 0
    assert samples[("cadence_db_check_latency_ms", env("production-replica"))] == 3.25
    assert 90 <= samples[("cadence_db_check_age_seconds", env("production-replica"))] < 100
    assert ("cadence_db_check_up", env("staging")) not in samples
    assert samples[("cadence_health_spool_events", ())] == 0


@pytest.mark.django_db
def test_app_environment_without_a_profile_still_has_gauges(client, token, settings):
    settings.APP_ENVIRONMENT = "development"
    ConnectionHealthEventFactory(status="fail", error_code="PROFILE_MISSING", latency_ms=None)
    samples = scrape(client)
    assert samples[("cadence_db_check_up", env("development"))] == 0
    assert ("cadence_db_check_latency_ms", env("development")) not in samples  # no latency, no sample


@pytest.mark.django_db
def test_spooled_events_are_counted(client, token):
    for i in range(3):
        services.spool().append({"id": str(i)})
    assert scrape(client)[("cadence_health_spool_events", ())] == 3


@pytest.mark.django_db
def test_gauges_take_a_constant_number_of_queries(client, token, django_assert_max_num_queries):
    for i in range(15):
        DatabaseConnectionProfileFactory(environment=f"env-{i}")
        ConnectionHealthEventFactory.create_batch(3, environment=f"env-{i}")
    # savepoint, SET LOCAL (PostgreSQL), the newest event of every profile's environment and APP_ENVIRONMENT's,
    # release; then the queue's depth, the webhook deliveries by status and the disabled endpoints (webhooks.metrics)
    with django_assert_max_num_queries(7):
        samples = scrape(client)
    assert sum(1 for name, _ in samples if name == "cadence_db_check_up") == 15


@pytest.mark.django_db
def test_the_newest_events_of_the_profiles_and_app_environment_are_one_query(client, token, settings):
    settings.APP_ENVIRONMENT = "development"  # no profile: reported all the same
    for i in range(3):
        DatabaseConnectionProfileFactory(environment=f"env-{i}")
        ConnectionHealthEventFactory.create_batch(2, environment=f"env-{i}")
    ConnectionHealthEventFactory(environment="no-profile")  # neither a profile nor APP_ENVIRONMENT: not reported
    ConnectionHealthEventFactory(environment="development")
    with CaptureQueriesContext(connection) as ctx:
        samples = scrape(client)
    reads = [q["sql"] for q in ctx.captured_queries if "health_connectionhealthevent" in q["sql"]]
    assert len(reads) == 1, reads
    reported = {labels[0][1] for name, labels in samples if name == "cadence_db_check_up"}
    assert reported == {"env-0", "env-1", "env-2", "development"}


@pytest.mark.django_db
def test_request_count_and_latency_by_view_and_status(client, token):
    def count(view, status):
        return scrape(client).get(
            ("cadence_http_requests_total", (("method", "GET"), ("status", status), ("view", view))), 0
        )

    before_live, before_missing = count("health:live", "200"), count("<unmatched>", "404")
    client.get("/health/live")
    client.get("/health/live")
    client.get("/no-such-page/")
    samples = scrape(client)
    assert (
        samples[("cadence_http_requests_total", (("method", "GET"), ("status", "200"), ("view", "health:live")))]
        == before_live + 2
    )
    assert (
        samples[("cadence_http_requests_total", (("method", "GET"), ("status", "404"), ("view", "<unmatched>")))]
        == before_missing + 1
    )
    histogram_count = samples[
        ("cadence_http_request_duration_seconds_count", (("method", "GET"), ("status", "200"), ("view", "health:live")))
    ]
    assert histogram_count >= 2
    # The raw path is never a label (a client could vary it without end).
    assert not any("/no-such-page/" in str(labels) for _, labels in samples)


@postgres_only
@pytest.mark.django_db
def test_an_unreadable_database_is_reported_down_not_a_500(client, token, settings, pg_alias, record_to, closed_port):
    pg_alias("down", port=closed_port)
    record_to("down")
    started = time.monotonic()
    samples = scrape(client)
    assert time.monotonic() - started < settings.DB_CONNECT_TIMEOUT + 1
    assert samples[("cadence_db_check_up", env(settings.APP_ENVIRONMENT))] == 0


@pytest.mark.django_db
def test_an_in_cluster_scrape_over_plain_http_is_not_redirected(client, token, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/metrics", **AUTH).status_code == 200
    assert client.get("/api/v1/athletes/").status_code == 301  # everything else still is
