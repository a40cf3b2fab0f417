"""Writes of the workouts' rows, each one transaction, taking the steps of core.writes.

The exercise catalogue has no parent: a write locks only the exercise it changes. Its one cross-row rule, a
name unique ignoring case, is judged by full_clean and held by the database's constraint
(`exercise_name_unique_ci`); a concurrent writer who takes the name first makes the save a ValidationError on
`name` (core.writes.save_checked), never an IntegrityError."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from core.writes import (
    apply_changes,
    full_clean_known,
    if_match_check,
    lock_parents_and_row,
    lock_row,
    save_checked,
)
from training.models import TrainingProgram, TrainingSession

from .estimates import one_rep_max_refresh
from .models import Exercise, PerformedSet
from .performed_sets import SET_FIELDS, SetsVersion, canonical, judged, sets_version, stored_sets


@transaction.atomic
def exercise_write(*, instance: Exercise | None, changes: dict, if_match: str | None = None, actor=None) -> Exercise:
    """The API's create (`instance` None) or update of an exercise: the row locked (FOR NO KEY UPDATE) and read
    fresh, If-Match compared (412), the changes applied (none: the row is returned unchanged, version and
    updatedAt kept), validated and saved."""
    if instance is None:
        exercise = Exercise()
    else:
        exercise = lock_row(Exercise, instance.pk)
        if_match_check(if_match, exercise)
    if not apply_changes(exercise, changes) and instance is not None:
        return exercise
    full_clean_known(exercise)
    save_checked(exercise)
    return exercise


@transaction.atomic
def exercise_save(*, exercise: Exercise) -> Exercise:
    """Create or update an exercise as the admin's form built it: validated and saved (core.writes.save_checked:
    a name taken meanwhile is a ValidationError on `name`)."""
    if not exercise._state.adding:
        lock_row(Exercise, exercise.pk)  # serializes with the API's writers of the row
    full_clean_known(exercise)
    save_checked(exercise)
    return exercise


@transaction.atomic
def exercises_set_archived(*, ids: Iterable | QuerySet, archived: bool) -> int:
    """Archive (or restore) the exercises `ids` (ids, or a queryset of them: `.values("pk")`) in one UPDATE;
    returns how many changed. Those already in that state keep their version and updatedAt, like any write that
    changes nothing."""
    return (
        Exercise.objects.filter(pk__in=ids)
        .exclude(archived=archived)
        .update(archived=archived, version=F("version") + 1, updated_at=timezone.now())
    )


@transaction.atomic
def performed_sets_replace(*, session, sets: list[dict], if_match: str | None = None, actor=None) -> SetsVersion:
    """Replace the session's performed sets with `sets` (dicts of training.workouts.performed_sets.SET_FIELDS, in
    the order to keep), all or nothing; returns the new version (the sets' ETag).

    Locks in the documented order (training.services): the session's program, then the session's row, read
    fresh under them (a session gone meanwhile is a 404). If-Match is compared with the sets as stored under
    those locks (412 when stale): two writers holding one ETag queue on the locks and the second sees the
    first's sets. The sets are then judged (performed_sets.judged: PerformedSetsError names each set in the
    way) and written as one DELETE and one INSERT; a list equal to the stored one writes nothing. Each set's
    athlete is the session's, as locked."""

    def read_session():
        row = lock_row(TrainingSession, session.pk)
        return row, row.program_id

    _, locked = lock_parents_and_row(TrainingProgram, {session.program_id}, read_session)
    current = stored_sets(locked.pk)
    if_match_check(if_match, sets_version(locked.pk, current))
    rows = judged(sets)
    new = [canonical({field: getattr(row, field) for field in SET_FIELDS}) for row in rows]
    if new == current:
        return sets_version(locked.pk, current)  # nothing changes: the version stays
    for row in rows:
        row.session_id, row.athlete_id = locked.pk, locked.athlete_id
    PerformedSet.objects.filter(session_id=locked.pk).delete()
    PerformedSet.objects.bulk_create(rows)
    # The estimates of every exercise the session's sets name, before or after, are worked out again.
    one_rep_max_refresh(athlete_ids={locked.athlete_id}, exercise_ids={one[0] for one in (*current, *new)})
    return sets_version(locked.pk, new)
