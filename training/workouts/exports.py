"""A session's workout sent elsewhere: a FIT workout file, a Zwift workout, and one line of text per step.

Pure functions of a validated, normalized `structure` (see `structure.py`): no database, no request. The views
and the calendar feed load the session and the exercise names and call them.

FIT (`workout_fit`), for Garmin and other watches and bike computers:
- `file_id` (type workout), then a `workout` message (title, sport from the modality, number of steps), then one
  `workout_step` per step, indexed from 0 by `message_index`;
- a timed step: duration `time` (ms) or `distance` (cm); intensity from its kind; its target (below);
- a repeat: its steps, then a `repeat_until_steps_cmplt` step whose duration value is the index of the first of
  them and whose target value is the number of times;
- an exercise: per set, a step named after the exercise of duration `reps` (or `time` for a timed set), with the
  set's load as `exercise_weight` (kg) when known, then a `Rest` step of the set's `restSeconds` when it is
  not 0;
- targets: `heartRateZone` → heart-rate zone (a range of zones → custom %HRmax from the five-zone model:
  zone n is 40+10n to 50+10n %), `heartRatePercentMax` → custom % of max HR (FIT reads 0–100 as %, above as
  bpm, so % above 100 is written as 100), `powerPercentFtp` → custom %FTP, `pace` → custom speed range (mm/s;
  the low speed from the slow end), `cadence` → custom cadence, `rpe` and none → open;
- a step's notes → its `notes` field;
- no structure: one step of the session's minutes with an open target;
- strings are cut to what a FIT string field holds, on a character boundary.

ZWO (`workout_zwo`), for Zwift (bike and run only):
- a timed step with a power target → `Warmup` / `Cooldown` (a ramp between the range's ends: up for a warmup,
  down for a cooldown) or `SteadyState` (the range's midpoint); any other target → `FreeRide` (with `Cadence`,
  the range's midpoint, for a cadence target);
- a distance step has no Zwift form: with a pace target it becomes that many seconds at the range's midpoint
  pace, otherwise it is left out, and so are exercises; what is left out is listed in the description;
- a repeat of exactly two timed steps that both have power targets and seconds → `IntervalsT`; any other repeat
  is expanded;
- a step's notes become a `textevent` at its start;
- no structure: one `FreeRide` of the session's minutes.

Text (`structure_text`): one line per step, for the calendar feed, e.g.
`15:00 warmup @ Z1–Z2`, `5 × (1.00 km @ 3:45–3:55 /km, 2:00 recovery)`,
`Back squat: 5 × 5 @ 80 % 1RM (RIR 2), rest 2:00`.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from fit_tool.data_message import DataMessage
from fit_tool.field import Field
from fit_tool.fit_file_builder import FitFileBuilder
from fit_tool.profile.messages.common_fields import MessageIndexField
from fit_tool.profile.messages.file_id_message import FileIdMessage
from fit_tool.profile.messages.workout_message import WorkoutMessage
from fit_tool.profile.messages.workout_step_message import (
    WorkoutStepCustomTargetValueHighField,
    WorkoutStepCustomTargetValueLowField,
    WorkoutStepDurationTypeField,
    WorkoutStepDurationValueField,
    WorkoutStepExerciseWeightField,
    WorkoutStepIntensityField,
    WorkoutStepMessage,
    WorkoutStepNotesField,
    WorkoutStepTargetTypeField,
    WorkoutStepTargetValueField,
    WorkoutStepWeightDisplayUnitField,
    WorkoutStepWorkoutStepNameField,
)
from fit_tool.profile.profile_type import (
    FileType,
    FitBaseUnit,
    Intensity,
    Manufacturer,
    Sport,
    SubSport,
    WorkoutStepDuration,
    WorkoutStepTarget,
)

__all__ = ["ZWO_MODALITIES", "ZwoNotAvailable", "structure_text", "workout_fit", "workout_zwo"]

UNKNOWN_EXERCISE = "Exercise"

# ---------------------------------------------------------------------------------------------------------------
# Shared helpers


def _round(value: float) -> int:
    """Half up, not Python's half to even: 2.5 % is 3 %, as a coach would read it."""
    return math.floor(value + 0.5)


def _number(value: float) -> str:
    """A target or load as written by a person: `80`, `62.5`, `0.25` (no trailing zeros)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def _clock(seconds: float) -> str:
    """`m:ss` below an hour, `h:mm:ss` from an hour."""
    total = _round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _distance(meters: int) -> str:
    return f"{meters / 1000:.2f} km" if meters >= 1000 else f"{meters} m"


def _notes(step: Mapping[str, Any]) -> str:
    """The step's notes on one line (the text and the calendar are line-based)."""
    return " ".join((step.get("notes") or "").split())


def _steps(structure: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    return list(structure.get("steps") or ()) if structure else []


# ---------------------------------------------------------------------------------------------------------------
# Text


def _range(low: float, high: float, fmt=_number) -> str:
    return fmt(low) if low == high else f"{fmt(low)}–{fmt(high)}"


def _target_text(target: Mapping[str, Any] | None) -> str:
    if not target:
        return ""
    low, high = target["low"], target["high"]
    kind = target["type"]
    if kind == "rpe":
        return f"RPE {_range(low, high)}"
    if kind == "heartRateZone":
        return f"Z{_number(low)}" if low == high else f"Z{_number(low)}–Z{_number(high)}"
    if kind == "heartRatePercentMax":
        return f"{_range(low, high)} % HRmax"
    if kind == "powerPercentFtp":
        return f"{_range(low, high)} % FTP"
    if kind == "pace":
        return f"{_range(low, high, _clock)} /km"
    if kind == "cadence":
        return f"cadence {_range(low, high)}"
    return ""


def _timed_text(step: Mapping[str, Any], *, in_repeat: bool) -> str:
    duration = step["duration"]
    amount = _clock(duration["seconds"]) if "seconds" in duration else _distance(duration["meters"])
    # Inside a repeat the work step is the interval itself; naming it adds nothing ("5 × (1.00 km, 2:00 recovery)").
    parts = [amount] if in_repeat and step["kind"] == "work" else [amount, step["kind"]]
    target = _target_text(step.get("target"))
    text = " ".join(parts) + (f" @ {target}" if target else "")
    notes = _notes(step)
    return f"{text} ({notes})" if in_repeat and notes else (f"{text} — {notes}" if notes else text)


def _set_key(one_set: Mapping[str, Any]) -> tuple:
    return tuple(
        one_set.get(key) for key in ("reps", "seconds", "loadKg", "percent1rm", "resolvedLoadKg", "rir", "restSeconds")
    )


def _set_text(one_set: Mapping[str, Any], count: int, *, rest_inline: bool) -> str:
    amount = str(one_set["reps"]) if one_set.get("reps") is not None else _clock(one_set["seconds"])
    text = f"{count} × {amount}" if count > 1 else amount
    details = []
    if one_set.get("loadKg") is not None:
        text += f" @ {_number(one_set['loadKg'])} kg"
    elif one_set.get("percent1rm") is not None:
        text += f" @ {_number(one_set['percent1rm'])} % 1RM"
        if one_set.get("resolvedLoadKg") is not None:
            details.append(f"≈ {_number(one_set['resolvedLoadKg'])} kg")
    if one_set.get("rir") is not None:
        details.append(f"RIR {one_set['rir']}")
    rest = one_set.get("restSeconds") or 0
    if rest_inline and rest:
        details.append(f"rest {_clock(rest)}")
    return f"{text} ({', '.join(details)})" if details else text


def _exercise_text(step: Mapping[str, Any], exercise_names: Mapping[str, str]) -> str:
    name = " ".join(exercise_names.get(str(step["exerciseId"]), UNKNOWN_EXERCISE).split()) or UNKNOWN_EXERCISE
    groups: list[tuple[Mapping[str, Any], int]] = []
    for one_set in step["sets"]:
        if groups and _set_key(groups[-1][0]) == _set_key(one_set):
            groups[-1] = (groups[-1][0], groups[-1][1] + 1)
        else:
            groups.append((one_set, 1))
    rests = {one_set.get("restSeconds") or 0 for one_set in step["sets"]}
    # One rest for every set is said once at the end; different rests are said set by set.
    same_rest = len(rests) == 1
    text = ", ".join(_set_text(one_set, count, rest_inline=not same_rest) for one_set, count in groups)
    if same_rest and (rest := rests.pop()):
        text += f", rest {_clock(rest)}"
    notes = _notes(step)
    return f"{name}: {text}" + (f" — {notes}" if notes else "")


def _step_text(step: Mapping[str, Any], exercise_names: Mapping[str, str]) -> str:
    kind = step["kind"]
    if kind == "repeat":
        inner = ", ".join(_timed_text(child, in_repeat=True) for child in step["steps"])
        notes = _notes(step)
        return f"{step['times']} × ({inner})" + (f" — {notes}" if notes else "")
    if kind == "exercise":
        return _exercise_text(step, exercise_names)
    return _timed_text(step, in_repeat=False)


def structure_text(*, structure: Mapping[str, Any] | None, exercise_names: Mapping[str, str]) -> str:
    """The structure as text, one line per step (a repeat is one line); the empty string without a structure.

    `exercise_names` maps an exercise id (a string) to its name; an id it lacks reads as "Exercise".
    """
    return "\n".join(_step_text(step, exercise_names) for step in _steps(structure))


# ---------------------------------------------------------------------------------------------------------------
# FIT

# A FIT string field is at most 255 bytes, its NUL terminator included.
_FIT_STRING_BYTES = 254
# exercise_weight is a uint16 of hundredths of a kilogram; 0xFFFF means "none".
_FIT_MAX_WEIGHT_CENTI_KG = 0xFFFE

_SPORTS = {
    "run": (Sport.RUNNING, None),
    "bike": (Sport.CYCLING, None),
    "swim": (Sport.SWIMMING, None),
    "strength": (Sport.TRAINING, SubSport.STRENGTH_TRAINING),
}
_INTENSITIES = {
    "warmup": Intensity.WARMUP,
    "work": Intensity.ACTIVE,
    "recovery": Intensity.RECOVERY,
    "rest": Intensity.REST,
    "cooldown": Intensity.COOLDOWN,
}
# FIT's workout_hr: 0–100 is % of max HR, above 100 is bpm + 100.
_FIT_HR_PERCENT_MAX = 100

# The workout_step fields a step may carry.
_NAME = WorkoutStepWorkoutStepNameField.ID
_DURATION_TYPE = WorkoutStepDurationTypeField.ID
_DURATION_VALUE = WorkoutStepDurationValueField.ID
_TARGET_TYPE = WorkoutStepTargetTypeField.ID
_TARGET_VALUE = WorkoutStepTargetValueField.ID
_CUSTOM_LOW = WorkoutStepCustomTargetValueLowField.ID
_CUSTOM_HIGH = WorkoutStepCustomTargetValueHighField.ID
_INTENSITY = WorkoutStepIntensityField.ID
_NOTES = WorkoutStepNotesField.ID
_WEIGHT = WorkoutStepExerciseWeightField.ID
_WEIGHT_UNIT = WorkoutStepWeightDisplayUnitField.ID
_INDEX = MessageIndexField.ID
# Never written to: each step copies the fields it needs from here (Field.from_field copies the values list).
_STEP_PROTOTYPE_FIELDS = {field.field_id: field for field in WorkoutStepMessage().fields}
# Local message numbers: 0 the file_id, 1 the workout, then one per set of fields a step carries (a FIT file has 16).
_FIRST_STEP_LOCAL_ID, _LAST_LOCAL_ID = 2, 15


def _fit_string(value: str) -> str:
    """`value` without NULs (a NUL ends a FIT string) and cut to what a FIT string field holds, whole characters."""
    value = value.replace("\x00", "")
    encoded = value.encode("utf-8")
    if len(encoded) <= _FIT_STRING_BYTES:
        return value
    return encoded[:_FIT_STRING_BYTES].decode("utf-8", errors="ignore")


def _fit_target(target: Mapping[str, Any] | None) -> tuple[WorkoutStepTarget, int, int | None, int | None]:
    """(target type, target value, custom low, custom high) in FIT's units; a target value of 0 means custom."""
    if not target:
        return WorkoutStepTarget.OPEN, 0, None, None
    kind, low, high = target["type"], target["low"], target["high"]
    if kind == "heartRateZone":
        if low == high:
            return WorkoutStepTarget.HEART_RATE, _round(low), None, None
        # FIT has no range of zones: the range is written as % of max HR from the five-zone model.
        return WorkoutStepTarget.HEART_RATE, 0, _round(40 + 10 * low), _round(50 + 10 * high)
    if kind == "heartRatePercentMax":
        return (
            WorkoutStepTarget.HEART_RATE,
            0,
            min(_round(low), _FIT_HR_PERCENT_MAX),
            min(_round(high), _FIT_HR_PERCENT_MAX),
        )
    if kind == "powerPercentFtp":
        return WorkoutStepTarget.POWER, 0, _round(low), _round(high)
    if kind == "pace":
        # seconds per km → mm/s; the slow end (the larger number of seconds) is the low speed.
        return WorkoutStepTarget.SPEED, 0, _round(1_000_000 / high), _round(1_000_000 / low)
    if kind == "cadence":
        return WorkoutStepTarget.CADENCE, 0, _round(low), _round(high)
    return WorkoutStepTarget.OPEN, 0, None, None  # rpe: nothing a device can measure


def _fit_step(index: int, fields: Iterable[tuple[int, Any]]) -> DataMessage:
    """A workout_step of raw (encoded) values, already in FIT's units (ms, cm, mm/s, %).

    Built from copies of a prototype's fields, only those the step uses: the generated message class builds all
    of its fields and their sub-fields for every message, and its typed properties resolve sub-fields again on
    every call, which together were most of the cost of an export.
    """
    used = [(_INDEX, index), *((field_id, value) for field_id, value in fields if value is not None)]
    message_fields = []
    for field_id, value in used:
        field = Field.from_field(_STEP_PROTOTYPE_FIELDS[field_id])
        field.set_encoded_value(0, value)
        message_fields.append(field)
    return DataMessage(name=WorkoutStepMessage.NAME, global_id=WorkoutStepMessage.ID, fields=message_fields)


def _duration(duration: Mapping[str, int]) -> tuple[WorkoutStepDuration, int]:
    if "seconds" in duration:
        return WorkoutStepDuration.TIME, duration["seconds"] * 1000
    return WorkoutStepDuration.DISTANCE, duration["meters"] * 100


def _fit_timed(index: int, step: Mapping[str, Any]) -> DataMessage:
    duration_type, duration_value = _duration(step["duration"])
    target_type, target_value, low, high = _fit_target(step.get("target"))
    return _fit_step(
        index,
        (
            (_DURATION_TYPE, duration_type.value),
            (_DURATION_VALUE, duration_value),
            (_TARGET_TYPE, target_type.value),
            (_TARGET_VALUE, target_value),
            (_CUSTOM_LOW, low),
            (_CUSTOM_HIGH, high),
            (_INTENSITY, _INTENSITIES[step["kind"]].value),
            (_NOTES, _fit_string(_notes(step)) or None),
        ),
    )


def _set_load_kg(one_set: Mapping[str, Any]) -> float | None:
    load = one_set.get("loadKg")
    return one_set.get("resolvedLoadKg") if load is None else load


def _fit_exercise(index: int, step: Mapping[str, Any], exercise_names: Mapping[str, str]) -> list[DataMessage]:
    name = _fit_string(exercise_names.get(str(step["exerciseId"]), UNKNOWN_EXERCISE)) or UNKNOWN_EXERCISE
    notes = _fit_string(_notes(step)) or None
    messages = []
    for one_set in step["sets"]:
        if one_set.get("reps") is not None:
            duration = (WorkoutStepDuration.REPS.value, one_set["reps"])
        else:
            duration = (WorkoutStepDuration.TIME.value, one_set["seconds"] * 1000)
        load = _set_load_kg(one_set)
        weight = _round(load * 100) if load is not None else None
        if weight is not None and weight > _FIT_MAX_WEIGHT_CENTI_KG:
            weight = None  # beyond what FIT's field holds; the step still says what to do
        messages.append(
            _fit_step(
                index + len(messages),
                (
                    (_NAME, name),
                    (_DURATION_TYPE, duration[0]),
                    (_DURATION_VALUE, duration[1]),
                    (_TARGET_TYPE, WorkoutStepTarget.OPEN.value),
                    (_TARGET_VALUE, 0),
                    (_INTENSITY, Intensity.ACTIVE.value),
                    (_NOTES, notes),
                    (_WEIGHT, weight),
                    (_WEIGHT_UNIT, FitBaseUnit.KILOGRAM.value if weight is not None else None),
                ),
            )
        )
        if rest := one_set.get("restSeconds") or 0:
            messages.append(
                _fit_step(
                    index + len(messages),
                    (
                        (_NAME, "Rest"),
                        (_DURATION_TYPE, WorkoutStepDuration.TIME.value),
                        (_DURATION_VALUE, rest * 1000),
                        (_TARGET_TYPE, WorkoutStepTarget.OPEN.value),
                        (_TARGET_VALUE, 0),
                        (_INTENSITY, Intensity.REST.value),
                    ),
                )
            )
    return messages


def _fit_steps(
    structure: Mapping[str, Any] | None, duration_minutes: int, exercise_names: Mapping[str, str]
) -> list[DataMessage]:
    messages: list[DataMessage] = []
    for step in _steps(structure):
        kind = step["kind"]
        if kind == "repeat":
            first = len(messages)
            for child in step["steps"]:
                messages.append(_fit_timed(len(messages), child))
            messages.append(
                _fit_step(
                    len(messages),
                    (
                        (_DURATION_TYPE, WorkoutStepDuration.REPEAT_UNTIL_STEPS_CMPLT.value),
                        (_DURATION_VALUE, first),
                        (_TARGET_VALUE, step["times"]),
                        (_NOTES, _fit_string(_notes(step)) or None),
                    ),
                )
            )
        elif kind == "exercise":
            messages.extend(_fit_exercise(len(messages), step, exercise_names))
        else:
            messages.append(_fit_timed(len(messages), step))
    if not messages:
        seconds = max(duration_minutes, 0) * 60
        messages.append(
            _fit_step(
                0,
                (
                    (_DURATION_TYPE, (WorkoutStepDuration.TIME if seconds else WorkoutStepDuration.OPEN).value),
                    (_DURATION_VALUE, seconds * 1000),
                    (_TARGET_TYPE, WorkoutStepTarget.OPEN.value),
                    (_TARGET_VALUE, 0),
                    (_INTENSITY, Intensity.ACTIVE.value),
                ),
            )
        )
    return messages


def workout_fit(
    *,
    title: str,
    modality: str,
    duration_minutes: int,
    structure: Mapping[str, Any] | None,
    exercise_names: Mapping[str, str],
    created_at: datetime | None = None,
) -> bytes:
    """The session as a FIT workout file (header and file CRCs included).

    `exercise_names` maps an exercise id (a string) to its name; `created_at` (default: now) is the file's
    creation time, so passing the session's last change makes the file the same for the same session.
    """
    created_at = created_at or datetime.now(UTC)
    steps = _fit_steps(structure, duration_minutes, exercise_names)

    file_id = FileIdMessage()
    file_id.type = FileType.WORKOUT
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    # A device tells files apart by (type, manufacturer, product, serial number, time created): the serial
    # number follows the content so two workouts written in the same second stay two files.
    file_id.serial_number = zlib.crc32(repr((title, modality, structure)).encode()) or 1
    file_id.time_created = round(created_at.timestamp() * 1000)

    workout = WorkoutMessage()
    workout.workout_name = _fit_string(title)
    sport, sub_sport = _SPORTS.get(modality, (Sport.GENERIC, None))
    workout.sport = sport
    if sub_sport is not None:
        workout.sub_sport = sub_sport
    workout.num_valid_steps = len(steps)
    workout.local_id = 1

    # Steps with the same fields share a local message number, so each kind of step is defined once, not again
    # every time the kind changes; kinds beyond the sixteen local numbers share the last and are redefined.
    local_ids: dict[tuple[int, ...], int] = {}
    for step in steps:
        shape = tuple(field.field_id for field in step.fields)
        if shape not in local_ids:
            local_ids[shape] = min(_FIRST_STEP_LOCAL_ID + len(local_ids), _LAST_LOCAL_ID)
        step.local_id = local_ids[shape]

    builder = FitFileBuilder(auto_define=True)
    builder.add(file_id)
    builder.add(workout)
    builder.add_all(steps)
    # build_bytes encodes once; build().to_bytes() would encode every record twice (once for the CRC).
    return builder.build_bytes()


# ---------------------------------------------------------------------------------------------------------------
# ZWO


class ZwoNotAvailable(Exception):
    """A Zwift workout exists only for bike and run sessions."""


_ZWO_SPORTS = {"bike": "bike", "run": "run"}
ZWO_MODALITIES = frozenset(_ZWO_SPORTS)  # the modalities a Zwift workout exists for
# Characters XML 1.0 does not allow at all (ElementTree would write them as they are, making the file unreadable).
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value: str) -> str:
    return _XML_FORBIDDEN.sub("", value)


def _fraction(percent: float) -> str:
    """% of FTP as Zwift's fraction of FTP: 85 → `0.85`."""
    return f"{percent / 100:.3f}".rstrip("0").rstrip(".")


def _power(step: Mapping[str, Any]) -> tuple[float, float] | None:
    target = step.get("target")
    if target and target["type"] == "powerPercentFtp":
        return target["low"], target["high"]
    return None


def _zwo_seconds(step: Mapping[str, Any]) -> int | None:
    """The step's seconds; a distance step's at the midpoint of its pace target; None when it has no time."""
    duration = step["duration"]
    if "seconds" in duration:
        return duration["seconds"]
    target = step.get("target")
    if target and target["type"] == "pace":
        return max(1, _round(duration["meters"] / 1000 * (target["low"] + target["high"]) / 2))
    return None


def _with_notes(element: ElementTree.Element, step: Mapping[str, Any]) -> ElementTree.Element:
    if notes := _notes(step):
        ElementTree.SubElement(element, "textevent", timeoffset="0", message=_xml_text(notes))
    return element


def _zwo_timed(workout: ElementTree.Element, step: Mapping[str, Any], left_out: list[str]) -> None:
    seconds = _zwo_seconds(step)
    if seconds is None:
        left_out.append(_timed_text(step, in_repeat=False))
        return
    attributes = {"Duration": str(seconds)}
    power = _power(step)
    target = step.get("target")
    if power is None:
        tag = "FreeRide"
        if target and target["type"] == "cadence":
            attributes["Cadence"] = str(_round((target["low"] + target["high"]) / 2))
    elif step["kind"] in ("warmup", "cooldown"):
        tag = "Warmup" if step["kind"] == "warmup" else "Cooldown"
        # A ramp from PowerLow to PowerHigh: up for a warmup, down for a cooldown.
        start, end = power if step["kind"] == "warmup" else (power[1], power[0])
        attributes |= {"PowerLow": _fraction(start), "PowerHigh": _fraction(end)}
    else:
        tag = "SteadyState"
        attributes["Power"] = _fraction((power[0] + power[1]) / 2)
    workout.append(_with_notes(ElementTree.Element(tag, attributes), step))


def _zwo_repeat(workout: ElementTree.Element, step: Mapping[str, Any], left_out: list[str]) -> None:
    children = step["steps"]
    if len(children) == 2 and all(_power(c) and "seconds" in c["duration"] for c in children):
        on, off = children
        (on_low, on_high), (off_low, off_high) = _power(on), _power(off)
        element = ElementTree.Element(
            "IntervalsT",
            {
                "Repeat": str(step["times"]),
                "OnDuration": str(on["duration"]["seconds"]),
                "OffDuration": str(off["duration"]["seconds"]),
                "OnPower": _fraction((on_low + on_high) / 2),
                "OffPower": _fraction((off_low + off_high) / 2),
            },
        )
        workout.append(_with_notes(element, step))
        return
    skipped: list[str] = []
    for _ in range(step["times"]):
        for child in children:
            _zwo_timed(workout, child, skipped)
    if skipped:
        left_out.append(_step_text(step, {}))


def workout_zwo(
    *,
    title: str,
    modality: str,
    duration_minutes: int,
    structure: Mapping[str, Any] | None,
    description: str = "",
    exercise_names: Mapping[str, str] | None = None,
) -> bytes:
    """The session as a Zwift workout (UTF-8 XML); raises ZwoNotAvailable unless the modality is bike or run.

    What Zwift cannot hold (distance steps without a pace target, exercises) is left out and listed at the end
    of the description.
    """
    sport = _ZWO_SPORTS.get(modality)
    if sport is None:
        raise ZwoNotAvailable(f"a Zwift workout is for bike and run sessions, not {modality!r}")
    root = ElementTree.Element("workout_file")
    ElementTree.SubElement(root, "name").text = _xml_text(title)
    description_element = ElementTree.SubElement(root, "description")
    ElementTree.SubElement(root, "sportType").text = sport
    workout = ElementTree.SubElement(root, "workout")

    left_out: list[str] = []
    steps = _steps(structure)
    for step in steps:
        if step["kind"] == "repeat":
            _zwo_repeat(workout, step, left_out)
        elif step["kind"] == "exercise":
            left_out.append(_exercise_text(step, exercise_names or {}))
        else:
            _zwo_timed(workout, step, left_out)
    if not steps and duration_minutes > 0:
        ElementTree.SubElement(workout, "FreeRide", Duration=str(duration_minutes * 60))

    text = description.strip()
    if left_out:
        note = "Not in this workout (no Zwift equivalent): " + "; ".join(left_out) + "."
        text = f"{text}\n\n{note}" if text else note
    description_element.text = _xml_text(text)

    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
