"""Wellness is health data: it reaches no log line (every logger captured at DEBUG, the database's statements
included), no error report and no /metrics output, whether the request succeeds, fails validation or errors."""

from __future__ import annotations

import logging

import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from django.views.debug import ExceptionReporter
from rest_framework.test import APIClient

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory
from wellness import api as wellness_api

pytestmark = pytest.mark.django_db

MARKER = "zq-health-marker-7f3a9c"
TOKEN = "t" * 40


class _Everything(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def captured(settings):
    """Every logger at DEBUG into one handler (the root's, as production's stderr), and the database's
    statement log on, as with DEBUG."""
    handler = _Everything()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    loggers = [root, *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    levels = {logger: logger.level for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root.addHandler(handler)
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = True
    yield handler
    connection.force_debug_cursor = forced
    root.removeHandler(handler)
    for logger, level in levels.items():
        logger.setLevel(level)


def test_the_marker_reaches_no_log_line_and_no_metric(captured, settings, monkeypatch):
    settings.METRICS_TOKEN = TOKEN
    athlete = AthleteProfileFactory(timezone="UTC")
    coach = CoachFactory()
    athlete.coaches.add(coach)
    me = bearer_client(athlete.user)
    day = timezone.now().date()
    url = f"/api/v1/athletes/{athlete.pk}/wellness/{day}/"
    body = {"sleepQuality": 4, "fatigue": 3, "soreness": 4, "stress": 3, "mood": 4, "notes": f"knee hurts {MARKER}"}

    assert me.put(url, body, format="json").status_code == 201  # written
    assert me.get(url).json()["notes"].endswith(MARKER)  # and read back
    coach_client = bearer_client(coach)
    assert MARKER in str(coach_client.get("/api/v1/wellness/").json())
    assert coach_client.get(f"/api/v1/athletes/{athlete.pk}/readiness/").status_code == 200
    assert coach_client.get("/api/v1/readiness-board/").status_code == 200
    # A body that fails validation, a stale If-Match, and a request that errors inside the write.
    assert me.put(url, {**body, "mood": 9, "sleepHours": MARKER}, format="json").status_code == 400
    assert me.put(url, body, format="json", HTTP_IF_MATCH='"999"').status_code == 412

    def broken(**kwargs):
        raise RuntimeError("the write broke")

    monkeypatch.setattr(wellness_api, "wellness_put", broken)
    crashing = bearer_client(athlete.user)
    crashing.raise_request_exception = False
    assert crashing.put(url, body, format="json").status_code == 500
    metrics = APIClient().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert metrics.status_code == 200

    assert any("wellness" in line for line in captured.lines)  # the capture saw the requests' records
    assert any("Internal Server Error" in line for line in captured.lines)
    assert not [line for line in captured.lines if MARKER in line]
    assert MARKER not in metrics.content.decode()


def test_an_error_report_about_a_wellness_request_shows_no_variables():
    request = RequestFactory().put("/api/v1/athletes/x/wellness/2026-01-01/", data={"notes": MARKER})
    notes = MARKER  # noqa: F841 - a local the report would otherwise print
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        report = ExceptionReporter(request, type(exc), exc, exc.__traceback__).get_traceback_text()
    assert MARKER not in report
    assert "boom" in report


def test_postgresql_row_details_are_cut_from_log_records():
    from core.redaction import HealthDataLogFilter

    record = logging.LogRecord(
        "core.api",
        logging.INFO,
        __file__,
        1,
        "IntegrityError answered as 409: %s",
        (f"new row violates check constraint\nDETAIL:  Failing row contains (1, 4, {MARKER}).",),
        None,
    )
    HealthDataLogFilter().filter(record)
    assert MARKER not in record.getMessage()
