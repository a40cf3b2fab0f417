"""A session's `structure` and `structureSummary` as the API reads and writes them.

Both show %1RM sets at the athlete's estimated one-rep max (`resolvedLoadKg`). The estimates a row needs are kept
on the row (`ONE_REP_MAX`): a list page fetches them for all its rows in one query
(`attach_one_rep_max`, the sessions' `ListReads(complete_rows=…)`); a single row without them fetches its own,
and only when its structure prescribes a %1RM."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import structure as workout_structure
from .selectors import one_rep_max_estimates

ONE_REP_MAX = "_one_rep_max"  # the row's {exercise id: estimated 1RM} for the exercises it prescribes at a %1RM


def attach_one_rep_max(rows: Iterable) -> None:
    """Give every session of `rows` the estimates its %1RM sets resolve with, in one query for all of them (none
    when no row prescribes a %1RM)."""
    rows = list(rows)
    wanted = {
        row.pk: (row.athlete_id, workout_structure.percent_exercise_ids(row.structure)) for row in rows if row.structure
    }
    pairs = {(athlete, exercise) for athlete, exercises in wanted.values() for exercise in exercises}
    estimates = one_rep_max_estimates(pairs=pairs) if pairs else {}
    for row in rows:
        athlete, exercises = wanted.get(row.pk, (None, ()))
        setattr(
            row,
            ONE_REP_MAX,
            {exercise: estimates[(athlete, exercise)] for exercise in exercises if (athlete, exercise) in estimates},
        )


def shown_structure(row) -> Mapping | None:
    """The row's structure with its %1RM sets resolved (fetching the row's estimates when it has none yet)."""
    stored = row.structure
    if not stored:
        return stored
    cached = getattr(row, "_shown_structure", None)
    if cached is not None and cached[0] is stored:  # structureSummary reads what structure just showed
        return cached[1]
    if not hasattr(row, ONE_REP_MAX):
        attach_one_rep_max([row])
    shown = workout_structure.with_resolved_loads(stored, getattr(row, ONE_REP_MAX))
    row._shown_structure = (stored, shown)
    return shown


@extend_schema_field({**workout_structure.json_schema(), "nullable": True})
class StructureField(serializers.JSONField):
    """`structure`: null or `{"steps": [...]}`, validated by training.workouts.structure; every error is a message
    naming its path (`steps[2].sets[0].reps: …`)."""

    default_error_messages = {"invalid": "Not valid JSON."}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            "What the session contains: null, or {steps: [...]} of timed, repeat and exercise steps.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            return workout_structure.validate_structure(data)
        except workout_structure.StructureError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def get_attribute(self, instance):
        return shown_structure(instance)

    def to_representation(self, value):
        return value


@extend_schema_field(
    {
        "type": "object",
        "nullable": True,
        "readOnly": True,
        "properties": {
            "seconds": {"type": "integer"},
            "meters": {"type": "integer"},
            "sets": {"type": "integer"},
            "volumeKg": {"type": "number"},
        },
        "required": ["seconds", "meters", "sets", "volumeKg"],
    }
)
class StructureSummaryField(serializers.Field):
    """`structureSummary`: the totals of the structure as shown (null without one)."""

    def __init__(self, **kwargs):
        kwargs["read_only"] = True
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, value):
        return workout_structure.summary(shown_structure(value))
