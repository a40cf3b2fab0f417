"""/health/live and /health/db (docs/operations.md, 3. Health endpoints). Plain Django views: no
authentication, no DRF negotiation."""

import functools
import json

from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from core.db import circuit_breaker

from .services import health_verdict

HEALTH_JSON = "application/health+json"


def _respond(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=HEALTH_JSON)
    response["Cache-Control"] = "no-store"
    return response


def _get_only(view):
    """GET and HEAD; anything else is a 405 in the same health+json shape (monitors parse every answer)."""

    # csrf_exempt: a probe or monitor that sends a write method (with or without a token) gets the 405 below,
    # not Django's HTML CSRF 403. The views never change anything, so there is nothing to forge.
    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request):
        if request.method not in ("GET", "HEAD"):
            response = _respond(405, {"status": "fail", "message": f"Method {request.method} not allowed."})
            response["Allow"] = "GET, HEAD"
            return response
        return view(request)

    return wrapper


@_get_only
def live(request):
    """The process answers: 200 without touching the database (liveness must not fail with it)."""
    return _respond(200, {"status": "pass"})


@_get_only
def db(request):
    """The verdict of the newest recorded check of this environment."""
    # While the database's circuit is open, this probe still asks the database (one request at a time, bounded
    # by its own deadline) rather than repeating the circuit's verdict, and its success closes the circuit.
    with circuit_breaker.probing():
        status, body = health_verdict(may_see_event_message=lambda: _is_staff(request))
    return _respond(status, body)


def _is_staff(request) -> bool:
    """A logged-in session of someone who may read health events (operations, superusers); anyone else (a
    staff flag alone grants nothing) sees only the error code of a failed check."""
    try:
        return bool(request.user.has_perm("health.view_connectionhealthevent"))
    except DatabaseError:  # the session could not be read: treat as anonymous
        return False
