"""PUT/GET /athletes/{id}/wellness/{date}/ and the /wellness/ list: every range, idempotence by the athlete's local
date, written by the athlete only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, HeadCoachFactory, SquadFactory
from tests.support.factories.wellness import WellnessEntryFactory
from wellness.models import WellnessEntry

pytestmark = pytest.mark.django_db

BODY = {"sleepQuality": 4, "fatigue": 3, "soreness": 5, "stress": 2, "mood": 4}


@pytest.fixture
def athlete():
    return AthleteProfileFactory(display_name="Well Athlete", timezone="Europe/Oslo")


@pytest.fixture
def me(athlete):
    return bearer_client(athlete.user)


def url(athlete, day) -> str:
    return f"/api/v1/athletes/{athlete.pk}/wellness/{day}/"


def today_of(athlete):
    return timezone.now().astimezone(athlete.tzinfo).date()


def test_put_creates_then_replaces_the_entry_of_the_date(athlete, me):
    day = today_of(athlete)
    created = me.put(url(athlete, day), {**BODY, "notes": "ok", "sleepHours": 7.25}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["athleteId"] == str(athlete.pk)
    assert body["date"] == day.isoformat()
    assert body["wellnessScore"] == 18
    assert body["sleepHours"] == 7.25
    assert created["ETag"]
    replaced = me.put(url(athlete, day), {**BODY, "mood": 5}, format="json")
    assert replaced.status_code == 200
    assert replaced.json()["wellnessScore"] == 19
    # A PUT replaces the whole entry: what it leaves out is reset.
    assert replaced.json()["notes"] == "" and replaced.json()["sleepHours"] is None
    assert WellnessEntry.objects.filter(athlete=athlete).count() == 1
    got = me.get(url(athlete, day))
    assert got.status_code == 200 and got.json()["mood"] == 5 and got["ETag"] == replaced["ETag"]


def test_the_same_put_twice_changes_nothing(athlete, me):
    day = today_of(athlete)
    first = me.put(url(athlete, day), BODY, format="json")
    again = me.put(url(athlete, day), BODY, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first["ETag"] == again["ETag"]
    assert first.json()["updatedAt"] == again.json()["updatedAt"]


def test_a_date_after_the_athletes_today_is_400(athlete, me):
    tomorrow = today_of(athlete) + timedelta(days=1)
    response = me.put(url(athlete, tomorrow), BODY, format="json")
    assert response.status_code == 400
    assert "date" in response.json()
    assert not WellnessEntry.objects.exists()


def test_today_is_the_athletes_local_date(me, athlete):
    # Tokyo is ahead of UTC: its today may be UTC's tomorrow; Honolulu's may be UTC's yesterday.
    for zone in ("Pacific/Kiritimati", "Pacific/Honolulu"):
        athlete.timezone = zone
        athlete.save()
        local_today = today_of(athlete)
        assert me.put(url(athlete, local_today), BODY, format="json").status_code in (200, 201)
        assert me.put(url(athlete, local_today + timedelta(days=1)), BODY, format="json").status_code == 400


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("sleepQuality", [1, 5], [0, 6, None, "x"]),
        ("fatigue", [1, 5], [0, 6]),
        ("soreness", [1, 5], [0, 6]),
        ("stress", [1, 5], [0, 6]),
        ("mood", [1, 5], [0, 6, 2.5]),
        ("sleepHours", [0, 24, 7.75, None], [-0.25, 24.25, 7.1, "x"]),
        ("restingHeartRate", [25, 220, None], [24, 221]),
        ("hrvRmssd", [1, 300, 42.5, None], [0.5, 300.5, 0]),
        ("illness", [True, False], ["maybe"]),
        ("notes", ["", "n" * 1000], ["n" * 1001]),
    ],
)
def test_every_range(athlete, me, field, good, bad):
    day = today_of(athlete)
    for value in good:
        response = me.put(url(athlete, day), {**BODY, field: value}, format="json")
        assert response.status_code in (200, 201), (field, value, response.content)
        assert response.json()[field] == value
    before = WellnessEntry.objects.get(athlete=athlete).version
    for value in bad:
        response = me.put(url(athlete, day), {**BODY, field: value}, format="json")
        assert response.status_code == 400, (field, value)
        assert field in response.json()
    assert WellnessEntry.objects.get(athlete=athlete).version == before


def test_the_five_items_are_required(athlete, me):
    response = me.put(url(athlete, today_of(athlete)), {"sleepQuality": 3}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"fatigue", "soreness", "stress", "mood"}


def test_a_malformed_date_in_the_path_is_400(athlete, me):
    assert me.put(url(athlete, "2026-02-30"), BODY, format="json").status_code == 400
    assert me.get(url(athlete, "yesterday")).status_code == 400


def test_if_match(athlete, me):
    day = today_of(athlete)
    assert me.put(url(athlete, day), BODY, format="json", HTTP_IF_MATCH='"1"').status_code == 412  # nothing stored
    first = me.put(url(athlete, day), BODY, format="json")
    stale = me.put(url(athlete, day), {**BODY, "mood": 1}, format="json", HTTP_IF_MATCH='"99"')
    assert stale.status_code == 412
    assert WellnessEntry.objects.get().mood == 4
    fresh = me.put(url(athlete, day), {**BODY, "mood": 1}, format="json", HTTP_IF_MATCH=first["ETag"])
    assert fresh.status_code == 200


def test_only_the_athlete_writes(athlete):
    coach = CoachFactory()
    athlete.coaches.add(coach)
    day = today_of(athlete)
    for user in (coach, HeadCoachFactory()):
        assert bearer_client(user).put(url(athlete, day), BODY, format="json").status_code == 403
    other = AthleteProfileFactory()
    assert bearer_client(other.user).put(url(athlete, day), BODY, format="json").status_code == 404
    assert not WellnessEntry.objects.exists()


def test_delete_and_post_are_405(athlete, me):
    day = today_of(athlete)
    me.put(url(athlete, day), BODY, format="json")
    assert me.delete(url(athlete, day)).status_code == 405
    assert me.post("/api/v1/wellness/", BODY, format="json").status_code == 405
    assert WellnessEntry.objects.count() == 1


def test_get_of_a_date_without_an_entry_is_404(athlete, me):
    assert me.get(url(athlete, today_of(athlete))).status_code == 404


def test_list_filters_and_order(athlete):
    coach = CoachFactory()
    athlete.coaches.add(coach)
    other = AthleteProfileFactory()
    other.coaches.add(coach)
    for back in (3, 1, 2):
        WellnessEntryFactory(athlete=athlete, date=date(2026, 1, 10) - timedelta(days=back))
    WellnessEntryFactory(athlete=other, date=date(2026, 1, 5))
    client = bearer_client(coach)
    rows = client.get("/api/v1/wellness/").json()["results"]
    assert [r["date"] for r in rows] == ["2026-01-05", "2026-01-07", "2026-01-08", "2026-01-09"]
    only = client.get("/api/v1/wellness/", {"athleteId": str(athlete.pk)}).json()
    assert only["count"] == 3
    window = client.get("/api/v1/wellness/", {"dateAfter": "2026-01-07", "dateBefore": "2026-01-08"}).json()
    assert [r["date"] for r in window["results"]] == ["2026-01-07", "2026-01-08"]  # both bounds inclusive
    squad = SquadFactory(coaches=[coach], athletes=[other])
    assert client.get("/api/v1/wellness/", {"squadId": str(squad.pk)}).json()["count"] == 1
    assert client.get("/api/v1/wellness/", {"dateAfter": "soon"}).status_code == 400
    assert client.get("/api/v1/wellness/", {"athleteId": "nope"}).status_code == 400
    hidden = SquadFactory()
    assert client.get("/api/v1/wellness/", {"squadId": str(hidden.pk)}).status_code == 404


def test_the_list_costs_the_same_for_any_number_of_rows(athlete, django_assert_max_num_queries):
    coach = CoachFactory()
    athlete.coaches.add(coach)
    client = bearer_client(coach)
    for n in range(30):
        WellnessEntryFactory(athlete=athlete, date=date(2026, 1, 1) + timedelta(days=n))
    # The token, the caller's profile and permissions, then the page (its count in the same statement on
    # PostgreSQL).
    with django_assert_max_num_queries(4 if connection.vendor == "postgresql" else 5):
        assert client.get("/api/v1/wellness/", {"pageSize": 30}).status_code == 200


def test_the_entry_date_is_the_local_date_not_the_utc_one(me, athlete):
    athlete.timezone = "Pacific/Kiritimati"  # UTC+14
    athlete.save()
    local = datetime.now(UTC).astimezone(athlete.tzinfo).date()
    assert me.put(url(athlete, local), BODY, format="json").json()["date"] == local.isoformat()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: SQLite serializes every writer anyway")
def test_two_puts_of_a_new_date_at_once_make_one_entry():
    import threading

    from django.db import connections

    from tests.support.factories.athletes import ensure_role_groups

    ensure_role_groups()
    athlete = AthleteProfileFactory(timezone="UTC")
    day = today_of(athlete)
    clients = [bearer_client(athlete.user) for _ in range(2)]
    barrier, statuses = threading.Barrier(2), []

    def put(client, mood):
        try:
            barrier.wait()
            statuses.append(client.put(url(athlete, day), {**BODY, "mood": mood}, format="json").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=put, args=(c, m)) for c, m in zip(clients, (1, 5), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 201]
    assert WellnessEntry.objects.filter(athlete=athlete).count() == 1
