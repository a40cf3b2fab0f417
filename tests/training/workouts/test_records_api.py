"""GET /api/v1/athletes/{id}/records/ and the estimated one-rep max a %1RM set of a structure resolves to."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import dialect
from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, OperationsFactory, StaffFactory
from tests.support.factories.training import (
    ExerciseFactory,
    PerformedSetFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    structure_with,
)
from tests.support.resources import RESOURCES
from training.workouts.estimates import one_rep_max_refresh
from training.workouts.selectors import one_rep_max_estimates

pytestmark = pytest.mark.django_db

ZONE = "Pacific/Auckland"  # UTC+12/+13: a local midnight is the UTC morning or noon before


def local_today(athlete) -> date:
    return timezone.now().astimezone(ZoneInfo(athlete.timezone)).date()


def session_on(athlete, day: date, at: time = time(7, 0)):
    """A completed session of `athlete` at `at` on the local date `day`, in a program that spans it."""
    program = TrainingProgramFactory(athlete=athlete, start_date=day - timedelta(days=1), end_date=day + timedelta(1))
    scheduled = datetime.combine(day, at, tzinfo=ZoneInfo(athlete.timezone))
    return TrainingSessionFactory(program=program, scheduled_at=scheduled, status="completed")


def logged(session, exercise, *sets):
    """PerformedSets of `session`: each (reps, load) or ("s", seconds)."""
    for index, (reps, load) in enumerate(sets, 1):
        if reps == "s":
            PerformedSetFactory(session=session, exercise=exercise, set_index=index, reps=None, seconds=load)
        else:
            PerformedSetFactory(session=session, exercise=exercise, set_index=index, reps=reps, load_kg=load)


def records(client, athlete):
    return client.get(f"/api/v1/athletes/{athlete.pk}/records/")


def by_name(response) -> dict:
    return {row["name"]: row for row in response.json()}


NONE = {"1": None, "3": None, "5": None, "8": None, "10": None}


@pytest.fixture
def lifter(db):
    return AthleteProfileFactory(timezone=ZONE)


# --- The formula ------------------------------------------------------------------------------------------------


def test_epley_single_reps_the_1_to_12_rule_and_best_loads(coach_client, lifter):
    today = local_today(lifter)
    day = today - timedelta(days=10)
    session = session_on(lifter, day)
    five = ExerciseFactory(name="Rec A fives")
    single = ExerciseFactory(name="Rec B single")
    many = ExerciseFactory(name="Rec C thirteen")
    plank = ExerciseFactory(name="Rec D plank")
    logged(session, five, (5, 100), (8, 80), (3, 90))
    logged(session, single, (1, 150), (2, 100))  # 150 as is (Epley would say 155); 2 × 100 → 106.7
    logged(session, many, (13, 100), (12, 60))  # 13 reps never estimate; 12 × 60 → 84.0
    logged(session, plank, ("s", 60))
    response = records(coach_client, lifter)
    assert response.status_code == 200
    rows = by_name(response)
    assert list(rows) == ["Rec A fives", "Rec B single", "Rec C thirteen", "Rec D plank"]
    assert rows["Rec A fives"] == {
        "exerciseId": str(five.pk),
        "name": "Rec A fives",
        "e1rmKg": 116.7,  # 100 × (1 + 5/30) = 116.67; 8 × 80 → 101.3; 3 × 90 → 99.0
        "e1rmDate": day.isoformat(),
        "bestLoadKg": {"1": 100.0, "3": 100.0, "5": 100.0, "8": 80.0, "10": None},
    }
    assert rows["Rec B single"]["e1rmKg"] == 150.0
    assert rows["Rec B single"]["bestLoadKg"] == {**NONE, "1": 150.0}
    assert rows["Rec C thirteen"]["e1rmKg"] == 84.0
    assert rows["Rec C thirteen"]["bestLoadKg"] == {"1": 100.0, "3": 100.0, "5": 100.0, "8": 100.0, "10": 100.0}
    assert rows["Rec D plank"] == {
        "exerciseId": str(plank.pk),
        "name": "Rec D plank",
        "e1rmKg": None,
        "e1rmDate": None,
        "bestLoadKg": NONE,
    }


def test_the_digit_keys_reach_the_json_as_written(coach_client, lifter):
    logged(session_on(lifter, local_today(lifter)), ExerciseFactory(name="Rec bytes"), (10, 50))
    body = records(coach_client, lifter).content
    assert b'"bestLoadKg":{"1":50.0,"3":50.0,"5":50.0,"8":50.0,"10":50.0}' in body
    assert b'"e1rmKg":66.7' in body and b'"e1rmDate":"' in body and b'"exerciseId":"' in body


def test_the_date_is_the_best_sets_session_latest_on_a_tie(coach_client, lifter):
    today = local_today(lifter)
    squat = ExerciseFactory(name="Rec dated")
    logged(session_on(lifter, today - timedelta(days=30)), squat, (5, 100))
    logged(session_on(lifter, today - timedelta(days=20)), squat, (1, 110))  # 110 < 116.7
    logged(session_on(lifter, today - timedelta(days=5)), squat, (5, 100))  # the same best, later
    row = by_name(records(coach_client, lifter))["Rec dated"]
    assert (row["e1rmKg"], row["e1rmDate"]) == (116.7, (today - timedelta(days=5)).isoformat())
    assert row["bestLoadKg"]["1"] == 110.0


def test_the_window_is_365_local_days_near_midnight(coach_client, lifter):
    today = local_today(lifter)
    squat = ExerciseFactory(name="Rec window")
    # 365 local days ago at 23:59 (UTC: still 365 days ago there too) is out; 364 days ago at 00:01 local, which
    # is the UTC day before (365 UTC days ago), is in.
    logged(session_on(lifter, today - timedelta(days=365), time(23, 59)), squat, (1, 200))
    logged(session_on(lifter, today - timedelta(days=364), time(0, 1)), squat, (1, 150))
    row = by_name(records(coach_client, lifter))["Rec window"]
    assert row["e1rmKg"] == 150.0 and row["e1rmDate"] == (today - timedelta(days=364)).isoformat()
    assert row["bestLoadKg"]["1"] == 150.0


def test_an_exercise_only_outside_the_window_is_listed_without_figures(coach_client, lifter):
    old = ExerciseFactory(name="Rec old")
    logged(session_on(lifter, local_today(lifter) - timedelta(days=400)), old, (5, 100))
    assert by_name(records(coach_client, lifter))["Rec old"] == {
        "exerciseId": str(old.pk),
        "name": "Rec old",
        "e1rmKg": None,
        "e1rmDate": None,
        "bestLoadKg": NONE,
    }


def test_an_athlete_without_sets_has_no_records(coach_client, lifter):
    other = AthleteProfileFactory()
    logged(session_on(other, local_today(other)), ExerciseFactory(name="Rec not mine"), (5, 100))
    response = records(coach_client, lifter)
    assert response.status_code == 200 and response.content == b"[]"


# --- Who --------------------------------------------------------------------------------------------------------


def test_an_athlete_reads_their_own_records_and_no_one_elses(athlete, athlete_client, other_athlete):
    assert records(athlete_client, athlete).status_code == 200
    assert records(athlete_client, other_athlete).status_code == 404


def test_coaches_see_their_athletes_only(lifter):
    assigned = CoachFactory()
    lifter.coaches.add(assigned)
    assert records(bearer_client(assigned), lifter).status_code == 200
    assert records(bearer_client(CoachFactory()), lifter).status_code == 404


@pytest.mark.parametrize("factory", [OperationsFactory, StaffFactory])
def test_operations_and_staff_without_a_role_get_403(lifter, factory):
    assert records(bearer_client(factory()), lifter).status_code == 403


def test_unknown_athlete_404_and_writes_405(coach_client, lifter):
    assert coach_client.get(f"/api/v1/athletes/{uuid.uuid4()}/records/").status_code == 404
    assert coach_client.get(f"/api/v1/athletes/{lifter.pk}/records").status_code == 200  # no slash
    for method in ("post", "put", "patch", "delete"):
        assert getattr(coach_client, method)(f"/api/v1/athletes/{lifter.pk}/records/").status_code == 405


# --- Queries ----------------------------------------------------------------------------------------------------

# The token with its user and permissions (SQLite reads the permissions in a query of its own), the athlete in the
# caller's scope, the records.
RECORDS_QUERIES = 4 if dialect.is_sqlite(connection) else 3


@pytest.mark.parametrize("exercises", [1, 12])
def test_records_cost_the_same_queries_for_any_number_of_exercises(
    coach_client, lifter, exercises, django_assert_num_queries
):
    session = session_on(lifter, local_today(lifter))
    for i in range(exercises):
        logged(session, ExerciseFactory(name=f"Rec count {i}"), (5, 100), (3, 110), (1, 120))
    with django_assert_num_queries(RECORDS_QUERIES):
        response = records(coach_client, lifter)
    assert len(response.json()) == exercises


# --- %1RM sets resolve to the athlete's estimate -----------------------------------------------------------------


@pytest.fixture
def press(db):
    return ExerciseFactory(name="Rec percent press")


def test_one_rep_max_estimates_reads_only_the_pairs_asked(lifter, press):
    other = ExerciseFactory(name="Rec unasked")
    session = session_on(lifter, local_today(lifter))
    logged(session, press, (5, 100), (13, 120))
    logged(session, other, (1, 50))
    estimates = one_rep_max_estimates(pairs=[(lifter.pk, str(press.pk)), (lifter.pk, str(uuid.uuid4()))])
    assert estimates.keys() == {(lifter.pk, str(press.pk))}
    assert estimates[(lifter.pk, str(press.pk))] == pytest.approx(116.6667, abs=1e-3)
    assert one_rep_max_estimates(pairs=[]) == {}


def _percent_sets(body) -> list[dict]:
    return [s for step in body["structure"]["steps"] if step["kind"] == "exercise" for s in step["sets"]]


def test_a_percent_set_resolves_to_the_nearest_half_kilo_in_detail_and_list(coach_client, lifter, press):
    today = local_today(lifter)
    logged(session_on(lifter, today - timedelta(days=3)), press, (5, 100))  # e1RM 116.67
    planned = session_on(lifter, today + timedelta(days=2))
    planned.structure = structure_with(press, percent1rm=80)
    planned.save()
    detail = coach_client.get(f"/api/v1/sessions/{planned.pk}/").json()
    assert {s["resolvedLoadKg"] for s in _percent_sets(detail)} == {93.5}  # 116.67 × 0.8 = 93.33 → 93.5
    assert detail["structureSummary"]["volumeKg"] == pytest.approx(3 * 5 * 93.5)
    listed = coach_client.get("/api/v1/sessions/", {"athleteId": str(lifter.pk), "pageSize": 200}).json()
    row = next(r for r in listed["results"] if r["id"] == str(planned.pk))
    assert {s["resolvedLoadKg"] for s in _percent_sets(row)} == {93.5}


def test_without_an_estimate_the_resolved_load_is_null(coach_client, lifter, press):
    logged(session_on(lifter, local_today(lifter)), press, (13, 100))  # no set of 1–12 reps
    planned = session_on(lifter, local_today(lifter))
    planned.structure = structure_with(press, percent1rm=80)
    planned.save()
    detail = coach_client.get(f"/api/v1/sessions/{planned.pk}/").json()
    assert {s["resolvedLoadKg"] for s in _percent_sets(detail)} == {None}


def _list_count(client, athlete) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/api/v1/sessions/", {"athleteId": str(athlete.pk), "pageSize": 200})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_a_list_with_percent_sets_costs_one_more_query_whatever_the_rows(coach_client, lifter, press):
    program = TrainingProgramFactory(athlete=lifter)
    logged(session_on(lifter, local_today(lifter)), press, (5, 100))
    TrainingSessionFactory.create_batch(3, program=program)
    plain = _list_count(coach_client, lifter)
    assert plain <= RESOURCES["session"].list_queries
    TrainingSessionFactory.create_batch(3, program=program, structure=structure_with(press, percent1rm=80))
    unstored = _list_count(coach_client, lifter)  # no stored estimate: worked out from the sets
    one_rep_max_refresh(athlete_ids={lifter.pk})
    few = _list_count(coach_client, lifter)
    TrainingSessionFactory.create_batch(30, program=program, structure=structure_with(press, percent1rm=70))
    many = _list_count(coach_client, lifter)
    assert few == many == plain + 1
    assert unstored == plain + 2


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/London", "Pacific/Auckland"])
def test_the_estimates_window_agrees_with_the_local_dates_at_its_edges(zone):
    """The estimates query settles most sets on their session's instant and works out local dates only near the
    window's edges: a set on each side of each edge, at both ends of the local day, in the widest offsets."""
    athlete = AthleteProfileFactory(timezone=zone)
    today = local_today(athlete)
    cases = {  # (local days ago, local time) -> in the window
        (365, time(23, 59)): False,
        (364, time(0, 1)): True,
        (364, time(23, 59)): True,
        (363, time(0, 1)): True,
        (0, time(0, 1)): True,
        (0, time(23, 59)): True,  # later today: still today's local date
        (-1, time(0, 1)): False,  # tomorrow, locally
    }
    exercises = {}
    for (ago, at), _ in cases.items():
        exercise = exercises[(ago, at)] = ExerciseFactory(name=f"Edge {ago} {at}")
        logged(session_on(athlete, today - timedelta(days=ago), at), exercise, (1, 100))
    found = one_rep_max_estimates(pairs={(athlete.pk, str(e.pk)) for e in exercises.values()})
    assert {key: (athlete.pk, str(exercises[key].pk)) in found for key in cases} == cases
