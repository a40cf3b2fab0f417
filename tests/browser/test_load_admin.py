"""The training-load admin views in a real browser: the chart on an athlete's page and the Training load page."""

import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group

from tests.support.browser import login
from tests.support.factories.athletes import AthleteProfileFactory, StaffFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def season(athlete, *, days: int, level: float, spike_from: int | None = None, seed: int = 1):
    """`days` days up to the athlete's today: sessions on about four days a week around `level`, tripled from
    `spike_from` days ago on (an ACWR spike), each with a planned load."""
    rng = random.Random(seed)
    tz = ZoneInfo(athlete.timezone)
    today = datetime.now(tz).date()
    first = today - timedelta(days=days - 1)
    program = TrainingProgramFactory(athlete=athlete, start_date=first, end_date=today + timedelta(days=14))
    for i in range(days):
        day = first + timedelta(days=i)
        if rng.random() > 0.58:
            continue
        amount = (
            level * rng.uniform(0.6, 1.4) * (3 if spike_from is not None and (today - day).days < spike_from else 1)
        )
        when = datetime.combine(day, time(18, 0), tzinfo=tz)
        TrainingSessionFactory(
            program=program,
            scheduled_at=when,
            status="completed",
            load=round(amount, 2),
            planned_load=round(level, 2),
            completed_at=when + timedelta(hours=1),
        )


def coach_in_coaches_group(*athletes):
    """A coach (group "Coaches") assigned to `athletes`: a coach sees only the athletes assigned to them."""
    user = StaffFactory(username="coach-lena", first_name="Lena")
    user.groups.add(Group.objects.get(name="Coaches"))
    for athlete in athletes:
        athlete.coaches.add(user)
    return user


def test_the_load_chart_on_an_athletes_page(page, role_groups, screenshot):
    athlete = AthleteProfileFactory(display_name="Ada Runner", timezone="Europe/Oslo")
    season(athlete, days=120, level=380, spike_from=6)
    login(page, coach_in_coaches_group(athlete).username)
    page.goto(f"/admin/athletes/athleteprofile/{athlete.pk}/change/")
    chart = page.locator("#training-load svg.load-chart")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    assert page.locator("#training-load svg .bar-load").count() > 30
    for css in ("line-fitness", "line-fatigue", "line-form", "line-acwr", "line-acwr-ewma", "acwr-band"):
        assert page.locator(f"#training-load svg .{css}").count() >= 1, css
    box = chart.bounding_box()
    assert box["width"] <= 1280 and box["height"] > 300  # fits the page, both panels drawn
    summary = page.locator("#training-load .load-today").inner_text()
    assert "ACWR" in summary and "fitness" in summary
    screenshot(page, "load-01-athlete-chart", locator="#training-load")
    # The CSV link serves the same days to the logged-in coach.
    href = page.locator("#training-load a", has_text="days as CSV").get_attribute("href")
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("text/csv")
    assert response.text().splitlines()[0].startswith("date,load,plannedLoad")


def test_the_training_load_page_flags_first_and_sorts(page, role_groups, screenshot):
    steady = [("Ben Steady", 300, None), ("Cleo Even", 420, None), ("Dara Base", 250, None)]
    athletes = [AthleteProfileFactory(display_name="Gus New")]  # no sessions yet
    for n, (name, level, spike) in enumerate([*steady, ("Eli Spike", 350, 7), ("Fay Surge", 280, 5)]):
        athletes.append(AthleteProfileFactory(display_name=name, timezone="America/New_York"))
        season(athletes[-1], days=90, level=level, spike_from=spike, seed=n)
    AthleteProfileFactory(display_name="Another Coach's")  # not assigned: never listed
    login(page, coach_in_coaches_group(*athletes).username)
    page.goto("/admin/")
    page.click("a:has-text('Training load')")
    page.wait_for_selector("#load-list")
    names = page.locator("#load-list tbody th a").all_inner_texts()
    flagged = page.locator("#load-list tbody tr.flagged th a").all_inner_texts()
    assert {"Eli Spike", "Fay Surge"} <= set(flagged)
    assert names[: len(flagged)] == flagged  # flagged rows first
    assert "ACWR > 1.5" in page.locator("#load-list").inner_text()
    assert "Another Coach's" not in names and len(names) == 6
    screenshot(page, "load-02-training-load-page", full_page=True)

    page.click("#load-list thead a:has-text('Fitness')")
    page.wait_for_url("**?o=fitness")
    page.click("#load-list thead a:has-text('Fitness')")
    page.wait_for_url("**?o=-fitness")
    rows = page.locator("#load-list tbody tr:not(.flagged)")
    assert (
        page.locator("#load-list thead th[data-key=fitness]").get_attribute("class").strip() == "num sorted descending"
    )
    values = rows.locator("td[data-key=fitness]").all_inner_texts()
    numbers = [float(v) for v in values if v != "—"]
    assert numbers == sorted(numbers, reverse=True) and len(numbers) >= 2

    page.click("#load-list tbody a:has-text('Eli Spike')")
    page.wait_for_selector("#training-load svg.load-chart")
