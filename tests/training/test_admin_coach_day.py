"""The coach's day in the admin: athlete-local times, identifying labels and narrowed pickers, session order,
the athlete filter, and an audit trail for bulk status changes."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.admin.labels import cycle_label, phase_label, program_label
from training.admin.plan import split_week_term
from training.models import SessionStatus, TrainingSession

pytestmark = pytest.mark.django_db

SESSIONS = reverse("admin:training_trainingsession_changelist")
SESSION_ADD = reverse("admin:training_trainingsession_add")
AUTOCOMPLETE = reverse("admin:autocomplete")


def tokyo_program(**kwargs):
    athlete = AthleteProfileFactory(display_name="Kenji Ito", timezone="Asia/Tokyo")
    return TrainingProgramFactory(
        athlete=athlete, title="Spring build", start_date=date(2026, 11, 2), end_date=date(2026, 12, 27), **kwargs
    )


def session_data(program, scheduled_at: str, **extra):
    data = {
        "program": str(program.pk),
        "title": "Tempo run",
        "scheduled_at": scheduled_at,
        "duration_minutes": "45",
        "modality": "run",
        "status": "planned",
        "planned_load": "",
        "rpe": "",
        "load": "",
        "completed_at": "",
    }
    data.update(extra)
    return data


# --- Times in the athlete's timezone ---------------------------------------------------------------


def test_a_typed_time_is_read_in_the_athletes_timezone_and_stored_in_utc(admin_client):
    program = tokyo_program()
    response = admin_client.post(SESSION_ADD, session_data(program, "2026-11-26T07:00"))
    assert response.status_code == 302
    assert TrainingSession.objects.get().scheduled_at == datetime(2026, 11, 25, 22, 0, tzinfo=UTC)


def test_the_change_form_shows_and_saves_back_the_athletes_wall_clock_time(admin_client):
    program = tokyo_program()
    session = TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 11, 25, 22, 0, tzinfo=UTC))
    url = reverse("admin:training_trainingsession_change", args=[session.pk])
    html = admin_client.get(url).content.decode()
    assert 'value="2026-11-26T07:00"' in html  # 22:00 UTC is 07:00 the next day in Tokyo
    assert "Scheduled at (Asia/Tokyo)" in html
    assert "server time" not in html  # no "You are N hours ahead of server time" shortcut widgets
    response = admin_client.post(url, session_data(program, "2026-11-26T07:30", title=session.title))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.scheduled_at == datetime(2026, 11, 25, 22, 30, tzinfo=UTC)


def test_completed_at_is_typed_and_shown_in_the_athletes_timezone(admin_client):
    program = tokyo_program()
    response = admin_client.post(
        SESSION_ADD, session_data(program, "2026-11-26T07:00", status="completed", completed_at="2026-11-26T08:15")
    )
    assert response.status_code == 302
    session = TrainingSession.objects.get()
    assert session.completed_at == datetime(2026, 11, 25, 23, 15, tzinfo=UTC)
    html = admin_client.get(SESSIONS).content.decode()
    assert "2026-11-26 07:00 JST" in html and "2026-11-26 08:15 JST" in html
    assert 'title="Asia/Tokyo (JST); 2026-11-25 22:00 UTC"' in html


@pytest.mark.parametrize(
    ("typed", "code_text"),
    [
        ("2026-03-29T02:30", "does not exist in Europe/Oslo"),  # spring forward: 02:00 → 03:00
        ("2026-10-25T02:30", "happens twice in Europe/Oslo"),  # fall back: 02:00–03:00 twice
    ],
)
def test_a_local_time_that_dst_skips_or_repeats_is_a_form_error_that_says_so(admin_client, typed, code_text):
    athlete = AthleteProfileFactory(timezone="Europe/Oslo")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 3, 1), end_date=date(2026, 11, 29))
    response = admin_client.post(SESSION_ADD, session_data(program, typed))
    assert response.status_code == 200
    assert code_text in response.context["adminform"].form.errors["scheduled_at"][0]
    assert not TrainingSession.objects.exists()


def test_the_hour_next_to_a_dst_change_is_accepted(admin_client):
    athlete = AthleteProfileFactory(timezone="Europe/Oslo")
    program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 3, 1), end_date=date(2026, 11, 29))
    assert admin_client.post(SESSION_ADD, session_data(program, "2026-03-29T03:00")).status_code == 302
    assert TrainingSession.objects.get().scheduled_at == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # CEST = UTC+2


@pytest.mark.parametrize("typed", ["26/11/2026 7am", "2026-13-01T07:00", "not a time"])
def test_a_malformed_time_is_a_field_error_not_a_500(admin_client, typed):
    response = admin_client.post(SESSION_ADD, session_data(tokyo_program(), typed))
    assert response.status_code == 200
    assert "scheduled_at" in response.context["adminform"].form.errors


def test_without_a_program_the_time_is_not_guessed(admin_client):
    program = tokyo_program()
    data = session_data(program, "2026-11-26T07:00")
    data["program"] = ""
    response = admin_client.post(SESSION_ADD, data)
    assert response.status_code == 200
    assert "program" in response.context["adminform"].form.errors
    assert not TrainingSession.objects.exists()


def test_program_page_next_session_is_in_the_athletes_timezone(admin_client):
    athlete = AthleteProfileFactory(timezone="Asia/Tokyo")
    today = timezone.now().date()
    program = TrainingProgramFactory(
        athlete=athlete, start_date=today - timedelta(days=7), end_date=today + timedelta(days=30)
    )
    upcoming = timezone.now().replace(microsecond=0, second=0) + timedelta(days=2)
    TrainingSessionFactory(program=program, scheduled_at=upcoming)
    html = admin_client.get(reverse("admin:training_trainingprogram_change", args=[program.pk])).content.decode()
    local = upcoming.astimezone(athlete.tzinfo).strftime("%Y-%m-%d %H:%M JST")
    assert local in html


# --- Labels and narrowed pickers -------------------------------------------------------------------


def test_labels_identify_program_phase_and_week():
    program = tokyo_program()
    phase = ProgramPhaseFactory(program=program, name="Build", phase_order=2)
    cycle = MicroCycleFactory(program=program, phase=phase, week_index=5)
    assert program_label(program) == "Spring build — Kenji Ito (2026-11-02 → 2026-12-27)"
    assert phase_label(phase) == "Kenji Ito · Spring build · 2. Build (2026-11-02 – 12-27)"
    assert cycle_label(cycle) == "Kenji Ito · Spring build · Week 5 (2026-11-30 – 12-06), 2. Build"
    assert cycle_label(MicroCycleFactory(program=program, week_index=8)) == (
        "Kenji Ito · Spring build · Week 8 (2026-12-21 – 12-27)"  # no phase: nothing after the dates
    )


def test_the_last_week_label_ends_on_the_programs_last_day():
    program = TrainingProgramFactory(start_date=date(2026, 1, 1), end_date=date(2026, 1, 10))  # 2 weeks, 2nd short
    assert cycle_label(MicroCycleFactory(program=program, week_index=2)).endswith("Week 2 (2026-01-08 – 01-10)")


def test_str_is_unchanged_for_the_rest_of_the_code():
    program = tokyo_program()
    assert str(program) == "Spring build"
    assert str(MicroCycleFactory(program=program, week_index=3)) == "Week 3"


def autocomplete(client, model_name, field_name, term="", **forward):
    params = {"app_label": "training", "model_name": model_name, "field_name": field_name, "term": term}
    params.update({f"forward_{k}": v for k, v in forward.items()})
    response = client.get(AUTOCOMPLETE, params)
    assert response.status_code == 200
    return [r["text"] for r in response.json()["results"]]


def two_athletes_same_titles():
    a = TrainingProgramFactory(athlete=AthleteProfileFactory(display_name="Ada Dahl"), title="Current block")
    b = TrainingProgramFactory(athlete=AthleteProfileFactory(display_name="Lena Baker"), title="Current block")
    for program in (a, b):
        for week in (1, 5):
            MicroCycleFactory(program=program, week_index=week)
        ProgramPhaseFactory(program=program, name="Base", phase_order=1)
    return a, b


def test_program_picker_labels_are_distinct_and_search_the_athlete(admin_client):
    two_athletes_same_titles()
    texts = autocomplete(admin_client, "trainingsession", "program")
    assert len(texts) == 2 and len(set(texts)) == 2
    assert autocomplete(admin_client, "trainingsession", "program", "lena") == [t for t in texts if "Lena Baker" in t]


def test_week_picker_finds_week_5_and_is_narrowed_to_the_chosen_program(admin_client):
    a, _b = two_athletes_same_titles()
    everyone = autocomplete(admin_client, "trainingsession", "micro_cycle", "week 5")
    assert len(everyone) == 2 and len(set(everyone)) == 2 and all("Week 5" in t for t in everyone)
    narrowed = autocomplete(admin_client, "trainingsession", "micro_cycle", "", program=a.pk)
    assert len(narrowed) == 2 and all(t.startswith("Ada Dahl · Current block · Week") for t in narrowed)
    assert autocomplete(admin_client, "trainingsession", "micro_cycle", "ada week 1") == [narrowed[0]]


def test_phase_picker_is_narrowed_to_the_chosen_program(admin_client):
    a, _b = two_athletes_same_titles()
    assert len(autocomplete(admin_client, "trainingsession", "phase")) == 2
    start, end = a.start_date, a.end_date
    assert autocomplete(admin_client, "trainingsession", "phase", program=a.pk) == [
        f"Ada Dahl · Current block · 1. Base ({start} – {end:%m-%d})"
        if start.year == end.year
        else f"Ada Dahl · Current block · 1. Base ({start} – {end})"
    ]


def test_a_malformed_forwarded_program_narrows_nothing_and_is_no_500(admin_client):
    two_athletes_same_titles()
    assert len(autocomplete(admin_client, "trainingsession", "phase", program="not-a-uuid")) == 2


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("week 5", (5, "")),
        ("W12 ada", (12, "ada")),
        ("ada wk 3", (3, "ada")),
        ("weekly", (None, "weekly")),
        ("", (None, "")),
    ],
)
def test_week_terms_are_split_from_the_search(term, expected):
    assert split_week_term(term) == expected


def test_micro_cycle_list_has_athlete_and_program_columns(admin_client):
    two_athletes_same_titles()
    html = admin_client.get(reverse("admin:training_microcycle_changelist")).content.decode()
    assert 'class="field-athlete_display"' in html and 'class="field-program_display"' in html
    assert "Ada Dahl" in html and "Lena Baker" in html


def test_the_session_form_shows_the_chosen_program_with_its_label(admin_client):
    program = tokyo_program()
    session = TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 11, 25, 22, 0, tzinfo=UTC))
    html = admin_client.get(reverse("admin:training_trainingsession_change", args=[session.pk])).content.decode()
    assert "Spring build — Kenji Ito (2026-11-02 → 2026-12-27)" in html


# --- Session order and the athlete filter -----------------------------------------------------------


def test_sessions_list_upcoming_first_soonest_first_then_the_past_newest_first(admin_client):
    now = timezone.now()
    program = TrainingProgramFactory(
        start_date=(now - timedelta(days=30)).date(), end_date=(now + timedelta(days=30)).date()
    )
    offsets = [-10, 5, -2, 20, 1, -20]
    sessions = {
        d: TrainingSessionFactory(program=program, title=f"d{d}", scheduled_at=now + timedelta(days=d)) for d in offsets
    }
    response = admin_client.get(SESSIONS)
    listed = [s.title for s in response.context["cl"].result_list]
    assert listed == ["d1", "d5", "d20", "d-2", "d-10", "d-20"]
    assert len(sessions) == 6


def test_a_session_earlier_today_is_listed_with_the_upcoming_ones(admin_client):
    now = timezone.now()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    program = TrainingProgramFactory(
        start_date=(now - timedelta(days=3)).date(), end_date=(now + timedelta(days=3)).date()
    )
    TrainingSessionFactory(program=program, title="today", scheduled_at=start_of_day)
    TrainingSessionFactory(program=program, title="yesterday", scheduled_at=start_of_day - timedelta(seconds=1))
    TrainingSessionFactory(program=program, title="tomorrow", scheduled_at=start_of_day + timedelta(days=1))
    listed = [s.title for s in admin_client.get(SESSIONS).context["cl"].result_list]
    assert listed == ["today", "tomorrow", "yesterday"]


def test_athlete_filter_is_an_autocomplete_not_a_link_per_athlete(admin_client):
    programs = [
        TrainingProgramFactory(athlete=AthleteProfileFactory(display_name=f"Athlete {i:02d}")) for i in range(30)
    ]
    for program in programs:
        TrainingSessionFactory(program=program)

    def filter_panel(response):
        return response.content.decode().split('id="changelist-filter"')[1].split("</nav>")[0]

    panel = filter_panel(admin_client.get(SESSIONS))
    assert "autocomplete-list-filter" in panel and 'data-field-name="athlete"' in panel
    assert "Athlete 17" not in panel and panel.count("athlete__id__exact=") == 0  # no link per athlete
    chosen = programs[17].athlete
    response = admin_client.get(SESSIONS, {"athlete__id__exact": str(chosen.pk)})
    assert [s.athlete_id for s in response.context["cl"].result_list] == [chosen.pk]
    assert "Athlete 17" in filter_panel(response)  # the chosen athlete is shown in the filter


def test_a_malformed_athlete_filter_value_lists_nothing_and_is_no_500(admin_client):
    TrainingSessionFactory()
    response = admin_client.get(SESSIONS, {"athlete__id__exact": "nope"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_sessions_changelist_queries_do_not_grow(admin_client, django_assert_max_num_queries):
    def count(n):
        for _ in range(n):
            TrainingSessionFactory(program=TrainingProgramFactory(athlete=AthleteProfileFactory(timezone="Asia/Tokyo")))
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(SESSIONS).status_code == 200
        return len(ctx)

    assert count(5) == count(45)


# --- Audit trail --------------------------------------------------------------------------------------


def test_mark_completed_writes_one_log_entry_per_session_in_one_insert(admin_client, admin_user):
    now = timezone.now()
    program = TrainingProgramFactory(start_date=now.date() - timedelta(days=14))
    sessions = [TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=d)) for d in (1, 2, 3)]
    already = TrainingSessionFactory(
        program=program, scheduled_at=now - timedelta(days=4), status=SessionStatus.COMPLETED
    )
    with CaptureQueriesContext(connection) as ctx:
        admin_client.post(
            SESSIONS,
            {"action": "mark_completed", "apply": "1", "_selected_action": [str(s.pk) for s in [*sessions, already]]},
        )
    entries = LogEntry.objects.filter(action_flag=CHANGE)
    assert sorted(e.object_id for e in entries) == sorted(str(s.pk) for s in sessions)  # not the one already done
    assert all(e.user_id == admin_user.pk for e in entries)
    assert all("Planned → Completed" in e.change_message for e in entries)
    inserts = [q for q in ctx.captured_queries if 'INSERT INTO "django_admin_log"' in q["sql"]]
    assert len(inserts) == 1


def test_a_refused_bulk_change_logs_nothing(admin_client, monkeypatch):
    from django.core.exceptions import ValidationError

    from training import services

    def refuse(**kwargs):
        raise ValidationError("The session falls outside the program.")

    monkeypatch.setattr(services, "sessions_set_status", refuse)  # the service refuses: it changes nothing
    session = TrainingSessionFactory()
    response = admin_client.post(
        SESSIONS, {"action": "mark_completed", "apply": "1", "_selected_action": [str(session.pk)]}, follow=True
    )
    assert any("No session was marked completed" in str(m) for m in response.context["messages"])
    assert not LogEntry.objects.exists()


def test_the_session_page_shows_who_changed_its_status_and_when(admin_client, admin_user):
    now = timezone.now()
    program = TrainingProgramFactory(
        athlete=AthleteProfileFactory(timezone="Asia/Tokyo"), start_date=now.date() - timedelta(days=14)
    )
    session = TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=1))
    admin_client.post(SESSIONS, {"action": "mark_skipped", "_selected_action": [str(session.pk)]})
    url = reverse("admin:training_trainingsession_change", args=[session.pk])
    data = session_data(program, session.scheduled_at.astimezone(program.athlete.tzinfo).strftime("%Y-%m-%dT%H:%M"))
    data.update(title=session.title, status="completed")
    assert admin_client.post(url, data).status_code == 302
    html = admin_client.get(url).content.decode()
    history = html.split('class="status-history"')[1].split("</ul>")[0]
    assert history.count("<li>") == 2
    assert f"<strong>{admin_user.username}</strong>" in history
    assert "Status: Skipped → Completed (edited)" in history  # newest first
    assert history.index("Skipped → Completed") < history.index("Planned → Skipped")
    assert "JST" in history  # when, in the athlete's timezone


def test_a_session_never_changed_in_the_admin_says_so(admin_client):
    session = TrainingSessionFactory()
    html = admin_client.get(reverse("admin:training_trainingsession_change", args=[session.pk])).content.decode()
    assert "No status change recorded" in html


def test_a_coach_plans_a_sessions_load_in_the_form_and_the_chart_draws_it(admin_client):
    program = tokyo_program()
    response = admin_client.post(SESSION_ADD, session_data(program, "2026-11-26T07:00", planned_load="420"))
    assert response.status_code == 302
    assert TrainingSession.objects.get().planned_load == 420
    html = admin_client.get(reverse("admin:training_trainingprogram_change", args=[program.pk])).content.decode()
    assert 'class="load-planned-point" data-week="4" data-value="420"' in html


def test_autocomplete_queries_do_not_grow_with_the_rows(admin_client):
    def count(n):
        for _ in range(n):
            MicroCycleFactory(program=TrainingProgramFactory())
        with CaptureQueriesContext(connection) as ctx:
            autocomplete(admin_client, "trainingsession", "micro_cycle")
        return len(ctx)

    assert count(2) == count(15)
