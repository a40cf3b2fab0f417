"""The sessions changelist in the athletes' own days: the "Today" filter, the date bar and "Upcoming first" follow
each athlete's timezone, not UTC midnight; bulk "Mark completed" leaves future sessions alone and records RPE;
the phase and week pickers tell rows apart."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.admin import actions as admin_actions
from training.admin import filters as admin_filters
from training.admin import programs as admin_programs
from training.admin import sessions as admin_sessions
from training.admin.labels import cycle_label, phase_label
from training.models import SessionStatus, TrainingSession

pytestmark = pytest.mark.django_db

SESSIONS = reverse("admin:training_trainingsession_changelist")

# Half an hour either side of UTC midnight: in Tokyo (UTC+9) it is the 26th all along, in Los Angeles (UTC−8)
# the 25th all along. A filter that cuts days at UTC midnight changes its answer between the two.
BEFORE_UTC_MIDNIGHT = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
AFTER_UTC_MIDNIGHT = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)


def freeze(monkeypatch, now: datetime) -> None:
    """Make "now" `now` for the training admin's modules that read the clock (logins and the services keep the real
    clock)."""
    for module in (admin_actions, admin_filters, admin_programs, admin_sessions):
        monkeypatch.setattr(module, "timezone", SimpleNamespace(now=lambda: now))


def program_for(timezone: str, name: str):
    athlete = AthleteProfileFactory(display_name=name, timezone=timezone)
    return TrainingProgramFactory(athlete=athlete, start_date=date(2026, 11, 2), end_date=date(2026, 12, 27))


@pytest.fixture
def two_zones():
    """Sessions of a Tokyo and a Los Angeles athlete around their days' edges, by title."""
    tokyo, la = program_for("Asia/Tokyo", "Kenji Ito"), program_for("America/Los_Angeles", "Lena Baker")
    when = {
        "tokyo 07:00 on the 26th": (tokyo, datetime(2026, 11, 25, 22, 0, tzinfo=UTC)),
        "tokyo 23:30 on the 25th": (tokyo, datetime(2026, 11, 25, 14, 30, tzinfo=UTC)),
        "tokyo 23:30 on the 26th": (tokyo, datetime(2026, 11, 26, 14, 30, tzinfo=UTC)),
        "tokyo 00:30 on the 27th": (tokyo, datetime(2026, 11, 26, 15, 30, tzinfo=UTC)),
        "la 00:30 on the 25th": (la, datetime(2026, 11, 25, 8, 30, tzinfo=UTC)),
        "la 21:00 on the 25th": (la, datetime(2026, 11, 26, 5, 0, tzinfo=UTC)),
        "la 23:30 on the 24th": (la, datetime(2026, 11, 25, 7, 30, tzinfo=UTC)),
        "la 00:30 on the 26th": (la, datetime(2026, 11, 26, 8, 30, tzinfo=UTC)),
    }
    return {title: TrainingSessionFactory(program=p, title=title, scheduled_at=at) for title, (p, at) in when.items()}


def listed(client, **query) -> list[str]:
    response = client.get(SESSIONS, query)
    assert response.status_code == 200, response
    return sorted(s.title for s in response.context["cl"].result_list)


# --- "Today" and the other days -----------------------------------------------------------------------


@pytest.mark.parametrize("now", [BEFORE_UTC_MIDNIGHT, AFTER_UTC_MIDNIGHT], ids=["before", "after"])
def test_today_is_each_athletes_own_today_on_both_sides_of_utc_midnight(admin_client, monkeypatch, two_zones, now):
    freeze(monkeypatch, now)
    assert listed(admin_client, scheduled="today") == [
        "la 00:30 on the 25th",
        "la 21:00 on the 25th",
        "tokyo 07:00 on the 26th",  # 22:00 UTC the day before
        "tokyo 23:30 on the 26th",
    ]
    assert listed(admin_client, scheduled="tomorrow") == ["la 00:30 on the 26th", "tokyo 00:30 on the 27th"]


def test_past_and_next_seven_days_end_at_the_athletes_local_midnight(admin_client, monkeypatch, two_zones):
    freeze(monkeypatch, AFTER_UTC_MIDNIGHT)
    past = listed(admin_client, scheduled="past7")
    assert "tokyo 23:30 on the 25th" in past and "la 23:30 on the 24th" in past
    assert "tokyo 00:30 on the 27th" not in past and "la 00:30 on the 26th" not in past
    upcoming = listed(admin_client, scheduled="next7")
    assert "tokyo 00:30 on the 27th" in upcoming and "la 00:30 on the 26th" in upcoming
    assert "tokyo 23:30 on the 25th" not in upcoming and "la 23:30 on the 24th" not in upcoming


def test_the_day_filter_is_offered_in_the_sidebar_with_today(admin_client):
    response = admin_client.get(SESSIONS, {"scheduled": "today"})
    spec = next(s for s in response.context["cl"].filter_specs if s.title == "athlete's day")
    choices = list(spec.choices(response.context["cl"]))
    assert [c["display"] for c in choices] == [
        "Any day",
        "Today",
        "Tomorrow",
        "Past 7 days",
        "Next 7 days",
        "This month",
    ]
    assert [c["display"] for c in choices if c["selected"]] == ["Today"]


def test_the_date_bar_drills_down_by_the_athletes_local_days(admin_client, two_zones):
    # The Tokyo session at 22:00 UTC on the 25th is on the 26th in Tokyo: it is found under the 26th, not the 25th.
    on_26th = listed(admin_client, scheduled_at__year=2026, scheduled_at__month=11, scheduled_at__day=26)
    assert on_26th == ["la 00:30 on the 26th", "tokyo 07:00 on the 26th", "tokyo 23:30 on the 26th"]
    on_25th = listed(admin_client, scheduled_at__year=2026, scheduled_at__month=11, scheduled_at__day=25)
    assert on_25th == ["la 00:30 on the 25th", "la 21:00 on the 25th", "tokyo 23:30 on the 25th"]
    response = admin_client.get(SESSIONS)
    bar = response.context["local_date_bar"]  # every session is in November 2026: the bar opens at its days
    assert [c["title"] for c in bar["choices"]] == ["November 24", "November 25", "November 26", "November 27"]
    assert "scheduled_at__day=27" in bar["choices"][-1]["link"]
    html = response.content.decode()
    assert 'class="toplinks local-date-bar"' in html and "athletes' local days" in html


def test_the_date_bar_offers_years_then_months(admin_client):
    program = program_for("Asia/Tokyo", "Kenji Ito")
    program.end_date = date(2027, 1, 31)
    program.save()
    TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 12, 31, 16, 0, tzinfo=UTC))  # Jan 1 in Tokyo
    TrainingSessionFactory(program=program, scheduled_at=datetime(2026, 11, 10, 1, 0, tzinfo=UTC))
    assert [c["title"] for c in admin_client.get(SESSIONS).context["local_date_bar"]["choices"]] == ["2026", "2027"]
    months = admin_client.get(SESSIONS, {"scheduled_at__year": 2026}).context["local_date_bar"]["choices"]
    assert [c["title"] for c in months] == ["November 2026"]  # the 31st at 16:00 UTC is already 2027 in Tokyo


def test_the_date_bar_finds_the_first_local_day_even_when_it_is_not_the_earliest_instant(admin_client):
    tokyo, la = program_for("Asia/Tokyo", "Kenji Ito"), program_for("America/Los_Angeles", "Lena Baker")
    TrainingSessionFactory(program=tokyo, scheduled_at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # Dec 1 in Tokyo
    TrainingSessionFactory(program=la, scheduled_at=datetime(2026, 12, 1, 7, 0, tzinfo=UTC))  # Nov 30 in LA
    bar = admin_client.get(SESSIONS).context["local_date_bar"]
    assert [c["title"] for c in bar["choices"]] == ["November 2026", "December 2026"]


@pytest.mark.parametrize(
    "query",
    [
        {"scheduled": "yesterday-ish"},
        {"scheduled_at__year": "abc"},
        {"scheduled_at__year": "2026", "scheduled_at__month": "13"},
        {"scheduled_at__year": "10000"},
        {"scheduled_at__year": "9999", "scheduled_at__month": "12"},
        {"scheduled_at__year": "1"},
    ],
)
def test_a_malformed_or_extreme_day_is_no_500(admin_client, query):
    TrainingSessionFactory()
    response = admin_client.get(SESSIONS, query, follow=True)
    assert response.status_code == 200


def test_day_filters_cost_the_same_with_5_and_45_sessions(admin_client):
    query = {"scheduled": "past7", "scheduled_at__year": date.today().year}

    def count(n):
        while TrainingSession.objects.count() < n:
            TrainingSessionFactory(program=TrainingProgramFactory(athlete=AthleteProfileFactory(timezone="Asia/Tokyo")))
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(SESSIONS, query).status_code == 200
        return len(ctx)

    assert count(5) == count(45)


# --- Upcoming first -----------------------------------------------------------------------------------


def test_upcoming_first_starts_at_each_athletes_own_midnight(admin_client, monkeypatch):
    # 03:00 UTC on the 26th: noon on the 26th in Tokyo, 19:00 on the 25th in Los Angeles.
    freeze(monkeypatch, datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    tokyo, la = program_for("Asia/Tokyo", "Kenji Ito"), program_for("America/Los_Angeles", "Lena Baker")
    for program, title, at in [
        (tokyo, "tokyo this morning", datetime(2026, 11, 25, 22, 0, tzinfo=UTC)),  # 07:00 JST on the 26th
        (tokyo, "tokyo last night", datetime(2026, 11, 25, 12, 0, tzinfo=UTC)),  # 21:00 JST on the 25th
        (tokyo, "tokyo later today", datetime(2026, 11, 26, 5, 0, tzinfo=UTC)),
        (la, "la this morning", datetime(2026, 11, 25, 17, 0, tzinfo=UTC)),  # 09:00 PST on the 25th
        (la, "la yesterday", datetime(2026, 11, 24, 17, 0, tzinfo=UTC)),
        (tokyo, "tokyo next week", datetime(2026, 12, 3, 0, 0, tzinfo=UTC)),
    ]:
        TrainingSessionFactory(program=program, title=title, scheduled_at=at)
    titles = [s.title for s in admin_client.get(SESSIONS).context["cl"].result_list]
    assert titles == [
        # Their athletes' today and later, soonest first: this morning's sessions stay on top, to be marked done.
        "la this morning",
        "tokyo this morning",
        "tokyo later today",
        "tokyo next week",
        # Then the past, most recent first.
        "tokyo last night",
        "la yesterday",
    ]


# --- Bulk "Mark completed" ----------------------------------------------------------------------------

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def due_and_future(monkeypatch):
    """Two sessions due (one exactly at now), one in the future, one already completed; "now" frozen."""
    freeze(monkeypatch, NOW)
    program = program_for("Asia/Tokyo", "Kenji Ito")
    make = TrainingSessionFactory
    return {
        "due": make(program=program, title="due", scheduled_at=NOW - timedelta(days=1), duration_minutes=60),
        "now": make(program=program, title="at now", scheduled_at=NOW, duration_minutes=45),
        "future": make(program=program, title="future", scheduled_at=NOW + timedelta(seconds=1)),
        "done": make(
            program=program,
            title="done",
            scheduled_at=NOW - timedelta(days=2),
            status=SessionStatus.COMPLETED,
            rpe=3,
            completed_at=NOW - timedelta(days=2),
        ),
    }


def mark_completed(client, sessions, **data):
    payload = {"action": "mark_completed", "_selected_action": [str(s.pk) for s in sessions], **data}
    return client.post(SESSIONS, payload, follow=True)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_mark_completed_first_asks_for_rpe_and_duration_and_says_what_will_happen(admin_client, due_and_future):
    response = mark_completed(admin_client, due_and_future.values())
    assert response.status_code == 200
    assert response.templates[0].name == "admin/training/trainingsession/mark_completed.html"
    form = response.context["form"]
    assert set(form.fields) == {"rpe", "duration_minutes"}
    html = response.content.decode()
    assert '<strong class="due-count">2</strong> sessions will be marked completed' in html
    assert '<strong class="future-count">1</strong> is scheduled in the future' in html
    assert 'name="_selected_action"' in html and 'name="apply"' in html
    assert not TrainingSession.objects.filter(title__in=["due", "at now"], status=SessionStatus.COMPLETED).exists()


def test_mark_completed_with_rpe_skips_future_sessions_and_derives_the_load(admin_client, due_and_future):
    response = mark_completed(admin_client, due_and_future.values(), apply="1", rpe="6")
    assert messages_of(response) == [
        "Marked 2 sessions completed with RPE 6 (load = RPE × minutes). 1 future session was left planned: "
        "a session can be marked completed once its scheduled time has passed. 1 was already completed."
    ]
    due, at_now, future, done = (TrainingSession.objects.get(pk=s.pk) for s in due_and_future.values())
    assert (due.status, due.rpe, due.load) == (SessionStatus.COMPLETED, 6, 360)  # 6 × 60 minutes
    assert (at_now.status, at_now.rpe, at_now.load) == (SessionStatus.COMPLETED, 6, 270)  # at now is not future
    assert (future.status, future.rpe, future.completed_at) == (SessionStatus.PLANNED, None, None)
    assert (done.rpe, done.completed_at) == (3, NOW - timedelta(days=2))  # already completed: left as it was
    logged = LogEntry.objects.filter(action_flag=CHANGE)
    assert sorted(e.object_id for e in logged) == sorted([str(due.pk), str(at_now.pk)])


def test_mark_completed_with_an_actual_duration_uses_it_for_the_load(admin_client, due_and_future):
    response = mark_completed(admin_client, [due_and_future["due"]], apply="1", rpe="7", duration_minutes="50")
    assert messages_of(response) == ["Marked 1 session completed with RPE 7 and 50 minutes (load = RPE × minutes)."]
    due = TrainingSession.objects.get(pk=due_and_future["due"].pk)
    # The plan's 60 minutes stay; the 50 done are the actual duration, which the load and compliance read.
    assert (due.duration_minutes, due.actual_duration_minutes, due.rpe, due.load) == (60, 50, 7, 350)


def test_mark_completed_without_rpe_records_none(admin_client, due_and_future):
    response = mark_completed(admin_client, [due_and_future["due"], due_and_future["now"]], apply="1", rpe="")
    assert messages_of(response) == ["Marked 2 sessions completed."]
    for session in TrainingSession.objects.filter(title__in=["due", "at now"]):
        assert (session.status, session.rpe, session.load) == (SessionStatus.COMPLETED, None, None)
        assert session.completed_at is not None


def test_only_future_sessions_selected_marks_nothing_and_says_why(admin_client, due_and_future):
    later = TrainingSessionFactory(
        program=due_and_future["future"].program, title="skipped ahead", status=SessionStatus.SKIPPED,
        scheduled_at=NOW + timedelta(days=1),
    )  # fmt: skip
    response = mark_completed(admin_client, [due_and_future["future"], later], apply="1", rpe="5")
    assert messages_of(response) == [
        "No session was marked completed. 2 future sessions were left unchanged: "
        "a session can be marked completed once its scheduled time has passed."
    ]
    assert not TrainingSession.objects.filter(pk__in=[due_and_future["future"].pk, later.pk], status="completed")
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("rpe", "11"), ("rpe", "-1"), ("rpe", "six"), ("duration_minutes", "0"), ("duration_minutes", "1441")],
)
def test_an_out_of_range_rpe_or_duration_is_a_form_error_and_changes_nothing(
    admin_client, due_and_future, field, value
):
    response = mark_completed(admin_client, due_and_future.values(), apply="1", **{field: value})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert TrainingSession.objects.filter(status=SessionStatus.COMPLETED).count() == 1  # only the one already done


def test_the_boundaries_of_rpe_are_accepted(admin_client, due_and_future):
    mark_completed(admin_client, [due_and_future["due"]], apply="1", rpe="0")
    mark_completed(admin_client, [due_and_future["now"]], apply="1", rpe="10", duration_minutes="1440")
    assert TrainingSession.objects.get(pk=due_and_future["due"].pk).load == 0
    assert TrainingSession.objects.get(pk=due_and_future["now"].pk).load == 14400


def test_mark_completed_costs_the_same_for_3_and_30_sessions(admin_client, monkeypatch):
    freeze(monkeypatch, NOW)
    program = program_for("Asia/Tokyo", "Kenji Ito")

    def count(n):
        sessions = [
            TrainingSessionFactory(program=program, scheduled_at=NOW - timedelta(hours=i + 1)) for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            response = mark_completed(admin_client, sessions, apply="1", rpe="5")
        assert messages_of(response)[0].startswith(f"Marked {n} sessions completed with RPE 5")
        return len(ctx)

    count(3)  # the first bulk change also reads the content type the admin log names (cached afterwards)
    assert count(3) == count(30)


# --- Pickers that tell phases and weeks apart ---------------------------------------------------------


def test_two_phases_named_base_and_their_weeks_have_distinct_labels(admin_client):
    program = program_for("Asia/Tokyo", "Kenji Ito")  # 2026-11-02 … 2026-12-27
    first = ProgramPhaseFactory(
        program=program, name="Base", phase_order=1, start_date=date(2026, 11, 2), end_date=date(2026, 11, 15)
    )
    again = ProgramPhaseFactory(
        program=program, name="Base", phase_order=3, start_date=date(2026, 12, 7), end_date=date(2026, 12, 27)
    )
    week_1 = MicroCycleFactory(program=program, phase=first, week_index=1)
    week_6 = MicroCycleFactory(program=program, phase=again, week_index=6)
    assert phase_label(first) == f"Kenji Ito · {program.title} · 1. Base (2026-11-02 – 11-15)"
    assert cycle_label(week_6) == f"Kenji Ito · {program.title} · Week 6 (2026-12-07 – 12-13), 3. Base"
    params = {"app_label": "training", "model_name": "trainingsession", "term": "", "forward_program": program.pk}
    autocomplete = reverse("admin:autocomplete")
    phases = [r["text"] for r in admin_client.get(autocomplete, {**params, "field_name": "phase"}).json()["results"]]
    weeks = [
        r["text"] for r in admin_client.get(autocomplete, {**params, "field_name": "micro_cycle"}).json()["results"]
    ]
    assert phases == [phase_label(first), phase_label(again)] and len(set(phases)) == 2
    assert weeks == [cycle_label(week_1), cycle_label(week_6)]
    assert weeks[0].endswith("Week 1 (2026-11-02 – 11-08), 1. Base")


def test_a_week_across_new_year_shows_both_years():
    program = TrainingProgramFactory(start_date=date(2026, 12, 28), end_date=date(2027, 2, 7))
    assert "Week 1 (2026-12-28 – 2027-01-03)" in cycle_label(MicroCycleFactory(program=program, week_index=1))


@pytest.mark.parametrize("url_name", ["admin:training_trainingsession_add", "admin:training_microcycle_add"])
def test_the_pickers_are_wide_enough_for_their_labels(admin_client, url_name):
    html = admin_client.get(reverse(url_name)).content.decode()
    for name in ("program", "phase") + (("micro_cycle",) if "session" in url_name else ()):
        tag = html.split(f'name="{name}"')[0].rsplit("<select", 1)[1] + html.split(f'name="{name}"')[1].split(">")[0]
        assert 'style="width: 44em"' in tag, (name, tag)
