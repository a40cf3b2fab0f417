"""Compliance and the season in a real browser, at 1366×768 and 1440×900: the sessions list's chips with their
legend, the load page's weekly compliance beside acute and chronic load, and the athlete's season chart (done
solid, projected dashed, events by priority), each page without horizontal scrolling."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.support.browser import login
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory
from tests.support.factories.training import SeasonEventFactory, TrainingProgramFactory, TrainingSessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1366, 768), (1440, 900)]


@pytest.fixture
def season():
    head = HeadCoachFactory(username="head-coach")
    athlete = AthleteProfileFactory(display_name="Ada Runner", timezone="Europe/Oslo")
    tz = athlete.tzinfo
    today = datetime.now(tz).date()
    program = TrainingProgramFactory(
        athlete=athlete, title="Spring", start_date=today - timedelta(days=41), end_date=today + timedelta(days=42)
    )
    for offset in range(-41, 42, 2):
        day = today + timedelta(days=offset)
        at = datetime.combine(day, time(7), tzinfo=tz)
        if day < today - timedelta(days=1) and offset % 6:
            load = Decimal(300 + (offset % 5) * 40)
            TrainingSessionFactory(program=program, scheduled_at=at, status="completed", completed_at=at, load=load,
                                   planned_load=Decimal("320"))  # fmt: skip
        elif day < today:
            TrainingSessionFactory(program=program, scheduled_at=at, planned_load=Decimal("320"))  # missed
        else:
            TrainingSessionFactory(program=program, scheduled_at=at, planned_load=Decimal("360"))
    SeasonEventFactory(athlete=athlete, date=today + timedelta(days=40), name="Spring 10k", priority="A")
    SeasonEventFactory(athlete=athlete, date=today + timedelta(days=18), name="Club race", priority="B")
    SeasonEventFactory(athlete=athlete, date=today - timedelta(days=20), name="Field test", priority="C", kind="test")
    return head, athlete


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_athletes_season_chart(page, screenshot, season, width, height):
    head, athlete = season
    page.set_viewport_size({"width": width, "height": height})
    login(page, head.username)
    page.goto(f"/admin/athletes/athleteprofile/{athlete.pk}/change/")
    chart = page.locator("svg.season-chart")
    chart.wait_for()
    assert chart.locator("polyline.line-fitness").count() == 1
    assert chart.locator("polyline.line-fitness-projected").get_attribute("stroke-dasharray") == "5 4"
    assert chart.locator("rect.projected-zone").count() == 1
    assert [chart.locator(f"g.event-{p} text").text_content() for p in "ABC"] == ["A", "B", "C"]
    rows = page.locator("table.season-events tbody tr")
    assert (
        rows.count() == 3
        and "Spring 10k (race)" in rows.nth(2).inner_text()
        and "projected" in rows.nth(2).inner_text()
    )
    _no_horizontal_scroll(page)
    if width == 1440:
        page.locator("#season").scroll_into_view_if_needed()
        screenshot(page, "season-01-athlete-season-1440", locator="#season")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_sessions_list_and_the_load_page_show_compliance(page, screenshot, season, width, height):
    head, _ = season
    page.set_viewport_size({"width": width, "height": height})
    login(page, head.username)
    page.goto("/admin/training/trainingsession/")
    legend = page.locator(".compliance-legend")
    assert "✓ on plan" in legend.inner_text() and "✗ missed" in legend.inner_text()
    chips = page.locator("td.field-compliance_display .compliance")
    symbols = {chips.nth(i).inner_text() for i in range(chips.count())}
    assert {"✗", "✓"} <= symbols
    _no_horizontal_scroll(page)
    if width == 1440:
        screenshot(page, "season-02-sessions-compliance-1440")
    page.goto("/admin/training/athleteload/")
    headers = [h.strip().upper() for h in page.locator("#load-list thead th").all_inner_texts()]
    assert headers.index("ACUTE") + 1 == headers.index("CHRONIC") == headers.index("ACWR") - 1
    assert "WEEK COMPLIANCE" in headers
    cell = page.locator("td.week-compliance-cell .compliance")
    assert cell.count() == 1
    _no_horizontal_scroll(page)
    if width == 1440:
        screenshot(page, "season-03-load-compliance-1440")
