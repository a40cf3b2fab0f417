"""Estimated one-rep maxes kept ready (OneRepMaxEstimate), so a page of %1RM sessions reads them by key.

The estimate itself is defined once, in training.workouts.selectors (the best Epley estimate over the sets of
the athlete's last 365 local days). What is stored is that value with how long it certainly stays right:

- until the day its best set leaves the window, or the first day a better set logged on a future-dated session
  enters it (a day early, so a timezone database that differs by an hour from the server's never matters);
- in the timezone it was worked out in (a read ignores a row whose athlete has moved since);
- while its best set exists (a read ignores a row whose set was deleted, by a sets write or a deleted session).

Writers that add sets (`performed_sets_replace`, seed_demo) call `one_rep_max_refresh`; a session moved to
another time or athlete forgets its athletes' rows (TrainingSession.save). A read that finds no usable row
works the estimate out from the sets, so a missing or stale row only costs time, never a wrong load. The
`one_rep_max_refresh` command renews what expired (run it daily)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connections, router, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from athletes.models import AthleteProfile
from core.writes import lock_names

from .models import OneRepMaxEstimate, PerformedSet

FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
MARGIN = timedelta(days=1)


def _stored_sql(athletes: int, exercises: int) -> str:
    """The lookup of stored_estimates() for that many athletes and exercises. Written out rather than built with
    the ORM: a list page runs it on every request, and building the same query (a join, an EXISTS) through the
    ORM cost more than running it."""
    estimate, athlete, performed = (m._meta.db_table for m in (OneRepMaxEstimate, AthleteProfile, PerformedSet))
    marks = ", ".join
    return (
        f"SELECT e.athlete_id, e.exercise_id, e.one_rep_max_kg FROM {estimate} e "  # noqa: S608 - model table names
        f"JOIN {athlete} a ON a.id = e.athlete_id AND a.timezone = e.timezone "
        f"WHERE e.athlete_id IN ({marks(['%s'] * athletes)}) AND e.exercise_id IN ({marks(['%s'] * exercises)}) "
        f"AND e.valid_until > %s "
        f"AND (e.best_set_id IS NULL OR EXISTS (SELECT 1 FROM {performed} s WHERE s.id = e.best_set_id))"
    )


def stored_estimates(*, pairs: set[tuple[object, str]], now: datetime) -> dict[tuple[object, str], float | None]:
    """{(athlete id, exercise id): estimate or None} for the pairs asked whose stored row is still usable (one
    query); pairs missing from the answer must be worked out from the sets."""
    athletes = {athlete for athlete, _ in pairs}
    exercises = {exercise for _, exercise in pairs}
    reading = connections[router.db_for_read(OneRepMaxEstimate)]  # a replica when reads are routed to one
    uuid_field = OneRepMaxEstimate._meta.get_field("athlete").target_field
    params = [uuid_field.get_db_prep_value(a, reading) for a in athletes]
    params += [uuid_field.get_db_prep_value(uuid.UUID(str(e)), reading) for e in exercises]
    params.append(reading.ops.adapt_datetimefield_value(now))
    with reading.cursor() as cursor:
        cursor.execute(_stored_sql(len(athletes), len(exercises)), params)
        rows = cursor.fetchall()
    found = {(_uuid(athlete), str(_uuid(exercise))): value for athlete, exercise, value in rows}
    return {pair: found[pair] for pair in pairs if pair in found}


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


@transaction.atomic(savepoint=False)
def one_rep_max_refresh(
    *, athlete_ids: Iterable, exercise_ids: Iterable | None = None, now: datetime | None = None
) -> int:
    """Work out and store the estimates of `athlete_ids` for `exercise_ids` (None: every exercise they have a set
    of in the window or after it), replacing their rows: one read of the sets, one delete, one insert. A pair
    asked by name that has no set gets a row too (no estimate, valid until a set is written). Returns the
    number of rows stored."""
    from .selectors import EPLEY, WINDOW_DAYS, WINDOW_SLACK, _counts_for_e1rm, sets_with_age

    athlete_ids = set(athlete_ids)
    asked = None if exercise_ids is None else {str(exercise) for exercise in exercise_ids}
    if not athlete_ids or asked == set():
        return 0
    lock_names(f"one-rep-max:{athlete}" for athlete in athlete_ids)  # a writer's sets are committed before the read
    now = now or timezone.now()
    sets = PerformedSet.objects.filter(
        _counts_for_e1rm(), athlete_id__in=athlete_ids, session__scheduled_at__gte=now - WINDOW_SLACK
    )
    if asked is not None:
        sets = sets.filter(exercise_id__in=asked)
    rows = (
        sets_with_age(sets, now)
        .annotate(e1rm=EPLEY)
        .values_list("athlete_id", "exercise_id", "id", "age", "e1rm", "athlete__timezone")
    )
    by_pair: dict[tuple, list] = {}
    zones: dict[object, str] = {}
    for athlete, exercise, set_id, age, e1rm, zone in rows:
        by_pair.setdefault((athlete, str(exercise)), []).append((age, e1rm, set_id))
        zones[athlete] = zone
    if asked is not None:
        for athlete in athlete_ids:
            for exercise in asked:
                by_pair.setdefault((athlete, exercise), [])
    if any(athlete not in zones for athlete, _ in by_pair):  # athletes without a set: their zone still counts
        zones.update(
            AthleteProfile.objects.filter(pk__in={a for a, _ in by_pair} - set(zones)).values_list("pk", "timezone")
        )
    estimates = []
    for (athlete, exercise), found in by_pair.items():
        if athlete not in zones:
            continue  # the athlete is gone
        zone_name = zones[athlete]
        zone = ZoneInfo(zone_name)
        today = now.astimezone(zone).date()
        in_window = [item for item in found if 0 <= item[0] < WINDOW_DAYS]
        best = max(in_window, key=lambda item: (item[1], -item[0]), default=None)
        ends = []
        if best is not None:  # the latest of the best sets: when it leaves, the best may change
            ends.append(_local_midnight(today + timedelta(days=WINDOW_DAYS - best[0]), zone))
        entering = [-age for age, e1rm, _ in found if age < 0 and (best is None or e1rm > best[1])]
        if entering:
            ends.append(_local_midnight(today + timedelta(days=min(entering)), zone))
        estimates.append(
            OneRepMaxEstimate(
                athlete_id=athlete,
                exercise_id=exercise,
                one_rep_max_kg=None if best is None else best[1],
                best_set_id=None if best is None else best[2],
                timezone=zone_name,
                valid_until=min(ends) - MARGIN if ends else FOREVER,
            )
        )
    if asked is None:  # every exercise: rows of exercises without sets any more go
        OneRepMaxEstimate.objects.filter(athlete_id__in=athlete_ids).delete()
        OneRepMaxEstimate.objects.bulk_create(estimates)
    else:  # every pair asked gets its row: one upsert
        OneRepMaxEstimate.objects.bulk_create(
            estimates,
            update_conflicts=True,
            unique_fields=["athlete", "exercise"],
            update_fields=["one_rep_max_kg", "best_set_id", "timezone", "valid_until"],
        )
    return len(estimates)


@transaction.atomic(savepoint=False)
def one_rep_max_forget(*, athlete_ids: Iterable) -> None:
    """Drop the stored estimates of these athletes (their sets moved in time): reads work them out until the next
    refresh."""
    athlete_ids = set(athlete_ids)
    lock_names(f"one-rep-max:{athlete}" for athlete in athlete_ids)  # not while a refresh reads the sets as they were
    OneRepMaxEstimate.objects.filter(athlete_id__in=athlete_ids).delete()


def athletes_to_refresh(*, every: bool = False, now: datetime | None = None) -> list:
    """The athletes with sets that count for an estimate (1-12 reps with a load) in the window or after it, whose
    stored estimate for such an exercise is missing, expires within a day, or was worked out in another timezone
    (all of them with `every`), ids ascending."""
    from .selectors import WINDOW_SLACK, _counts_for_e1rm

    now = now or timezone.now()
    with_sets = PerformedSet.objects.filter(_counts_for_e1rm(), session__scheduled_at__gte=now - WINDOW_SLACK)
    if not every:
        usable = OneRepMaxEstimate.objects.filter(
            athlete_id=OuterRef("athlete_id"),
            exercise_id=OuterRef("exercise_id"),
            valid_until__gt=now + timedelta(days=1),
            timezone=OuterRef("athlete__timezone"),
        )
        with_sets = with_sets.filter(~Exists(usable))
    return sorted(set(with_sets.values_list("athlete_id", flat=True)), key=str)
