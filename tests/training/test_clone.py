"""Copying a program to another athlete: POST /api/v1/programs/{id}/clone/ and the admin's "Copy to athlete…"."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    ExerciseFactory,
    MicroCycleFactory,
    PerformedSetFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    structure_with,
)
from training.cloning import local_wall_clock_moved
from training.models import MicroCycle, PlanStatus, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db

OSLO, NEW_YORK = ZoneInfo("Europe/Oslo"), ZoneInfo("America/New_York")
SOURCE_START = date(2030, 3, 18)  # Europe leaves winter time on Sunday 2030-03-31 (day 13)
TARGET_START = date(2030, 10, 21)  # New York leaves summer time on Sunday 2030-11-03 (day 13 too)
DAYS = (TARGET_START - SOURCE_START).days


def url(program) -> str:
    return f"/api/v1/programs/{program.pk}/clone/"


def at_local(day: date, hour: int, minute: int = 0, tz=OSLO) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def build_source(athlete, *, sessions_per_day=1):
    """A four-week program in Oslo: two phases, four cycles, sessions at 07:00 local every other day (across
    the DST change), one completed with RPE and load, one skipped, all with a planned load."""
    program = TrainingProgramFactory(
        athlete=athlete,
        title="Spring base",
        start_date=SOURCE_START,
        end_date=SOURCE_START + timedelta(days=27),
        macro_cycle="Season 2030",
        status=PlanStatus.CURRENT,
    )
    first = ProgramPhaseFactory(
        program=program,
        phase_order=1,
        name="Base",
        start_date=SOURCE_START,
        end_date=SOURCE_START + timedelta(days=13),
        status=PlanStatus.CURRENT,
    )
    second = ProgramPhaseFactory(
        program=program,
        phase_order=2,
        name="Build",
        start_date=SOURCE_START + timedelta(days=14),
        end_date=SOURCE_START + timedelta(days=27),
    )
    cycles = [
        MicroCycleFactory(
            program=program,
            phase=first if week <= 2 else second,
            week_index=week,
            readiness_score=80,
            status=PlanStatus.CURRENT if week == 1 else PlanStatus.PLANNED,
        )
        for week in range(1, 5)
    ]
    for day in range(0, 28, 2):
        for n in range(sessions_per_day):
            local_day = SOURCE_START + timedelta(days=day)
            TrainingSessionFactory(
                program=program,
                phase=first if day < 14 else second,
                micro_cycle=cycles[day // 7],
                title=f"Run day {day} #{n}",
                scheduled_at=at_local(local_day, 7, n),
                planned_load=Decimal("300.00"),
            )
    completed = TrainingSession.objects.filter(program=program).order_by("scheduled_at").first()
    completed.status = SessionStatus.COMPLETED
    completed.completed_at = completed.scheduled_at + timedelta(hours=1)
    completed.rpe, completed.load = 6, Decimal("360.00")
    completed.save()
    TrainingSession.objects.filter(program=program, title="Run day 2 #0").update(status=SessionStatus.SKIPPED)
    return program


@pytest.fixture
def target():
    return AthleteProfileFactory(display_name="Copy target", timezone="America/New_York")


def counts():
    return (
        TrainingProgram.objects.count(),
        ProgramPhase.objects.count(),
        MicroCycle.objects.count(),
        TrainingSession.objects.count(),
    )


def test_clone_copies_the_whole_plan_to_another_zone(coach_client, athlete, target):
    source = build_source(athlete)
    response = coach_client.post(
        url(source), {"athleteId": str(target.pk), "startDate": TARGET_START.isoformat()}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    copy = TrainingProgram.objects.get(pk=body["id"])
    assert response.headers["ETag"] == f'"{copy.version}"'
    assert body["athleteId"] == str(target.pk)
    assert (body["title"], body["macroCycle"], body["status"]) == ("Spring base", "Season 2030", "planned")
    assert (body["startDate"], body["endDate"]) == ("2030-10-21", "2030-11-17")

    # Counts equal, phases and cycles moved and reset.
    assert copy.phases.count() == 2 and copy.micro_cycles.count() == 4
    assert copy.sessions.count() == source.sessions.count() == 14
    for old, new in zip(source.phases.order_by("phase_order"), copy.phases.order_by("phase_order"), strict=True):
        assert (new.name, new.focus, new.phase_order) == (old.name, old.focus, old.phase_order)
        assert new.start_date == old.start_date + timedelta(days=DAYS)
        assert new.end_date == old.end_date + timedelta(days=DAYS)
        assert new.status == PlanStatus.PLANNED
    for old, new in zip(
        source.micro_cycles.order_by("week_index"), copy.micro_cycles.order_by("week_index"), strict=True
    ):
        assert new.week_index == old.week_index and new.status == PlanStatus.PLANNED
        assert new.readiness_score is None
        assert new.phase.phase_order == old.phase.phase_order and new.phase.program_id == copy.pk

    # Every session: the date moved, 07:00 local kept (in New York, across its DST change), completed data gone.
    old_sessions = list(source.sessions.order_by("scheduled_at"))
    new_sessions = list(copy.sessions.select_related("phase", "micro_cycle").order_by("scheduled_at"))
    utc_hours = set()
    for old, new in zip(old_sessions, new_sessions, strict=True):
        old_local, new_local = old.scheduled_at.astimezone(OSLO), new.scheduled_at.astimezone(NEW_YORK)
        assert new_local.date() == old_local.date() + timedelta(days=DAYS)
        assert new_local.time() == old_local.time() == time(7, 0)
        utc_hours.add(new.scheduled_at.astimezone(UTC).hour)
        assert (new.title, new.duration_minutes, new.modality) == (old.title, old.duration_minutes, old.modality)
        assert new.status == SessionStatus.PLANNED
        assert (new.completed_at, new.load, new.rpe) == (None, None, None)
        assert new.planned_load == old.planned_load == Decimal("300.00")
        assert new.athlete_id == target.pk
        assert new.phase.phase_order == old.phase.phase_order and new.phase.program_id == copy.pk
        assert new.micro_cycle.week_index == old.micro_cycle.week_index and new.micro_cycle.program_id == copy.pk
    assert utc_hours == {11, 12}  # 07:00 EDT before 2030-11-03, 07:00 EST after
    # The source is untouched.
    assert source.sessions.filter(status=SessionStatus.COMPLETED, rpe=6).count() == 1

    # The copy's metrics: nothing due yet, its first session next, its cycles count their sessions.
    assert body["totalWeeks"] == 4 and body["completedWeeks"] == 0
    assert body["adherenceRate"] is None and body["currentPhaseId"] is None
    assert body["nextSessionId"] == str(new_sessions[0].pk)
    cycles = coach_client.get("/api/v1/micro-cycles/", {"programId": body["id"]}).json()["results"]
    assert [(c["weekIndex"], c["sessionsPlanned"], c["sessionsCompleted"]) for c in cycles] == [
        (1, 4, 0),
        (2, 3, 0),
        (3, 4, 0),
        (4, 3, 0),
    ]


def test_clone_takes_a_title_and_copies_to_the_same_athlete(coach_client, athlete):
    source = build_source(athlete)
    response = coach_client.post(
        url(source), {"athleteId": str(athlete.pk), "startDate": "2031-01-06", "title": "  Again  "}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Again"
    copy = TrainingProgram.objects.get(pk=response.json()["id"])
    # Same zone, winter to winter: 07:00 local is 06:00 UTC for every session, before and after DST in the source.
    assert {s.scheduled_at.astimezone(OSLO).time() for s in copy.sessions.all()} == {time(7, 0)}
    # The source stays its athlete's current program; the copy is planned, so no second current program.
    assert TrainingProgram.objects.filter(athlete=athlete, status=PlanStatus.CURRENT).count() == 1


def test_clone_copies_each_sessions_workout_but_not_the_logged_sets(coach_client, athlete, target):
    source = build_source(athlete)
    squat, old = ExerciseFactory(name="Squat"), ExerciseFactory(name="Old lift")
    sessions = list(source.sessions.order_by("scheduled_at"))
    sessions[0].structure = structure_with(squat, percent1rm=80)
    sessions[0].save()
    sessions[1].structure = structure_with(old)
    sessions[1].save()
    old.archived = True  # a plan that already names an archived exercise keeps it in its copies
    old.save()
    PerformedSetFactory(session=sessions[0], exercise=squat)
    response = coach_client.post(url(source), {"athleteId": str(target.pk), "startDate": "2030-10-21"}, format="json")
    assert response.status_code == 201, response.content
    copies = list(TrainingSession.objects.filter(program_id=response.json()["id"]).order_by("scheduled_at"))
    assert [c.structure for c in copies] == [s.structure for s in source.sessions.order_by("scheduled_at")]
    assert copies[1].structure_totals == {
        "seconds": 600 + 5 * 120 + 3 * 120,
        "meters": 5000,
        "sets": 3,
        "volumeKg": 1500.0,
    }
    assert copies[0].structure_totals["volumeKg"] == 0.0  # %1RM sets: their load is the athlete's, at read time
    assert not copies[0].performed_sets.exists()
    shown = coach_client.get(f"/api/v1/sessions/{copies[1].pk}/").json()
    assert shown["structureSummary"] == copies[1].structure_totals


def test_clone_query_count_does_not_grow_with_sessions(coach_client, athlete, target):
    small = build_source(athlete, sessions_per_day=1)
    # 42 sessions still fit one INSERT on SQLite (999 parameters a statement); PostgreSQL takes thousands.
    big = build_source(AthleteProfileFactory(timezone="Europe/Oslo"), sessions_per_day=3)
    assert big.sessions.count() == 3 * small.sessions.count()

    def cost(program, start):
        with CaptureQueriesContext(connection) as ctx:
            response = coach_client.post(url(program), {"athleteId": str(target.pk), "startDate": start}, format="json")
        assert response.status_code == 201, response.content
        inserts = [
            q["sql"] for q in ctx.captured_queries if q["sql"].startswith('INSERT INTO "training_trainingsession"')
        ]
        assert len(inserts) == 1  # one bulk insert
        return len(ctx.captured_queries)

    few, many = cost(small, "2030-10-21"), cost(big, "2031-10-20")
    assert few == many, f"{few} queries for 14 sessions, {many} for 42"


def test_a_copy_that_breaks_a_rule_is_refused_whole(coach_client, athlete, target):
    source = build_source(athlete)
    # A session written around the rules (an import, an old row) that no longer lies in its program's dates.
    stray = source.sessions.order_by("scheduled_at").last()
    TrainingSession.objects.filter(pk=stray.pk).update(scheduled_at=at_local(SOURCE_START + timedelta(days=40), 7))
    before = counts()
    response = coach_client.post(
        url(source), {"athleteId": str(target.pk), "startDate": TARGET_START.isoformat()}, format="json"
    )
    assert response.status_code == 400
    message = " ".join(response.json()["nonFieldErrors"])
    assert stray.title in message and "outside the program" in message
    assert counts() == before


def test_a_database_refusal_half_way_leaves_nothing(coach_client, athlete, target, monkeypatch):
    source = build_source(athlete)
    before = counts()

    def refuse(*args, **kwargs):
        raise IntegrityError("session_title_not_blank")

    monkeypatch.setattr(TrainingSession.objects, "bulk_create", refuse)
    response = coach_client.post(
        url(source), {"athleteId": str(target.pk), "startDate": TARGET_START.isoformat()}, format="json"
    )
    assert response.status_code == 400
    assert counts() == before  # the program, phases and cycles written before it are gone too


def test_a_copy_ending_past_the_calendar_is_400(coach_client, athlete, target):
    source = build_source(athlete)
    before = counts()
    response = coach_client.post(url(source), {"athleteId": str(target.pk), "startDate": "2999-12-10"}, format="json")
    assert response.status_code == 400 and "startDate" in response.json()
    assert counts() == before
    # The last start that still fits is accepted.
    response = coach_client.post(url(source), {"athleteId": str(target.pk), "startDate": "2999-12-04"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["endDate"] == "2999-12-31"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"startDate": "2030-10-21"}, "athleteId"),
        ({"athleteId": "not-a-uuid", "startDate": "2030-10-21"}, "athleteId"),
        ({"athleteId": "TARGET"}, "startDate"),
        ({"athleteId": "TARGET", "startDate": "2030-02-30"}, "startDate"),
        ({"athleteId": "TARGET", "startDate": "1899-12-31"}, "startDate"),
        ({"athleteId": "TARGET", "startDate": "2030-10-21", "title": "x" * 121}, "title"),
        ({"athleteId": "TARGET", "startDate": "2030-10-21", "title": "   "}, "title"),
    ],
)
def test_bad_clone_input_is_400(body, field, coach_client, athlete, target):
    source = build_source(athlete)
    body = {k: (str(target.pk) if v == "TARGET" else v) for k, v in body.items()}
    before = counts()
    response = coach_client.post(url(source), body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert counts() == before


def test_title_of_120_characters_is_accepted(coach_client, athlete, target):
    source = build_source(athlete)
    body = {"athleteId": str(target.pk), "startDate": "2030-10-21", "title": "x" * 120}
    assert coach_client.post(url(source), body, format="json").status_code == 201


def test_clone_access(coach_client, athlete_client, athlete, target, anon_client):
    source = build_source(athlete)
    body = {"athleteId": str(target.pk), "startDate": "2030-10-21"}
    before = counts()
    assert anon_client.post(url(source), body, format="json").status_code == 401
    # Athletes never clone, not even their own program.
    assert athlete_client.post(url(source), body, format="json").status_code == 403
    # An unknown program or athlete is 404.
    unknown = "0190a1b2-0000-7000-8000-000000000000"
    assert coach_client.post(f"/api/v1/programs/{unknown}/clone/", body, format="json").status_code == 404
    response = coach_client.post(url(source), {**body, "athleteId": unknown}, format="json")
    assert response.status_code == 404
    assert coach_client.get(url(source)).status_code == 405
    assert counts() == before


@pytest.mark.parametrize(
    ("source_tz", "local", "target_day", "target_tz", "expected_utc"),
    [
        # 02:30 does not exist in Oslo on 2030-03-31: forward by the gap, 03:30 CEST.
        ("UTC", time(2, 30), date(2030, 3, 31), "Europe/Oslo", datetime(2030, 3, 31, 1, 30, tzinfo=UTC)),
        # 02:30 happens twice in Oslo on 2030-10-27: the first (CEST, UTC+2).
        ("UTC", time(2, 30), date(2030, 10, 27), "Europe/Oslo", datetime(2030, 10, 27, 0, 30, tzinfo=UTC)),
        # 07:00 in Oslo in winter to 07:00 in New York in summer.
        ("Europe/Oslo", time(7), date(2030, 7, 1), "America/New_York", datetime(2030, 7, 1, 11, 0, tzinfo=UTC)),
        # Across the date line: 23:30 in Auckland stays 23:30 on the moved date in Honolulu.
        (
            "Pacific/Auckland",
            time(23, 30),
            date(2030, 5, 5),
            "Pacific/Honolulu",
            datetime(2030, 5, 6, 9, 30, tzinfo=UTC),
        ),
    ],
)
def test_local_wall_clock_moved(source_tz, local, target_day, target_tz, expected_utc):
    source_day = date(2030, 1, 6)
    instant = datetime.combine(source_day, local, tzinfo=ZoneInfo(source_tz))
    moved = local_wall_clock_moved(
        instant, source_tz=ZoneInfo(source_tz), target_tz=ZoneInfo(target_tz), days=(target_day - source_day).days
    )
    assert moved.astimezone(UTC) == expected_utc


def test_clone_into_a_dst_gap_moves_forward(coach_client):
    source_athlete = AthleteProfileFactory(timezone="UTC")
    source = TrainingProgramFactory(athlete=source_athlete, start_date=date(2030, 1, 1), end_date=date(2030, 1, 7))
    TrainingSessionFactory(program=source, scheduled_at=datetime(2030, 1, 3, 2, 30, tzinfo=UTC))
    target = AthleteProfileFactory(timezone="Europe/Oslo")
    response = coach_client.post(url(source), {"athleteId": str(target.pk), "startDate": "2030-03-29"}, format="json")
    assert response.status_code == 201, response.content
    session = TrainingSession.objects.get(program_id=response.json()["id"])
    local = session.scheduled_at.astimezone(OSLO)
    assert (local.date(), local.time()) == (date(2030, 3, 31), time(3, 30))


# --- The admin's "Copy to athlete…" ----------------------------------------------------------------


CHANGELIST = reverse("admin:training_trainingprogram_changelist")


def test_admin_copy_shows_a_form_then_copies(admin_client, athlete, target):
    source = build_source(athlete)
    action = {"action": "copy_to_athlete", "_selected_action": [str(source.pk)]}
    page = admin_client.post(CHANGELIST, action)
    assert page.status_code == 200
    assert b'name="start_date"' in page.content and b'name="athlete"' in page.content
    assert TrainingProgram.objects.count() == 1

    response = admin_client.post(
        CHANGELIST, {**action, "apply": "1", "athlete": str(target.pk), "start_date": "2030-10-21", "title": ""}
    )
    copy = TrainingProgram.objects.exclude(pk=source.pk).get()
    assert response.status_code == 302 and response.url == reverse(
        "admin:training_trainingprogram_change", args=[copy.pk]
    )
    assert (copy.athlete_id, copy.start_date, copy.title, copy.status) == (
        target.pk,
        TARGET_START,
        "Spring base",
        PlanStatus.PLANNED,
    )
    assert copy.sessions.count() == 14 and copy.phases.count() == 2 and copy.micro_cycles.count() == 4
    assert {s.scheduled_at.astimezone(NEW_YORK).time() for s in copy.sessions.all()} == {time(7, 0)}


def test_admin_copy_reshows_the_form_on_errors(admin_client, athlete, target):
    source = build_source(athlete)
    action = {"action": "copy_to_athlete", "_selected_action": [str(source.pk)], "apply": "1"}
    page = admin_client.post(CHANGELIST, {**action, "athlete": str(target.pk), "start_date": "not a date"})
    assert page.status_code == 200 and b"errorlist" in page.content
    stray = source.sessions.order_by("scheduled_at").last()
    TrainingSession.objects.filter(pk=stray.pk).update(scheduled_at=at_local(SOURCE_START + timedelta(days=40), 7))
    page = admin_client.post(CHANGELIST, {**action, "athlete": str(target.pk), "start_date": "2030-10-21"})
    assert page.status_code == 200 and "outside the program" in page.content.decode()
    assert TrainingProgram.objects.count() == 1


def test_admin_copy_needs_exactly_one_program(admin_client, athlete):
    first = build_source(athlete)
    second = TrainingProgramFactory(athlete=athlete, start_date=date(2031, 1, 1), end_date=date(2031, 2, 1))
    response = admin_client.post(
        CHANGELIST, {"action": "copy_to_athlete", "_selected_action": [str(first.pk), str(second.pk)]}, follow=True
    )
    assert "Select exactly one program" in response.content.decode()
    assert TrainingProgram.objects.count() == 2
