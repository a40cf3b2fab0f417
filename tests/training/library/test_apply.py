"""A program saved as a template, and a template applied to athletes: dates, local times in each athlete's own
timezone (DST days included), phases and weeks, all or nothing, who may, and what it costs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.factories.athletes import AthleteProfileFactory, SquadFactory
from tests.support.factories.training import (
    ProgramPhaseFactory,
    ProgramTemplateFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    template_session,
)
from training.library import services as library_services
from training.library.models import ProgramTemplate
from training.models import MicroCycle, ProgramPhase, TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db


def _apply(client, template, **body):
    return client.post(f"/api/v1/program-templates/{template.pk}/apply/", body, format="json")


def _athlete(world, timezone: str, name: str = "Athlete"):
    athlete = AthleteProfileFactory(timezone=timezone, display_name=name)
    athlete.coaches.add(world.coach)
    return athlete


def _local(session) -> tuple[date, str]:
    local = session.scheduled_at.astimezone(ZoneInfo(session.athlete.timezone))
    return local.date(), local.strftime("%H:%M")


# --- Applying -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Europe/Oslo", "America/New_York", "Asia/Tokyo", "Australia/Sydney"])
def test_each_athlete_gets_the_templates_local_times_in_their_own_timezone_across_dst(world, zone):
    # 2030: Europe springs forward on 31 March, the US on 10 March, Sydney falls back on 7 April; Tokyo never.
    template = ProgramTemplateFactory(
        owner=world.coach,
        weeks=6,
        sessions=[template_session(week, day, "07:30") for week in range(1, 7) for day in (1, 7)],
    )
    athlete = _athlete(world, zone)
    start = date(2030, 3, 4)  # a Monday
    response = _apply(world.client("coach"), template, athleteIds=[str(athlete.pk)], startDate=str(start))
    assert response.status_code == 201, response.content
    program = TrainingProgram.objects.get(pk=response.json()["programs"][0]["programId"])
    sessions = list(TrainingSession.objects.filter(program=program).order_by("scheduled_at"))
    assert [_local(s) for s in sessions] == [
        (start + timedelta(days=7 * (week - 1) + day - 1), "07:30") for week in range(1, 7) for day in (1, 7)
    ]


def test_a_start_on_another_weekday_puts_each_day_in_its_week(world):
    # Week 1 runs from the start date (a Wednesday) to the Tuesday after: its Monday is the sixth day.
    template = ProgramTemplateFactory(
        owner=world.coach, weeks=2, phases=[], sessions=[template_session(1, 1), template_session(1, 3)]
    )
    athlete = _athlete(world, "UTC")
    start = date(2030, 1, 2)
    program_id = _apply(world.client("coach"), template, athleteIds=[str(athlete.pk)], startDate=str(start)).json()[
        "programs"
    ][0]["programId"]
    days = sorted(_local(s)[0] for s in TrainingSession.objects.filter(program_id=program_id))
    assert days == [start, start + timedelta(days=5)]


def test_phases_weeks_and_sessions_follow_the_template(world):
    template = world.A["program-templates"]  # four weeks: Base 1–2, Build 3–4; Monday and Thursday sessions
    athlete = world.A["athletes"]
    start = date(2030, 6, 3)
    response = _apply(world.client("coach"), template, athleteIds=[str(athlete.pk)], startDate=str(start))
    program = TrainingProgram.objects.get(pk=response.json()["programs"][0]["programId"])
    assert (program.title, program.status, program.start_date, program.end_date) == (
        template.title,
        "planned",
        start,
        start + timedelta(days=27),
    )
    phases = list(ProgramPhase.objects.filter(program=program).order_by("phase_order"))
    assert [(p.name, p.start_date, p.end_date, p.status) for p in phases] == [
        ("Base", start, start + timedelta(days=13), "planned"),
        ("Build", start + timedelta(days=14), start + timedelta(days=27), "planned"),
    ]
    cycles = {c.week_index: c for c in MicroCycle.objects.filter(program=program)}
    assert sorted(cycles) == [1, 2, 3, 4]
    assert [cycles[w].phase_id for w in (1, 2, 3, 4)] == [phases[0].pk, phases[0].pk, phases[1].pk, phases[1].pk]
    for session in TrainingSession.objects.filter(program=program).select_related("micro_cycle", "athlete"):
        day, _ = _local(session)
        week = (day - start).days // 7 + 1
        assert session.micro_cycle.week_index == week
        assert session.phase_id == cycles[week].phase_id
        assert (session.status, session.planned_load, session.duration_minutes) == ("planned", 300, 45)
        session.full_clean()  # every rule of the plan holds for the written rows


def test_the_title_may_be_given_and_structures_come_along(world):
    structure = {"steps": [{"kind": "work", "duration": {"seconds": 600}}]}
    template = ProgramTemplateFactory(
        owner=world.coach, weeks=1, phases=[], sessions=[template_session(1, 2, structure=structure)]
    )
    athlete = world.A["athletes"]
    body = _apply(
        world.client("coach"), template, athleteIds=[str(athlete.pk)], startDate="2030-01-07", title="Winter base"
    ).json()
    program = TrainingProgram.objects.get(pk=body["programs"][0]["programId"])
    assert program.title == "Winter base"
    session = TrainingSession.objects.get(program=program)
    assert session.structure == structure
    assert session.structure_totals == {"seconds": 600, "meters": 0, "sets": 0, "volumeKg": 0.0}


def test_a_squad_gives_its_members_the_caller_may_see(world):
    mine = [_athlete(world, "UTC", f"Mine {i}") for i in range(3)]
    squad = SquadFactory(coaches=[world.coach], athletes=[*mine, world.B["athletes"]])
    response = _apply(
        world.client("coach"), world.A["program-templates"], squadId=str(squad.pk), startDate="2030-01-07"
    )
    assert response.status_code == 201, response.content
    assert sorted(row["athleteId"] for row in response.json()["programs"]) == sorted(str(a.pk) for a in mine)
    assert not TrainingProgram.objects.filter(athlete=world.B["athletes"], start_date=date(2030, 1, 7)).exists()


def test_an_athlete_the_caller_may_not_see_is_404_and_nothing_is_written(world):
    before = TrainingProgram.objects.count()
    ids = [str(world.A["athletes"].pk), str(world.B["athletes"].pk)]
    response = _apply(world.client("coach"), world.A["program-templates"], athleteIds=ids, startDate="2030-01-07")
    assert response.status_code == 404
    assert str(world.B["athletes"].pk) in response.json()["detail"]
    assert TrainingProgram.objects.count() == before


def test_a_rule_broken_for_one_athlete_names_them_and_writes_nothing(world, monkeypatch):
    good, bad = _athlete(world, "UTC", "Good"), _athlete(world, "Asia/Tokyo", "Ada Lovelace")
    real = library_services._plan_for

    def plan_for(template, athlete, start, title):
        plan = real(template, athlete, start, title)
        if athlete.pk == bad.pk:  # as if her timezone put a session outside its week
            plan[3][0].scheduled_at = datetime(2031, 1, 1, tzinfo=UTC)
            library_services._checked(plan[3][0], exclude=["program", "athlete", "phase", "micro_cycle"], what="S")
        return plan

    monkeypatch.setattr(library_services, "_plan_for", plan_for)
    before = (TrainingProgram.objects.count(), TrainingSession.objects.count())
    response = _apply(
        world.client("coach"),
        world.A["program-templates"],
        athleteIds=[str(good.pk), str(bad.pk)],
        startDate="2030-01-07",
    )
    assert response.status_code == 400
    messages = response.json()["athleteIds"]
    assert messages and all(m.startswith(f"Ada Lovelace ({bad.pk}): S: ") for m in messages)
    assert (TrainingProgram.objects.count(), TrainingSession.objects.count()) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"startDate": "2030-01-07"}, "nonFieldErrors"),
        ({"startDate": "2030-01-07", "athleteIds": [], "squadId": None}, "athleteIds"),
        ({"startDate": "2030-01-07", "athleteIds": ["x"]}, "athleteIds"),
        ({"startDate": "2030-01-07", "athleteIds": [str(i) for i in range(101)]}, "athleteIds"),
        ({"startDate": "nope", "athleteIds": None}, "startDate"),
        ({"athleteIds": []}, "startDate"),
        ({"startDate": "2999-12-20", "athleteIds": "A"}, "startDate"),
    ],
)
def test_a_malformed_apply_is_400(world, body, field):
    if body.get("athleteIds") == "A":
        body = {**body, "athleteIds": [str(world.A["athletes"].pk)]}
    if body.get("athleteIds") is None and "athleteIds" in body:
        body = {**body, "athleteIds": [str(world.A["athletes"].pk)]}
    response = _apply(world.client("coach"), world.A["program-templates"], **body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


def test_both_athlete_ids_and_a_squad_is_400(world):
    response = _apply(
        world.client("coach"),
        world.A["program-templates"],
        athleteIds=[str(world.A["athletes"].pk)],
        squadId=str(world.A["squads"].pk),
        startDate="2030-01-07",
    )
    assert response.status_code == 400
    assert response.json() == {"nonFieldErrors": ["Give either athleteIds or squadId."]}


def test_another_coachs_squad_is_404_and_an_empty_one_400(world):
    client = world.client("coach")
    template = world.A["program-templates"]
    assert _apply(client, template, squadId=str(world.B["squads"].pk), startDate="2030-01-07").status_code == 404
    empty = SquadFactory(coaches=[world.coach])
    response = _apply(client, template, squadId=str(empty.pk), startDate="2030-01-07")
    assert response.status_code == 400
    assert "squadId" in response.json()


@pytest.mark.parametrize(
    ("role", "template", "status"),
    [
        ("coach", "A", 201),
        ("head coach", "B", 201),
        ("superuser", "A", 201),
        ("coach", "B", 404),  # another coach's unshared template
        ("coach without athletes", "A", 404),
        ("athlete", "A", 403),
        ("operations", "A", 403),
        ("staff without groups", "A", 403),
        ("anonymous", "A", 401),
    ],
)
def test_who_may_apply(world, role, template, status):
    before = TrainingProgram.objects.count()
    response = _apply(
        world.client(role),
        world[template]["program-templates"],
        athleteIds=[str(world.A["athletes"].pk)],
        startDate="2030-01-07",
    )
    assert response.status_code == status, response.content
    assert TrainingProgram.objects.count() == before + (status == 201)


def test_a_shared_template_is_applied_by_any_coach(world):
    theirs = world.B["program-templates"]
    ProgramTemplate.objects.filter(pk=theirs.pk).update(shared=True)
    response = _apply(world.client("coach"), theirs, athleteIds=[str(world.A["athletes"].pk)], startDate="2030-01-07")
    assert response.status_code == 201


def _count_apply(world, n: int) -> int:
    template = ProgramTemplateFactory(
        owner=world.coach, weeks=3, sessions=[template_session(w, d) for w in (1, 2, 3) for d in (1, 3, 5)]
    )
    athletes = [_athlete(world, ("UTC", "Asia/Tokyo", "America/Denver")[i % 3]) for i in range(n)]
    with CaptureQueriesContext(connection) as ctx:
        response = _apply(
            world.client("coach"), template, athleteIds=[str(a.pk) for a in athletes], startDate="2030-01-07"
        )
    assert response.status_code == 201, response.content
    assert (
        TrainingSession.objects.filter(program__in=[r["programId"] for r in response.json()["programs"]]).count()
        == 9 * n
    )
    return len(ctx.captured_queries)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite cuts a bulk insert into statements of at most 999 parameters, so its count grows with the rows; "
    "PostgreSQL inserts each table's rows in one statement",
)
def test_applying_costs_the_same_queries_for_2_or_20_athletes(world):
    assert _count_apply(world, 2) == _count_apply(world, 20)


# --- Saving a program as a template -------------------------------------------------------------------------------


def _save(client, program, **body):
    return client.post(f"/api/v1/programs/{program.pk}/save-as-template/", body, format="json")


def _oslo_program(world, start: date, weeks: int):
    athlete = world.A["athletes"]  # Europe/Oslo
    program = TrainingProgramFactory(
        athlete=athlete, title="Spring", start_date=start, end_date=start + timedelta(days=7 * weeks - 1)
    )
    ProgramPhaseFactory(
        program=program,
        name="Base",
        focus="Aerobic",
        phase_order=1,
        start_date=start,
        end_date=start + timedelta(days=9),
    )
    ProgramPhaseFactory(
        program=program,
        name="Build",
        focus="Tempo",
        phase_order=2,
        start_date=start + timedelta(days=10),
        end_date=start + timedelta(days=7 * weeks - 1),
    )
    tz = ZoneInfo("Europe/Oslo")
    times = [
        (start + timedelta(days=offset), hour, minute)
        for offset, hour, minute in [(0, 7, 30), (5, 18, 0), (6, 2, 30), (7, 23, 59), (12, 6, 0), (13, 0, 0)]
    ]
    for day, hour, minute in times:
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        TrainingSessionFactory(program=program, scheduled_at=local, title=f"{day} {hour}:{minute}", planned_load=200)
    return program


def test_save_then_apply_on_the_same_start_reproduces_dates_and_local_times_across_dst(world):
    # Monday 25 March 2030; Oslo springs forward on Sunday 31 March (02:00 → 03:00).
    start = date(2030, 3, 25)
    program = _oslo_program(world, start, weeks=2)
    client = world.client("coach")
    saved = _save(client, program, title="Spring again", shared=True)
    assert saved.status_code == 201, saved.content
    body = saved.json()
    assert (body["title"], body["weeks"], body["shared"], body["ownerId"]) == ("Spring again", 2, True, world.coach.pk)
    # The phases by week: Base covers days 0–9 (weeks 1–2), Build days 10–13 (week 2, taken): Base only.
    assert body["phases"] == [{"name": "Base", "focus": "Aerobic", "startWeek": 1, "endWeek": 2}]
    assert [(s["week"], s["day"], s["time"]) for s in body["sessions"]] == [
        (1, 1, "07:30"),
        (1, 6, "18:00"),
        (1, 7, "03:30"),
        (2, 1, "23:59"),
        (2, 6, "06:00"),
        (2, 7, "00:00"),
    ]
    template = ProgramTemplate.objects.get(pk=body["id"])
    applied = _apply(client, template, athleteIds=[str(world.A["athletes"].pk)], startDate=str(start)).json()
    copy = applied["programs"][0]["programId"]
    original = [_local(s) for s in TrainingSession.objects.filter(program=program).order_by("scheduled_at")]
    again = [_local(s) for s in TrainingSession.objects.filter(program_id=copy).order_by("scheduled_at")]
    assert again == original


def test_phases_that_share_a_week_give_it_to_the_earlier_one(world):
    start = date(2030, 1, 7)
    program = TrainingProgramFactory(athlete=world.A["athletes"], start_date=start, end_date=start + timedelta(days=27))
    for order, (first, last) in enumerate([(0, 9), (10, 11), (12, 27)], start=1):
        ProgramPhaseFactory(
            program=program,
            phase_order=order,
            name=f"P{order}",
            start_date=start + timedelta(first),
            end_date=start + timedelta(last),
        )
    phases = _save(world.client("coach"), program).json()["phases"]
    # P1: weeks 1–2; P2 (days 10–11) lies inside week 2: left out; P3: days 12–27, weeks 2–4, from week 3.
    assert [(p["name"], p["startWeek"], p["endWeek"]) for p in phases] == [("P1", 1, 2), ("P3", 3, 4)]


@pytest.mark.parametrize(
    ("role", "program", "status"),
    [
        ("coach", "A", 201),
        ("head coach", "B", 201),
        ("coach", "B", 404),
        ("coach without athletes", "A", 404),
        ("athlete", "A", 403),
        ("operations", "A", 403),
        ("anonymous", "A", 401),
    ],
)
def test_who_may_save_a_program_as_a_template(world, role, program, status):
    before = ProgramTemplate.objects.count()
    response = _save(world.client(role), world[program]["programs"])
    assert response.status_code == status, response.content
    assert ProgramTemplate.objects.count() == before + (status == 201)


@pytest.mark.parametrize(("body", "field"), [({"title": "x" * 121}, "title"), ({"shared": "maybe"}, "shared")])
def test_a_malformed_save_is_400(world, body, field):
    response = _save(world.client("coach"), world.A["programs"], **body)
    assert response.status_code == 400
    assert field in response.json()


def test_a_template_naming_an_archived_exercise_is_refused_before_anything_is_written(world):
    from tests.support.factories.training import ExerciseFactory

    squat = ExerciseFactory(name="Template squat")
    lifts = {"steps": [{"kind": "exercise", "exerciseId": str(squat.pk), "sets": [{"reps": 5, "loadKg": 80}]}]}
    template = ProgramTemplateFactory(
        owner=world.coach, weeks=1, phases=[], sessions=[template_session(1, 2, structure=lifts)]
    )
    squat.archived = True
    squat.save()
    before = TrainingProgram.objects.count()
    response = _apply(world.client("coach"), template, athleteIds=[str(world.A["athletes"].pk)], startDate="2030-01-07")
    assert response.status_code == 400
    assert str(squat.pk) in response.json()["nonFieldErrors"][0]
    assert TrainingProgram.objects.count() == before
    squat.archived = False
    squat.save()
    ok = _apply(world.client("coach"), template, athleteIds=[str(world.A["athletes"].pk)], startDate="2030-01-07")
    assert ok.status_code == 201
