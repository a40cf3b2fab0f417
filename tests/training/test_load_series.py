"""The load series (docs/api.md, Training load) against figures computed by hand, for a ten-week fixture of an
Oslo athlete with sessions near local midnight and over the October DST change, read through the API.

The expected figures come from the formulas of docs/training-load.md written out naively below (windows
re-summed each day, recurrences run day by day from the first session), and a few are spelled out as literal
numbers."""

import math
import statistics
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training.load import formulas

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
FIRST = date(2026, 9, 7)  # a Monday; DST ends in Oslo on Sunday 2026-10-25 (03:00 CEST -> 02:00 CET)
LAST = date(2026, 11, 15)  # ten weeks: 2026-09-07 .. 2026-11-15


def half_up(value, places):
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)) + 0.0


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=OSLO)


# (local time of scheduledAt, status, load, plannedLoad, the local day it must count on)
SPECIAL = [
    (local(FIRST, 7), "completed", 300, 300, FIRST),
    # 23:45 and 00:10 in Oslo are both on 2026-09-09 in UTC; locally they are two days.
    (local(date(2026, 9, 9), 23, 45), "completed", 200, 180, date(2026, 9, 9)),
    (local(date(2026, 9, 10), 0, 10), "completed", 100, None, date(2026, 9, 10)),
    # DST day: 00:30 CEST (2026-10-24 22:30 UTC) and 23:30 CET both count on the 25-hour day 2026-10-25;
    # 00:30 CET the next night (2026-10-25 23:30 UTC) on 2026-10-26.
    (local(date(2026, 10, 25), 0, 30), "completed", 250, 200, date(2026, 10, 25)),
    (local(date(2026, 10, 25), 23, 30), "completed", 150.5, 150, date(2026, 10, 25)),
    (local(date(2026, 10, 26), 0, 30), "completed", 90.25, 100, date(2026, 10, 26)),
    # Skipped and still-planned sessions: plannedLoad only, never load or sessions.
    (local(date(2026, 9, 12), 9), "skipped", None, 120, date(2026, 9, 12)),
    (local(date(2026, 11, 14), 9), "planned", None, 400, date(2026, 11, 14)),
]


def weekly_sessions():
    """A steady pattern over weeks 2..10 (Tue, Thu, Sat at 18:00 local), loads rising then falling."""
    rows = []
    for week in range(1, 10):
        monday = FIRST + timedelta(days=7 * week)
        for offset, base in ((1, 240), (3, 300), (5, 420)):
            day = monday + timedelta(days=offset)
            amount = base + 35 * min(week, 10 - week)
            rows.append((local(day, 18), "completed", amount, amount - 20, day))
    return rows


@pytest.fixture
def oslo_athlete():
    athlete = AthleteProfileFactory(display_name="Oslo", timezone="Europe/Oslo")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 9, 1), end_date=date(2026, 11, 30))
    for when, status, amount, planned, _ in SPECIAL + weekly_sessions():
        TrainingSessionFactory(
            program=program,
            scheduled_at=when,
            status=status,
            load=amount,
            planned_load=planned,
            completed_at=when + timedelta(hours=1) if status == "completed" else None,
        )
    return athlete


def daily_sums():
    """{local day: load}, {local day: planned load}, {local day: completed sessions}, from the table above."""
    loads, planned, counts = {}, {}, {}
    for _, status, amount, plan, day in SPECIAL + weekly_sessions():
        planned[day] = planned.get(day, 0) + (plan or 0)
        if status == "completed":
            loads[day] = loads.get(day, 0) + amount
            counts[day] = counts.get(day, 0) + 1
    return loads, planned, counts


def expected_days(start: date, end: date) -> list[dict]:
    """The load formulas, naively: each window re-summed, each recurrence stepped from FIRST."""
    loads, planned, counts = daily_sums()

    def mean(day, n):
        return sum(loads.get(day - timedelta(days=k), 0) for k in range(n)) / n

    out, ea, ec, fit, fat = [], 0.0, 0.0, 0.0, 0.0
    day = FIRST
    while day <= end:
        x = loads.get(day, 0)
        form = fit - fat
        ea = 2 / 8 * x + (1 - 2 / 8) * ea
        ec = 2 / 29 * x + (1 - 2 / 29) * ec
        fit = fit + (x - fit) * (1 - math.exp(-1 / 42))
        fat = fat + (x - fat) * (1 - math.exp(-1 / 7))
        acute, chronic = mean(day, 7), mean(day, 28)
        passed = (day - FIRST).days >= 28
        if day >= start:
            out.append(
                {
                    "date": day.isoformat(),
                    "load": half_up(float(x), 1),
                    "plannedLoad": half_up(float(planned.get(day, 0)), 1),
                    "sessions": counts.get(day, 0),
                    "acute": half_up(acute, 1),
                    "chronic": half_up(chronic, 1),
                    "acwr": half_up(acute / chronic, 2) if passed and chronic else None,
                    "acwrEwma": half_up(ea / ec, 2) if passed and ec else None,
                    "fitness": half_up(fit, 1),
                    "fatigue": half_up(fat, 1),
                    "form": half_up(form, 1),
                    "projected": False,  # every day of these tests is before the athlete's today
                }
            )
        day += timedelta(days=1)
    return out


def get_series(client, athlete, start, end):
    response = client.get(f"/api/v1/athletes/{athlete.pk}/load/?from={start}&to={end}")
    assert response.status_code == 200, response.content
    return response.json()


def test_series_matches_the_formulas_day_by_day(coach_client, oslo_athlete):
    body = get_series(coach_client, oslo_athlete, FIRST, LAST)
    assert body["timezone"] == "Europe/Oslo" and body["from"] == "2026-09-07" and body["to"] == "2026-11-15"
    assert body["model"] == {"acuteDays": 7, "chronicDays": 28, "fitnessDays": 42, "fatigueDays": 7}
    expected = expected_days(FIRST, LAST)
    assert len(body["days"]) == 70
    for got, want in zip(body["days"], expected, strict=True):
        assert got == want, got["date"]


def test_first_days_by_hand(coach_client, oslo_athlete):
    days = {d["date"]: d for d in get_series(coach_client, oslo_athlete, FIRST, LAST)["days"]}
    first = days["2026-09-07"]
    # 300/7 = 42.857; 300/28 = 10.714; 300·(1 − e^(−1/42)) = 7.058; 300·(1 − e^(−1/7)) = 39.937;
    # form: yesterday's 0 − 0.
    assert first == {
        "date": "2026-09-07",
        "load": 300.0,
        "plannedLoad": 300.0,
        "sessions": 1,
        "acute": 42.9,
        "chronic": 10.7,
        "acwr": None,
        "acwrEwma": None,
        "fitness": 7.1,
        "fatigue": 39.9,
        "form": 0.0,
        "projected": False,
    }
    # Local days, not UTC: 23:45 on the 9th and 00:10 on the 10th are the same UTC date.
    assert (days["2026-09-09"]["load"], days["2026-09-09"]["plannedLoad"]) == (200.0, 180.0)
    assert (days["2026-09-10"]["load"], days["2026-09-10"]["sessions"]) == (100.0, 1)
    # form on the 8th = fitness(7th) − fatigue(7th) = 7.058 − 39.937 = −32.879.
    assert days["2026-09-08"]["form"] == -32.9
    # Skipped: planned load only.
    assert days["2026-09-12"] == {**days["2026-09-12"], "load": 0.0, "plannedLoad": 120.0, "sessions": 0}
    # The DST day is an ordinary day holding both sessions; the next night's 00:30 is the 26th.
    assert (days["2026-10-25"]["load"], days["2026-10-25"]["sessions"]) == (400.5, 2)
    assert (days["2026-10-26"]["load"], days["2026-10-26"]["plannedLoad"]) == (90.3, 100.0)  # 90.25 half up
    # The 7 days to 2026-10-25: 380 + 440 + 560 + 400.5 = 1780.5 → 254.357. The 28 days: weeks from 28 Sep,
    # 5 Oct, 12 Oct of 1275, 1380, 1485, plus 1380 + 400.5 → 5920.5 / 28 = 211.446; ratio 1.2029.
    assert (days["2026-10-25"]["acute"], days["2026-10-25"]["chronic"], days["2026-10-25"]["acwr"]) == (
        254.4,
        211.4,
        1.2,
    )
    # Ratios are null until 28 days have passed since the first session (2026-10-05).
    assert days["2026-10-04"]["acwr"] is None and days["2026-10-04"]["acwrEwma"] is None
    assert days["2026-10-05"]["acwr"] is not None and days["2026-10-05"]["acwrEwma"] is not None


def test_weeks_monotony_and_strain_by_hand(coach_client, oslo_athlete):
    weeks = get_series(coach_client, oslo_athlete, FIRST, LAST)["weeks"]
    assert [w["weekStart"] for w in weeks] == [(FIRST + timedelta(days=7 * i)).isoformat() for i in range(10)]
    # Week 1: 300, 0, 200, 100, 0, 0, 0 → 600; mean 85.714, population sd 112.486 → 0.76; 600 × 0.76 = 456.
    assert weeks[0] == {
        "weekStart": "2026-09-07",
        "load": 600.0,
        "plannedLoad": 600.0,
        "monotony": 0.76,
        "strain": 456.0,
    }
    for week in weeks[1:]:
        start = date.fromisoformat(week["weekStart"])
        loads = [daily_sums()[0].get(start + timedelta(days=i), 0) for i in range(7)]
        monotony = half_up(statistics.mean(loads) / statistics.pstdev(loads), 2)
        assert week["load"] == half_up(sum(loads), 1)
        assert week["monotony"] == monotony
        # In exact decimals: the float product of e.g. 1065 × 0.83 prints 883.9499…, the strain is 883.95 → 884.0.
        exact = (Decimal(str(sum(loads))) * Decimal(str(monotony))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        assert week["strain"] == float(exact)
    # The last week holds a planned (not completed) session: plannedLoad counts it, load does not.
    assert weeks[-1]["plannedLoad"] - weeks[-1]["load"] == pytest.approx(400 - 3 * 20)


def test_window_independence(coach_client, oslo_athlete):
    full = {d["date"]: d for d in get_series(coach_client, oslo_athlete, FIRST, LAST)["days"]}
    later = get_series(coach_client, oslo_athlete, date(2026, 10, 20), date(2026, 11, 3))
    assert later["days"] and all(d == full[d["date"]] for d in later["days"])
    # A `to` beyond the data and a `from` before the first session: the same values on the same days.
    wide = get_series(coach_client, oslo_athlete, date(2026, 8, 1), date(2026, 11, 30))
    by_date = {d["date"]: d for d in wide["days"]}
    assert all(by_date[k] == v for k, v in full.items())
    assert by_date["2026-09-06"] == {
        "date": "2026-09-06", "load": 0.0, "plannedLoad": 0.0, "sessions": 0, "acute": 0.0, "chronic": 0.0,
        "acwr": None, "acwrEwma": None, "fitness": 0.0, "fatigue": 0.0, "form": 0.0, "projected": False,
    }  # fmt: skip


def test_weeks_cover_every_iso_week_the_window_meets(coach_client, oslo_athlete):
    # Wednesday 2026-09-30 .. Monday 2026-10-05 meets two ISO weeks; each is summed over all seven days.
    body = get_series(coach_client, oslo_athlete, date(2026, 9, 30), date(2026, 10, 5))
    assert [w["weekStart"] for w in body["weeks"]] == ["2026-09-28", "2026-10-05"]
    week = [daily_sums()[0].get(date(2026, 10, 5) + timedelta(days=i), 0) for i in range(7)]
    assert body["weeks"][1]["load"] == half_up(sum(week), 1)


# --- Pure functions ------------------------------------------------------------------------------------


def test_round_half_up_on_the_printed_number():
    assert formulas.round_half_up(2.25, 1) == 2.3  # Python's round() gives 2.2
    assert formulas.round_half_up(0.35, 1) == 0.4  # binary 0.34999…; round() gives 0.3
    assert formulas.round_half_up(1.005, 2) == 1.01
    assert formulas.round_half_up(1065 * 0.83, 1) == 884.0  # 883.95 in decimals; the float prints 883.9499…
    assert formulas.round_half_up(42.857142, 1) == 42.9 and formulas.round_half_up(0.044, 1) == 0.0
    assert formulas.round_half_up(-32.85, 1) == -32.9  # away from zero
    assert math.copysign(1, formulas.round_half_up(-0.04, 1)) == 1  # never -0.0
    assert formulas.round_half_up(None, 1) is None


def test_acute_mean_is_exact_and_rounded_half_up():
    # 2.45 / 7 = 0.35 exactly: the rolling sums in hundredths keep it exact, so it prints 0.4 (not 0.3).
    daily = {date(2026, 1, 1): formulas.DayTotals(2.45, 0, 1)}
    (day,) = formulas.day_series(daily, first=date(2026, 1, 1), start=date(2026, 1, 1), end=date(2026, 1, 1))
    assert day.published().acute == 0.4


def test_rolling_sums_stay_exact_over_years():
    first = date(2020, 1, 1)
    daily = {first + timedelta(days=i): formulas.DayTotals(0.1 * (i % 7) + 0.01, 0, 1) for i in range(3000)}
    end = first + timedelta(days=2999)
    (day,) = formulas.day_series(daily, first=first, start=end, end=end)
    window = [round((0.1 * (i % 7) + 0.01) * 100) for i in range(2972, 3000)]
    assert day.chronic == sum(window) / 2800
    assert day.acute == sum(window[-7:]) / 700


def test_no_sessions_is_all_zero_and_null():
    days = formulas.day_series({}, first=None, start=date(2026, 1, 1), end=date(2026, 1, 3))
    assert [d.published().acwr for d in days] == [None] * 3
    assert {d.published().fitness for d in days} == {0.0}
    # A first session after the window: the window is all zero too.
    later = {date(2026, 2, 1): formulas.DayTotals(500.0, 0, 1)}
    days = formulas.day_series(later, first=date(2026, 2, 1), start=date(2026, 1, 1), end=date(2026, 1, 3))
    assert [d.published().load for d in days] == [0.0] * 3
    assert formulas.day_series(later, first=date(2026, 2, 1), start=date(2026, 1, 3), end=date(2026, 1, 1)) == []


def test_monotony_is_null_for_equal_days_and_strain_uses_the_published_monotony():
    assert formulas.week_figures(date(2026, 1, 5), [100.0] * 7, 0).monotony is None
    assert formulas.week_figures(date(2026, 1, 5), [0.1] * 7, 0).monotony is None  # float mean ≠ 0.1 must not matter
    week = formulas.week_figures(date(2026, 1, 5), [100, 100, 100, 100, 100, 100, 110], 0)
    # mean 101.43, sd 3.499 → 28.99 (published); strain 710 × 28.99
    assert week.monotony == 28.99
    assert week.published().strain == half_up(710 * 28.99, 1)


def test_flags_on_the_published_values():
    assert formulas.flags(acwr=1.51, monotony=None) == ["acwr_high"]
    assert formulas.flags(acwr=1.5, monotony=2.0) == []
    assert formulas.flags(acwr=0.79, monotony=2.01) == ["acwr_low", "monotony_high"]
    assert formulas.flags(acwr=0.8, monotony=None) == []
    assert formulas.flags(acwr=None, monotony=None) == []
