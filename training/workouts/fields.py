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


def _stored_percents(row) -> Mapping | None:
    """For a row carrying its structure as text with %1RM sets: the `percentReps` of its stored totals (the small
    totals text decoded once, on the row); None when the totals do not hold them (the structure is decoded)."""
    totals = row.structure_totals
    if isinstance(totals, str):
        totals = row.structure_totals = orjson.loads(totals)
    return totals.get("percentReps") if isinstance(totals, dict) else None


def attach_one_rep_max(rows: Iterable) -> None:
    """Give every session of `rows` the estimates its %1RM sets resolve with, in one query for all of them (none
    when no row prescribes a %1RM; see training.workouts.estimates). A row carrying its structure as text names
    its %1RM exercises in its stored totals, so it is not decoded for them."""
    wanted = {}
    for row in rows:
        stored = row.structure
        if not stored:
            continue
        if isinstance(stored, str):
            if PERCENT_KEY not in stored:
                continue
            percents = _stored_percents(row)
            exercises = set(percents) if percents is not None else workout_structure.percent_exercise_ids(_decoded(row))
        else:
            exercises = workout_structure.percent_exercise_ids(stored)
        if exercises:
            wanted[row.pk] = (row.athlete_id, exercises)
    pairs = {(athlete, exercise) for athlete, exercises in wanted.values() for exercise in exercises}
    estimates = one_rep_max_estimates(pairs=pairs) if pairs else {}
    for row in rows:
        athlete, exercises = wanted.get(row.pk, (None, ()))
        setattr(
            row,
            ONE_REP_MAX,
            {exercise: estimates[(athlete, exercise)] for exercise in exercises if (athlete, exercise) in estimates},
        )


def _one_rep_max(row) -> Mapping:
    if not hasattr(row, ONE_REP_MAX):
        attach_one_rep_max([row])
    return getattr(row, ONE_REP_MAX)


def shown_structure(row) -> Mapping | JSONText | None:
    """The row's structure with its %1RM sets resolved (fetching the row's estimates when it has none yet). A list
    row that carries the stored text gets text back (`JSONText`): as stored without %1RM sets, with the loads
    written into it otherwise (workout_structure.resolved_text), so such a row is never decoded."""
    text = row.structure
    if isinstance(text, str):
        if PERCENT_KEY not in text:
            return JSONText(text)
        percents = _stored_percents(row)
        if percents is not None:
            shown_text = workout_structure.resolved_text(text, percents, _one_rep_max(row))
            if shown_text is not None:
                return JSONText(shown_text)
    stored = _decoded(row)
    if not stored:
        return stored
    cached = getattr(row, "_shown_structure", None)
    if cached is not None and cached[0] is stored:  # structureSummary reads what structure just showed
        return cached[1]
    shown = workout_structure.with_resolved_loads(
        stored, _one_rep_max(row), in_place=getattr(row, "_structure_owned", False)
    )
    row._shown_structure = (stored, shown)
    return shown


def shown_summary(row) -> Mapping | JSONText | None:
    """structureSummary of the row: from its stored totals while its structure is still the stored text (with
    the %1RM volume added for the estimates), else added up from the structure as shown."""
    if isinstance(row.structure, str):
        if PERCENT_KEY not in row.structure:
            totals = row.structure_totals  # a list row's: stored text too
            if totals is not None:
                return JSONText(totals) if isinstance(totals, str) else totals
            return workout_structure.summary(_decoded(row))  # without %1RM sets, as stored is as shown
        if _stored_percents(row) is not None:
            return workout_structure.shown_summary(row.structure_totals, _one_rep_max(row))
    return workout_structure.summary(shown_structure(row))  # decoded by now (only a list row's text is not)


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
        return shown_summary(value)
