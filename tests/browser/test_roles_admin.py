"""Roles in a real browser: a coach sees and touches only their own athletes; an operator reaches the
operations pages and "Run check now", and nothing of training."""

from datetime import UTC, date, datetime, timedelta

import pytest

from athletes.models import AthleteProfile
from health.models import ConnectionHealthEvent
from tests.support.browser import login
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, OperationsFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from tests.support.profiles import live_profile
from training.models import TrainingSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _athlete_with_a_session(name, coach):
    athlete = AthleteProfileFactory(display_name=name)
    athlete.coaches.set([coach])
    start = date.today() - timedelta(days=7)
    program = TrainingProgramFactory(athlete=athlete, title=f"{name}'s plan", start_date=start)
    session = TrainingSessionFactory(
        program=program,
        title=f"{name} intervals",
        scheduled_at=datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(days=1, hours=12),
    )
    return athlete, session


def test_a_coach_sees_and_touches_only_their_own_athletes(page, screenshot):
    anna, ben = CoachFactory(username="coach-anna"), CoachFactory(username="coach-ben")
    _, my_session = _athlete_with_a_session("Mine Runner", anna)
    theirs, their_session = _athlete_with_a_session("Theirs Swimmer", ben)
    login(page, anna.username)

    # The index offers training, not operations.
    index = page.locator("#content-main").inner_text()
    assert "Training" in index and "Connection" not in index and "Health" not in index

    page.goto("/admin/athletes/athleteprofile/")
    listed = page.locator("#result_list").inner_text()
    assert "Mine Runner" in listed and "Theirs Swimmer" not in listed
    screenshot(page, "roles-coach-athletes")

    # Another coach's athlete by URL: "not found", back on the index.
    page.goto(f"/admin/athletes/athleteprofile/{theirs.pk}/change/")
    page.wait_for_url("**/admin/")
    assert "doesn’t exist" in page.locator(".messagelist").inner_text()

    # The program form's athlete autocomplete offers only the coach's athletes.
    page.goto("/admin/training/trainingprogram/add/")
    page.click(".field-athlete .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "r")  # matches both names
    page.wait_for_selector(".select2-results__option:has-text('Mine Runner')")
    page.wait_for_selector(".select2-results__option.loading-results", state="detached")
    options = page.locator(".select2-results__option").all_inner_texts()
    assert options == ["Mine Runner"]
    screenshot(page, "roles-coach-autocomplete")
    page.keyboard.press("Escape")

    # Sessions: the list and a bulk action stay within the coach's athletes.
    page.goto("/admin/training/trainingsession/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "Mine Runner intervals" in rows.inner_text()
    page.check("#action-toggle")
    page.select_option("select[name=action]", "mark_skipped")
    page.click("button[name=index]")
    assert "Marked 1 session skipped." in page.locator(".messagelist").inner_text()
    assert TrainingSession.objects.get(pk=my_session.pk).status == "skipped"
    assert TrainingSession.objects.get(pk=their_session.pk).status == "planned"

    # A new athlete with a new login, in one step; the coach is assigned and sees the coaches read-only.
    page.goto("/admin/athletes/athleteprofile/add/")
    page.fill("#id_new_username", "new.runner")
    page.fill("#id_new_email", "new.runner@example.com")
    page.fill("#id_display_name", "New Runner")
    page.fill("#id_timezone", "Europe/Oslo")
    page.select_option("#id_primary_goal", "endurance")
    screenshot(page, "roles-coach-add-athlete-with-login")
    page.click("input[name=_save]")
    assert "was added successfully" in page.locator(".messagelist").inner_text()
    created = AthleteProfile.objects.get(display_name="New Runner")
    assert created.user.username == "new.runner" and not created.user.has_usable_password()
    assert list(created.coaches.all()) == [anna]
    page.goto(f"/admin/athletes/athleteprofile/{created.pk}/change/")
    assert "coach-anna" in page.locator(".field-coaches .readonly").inner_text()

    # Operations pages are forbidden.
    response = page.goto("/admin/connections/databaseconnectionprofile/")
    assert response.status == 403


def test_an_operator_runs_a_check_and_cannot_open_training(page, screenshot):
    operator = OperationsFactory(username="ops-olga")
    live_profile("development")
    AthleteProfileFactory(display_name="Hidden Athlete")
    login(page, operator.username)
    index = page.locator("#content-main").inner_text()
    assert "Connection" in index and "Training" not in index and "Athlete" not in index

    page.goto("/admin/connections/databaseconnectionprofile/")
    page.check("#result_list tbody tr:has-text('development') input.action-select")
    page.select_option("select[name=action]", "run_check_now")
    page.click("button[name=index]")
    assert "Check of development: PASS" in page.locator(".messagelist").text_content()
    assert ConnectionHealthEvent.objects.filter(environment="development", status="pass").count() == 1
    screenshot(page, "roles-operations-run-check", full_page=True)

    for url in ("/admin/athletes/athleteprofile/", "/admin/training/trainingsession/"):
        assert page.goto(url).status == 403
