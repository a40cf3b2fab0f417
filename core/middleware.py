"""Requests whose database does not answer: bounded (core.db.StallGuard) and answered 503 with Retry-After
(JSON under /api/, a page elsewhere), logged in one line without a traceback. While the database's circuit is
open (core.db.CircuitBreaker) a request that needs it is answered at once, and not logged one by one: the
breaker logs when the circuit opens and when it closes, and /metrics counts them.

Every request has a deadline, core.db.request_budget() after it arrived: the time gunicorn's main loop saw it
(core.gunicorn_worker stamps it), else the time it reaches this middleware. Time spent queued for a thread
counts, so a request that waited for a thread gets only what is left for the database, and the 503 still goes
out within DB_CONNECT_TIMEOUT + 1 s of its arrival."""

from __future__ import annotations

import logging
import time

from django.db import InterfaceError, NotSupportedError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .db import CircuitOpen, DeadlinePassed, request_budget, stall_guard
from .gunicorn_worker import ARRIVED_AT

logger = logging.getLogger("cadence.db")

RETRY_AFTER_SECONDS = 5

# SQLSTATE -> what the log line and the client are told.
_REASONS = {
    "57014": ("statement timeout", "The database did not finish in time; try again shortly."),
    "55P03": ("lock timeout", "The record is being changed by another request; try again shortly."),
    "0A000": ("a prepared statement outlived a column type change", "The database changed; try again."),
}
_UNAVAILABLE = ("database unavailable", "The database is not available right now; try again shortly.")


def is_database_unavailable(exc: BaseException | None) -> bool:
    """A failure of the database rather than of the request: timeouts, a lost or refused connection."""
    return isinstance(exc, OperationalError | InterfaceError)


def is_stale_prepared_statement(exc: BaseException | None) -> bool:
    """A statement this connection prepared (DB_PREPARE_THRESHOLD) before a migration changed a column's type:
    PostgreSQL refuses it ("cached plan must not change result type") for as long as the connection lives."""
    cause = getattr(exc, "__cause__", None)
    return (
        isinstance(exc, NotSupportedError)
        and getattr(cause, "sqlstate", None) == "0A000"
        and "cached plan must not change result type" in str(cause)
    )


def database_unavailable_response(request, exc: BaseException) -> HttpResponse:
    """503 + Retry-After: `{"detail": …}` for the API, a plain page for the admin and the rest."""
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    reason, detail = _REASONS.get(sqlstate or "", _UNAVAILABLE)
    retry_after = RETRY_AFTER_SECONDS
    if isinstance(exc, CircuitOpen):
        retry_after = exc.retry_after
        logger.debug("503 %s %s: %s", request.method, request.path, exc)
    else:
        if isinstance(exc, DeadlinePassed):
            reason = "request deadline passed before the database answered"
        elif any(getattr(connections[alias], "cadence_deadline_cut", False) for alias in connections):
            reason = "no answer from the database before the request deadline (connection cut)"
        elif any(getattr(connections[alias], "cadence_stalled", False) for alias in connections):
            reason = "no answer from the database (connection cut)"
        cause = " ".join(str(exc).split())[:200]
        logger.warning(
            "503 %s %s: %s (%s: %s)",
            request.method,
            request.path,
            reason,
            type(exc.__cause__ or exc).__name__,
            cause,
        )
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": detail}, status=503)
    else:
        # No request context: the admin's templates and context processors would query the database again.
        response = HttpResponse(render_to_string("503.html", {"detail": detail}), status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # the line above is the one log line for this request
    return response


def request_arrived_at(request) -> float:
    """time.monotonic() when the request arrived: gunicorn's stamp, else now (runserver, the test client)."""
    now = time.monotonic()
    arrived = request.META.get(ARRIVED_AT)
    return min(arrived, now) if isinstance(arrived, float) else now


class DatabaseUnavailableMiddleware:
    """Watch the request's database connections (a silent server is cut off after DB_STATEMENT_TIMEOUT +
    DB_STALL_GRACE, and every wait ends by the request's deadline) and turn a database timeout or outage in the
    view into a 503."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with stall_guard.watch(deadline=request_arrived_at(request) + request_budget()):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if is_stale_prepared_statement(exception):
            # Close this thread's connections: their prepared statements go with them, so the retry (and every
            # later request of this worker) prepares afresh against the new column types.
            for alias in connections:
                connections[alias].close()
            return database_unavailable_response(request, exception)
        if is_database_unavailable(exception):
            return database_unavailable_response(request, exception)
        return None
