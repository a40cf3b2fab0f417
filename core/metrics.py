"""Request count and latency by view and status, for `/metrics` (prometheus_client).

Each gunicorn worker counts its own requests. With `PROMETHEUS_MULTIPROC_DIR` set (before the workers
start), prometheus_client keeps the values in files in that directory and `/metrics` adds them up across
workers; without it, a scrape sees the counters of the worker that answered.
"""

from __future__ import annotations

import os
import time

from prometheus_client import Counter, Histogram

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
