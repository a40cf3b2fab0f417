"""/api/v1/activities/: the fields, the filters (each with its bad value), and the athlete's maxHeartRate that
TRIMP reads (100–250, written by coaches)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.factories.training import ActivityFactory

pytestmark = pytest.mark.django_db

PATH = "/api/v1/activities/"
FIELDS = [
    "id", "athleteId", "status", "error", "sport", "startedAt", "durationSeconds", "distanceMeters",
    "elevationGainMeters", "avgHeartRate", "maxHeartRate", "avgPowerWatts", "trimp", "sessionId", "fileName",
    "sha256", "createdAt", "updatedAt",
]  # fmt: skip


def test_an_activity_shows_every_field_and_an_etag(world):
    activity = world.A["activities"]
    response = world.client("coach").get(f"{PATH}{activity.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == FIELDS
    assert (body["status"], body["durationSeconds"], body["trimp"], body["sessionId"]) == ("done", 3600, 120.5, None)
    assert response["ETag"]


def test_no_write_but_link(world):
    client, url = world.client("coach"), f"{PATH}{world.A['activities'].pk}/"
    assert client.post(PATH, {}, format="json").status_code == 405
    assert client.patch(url, {"sport": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


def _ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_filters_athlete_status_and_start(world):
    athlete = world.A["athletes"]
    t0 = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)
    early = ActivityFactory(athlete=athlete, started_at=t0)
    late = ActivityFactory(athlete=athlete, started_at=t0 + timedelta(days=1))
    failed = ActivityFactory(athlete=athlete, status="failed", started_at=None, error="The file is empty.")
    client = world.client("head coach")
    assert _ids(client.get(PATH, {"athleteId": str(world.B["athletes"].pk)})) == {str(world.B["activities"].pk)}
    assert _ids(client.get(PATH, {"status": "failed"})) == {str(failed.pk)}
    assert _ids(client.get(PATH, {"startedAfter": "2030-03-01T08:00:00Z"})) == {str(early.pk), str(late.pk)}
    assert _ids(client.get(PATH, {"startedAfter": "2030-03-01T08:00:01Z"})) == {str(late.pk)}
    assert _ids(
        client.get(PATH, {"startedBefore": "2030-03-02T08:00:00Z", "startedAfter": "2030-01-01T00:00:00Z"})
    ) == {str(early.pk)}
    assert _ids(client.get(PATH, {"startedAfter": "2030-03-01T09:00:00+01:00"})) == {str(early.pk), str(late.pk)}


@pytest.mark.parametrize(
    ("param", "value"),
    [("athleteId", "nope"), ("status", "done-ish"), ("startedAfter", "yesterday"), ("startedBefore", "2030-13-01"),
     ("startedAfter", "2030-03-01T08:00:00")],
)  # fmt: skip
def test_a_bad_filter_value_is_400(world, param, value):
    response = world.client("coach").get(PATH, {param: value})
    assert response.status_code == 400
    assert param in response.json()


def test_the_newest_upload_comes_first(world):
    newer = ActivityFactory(athlete=world.A["athletes"])
    rows = world.client("coach").get(PATH).json()["results"]
    assert [row["id"] for row in rows] == [str(newer.pk), str(world.A["activities"].pk)]


def test_the_sessions_list_shows_activity_id(world):
    session = world.A["sessions"]
    session.activity = world.A["activities"]
    session.save(update_fields=["activity"])
    rows = world.client("coach").get("/api/v1/sessions/").json()["results"]
    assert {row["id"]: row["activityId"] for row in rows} == {str(session.pk): str(world.A["activities"].pk)}


def test_activity_id_is_read_only_on_sessions(world):
    session = world.A["sessions"]
    response = world.client("coach").patch(
        f"/api/v1/sessions/{session.pk}/", {"activityId": str(world.A["activities"].pk)}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["activityId"] is None


# --- The athlete's maxHeartRate --------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "status"), [(100, 200), (250, 200), (None, 200), (99, 400), (251, 400), ("x", 400)])
def test_max_heart_rate_is_100_to_250_or_null(world, value, status):
    athlete = world.A["athletes"]
    response = world.client("coach").patch(f"/api/v1/athletes/{athlete.pk}/", {"maxHeartRate": value}, format="json")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["maxHeartRate"] == value
    else:
        assert "maxHeartRate" in response.json()


def test_an_athlete_cannot_set_their_own_max_heart_rate(world):
    athlete = world.A["athletes"]
    response = world.client("athlete").patch(f"/api/v1/athletes/{athlete.pk}/", {"maxHeartRate": 190}, format="json")
    assert response.status_code == 403
