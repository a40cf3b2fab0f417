"""seed_demo's workouts: structures on runs, rides, swims and strength days, and the sets done in completed ones."""

from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest

from athletes.models import AthleteProfile
from training.management.commands.seed_demo import plan_athlete, seed_demo
from training.models import Modality, SessionStatus, TrainingSession
from training.workouts import exports
from training.workouts.models import Exercise, PerformedSet
from training.workouts.selectors import athlete_records, one_rep_max_estimates
from training.workouts.structure import exercise_ids, percent_exercise_ids, validate_structure

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
STRUCTURED = {Modality.RUN, Modality.BIKE, Modality.SWIM, Modality.STRENGTH, Modality.CONDITIONING}


def catalogue() -> dict[str, str]:
    return {name: str(pk) for name, pk in Exercise.objects.values_list("name", "pk")}


def sets_of(session: TrainingSession) -> list[PerformedSet]:
    return list(session.performed_sets.order_by("exercise_id", "set_index"))


def test_some_sessions_of_each_structured_modality_have_a_structure_and_the_others_none():
    seed_demo(athletes=6, weeks=12, now=NOW)
    counts = Counter(
        (modality, structure is not None)
        for modality, structure in TrainingSession.objects.values_list("modality", "structure")
    )
    for modality in STRUCTURED:
        assert counts[(modality, True)] > 0, modality
    assert sum(counts[(m, False)] for m in STRUCTURED) > 0  # not every session of these has one
    for modality in set(Modality.values) - STRUCTURED:
        assert counts[(modality, True)] == 0, modality


def test_every_seeded_structure_is_valid_and_stored_as_validation_normalizes_it():
    seed_demo(athletes=6, weeks=12, now=NOW)
    structured = list(TrainingSession.objects.filter(structure__isnull=False))
    assert len(structured) > 50
    for session in structured:
        assert validate_structure(session.structure) == session.structure
        session.full_clean()  # the exercises it names exist and are not archived


def test_runs_have_intervals_rides_power_targets_and_strength_days_exercises():
    seed_demo(athletes=6, weeks=12, now=NOW)
    by_modality = defaultdict(list)
    for session in TrainingSession.objects.filter(structure__isnull=False):
        by_modality[session.modality].append(session.structure["steps"])

    def kinds(steps):
        return [step["kind"] for step in steps]

    def targets(steps):
        inner = [child for step in steps if step["kind"] == "repeat" for child in step["steps"]]
        return {step["target"]["type"] for step in [*steps, *inner] if "target" in step}

    runs = by_modality[Modality.RUN]
    assert all(kinds(steps)[0] == "warmup" and kinds(steps)[-1] == "cooldown" for steps in runs)
    assert any("repeat" in kinds(steps) and "pace" in targets(steps) for steps in runs)
    assert any("heartRateZone" in targets(steps) for steps in runs)
    rides = by_modality[Modality.BIKE]
    assert all("powerPercentFtp" in targets(steps) for steps in rides)
    lifts = by_modality[Modality.STRENGTH]
    assert all("exercise" in kinds(steps) for steps in lifts)
    sets = [one for steps in lifts for step in steps if step["kind"] == "exercise" for one in step["sets"]]
    assert any("percent1rm" in one for one in sets) and any("loadKg" in one for one in sets)
    assert all("rir" in one for one in sets if "percent1rm" in one or "loadKg" in one)
    assert all(one["restSeconds"] > 0 for one in sets)
    names = {name for name, pk in catalogue().items() if any(pk in exercise_ids({"steps": s}) for s in lifts)}
    assert {"Back squat", "Bench press", "Deadlift", "Pull-up"} <= names


def test_completed_strength_sessions_have_the_sets_of_their_structure_and_no_other_session_has_sets():
    seed_demo(athletes=6, weeks=12, now=NOW)
    completed = list(
        TrainingSession.objects.filter(modality=Modality.STRENGTH, status=SessionStatus.COMPLETED).exclude(
            structure__isnull=True
        )
    )
    assert completed
    for session in completed:
        done = sets_of(session)
        assert {str(s.exercise_id) for s in done} == exercise_ids(session.structure)
        prescribed = {step["exerciseId"]: len(step["sets"]) for step in session.structure["steps"] if "sets" in step}
        by_exercise = defaultdict(list)
        for one in done:
            assert one.athlete_id == session.athlete_id
            assert (one.reps is None) != (one.seconds is None)
            by_exercise[str(one.exercise_id)].append(one.set_index)
        assert {key: sorted(indexes) for key, indexes in by_exercise.items()} == {
            key: list(range(1, count + 1)) for key, count in prescribed.items()
        }
    with_sets = set(PerformedSet.objects.values_list("session_id", flat=True))
    assert with_sets <= set(
        TrainingSession.objects.filter(status=SessionStatus.COMPLETED)
        .filter(structure__isnull=False)
        .values_list("id", flat=True)
    )
    not_done = TrainingSession.objects.exclude(status=SessionStatus.COMPLETED)
    assert not PerformedSet.objects.filter(session__in=not_done).exists()
    for one in PerformedSet.objects.all()[:500]:
        one.full_clean()


def test_loads_grow_over_the_season_so_records_and_estimates_mean_something():
    seed_demo(athletes=4, weeks=52, now=NOW)
    squat = Exercise.objects.get(name="Back squat")
    for athlete in AthleteProfile.objects.all():
        # The 1RM each squat set implies (its load over the %1RM its session prescribed), in the order done.
        implied = []
        for one in (
            PerformedSet.objects.filter(athlete=athlete, exercise=squat, set_index=1)
            .select_related("session")
            .order_by("session__scheduled_at")
        ):
            step = next(s for s in one.session.structure["steps"] if s.get("exerciseId") == str(squat.pk))
            implied.append(float(one.load_kg) * 100 / step["sets"][0]["percent1rm"])
        assert len(implied) >= 4
        third = len(implied) // 3
        early, late = implied[:third], implied[-third:]
        assert sum(late) / len(late) > sum(early) / len(early)  # stronger as the season goes on
        records = {row["name"]: row for row in athlete_records(athlete=athlete, now=NOW)}
        assert records["Back squat"]["e1rm_kg"] > 0 and records["Back squat"]["best_load_kg"]["5"] is not None
    # the %1RM sets of the coming sessions resolve to a load
    pairs = {
        (session.athlete_id, exercise)
        for session in TrainingSession.objects.filter(modality=Modality.STRENGTH, status=SessionStatus.PLANNED)
        for exercise in percent_exercise_ids(session.structure)
    }
    assert pairs
    assert set(one_rep_max_estimates(pairs=pairs, now=NOW)) == pairs


def test_structured_sessions_export_to_fit_and_rides_have_zwift_intervals():
    seed_demo(athletes=4, weeks=8, now=NOW)
    names = catalogue()
    names = {pk: name for name, pk in names.items()}
    intervals = 0
    for session in TrainingSession.objects.filter(structure__isnull=False):
        fit = exports.workout_fit(
            title=session.title,
            modality=session.modality,
            duration_minutes=session.duration_minutes,
            structure=session.structure,
            exercise_names=names,
            created_at=NOW,
        )
        assert fit[8:12] == b".FIT"
        if session.modality == Modality.BIKE:
            zwo = exports.workout_zwo(
                title=session.title,
                modality=session.modality,
                duration_minutes=session.duration_minutes,
                structure=session.structure,
            )
            intervals += b"<IntervalsT" in zwo
    assert intervals > 0


def test_a_second_run_changes_no_structure_and_no_set():
    def workouts():
        return (
            dict(TrainingSession.objects.values_list("id", "structure")),
            set(PerformedSet.objects.values_list("id", "session_id", "exercise_id", "set_index", "reps", "load_kg")),
        )

    seed_demo(athletes=3, weeks=8, now=NOW)
    before = workouts()
    assert before[1]
    result = seed_demo(athletes=3, weeks=8, now=NOW)
    assert (result.structured_sessions, result.performed_sets) == (0, 0)
    assert workouts() == before


def test_workouts_are_deterministic_per_seed_and_leave_the_rest_of_the_plan_as_it_was():
    exercises = catalogue()

    def plan(seed, with_workouts=True):
        return plan_athlete(
            index=4,
            weeks=12,
            seed=seed,
            now=NOW,
            password_hash="x",
            exercises=exercises if with_workouts else None,
        )

    def workouts(p):
        return (
            [s.structure for s in p.sessions],
            [(s.session_id, s.exercise_id, s.set_index, s.reps, s.seconds, s.load_kg, s.rir) for s in p.performed_sets],
        )

    def rest(p):
        return [(s.scheduled_at, s.modality, s.status, s.duration_minutes, s.load, s.planned_load) for s in p.sessions]

    assert workouts(plan(1))[0] == workouts(plan(1))[0]
    assert [row[1:] for row in workouts(plan(1))[1]] == [row[1:] for row in workouts(plan(1))[1]]
    assert workouts(plan(1))[0] != workouts(plan(2))[0]
    assert rest(plan(1)) == rest(plan(1, with_workouts=False))
    assert all(s.structure is None for s in plan(1, with_workouts=False).sessions)


def test_a_workout_whose_exercise_is_archived_is_left_out():
    Exercise.objects.filter(name__in=["Back squat", "Deadlift", "Kettlebell swing"]).update(archived=True)
    seed_demo(athletes=6, weeks=12, now=NOW)
    archived = {str(pk) for pk in Exercise.objects.filter(archived=True).values_list("pk", flat=True)}
    strength = TrainingSession.objects.filter(modality__in=[Modality.STRENGTH, Modality.CONDITIONING])
    assert strength.exists()
    # every strength day (a back squat or a deadlift) and the circuit name one: none of them gets a structure
    assert not strength.filter(structure__isnull=False).exists()
    assert not PerformedSet.objects.filter(exercise_id__in=archived).exists()
    assert not PerformedSet.objects.exists()
    assert TrainingSession.objects.filter(modality=Modality.RUN).filter(structure__isnull=False).exists()


def test_an_empty_catalogue_seeds_sessions_without_exercise_steps():
    PerformedSet.objects.all().delete()
    Exercise.objects.all().delete()
    result = seed_demo(athletes=3, weeks=8, now=NOW)
    assert result.sessions == 3 * 8 * 3 and result.performed_sets == 0
    for session in TrainingSession.objects.filter(structure__isnull=False):
        assert not exercise_ids(session.structure)
        assert validate_structure(session.structure) == session.structure
