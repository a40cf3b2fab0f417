"""The admin in a real browser: a coach's day and an operator's check, end to end."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from health.models import ConnectionHealthEvent
from tests.support.browser import login, pick_autocomplete
from tests.support.factories.athletes import StaffFactory, UserFactory
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from tests.support.factories.training import TrainingSessionFactory
from tests.support.profiles import live_profile
from training.models import SessionStatus, TrainingProgram

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_in(group: str, username: str):
    user = StaffFactory(username=username, first_name=username.split("-")[1].title())
    user.groups.add(Group.objects.get(name=group))
    return user


def test_a_coachs_day(page, role_groups, screenshot):
    coach = staff_in("Coaches", "coach-carla")
    UserFactory(username="ada.runner")
    login(page, coach.username)
    screenshot(page, "01-index-coach")

    # An athlete: first with a timezone that is not IANA, which is refused on the field.
    page.goto("/admin/athletes/athleteprofile/add/")
    pick_autocomplete(page, "user", "ada.runner")
    page.fill("#id_display_name", "Ada Runner")
    page.fill("#id_timezone", "Mars/Olympus_Mons")
    page.select_option("#id_primary_goal", "endurance")
    page.click("input[name=_save]")
    error = page.locator(".field-timezone .errorlist")
    assert "not a valid IANA timezone name" in error.inner_text()
    screenshot(page, "02-athlete-timezone-error")
    page.fill("#id_timezone", "Europe/Oslo")
    page.click("input[name=_save]")
    assert "was added successfully" in page.locator(".messagelist").inner_text()
    assert "Ada Runner" in page.locator("#result_list").inner_text()

    # A current program with two phases entered inline.
    today = timezone.localdate()
    start, end = today - timedelta(days=14), today + timedelta(days=69)  # 12 weeks
    page.goto("/admin/training/trainingprogram/add/")
    pick_autocomplete(page, "athlete", "Ada Runner")
    page.fill("#id_title", "Spring marathon build")
    page.fill("#id_start_date", start.isoformat())
    page.fill("#id_end_date", end.isoformat())
    page.fill("#id_macro_cycle", "2027 season")
    page.select_option("#id_status", "current")
    phases = [
        ("1", "Base", "Aerobic base", start, start + timedelta(days=41), "current"),
        ("2", "Build", "Threshold", start + timedelta(days=42), end, "planned"),
    ]
    for i, (order, name, focus, p_start, p_end, status) in enumerate(phases):
        page.fill(f"#id_phases-{i}-phase_order", order)
        page.fill(f"#id_phases-{i}-name", name)
        page.fill(f"#id_phases-{i}-focus", focus)
        page.fill(f"#id_phases-{i}-start_date", p_start.isoformat())
        page.fill(f"#id_phases-{i}-end_date", p_end.isoformat())
        page.select_option(f"#id_phases-{i}-status", status)
    screenshot(page, "03-program-add-inline-phases", full_page=True)
    page.click("input[name=_continue]")
    assert "was added successfully" in page.locator(".messagelist").inner_text()
    program = TrainingProgram.objects.get(title="Spring marathon build")
    assert list(program.phases.order_by("phase_order").values_list("name", flat=True)) == ["Base", "Build"]

    # Sessions arrive (from the app): four already due, two ahead.
    now = timezone.now()
    due = [
        TrainingSessionFactory(
            program=program, title=f"Easy run {d}", scheduled_at=now - timedelta(days=d), planned_load=300, load=300
        )
        for d in (10, 8, 5, 2)
    ]
    ahead = TrainingSessionFactory(
        program=program, title="Long run", scheduled_at=now + timedelta(days=2), planned_load=600
    )
    TrainingSessionFactory(program=program, title="Intervals", scheduled_at=now + timedelta(days=9), planned_load=450)

    page.reload()
    assert page.locator(".fieldBox.field-total_weeks_display .readonly").inner_text() == "12"
    assert page.locator(".fieldBox.field-completed_weeks_display .readonly").inner_text() == "2"
    assert page.locator(".fieldBox.field-adherence_display .readonly").inner_text() == "0.0 %"
    assert page.locator(".fieldBox.field-current_phase_display .readonly").inner_text() == "Base"
    assert page.locator("svg.weekly-chart").is_visible()
    assert page.locator("svg.weekly-chart rect.bar-planned").count() == 12
    screenshot(page, "04-program-metrics-chart-before", locator="fieldset:has(.field-weekly_chart)")

    # A second current program for the same athlete is refused, on the status field.
    page.goto("/admin/training/trainingprogram/add/")
    pick_autocomplete(page, "athlete", "Ada Runner")
    page.fill("#id_title", "Overlapping plan")
    page.fill("#id_start_date", today.isoformat())
    page.fill("#id_end_date", (today + timedelta(days=27)).isoformat())
    page.select_option("#id_status", "current")
    page.click("input[name=_save]")
    assert "This athlete already has a current program." in page.locator(".field-status .errorlist").inner_text()
    screenshot(page, "05-second-current-program-refused")
    assert TrainingProgram.objects.filter(status="current").count() == 1

    # Mark three due sessions completed from the program's session list, with their RPE; the session ahead,
    # ticked by mistake, is left planned.
    page.goto(f"/admin/training/trainingprogram/{program.pk}/change/")
    page.click("a.program-sessions-link")
    page.wait_for_url(f"**/admin/training/trainingsession/?program__id__exact={program.pk}")
    assert page.locator("#result_list tbody tr").count() == 6
    for session in [*due[:3], ahead]:
        page.check(f"input.action-select[value='{session.pk}']")
    page.select_option("select[name=action]", "mark_completed")
    screenshot(page, "06-sessions-mark-completed")
    page.click("button[name=index]")
    summary = page.locator("#mark-completed-summary").inner_text()
    assert "3 sessions will be marked completed" in summary and "1 is scheduled in the future" in summary
    page.fill("#id_rpe", "6")
    screenshot(page, "06b-sessions-mark-completed-rpe", full_page=True)
    page.click("input[name=confirm]")
    message = page.locator(".messagelist").inner_text()
    assert "Marked 3 sessions completed with RPE 6" in message and "1 future session was left planned" in message
    assert completed_sessions(program) == 3
    assert set(program.sessions.filter(status=SessionStatus.COMPLETED).values_list("rpe", flat=True)) == {6}

    page.goto(f"/admin/training/trainingprogram/{program.pk}/change/")
    assert page.locator(".fieldBox.field-adherence_display .readonly").inner_text() == "75.0 %"
    assert int(page.locator("svg.weekly-chart rect.bar-completed").nth(1).get_attribute("data-value")) >= 1
    screenshot(page, "07-program-metrics-chart-after", locator="fieldset:has(.field-weekly_chart)")

    page.goto("/admin/training/trainingprogram/")
    row = page.locator("#result_list tbody tr", has_text="Spring marathon build")
    assert "75.0 %" in row.inner_text()  # 08-program-list.png is taken at 1366 × 768 by test_admin_layout


def completed_sessions(program) -> int:
    return program.sessions.filter(status=SessionStatus.COMPLETED, completed_at__isnull=False).count()


def test_an_operator_runs_a_check_and_sees_the_verdict(page, role_groups, screenshot):
    operator = staff_in("Operations", "ops-olav")
    live_profile("development")
    DatabaseConnectionProfileFactory(environment="staging", host="staging-db.internal", database="cadence")
    login(page, operator.username)
    assert page.locator("#health-verdicts").count() == 0  # nothing checked yet

    page.goto("/admin/connections/databaseconnectionprofile/")
    page.check("#result_list tbody tr:has-text('development') input.action-select")
    page.check("#result_list tbody tr:has-text('staging') input.action-select")
    page.select_option("select[name=action]", "run_check_now")
    page.click("button[name=index]")
    messages = page.locator(".messagelist")
    assert "Check of development: PASS" in messages.text_content()
    assert "Check of staging: FAIL" in messages.text_content() and "[PROFILE_MISMATCH]" in messages.text_content()
    screenshot(page, "09-run-check-now", full_page=True)
    assert ConnectionHealthEvent.objects.count() == 2

    page.goto("/admin/health/connectionhealthevent/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert page.locator("#result_list .health-badge.health-pass").count() == 1
    assert page.locator("#result_list .health-badge.health-fail").count() == 1
    assert page.locator(".object-tools a.addlink").count() == 0  # read-only: no "Add" button
    screenshot(page, "10-health-events")

    page.goto("/admin/")
    development = page.locator("#health-verdicts tr[data-environment='development']")
    assert development.get_attribute("data-status") == "pass"
    assert "(this deployment)" in development.inner_text()
    assert page.locator("#health-verdicts tr[data-environment='staging']").get_attribute("data-status") == "fail"
    screenshot(page, "11-index-verdicts")
