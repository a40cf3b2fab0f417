"""The training admin: rules show on the right field, writes go through the services, lists stay constant-cost."""

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib import admin
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.support.factories.athletes import AthleteProfileFactory, UserFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from tests.support.utils import postgres_only
from training.admin.programs import TrainingProgramAdmin
from training.charts import count_ticks, program_weekly_stats, render_weekly_chart
from training.models import MicroCycle, PlanStatus, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db

PROGRAM_ADD = reverse("admin:training_trainingprogram_add")
SESSIONS = reverse("admin:training_trainingsession_changelist")


def program_form(athlete, *, status="planned", start=date(2026, 1, 5), end=date(2026, 3, 29), phases=(), **extra):
    """POST data for the program add/change form with its phase inline."""
    data = {
        "athlete": str(athlete.pk),
        "title": "Base build",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "macro_cycle": "Spring",
        "status": status,
        "phases-TOTAL_FORMS": str(len(phases)),
        "phases-INITIAL_FORMS": "0",
        "phases-MIN_NUM_FORMS": "0",
        "phases-MAX_NUM_FORMS": "1000",
    }
    for i, phase in enumerate(phases):
        for key, value in phase.items():
            data[f"phases-{i}-{key}"] = value
    data.update(extra)
    return data


def phase_row(order, start, end, *, status="planned", name=None):
    return {
        "phase_order": str(order),
        "name": name or f"Phase {order}",
        "focus": "Aerobic",
        "start_date": start,
        "end_date": end,
        "status": status,
    }


# --- Programs ---------------------------------------------------------------------------------------


def test_program_with_two_inline_phases_is_created(admin_client):
    athlete = AthleteProfileFactory()
    data = program_form(
        athlete,
        phases=[phase_row(1, "2026-01-05", "2026-02-01"), phase_row(2, "2026-02-02", "2026-03-29")],
    )
    response = admin_client.post(PROGRAM_ADD, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    program = TrainingProgram.objects.get()
    assert list(program.phases.order_by("phase_order").values_list("name", flat=True)) == ["Phase 1", "Phase 2"]


def test_second_current_program_is_an_error_on_status(admin_client):
    athlete = AthleteProfileFactory()
    TrainingProgramFactory(athlete=athlete, status=PlanStatus.CURRENT)
    response = admin_client.post(PROGRAM_ADD, program_form(athlete, status="current"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["status"] == ["This athlete already has a current program."]
    assert not form.non_field_errors()
    assert TrainingProgram.objects.filter(status="current").count() == 1


def test_current_program_for_another_athlete_is_fine(admin_client):
    TrainingProgramFactory(status=PlanStatus.CURRENT)
    response = admin_client.post(PROGRAM_ADD, program_form(AthleteProfileFactory(), status="current"))
    assert response.status_code == 302
    assert TrainingProgram.objects.filter(status="current").count() == 2


def test_editing_the_current_program_keeps_it_current(admin_client):
    program = TrainingProgramFactory(status=PlanStatus.CURRENT, start_date=date(2026, 1, 5), end_date=date(2026, 3, 29))
    url = reverse("admin:training_trainingprogram_change", args=[program.pk])
    response = admin_client.post(url, program_form(program.athlete, status="current"))
    assert response.status_code == 302
    program.refresh_from_db()
    assert program.title == "Base build" and program.version == 2


def test_end_before_start_is_an_error_on_end_date(admin_client):
    response = admin_client.post(
        PROGRAM_ADD, program_form(AthleteProfileFactory(), start=date(2026, 3, 1), end=date(2026, 2, 28))
    )
    form = response.context["adminform"].form
    assert "end_date" in form.errors and not form.non_field_errors()


def test_overlapping_inline_phases_are_an_error_on_the_second_row(admin_client):
    data = program_form(
        AthleteProfileFactory(),
        phases=[phase_row(1, "2026-01-05", "2026-02-01"), phase_row(2, "2026-02-01", "2026-03-29")],
    )
    response = admin_client.post(PROGRAM_ADD, data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert not formset.forms[0].errors
    assert "overlaps phase 1" in formset.forms[1].errors["start_date"][0]
    assert not TrainingProgram.objects.exists()


def test_adjacent_inline_phases_do_not_overlap(admin_client):
    data = program_form(
        AthleteProfileFactory(),
        phases=[phase_row(1, "2026-01-05", "2026-02-01"), phase_row(2, "2026-02-02", "2026-03-29")],
    )
    assert admin_client.post(PROGRAM_ADD, data).status_code == 302


def test_inline_phase_overlapping_a_saved_phase_is_an_error_on_its_row(admin_client):
    program = TrainingProgramFactory(start_date=date(2026, 1, 5), end_date=date(2026, 3, 29))
    ProgramPhaseFactory(program=program, phase_order=1, start_date=date(2026, 1, 5), end_date=date(2026, 2, 1))
    url = reverse("admin:training_trainingprogram_change", args=[program.pk])
    data = program_form(program.athlete, phases=[phase_row(2, "2026-01-20", "2026-03-01")])
    data["phases-TOTAL_FORMS"] = "2"
    data["phases-INITIAL_FORMS"] = "1"
    existing = program.phases.get()
    data.update(
        {
            "phases-1-phase_order": "2",
            "phases-1-name": "Build",
            "phases-1-focus": "Threshold",
            "phases-1-start_date": "2026-01-20",
            "phases-1-end_date": "2026-03-01",
            "phases-1-status": "planned",
            "phases-0-id": str(existing.pk),
            "phases-0-program": str(program.pk),
            "phases-0-phase_order": "1",
            "phases-0-name": existing.name,
            "phases-0-focus": existing.focus,
            "phases-0-start_date": "2026-01-05",
            "phases-0-end_date": "2026-02-01",
            "phases-0-status": "planned",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "overlaps phase 1" in formset.forms[1].errors["start_date"][0]
    assert program.phases.count() == 1


def test_two_current_inline_phases_are_an_error_on_the_second_status(admin_client):
    data = program_form(
        AthleteProfileFactory(),
        phases=[
            phase_row(1, "2026-01-05", "2026-02-01", status="current"),
            phase_row(2, "2026-02-02", "2026-03-29", status="current"),
        ],
    )
    response = admin_client.post(PROGRAM_ADD, data)
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[1].errors["status"] == ["Only one phase can be current."]


def test_duplicate_phase_order_in_the_inline_is_refused(admin_client):
    data = program_form(
        AthleteProfileFactory(),
        phases=[phase_row(1, "2026-01-05", "2026-02-01"), phase_row(1, "2026-02-02", "2026-03-29")],
    )
    response = admin_client.post(PROGRAM_ADD, data)
    assert response.status_code == 200
    assert not TrainingProgram.objects.exists()


def test_phase_outside_its_program_is_an_error_on_the_phase_row(admin_client):
    data = program_form(AthleteProfileFactory(), phases=[phase_row(1, "2026-01-01", "2026-02-01")])
    response = admin_client.post(PROGRAM_ADD, data)
    formset = response.context["inline_admin_formsets"][0].formset
    assert "start_date" in formset.forms[0].errors


def test_standalone_phase_second_current_is_an_error_on_status(admin_client):
    program = TrainingProgramFactory()
    ProgramPhaseFactory(program=program, status=PlanStatus.CURRENT, end_date=program.start_date + timedelta(days=6))
    data = {
        "program": str(program.pk),
        "phase_order": "2",
        "name": "Build",
        "focus": "Threshold",
        "start_date": (program.start_date + timedelta(days=7)).isoformat(),
        "end_date": program.end_date.isoformat(),
        "status": "current",
    }
    response = admin_client.post(reverse("admin:training_programphase_add"), data)
    form = response.context["adminform"].form
    assert form.errors["status"] == ["This program already has a current phase."]
    assert not form.non_field_errors()


def test_standalone_phase_duplicate_order_is_an_error_on_phase_order(admin_client):
    program = TrainingProgramFactory()
    ProgramPhaseFactory(program=program, phase_order=1, end_date=program.start_date + timedelta(days=6))
    data = {
        "program": str(program.pk),
        "phase_order": "1",
        "name": "Build",
        "focus": "Threshold",
        "start_date": (program.start_date + timedelta(days=7)).isoformat(),
        "end_date": program.end_date.isoformat(),
        "status": "planned",
    }
    response = admin_client.post(reverse("admin:training_programphase_add"), data)
    form = response.context["adminform"].form
    assert "phase_order" in form.errors and not form.non_field_errors()


def test_program_change_page_shows_metrics_link_and_chart(admin_client):
    now = timezone.now()
    program = TrainingProgramFactory(
        status=PlanStatus.CURRENT, start_date=now.date() - timedelta(days=14), end_date=now.date() + timedelta(days=13)
    )
    ProgramPhaseFactory(program=program, name="Base", status=PlanStatus.CURRENT)
    TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=2), status=SessionStatus.COMPLETED)
    TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=1), status=SessionStatus.SKIPPED)
    TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=1), status=SessionStatus.PLANNED)
    upcoming = TrainingSessionFactory(program=program, scheduled_at=now + timedelta(days=1))
    response = admin_client.get(reverse("admin:training_trainingprogram_change", args=[program.pk]))
    html = response.content.decode()
    assert "33.3 %" in html  # 1 completed of 3 due
    assert 'title="Base">Base</span></a>' in html
    assert reverse("admin:training_trainingsession_change", args=[upcoming.pk]) in html
    assert f"{SESSIONS}?program__id__exact={program.pk}" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="weekly-chart"' in html
    assert "<script" not in html.split('class="weekly-chart"')[1].split("</svg>")[0]


def test_program_changelist_shows_metrics_columns(admin_client):
    now = timezone.now()
    program = TrainingProgramFactory(start_date=now.date() - timedelta(days=14))
    TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=2), status=SessionStatus.COMPLETED)
    TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=1), status=SessionStatus.COMPLETED)
    response = admin_client.get(reverse("admin:training_trainingprogram_changelist"))
    html = response.content.decode()
    assert "100.0 %" in html
    assert '<span title="2 of 12 weeks completed">2 / 12</span>' in html


def test_program_add_page_has_no_metrics_and_two_phase_rows(admin_client):
    response = admin_client.get(PROGRAM_ADD)
    assert response.status_code == 200
    assert "weekly-chart" not in response.content.decode()
    assert response.context["inline_admin_formsets"][0].formset.total_form_count() == 2


def test_athlete_is_an_autocomplete_not_a_select_of_everyone(admin_client):
    response = admin_client.get(PROGRAM_ADD)
    widget = response.context["adminform"].form.fields["athlete"].widget
    assert "admin-autocomplete" in widget.render("athlete", None)
    assert "athlete" in TrainingProgramAdmin.autocomplete_fields


# --- The chart ---------------------------------------------------------------------------------------


def test_weekly_stats_bucket_sessions_by_week_in_the_athletes_timezone():
    athlete = AthleteProfileFactory(timezone="Pacific/Auckland")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 1, 5), end_date=date(2026, 1, 18))
    # 2026-01-11 20:00 UTC is Monday 2026-01-12 09:00 in Auckland: week 2, not week 1.
    TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 1, 11, 20, tzinfo=UTC), planned_load=100)
    TrainingSessionFactory(
        program=program,
        scheduled_at=datetime(2026, 1, 5, 0, tzinfo=UTC),
        status=SessionStatus.COMPLETED,
        load=50,
        planned_load=40,
    )
    weeks = program_weekly_stats(program, today=date(2026, 1, 20))
    assert [(w.week, w.planned, w.completed) for w in weeks] == [(1, 1, 1), (2, 1, 0)]
    # Planned load is the coach's plannedLoad; load done is the completed sessions' load.
    assert (weeks[0].planned_load, weeks[0].completed_load) == (40, 50)
    assert (weeks[1].planned_load, weeks[1].completed_load) == (100, 0)


def test_weeks_that_have_not_started_in_the_athletes_timezone_are_future():
    athlete = AthleteProfileFactory(timezone="Pacific/Auckland")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 1, 5), end_date=date(2026, 1, 25))
    # Today is the last day of week 2: week 2 has started, week 3 starts tomorrow.
    weeks = program_weekly_stats(program, today=date(2026, 1, 18))
    assert [w.future for w in weeks] == [False, False, True]
    # The boundary: on week 3's first day it is no longer ahead.
    assert [w.future for w in program_weekly_stats(program, today=date(2026, 1, 19))] == [False, False, False]


def test_chart_has_a_bar_per_week_and_series():
    program = TrainingProgramFactory(start_date=date(2026, 1, 5), end_date=date(2026, 1, 25))
    TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 1, 13, 7, tzinfo=UTC), planned_load=300)
    TrainingSessionFactory(
        program=program, scheduled_at=datetime(2026, 1, 6, 7, tzinfo=UTC), status=SessionStatus.COMPLETED, load=200
    )
    svg = render_weekly_chart(program_weekly_stats(program, today=date(2026, 1, 30)))
    assert svg.count('class="bar-planned"') == 3 and svg.count('class="bar-completed"') == 3
    assert 'data-week="2" data-value="1"' in svg
    assert 'class="load-planned"' in svg and 'class="load-completed"' in svg
    assert 'class="load-planned-point" data-week="2" data-value="300"' in svg
    assert 'class="load-completed-point" data-week="1" data-value="200"' in svg


def _ticks(svg: str) -> list[str]:
    return re.findall(r'class="tick-sessions"[^>]*>([^<]*)<', svg)


@pytest.mark.parametrize(
    ("largest", "expected"),
    [
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (4, [0, 1, 2, 3, 4]),
        (5, [0, 2, 4, 6]),
        (9, [0, 3, 6, 9]),
        (10, [0, 3, 6, 9, 12]),
    ],
)
def test_session_axis_ticks_are_whole_numbers_reaching_the_largest_count(largest, expected):
    assert count_ticks(largest) == expected


def test_chart_session_ticks_are_integers_not_fractions():
    program = TrainingProgramFactory(start_date=date(2026, 1, 5), end_date=date(2026, 1, 11))
    for hour in range(5):  # five sessions in week 1: the old axis drew 1.2, 2.5, 3.8
        TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 1, 7, hour + 6, tzinfo=UTC))
    ticks = _ticks(render_weekly_chart(program_weekly_stats(program, today=date(2026, 1, 30))))
    assert ticks == ["0", "2", "4", "6"]


def test_future_weeks_show_the_plan_only_and_the_legend_lists_what_is_drawn():
    program = TrainingProgramFactory(start_date=date(2026, 1, 5), end_date=date(2026, 1, 25))
    TrainingSessionFactory(
        program=program,
        scheduled_at=datetime(2026, 1, 6, 7, tzinfo=UTC),
        status=SessionStatus.COMPLETED,
        load=200,
        planned_load=250,
    )
    TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 1, 20, 7, tzinfo=UTC), planned_load=300)
    svg = render_weekly_chart(program_weekly_stats(program, today=date(2026, 1, 8)))  # in week 1
    # Weeks 2 and 3 are ahead: no completed bar and no load-done point for them (not a drawn 0).
    assert re.findall(r'class="bar-completed" data-week="(\d)"', svg) == ["1"]
    assert re.findall(r'class="load-completed-point" data-week="(\d)"', svg) == ["1"]
    assert re.findall(r'class="load-planned-point" data-week="(\d)"', svg) == ["1", "2", "3"]
    assert re.findall(r'class="legend-item"[^>]*>([^<]*)<', svg) == [
        "planned sessions",
        "completed sessions",
        "planned load",
        "load done",
    ]


def test_legend_leaves_out_series_that_are_not_drawn():
    program = TrainingProgramFactory(start_date=date(2026, 1, 5), end_date=date(2026, 1, 25))
    TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 1, 20, 7, tzinfo=UTC))  # no load at all
    svg = render_weekly_chart(program_weekly_stats(program, today=date(2026, 1, 1)))  # before the program
    assert re.findall(r'class="legend-item"[^>]*>([^<]*)<', svg) == ["planned sessions"]
    assert "load-planned" not in svg and "load-completed" not in svg and "bar-completed" not in svg
    assert "tick-load" not in svg


def test_chart_of_nothing_says_so():
    assert "No weeks" in render_weekly_chart([])


# --- Sessions --------------------------------------------------------------------------------------


def session_form(program, *, scheduled_at, status="planned", **extra):
    """POST data for the session form; `scheduled_at` is the wall-clock time in the athlete's timezone."""
    data = {
        "program": str(program.pk),
        "title": "Tempo run",
        "scheduled_at": scheduled_at.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "45",
        "modality": "run",
        "status": status,
        "load": "",
        "rpe": "",
        "planned_load": "",
        "completed_at": "",
    }
    data.update(extra)
    return data


def test_session_outside_its_program_in_the_athletes_timezone_is_an_error_on_scheduled_at(admin_client):
    athlete = AthleteProfileFactory(timezone="Pacific/Auckland")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 1, 5), end_date=date(2026, 1, 18))
    # 01:00 on the 19th in Auckland (still the 18th in UTC): one day past the program.
    response = admin_client.post(
        reverse("admin:training_trainingsession_add"),
        session_form(program, scheduled_at=datetime(2026, 1, 19, 1, 0)),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "outside the program" in form.errors["scheduled_at"][0]
    assert not TrainingSession.objects.exists()


def test_session_on_the_programs_last_local_day_is_saved_with_the_programs_athlete(admin_client):
    athlete = AthleteProfileFactory(timezone="Pacific/Auckland")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 1, 5), end_date=date(2026, 1, 18))
    response = admin_client.post(
        reverse("admin:training_trainingsession_add"),
        session_form(program, scheduled_at=datetime(2026, 1, 18, 23, 0)),  # 23:00 on the 18th in Auckland
    )
    assert response.status_code == 302
    session = TrainingSession.objects.get()
    assert session.athlete == athlete
    assert session.scheduled_at == datetime(2026, 1, 18, 10, 0, tzinfo=UTC)  # read in Auckland (UTC+13)


def test_session_saved_completed_gets_completed_at(admin_client):
    program = TrainingProgramFactory(start_date=date(2026, 1, 5), end_date=date(2026, 1, 18))
    response = admin_client.post(
        reverse("admin:training_trainingsession_add"),
        session_form(program, scheduled_at=datetime(2026, 1, 6, 7, 0), status="completed"),
    )
    assert response.status_code == 302
    assert TrainingSession.objects.get().completed_at is not None


def test_session_rpe_is_checked_and_derives_the_load_in_the_admin(admin_client):
    program = TrainingProgramFactory(start_date=date(2026, 1, 5), end_date=date(2026, 1, 18))
    add = reverse("admin:training_trainingsession_add")
    response = admin_client.post(add, session_form(program, scheduled_at=datetime(2026, 1, 6, 7, 0), rpe="6"))
    assert response.status_code == 200  # planned: a form error on the field, not a 500
    assert response.context["adminform"].form.errors["rpe"] == ["RPE can only be given for a completed session."]
    assert not TrainingSession.objects.exists()
    data = session_form(program, scheduled_at=datetime(2026, 1, 6, 7, 0), status="completed", rpe="6")
    assert admin_client.post(add, data).status_code == 302
    assert TrainingSession.objects.get().load == 6 * 45


def test_mark_completed_action_sets_status_and_completed_at_and_changes_adherence(admin_client):
    now = timezone.now()
    program = TrainingProgramFactory(start_date=now.date() - timedelta(days=14))
    sessions = [TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=d)) for d in (1, 2, 3, 4)]
    assert program.refreshed_with_metrics().adherence_rate == 0
    response = admin_client.post(
        SESSIONS,
        {"action": "mark_completed", "apply": "1", "_selected_action": [str(s.pk) for s in sessions[:3]]},
        follow=True,
    )
    assert "Marked 3 sessions completed." in [str(m) for m in response.context["messages"]]
    done = TrainingSession.objects.filter(status=SessionStatus.COMPLETED)
    assert done.count() == 3 and not done.filter(completed_at__isnull=True).exists()
    assert program.refreshed_with_metrics().adherence_rate == 0.75


def test_mark_skipped_action_clears_completed_at(admin_client):
    session = TrainingSessionFactory(status=SessionStatus.COMPLETED)
    other = TrainingSessionFactory(status=SessionStatus.SKIPPED)
    response = admin_client.post(
        SESSIONS, {"action": "mark_skipped", "_selected_action": [str(session.pk), str(other.pk)]}, follow=True
    )
    assert "Marked 1 session skipped. 1 was already skipped." in [str(m) for m in response.context["messages"]]
    session.refresh_from_db()
    assert session.status == SessionStatus.SKIPPED and session.completed_at is None


def test_mark_completed_keeps_an_existing_completion_time(admin_client):
    session = TrainingSessionFactory(status=SessionStatus.COMPLETED)
    stamped = session.completed_at
    admin_client.post(SESSIONS, {"action": "mark_completed", "apply": "1", "_selected_action": [str(session.pk)]})
    session.refresh_from_db()
    assert session.completed_at == stamped


def test_action_that_breaks_a_rule_is_a_message_and_changes_nothing(admin_client, monkeypatch):
    from django.core.exceptions import ValidationError

    from training import services

    sessions = TrainingSessionFactory.create_batch(2)

    def refuse(**kwargs):
        raise ValidationError({"scheduled_at": "outside the program"})

    monkeypatch.setattr(services, "sessions_set_status", refuse)
    response = admin_client.post(
        SESSIONS,
        {"action": "mark_completed", "apply": "1", "_selected_action": [str(s.pk) for s in sessions]},
        follow=True,
    )
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert texts == ["No session was marked completed: outside the program"]
    assert not TrainingSession.objects.filter(status=SessionStatus.COMPLETED).exists()


def test_sessions_link_filters_the_changelist_by_program(admin_client):
    program = TrainingProgramFactory(title="Target program")
    TrainingSessionFactory.create_batch(2, program=program)
    TrainingSessionFactory.create_batch(3)
    response = admin_client.get(f"{SESSIONS}?program__id__exact={program.pk}")
    assert response.context["cl"].result_count == 2
    assert "Target program" in response.content.decode()


def test_malformed_program_filter_is_not_a_500(admin_client):
    response = admin_client.get(f"{SESSIONS}?program__id__exact=not-a-uuid")
    assert response.status_code in (200, 302)


def test_session_filters_by_status_modality_athlete_and_date(admin_client):
    session = TrainingSessionFactory(status=SessionStatus.SKIPPED, modality="swim")
    TrainingSessionFactory()
    for query in (
        "status__exact=skipped",
        "modality__exact=swim",
        f"athlete__id__exact={session.athlete_id}",
        f"scheduled_at__year={session.scheduled_at.year}&scheduled_at__month={session.scheduled_at.month}"
        f"&scheduled_at__day={session.scheduled_at.day}&status__exact=skipped",
    ):
        response = admin_client.get(f"{SESSIONS}?{query}")
        assert response.context["cl"].result_count == 1, query
    sidebar = [spec.title for spec in admin_client.get(SESSIONS).context["cl"].filter_specs if spec.has_output()]
    assert sidebar == ["status", "modality", "athlete", "athlete's day"]


def test_micro_cycle_duplicate_week_is_an_error_on_week_index(admin_client):
    program = TrainingProgramFactory()
    MicroCycleFactory(program=program, week_index=1)
    response = admin_client.post(
        reverse("admin:training_microcycle_add"),
        {"program": str(program.pk), "week_index": "1", "readiness_score": "", "status": "planned"},
    )
    form = response.context["adminform"].form
    assert "week_index" in form.errors and not form.non_field_errors()


# --- Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (TrainingProgram, lambda: TrainingSessionFactory(program=ProgramPhaseFactory().program).program),
        (ProgramPhase, ProgramPhaseFactory),
        (MicroCycle, lambda: MicroCycleFactory(phase=ProgramPhaseFactory())),
        (TrainingSession, lambda: TrainingSessionFactory(phase=ProgramPhaseFactory())),
    ],
    ids=["programs", "phases", "micro-cycles", "sessions"],
)
def test_training_changelists_cost_the_same_with_5_and_50_rows(admin_client, model, make):
    url = reverse(f"admin:training_{model._meta.model_name}_changelist")
    counts = []
    for target in (5, 50):
        while model.objects.count() < target:
            make()
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url)
        assert response.status_code == 200
        assert response.context["cl"].result_count == target
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    ("model", "make", "marker"),
    [
        (TrainingProgram, lambda: TrainingSessionFactory(program=ProgramPhaseFactory().program), "sessions_due_count"),
        (MicroCycle, lambda: MicroCycleFactory(phase=ProgramPhaseFactory()), "sessions_completed"),
    ],
    ids=["programs", "micro-cycles"],
)
def test_annotated_changelist_pages_compute_their_annotations_for_their_own_rows(admin_client, model, make, marker):
    """Page 3 of an annotated changelist: the query with the metric subqueries cuts an id subquery
    (`IN (SELECT … LIMIT 2 OFFSET 4)`) and has no LIMIT/OFFSET of its own, so the metrics are not computed for
    the rows before the page (core.admin.PageFirstPaginator)."""
    for _ in range(6):
        make()
    url = reverse(f"admin:training_{model._meta.model_name}_changelist")
    per_page = admin.site._registry[model].list_per_page
    admin.site._registry[model].list_per_page = 2
    try:
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.get(url, {"p": 3})
    finally:
        admin.site._registry[model].list_per_page = per_page
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2
    annotated = [
        q["sql"] for q in ctx.captured_queries if marker in q["sql"] and not q["sql"].startswith("SELECT COUNT(*)")
    ]
    assert annotated, [q["sql"][:120] for q in ctx.captured_queries]
    for sql in annotated:
        assert re.search(r"IN \(SELECT .+ LIMIT 2 OFFSET 4\)", sql), sql
        outer = sql[sql.rindex(")") :]
        assert "LIMIT" not in outer and "OFFSET" not in outer, outer


# --- Races ----------------------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_coaches_making_programs_current_at_once_get_one_current_and_one_form_error():
    athlete = AthleteProfileFactory()
    admin = UserFactory(username="race-admin", is_staff=True, is_superuser=True)
    barrier = threading.Barrier(2)
    results = []

    def post(title):
        try:
            client = Client()
            client.force_login(admin)
            barrier.wait()
            response = client.post(PROGRAM_ADD, program_form(athlete, status="current", title=title))
            errors = response.context["adminform"].form.errors if response.status_code == 200 else None
            sent = [str(m) for m in response.wsgi_request._messages] if response.status_code == 302 else []
            results.append((response.status_code, errors, response.get("Location"), sent))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(f"Race {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(code for code, *_ in results) == [200, 302], results
    errors = next(errors for code, errors, *_ in results if code == 200)
    assert errors["status"] == ["This athlete already has a current program."]
    assert TrainingProgram.objects.filter(athlete=athlete, status="current").count() == 1


# --- Writes go through the services ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "url_name", "make_data"),
    [
        ("program_save", "trainingprogram_add", lambda: program_form(AthleteProfileFactory())),
        (
            "session_save",
            "trainingsession_add",
            lambda: session_form(
                TrainingProgramFactory(start_date=date(2026, 1, 5), end_date=date(2026, 1, 18)),
                scheduled_at=datetime(2026, 1, 6, 7, 0),
            ),
        ),
    ],
)
def test_admin_saves_go_through_the_services(admin_client, monkeypatch, service, url_name, make_data):
    from training import services

    calls = []
    original = getattr(services, service)

    def spy(**kwargs):
        calls.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(services, service, spy)
    assert admin_client.post(reverse(f"admin:training_{url_name}"), make_data()).status_code == 302
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("entry", "url_name", "make_data"),
    [
        ("program_locks", "trainingprogram_add", lambda: program_form(AthleteProfileFactory())),
        (
            "plan_row_locks",
            "trainingsession_add",
            lambda: session_form(
                TrainingProgramFactory(start_date=date(2026, 1, 5), end_date=date(2026, 1, 18)),
                scheduled_at=datetime(2026, 1, 6, 7, 0),
            ),
        ),
    ],
)
def test_admin_forms_judge_under_the_locks_the_service_takes(admin_client, monkeypatch, entry, url_name, make_data):
    """The form's clean() takes its locks through the service's own entry, the one its save takes again: the
    admin has no lock order of its own."""
    from training import services

    calls = []
    original = getattr(services, entry)

    def spy(row, **kwargs):
        calls.append(type(row).__name__)
        return original(row, **kwargs)

    monkeypatch.setattr(services, entry, spy)
    assert admin_client.post(reverse(f"admin:training_{url_name}"), make_data()).status_code == 302
    assert len(calls) == 2, calls  # the form's clean(), then the service's save


def test_inline_phases_are_saved_through_phase_save(admin_client, monkeypatch):
    from training import services

    saved = []
    original = services.phase_save
    monkeypatch.setattr(services, "phase_save", lambda *, phase: saved.append(phase.name) or original(phase=phase))
    data = program_form(
        AthleteProfileFactory(),
        phases=[phase_row(2, "2026-02-02", "2026-03-29", name="B"), phase_row(1, "2026-01-05", "2026-02-01", name="A")],
    )
    assert admin_client.post(PROGRAM_ADD, data).status_code == 302
    assert saved == ["A", "B"]  # in phase order


def test_a_rule_broken_while_saving_is_a_message_and_nothing_is_saved(admin_client, monkeypatch):
    from django.core.exceptions import ValidationError

    from training import services

    def refuse(**kwargs):
        raise ValidationError({"status": "This athlete already has a current program."})

    monkeypatch.setattr(services, "phase_save", refuse)
    data = program_form(AthleteProfileFactory(), phases=[phase_row(1, "2026-01-05", "2026-02-01")])
    response = admin_client.post(PROGRAM_ADD, data, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was saved: This athlete already has a current program."
    ]
    assert not TrainingProgram.objects.exists()  # the program saved before the phase was rolled back


def test_every_training_add_and_change_page_renders(admin_client):
    phase = ProgramPhaseFactory()
    cycle = MicroCycleFactory(program=phase.program, phase=phase)
    session = TrainingSessionFactory(program=phase.program, phase=phase, micro_cycle=cycle)
    for obj in (phase.program, phase, cycle, session):
        name = obj._meta.model_name
        assert admin_client.get(reverse(f"admin:training_{name}_change", args=[obj.pk])).status_code == 200
        assert admin_client.get(reverse(f"admin:training_{name}_add")).status_code == 200
    page = admin_client.get(reverse("admin:training_microcycle_change", args=[cycle.pk])).content.decode()
    assert '<div class="readonly">1</div>' in page  # sessions planned, from with_session_counts()


def test_a_coach_leaving_completed_in_the_admin_drops_the_actual_duration(admin_client):
    athlete = AthleteProfileFactory(timezone="UTC")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 1, 5), end_date=date(2026, 3, 29))
    at = datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    session = TrainingSessionFactory(
        program=program, scheduled_at=at, status="completed", completed_at=at, actual_duration_minutes=30
    )
    response = admin_client.post(
        reverse("admin:training_trainingsession_change", args=[session.pk]),
        session_form(program, scheduled_at=datetime(2026, 1, 6, 8, 0), status="skipped", actual_duration_minutes="30"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session.refresh_from_db()
    assert (session.status, session.actual_duration_minutes) == ("skipped", None)
