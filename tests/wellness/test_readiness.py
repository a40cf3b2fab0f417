"""GET /athletes/{id}/readiness/: z-scores against the athlete's own 28 days before the date (population SD,
2 decimals, ln rMSSD), null with fewer than 7 baseline values or a deviation of 0, and the six flags."""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

import pytest

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, OperationsFactory, StaffFactory
from tests.support.factories.wellness import WellnessEntryFactory
from training.load.formulas import round_half_up

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)


@pytest.fixture
def athlete():
    return AthleteProfileFactory(timezone="UTC")


def readiness(athlete, day=DAY, user=None):
    client = bearer_client(user or athlete.user)
    response = client.get(f"/api/v1/athletes/{athlete.pk}/readiness/", {"date": day.isoformat()})
    assert response.status_code == 200, response.content
    return response.json()


def baseline(athlete, days, **fields_by_day):
    """Entries on the `days` days before DAY; each field's value from a function of the day's index."""
    for i in range(days):
        values = {name: f(i) for name, f in fields_by_day.items()}
        WellnessEntryFactory(athlete=athlete, date=DAY - timedelta(days=i + 1), **values)


def expected_z(value, values):
    sd = statistics.pstdev(values)
    return None if sd == 0 else round_half_up((value - statistics.fmean(values)) / sd, 2)


def test_z_scores_against_the_population_deviation_of_the_28_days_before(athlete):
    moods = [(i % 5) + 1 for i in range(28)]
    hrv = [40 + (i * 7) % 30 for i in range(28)]
    rhr = [48 + i % 6 for i in range(28)]
    sleep = [6 + (i % 4) * 0.5 for i in range(28)]
    baseline(
        athlete,
        28,
        mood=lambda i: moods[i],
        hrv_rmssd=lambda i: hrv[i],
        resting_heart_rate=lambda i: rhr[i],
        sleep_hours=lambda i: sleep[i],
    )
    # Outside the window: the 29th day before and the day after; neither counts.
    WellnessEntryFactory(athlete=athlete, date=DAY - timedelta(days=29), mood=1, hrv_rmssd=5)
    today = WellnessEntryFactory(
        athlete=athlete, date=DAY, mood=2, hrv_rmssd=35, resting_heart_rate=56, sleep_hours=5.5, illness=True
    )
    body = readiness(athlete)
    assert body["date"] == DAY.isoformat()
    assert body["baselineDays"] == 28
    assert body["entry"]["id"] == str(today.pk)
    scores = [4 + 3 + 4 + 3 + m for m in moods]
    assert body["z"] == {
        "wellnessScore": expected_z(today.wellness_score, scores),
        "sleepHours": expected_z(5.5, sleep),
        "restingHeartRate": expected_z(56, rhr),
        "hrvLnRmssd": expected_z(math.log(35), [math.log(v) for v in hrv]),
    }
    assert all(isinstance(v, float) for v in body["z"].values())
    flags = set(body["flags"])
    assert {"sleep_short", "illness"} <= flags
    assert ("hrv_low" in flags) == (body["z"]["hrvLnRmssd"] <= -1.5)
    assert ("rhr_high" in flags) == (body["z"]["restingHeartRate"] >= 1.5)
    assert ("wellness_low" in flags) == (body["z"]["wellnessScore"] <= -1.5)


def test_seven_baseline_values_are_enough_and_six_are_not(athlete):
    baseline(athlete, 6, mood=lambda i: 1 + i % 5)
    WellnessEntryFactory(athlete=athlete, date=DAY, mood=5)
    body = readiness(athlete)
    assert body["baselineDays"] == 6
    assert body["z"]["wellnessScore"] is None
    WellnessEntryFactory(athlete=athlete, date=DAY - timedelta(days=7), mood=3)
    body = readiness(athlete)
    assert body["baselineDays"] == 7
    assert body["z"]["wellnessScore"] is not None


def test_a_measure_needs_seven_values_of_its_own(athlete):
    baseline(athlete, 10, mood=lambda i: 1 + i % 5, hrv_rmssd=lambda i: 50 + i if i < 6 else None)
    WellnessEntryFactory(athlete=athlete, date=DAY, hrv_rmssd=40)
    body = readiness(athlete)
    assert body["baselineDays"] == 10
    assert body["z"]["wellnessScore"] is not None
    assert body["z"]["hrvLnRmssd"] is None  # six HRV values


def test_a_deviation_of_zero_gives_null(athlete):
    baseline(athlete, 10, hrv_rmssd=lambda i: 61.3, resting_heart_rate=lambda i: 50)
    WellnessEntryFactory(athlete=athlete, date=DAY, hrv_rmssd=20, resting_heart_rate=70)
    body = readiness(athlete)
    assert body["z"]["hrvLnRmssd"] is None
    assert body["z"]["restingHeartRate"] is None
    assert body["z"]["wellnessScore"] is None  # every baseline score is 18
    assert "hrv_low" not in body["flags"] and "rhr_high" not in body["flags"]


def test_a_value_missing_on_the_day_gives_null(athlete):
    baseline(athlete, 10, hrv_rmssd=lambda i: 50 + i)
    WellnessEntryFactory(athlete=athlete, date=DAY, hrv_rmssd=None, sleep_hours=None)
    body = readiness(athlete)
    assert body["z"]["hrvLnRmssd"] is None and body["z"]["sleepHours"] is None
    assert body["flags"] == []


def test_no_entry(athlete):
    baseline(athlete, 10, mood=lambda i: 1 + i % 5)
    body = readiness(athlete)
    assert body["entry"] is None
    assert body["flags"] == ["no_entry"]
    assert body["z"] == dict.fromkeys(["wellnessScore", "sleepHours", "restingHeartRate", "hrvLnRmssd"])


def test_wellness_low_boundary(athlete):
    # Baseline scores 16 and 20 alternating: mean 18, population SD 2. Score 15 → z −1.5 (flag), 16 → −1.0.
    baseline(athlete, 10, mood=lambda i: 2 if i % 2 else 5, fatigue=lambda i: 3 if i % 2 else 4)
    WellnessEntryFactory(athlete=athlete, date=DAY, mood=1, fatigue=3)  # 4+3+4+3+1 = 15
    body = readiness(athlete)
    assert body["z"]["wellnessScore"] == -1.5
    assert "wellness_low" in body["flags"]
    WellnessEntryFactory._meta.model.objects.filter(date=DAY).update(mood=2)  # 16
    body = readiness(athlete)
    assert body["z"]["wellnessScore"] == -1.0
    assert "wellness_low" not in body["flags"]


def test_rhr_high_boundary(athlete):
    baseline(athlete, 10, resting_heart_rate=lambda i: 48 if i % 2 else 52)  # mean 50, SD 2
    WellnessEntryFactory(athlete=athlete, date=DAY, resting_heart_rate=53)  # z 1.5
    assert "rhr_high" in readiness(athlete)["flags"]
    WellnessEntryFactory._meta.model.objects.filter(date=DAY).update(resting_heart_rate=52)  # z 1.0
    assert "rhr_high" not in readiness(athlete)["flags"]


def test_sleep_short_under_six_hours(athlete):
    entry = WellnessEntryFactory(athlete=athlete, date=DAY, sleep_hours=5.75)
    assert "sleep_short" in readiness(athlete)["flags"]
    type(entry).objects.filter(pk=entry.pk).update(sleep_hours=6)
    assert "sleep_short" not in readiness(athlete)["flags"]


def test_default_date_is_the_athletes_today(athlete):
    body = bearer_client(athlete.user).get(f"/api/v1/athletes/{athlete.pk}/readiness/").json()
    from django.utils import timezone

    assert body["date"] == timezone.now().astimezone(athlete.tzinfo).date().isoformat()


def test_who_reads_readiness(athlete):
    coach, other_coach = CoachFactory(), CoachFactory()
    athlete.coaches.add(coach)
    path = f"/api/v1/athletes/{athlete.pk}/readiness/"
    assert bearer_client(coach).get(path).status_code == 200
    assert bearer_client(other_coach).get(path).status_code == 404
    assert bearer_client(AthleteProfileFactory().user).get(path).status_code == 404
    assert bearer_client(OperationsFactory()).get(path).status_code == 403
    assert bearer_client(StaffFactory()).get(path).status_code == 403
    assert bearer_client(athlete.user).get(path, {"date": "someday"}).status_code == 400
