"""The 20-step structures the workout benchmarks use (plain data: no Django, importable from bench/run.py).

- `INTERVALS`: a run of 20 timed steps: a warm-up, nine pairs of work (distance at a pace, or time at a heart-rate
  zone) and recovery steps, a cool-down; a few steps carry notes.
- `RIDE`: a ride of 20 timed steps with power targets, and repeats of two steps (Zwift intervals).
- `strength(exercise_ids)`: 20 exercise steps of 3 sets each, %1RM with RIR and rest (every set resolves a load);
  `strength(exercise_ids, in_kg=True)` the same with its loads written in kg (nothing to resolve).

Each is in the form validate_structure() stores (tests/training/workouts/test_bench_structures.py checks it)."""

from __future__ import annotations


def _timed(kind: str, duration: dict, target: dict | None = None, notes: str | None = None) -> dict:
    step = {"kind": kind, "duration": duration}
    if target is not None:
        step["target"] = target
    if notes:
        step["notes"] = notes
    return step


def _intervals() -> list[dict]:
    steps = [_timed("warmup", {"seconds": 900}, {"type": "heartRateZone", "low": 1, "high": 2}, "Easy, then strides.")]
    for n in range(9):
        if n % 2 == 0:
            work = _timed("work", {"meters": 1000}, {"type": "pace", "low": 225, "high": 235})
        else:
            work = _timed("work", {"seconds": 240}, {"type": "heartRateZone", "low": 4, "high": 4}, "Even effort.")
        steps += [work, _timed("recovery", {"seconds": 120}, {"type": "heartRateZone", "low": 1, "high": 2})]
    steps.append(_timed("cooldown", {"seconds": 600}, {"type": "heartRatePercentMax", "low": 60, "high": 70}))
    return steps


def _ride() -> list[dict]:
    def power(low, high):
        return {"type": "powerPercentFtp", "low": low, "high": high}

    steps = [_timed("warmup", {"seconds": 600}, power(50, 75))]
    for n in range(9):
        if n % 3 == 2:
            steps.append(
                {
                    "kind": "repeat",
                    "times": 4,
                    "steps": [
                        _timed("work", {"seconds": 30}, power(130, 150)),
                        _timed("recovery", {"seconds": 30}, power(45, 55)),
                    ],
                }
            )
            steps.append(_timed("rest", {"seconds": 180}, {"type": "cadence", "low": 85, "high": 95}))
        else:
            steps += [
                _timed("work", {"seconds": 300}, power(95 + n, 105 + n), "Seated, steady."),
                _timed("recovery", {"seconds": 180}, power(50, 60)),
            ]
    steps.append(_timed("cooldown", {"seconds": 600}, power(40, 55)))
    return steps


INTERVALS = {"steps": _intervals()}
RIDE = {"steps": _ride()}


def strength(exercise_ids: list[str], *, in_kg: bool = False) -> dict:
    """20 exercise steps over `exercise_ids` in turn, each 3 × 5 at 70–80 % 1RM (with `in_kg`: at 70–80 kg, the
    same workout with its loads written in), RIR 2, 2 minutes' rest."""

    def load(k: int) -> dict:
        return {"loadKg": 70 + 5 * k} if in_kg else {"percent1rm": 70 + 5 * k}

    return {
        "steps": [
            {
                "kind": "exercise",
                "exerciseId": exercise_ids[n % len(exercise_ids)],
                "sets": [{"reps": 5, **load(k), "rir": 2, "restSeconds": 120} for k in range(3)],
            }
            for n in range(20)
        ]
    }


assert len(INTERVALS["steps"]) == 20 and len(RIDE["steps"]) == 20
