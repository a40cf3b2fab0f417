"""CPU time of a workout export: a FIT file and a Zwift workout of a 20-step structure, in-process (no server and
no database: the exports are pure functions of the structure).

    .venv/bin/python bench/workout_exports.py [--runs 200]      (or: bench/run.py --exports)

For each structure of bench/workout_structures.py (a run of 20 timed steps, a ride of 20 steps with repeats, 20
exercise steps of 3 sets) it reports the median over --repeats batches of time.process_time() per export, in
milliseconds, each batch --runs exports; and the size of the file. The goal: under 20 ms for a FIT export.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django

django.setup()

import workout_structures  # noqa: E402

from training.workouts.exports import structure_text, workout_fit, workout_zwo  # noqa: E402
from training.workouts.structure import validate_structure  # noqa: E402

CREATED = datetime(2026, 1, 5, 6, 30, tzinfo=UTC)
EXERCISES = [f"0190a7e0-0000-7000-8000-00000000000{n}" for n in range(1, 6)]
NAMES = dict(zip(EXERCISES, ["Back squat", "Bench press", "Deadlift", "Press", "Row"], strict=True))


def per_export_ms(call, runs: int, repeats: int) -> float:
    batches = []
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(runs):
            call()
        batches.append((time.process_time() - started) / runs * 1000)
    return statistics.median(batches)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100, help="exports per batch")
    parser.add_argument("--repeats", type=int, default=5, help="batches (the median is reported)")
    args = parser.parse_args()
    cases = [
        ("run, 20 timed steps", "run", workout_structures.INTERVALS),
        ("ride, 20 steps with repeats", "bike", workout_structures.RIDE),
        ("strength, 20 exercise steps × 3 sets", "strength", workout_structures.strength(EXERCISES)),
    ]
    print("| structure | export | CPU ms per export | bytes |")
    print("| --- | --- | --- | --- |")
    for label, modality, structure in cases:
        assert validate_structure(structure) == structure
        exports = [
            (
                "FIT",
                lambda m=modality, s=structure: workout_fit(
                    title="Benchmark",
                    modality=m,
                    duration_minutes=60,
                    structure=s,
                    exercise_names=NAMES,
                    created_at=CREATED,
                ),
            ),
            ("text", lambda s=structure: structure_text(structure=s, exercise_names=NAMES).encode()),
        ]
        if modality in ("run", "bike"):
            exports.insert(
                1,
                (
                    "ZWO",
                    lambda m=modality, s=structure: workout_zwo(
                        title="Benchmark", modality=m, duration_minutes=60, structure=s
                    ),
                ),
            )
        for name, call in exports:
            size = len(call())
            ms = per_export_ms(call, args.runs, args.repeats)
            print(f"| {label} | {name} | {ms:.2f} | {size} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
