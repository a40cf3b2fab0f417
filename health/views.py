"""/health/live and /health/db (CONTRACT §3). Plain Django views: no authentication, no DRF negotiation."""

import json

from django.http import HttpResponse
from django.views.decorators.http import require_safe

from .services import health_verdict

HEALTH_JSON = "application/health+json"


def _respond(status: int, body: dict) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type=HEALTH_JSON)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def live(request):
    """The process answers: 200 without touching the database (liveness must not fail with it)."""
    return _respond(200, {"status": "pass"})


@require_safe
def db(request):
    """The verdict of the newest recorded check of this environment."""
    status, body = health_verdict()
    return _respond(status, body)
