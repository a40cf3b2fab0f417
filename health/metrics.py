"""`GET /metrics`: OpenMetrics text for Prometheus (docs/operations.md, `/metrics`), through prometheus_client.

The database-check gauges are read at scrape time from the newest event of each environment (APP_ENVIRONMENT,
and those the caller names: `connections.metrics` serves the endpoint with every environment that has a
connection profile) in one query; the request count and latency come from core.metrics. Guarded by
`METRICS_TOKEN`: unset, the endpoint does not exist (404); set, it takes `Authorization: Bearer <METRICS_TOKEN>`
and answers anything else with 401.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST, generate_latest

from core import dialect
from core import metrics as request_metrics
from core.redaction import error_text, settings_secrets

from . import services
from .models import CheckStatus, ConnectionHealthEvent
from .selectors import newest_events

# The environments to report besides APP_ENVIRONMENT, given the alias events are read from: names, or
# querysets of `environment` values (health.selectors.newest_events).
Environments = Callable[[str], Iterable[str | QuerySet]]

logger = logging.getLogger("cadence.metrics")


def no_more_environments(using: str) -> list[str]:
    """Report APP_ENVIRONMENT alone (the default of `DatabaseCheckCollector`)."""
    return []


class DatabaseCheckCollector:
    """cadence_db_check_{up,latency_ms,age_seconds}{environment} and cadence_health_spool_events, for
    APP_ENVIRONMENT and the environments `environments(using)` names."""

    def __init__(self, environments: Environments = no_more_environments):
        self.environments = environments

    def collect(self):
        up = GaugeMetricFamily(
            "cadence_db_check_up", "1 when the newest database check passed, 0 when it failed.", labels=["environment"]
        )
        latency = GaugeMetricFamily(
            "cadence_db_check_latency_ms",
            "Connect plus SELECT 1 round trip of the newest database check, in milliseconds.",
            labels=["environment"],
        )
        age = GaugeMetricFamily(
            "cadence_db_check_age_seconds", "Seconds since the newest database check ran.", labels=["environment"]
        )
        now = timezone.now()
        try:
            events = self._read()
        except DatabaseError as exc:
            secrets = settings_secrets(connections.settings[services.RECORD_DATABASE])
            logger.warning("/metrics could not read the health events: %s", error_text(exc, secrets=secrets))
            # The app's own database cannot be read: from here, that is a failed check.
            up.add_metric([settings.APP_ENVIRONMENT], 0)
            events = {}
        for environment, event in sorted(events.items()):
            up.add_metric([environment], 1 if event.status == CheckStatus.PASS else 0)
            if event.latency_ms is not None:
                latency.add_metric([environment], event.latency_ms)
            age.add_metric([environment], max(0.0, (now - event.checked_at).total_seconds()))
        spool = GaugeMetricFamily(
            "cadence_health_spool_events", "Health events waiting in this host's spool.", value=services.spooled_count()
        )
        yield from (up, latency, age, spool)

    def _read(self) -> dict[str, ConnectionHealthEvent]:
        using = services.RECORD_DATABASE
        wrapper = connections[using]
        try:
            with transaction.atomic(using=using):
                if dialect.is_postgresql(wrapper):
                    with wrapper.cursor() as cursor:  # a slow server must not hold the scrape
                        cursor.execute(f"SET LOCAL statement_timeout = {int(settings.DB_CONNECT_TIMEOUT * 1000)}")
                wanted = [*self.environments(using), settings.APP_ENVIRONMENT]
                return {event.environment: event for event in newest_events(wanted, using=using)}
        except DatabaseError:
            services._close_quietly(using)
            raise


def metrics_registry(environments: Environments = no_more_environments) -> CollectorRegistry:
    """A registry for one scrape: request metrics (this worker's, or all workers' in multiprocess mode) and
    the database-check gauges (of APP_ENVIRONMENT and `environments`)."""
    registry = CollectorRegistry()  # no auto_describe: it would run the database queries twice
    if request_metrics.MULTIPROCESS:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in request_metrics.COLLECTED:  # requests, latency, the database circuit
            registry.register(collector)
    registry.register(DatabaseCheckCollector(environments))
    for collector in request_metrics.SCRAPE_COLLECTORS:  # the apps' own (the queue, webhook deliveries)
        registry.register(collector)
    return registry


def _authorized(request) -> bool:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode())


def metrics_view(request, *, environments: Environments = no_more_environments):
    """The /metrics answer, with the database-check gauges of APP_ENVIRONMENT and `environments`."""
    if not settings.METRICS_TOKEN:
        return HttpResponse("Not found.\n", status=404, content_type="text/plain; charset=utf-8")
    if not _authorized(request):
        response = HttpResponse("Unauthorized.\n", status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse("Method not allowed.\n", status=405, content_type="text/plain; charset=utf-8")
        response["Allow"] = "GET, HEAD"
        return response
    response = HttpResponse(generate_latest(metrics_registry(environments)), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response
