"""The load series projected past the athlete's today with the planned load, the season's events with their day's
figures, and the model's time constants as settings."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import SeasonEventFactory, TrainingProgramFactory, TrainingSessionFactory
from training.load import formulas, queries

pytestmark = pytest.mark.django_db

TZ = "Asia/Tokyo"


def half_up(value, places):
    return float(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)) + 0.0


@pytest.fixture
def athlete():
    return AthleteProfileFactory(timezone=TZ)


def _today(athlete) -> date:
    return queries.athlete_today(athlete)


def _session(program, day: date, *, status: str, load=None, planned=None):
    at = datetime.combine(day, time(7), tzinfo=ZoneInfo(TZ)).astimezone(UTC)
    completed = at if status == "completed" else None
    return TrainingSessionFactory(
        program=program, scheduled_at=at, status=status, load=load, planned_load=planned, completed_at=completed
    )


@pytest.fixture
def season(athlete):
    """Three weeks done (300 a day every other day, planned 280), then three weeks planned (400 every other day)."""
    today = _today(athlete)
    program = TrainingProgramFactory(
        athlete=athlete, start_date=today - timedelta(days=21), end_date=today + timedelta(days=21)
    )
    loads, planned = {}, {}
    for offset in range(-20, 21, 2):
        day = today + timedelta(days=offset)
        if day <= today:
            _session(program, day, status="completed", load=300, planned=280)
            loads[day] = 300
            planned[day] = 280
        else:
            _session(program, day, status="planned", planned=400)
            planned[day] = 400
    return today, loads, planned


def _series(client, athlete, start: date, end: date):
    response = client.get(f"/api/v1/athletes/{athlete.pk}/load/", {"from": str(start), "to": str(end)})
    assert response.status_code == 200, response.content
    return response.json()


def test_days_after_today_are_projected_with_the_planned_load(coach_client, athlete, season):
    today, loads, planned = season
    start, end = today - timedelta(days=20), today + timedelta(days=21)
    body = _series(coach_client, athlete, start, end)
    # The model by hand: the actual load up to today, the planned load after it.
    fit = fat = 0.0
    first = min(loads)
    day = first
    days = {d["date"]: d for d in body["days"]}
    while day <= end:
        x = loads.get(day, 0) if day <= today else planned.get(day, 0)
        form = fit - fat
        fit += (x - fit) * (1 - math.exp(-1 / 42))
        fat += (x - fat) * (1 - math.exp(-1 / 7))
        got = days[day.isoformat()]
        assert got["projected"] is (day > today), day
        assert got["load"] == (None if day > today else float(loads.get(day, 0))), day
        assert (got["fitness"], got["fatigue"], got["form"]) == (half_up(fit, 1), half_up(fat, 1), half_up(form, 1))
        assert got["plannedLoad"] == float(planned.get(day, 0))
        day += timedelta(days=1)
    # acute over the 7 days ending on a projected day: its planned loads (every other day 400) and the actual ones.
    later = today + timedelta(days=6)
    window = [today + timedelta(days=k) for k in range(0, 7)]
    expected = sum((loads if d <= today else planned).get(d, 0) for d in window) / 7
    assert days[later.isoformat()]["acute"] == half_up(expected, 1)


def test_a_plan_with_no_history_is_all_projection(coach_client, athlete):
    today = _today(athlete)
    program = TrainingProgramFactory(athlete=athlete, start_date=today, end_date=today + timedelta(days=30))
    _session(program, today + timedelta(days=3), status="planned", planned=500)
    body = _series(coach_client, athlete, today, today + timedelta(days=10))
    days = {d["date"]: d for d in body["days"]}
    assert days[today.isoformat()]["projected"] is False and days[today.isoformat()]["load"] == 0.0
    three = days[(today + timedelta(days=3)).isoformat()]
    assert three["projected"] is True and three["load"] is None
    assert three["fitness"] == half_up(500 * (1 - math.exp(-1 / 42)), 1)


def test_the_projection_reaches_365_days_and_no_further(coach_client, athlete):
    today = _today(athlete)
    base = f"/api/v1/athletes/{athlete.pk}/load/"
    ok = coach_client.get(base, {"from": str(today), "to": str(today + timedelta(days=365))})
    assert ok.status_code == 200
    assert len(ok.json()["days"]) == 366 and ok.json()["days"][-1]["projected"] is True
    too_far = coach_client.get(base, {"to": str(today + timedelta(days=366))})
    assert too_far.status_code == 400
    assert too_far.json()["to"] == [f"At most 365 days after the athlete's today ({today.isoformat()})."]
    too_long = coach_client.get(base, {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=365))})
    assert too_long.status_code == 400


def test_events_in_the_window_carry_their_days_figures(coach_client, athlete, other_athlete, season):
    today, _, _ = season
    race = SeasonEventFactory(athlete=athlete, date=today + timedelta(days=14), name="Goal race", priority="A")
    test = SeasonEventFactory(athlete=athlete, date=today - timedelta(days=10), name="5k test", priority="C")
    SeasonEventFactory(athlete=athlete, date=today + timedelta(days=200), name="Outside")
    SeasonEventFactory(athlete=other_athlete, date=today, name="Not theirs")
    body = _series(coach_client, athlete, today - timedelta(days=20), today + timedelta(days=21))
    days = {d["date"]: d for d in body["days"]}
    assert [e["name"] for e in body["events"]] == ["5k test", "Goal race"]
    for event, row in zip(body["events"], (test, race), strict=True):
        day = days[row.date.isoformat()]
        assert event == {
            "id": str(row.pk),
            "date": row.date.isoformat(),
            "name": row.name,
            "priority": row.priority,
            "fitness": day["fitness"],
            "fatigue": day["fatigue"],
            "form": day["form"],
        }


@override_settings(LOAD_FITNESS_DAYS=28, LOAD_FATIGUE_DAYS=5)
def test_the_time_constants_are_settings_and_the_model_reports_them(coach_client, athlete, season):
    _, loads, _ = season
    first = min(loads)
    body = _series(coach_client, athlete, first, first)
    assert body["model"] == {"acuteDays": 7, "chronicDays": 28, "fitnessDays": 28, "fatigueDays": 5}
    (day,) = body["days"]
    assert (day["fitness"], day["fatigue"]) == (
        half_up(300 * (1 - math.exp(-1 / 28)), 1),
        half_up(300 * (1 - math.exp(-1 / 5)), 1),
    )


def test_the_series_costs_the_same_queries_with_many_events(coach_client, athlete, season):
    today, _, _ = season

    def count():
        with CaptureQueriesContext(connection) as ctx:
            _series(coach_client, athlete, today - timedelta(days=20), today + timedelta(days=21))
        return len(ctx.captured_queries)

    few = count()
    SeasonEventFactory.create_batch(10, athlete=athlete, date=today + timedelta(days=5))
    assert count() == few


def test_the_formulas_without_a_today_project_nothing():
    day = date(2030, 1, 1)
    daily = {day: formulas.DayTotals(0.0, 500.0, 0)}
    (figures,) = formulas.day_series(daily, first=day, start=day, end=day)
    assert figures.projected is False and figures.load == 0.0 and figures.fitness == 0.0
    (figures,) = formulas.day_series(daily, first=day, start=day, end=day, today=day - timedelta(days=1))
    assert figures.projected is True and figures.load is None and figures.fitness > 0
