"""The plan library in a real browser: the template library and a template's week grid, "Save as template" on a
program, and "Apply to athletes or a squad…" with its preview per timezone, at 1366×768 and 1440×900."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.browser import login, pick_autocomplete
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory, SquadFactory
from tests.support.factories.training import (
    ProgramTemplateFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    template_session,
)
from training.library.models import ProgramTemplate
from training.models import TrainingProgram, TrainingSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = [(1366, 768), (1440, 900)]


@pytest.fixture
def head():
    return HeadCoachFactory(username="head-coach")


def _template(owner):
    sessions = [
        template_session(1, 2, "18:00", title="Easy run", durationMinutes=40),
        template_session(1, 4, "06:30", title="Tempo", durationMinutes=50),
        template_session(1, 6, "09:30", title="Long run", durationMinutes=90),
        template_session(2, 2, "18:00", title="Easy run", durationMinutes=40),
        template_session(2, 6, "09:30", title="Long run", durationMinutes=100, modality="run"),
        template_session(3, 3, "07:00", title="Gym", modality="strength", durationMinutes=45),
    ]
    phases = [
        {"name": "Base", "focus": "Aerobic", "startWeek": 1, "endWeek": 2},
        {"name": "Sharpen", "focus": "Race pace", "startWeek": 3, "endWeek": 3},
    ]
    return ProgramTemplateFactory(
        owner=owner, title="10k in three weeks", weeks=3, shared=True, phases=phases, sessions=sessions
    )


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_library_and_a_templates_week_grid(page, screenshot, head, width, height):
    page.set_viewport_size({"width": width, "height": height})
    template = _template(head)
    ProgramTemplateFactory(title="Marathon base", owner=head)
    login(page, head.username)
    page.goto("/admin/training/programtemplate/?shared__exact=1")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1 and "10k in three weeks" in rows.first.inner_text()
    if width == 1440:  # docs/admin.md shows the wider one
        screenshot(page, "library-01-templates-1440")
    page.click("text=10k in three weeks")
    grid = page.locator("table.template-grid")
    grid.wait_for()
    assert grid.locator("tbody tr").count() == 3
    week_one = grid.locator("tbody tr").nth(0)
    assert "Base" in week_one.locator("th").inner_text()
    assert "Easy run" in week_one.locator("td").nth(1).inner_text()  # Tuesday
    assert "Long run" in week_one.locator("td").nth(5).inner_text()  # Saturday
    # The grid fits the page: no horizontal scrolling at this width.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if width == 1440:
        screenshot(page, "library-02-week-grid-1440", full_page=True)
    assert template.pk


def test_save_a_program_as_a_template(page, head):
    athlete = AthleteProfileFactory(display_name="Ada Runner", timezone="Europe/Oslo")
    start = date(2030, 3, 18)
    program = TrainingProgramFactory(
        athlete=athlete, title="Spring base", start_date=start, end_date=start + timedelta(days=13)
    )
    at = datetime.combine(start + timedelta(days=1), time(7), tzinfo=ZoneInfo("Europe/Oslo")).astimezone(UTC)
    TrainingSessionFactory(program=program, scheduled_at=at, title="Easy")
    login(page, head.username)
    page.goto("/admin/training/trainingprogram/")
    page.check(f"input[name=_selected_action][value='{program.pk}']")
    page.select_option("select[name=action]", "save_as_template")
    page.click("button[name=index]")
    assert "Saved 1 as template" in page.locator(".messagelist").inner_text()
    template = ProgramTemplate.objects.get(title="Spring base")
    assert template.sessions[0]["time"] == "07:00" and template.weeks == 2
    page.click(".messagelist a")
    assert "07:00" in page.locator("table.template-grid").inner_text()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_apply_to_athletes_with_a_preview_per_timezone(page, screenshot, head, width, height):
    page.set_viewport_size({"width": width, "height": height})
    template = _template(head)
    AthleteProfileFactory(display_name="Ada Runner", timezone="Europe/Oslo")
    AthleteProfileFactory(display_name="Ben Miles", timezone="America/New_York")
    login(page, head.username)
    page.goto("/admin/training/programtemplate/")
    page.check(f"input[name=_selected_action][value='{template.pk}']")
    page.select_option("select[name=action]", "apply_to_athletes")
    page.click("button[name=index]")
    page.wait_for_selector("body.apply-template")
    pick_autocomplete(page, "athletes", "Ada Runner")
    pick_autocomplete(page, "athletes", "Ben Miles")
    page.fill("#id_start_date", "2030-03-25")
    page.click("input[name=preview]")
    preview = page.locator(".apply-preview")
    preview.wait_for()
    text = preview.inner_text()
    assert "America/New_York" in text and "Europe/Oslo" in text
    assert "Tue 2030-03-26 18:00" in text  # the template's local time, in both zones
    assert "2030-03-26 17:00 UTC" in text and "2030-03-26 22:00 UTC" in text
    assert not TrainingProgram.objects.exists()
    if width == 1440:
        screenshot(page, "library-03-apply-preview-1440", full_page=True)
    page.click("input[name=confirm]")
    assert "Applied “10k in three weeks” to 2 athletes" in page.locator(".messagelist").inner_text()
    assert TrainingProgram.objects.count() == 2
    assert TrainingSession.objects.count() == 12


def test_apply_to_a_squad(page, head):
    template = _template(head)
    members = [AthleteProfileFactory(display_name=f"Squad runner {i}") for i in range(3)]
    SquadFactory(name="Juniors", athletes=members)
    login(page, head.username)
    page.goto("/admin/training/programtemplate/")
    page.check(f"input[name=_selected_action][value='{template.pk}']")
    page.select_option("select[name=action]", "apply_to_athletes")
    page.click("button[name=index]")
    page.wait_for_selector("body.apply-template")
    page.select_option("#id_squad", label="Juniors")
    page.fill("#id_start_date", "2030-01-07")
    page.click("input[name=preview]")
    assert "3 athletes" in page.locator(".apply-preview").inner_text()
    page.click("input[name=confirm]")
    assert TrainingProgram.objects.filter(athlete__in=members).count() == 3
