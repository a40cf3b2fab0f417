"""GET /readiness-board/: one row per athlete the caller may see, ordered by displayName, paginated, with the
day's readiness, sessionsToday and weekCompliance, in a constant number of queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection

from tests.support.clients import bearer_client
from tests.support.factories.athletes import (
    AthleteProfileFactory,
    CoachFactory,
    HeadCoachFactory,
    OperationsFactory,
    SquadFactory,
    StaffFactory,
)
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from tests.support.factories.wellness import WellnessEntryFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 4)  # a Wednesday: its ISO week is 2 March .. 8 March


@pytest.fixture
def coach():
    return CoachFactory()


def athlete_of(coach, name, zone="UTC"):
    athlete = AthleteProfileFactory(display_name=name, timezone=zone)
    athlete.coaches.add(coach)
    return athlete


def board(client, **params):
    response = client.get("/api/v1/readiness-board/", {"date": DAY.isoformat(), **params})
    assert response.status_code == 200, response.content
    return response.json()


def at(day, hour, zone=UTC):
    return datetime.combine(day, time(hour), tzinfo=zone)


def test_rows_for_the_coachs_athletes_ordered_by_display_name(coach):
    zed, amy = athlete_of(coach, "Zed"), athlete_of(coach, "Amy")
    AthleteProfileFactory(display_name="Not mine")
    for i in range(10):
        WellnessEntryFactory(athlete=amy, date=DAY - timedelta(days=i + 1), mood=3 + i % 3)
    WellnessEntryFactory(athlete=amy, date=DAY, mood=1, illness=True, sleep_hours=5)
    body = board(bearer_client(coach))
    assert body["count"] == 2
    first, second = body["results"]
    assert [first["displayName"], second["displayName"]] == ["Amy", "Zed"]
    assert first["athleteId"] == str(amy.pk) and first["date"] == DAY.isoformat()
    assert first["wellnessScore"] == 4 + 3 + 4 + 3 + 1
    assert {"illness", "sleep_short", "wellness_low"} <= set(first["flags"])
    readiness = bearer_client(coach).get(f"/api/v1/athletes/{amy.pk}/readiness/", {"date": DAY.isoformat()}).json()
    assert first["z"] == readiness["z"] and first["flags"] == readiness["flags"]
    assert second == {
        "athleteId": str(zed.pk),
        "displayName": "Zed",
        "date": DAY.isoformat(),
        "wellnessScore": None,
        "z": {"wellnessScore": None, "sleepHours": None, "restingHeartRate": None, "hrvLnRmssd": None},
        "flags": ["no_entry"],
        "sessionsToday": 0,
        "weekCompliance": None,
    }


def test_sessions_today_and_week_compliance_on_local_dates(coach):
    # Tokyo is UTC+9: 20:00 UTC on the 3rd is the 4th there.
    athlete = athlete_of(coach, "Tokyo", zone="Asia/Tokyo")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 2, 1), end_date=date(2026, 4, 30))
    make = TrainingSessionFactory
    make(program=program, scheduled_at=at(date(2026, 3, 3), 20), planned_load=100, status="completed", load=90)
    make(program=program, scheduled_at=at(date(2026, 3, 4), 1), planned_load=100)  # the 4th in Tokyo, planned
    make(program=program, scheduled_at=at(date(2026, 3, 1), 20), planned_load=100, status="completed", load=100)
    make(program=program, scheduled_at=at(date(2026, 3, 8), 16), planned_load=500)  # 9th in Tokyo: next week
    row = board(bearer_client(coach))["results"][0]
    assert row["sessionsToday"] == 2
    # The week 2–8 March in Tokyo: 300 planned (the 1st 20:00 UTC is the 2nd there), 190 done.
    assert row["weekCompliance"] == {"plannedLoad": 300.0, "load": 190.0, "ratio": 0.63, "colour": "yellow"}


def test_default_date_is_each_athletes_today(coach):
    athlete_of(coach, "Kiritimati", zone="Pacific/Kiritimati")
    athlete_of(coach, "Honolulu", zone="Pacific/Honolulu")
    rows = bearer_client(coach).get("/api/v1/readiness-board/").json()["results"]
    now = datetime.now(UTC)
    from zoneinfo import ZoneInfo

    assert {r["displayName"]: r["date"] for r in rows} == {
        "Honolulu": now.astimezone(ZoneInfo("Pacific/Honolulu")).date().isoformat(),
        "Kiritimati": now.astimezone(ZoneInfo("Pacific/Kiritimati")).date().isoformat(),
    }


def test_squad_filter_and_pages(coach):
    athletes = [athlete_of(coach, f"A{i:02}") for i in range(5)]
    squad = SquadFactory(coaches=[coach], athletes=athletes[:2])
    client = bearer_client(coach)
    assert [r["displayName"] for r in board(client, squadId=str(squad.pk))["results"]] == ["A00", "A01"]
    page = board(client, pageSize=2, page=2)
    assert page["count"] == 5 and [r["displayName"] for r in page["results"]] == ["A02", "A03"]
    assert client.get("/api/v1/readiness-board/", {"squadId": str(SquadFactory().pk)}).status_code == 404
    assert client.get("/api/v1/readiness-board/", {"squadId": "x"}).status_code == 400
    assert client.get("/api/v1/readiness-board/", {"date": "2026-13-01"}).status_code == 400


def test_who_sees_the_board(coach):
    mine = athlete_of(coach, "Mine")
    AthleteProfileFactory(display_name="Other")
    assert board(bearer_client(HeadCoachFactory()))["count"] == 2
    assert [r["displayName"] for r in board(bearer_client(mine.user))["results"]] == ["Mine"]
    assert board(bearer_client(CoachFactory()))["count"] == 0
    for user in (OperationsFactory(), StaffFactory()):
        assert bearer_client(user).get("/api/v1/readiness-board/").status_code == 403
    assert bearer_client(mine.user).post("/api/v1/readiness-board/", {}).status_code == 405


# The token with the caller (and, on SQLite, the caller's profile and permissions), the count, the page, the baselines,
# the day's entries and the sessions of the weeks.
BOARD_QUERIES = 6 if connection.vendor == "postgresql" else 8


@pytest.mark.parametrize("athletes", [1, 12])
def test_the_board_costs_the_same_for_any_number_of_athletes(coach, athletes, django_assert_num_queries):
    for i in range(athletes):
        athlete = athlete_of(coach, f"A{i:02}", zone=["UTC", "Asia/Tokyo", "America/Denver"][i % 3])
        for back in range(9):
            WellnessEntryFactory(athlete=athlete, date=DAY - timedelta(days=back), hrv_rmssd=40 + back)
        program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 2, 1), end_date=date(2026, 4, 30))
        TrainingSessionFactory(program=program, scheduled_at=at(DAY, 9), planned_load=50)
    client = bearer_client(coach)
    with django_assert_num_queries(BOARD_QUERIES):
        body = board(client, pageSize=200)
    assert body["count"] == athletes
    assert all(r["sessionsToday"] == 1 and r["z"]["hrvLnRmssd"] is not None for r in body["results"])
    with django_assert_num_queries(BOARD_QUERIES):
        assert client.get("/api/v1/readiness-board/").status_code == 200  # each athlete's own today


def test_seed_demo_gives_daily_entries_and_a_few_flagged_athletes():
    from django.core.management import call_command

    from wellness.models import WellnessEntry

    call_command("seed_demo", athletes=14, weeks=8, stdout=open("/dev/null", "w"))  # noqa: SIM115
    head = HeadCoachFactory()
    rows = bearer_client(head).get("/api/v1/readiness-board/", {"pageSize": 200}).json()["results"]
    assert len(rows) == 14
    flagged = [r for r in rows if {"sleep_short"} <= set(r["flags"])]
    assert 2 <= len(flagged) <= 4  # athletes 3 and 10
    assert any("illness" in r["flags"] for r in rows)
    assert sum(1 for r in rows if r["flags"] == []) >= 8  # most are fine
    from django.db.models import Count, Max, Min

    spans = WellnessEntry.objects.values("athlete_id").annotate(n=Count("pk"), first=Min("date"), last=Max("date"))
    for span in spans:  # daily since the season began, a few days missed
        assert 0.8 < span["n"] / ((span["last"] - span["first"]).days + 1) <= 1
        assert (span["last"] - span["first"]).days >= 28
    assert any(r["z"]["hrvLnRmssd"] is not None and r["z"]["hrvLnRmssd"] <= -1.5 for r in flagged)
