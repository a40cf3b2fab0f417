"""Request count and latency by view and status, for `/metrics` (prometheus_client).

Each gunicorn worker counts its own requests. With `PROMETHEUS_MULTIPROC_DIR` set (before the workers
start), prometheus_client keeps the values in files in that directory and `/metrics` adds them up across
workers; without it, a scrape sees the counters of the worker that answered.
"""

from __future__ import annotations

import os
import time

from prometheus_client import Counter, Gauge, Histogram

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
UNMATCHED = "<unmatched>"

# registry=None: the /metrics view registers these in the registry it builds for each scrape.
REQUESTS = Counter(
    "cadence_http_requests",
    "HTTP requests answered, by view, method and status.",
    ["view", "method", "status"],
    registry=None,
)
LATENCY = Histogram(
    "cadence_http_request_duration_seconds",
    "Time to answer an HTTP request, by view, method and status.",
    ["view", "method", "status"],
    registry=None,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# The database circuit breaker (core.db.CircuitBreaker), per alias. Each worker has its own circuit; across
# workers the gauge is the highest live value (1 while any live worker's circuit is open or half-open).
CIRCUIT_OPEN = Gauge(
    "cadence_db_circuit_open",
    "1 while this process answers requests that need the database with 503 at once (circuit open), else 0.",
    ["alias"],
    registry=None,
    multiprocess_mode="livemax",
)
DB_SHORT_CIRCUITED = Counter(
    "cadence_db_short_circuited_requests",
    "Requests answered 503 at once because the database's circuit was open.",
    ["alias"],
    registry=None,
)
# Collectors an app registers (in its AppConfig.ready) for /metrics to run at each scrape, e.g. the queue's depth
# and the webhook deliveries (webhooks.metrics), read from the database: the same answer from every process.
SCRAPE_COLLECTORS: list = []


def scrape_collector(collector) -> None:
    """Add `collector` (a prometheus_client custom collector) to every /metrics scrape (once)."""
    if collector not in SCRAPE_COLLECTORS:
        SCRAPE_COLLECTORS.append(collector)


# Collected by /metrics outside multiprocess mode (health.metrics); in multiprocess mode the files hold all.
COLLECTED = (REQUESTS, LATENCY, CIRCUIT_OPEN, DB_SHORT_CIRCUITED)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def view_label(request) -> str:
    """The URL pattern's name (bounded: never the raw path, which a client could vary without end)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return match.view_name or match.route or UNMATCHED


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        method = request.method if request.method in _METHODS else "other"
        labels = (view_label(request), method, str(response.status_code))
        REQUESTS.labels(*labels).inc()
        LATENCY.labels(*labels).observe(elapsed)
        return response
