"""The structures bench/ measures with are what the API would store: valid, in the stored form, 20 steps each."""

import importlib.util
from pathlib import Path

import pytest

from training.workouts.structure import validate_structure

SPEC = importlib.util.spec_from_file_location(
    "workout_structures", Path(__file__).resolve().parents[3] / "bench" / "workout_structures.py"
)
workout_structures = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(workout_structures)

EXERCISES = [f"0190a7e0-0000-7000-8000-00000000000{n}" for n in range(1, 6)]


@pytest.mark.parametrize(
    "structure",
    [
        workout_structures.INTERVALS,
        workout_structures.RIDE,
        workout_structures.strength(EXERCISES),
        workout_structures.strength(EXERCISES, in_kg=True),
    ],
    ids=["intervals", "ride", "strength", "strength-kg"],
)
def test_each_bench_structure_is_valid_as_stored_with_20_steps(structure):
    assert validate_structure(structure) == structure
    assert len(structure["steps"]) == 20


def test_the_strength_day_in_kg_differs_only_in_how_loads_are_given():
    percent, kg = workout_structures.strength(EXERCISES), workout_structures.strength(EXERCISES, in_kg=True)
    sets = [
        (a, b)
        for x, y in zip(percent["steps"], kg["steps"], strict=True)
        for a, b in zip(x["sets"], y["sets"], strict=True)
    ]
    assert all("percent1rm" in a and "loadKg" in b and "loadKg" not in a for a, b in sets)
    assert all(
        {k: v for k, v in a.items() if k != "percent1rm"} == {k: v for k, v in b.items() if k != "loadKg"}
        for a, b in sets
    )
