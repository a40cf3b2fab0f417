"""/api/v1/health-events/: staff-only, read-only, newest first, filters."""

from datetime import UTC, datetime

import pytest

from tests.support.factories.health import ConnectionHealthEventFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/health-events/"


@pytest.fixture
def events():
    return [
        ConnectionHealthEventFactory(checked_at=datetime(2030, 1, 1, 12, tzinfo=UTC), environment="production"),
        ConnectionHealthEventFactory(
            checked_at=datetime(2030, 1, 2, 12, tzinfo=UTC),
            environment="production",
            status="fail",
            error_code="DB_TIMEOUT",
            message="timed out",
            latency_ms=None,
        ),
        ConnectionHealthEventFactory(checked_at=datetime(2030, 1, 3, 12, tzinfo=UTC), environment="staging"),
    ]


def test_fields_and_newest_first(coach_client, events):
    results = coach_client.get(URL).json()["results"]
    assert [r["id"] for r in results] == [str(e.pk) for e in reversed(events)]
    assert set(results[0]) == {
        "id", "checkedAt", "environment", "database", "status", "latencyMs", "errorCode", "message"
    }  # fmt: skip
    assert results[1]["errorCode"] == "DB_TIMEOUT" and results[1]["latencyMs"] is None
    assert results[0]["errorCode"] is None and results[0]["checkedAt"] == "2030-01-03T12:00:00Z"


def test_filters(coach_client, events):
    ids = lambda q: [r["id"] for r in coach_client.get(URL, q).json()["results"]]  # noqa: E731
    assert ids({"environment": "production"}) == [str(events[1].pk), str(events[0].pk)]
    assert ids({"status": "fail"}) == [str(events[1].pk)]
    assert ids({"checkedAfter": "2030-01-02T12:00:00Z"}) == [str(events[2].pk), str(events[1].pk)]
    assert ids({"checkedBefore": "2030-01-02T12:00:00Z"}) == [str(events[0].pk)]
    assert ids(
        {
            "checkedAfter": "2030-01-02T00:00:00+01:00",
            "checkedBefore": "2030-01-03T00:00:00Z",
            "environment": "production",
        }
    ) == [str(events[1].pk)]
    assert ids({"environment": "nowhere"}) == []


@pytest.mark.parametrize(
    "query",
    [
        {"status": "ok"},
        {"checkedAfter": "2030-13-01"},
        {"checkedBefore": "soon"},
        {"environment": "x" * 41},
        {"environment": "\x00"},
    ],
)
def test_malformed_filters_are_400(coach_client, events, query):
    assert coach_client.get(URL, query).status_code == 400


def test_read_only(coach_client, events):
    assert coach_client.post(URL, {"environment": "x", "status": "pass"}, format="json").status_code == 405
    assert coach_client.patch(f"{URL}{events[0].pk}/", {"message": "x"}, format="json").status_code == 405
    assert coach_client.put(f"{URL}{events[0].pk}/", {"message": "x"}, format="json").status_code == 405
    assert coach_client.get(f"{URL}{events[0].pk}/").status_code == 200


def test_detail_carries_an_etag(coach_client, events):
    # Events never change once written, so their id is a strong validator (detail GETs carry one).
    response = coach_client.get(f"{URL}{events[0].pk}/")
    assert response["ETag"] == f'"{events[0].pk}"'


def test_events_say_which_node_was_checked_and_filter_by_it(coach_client):
    ConnectionHealthEventFactory(environment="production")
    ConnectionHealthEventFactory(environment="production-replica", database="replica")
    results = coach_client.get(URL, {"database": "replica"}).json()["results"]
    assert [(r["environment"], r["database"]) for r in results] == [("production-replica", "replica")]
    assert coach_client.get(URL, {"database": "x" * 65}).status_code == 400
