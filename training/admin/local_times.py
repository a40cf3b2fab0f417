"""Date-times in the athlete's timezone in the training admin: shown and typed in the zone of the session's
athlete (stored in UTC, labelled with the zone), and the athlete-local days the session list filters and orders
by, in SQL.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Max, Min, Q, Value, When
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThanOrEqual
from django.utils.html import format_html

from ..local_time import LocalDate, local_today

LOCAL_FORMAT = "%Y-%m-%d %H:%M"
INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def local_time_html(value: datetime | None, tz_name: str):
    """`2026-11-26 07:00 JST`, with the IANA zone and the UTC instant on hover; "—" for no value."""
    if value is None:
        return "—"
    local = value.astimezone(zoneinfo.ZoneInfo(tz_name))
    return format_html(
        '<time class="athlete-local" datetime="{}" title="{} ({}); {} UTC">{}</time>',
        value.astimezone(UTC).isoformat(),
        tz_name,
        local.strftime("%Z"),
        value.astimezone(UTC).strftime(LOCAL_FORMAT),
        local.strftime(f"{LOCAL_FORMAT} %Z"),
    )


class LocalDateTimeField(forms.DateTimeField):
    """A date-time typed as a wall-clock time, without a zone: the form gives it the athlete's zone later.

    Django's own DateTimeField would read it in the server's zone (UTC) at once."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60}, format="%Y-%m-%dT%H:%M")
    input_formats = INPUT_FORMATS

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.replace(tzinfo=None) if value.tzinfo is None else value
        for fmt in self.input_formats:
            try:
                return datetime.strptime(str(value).strip(), fmt)
            except (TypeError, ValueError):
                continue
        raise ValidationError(self.error_messages["invalid"], code="invalid")

    def prepare_value(self, value):
        return value  # an aware value was already converted to the athlete's wall-clock time by the form


def localize(naive: datetime, tz_name: str) -> datetime:
    """`naive` read as a wall-clock time in `tz_name`, as an aware UTC datetime.

    A time the clocks skip (spring forward) or show twice (fall back) cannot be read without guessing: it
    raises a ValidationError that says which."""
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    tz = zoneinfo.ZoneInfo(tz_name)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    shown = naive.strftime(LOCAL_FORMAT)
    if first.utcoffset() != second.utcoffset():
        # fold only matters in a gap or an overlap; a round trip tells which one this is.
        if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
            raise ValidationError(
                f"{shown} does not exist in {tz_name}: the clocks skip that time for daylight saving. "
                "Choose a time outside the skipped hour.",
                code="nonexistent_local_time",
            )
        raise ValidationError(
            f"{shown} happens twice in {tz_name} (the clocks go back): it is ambiguous. "
            "Choose a time outside the repeated hour.",
            code="ambiguous_local_time",
        )
    try:
        return first.astimezone(UTC)
    except OverflowError:  # within hours of year 1 or 9999
        raise ValidationError(f"{shown} is out of range.", code="invalid") from None


def to_local_wall_clock(value: datetime | None, tz_name: str) -> datetime | None:
    """An aware instant as the naive wall-clock time the athlete's clock shows."""
    if value is None:
        return None
    return value.astimezone(zoneinfo.ZoneInfo(tz_name)).replace(tzinfo=None)


# --- Athlete-local days in SQL ----------------------------------------------------------------------
# A session's day is the calendar day of `scheduled_at` in its athlete's timezone, and "today" is each athlete's
# own today: both computed by the database per row with training.local_time.LocalDate, the expression the load
# figures group by and the program metrics take "today" from, so a page costs no extra query.

# Every zone's offset lies within UTC−12 … UTC+14, and a local day lasts at most 25 hours: an athlete's today
# contains `now`, so it starts after `now − 26 h` and ends before `now + 26 h`.
TODAY_REACH = timedelta(hours=26)
# Two zones' clocks differ by at most 26 hours (UTC+14 against UTC−12): a session on an earlier local day than
# another's lies less than 26 hours after it.
ZONE_SPREAD = timedelta(hours=26)


def session_local_day() -> LocalDate:
    """The calendar day of each session's `scheduled_at` in its athlete's timezone."""
    return LocalDate("scheduled_at", "athlete__timezone")


def athlete_today(now: datetime) -> LocalDate:
    """Each session's athlete's calendar date at the instant `now`."""
    return local_today(now, "athlete__timezone")


def _utc_midnight(day: date, shift_days: int) -> datetime | None:
    try:
        return datetime.combine(day + timedelta(days=shift_days), time.min, tzinfo=UTC)
    except OverflowError:
        return None


def scheduled_within(first: date, last: date) -> Q:
    """A bound on the instant of every session whose local day lies in first … last, whatever its zone: the
    index on `scheduled_at` narrows the rows before the per-row conversion runs."""
    bound = Q()
    start, end = _utc_midnight(first, -1), _utc_midnight(last, 2)
    if start is not None:
        bound &= Q(scheduled_at__gte=start)
    if end is not None:
        bound &= Q(scheduled_at__lt=end)
    return bound


def on_local_days(first: date, last: date) -> Q:
    """Sessions whose local day lies in first … last (fixed dates)."""
    day = session_local_day()
    return scheduled_within(first, last) & Q(GreaterThanOrEqual(day, first), LessThanOrEqual(day, last))


def on_days_from_today(now: datetime, span: Callable[[date], tuple[date, date]]) -> Q:
    """Sessions whose local day lies in `span(today)`, today being each athlete's own today at `now`.

    An athlete's today is the UTC date of `now`, the day before or the day after (offsets −12 … +14 h), so the
    relative span becomes three fixed ones, one per possible today: exact, and the same SQL on every database."""
    utc_today = now.astimezone(UTC).date()
    today = athlete_today(now)
    branches, firsts, lasts = Q(), [], []
    for candidate in (utc_today - timedelta(days=1), utc_today, utc_today + timedelta(days=1)):
        first, last = span(candidate)
        firsts.append(first)
        lasts.append(last)
        branches |= Q(Exact(today, candidate)) & on_local_days(first, last)
    return scheduled_within(min(firsts), max(lasts)) & branches


def local_day_span(sessions: models.QuerySet) -> tuple[date, date] | None:
    """The first and last local day of `sessions` (None when there are none), in two queries that convert only
    the rows near the ends: the earliest and latest instants come from the index, and a session on an earlier
    (later) local day than the earliest (latest) one's lies within ZONE_SPREAD of it."""
    ends = sessions.aggregate(earliest=Min("scheduled_at"), latest=Max("scheduled_at"))
    if ends["earliest"] is None:
        return None
    try:
        near_ends = Q(scheduled_at__lte=ends["earliest"] + ZONE_SPREAD) | Q(
            scheduled_at__gte=ends["latest"] - ZONE_SPREAD
        )
    except OverflowError:  # within a day of year 1 or 9999
        near_ends = Q()
    days = sessions.filter(near_ends).aggregate(first=Min(session_local_day()), last=Max(session_local_day()))
    return days["first"], days["last"]


def upcoming_first_ordering(now: datetime) -> list:
    """Sessions on their athlete's today or later first, soonest first; then the earlier ones, latest first."""
    upcoming = Case(
        # Beyond anyone's today either way: decided by the instant alone, no conversion for those rows.
        When(scheduled_at__gte=now + TODAY_REACH, then=Value(0)),
        When(scheduled_at__lt=now - TODAY_REACH, then=Value(1)),
        When(GreaterThanOrEqual(session_local_day(), athlete_today(now)), then=Value(0)),
        default=Value(1),
    )
    return [
        upcoming.asc(),
        Case(When(Exact(upcoming, 0), then=F("scheduled_at"))).asc(nulls_last=True),
        F("scheduled_at").desc(),
        F("id").asc(),
    ]
