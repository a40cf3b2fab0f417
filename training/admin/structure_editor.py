"""A session's structure in the admin: a form of steps, repeats and sets (django-jsonform), not a JSON text box.

The editor works on its own shape of the structure: every key of a step, a target or a set is present (a blank
input is null or ""), because the editor renders and matches a step's kind (timed, repeat, exercise) by the keys
it has. `to_editor()` fills a stored structure out to that shape, `from_editor()` prunes the blanks again, so
what reaches the model is the API's shape. Rules are the model's: the field validates with the same
`validate_structure()` (and stores its normalized structure), the model's `clean()` checks the exercises, and every
message, which names its path (`steps[2].sets[0].reps: …`), is also shown at that input of the editor.

Also here: the exercise picker (a choice per non-archived exercise, built per form so a new exercise is offered
at once; an archived or missing exercise the stored structure names stays selectable, labelled as such), the
summary shown above the editor (the same figures as the API's `structureSummary`, loads as prescribed), which
`cadence/workout-editor.js` keeps up to date while the coach edits, and the panel of sets the athlete logged."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.fields import InvalidJSONInput
from django.utils.html import format_html, format_html_join
from django_jsonform.utils import join_coords
from django_jsonform.widgets import JSONFormWidget

from ..workouts import structure as workout_structure
from ..workouts.models import Exercise, PerformedSet

KIND_LABELS = {"warmup": "Warm-up", "work": "Work", "recovery": "Recovery", "rest": "Rest", "cooldown": "Cool-down"}
TARGET_LABELS = {
    "rpe": "RPE",
    "heartRateZone": "Heart-rate zone",
    "heartRatePercentMax": "% of max heart rate",
    "powerPercentFtp": "% of FTP (power)",
    "pace": "Pace, seconds per km (low = faster)",
    "cadence": "Cadence",
}

# The target select's "no target" (a select cannot go back to its blank placeholder); never stored.
NO_TARGET = "none"

# The keys of each part in the editor's shape, in the order the editor shows them.
TIMED_KEYS = ("kind", "duration", "target", "notes")
REPEAT_KEYS = ("kind", "times", "steps", "notes")
EXERCISE_KEYS = ("kind", "exerciseId", "sets", "notes")
SET_KEYS = ("reps", "seconds", "loadKg", "percent1rm", "rir", "restSeconds")


# --- The editor's schema (django-jsonform's dialect) ------------------------------------------------------


def _integer(title: str, low: int, high: int, **extra) -> dict:
    return {"type": "integer", "title": title, "minimum": low, "maximum": high, **extra}


def _number(title: str, low: float, high: float, **extra) -> dict:
    return {"type": "number", "title": title, "minimum": low, "maximum": high, **extra}


def _notes() -> dict:
    return {
        "type": "string",
        "title": "Notes",
        "widget": "textarea",
        "maxLength": workout_structure.NOTES_MAX,
        "helpText": f"Optional, at most {workout_structure.NOTES_MAX} characters.",
    }


def _timed_step(title: str) -> dict:
    targets = [{"title": "No target", "value": NO_TARGET}] + [
        {"title": f"{label} ({low}–{high})", "value": name}
        for name, label in TARGET_LABELS.items()
        for low, high, _whole in [workout_structure.TARGET_RANGES[name]]
    ]
    return {
        "type": "dict",
        "title": title,
        "keys": {
            "kind": {
                "type": "string",
                "title": "Kind",
                "choices": [{"title": label, "value": kind} for kind, label in KIND_LABELS.items()],
                "default": "work",
            },
            "duration": {
                "type": "dict",
                "title": "Duration",
                "description": "Give one: a time in seconds (600 = 10:00) or a distance in meters.",
                "keys": {
                    "seconds": _integer("Seconds", 1, 86400),
                    "meters": _integer("Meters", 1, 500000),
                },
            },
            "target": {
                "type": "dict",
                "title": "Target",
                "keys": {
                    "type": {"type": "string", "title": "Type", "choices": targets, "default": NO_TARGET},
                    "low": {"type": "number", "title": "Low"},
                    "high": {"type": "number", "title": "High"},
                },
            },
            "notes": _notes(),
        },
    }


def editor_schema(exercise_choices: Iterable[tuple[str, str]]) -> dict:
    """The structure as django-jsonform's editor shows it, with `exercise_choices` ((id, label) pairs) for the
    exercise picker."""
    one_set = {
        "type": "dict",
        "title": "Set",
        "description": "Reps or seconds; a load in kg or a %1RM, or neither; RIR = reps in reserve.",
        "keys": {
            "reps": _integer("Reps", 1, 100),
            "seconds": _integer("Seconds", 1, 3600),
            "loadKg": _number("Load (kg)", 0, 1000),
            "percent1rm": _number("%1RM", 1, 120),
            "rir": _integer("RIR", 0, 10),
            "restSeconds": _integer("Rest (s)", 0, 1800, default=0),
        },
    }
    repeat = {
        "type": "dict",
        "title": "Repeat",
        "keys": {
            "kind": {"const": "repeat", "widget": "hidden"},
            "times": _integer("Times", 2, 99, default=2),
            "steps": {
                "type": "list",
                "title": "Steps repeated",
                "minItems": 1,
                "maxItems": 20,
                "items": _timed_step("Step"),
            },
            "notes": _notes(),
        },
    }
    exercise = {
        "type": "dict",
        "title": "Exercise",
        "keys": {
            "kind": {"const": "exercise", "widget": "hidden"},
            "exerciseId": {
                "type": "string",
                "title": "Exercise",
                "choices": [{"title": label, "value": value} for value, label in exercise_choices],
            },
            "sets": {"type": "list", "title": "Sets", "minItems": 1, "maxItems": 20, "items": one_set},
            "notes": _notes(),
        },
    }
    return {
        "type": "dict",
        "keys": {
            "steps": {
                "type": "list",
                "title": "Steps, in order",
                "items": {"oneOf": [_timed_step("Timed step"), repeat, exercise]},
            }
        },
    }


def exercise_choices(stored: Mapping | None) -> list[tuple[str, str]]:
    """(id, label) of every exercise a coach may pick, by name: the catalogue's non-archived exercises, and those
    the stored structure names already (an archived one labelled "(archived)", a missing one by its id), so that
    editing an old session keeps them. One query."""
    named = workout_structure.exercise_ids(stored)
    valid_ids = set()
    for value in named:
        with contextlib.suppress(ValidationError):  # an id that is no UUID names no row: shown by its id below
            valid_ids.add(Exercise._meta.pk.to_python(value))
    rows = Exercise.objects.filter(Q(archived=False) | Q(pk__in=valid_ids)).order_by("name", "id")
    choices = [
        (str(pk), f"{name} (archived)" if archived else name)
        for pk, name, archived in rows.values_list("pk", "name", "archived")
    ]
    offered = {value for value, _label in choices}
    choices += [(value, f"Unknown exercise {value}") for value in sorted(named - offered)]
    return choices


# --- Between the stored shape and the editor's --------------------------------------------------------------


def _timed_to_editor(step: Mapping) -> dict:
    duration = step.get("duration") if isinstance(step.get("duration"), Mapping) else {}
    target = step.get("target") if isinstance(step.get("target"), Mapping) else {}
    return {
        "kind": step.get("kind", ""),
        "duration": {"seconds": duration.get("seconds"), "meters": duration.get("meters")},
        "target": {"type": target.get("type") or NO_TARGET, "low": target.get("low"), "high": target.get("high")},
        "notes": step.get("notes") or "",
    }


def _step_to_editor(step: Any) -> Any:
    if not isinstance(step, Mapping):
        return step
    kind = step.get("kind")
    if kind == "repeat":
        inner = step.get("steps") if isinstance(step.get("steps"), list) else []
        return {
            "kind": "repeat",
            "times": step.get("times"),
            "steps": [_timed_to_editor(one) if isinstance(one, Mapping) else one for one in inner],
            "notes": step.get("notes") or "",
        }
    if kind == "exercise":
        sets = step.get("sets") if isinstance(step.get("sets"), list) else []
        return {
            "kind": "exercise",
            "exerciseId": step.get("exerciseId") or "",
            "sets": [{key: one.get(key) for key in SET_KEYS} if isinstance(one, Mapping) else one for one in sets],
            "notes": step.get("notes") or "",
        }
    return _timed_to_editor(step)


def to_editor(structure: Any) -> Any:
    """The structure in the editor's shape (every key present); None is a structure of no step. Idempotent: the
    editor's own data comes back unchanged."""
    if structure is None:
        return {"steps": []}
    if not isinstance(structure, Mapping) or not isinstance(structure.get("steps"), list):
        return structure
    return {"steps": [_step_to_editor(step) for step in structure["steps"]]}


def _pruned(value: Any) -> Any:
    if isinstance(value, Mapping):
        kept = {}
        for key, item in value.items():
            item = _pruned(item)
            if item is None or (isinstance(item, str) and not item.strip()):
                continue  # a blank input: the key is absent
            if key == "type" and item == NO_TARGET and "low" in value:
                continue  # the target select's "no target"
            if key == "target" and item == {}:
                continue  # no target chosen and no bound typed: no target
            kept[key] = item
        return kept
    if isinstance(value, list):
        return [_pruned(item) for item in value]
    return value


def from_editor(data: Any) -> Any:
    """The editor's data in the API's shape: blank inputs left out, no step at all = no structure (None).
    Anything else is passed on as it is, for validation to name what is wrong."""
    if data is None or data == {} or data == {"steps": []}:
        return None
    return _pruned(data)


# --- Errors at their input ------------------------------------------------------------------------------------

_MESSAGE = re.compile(r"^(?P<path>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*): (?P<text>.*)$", re.S)
_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\[\d+\]")


def error_map(messages: Iterable[str], data: Any) -> dict[str, list[str]]:
    """django-jsonform's error map for `messages` ("path: text"): each text at the deepest part of its path the
    editor's `data` has (the rest of the path, if any, stays in the text); a message without a path at the top."""
    errors: dict[str, list[str]] = {}
    for message in messages:
        match = _MESSAGE.match(message)
        if match is None:
            errors.setdefault("", []).append(message)
            continue
        parts = [int(part[1:-1]) if part.startswith("[") else part for part in _PART.findall(match["path"])]
        node, found = data, []
        for part in parts:
            at_index = isinstance(part, int) and isinstance(node, list) and part < len(node)
            at_key = isinstance(part, str) and isinstance(node, Mapping) and part in node
            if not (at_index or at_key):
                break
            node = node[part]
            found.append(part)
        rest = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts[len(found) :])
        rest = rest.removeprefix(".")
        text = f"{rest}: {match['text']}" if rest else match["text"]
        errors.setdefault(join_coords(*found), []).append(text)
    return errors


# --- The form field and its widget ---------------------------------------------------------------------------


class StructureWidget(JSONFormWidget):
    """django-jsonform's editor, with the live summary's script and the editor's layout."""

    def __init__(self, **kwargs):
        super().__init__(schema=editor_schema([]), **kwargs)

    @property
    def media(self):
        return super().media + forms.Media(
            css={"all": ["cadence/workout-editor.css"]}, js=["cadence/workout-editor.js"]
        )


class StructureField(forms.JSONField):
    """A session's structure edited in the editor; cleans to the normalized structure the model stores (None for
    no step), or to the errors `validate_structure()` names by path."""

    widget = StructureWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            value = None  # not JSON (not the editor's): the field's error says so, the editor starts empty
        return json.dumps(to_editor(value))

    def to_python(self, value):
        return from_editor(super().to_python(value))

    def clean(self, value):
        value = super().clean(value)
        try:
            return workout_structure.validate_structure(value)
        except workout_structure.StructureError as exc:
            raise ValidationError(exc.messages, code="structure") from None

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        try:
            new = self.to_python(data)
            new = workout_structure.validate_structure(new)
        except (ValidationError, workout_structure.StructureError):
            return True
        return json.dumps(initial, sort_keys=True) != json.dumps(new, sort_keys=True)


class StructureFormMixin(forms.ModelForm):
    """A session form with the structure editor: the exercise picker offers the catalogue as it is now, and every
    error about the structure, the model's included, is also shown at the step it names."""

    structure = StructureField(
        label="Workout",
        help_text="The steps in order: timed steps, repeats of timed steps, exercises with their sets. "
        "Leave it without a step for a session with no structure.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.structure if not self.instance._state.adding else None
        self.fields["structure"].widget.schema = editor_schema(exercise_choices(stored))

    def _post_clean(self):
        super()._post_clean()
        messages = list(self.errors.get("structure", []))
        if messages:
            data = json.loads(self["structure"].value())  # the editor's data as posted
            self.fields["structure"].widget.add_error(error_map(messages, data))


# --- What the page shows beside the editor ----------------------------------------------------------------------


def _clock(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def summary_text(structure: Mapping | None) -> str:
    """ "Time 0:45:00 · Distance 5.00 km · Sets 6 · Volume 1500 kg": the structure's summary with the loads the
    coach prescribed (a %1RM set's load depends on the athlete's estimate: counted apart, "3 sets at %1RM")."""
    if not structure:
        return "No structure: the session is unstructured."
    figures = workout_structure.summary(structure)
    at_percent = sum(
        1 for step in workout_structure.exercise_steps(structure) for one in step["sets"] if "percent1rm" in one
    )
    volume = f"{figures['volumeKg']:g} kg"
    if at_percent:
        volume += f" + {at_percent} set{'s' if at_percent != 1 else ''} at %1RM"
    return (
        f"Time {_clock(figures['seconds'])} · Distance {figures['meters'] / 1000:.2f} km · "
        f"Sets {figures['sets']} · Volume {volume}"
    )


def _amount(one: PerformedSet) -> str:
    return f"{one.reps} reps" if one.reps is not None else f"{one.seconds} s"


def _load(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.normalize():f} kg"


def logged_sets_html(session) -> str:
    """The sets the athlete logged for `session`, grouped by exercise in the order they were done; one query."""
    rows = list(
        PerformedSet.objects.filter(session=session)
        .select_related("exercise")
        .order_by("exercise__name", "exercise_id", "set_index")
    )
    if not rows:
        return format_html('<p class="quiet logged-sets-empty">{}</p>', "The athlete has logged no set yet.")
    groups: dict[Any, list[PerformedSet]] = {}
    for one in rows:
        groups.setdefault(one.exercise_id, []).append(one)
    body = format_html_join(
        "",
        '<tbody class="logged-exercise"><tr><th colspan="4" scope="rowgroup">{} <small>({} set{})</small></th></tr>'
        "{}</tbody>",
        (
            (
                str(sets[0].exercise),
                len(sets),
                "" if len(sets) == 1 else "s",
                format_html_join(
                    "",
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    (
                        (one.set_index, _amount(one), _load(one.load_kg), "—" if one.rir is None else one.rir)
                        for one in sets
                    ),
                ),
            )
            for sets in groups.values()
        ),
    )
    return format_html(
        '<table class="logged-sets"><thead><tr><th scope="col">Set</th><th scope="col">Reps / time</th>'
        '<th scope="col">Load</th><th scope="col">RIR</th></tr></thead>{}</table>',
        body,
    )
