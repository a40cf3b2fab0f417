"""A session's performed sets as one list: how it is read, its version (the `ETag` of
`/api/v1/sessions/{id}/sets/`) and the rules a replacement of the whole list is judged by.

The list is kept in the order it was written (the rows' ids ascending: a replacement inserts its sets in the
order given), so a client reads back exactly the list it sent, supersets interleaved as it logged them.

Its version is a digest of the session's id and the stored sets in that order: any change to any set, to the
order or to the number of sets gives another one, and a replacement that stores the same list keeps it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from .models import Exercise, PerformedSet

# The most sets one session holds: far beyond a real session, and small enough that a replacement is one DELETE
# and one INSERT on every database (SQLite takes at most 999 parameters a statement; a set is 8 of them).
MAX_SETS_PER_SESSION = 120

# A set's fields as the service takes them and the list stores them, in the order the version digests them.
SET_FIELDS = ("exercise_id", "set_index", "reps", "seconds", "load_kg", "rir")

_CENTS = Decimal("0.01")


@dataclass(frozen=True)
class SetsVersion:
    """The version of a session's sets, shaped for core.api's ETag helpers (`etag_for`, `if_match_satisfied`)."""

    version: str
    pk: None = None


class PerformedSetsError(ValidationError):
    """A replacement refused: `items` maps the position (from 0) of each set in the way to its errors,
    `{field: [messages]}` by the model's field names (`exercise_id`, `set_index`, …): the shape DRF gives a list
    body's errors."""

    def __init__(self, items: dict[int, dict[str, list[str]]]):
        self.items = items
        super().__init__(
            [
                f"Item {position}: {field}: {message}"
                for position, errors in items.items()
                for field, messages in errors.items()
                for message in messages
            ]
        )


def _load(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(_CENTS)


def canonical(one_set: Mapping) -> tuple:
    """A set as the version digests it and as the API shows it: its fields in SET_FIELDS order, the exercise id
    as a string and the load to the cent, whatever the caller or the database handed over."""
    return (
        str(one_set["exercise_id"]),
        one_set["set_index"],
        one_set.get("reps"),
        one_set.get("seconds"),
        _load(one_set.get("load_kg")),
        one_set.get("rir"),
    )


def stored_sets(session_id) -> list[tuple]:
    """The session's sets as stored, in the order they were written (one query), each `canonical`."""
    rows = PerformedSet.objects.filter(session_id=session_id).order_by("id").values(*SET_FIELDS)
    return [canonical(row) for row in rows]


def sets_version(session_id, sets: Sequence[tuple]) -> SetsVersion:
    """The version of the `canonical` sets `sets` of the session `session_id`."""
    text = json.dumps([str(session_id), [[None if v is None else str(v) for v in one] for one in sets]])
    return SetsVersion(hashlib.sha256(text.encode()).hexdigest()[:32])


def as_body(sets: Iterable[tuple]) -> list[dict]:
    """`canonical` sets as the API's rows (every key, null where absent; the load a number)."""
    return [
        {
            "exerciseId": exercise,
            "setIndex": set_index,
            "reps": reps,
            "seconds": seconds,
            "loadKg": None if load is None else float(load),
            "rir": rir,
        }
        for exercise, set_index, reps, seconds, load, rir in sets
    ]


def judged(sets: Sequence[Mapping]) -> list[PerformedSet]:
    """The sets as unsaved rows (session and athlete left for the caller), or PerformedSetsError naming each set
    in the way: a field out of its range, neither or both of reps and seconds, a set index given twice for one
    exercise, an exercise that does not exist (an archived one is fine: it was done), more than
    MAX_SETS_PER_SESSION sets. One query (the exercises; none for an empty list)."""
    if len(sets) > MAX_SETS_PER_SESSION:
        raise ValidationError(f"At most {MAX_SETS_PER_SESSION} sets a session; {len(sets)} were given.")
    named = {one_set["exercise_id"] for one_set in sets}
    known = {str(pk) for pk in Exercise.objects.filter(pk__in=named).values_list("pk", flat=True)} if named else set()
    rows, items, seen = [], {}, {}
    for position, one_set in enumerate(sets):
        row = PerformedSet(**{field: one_set.get(field) for field in SET_FIELDS})
        errors: dict[str, list[str]] = {}
        try:
            row.clean_fields(exclude={"session", "athlete", "exercise"})
        except ValidationError as exc:
            errors = {field: list(messages) for field, messages in exc.message_dict.items()}
        if (row.reps is None) == (row.seconds is None):
            errors.setdefault("reps", []).append("Give exactly one of reps or seconds.")
        if str(row.exercise_id) not in known:
            errors.setdefault("exercise_id", []).append("No exercise with this id.")
        key = (str(row.exercise_id), row.set_index)
        if key in seen:
            errors.setdefault("set_index", []).append(
                f"Set index {row.set_index} of this exercise is taken by item {seen[key]} of the list (counting "
                "from 0): one set per index and exercise."
            )
        else:
            seen[key] = position
        rows.append(row)
        if errors:
            items[position] = errors
    if items:
        raise PerformedSetsError(items)
    return rows
