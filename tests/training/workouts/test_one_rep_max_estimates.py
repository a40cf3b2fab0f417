"""The estimated one-rep maxes kept ready (training.workouts.estimates) and the %1RM structure shown from its
stored text (training.workouts.structure.resolved_text): both must give exactly what working it out from
scratch gives, and a stored estimate is never used once it may be wrong."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory
from tests.support.factories.training import (
    ExerciseFactory,
    PerformedSetFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
    structure_with,
)
from tests.support.races import delays, race
from tests.support.utils import postgres_only
from training.workouts import structure as workout_structure
from training.workouts.estimates import (
    FOREVER,
    MARGIN,
    athletes_to_refresh,
    one_rep_max_refresh,
    stored_estimates,
)
from training.workouts.models import OneRepMaxEstimate, PerformedSet
from training.workouts.selectors import one_rep_max_estimates

pytestmark = pytest.mark.django_db

ZONE = "Pacific/Auckland"


def local_today(athlete) -> date:
    return timezone.now().astimezone(ZoneInfo(athlete.timezone)).date()


def session_on(athlete, day: date, at: time = time(7, 0)):
    program = TrainingProgramFactory(athlete=athlete, start_date=day - timedelta(days=1), end_date=day + timedelta(1))
    scheduled = datetime.combine(day, at, tzinfo=ZoneInfo(athlete.timezone))
    return TrainingSessionFactory(program=program, scheduled_at=scheduled, status="completed")


def logged(session, exercise, reps: int, load: float, index: int = 1) -> PerformedSet:
    return PerformedSetFactory(session=session, exercise=exercise, set_index=index, reps=reps, load_kg=load)


def computed(athlete, exercise) -> float | None:
    """The estimate worked out from the sets, with the stored rows out of the way."""
    OneRepMaxEstimate.objects.filter(athlete=athlete).delete()
    return one_rep_max_estimates(pairs={(athlete.pk, str(exercise.pk))}).get((athlete.pk, str(exercise.pk)))


@pytest.fixture
def lifter(db):
    return AthleteProfileFactory(timezone=ZONE)


@pytest.fixture
def squat(db):
    return ExerciseFactory(name="Estimate squat")


# --- The stored text shown with its loads ------------------------------------------------------------------------


NOTES = ["percent1rm", '"percent1rm":80,', '"exerciseId":"x","sets":[', "}],{", 'kg \\ " é']


def _random_structure(rng: random.Random, exercises: list[str]) -> dict:
    steps = []
    for _ in range(rng.randint(1, 12)):
        kind = rng.choice(["exercise", "exercise", "work", "repeat"])
        if kind == "exercise":
            sets = []
            for _ in range(rng.randint(1, 6)):
                one = {"reps": rng.randint(1, 12)} if rng.random() < 0.8 else {"seconds": rng.randint(10, 90)}
                load = rng.random()
                if load < 0.5:
                    one["percent1rm"] = rng.choice([60, 65, 72.5, 80, 82.5, 90, 101])
                elif load < 0.85:
                    one["loadKg"] = rng.choice([20, 62.3, 70, 100.25, 0.1])
                if rng.random() < 0.5:
                    one["rir"] = rng.randint(0, 4)
                one["restSeconds"] = rng.choice([0, 60, 120])
                sets.append(one)
            step = {"kind": "exercise", "exerciseId": rng.choice(exercises), "sets": sets}
        elif kind == "work":
            step = {"kind": "work", "duration": {"seconds": rng.randint(30, 600)}}
        else:
            step = {"kind": "repeat", "times": 3, "steps": [{"kind": "work", "duration": {"meters": 400}}]}
        if rng.random() < 0.3:
            step["notes"] = rng.choice(NOTES)
        steps.append(step)
    return workout_structure.validate_structure({"steps": steps})


def test_resolved_text_and_summary_equal_the_decoded_structure_resolved_byte_for_byte():
    rng = random.Random(20261207)
    exercises = [str(uuid.uuid4()) for _ in range(4)]
    with_percent = 0
    for _ in range(400):
        structure = _random_structure(rng, exercises)
        estimates = {e: rng.choice([100.0, 87.3, 141.66666666666666]) for e in exercises if rng.random() < 0.75}
        text = orjson.dumps(structure).decode()
        totals = workout_structure.stored_summary(structure)
        shown = workout_structure.with_resolved_loads(structure, estimates)
        if "percentReps" not in totals:
            assert workout_structure.percent_reps(structure) == {}
            continue
        with_percent += 1
        assert workout_structure.resolved_text(text, totals["percentReps"], estimates) == orjson.dumps(shown).decode()
        assert workout_structure.shown_summary(totals, estimates) == workout_structure.summary(shown)
    assert with_percent > 100  # the comparison ran on many %1RM structures, not only on the easy ones


def test_a_resolved_load_sits_right_after_its_percentage():
    structure = workout_structure.validate_structure(
        {"steps": [{"kind": "exercise", "exerciseId": str(uuid.uuid4()), "sets": [{"reps": 5, "percent1rm": 80}]}]}
    )
    exercise = structure["steps"][0]["exerciseId"]
    shown = workout_structure.with_resolved_loads(structure, {exercise: 125})
    assert list(shown["steps"][0]["sets"][0]) == ["reps", "percent1rm", "resolvedLoadKg", "restSeconds"]
    assert shown["steps"][0]["sets"][0]["resolvedLoadKg"] == 100.0


def test_text_not_in_the_stored_form_is_refused_not_misread():
    exercise = str(uuid.uuid4())
    structure = workout_structure.validate_structure(
        {"steps": [{"kind": "exercise", "exerciseId": exercise, "sets": [{"reps": 5, "percent1rm": 80}]}]}
    )
    percents = workout_structure.percent_reps(structure)
    spaced = orjson.dumps(structure).decode().replace(":", ": ")
    assert workout_structure.resolved_text(spaced, percents, {exercise: 100}) is None
    reordered = orjson.dumps({"steps": [{"sets": structure["steps"][0]["sets"], "kind": "exercise"}]}).decode()
    assert workout_structure.resolved_text(reordered, percents, {exercise: 100}) is None


def test_totals_stored_before_they_named_the_percentages_are_read_by_decoding(coach_client, lifter, squat):
    session = session_on(lifter, local_today(lifter) + timedelta(days=1))
    session.structure = structure_with(squat, percent1rm=80)
    session.save()
    logged(session_on(lifter, local_today(lifter) - timedelta(days=3)), squat, 1, 100)
    old_totals = {k: v for k, v in session.structure_totals.items() if k not in ("percentReps", "fixedVolumeKg")}
    type(session).objects.filter(pk=session.pk).update(structure_totals=old_totals)
    listed = coach_client.get("/api/v1/sessions/", {"athleteId": str(lifter.pk)}).json()["results"]
    row = next(r for r in listed if r["id"] == str(session.pk))
    assert [s["resolvedLoadKg"] for s in row["structure"]["steps"][-1]["sets"]] == [80.0, 80.0, 80.0]
    assert row["structureSummary"]["volumeKg"] == 1200.0


def test_the_list_and_the_detail_show_a_percent_structure_alike(coach_client, lifter, squat):
    coach_client.put(
        f"/api/v1/sessions/{session_on(lifter, local_today(lifter) - timedelta(days=2)).pk}/sets/",
        [{"exerciseId": str(squat.pk), "setIndex": 1, "reps": 5, "loadKg": 120, "rir": 2}],
        format="json",
    )
    planned = session_on(lifter, local_today(lifter) + timedelta(days=2))
    planned.structure = structure_with(squat, percent1rm=82.5)
    planned.save()
    listed = coach_client.get("/api/v1/sessions/", {"athleteId": str(lifter.pk)}).json()["results"]
    row = next(r for r in listed if r["id"] == str(planned.pk))
    detail = coach_client.get(f"/api/v1/sessions/{planned.pk}/").json()
    assert row["structure"] == detail["structure"]
    assert row["structureSummary"] == detail["structureSummary"]
    # 120 × (1 + 5/30) = 140; 82.5 % of it = 115.5
    assert [s["resolvedLoadKg"] for s in row["structure"]["steps"][-1]["sets"]] == [115.5, 115.5, 115.5]
    assert row["structureSummary"]["volumeKg"] == 3 * 5 * 115.5


# --- Stored estimates ----------------------------------------------------------------------------------------------


def test_writing_sets_stores_the_estimates_of_their_exercises(coach_client, lifter, squat):
    bench = ExerciseFactory(name="Estimate bench")
    session = session_on(lifter, local_today(lifter) - timedelta(days=5))
    body = [
        {"exerciseId": str(squat.pk), "setIndex": 1, "reps": 3, "loadKg": 150, "rir": 1},
        {"exerciseId": str(bench.pk), "setIndex": 1, "reps": 1, "loadKg": 100, "rir": 0},
    ]
    assert coach_client.put(f"/api/v1/sessions/{session.pk}/sets/", body, format="json").status_code == 200
    stored = dict(OneRepMaxEstimate.objects.filter(athlete=lifter).values_list("exercise__name", "one_rep_max_kg"))
    assert stored == {"Estimate squat": pytest.approx(165.0), "Estimate bench": 100.0}
    # Replacing the sets without the bench: its estimate goes with them.
    etag = coach_client.get(f"/api/v1/sessions/{session.pk}/sets/")["ETag"]
    response = coach_client.put(f"/api/v1/sessions/{session.pk}/sets/", body[:1], format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert OneRepMaxEstimate.objects.get(athlete=lifter, exercise=bench).one_rep_max_kg is None
    assert stored_estimates(pairs={(lifter.pk, str(bench.pk))}, now=timezone.now()) == {
        (lifter.pk, str(bench.pk)): None
    }


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/London", "Pacific/Auckland"])
def test_stored_estimates_agree_with_the_sets_at_the_windows_edges(zone):
    athlete = AthleteProfileFactory(timezone=zone)
    today = local_today(athlete)
    exercises = {}
    for ago in (365, 364, 363, 0, -1):
        for at in (time(0, 1), time(23, 59)):
            exercise = ExerciseFactory(name=f"Edge {zone} {ago} {at}")
            logged(session_on(athlete, today - timedelta(days=ago), at), exercise, 1, 100)
            exercises[(athlete.pk, str(exercise.pk))] = ago
    pairs = set(exercises)
    from_sets = one_rep_max_estimates(pairs=pairs)
    assert {exercises[pair] for pair in from_sets} == {364, 363, 0}
    one_rep_max_refresh(athlete_ids={athlete.pk})
    stored = stored_estimates(pairs=pairs, now=timezone.now())
    assert all(value == from_sets.get(pair) for pair, value in stored.items())
    # A best set that leaves the window tomorrow, or a set that enters it tomorrow, is not trusted today (a day
    # early): those are read from the sets.
    assert {exercises[pair] for pair in pairs - set(stored)} == {364, -1}
    assert one_rep_max_estimates(pairs=pairs) == from_sets


def test_a_stored_estimate_lasts_until_its_best_set_leaves_the_window_a_day_early(lifter, squat):
    today = local_today(lifter)
    zone = ZoneInfo(ZONE)
    logged(session_on(lifter, today - timedelta(days=100)), squat, 1, 150)
    logged(session_on(lifter, today - timedelta(days=10)), squat, 1, 120)
    one_rep_max_refresh(athlete_ids={lifter.pk})
    row = OneRepMaxEstimate.objects.get(athlete=lifter, exercise=squat)
    assert row.one_rep_max_kg == 150
    leaves = datetime.combine(today + timedelta(days=365 - 100), time(), tzinfo=zone)
    assert row.valid_until == leaves - MARGIN
    pair = (lifter.pk, str(squat.pk))
    assert stored_estimates(pairs={pair}, now=row.valid_until - timedelta(seconds=1)) == {pair: 150}
    assert stored_estimates(pairs={pair}, now=row.valid_until) == {}
    # Once the 150 has left the window, the 120 is the estimate.
    later = leaves + timedelta(hours=1)
    assert one_rep_max_estimates(pairs={pair}, now=later) == {pair: 120}


def test_a_better_future_set_ends_the_estimate_the_day_before_it_counts(lifter, squat):
    today = local_today(lifter)
    logged(session_on(lifter, today - timedelta(days=20)), squat, 1, 100)
    logged(session_on(lifter, today + timedelta(days=6)), squat, 1, 90)  # lower: changes nothing when it comes
    logged(session_on(lifter, today + timedelta(days=9)), squat, 1, 130)
    one_rep_max_refresh(athlete_ids={lifter.pk})
    row = OneRepMaxEstimate.objects.get(athlete=lifter, exercise=squat)
    assert row.one_rep_max_kg == 100
    assert row.valid_until == datetime.combine(today + timedelta(days=9), time(), tzinfo=ZoneInfo(ZONE)) - MARGIN


def test_no_set_is_stored_as_no_estimate_for_good(lifter, squat):
    one_rep_max_refresh(athlete_ids={lifter.pk}, exercise_ids={squat.pk})
    row = OneRepMaxEstimate.objects.get(athlete=lifter, exercise=squat)
    assert (row.one_rep_max_kg, row.best_set_id, row.valid_until) == (None, None, FOREVER)


def test_a_deleted_best_set_makes_the_stored_estimate_unusable(lifter, squat):
    today = local_today(lifter)
    best = logged(session_on(lifter, today - timedelta(days=3)), squat, 1, 150)
    logged(session_on(lifter, today - timedelta(days=4)), squat, 1, 110)
    one_rep_max_refresh(athlete_ids={lifter.pk})
    pair = (lifter.pk, str(squat.pk))
    best.session.delete()  # an admin deleting the session: its sets go with it, the estimate row stays
    assert OneRepMaxEstimate.objects.filter(athlete=lifter, exercise=squat).exists()
    assert stored_estimates(pairs={pair}, now=timezone.now()) == {}
    assert one_rep_max_estimates(pairs={pair}) == {pair: 110}


def test_a_rescheduled_session_forgets_its_athletes_estimates(coach_client, lifter, squat):
    today = local_today(lifter)
    session = session_on(lifter, today - timedelta(days=3))
    logged(session, squat, 1, 150)
    logged(session_on(lifter, today - timedelta(days=10)), squat, 1, 100)
    one_rep_max_refresh(athlete_ids={lifter.pk})
    untouched = session_on(lifter, today - timedelta(days=30))
    untouched.title = "Renamed"
    untouched.save()
    assert OneRepMaxEstimate.objects.filter(athlete=lifter).exists()  # a write that moves nothing keeps them
    # Moved (by the admin's form, say) to a date before the window: the 150 no longer counts.
    session.program.start_date = today - timedelta(days=400)
    session.program.save()
    session.scheduled_at = datetime.combine(today - timedelta(days=380), time(7), tzinfo=ZoneInfo(ZONE))
    session.save()
    assert not OneRepMaxEstimate.objects.filter(athlete=lifter).exists()
    pair = (lifter.pk, str(squat.pk))
    assert one_rep_max_estimates(pairs={pair}) == {pair: 100}


def test_an_athlete_who_moves_timezone_is_read_from_the_sets_again(lifter, squat):
    logged(session_on(lifter, local_today(lifter) - timedelta(days=2)), squat, 1, 150)
    one_rep_max_refresh(athlete_ids={lifter.pk})
    pair = (lifter.pk, str(squat.pk))
    assert stored_estimates(pairs={pair}, now=timezone.now()) == {pair: 150}
    type(lifter).objects.filter(pk=lifter.pk).update(timezone="America/Chicago")
    assert stored_estimates(pairs={pair}, now=timezone.now()) == {}
    assert one_rep_max_estimates(pairs={pair}) == {pair: 150}


def test_the_refresh_command_stores_what_is_missing_or_expiring(lifter, squat, capsys):
    other = AthleteProfileFactory()
    logged(session_on(lifter, local_today(lifter) - timedelta(days=2)), squat, 1, 150)
    logged(session_on(other, local_today(other) - timedelta(days=364)), squat, 1, 90)  # leaves within a day
    assert athletes_to_refresh() == sorted([lifter.pk, other.pk], key=str)
    call_command("one_rep_max_refresh")
    assert "2 estimates of 2 athletes stored." in capsys.readouterr().out
    assert athletes_to_refresh() == [other.pk]  # its estimate is stored, but expires within the day
    assert athletes_to_refresh(every=True) == sorted([lifter.pk, other.pk], key=str)
    assert OneRepMaxEstimate.objects.get(athlete=lifter).one_rep_max_kg == 150


# --- Two writers ---------------------------------------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_set_writes_for_one_athlete_leave_the_estimate_the_sets_give():
    """Each writer works out the estimate from the sets it can see; without the lock the later upsert could be
    the one that missed the other's sets (the stored estimate would then be too low)."""
    head_coach = HeadCoachFactory()
    athlete = AthleteProfileFactory(timezone=ZONE)
    squat = ExerciseFactory(name="Race squat")
    today = local_today(athlete)
    pair = (athlete.pk, str(squat.pk))
    for round_number, delay in enumerate(delays()[:10]):
        first = session_on(athlete, today - timedelta(days=2 * round_number + 1))
        second = session_on(athlete, today - timedelta(days=2 * round_number + 2))
        load = 100 + 10 * round_number
        clients = [bearer_client(head_coach), bearer_client(head_coach)]

        def put(client, session, kg):
            body = [{"exerciseId": str(squat.pk), "setIndex": 1, "reps": 1, "loadKg": kg, "rir": 0}]
            return lambda: client.put(f"/api/v1/sessions/{session.pk}/sets/", body, format="json")

        loads = (load, load + 5) if round_number % 2 else (load + 5, load)  # the better set comes first or second
        responses = race(put(clients[0], first, loads[0]), put(clients[1], second, loads[1]), delay=delay)
        assert [getattr(r, "status_code", r) for r in responses] == [200, 200]
        assert stored_estimates(pairs={pair}, now=timezone.now()) == {pair: load + 5}
