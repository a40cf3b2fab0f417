"""A session's `structure` and `structureSummary` as the API reads and writes them.

Both show %1RM sets at the athlete's estimated one-rep max (`resolvedLoadKg`). The estimates a row needs are kept
on the row (`ONE_REP_MAX`): a list page fetches them for all its rows in one query
(`attach_one_rep_max`, the sessions' `ListReads(complete_rows=…)`); a single row without them fetches its own,
and only when its structure prescribes a %1RM.

A list's rows on PostgreSQL carry the structure as the text it is stored as (core.lists leaves a
`StoredJSONField` undecoded, core.fields): a structure without %1RM sets is shown as that text
(`core.lists.renderers.JSONText`, the exact bytes the API would write for it) and its summary is the stored
`structure_totals`, so the row's structure is never decoded. A structure with %1RM sets is decoded on the row and
resolved as above. Whether it has any is read in the text: the key `"percent1rm"` with its quotes appears there
exactly when a set prescribes a %1RM (a string value that happens to say it only costs the decoding)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import orjson
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.lists.renderers import JSONText

from . import structure as workout_structure
from .selectors import one_rep_max_estimates

ONE_REP_MAX = "_one_rep_max"  # the row's {exercise id: estimated 1RM} for the exercises it prescribes at a %1RM
PERCENT_KEY = '"percent1rm"'


def _decoded(row) -> Mapping | None:
    """The row's structure as a mapping, decoding (once, on the row) the text a list row carries. A structure
    decoded here is the row's own (nothing else holds it), so its loads are resolved in it, without a copy."""
    stored = row.structure
    if isinstance(stored, str):
        stored = row.structure = orjson.loads(stored)
        row._structure_owned = True
    return stored


def _text_without_percent(row) -> str | None:
    """The structure's text when the row carries it undecoded and it prescribes no %1RM; else None."""
    stored = row.structure
    return stored if isinstance(stored, str) and PERCENT_KEY not in stored else None


def attach_one_rep_max(rows: Iterable) -> None:
    """Give every session of `rows` the estimates its %1RM sets resolve with, in one query for all of them (none
    when no row prescribes a %1RM). Rows that carry their structure as text are decoded only when it has %1RM
    sets."""
    rows = list(rows)
    for row in rows:
        if isinstance(row.structure, str) and PERCENT_KEY in row.structure:
            _decoded(row)
    wanted = {
        row.pk: (row.athlete_id, workout_structure.percent_exercise_ids(row.structure))
        for row in rows
        if row.structure and not isinstance(row.structure, str)
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
    """The row's structure with its %1RM sets resolved (fetching the row's estimates when it has none yet); the
    stored text itself, as `JSONText`, for a list row whose structure has no %1RM set."""
    text = _text_without_percent(row)
    if text is not None:
        return JSONText(text)
    stored = _decoded(row)
    if not stored:
        return stored
    cached = getattr(row, "_shown_structure", None)
    if cached is not None and cached[0] is stored:  # structureSummary reads what structure just showed
        return cached[1]
    if not hasattr(row, ONE_REP_MAX):
        attach_one_rep_max([row])
    shown = workout_structure.with_resolved_loads(
        stored, getattr(row, ONE_REP_MAX), in_place=getattr(row, "_structure_owned", False)
    )
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
        if _text_without_percent(value) is not None:
            totals = value.structure_totals  # a list row's: stored text too
            if totals is not None:
                return JSONText(totals) if isinstance(totals, str) else totals
            _decoded(value)
        return workout_structure.summary(shown_structure(value))
