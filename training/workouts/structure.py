"""A session's `structure`: its schema, validation, summary and %1RM loads.

The schema is a pydantic model (strict: no "5" for 5, no unknown key), so every rule of a step is declared
once and every error carries its path. `validate_structure()` turns pydantic's errors into the API's messages
(`steps[2].sets[0].reps: …`) and gives back the normalized structure that is stored: the API's own camelCase
keys, `restSeconds` filled in, absent optional keys left out, `resolvedLoadKg` (an output) dropped.

Reading needs no validation: `summary()` and `with_resolved_loads()` walk the stored dicts directly, since the
list read path runs them for every row of a page."""

from __future__ import annotations

import copy
import functools
import uuid
from collections.abc import Iterator, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic.alias_generators import to_camel

TIMED_KINDS = ("warmup", "work", "recovery", "rest", "cooldown")
STEP_KINDS = (*TIMED_KINDS, "repeat", "exercise")
MAX_EXPANDED_STEPS = 200
NOTES_MAX = 500

# type -> (lowest, highest, whole numbers only)
TARGET_RANGES: dict[str, tuple[int, int, bool]] = {
    "rpe": (1, 10, False),
    "heartRateZone": (1, 5, True),
    "heartRatePercentMax": (30, 110, False),
    "powerPercentFtp": (20, 300, False),
    "pace": (60, 1200, False),  # seconds per km; `low` is the faster end
    "cadence": (20, 220, False),
}

Number = int | float
Notes = Annotated[str | None, Field(default=None, max_length=NOTES_MAX)]


class _Schema(BaseModel):
    # Strict: a wrong type is an error, not a conversion. Keys are the API's camelCase names only.
    model_config = ConfigDict(
        extra="forbid", strict=True, alias_generator=to_camel, validate_by_alias=True, validate_by_name=False
    )


class Duration(_Schema):
    seconds: int | None = Field(default=None, ge=1, le=86400)
    meters: int | None = Field(default=None, ge=1, le=500000)

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.seconds is None) == (self.meters is None):
            raise ValueError("give exactly one of seconds or meters")
        return self


class Target(_Schema):
    type: Literal["rpe", "heartRateZone", "heartRatePercentMax", "powerPercentFtp", "pace", "cadence"]
    low: Number
    high: Number

    @model_validator(mode="after")
    def _in_range(self):
        lowest, highest, whole = TARGET_RANGES[self.type]
        for name in ("low", "high"):
            value = getattr(self, name)
            if whole and value != int(value):
                raise ValueError(f"{name}: a {self.type} target is a whole number")
            if not lowest <= value <= highest:
                raise ValueError(f"{name}: a {self.type} target is between {lowest} and {highest}")
        if self.low > self.high:
            raise ValueError("low must not be greater than high")
        return self


class TimedStep(_Schema):
    kind: Literal["warmup", "work", "recovery", "rest", "cooldown"]
    duration: Duration
    target: Target | None = None
    notes: Notes


class RepeatStep(_Schema):
    kind: Literal["repeat"]
    times: int = Field(ge=2, le=99)
    steps: list[TimedStep] = Field(min_length=1, max_length=20)
    notes: Notes


class ExerciseSet(_Schema):
    reps: int | None = Field(default=None, ge=1, le=100)
    seconds: int | None = Field(default=None, ge=1, le=3600)
    load_kg: Number | None = Field(default=None, ge=0, le=1000)
    percent1rm: Number | None = Field(default=None, ge=1, le=120, alias="percent1rm")
    rir: int | None = Field(default=None, ge=0, le=10)
    rest_seconds: int = Field(default=0, ge=0, le=1800)
    # An output (the load a %1RM set resolves to): accepted on input so a client may send back what it read,
    # and dropped.
    resolved_load_kg: Any = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _one_amount_one_load(self):
        if (self.reps is None) == (self.seconds is None):
            raise ValueError("give exactly one of reps or seconds")
        if self.load_kg is not None and self.percent1rm is not None:
            raise ValueError("give at most one of loadKg or percent1rm")
        return self


class ExerciseStep(_Schema):
    kind: Literal["exercise"]
    # A UUID written as a string in JSON: the one field where a conversion is what JSON needs.
    exercise_id: uuid.UUID = Field(strict=False)
    sets: list[ExerciseSet] = Field(min_length=1, max_length=20)
    notes: Notes


Step = Annotated[TimedStep | RepeatStep | ExerciseStep, Field(discriminator="kind")]


class Structure(_Schema):
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _not_too_long(self):
        count = sum(step.times * len(step.steps) if isinstance(step, RepeatStep) else 1 for step in self.steps)
        if count > MAX_EXPANDED_STEPS:
            raise ValueError(
                f"at most {MAX_EXPANDED_STEPS} timed and exercise steps once repeats are expanded, not {count}"
            )
        return self


class StructureError(ValueError):
    """A structure that breaks the schema; `messages` are the API's, each naming its path."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def _path(loc: tuple) -> str:
    text = ""
    previous = None
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif isinstance(previous, int) and part in STEP_KINDS:
            pass  # the discriminator's tag pydantic adds after a step's index: not part of the path
        else:
            text += f".{part}" if text else part
        previous = part
    return text


def _message(error: Mapping) -> str:
    message = error["msg"]
    if error["type"] == "value_error":  # our own validators: "Value error, <ours>"
        message = message.removeprefix("Value error, ")
    elif error["type"] == "union_tag_invalid":
        message = f"kind must be one of {', '.join(STEP_KINDS)}"
    elif error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        message = "must be an object"
    elif error["type"] == "union_tag_not_found":
        message = f"kind is required (one of {', '.join(STEP_KINDS)})"
    path = _path(tuple(error["loc"]))
    # A field validator of the model names its field first ("low: …"): join it to the path.
    if error["type"] == "value_error" and ": " in message and message.split(": ", 1)[0] in ("low", "high"):
        field, message = message.split(": ", 1)
        path = f"{path}.{field}" if path else field
    return f"{path}: {message}" if path else message


def validate_structure(data: Any) -> dict | None:
    """The normalized structure for `data` (None for None), or StructureError listing every error by its path."""
    if data is None:
        return None
    try:
        parsed = Structure.model_validate(data)
    except PydanticValidationError as exc:
        raise StructureError([_message(error) for error in exc.errors(include_url=False)]) from None
    return parsed.model_dump(mode="json", by_alias=True, exclude_none=True)


def json_schema() -> dict:
    """The structure's JSON Schema with every reference inlined (for the OpenAPI document)."""
    schema = Structure.model_json_schema(by_alias=True)
    definitions = schema.pop("$defs", {})

    def inline(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[1]])
            node = dict(node)
            # OpenAPI 3.0 has neither a "null" type nor `const`: an optional value is `nullable`, a constant a
            # one-value enum.
            variants = node.get("anyOf")
            if variants and {"type": "null"} in variants:
                rest = [variant for variant in variants if variant != {"type": "null"}]
                del node["anyOf"]
                node = {**node, **rest[0]} if len(rest) == 1 else {**node, "anyOf": rest}
                node["nullable"] = True
            if "const" in node:
                node["enum"] = [node.pop("const")]
            # A number that may be written as an integer: one `number` (JSON Schema's number includes integers).
            if node.get("anyOf") == [{"type": "integer"}, {"type": "number"}]:
                del node["anyOf"]
                node["type"] = "number"
            # Bounds pydantic could not place inside a union come out under its own names.
            for ours, theirs in (("ge", "minimum"), ("le", "maximum")):
                if ours in node:
                    node[theirs] = node.pop(ours)
            # A discriminator's mapping names references that no longer exist once inlined.
            return {key: inline(value) for key, value in node.items() if key != "discriminator"}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    return inline(schema)


# --- Reading a stored structure -----------------------------------------------------------------------------


def exercise_steps(structure: Mapping | None) -> Iterator[Mapping]:
    if not structure:
        return
    for step in structure.get("steps", ()):
        if step.get("kind") == "exercise":
            yield step


def exercise_ids(structure: Mapping | None) -> set[str]:
    """The ids (as strings) of the exercises a stored structure names."""
    return {step["exerciseId"] for step in exercise_steps(structure)}


def percent_exercise_ids(structure: Mapping | None) -> set[str]:
    """The exercises a stored structure prescribes at a %1RM (whose loads need the athlete's estimates)."""
    return {
        step["exerciseId"]
        for step in exercise_steps(structure)
        if any("percent1rm" in one_set for one_set in step["sets"])
    }


def resolved_load(one_rep_max: Decimal | float | None, percent: Number) -> float | None:
    """`one_rep_max × percent / 100`, to the nearest 0.5 kg (halves up), or None without an estimate."""
    if one_rep_max is None:
        return None
    halves = (Decimal(str(one_rep_max)) * Decimal(str(percent)) / Decimal(50)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return float(halves / 2)


def with_resolved_loads(
    structure: Mapping | None, one_rep_max: Mapping[str, Decimal | float], *, in_place: bool = False
) -> Mapping | None:
    """The structure as the API shows it: each %1RM set with `resolvedLoadKg` from `one_rep_max` (exercise id ->
    estimated 1RM in kg), right after its `percent1rm`. The stored structure itself when it has no %1RM set (no
    copy); otherwise a copy, or the structure itself changed with `in_place` (for a caller that owns it, e.g. one
    just decoded for a list). `resolved_text()` gives the same JSON, byte for byte, from the stored text."""
    if not structure or not percent_exercise_ids(structure):
        return structure
    shown = structure if in_place else _copy(structure)
    loads: dict[tuple, float | None] = {}  # a workout repeats its percentages: each load is worked out once
    for step in exercise_steps(shown):
        exercise_id = step["exerciseId"]
        estimate = one_rep_max.get(exercise_id)
        sets = step["sets"]
        for index, one_set in enumerate(sets):
            percent = one_set.get("percent1rm")
            if percent is not None:
                key = (exercise_id, percent)
                if key not in loads:
                    loads[key] = resolved_load(estimate, percent)
                placed = {}
                for name, value in one_set.items():
                    if name != "resolvedLoadKg":
                        placed[name] = value
                    if name == "percent1rm":
                        placed["resolvedLoadKg"] = loads[key]
                sets[index] = placed
    return shown


def _number_text(value: Number) -> str:
    """A number as the stored text writes it (orjson: `80`, `82.5`)."""
    return orjson.dumps(value).decode()


def percent_reps(structure: Mapping | None) -> dict[str, dict[str, int]]:
    """{exercise id: {percentage as written: reps prescribed at it}} over the structure's %1RM sets (0 reps for
    timed sets): what `resolved_text()` and `shown_summary()` need to show a %1RM structure without decoding it."""
    found: dict[str, dict[str, int]] = {}
    for step in exercise_steps(structure):
        for one_set in step["sets"]:
            percent = one_set.get("percent1rm")
            if percent is not None:
                at = found.setdefault(step["exerciseId"], {})
                key = _number_text(percent)
                at[key] = at.get(key, 0) + (one_set.get("reps") or 0)
    return found


EXERCISE_ID_KEY = '"exerciseId":"'
PERCENT_TEXT_KEY = '"percent1rm":'
RESOLVED_TEXT_KEY = '"resolvedLoadKg":'


@functools.lru_cache(maxsize=4096)
def _resolved_keys(estimate: float | None, percent: str) -> tuple[str, str]:
    """(`"percent1rm":P,`, the same followed by its `"resolvedLoadKg":L,`) for an estimate and a percentage as
    written: a page repeats the same few, so each is worked out once."""
    load = resolved_load(estimate, Decimal(percent))
    shown = "null" if load is None else _number_text(load)
    return f"{PERCENT_TEXT_KEY}{percent},", f"{PERCENT_TEXT_KEY}{percent},{RESOLVED_TEXT_KEY}{shown},"


@functools.lru_cache(maxsize=4096)
def _resolved_load_of_text(estimate: float | None, percent: str) -> float | None:
    return resolved_load(estimate, Decimal(percent))


def resolved_text(text: str, percents: Mapping[str, Mapping[str, int]], one_rep_max: Mapping) -> str | None:
    """The stored compact text of a structure with `resolvedLoadKg` written after each `"percent1rm":P,` of
    the exercise it belongs to: the JSON `with_resolved_loads()` gives, without decoding the structure. None when
    the text is not in the stored form this relies on (then decode it).

    It relies on what a JSON string cannot contain unescaped (`"exerciseId":"` and `"percent1rm":` outside a
    string are keys), on a step's key order (kind, exerciseId, sets) and on a set's (`percent1rm` is followed by
    `restSeconds`, which the schema always writes). The count of %1RM keys before and after proves every set
    was reached."""
    pieces = text.split(EXERCISE_ID_KEY)
    for index in range(1, len(pieces)):
        piece = pieces[index]
        exercise_id = piece[:36]
        at = percents.get(exercise_id)
        if not at or PERCENT_TEXT_KEY not in piece:
            continue
        estimate = one_rep_max.get(exercise_id)
        for percent in at:
            old, new = _resolved_keys(estimate, percent)
            piece = piece.replace(old, new)
        pieces[index] = piece
    shown_text = EXERCISE_ID_KEY.join(pieces)
    if shown_text.count(RESOLVED_TEXT_KEY) != shown_text.count(PERCENT_TEXT_KEY):
        return None
    return shown_text


def _copy(structure: Mapping) -> Mapping:
    """A deep copy of a structure of JSON values, through orjson (in C; copy.deepcopy walks it in Python)."""
    try:
        return orjson.loads(orjson.dumps(structure))
    except TypeError:  # a value orjson does not write (a Decimal put in by hand): the slow way
        return copy.deepcopy(structure)


def stored_summary(structure) -> dict | None:
    """`summary()` of a structure as stored (its %1RM sets without loads), kept beside it in the session's row;
    None for no structure and for a value that is not a valid structure (never stored through the API). A
    structure with %1RM sets also keeps `fixedVolumeKg` (the unrounded volume of its sets with a load in kg) and
    `percentReps` (percent_reps()), from which `shown_summary()` adds up its summary once its loads are known."""
    try:
        totals = summary(structure)
        percents = percent_reps(structure)
    except (AttributeError, KeyError, TypeError):
        return None
    if percents:
        totals["fixedVolumeKg"] = _volumes(structure)[0]
        totals["percentReps"] = percents
    return totals


def shown_summary(totals: Mapping, one_rep_max: Mapping) -> dict | None:
    """`summary()` of the structure as shown, from its stored totals (stored_summary()) and the estimates; None
    when the totals lack what a %1RM structure keeps (stored before they kept it: decode instead)."""
    if "percentReps" not in totals:
        return None
    percent_volume = 0.0
    for exercise_id, at in totals["percentReps"].items():
        estimate = one_rep_max.get(exercise_id)
        for percent, reps in at.items():
            load = _resolved_load_of_text(estimate, percent)
            if load is not None:
                percent_volume += reps * load
    return {
        "seconds": totals["seconds"],
        "meters": totals["meters"],
        "sets": totals["sets"],
        "volumeKg": round(totals["fixedVolumeKg"] + percent_volume, 1),
    }


def _volumes(structure: Mapping) -> tuple[float, float]:
    """(Σ reps × loadKg, Σ reps × resolvedLoadKg) over the exercise sets. Kept apart so the total is the same
    whichever way it is added up: a resolved load is a multiple of 0.5 kg, so the second sum is exact in any
    order, and the first is added up in the structure's order both here and in the stored totals."""
    fixed = resolved = 0.0
    for step in exercise_steps(structure):
        for one_set in step["sets"]:
            reps = one_set.get("reps")
            if reps is None:
                continue
            load = one_set.get("loadKg")
            if load is not None:
                fixed += reps * load
            else:
                load = one_set.get("resolvedLoadKg")
                if load is not None:
                    resolved += reps * load
    return fixed, resolved


def summary(structure: Mapping | None) -> dict | None:
    """`{"seconds", "meters", "sets", "volumeKg"}` of a structure as shown (with its resolved loads), or None.

    seconds: timed steps (repeats multiplied), timed sets and every set's rest; meters: distance steps (repeats
    multiplied); volumeKg: Σ reps × load over the sets whose load is known (a %1RM set at its resolved load)."""
    if not structure:
        return None
    seconds = meters = sets = 0
    for step in structure["steps"]:
        kind = step["kind"]
        if kind == "exercise":
            for one_set in step["sets"]:
                sets += 1
                seconds += one_set.get("seconds", 0) + one_set.get("restSeconds", 0)
        elif kind == "repeat":
            times = step["times"]
            for inner in step["steps"]:
                duration = inner["duration"]
                seconds += times * duration.get("seconds", 0)
                meters += times * duration.get("meters", 0)
        else:
            duration = step["duration"]
            seconds += duration.get("seconds", 0)
            meters += duration.get("meters", 0)
    fixed, resolved = _volumes(structure)
    return {"seconds": seconds, "meters": meters, "sets": sets, "volumeKg": round(fixed + resolved, 1)}
