"""The admin's "Copy to athlete…" in a real browser: the action, the intermediate form with its athlete
autocomplete, and the copy it makes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.browser import login, pick_autocomplete
from tests.support.factories.athletes import AthleteProfileFactory, UserFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from training.models import TrainingProgram

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coach_copies_a_program_to_another_athlete(page, screenshot):
    head = UserFactory(username="head-coach", is_staff=True, is_superuser=True)
    source_athlete = AthleteProfileFactory(display_name="Ada Runner", timezone="Europe/Oslo")
    AthleteProfileFactory(display_name="Bea Copy", timezone="America/New_York")
    start = date(2030, 3, 18)
    source = TrainingProgramFactory(
        athlete=source_athlete, title="Spring base", start_date=start, end_date=start + timedelta(days=27)
    )
    oslo = ZoneInfo("Europe/Oslo")
    for day in (1, 15):  # 07:00 in Oslo before and after its DST change
        at = datetime.combine(start + timedelta(days=day), time(7), tzinfo=oslo).astimezone(UTC)
        TrainingSessionFactory(program=source, scheduled_at=at)

    login(page, head.username)
    page.goto("/admin/training/trainingprogram/")
    page.check(f"input[name=_selected_action][value='{source.pk}']")
    page.select_option("select[name=action]", "copy_to_athlete")
    page.click("button[name=index]")
    page.wait_for_selector("body.copy-to-athlete")
    assert "Copy “Spring base” to an athlete" in page.locator("#content h1, #content h2").first.inner_text()
    pick_autocomplete(page, "athlete", "Bea Copy")
    page.fill("#id_start_date", "2030-10-21")
    screenshot(page, "reuse-01-copy-to-athlete-form")
    page.click("input[type=submit][value=Copy]")

    assert "Copied “Spring base” to Bea Copy" in page.locator(".messagelist").inner_text()
    copy = TrainingProgram.objects.exclude(pk=source.pk).get()
    assert page.url.endswith(f"/admin/training/trainingprogram/{copy.pk}/change/")
    assert (copy.athlete.display_name, copy.start_date, copy.status) == ("Bea Copy", date(2030, 10, 21), "planned")
    new_york = ZoneInfo("America/New_York")
    assert [s.scheduled_at.astimezone(new_york).time() for s in copy.sessions.order_by("scheduled_at")] == [
        time(7),
        time(7),
    ]
