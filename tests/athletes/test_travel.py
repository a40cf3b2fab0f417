"""Travel: changing an athlete's timezone keeps every session's local date and wall-clock time (scheduledAt moves
with the zone), leaves completedAt alone, and cannot be refused by a plan rule; through the API (a coach's PATCH
and PUT, the athlete's own PATCH) and the admin's change form, at a constant number of queries."""

import threading
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from athletes.travel import wall_clock_moved
from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory
from tests.support.factories.training import MicroCycleFactory, TrainingProgramFactory, TrainingSessionFactory
from tests.support.utils import postgres_only
from training.models import SessionStatus, TrainingSession

pytestmark = pytest.mark.django_db

OSLO, TOKYO = ZoneInfo("Europe/Oslo"), ZoneInfo("Asia/Tokyo")
START, END = date(2026, 3, 2), date(2026, 3, 29)  # a Monday; Oslo goes to summer time on 29 March


def at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def wall_clock(instant: datetime, tz: ZoneInfo) -> tuple[date, time]:
    local = instant.astimezone(tz)
    return local.date(), local.time()


@pytest.fixture
def traveller(db):
    return AthleteProfileFactory(display_name="Traveller", timezone="Europe/Oslo")


@pytest.fixture
def plan(traveller):
    """A program with a past completed session, a past skipped one, and future planned ones (Oslo times)."""
    program = TrainingProgramFactory(athlete=traveller, start_date=START, end_date=END)
    now = timezone.now()
    return {
        "completed": TrainingSessionFactory(
            program=program,
            title="Done",
            scheduled_at=at(date(2026, 3, 10), 7, 0, OSLO),
            status=SessionStatus.COMPLETED,
            completed_at=datetime(2026, 3, 10, 7, 55, tzinfo=UTC),
            rpe=6,
        ),
        "skipped": TrainingSessionFactory(
            program=program, title="Missed", scheduled_at=at(date(2026, 3, 2), 0, 15, OSLO), status="skipped"
        ),
        # Late on the program's last day: 23:30 in Oslo is 07:30 the next day read in Tokyo.
        "last": TrainingSessionFactory(program=program, title="Last", scheduled_at=at(END, 23, 30, OSLO)),
        "future": TrainingSessionFactory(
            program=TrainingProgramFactory(
                athlete=traveller, start_date=now.date(), end_date=now.date() + timedelta(days=30)
            ),
            title="Ahead",
            scheduled_at=at(now.date() + timedelta(days=3), 18, 45, OSLO),
        ),
    }


def reread(sessions: dict) -> dict:
    return {name: TrainingSession.objects.get(pk=s.pk) for name, s in sessions.items()}


# --- the rule --------------------------------------------------------------------------------------------


def test_oslo_to_tokyo_keeps_local_date_and_time_of_past_and_future_sessions(coach_client, traveller, plan):
    before = reread(plan)
    response = coach_client.patch(f"/api/v1/athletes/{traveller.pk}/", {"timezone": "Asia/Tokyo"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["timezone"] == "Asia/Tokyo"
    after = reread(plan)
    for name, session in after.items():
        assert wall_clock(session.scheduled_at, TOKYO) == wall_clock(before[name].scheduled_at, OSLO), name
        # Tokyo is 8 hours ahead of Oslo in winter, 7 in summer: the instants move back by that much.
        assert before[name].scheduled_at - session.scheduled_at in (timedelta(hours=8), timedelta(hours=7)), name
    assert after["completed"].scheduled_at == datetime(2026, 3, 9, 22, tzinfo=UTC)  # 07:00 JST on 10 March
    # completedAt is a real instant: it does not move.
    assert after["completed"].completed_at == datetime(2026, 3, 10, 7, 55, tzinfo=UTC)
    assert after["completed"].rpe == 6 and after["completed"].status == SessionStatus.COMPLETED


def test_moved_sessions_show_up_for_sync_clients_and_change_their_etag(coach_client, traveller, plan):
    session = plan["future"]
    detail = coach_client.get(f"/api/v1/sessions/{session.pk}/")
    etag, updated = detail["ETag"], detail.json()["updatedAt"]
    since = timezone.now()
    assert coach_client.patch(f"/api/v1/athletes/{traveller.pk}/", {"timezone": "Asia/Tokyo"}).status_code == 200
    moved = coach_client.get(f"/api/v1/sessions/{session.pk}/")
    assert moved["ETag"] != etag and moved.json()["updatedAt"] > updated
    assert moved.json()["scheduledAt"] != detail.json()["scheduledAt"]
    listed = coach_client.get("/api/v1/sessions/", {"updatedAfter": since.isoformat(), "pageSize": 200}).json()
    assert {row["id"] for row in listed["results"]} == {str(s.pk) for s in plan.values()}
    # A client still holding the old version cannot overwrite the move.
    stale = coach_client.patch(f"/api/v1/sessions/{session.pk}/", {"title": "x"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412


def test_a_change_that_used_to_be_refused_now_passes(coach_client, traveller):
    program = TrainingProgramFactory(athlete=traveller, start_date=START, end_date=END)
    cycle = MicroCycleFactory(program=program, week_index=1)
    # Sunday 8 March 23:30 in Oslo, in week 1: the same instant is Monday 9 March (week 2) in Tokyo, and the
    # last day's 23:30 is the day after the program. Both were a 400 naming the sessions.
    sunday = TrainingSessionFactory(program=program, micro_cycle=cycle, scheduled_at=at(date(2026, 3, 8), 23, 30, OSLO))
    last = TrainingSessionFactory(program=program, scheduled_at=at(END, 23, 30, OSLO))
    response = coach_client.patch(f"/api/v1/athletes/{traveller.pk}/", {"timezone": "Asia/Tokyo"}, format="json")
    assert response.status_code == 200, response.content
    for session, day in ((sunday, date(2026, 3, 8)), (last, END)):
        session.refresh_from_db()
        assert wall_clock(session.scheduled_at, TOKYO) == (day, time(23, 30))
    # The plan is still whole: moving the session within its week in the new zone passes its placement rules.
    moved_again = coach_client.patch(
        f"/api/v1/sessions/{sunday.pk}/", {"scheduledAt": "2026-03-08T14:00:00Z"}, format="json"
    )
    assert moved_again.status_code == 200, moved_again.content


def test_the_athlete_changes_their_own_timezone(athlete_client, athlete):
    program = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
    session = TrainingSessionFactory(program=program, scheduled_at=at(date(2026, 3, 10), 7, 0, OSLO))
    response = athlete_client.patch(f"/api/v1/athletes/{athlete.pk}/", {"timezone": "Asia/Tokyo"}, format="json")
    assert response.status_code == 200, response.content
    session.refresh_from_db()
    assert wall_clock(session.scheduled_at, TOKYO) == (date(2026, 3, 10), time(7, 0))


def test_a_coachs_put_moves_the_sessions_too(coach_client, traveller, plan):
    body = coach_client.get(f"/api/v1/athletes/{traveller.pk}/").json()
    body.update(timezone="America/New_York")
    assert coach_client.put(f"/api/v1/athletes/{traveller.pk}/", body, format="json").status_code == 200
    session = TrainingSession.objects.get(pk=plan["completed"].pk)
    assert wall_clock(session.scheduled_at, ZoneInfo("America/New_York")) == (date(2026, 3, 10), time(7, 0))


def test_there_and_back_again_restores_every_instant(coach_client, traveller, plan):
    before = {s.pk: s.scheduled_at for s in reread(plan).values()}
    for zone in ("Asia/Tokyo", "America/Los_Angeles", "Europe/Oslo"):
        assert coach_client.patch(f"/api/v1/athletes/{traveller.pk}/", {"timezone": zone}).status_code == 200
        for session in reread(plan).values():
            assert wall_clock(session.scheduled_at, ZoneInfo(zone)) == wall_clock(before[session.pk], OSLO)
    assert {s.pk: s.scheduled_at for s in reread(plan).values()} == before


def test_only_a_new_timezone_moves_sessions_and_only_the_athletes_own(coach_client, traveller, plan, other_athlete):
    others = TrainingSessionFactory(program=TrainingProgramFactory(athlete=other_athlete))
    before = {s.pk: (s.scheduled_at, s.version, s.updated_at) for s in [*reread(plan).values(), others]}

    def unchanged() -> set:
        rows = TrainingSession.objects.filter(pk__in=before)
        return {s.pk for s in rows if (s.scheduled_at, s.version, s.updated_at) == before[s.pk]}

    url = f"/api/v1/athletes/{traveller.pk}/"
    assert coach_client.patch(url, {"displayName": "Renamed"}).status_code == 200
    assert coach_client.patch(url, {"timezone": "Europe/Oslo"}).status_code == 200  # the same zone
    # Oslo and Berlin have had the same clocks since 1980: no session's instant changes, none is rewritten.
    assert coach_client.patch(url, {"timezone": "Europe/Berlin"}).status_code == 200
    for bad in ("Mars/Olympus_Mons", "europe/oslo", "", None, 7):
        assert coach_client.patch(url, {"timezone": bad}, format="json").status_code == 400
    assert unchanged() == set(before)
    assert coach_client.patch(url, {"timezone": "Asia/Tokyo"}).status_code == 200
    assert unchanged() == {others.pk}  # another athlete's session stays where it was


# --- times the new zone skips or shows twice --------------------------------------------------------------


def test_a_time_in_the_spring_forward_gap_moves_forward_by_the_gap(coach_client):
    # Oslo skips 02:00-03:00 on 29 March 2026; a Tokyo athlete's 02:30 session on that day becomes 03:30.
    athlete = AthleteProfileFactory(timezone="Asia/Tokyo")
    program = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
    session = TrainingSessionFactory(program=program, scheduled_at=at(END, 2, 30, TOKYO))
    assert coach_client.patch(f"/api/v1/athletes/{athlete.pk}/", {"timezone": "Europe/Oslo"}).status_code == 200
    session.refresh_from_db()
    assert wall_clock(session.scheduled_at, OSLO) == (END, time(3, 30))
    assert session.scheduled_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_a_time_shown_twice_is_its_first_occurrence():
    # Oslo shows 02:00-03:00 twice on 25 October 2026 (summer time, then winter time): the first is 00:30 UTC.
    moved = wall_clock_moved(at(date(2026, 10, 25), 2, 30, TOKYO), old_tz=TOKYO, new_tz=OSLO)
    assert moved == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_gap_across_midnight_keeps_the_date():
    # Toronto jumped from 23:30 to 00:30 on 30 March 1919: 23:45 would be 00:45 the next day with the offset
    # before the gap; read with the offset after it, it stays on the 30th (22:45).
    toronto = ZoneInfo("America/Toronto")
    moved = wall_clock_moved(datetime(1919, 3, 30, 23, 45, tzinfo=UTC), old_tz=ZoneInfo("UTC"), new_tz=toronto)
    assert moved.astimezone(toronto).date() == date(1919, 3, 30)
    assert moved.astimezone(toronto).time() == time(22, 45)


def test_a_day_the_new_zone_skips_lands_on_the_next_day():
    # Samoa skipped 30 December 2011 (from UTC-10 to UTC+14): no instant shows that date there.
    apia = ZoneInfo("Pacific/Apia")
    moved = wall_clock_moved(datetime(2011, 12, 30, 7, tzinfo=UTC), old_tz=ZoneInfo("UTC"), new_tz=apia)
    assert wall_clock(moved, apia) == (date(2011, 12, 31), time(7, 0))


# --- the admin ---------------------------------------------------------------------------------------------


def test_the_admin_change_form_moves_the_sessions(admin_client, traveller, plan):
    url = reverse("admin:athletes_athleteprofile_change", args=[traveller.pk])
    form = {
        "display_name": traveller.display_name,
        "timezone": "Asia/Tokyo",
        "primary_goal": traveller.primary_goal,
        "coach_notes": "",
    }
    response = admin_client.post(url, form)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    traveller.refresh_from_db()
    assert traveller.timezone == "Asia/Tokyo"
    session = TrainingSession.objects.get(pk=plan["last"].pk)
    assert wall_clock(session.scheduled_at, TOKYO) == (END, time(23, 30))


# --- cost ----------------------------------------------------------------------------------------------------


def test_the_change_costs_the_same_queries_for_2_and_60_sessions(coach_client):
    def cost(sessions: int) -> tuple[int, int]:
        athlete = AthleteProfileFactory(timezone="Europe/Oslo")
        program = TrainingProgramFactory(athlete=athlete, start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
        TrainingProgramFactory(athlete=athlete)  # a second program to lock
        # Spread over the year: both sides of Oslo's two clock changes.
        for i in range(sessions):
            day = date(2026, 1, 1) + timedelta(days=(i * 364) // max(sessions - 1, 1))
            TrainingSessionFactory(program=program, scheduled_at=at(day, 7, 0, OSLO))
        url = f"/api/v1/athletes/{athlete.pk}/"
        with CaptureQueriesContext(connection) as captured:
            assert coach_client.patch(url, {"timezone": "Asia/Tokyo"}).status_code == 200
        moved = TrainingSession.objects.filter(athlete=athlete)
        assert {wall_clock(s.scheduled_at, TOKYO)[1] for s in moved} == {time(7, 0)}
        return len(captured.captured_queries), moved.count()

    few, many = cost(2), cost(60)
    assert (few[1], many[1]) == (2, 60)
    assert few[0] == many[0], (few, many)


def test_the_move_itself_is_five_queries(traveller, plan, django_assert_num_queries):
    # The athlete's lock (reading the stored zone), the programs' lock, the sessions' instants, one UPDATE of the
    # sessions, the athlete's UPDATE.
    traveller.timezone = "Asia/Tokyo"
    with django_assert_num_queries(5):
        traveller.save()


# --- a concurrent session write is not lost (PostgreSQL: real row locks) --------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(6))
def test_a_session_logged_while_the_athlete_travels_keeps_both_changes(round_):
    """The athlete logs a session while their coach changes their timezone: the session write re-reads the row
    under its program's lock, so it neither undoes the move nor is undone by it, whichever commits first."""
    athlete = AthleteProfileFactory(timezone="Europe/Oslo")
    program = TrainingProgramFactory(athlete=athlete, start_date=START, end_date=END)
    sessions = [
        TrainingSessionFactory(program=program, scheduled_at=at(START + timedelta(days=i), 6, 30, OSLO))
        for i in range(10)
    ]
    target = sessions[round_]
    own, coach = bearer_client(athlete.user), bearer_client(HeadCoachFactory())
    barrier = threading.Barrier(2)
    results = {}

    def run(name, call):
        try:
            barrier.wait(timeout=10)
            if name == "log" and round_ % 2:
                threading.Event().wait(0.02)  # both orders across rounds
            results[name] = call().status_code
        except Exception as exc:  # a crash is a finding, not a hang
            results[name] = repr(exc)
        finally:
            connections.close_all()

    calls = {
        "log": lambda: own.patch(f"/api/v1/sessions/{target.pk}/", {"status": "completed", "rpe": 7}, format="json"),
        "travel": lambda: coach.patch(f"/api/v1/athletes/{athlete.pk}/", {"timezone": "Asia/Tokyo"}, format="json"),
    }
    threads = [threading.Thread(target=run, args=item) for item in calls.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert results == {"log": 200, "travel": 200}
    logged = TrainingSession.objects.get(pk=target.pk)
    assert logged.status == SessionStatus.COMPLETED and logged.rpe == 7
    for session in TrainingSession.objects.filter(athlete=athlete):
        assert wall_clock(session.scheduled_at, TOKYO)[1] == time(6, 30), session.scheduled_at
