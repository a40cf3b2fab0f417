"""Timestamps must carry a UTC offset, in request bodies and in query filters alike: one without (or a date alone)
is a 400 that says to add `Z` or `±HH:MM`, never silently read as UTC."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers

from core.api import DATE_NOT_TIMESTAMP_MESSAGE, OFFSET_REQUIRED_MESSAGE, OffsetDateTimeField
from core.lists.filters import UTCDateTimeField
from tests.support.factories.health import ConnectionHealthEventFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training.models import TrainingSession

pytestmark = pytest.mark.django_db

START = date(2030, 1, 7)
SEVEN_UTC = datetime(2030, 1, 8, 7, 0, tzinfo=UTC)
SAME_INSTANT = ["2030-01-08T07:00:00Z", "2030-01-08T16:00:00+09:00", "2030-01-08T01:30:00-05:30"]
NO_OFFSET = [
    "2030-01-08T07:00:00",
    "2030-01-08T07:00",
    "2030-01-08 07:00:00",
    "2030-01-08T07:00:00.123456",
    "20300108T070000",
]
DATE_ONLY = ["2030-01-08", "20300108"]
GARBAGE = ["tomorrow", "2030-13-01T00:00:00Z", "2030-01-08T25:00:00Z", "07:00:00Z", "2030-01-08T07:00:00+99:99"]


@pytest.fixture
def program(athlete):  # athlete's timezone is Europe/Oslo
    return TrainingProgramFactory(athlete=athlete, start_date=START, end_date=START + timedelta(days=27))


def _session_body(program, scheduled_at):
    return {
        "programId": str(program.pk),
        "title": "Easy run",
        "scheduledAt": scheduled_at,
        "durationMinutes": 45,
        "modality": "run",
    }


# --- Request bodies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", SAME_INSTANT)
def test_body_timestamps_with_an_offset_are_converted_to_utc(coach_client, program, value):
    response = coach_client.post("/api/v1/sessions/", _session_body(program, value), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["scheduledAt"] == "2030-01-08T07:00:00Z"
    assert TrainingSession.objects.get().scheduled_at == SEVEN_UTC


@pytest.mark.parametrize("value", NO_OFFSET)
def test_body_timestamp_without_an_offset_is_400_saying_to_add_one(coach_client, program, value):
    response = coach_client.post("/api/v1/sessions/", _session_body(program, value), format="json")
    assert response.status_code == 400
    assert response.json() == {"scheduledAt": [OFFSET_REQUIRED_MESSAGE]}
    assert "`Z`" in OFFSET_REQUIRED_MESSAGE and "`±HH:MM`" in OFFSET_REQUIRED_MESSAGE
    assert not TrainingSession.objects.exists()


@pytest.mark.parametrize("value", DATE_ONLY)
def test_body_date_alone_is_400_not_midnight_utc(coach_client, program, value):
    response = coach_client.post("/api/v1/sessions/", _session_body(program, value), format="json")
    assert response.status_code == 400
    assert response.json() == {"scheduledAt": [DATE_NOT_TIMESTAMP_MESSAGE]}


@pytest.mark.parametrize("value", [*GARBAGE, "", 20300108, True])
def test_body_garbage_timestamp_is_400_with_the_format(coach_client, program, value):
    response = coach_client.post("/api/v1/sessions/", _session_body(program, value), format="json")
    assert response.status_code == 400
    (message,) = response.json()["scheduledAt"]
    assert message not in (OFFSET_REQUIRED_MESSAGE, DATE_NOT_TIMESTAMP_MESSAGE)


@pytest.mark.parametrize(("value", "status"), [("2026-01-05T08:15:00+01:00", 200), ("2026-01-05T08:15:00", 400)])
def test_completed_at_in_a_patch_follows_the_same_rule(athlete_client, program, value, status):
    session = TrainingSessionFactory(program=program)
    response = athlete_client.patch(
        f"/api/v1/sessions/{session.pk}/", {"status": "completed", "completedAt": value}, format="json"
    )
    assert response.status_code == status, response.content
    session.refresh_from_db()
    if status == 200:
        assert response.json()["completedAt"] == "2026-01-05T07:15:00Z"
    else:
        assert response.json() == {"completedAt": [OFFSET_REQUIRED_MESSAGE]}
        assert session.completed_at is None


# --- Query filters ------------------------------------------------------------------------------------------

FILTERS = [
    ("/api/v1/sessions/", "scheduledAfter"),
    ("/api/v1/sessions/", "scheduledBefore"),
    ("/api/v1/health-events/", "checkedAfter"),
    ("/api/v1/health-events/", "checkedBefore"),
    *[
        (f"/api/v1/{resource}/", "updatedAfter")
        for resource in ("athletes", "programs", "phases", "micro-cycles", "sessions", "connection-profiles")
    ],
    ("/api/v1/health-events/", "updatedAfter"),
]


@pytest.mark.parametrize(("url", "param"), FILTERS)
@pytest.mark.parametrize("value", NO_OFFSET)
def test_filter_timestamp_without_an_offset_is_400_saying_to_add_one(coach_client, url, param, value):
    response = coach_client.get(url, {param: value})
    assert response.status_code == 400
    assert response.json() == {param: [OFFSET_REQUIRED_MESSAGE]}


@pytest.mark.parametrize(("url", "param"), FILTERS)
def test_filter_date_alone_is_400(coach_client, url, param):
    response = coach_client.get(url, {param: "2030-01-08"})
    assert response.status_code == 400
    assert response.json() == {param: [DATE_NOT_TIMESTAMP_MESSAGE]}


@pytest.mark.parametrize(("url", "param"), FILTERS)
@pytest.mark.parametrize("value", [*SAME_INSTANT, "2030-01-08T07:00:00.5+00:00"])
def test_filter_timestamp_with_an_offset_is_accepted(coach_client, url, param, value):
    assert coach_client.get(url, {param: value}).status_code == 200


@pytest.mark.parametrize(("url", "param"), FILTERS)
@pytest.mark.parametrize("value", GARBAGE)
def test_filter_garbage_is_400_but_not_the_offset_message(coach_client, url, param, value):
    response = coach_client.get(url, {param: value})
    assert response.status_code == 400
    assert response.json()[param] != [OFFSET_REQUIRED_MESSAGE]


@pytest.mark.parametrize("value", SAME_INSTANT)
def test_filter_offsets_name_the_same_instant(coach_client, program, value):
    at_seven = TrainingSessionFactory(program=program, scheduled_at=SEVEN_UTC)
    TrainingSessionFactory(program=program, scheduled_at=SEVEN_UTC - timedelta(seconds=1))

    def ids(params):
        return [row["id"] for row in coach_client.get("/api/v1/sessions/", params).json()["results"]]

    assert ids({"scheduledAfter": value}) == [str(at_seven.pk)]  # >= the instant, whatever the offset
    assert len(ids({"scheduledBefore": value})) == 1  # < the instant: the one a second earlier


def test_health_event_filters_compare_instants(coach_client):
    event = ConnectionHealthEventFactory(checked_at=SEVEN_UTC)
    response = coach_client.get("/api/v1/health-events/", {"checkedAfter": "2030-01-08T08:00:00+01:00"})
    assert [row["id"] for row in response.json()["results"]] == [str(event.pk)]
    response = coach_client.get("/api/v1/health-events/", {"checkedAfter": "2030-01-08T08:00:01+01:00"})
    assert response.json()["results"] == []


# --- One rule in one place ----------------------------------------------------------------------------------


def _api_view_classes(patterns=None):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _api_view_classes(entry.url_patterns)
        elif isinstance(entry, URLPattern) and hasattr(entry.callback, "cls"):
            yield entry.callback.cls


def _writable_datetime_fields(serializer, prefix=""):
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer):
            yield from _writable_datetime_fields(field, f"{prefix}{name}.")
        elif isinstance(field, serializers.DateTimeField) and not field.read_only:
            yield f"{prefix}{name}", field


def test_every_timestamp_an_api_accepts_requires_an_offset():
    views = set(_api_view_classes())
    serializer_classes = {cls.serializer_class for cls in views if getattr(cls, "serializer_class", None)}
    filtersets = {cls.filterset_class for cls in views if getattr(cls, "filterset_class", None)}
    inputs = [
        (f"{ser.__name__}.{name}", isinstance(field, OffsetDateTimeField))
        for ser in serializer_classes
        for name, field in _writable_datetime_fields(ser())
    ]
    inputs += [
        (f"{fs.__name__}.{name}", issubclass(flt.field_class, UTCDateTimeField))
        for fs in filtersets
        for name, flt in fs.base_filters.items()
        if issubclass(flt.field_class, forms.DateTimeField)
    ]
    names = {name for name, _ in inputs}
    assert {"TrainingSessionSerializer.scheduled_at", "TrainingSessionSerializer.completed_at"} <= names
    assert {"TrainingSessionFilter.scheduled_after", "ConnectionHealthEventFilter.checked_before"} <= names
    assert [name for name, ok in inputs if not ok] == []
