"""The workouts of seed_demo: what a demo session contains (its `structure`) and the sets done in it.

- runs: a warm-up and a cool-down in heart-rate zones around intervals at a pace (distance repeats), a tempo block
  in zones 3–4 or an easy run in zone 2;
- rides: power targets as % of FTP (a ramp up, repeats of two steps, a ramp down), so the Zwift export has
  intervals to show; now and then a cadence drill;
- swims: distance repeats with rests, at an RPE;
- strength days: a warm-up, then the main lifts at a %1RM that follows the 3-up, 1-down block and accessories at a
  load in kg, each set with its reps in reserve and rest; conditioning days: a timed circuit;
- completed sessions with exercise steps get the sets the athlete did: the prescription, now and then a rep
  short, at loads that grow week by week, so records and the estimated 1RM have a history.

Structures are built already in the form `validate_structure()` stores (camelCase keys, `restSeconds` on every
set, no absent key written as null), so seeding a season needs no validation per session; the tests check each one
against it. Everything comes from the random stream the caller passes: the same for the same seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from training.models import Modality, SessionStatus, TrainingSession
from training.workouts.models import PerformedSet

# The share of sessions of each modality that get a structure; the others (and other modalities) stay null.
STRUCTURED_SHARE = {
    Modality.RUN: 0.8,
    Modality.BIKE: 0.8,
    Modality.SWIM: 0.6,
    Modality.STRENGTH: 0.9,
    Modality.CONDITIONING: 0.5,
}
# %1RM of the main lifts by the week's place in the 3-up, 1-down block (the fourth week a deload).
BLOCK_PERCENT = [72, 76, 80, 65]
# How much stronger an athlete gets per week of the season (their 1RM grows by this share each week).
WEEKLY_GAIN = 0.004
# Each lift's 1RM (kg) for an athlete of strength factor 1.0 at the start of the season.
BASE_ONE_REP_MAX = {
    "Back squat": 100.0,
    "Deadlift": 130.0,
    "Romanian deadlift": 95.0,
    "Bench press": 75.0,
    "Overhead press": 48.0,
    "Barbell row": 70.0,
    "Hip thrust": 120.0,
    "Bulgarian split squat": 30.0,
    "Walking lunge": 25.0,
    "Dumbbell shoulder press": 24.0,
    "Kettlebell swing": 32.0,
}
# A strength day: (exercise, reps or None, seconds or None, how the load is given, rir or None, rest seconds,
# sets). The load: "percent" the block's %1RM, "heavy" 5 points more (triples), "kg" ACCESSORY_SHARE of the 1RM,
# None none (bodyweight). An athlete's strength sessions go through the days in turn.
STRENGTH_DAYS = [
    [
        ("Back squat", 5, None, "percent", 2, 180, 5),
        ("Bench press", 5, None, "percent", 2, 150, 5),
        ("Barbell row", 8, None, "kg", 2, 90, 3),
        ("Bulgarian split squat", 8, None, "kg", 3, 60, 3),
        ("Plank", None, 45, None, None, 45, 3),
    ],
    [
        ("Deadlift", 5, None, "percent", 2, 180, 3),
        ("Overhead press", 6, None, "percent", 2, 120, 4),
        ("Pull-up", 6, None, None, 2, 120, 4),
        ("Romanian deadlift", 8, None, "kg", 3, 90, 3),
        ("Hanging leg raise", 10, None, None, None, 60, 3),
    ],
    [
        ("Back squat", 3, None, "heavy", 1, 180, 4),
        ("Hip thrust", 8, None, "kg", 2, 120, 3),
        ("Dumbbell shoulder press", 10, None, "kg", 2, 90, 3),
        ("Chin-up", 8, None, None, 2, 90, 3),
        ("Side plank", None, 30, None, None, 30, 2),
    ],
]
# A conditioning circuit: (exercise, reps or None, seconds or None, load in kg or None), done `rounds` times.
CIRCUIT = [
    ("Kettlebell swing", 15, None, "kg"),
    ("Burpee", 10, None, None),
    ("Rowing machine", None, 120, None),
    ("Medicine ball slam", 12, None, None),
]
# Accessory loads (kg sets) are this share of the lift's 1RM.
ACCESSORY_SHARE = 0.65
EXERCISE_NAMES = sorted(
    {name for day in STRENGTH_DAYS for name, *_ in day} | {name for name, *_ in CIRCUIT} | set(BASE_ONE_REP_MAX)
)


@dataclass
class AthleteWorkouts:
    """What an athlete is like, for their workouts: their threshold pace (s/km), their strength factor (a
    multiple of BASE_ONE_REP_MAX) and the first day of their season (loads grow from there)."""

    threshold_pace: int
    strength: float
    season_start: date
    strength_days: int = 0  # strength sessions so far: the next one is day strength_days % len(STRENGTH_DAYS)


def _round_to(value: float, step: float) -> float:
    return max(step, round(value / step) * step)


def _timed(kind: str, *, seconds: int | None = None, meters: int | None = None, target=None, notes=None) -> dict:
    step = {"kind": kind, "duration": {"seconds": seconds} if seconds is not None else {"meters": meters}}
    if target is not None:
        step["target"] = target
    if notes:
        step["notes"] = notes
    return step


def _target(kind: str, low, high) -> dict:
    return {"type": kind, "low": low, "high": high}


def _repeat(times: int, steps: list[dict], notes: str | None = None) -> dict:
    step = {"kind": "repeat", "times": times, "steps": steps}
    if notes:
        step["notes"] = notes
    return step


def _run(rng: random.Random, minutes: int, athlete: AthleteWorkouts) -> dict:
    warmup = 600 if minutes < 60 else 900
    cooldown = 300 if minutes < 45 else 600
    main = minutes * 60 - warmup - cooldown
    pace = athlete.threshold_pace
    steps = [_timed("warmup", seconds=warmup, target=_target("heartRateZone", 1, 2))]
    kind = rng.choice(["intervals", "intervals", "tempo", "easy"])
    if kind == "intervals":
        meters = rng.choice([400, 800, 1000])
        work_seconds = pace * meters // 1000
        recovery = rng.choice([60, 90, 120])
        times = max(2, min(20, main // (work_seconds + recovery)))
        faster = {400: 25, 800: 15, 1000: 10}[meters]  # shorter repeats run faster than threshold
        steps.append(
            _repeat(
                times,
                [
                    _timed("work", meters=meters, target=_target("pace", pace - faster - 5, pace - faster + 5)),
                    _timed("recovery", seconds=recovery, target=_target("heartRateZone", 1, 2)),
                ],
            )
        )
    elif kind == "tempo":
        steps.append(
            _timed("work", seconds=max(600, main), target=_target("heartRateZone", 3, 4), notes="Comfortably hard.")
        )
    else:
        steps.append(_timed("work", seconds=max(600, main), target=_target("heartRatePercentMax", 65, 75)))
    steps.append(_timed("cooldown", seconds=cooldown, target=_target("heartRateZone", 1, 1)))
    return {"steps": steps}


def _bike(rng: random.Random, minutes: int) -> dict:
    warmup, cooldown = 600, 600
    main = max(600, minutes * 60 - warmup - cooldown)
    steps = [_timed("warmup", seconds=warmup, target=_target("powerPercentFtp", 50, 75))]
    kind = rng.choice(["vo2", "threshold", "sweetspot", "cadence"])
    if kind == "vo2":
        work, recovery = rng.choice([(180, 180), (240, 180), (300, 240)])
        times = max(2, min(12, main // (work + recovery)))
        steps.append(
            _repeat(
                times,
                [
                    _timed("work", seconds=work, target=_target("powerPercentFtp", 110, 120)),
                    _timed("recovery", seconds=recovery, target=_target("powerPercentFtp", 45, 55)),
                ],
            )
        )
    elif kind in ("threshold", "sweetspot"):
        low, high = (95, 105) if kind == "threshold" else (88, 94)
        work = 480 if kind == "threshold" else 900
        recovery = 240 if kind == "threshold" else 300
        times = max(2, min(8, main // (work + recovery)))
        steps.append(
            _repeat(
                times,
                [
                    _timed("work", seconds=work, target=_target("powerPercentFtp", low, high)),
                    _timed("recovery", seconds=recovery, target=_target("powerPercentFtp", 50, 60)),
                ],
            )
        )
    else:
        steps.append(_timed("work", seconds=main // 2, target=_target("powerPercentFtp", 65, 75)))
        steps.append(
            _repeat(
                4,
                [
                    _timed("work", seconds=60, target=_target("cadence", 105, 115), notes="High cadence, easy gear."),
                    _timed("recovery", seconds=60, target=_target("cadence", 85, 95)),
                ],
            )
        )
    steps.append(_timed("cooldown", seconds=cooldown, target=_target("powerPercentFtp", 40, 55)))
    return {"steps": steps}


def _swim(rng: random.Random, minutes: int) -> dict:
    distance = rng.choice([100, 200])
    times = max(2, min(20, (minutes - 15) * 60 // (distance * 2)))  # about 2 s per metre with the rest
    return {
        "steps": [
            _timed("warmup", meters=400, target=_target("rpe", 3, 4)),
            _repeat(
                times,
                [
                    _timed("work", meters=distance, target=_target("rpe", 7, 8)),
                    _timed("rest", seconds=20 if distance == 100 else 30),
                ],
            ),
            _timed("cooldown", meters=200, target=_target("rpe", 2, 3)),
        ]
    }


def one_rep_max(name: str, athlete: AthleteWorkouts, day: date) -> float:
    """The athlete's true 1RM of a lift on `day`: it grows by WEEKLY_GAIN a week from the season's start."""
    weeks = max(0, (day - athlete.season_start).days) / 7
    return BASE_ONE_REP_MAX[name] * athlete.strength * (1 + WEEKLY_GAIN * weeks)


def _strength(
    exercises: dict[str, str], week_index: int, day_number: int, athlete: AthleteWorkouts, day: date
) -> dict | None:
    """The strength day `day_number` (0, 1 or 2) of the block's `week_index`, or None when the catalogue lacks
    any of its exercises (an installation that renamed or removed them gets unstructured sessions)."""
    template = STRENGTH_DAYS[day_number % len(STRENGTH_DAYS)]
    if any(name not in exercises for name, *_ in template):
        return None
    percent = BLOCK_PERCENT[(week_index - 1) % len(BLOCK_PERCENT)]
    steps = [_timed("warmup", seconds=600, target=_target("rpe", 3, 4), notes="Easy row, then the bar alone.")]
    for name, reps, seconds, load, rir, rest, count in template:
        one_set: dict = {"reps": reps} if reps is not None else {"seconds": seconds}
        if load in ("percent", "heavy"):
            one_set["percent1rm"] = percent + (5 if load == "heavy" else 0)
        elif load == "kg":
            one_set["loadKg"] = _round_to(one_rep_max(name, athlete, day) * ACCESSORY_SHARE, 2.5)
        if rir is not None:
            one_set["rir"] = rir
        one_set["restSeconds"] = rest
        steps.append({"kind": "exercise", "exerciseId": exercises[name], "sets": [dict(one_set) for _ in range(count)]})
    return {"steps": steps}


def _circuit(rng: random.Random, exercises: dict[str, str], athlete: AthleteWorkouts, day: date) -> dict | None:
    if any(name not in exercises for name, *_ in CIRCUIT):
        return None
    rounds = rng.choice([3, 4, 5])
    steps = [_timed("warmup", seconds=300, target=_target("rpe", 3, 4))]
    for name, reps, seconds, load in CIRCUIT:
        one_set: dict = {"reps": reps} if reps is not None else {"seconds": seconds}
        if load == "kg":
            one_set["loadKg"] = _round_to(one_rep_max(name, athlete, day) * ACCESSORY_SHARE, 4.0)
        one_set["restSeconds"] = 30
        steps.append(
            {"kind": "exercise", "exerciseId": exercises[name], "sets": [dict(one_set) for _ in range(rounds)]}
        )
    steps.append(_timed("cooldown", seconds=300, target=_target("rpe", 1, 2)))
    return {"steps": steps}


def athlete_workouts(rng: random.Random, season_start: date) -> AthleteWorkouts:
    return AthleteWorkouts(
        threshold_pace=rng.randint(215, 300), strength=round(rng.uniform(0.7, 1.4), 2), season_start=season_start
    )


def session_structure(
    session: TrainingSession,
    rng: random.Random,
    exercises: dict[str, str],
    athlete: AthleteWorkouts,
    local_day: date,
) -> dict | None:
    """The structure of one demo session (None for an unstructured one)."""
    share = STRUCTURED_SHARE.get(session.modality)
    if share is None or rng.random() >= share:
        return None
    minutes = session.duration_minutes
    week = session.micro_cycle.week_index if session.micro_cycle is not None else 1
    if session.modality == Modality.RUN:
        return _run(rng, minutes, athlete)
    if session.modality == Modality.BIKE:
        return _bike(rng, minutes)
    if session.modality == Modality.SWIM:
        return _swim(rng, minutes)
    if session.modality == Modality.STRENGTH:
        structure = _strength(exercises, week, athlete.strength_days, athlete, local_day)
        athlete.strength_days += 1
        return structure
    return _circuit(rng, exercises, athlete, local_day)


def performed_sets(
    session: TrainingSession, rng: random.Random, names: dict[str, str], athlete: AthleteWorkouts, local_day: date
) -> list[PerformedSet]:
    """The sets the athlete did in a completed session with exercise steps: each prescribed set, now and then a
    rep short on the last ones; a %1RM set at that share of the athlete's 1RM of the day, to 2.5 kg."""
    if session.status != SessionStatus.COMPLETED or not session.structure:
        return []
    done = []
    for step in session.structure["steps"]:
        if step["kind"] != "exercise":
            continue
        name = names[step["exerciseId"]]
        for index, one_set in enumerate(step["sets"], start=1):
            load = one_set.get("loadKg")
            if "percent1rm" in one_set:
                load = _round_to(one_rep_max(name, athlete, local_day) * one_set["percent1rm"] / 100, 2.5)
            reps = one_set.get("reps")
            rir = one_set.get("rir")
            if reps is not None and index > len(step["sets"]) - 2 and rng.random() < 0.15:
                reps, rir = max(1, reps - 1), 0 if rir is not None else None  # ground out short of the target
            elif rir is not None:
                rir = max(0, min(10, rir + rng.choice([-1, 0, 0, 1])))
            done.append(
                PerformedSet(
                    session_id=session.pk,  # the id, not the instance: no related-object bookkeeping per set
                    athlete_id=session.athlete_id,
                    exercise_id=step["exerciseId"],
                    set_index=index,
                    reps=reps,
                    seconds=one_set.get("seconds"),
                    load_kg=None if load is None else Decimal(str(load)).quantize(Decimal("0.01")),
                    rir=rir,
                )
            )
    return done
