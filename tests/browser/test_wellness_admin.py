"""Wellness in a real browser, at 1366×768 and 1440×900: the coach's "Today" board (flags named in words beside
the colour, sessions of the day, week compliance) and the athlete page's 28-day wellness chart, each page without
horizontal scrolling."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.support.browser import login
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from tests.support.factories.wellness import WellnessEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1366, 768), (1440, 900)]
NAMES = ["Ada Runner", "Ben Rider", "Cleo Swimmer", "Dev Lifter", "Eve Rower"]


@pytest.fixture
def squad():
    """A coach's five athletes with four weeks of daily entries; Ben is ill today, Cleo slept badly with a
    suppressed HRV, Eve has not checked in."""
    coach = CoachFactory(username="coach-wellness", _groups=["Coaches"])
    athletes = []
    for n, name in enumerate(NAMES):
        athlete = AthleteProfileFactory(display_name=name, timezone="Europe/Oslo")
        athlete.coaches.add(coach)
        athletes.append(athlete)
        today = datetime.now(athlete.tzinfo).date()
        program = TrainingProgramFactory(
            athlete=athlete, start_date=today - timedelta(days=20), end_date=today + timedelta(days=30)
        )
        for offset in (-2, -1, 0):
            day = today + timedelta(days=offset)
            at = datetime.combine(day, time(7 + n), tzinfo=athlete.tzinfo)
            done = offset < 0
            TrainingSessionFactory(program=program, scheduled_at=at, planned_load=Decimal("300"),
                                   status="completed" if done else "planned", completed_at=at if done else None,
                                   load=Decimal(240 + 40 * n) if done else None)  # fmt: skip
        for back in range(27, 0, -1):
            if (back + n) % 9 == 0:
                continue  # a missed check-in now and then
            WellnessEntryFactory(athlete=athlete, date=today - timedelta(days=back), mood=3 + (back + n) % 3,
                                 hrv_rmssd=55 + (back * 7 + n) % 15, resting_heart_rate=48 + back % 4,
                                 sleep_hours=7 + (back % 3) * 0.5)  # fmt: skip
        if name == "Ben Rider":
            WellnessEntryFactory(athlete=athlete, date=today, mood=1, sleep_quality=2, illness=True, notes="Fever")
        elif name == "Cleo Swimmer":
            WellnessEntryFactory(athlete=athlete, date=today, sleep_hours=5.25, hrv_rmssd=31, resting_heart_rate=58)
        elif name != "Eve Rower":
            WellnessEntryFactory(athlete=athlete, date=today)
    return coach, athletes


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_today_board(page, screenshot, squad, width, height):
    coach, _ = squad
    page.set_viewport_size({"width": width, "height": height})
    login(page, coach.username)
    page.goto("/admin/")
    page.get_by_role("link", name="Today").click()
    rows = page.locator("#today-board tbody tr")
    assert rows.count() == 5
    assert [rows.nth(i).locator("th").inner_text() for i in range(5)] == NAMES
    ben, cleo, eve = rows.nth(1).inner_text(), rows.nth(2).inner_text(), rows.nth(4).inner_text()
    assert "⚠ ill" in ben and "⚠ wellness low" in ben
    assert "⚠ sleep under 6 h" in cleo and "⚠ HRV low" in cleo and "⚠ resting HR high" in cleo
    assert "no entry today" in eve
    assert "✓ no flags" in rows.nth(0).inner_text()
    assert all(rows.nth(i).locator("td.num").nth(2).inner_text() == "1" for i in range(5))  # sessions today
    assert rows.nth(0).locator(".compliance").count() == 1  # the week's compliance chip
    _no_horizontal_scroll(page)
    if width == 1440:
        screenshot(page, "wellness-01-today-board-1440")
    else:
        screenshot(page, "wellness-01-today-board-1366")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_athletes_wellness_chart(page, screenshot, squad, width, height):
    coach, _ = squad
    page.set_viewport_size({"width": width, "height": height})
    login(page, coach.username)
    page.goto("/admin/wellness/todayboard/")
    page.get_by_role("link", name="Ben Rider").click()
    chart = page.locator("svg.wellness-chart")
    chart.wait_for()
    assert chart.locator("rect.score").count() >= 20
    assert chart.locator("rect.score.low").count() >= 1
    assert chart.locator("text.ill").count() == 1
    assert chart.locator("polyline.hrv").count() == 1
    assert "⚠ ill" in page.locator(".wellness-today").inner_text()
    assert "Fever" in page.locator("table.wellness-recent").inner_text()
    _no_horizontal_scroll(page)
    if width == 1440:
        page.locator("#wellness").scroll_into_view_if_needed()
        screenshot(page, "wellness-02-athlete-chart-1440", locator="#wellness")
