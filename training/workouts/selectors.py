"""Reads of the sets athletes performed: the estimated one-rep max a %1RM set resolves to, and an athlete's
records. Each is one query whatever the number of sets, computed by the database.

The window is the athlete's last 365 calendar days: the sets of the sessions whose local date (in the athlete's
timezone) is today or one of the 364 days before."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Case, F, FloatField, Max, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from athletes.models import AthleteProfile
from training.local_time import DaysBetween, LocalDate, local_today

from .estimates import stored_estimates
from .models import PerformedSet

WINDOW_DAYS = 365
# Wider than the window in any timezone: its first local day starts 364 days before the start of the local today,
# which began less than a day before now.
WINDOW_SLACK = timedelta(days=WINDOW_DAYS + 1)
SURELY_IN_WINDOW = timedelta(days=WINDOW_DAYS - 2)
E1RM_REPS = (1, 12)  # Epley's estimate is read from sets of this many reps only
RECORD_REPS = (1, 3, 5, 8, 10)  # bestLoadKg's keys: the heaviest load for at least this many reps

# Epley: load × (1 + reps / 30); a single rep is its load.
EPLEY = Case(
    When(reps=1, then=Cast("load_kg", FloatField())),
    default=Cast(F("load_kg") * (Value(30) + F("reps")), FloatField()) / Value(30.0),
    output_field=FloatField(),
)


def sets_with_age(queryset: QuerySet[PerformedSet], now: datetime) -> QuerySet[PerformedSet]:
    """`queryset` with `day` (its session's local date) and `age` (days from that date to today, locally)."""
    return queryset.annotate(
        day=LocalDate("session__scheduled_at", "athlete__timezone"),
        age=DaysBetween(F("day"), local_today(now, "athlete__timezone")),
    )


def _in_window(now: datetime) -> Q:
    """The set's local date is in the window. A set whose session lies between 363 days ago and now is in it
    whatever the timezone (a day's margin for DST and the offsets), which the database checks first: the exact
    local dates (two timezone conversions a row, most of such a query's time) are worked out only for the sessions
    near the window's edges."""
    surely_in = Q(session__scheduled_at__gte=now - SURELY_IN_WINDOW, session__scheduled_at__lte=now)
    return surely_in | Q(age__gte=0, age__lt=WINDOW_DAYS)


def _counts_for_e1rm() -> Q:
    return Q(reps__gte=E1RM_REPS[0], reps__lte=E1RM_REPS[1], load_kg__isnull=False)


def one_rep_max_estimates(
    *, pairs: Iterable[tuple[object, str]], now: datetime | None = None
) -> dict[tuple[object, str], float]:
    """{(athlete id, exercise id as a string): estimated 1RM in kg} for the pairs asked that have an estimate:
    the best Epley estimate over the athlete's sets of that exercise with 1–12 reps in the window."""
    pairs = set(pairs)
    if not pairs:
        return {}
    now = now or timezone.now()
    # The stored estimates first (training.workouts.estimates): a key lookup; the sets are read only for pairs
    # without a usable stored row.
    stored = stored_estimates(pairs=pairs, now=now)
    estimates = {pair: value for pair, value in stored.items() if value is not None}
    pairs -= set(stored)
    if not pairs:
        return estimates
    athletes = {athlete for athlete, _ in pairs}
    exercises = {exercise for _, exercise in pairs}
    rows = (
        sets_with_age(
            PerformedSet.objects.filter(
                _counts_for_e1rm(),
                athlete_id__in=athletes,
                exercise_id__in=exercises,
                # The window again, loosely, on columns the planner can use: the sessions of these athletes
                # (a set's athlete is its session's) since a little more than the window, read through the
                # sessions' (athlete, scheduled_at) index, instead of hashing every session to join a few sets.
                session__athlete_id__in=athletes,
                session__scheduled_at__gte=now - WINDOW_SLACK,
            ),
            now,
        )
        .filter(_in_window(now))
        .values("athlete_id", "exercise_id")
        .annotate(best=Max(EPLEY))
        .order_by()
        .values_list("athlete_id", "exercise_id", "best")
    )
    found = {(athlete, str(exercise)): best for athlete, exercise, best in rows}
    return {**estimates, **{pair: found[pair] for pair in pairs if pair in found}}


def _one_decimal(value) -> float | None:
    return None if value is None else float(Decimal(str(value)).quantize(Decimal("0.1")))


def athlete_records(*, athlete: AthleteProfile, now: datetime | None = None) -> list[dict]:
    """One row per exercise the athlete has performed (by name): the best Epley estimate of the window and the
    date of its session, and the heaviest load for at least 1, 3, 5, 8 and 10 reps in the window. One query."""
    now = now or timezone.now()
    mine = PerformedSet.objects.filter(athlete_id=athlete.pk)
    best_set_day = (
        sets_with_age(mine.filter(_counts_for_e1rm(), exercise_id=OuterRef("exercise_id")), now)
        .filter(_in_window(now))
        .annotate(e1rm=EPLEY)
        .order_by("-e1rm", "-day")
        .values("day")[:1]
    )
    best_loads = {
        f"best_{reps}": Max("load_kg", filter=_in_window(now) & Q(reps__gte=reps, load_kg__isnull=False))
        for reps in RECORD_REPS
    }
    rows = (
        sets_with_age(mine, now)
        .values("exercise_id", "exercise__name")
        .annotate(
            e1rm=Max(EPLEY, filter=_in_window(now) & _counts_for_e1rm()),
            e1rm_day=Subquery(best_set_day),
            **best_loads,
        )
        .order_by("exercise__name", "exercise_id")
    )
    return [
        {
            "exercise_id": row["exercise_id"],
            "name": row["exercise__name"],
            "e1rm_kg": _one_decimal(row["e1rm"]),
            "e1rm_date": row["e1rm_day"] if row["e1rm"] is not None else None,
            "best_load_kg": {str(reps): _one_decimal(row[f"best_{reps}"]) for reps in RECORD_REPS},
        }
        for row in rows
    ]
