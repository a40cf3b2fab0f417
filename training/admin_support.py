"""What the training admin shows and reads beyond the models' own fields: labels that tell rows apart, and
date-times in the athlete's timezone.

Labels are admin-only (`__str__` stays short: the API, logs and other code use it). Times are stored in UTC;
the admin shows and reads them in the timezone of the session's athlete, labelled with it.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Max, Min, Q, Value, When
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThanOrEqual
from django.utils.html import format_html

from .load_selectors import LocalDate
from .models import MicroCycle, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession

# --- Labels ----------------------------------------------------------------------------------------


def program_label(program: TrainingProgram) -> str:
    """ "Title — Athlete (start → end)"."""
    return f"{program.title} — {program.athlete.display_name} ({program.start_date} → {program.end_date})"


def date_span(first: date, last: date) -> str:
    """ "2026-03-16 – 03-22" (the year once when both days share it), "2026-12-28 – 2027-01-03" otherwise."""
    return f"{first} – {last:%m-%d}" if first.year == last.year else f"{first} – {last}"


def phase_name(phase: ProgramPhase) -> str:
    """ "2. Build": the order tells apart two phases with the same name."""
    return f"{phase.phase_order}. {phase.name}"


def phase_label(phase: ProgramPhase) -> str:
    """ "Athlete · Program · n. Name (start – end)"."""
    program = phase.program
    return (
        f"{program.athlete.display_name} · {program.title} · {phase_name(phase)} "
        f"({date_span(phase.start_date, phase.end_date)})"
    )


def cycle_week_dates(cycle: MicroCycle) -> tuple:
    """The first and last day of the cycle's week (week 1 starts on the program's start date)."""
    program = cycle.program
    first = program.start_date + timedelta(days=7 * (cycle.week_index - 1))
    return first, min(first + timedelta(days=6), program.end_date)


def cycle_label(cycle: MicroCycle) -> str:
    """ "Athlete · Program · Week n (first – last day), n. Phase" (no phase part for a week without one)."""
    program = cycle.program
    week = f"Week {cycle.week_index} ({date_span(*cycle_week_dates(cycle))})"
    phase = f", {phase_name(cycle.phase)}" if cycle.phase_id else ""
    return f"{program.athlete.display_name} · {program.title} · {week}{phase}"


class LabelledModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField whose options read `label(obj)` (the autocomplete shows the chosen row with it)."""

    def __init__(self, *args, label_function=None, **kwargs):
        self.label_function = label_function
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj):
        return self.label_function(obj) if self.label_function else super().label_from_instance(obj)


def use_labels(form: forms.BaseForm, labels: dict) -> None:
    """Make the form's foreign-key fields named in `labels` ({field: (label_function, select_related)}) show
    their identifying label, loading what the label needs in the same query."""
    for name, (function, related) in labels.items():
        field = form.fields.get(name)
        if field is None:
            continue
        field.label_from_instance = function
        field.queryset = field.queryset.select_related(*related)


def truncated(text: str, width_em: int = 18):
    """The text cut to the column (CSS ellipsis) with the whole of it on hover."""
    return format_html('<span class="truncate" style="max-width:{}em" title="{}">{}</span>', width_em, text, text)


# --- Times in the athlete's timezone ----------------------------------------------------------------

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
# own today: both computed by the database per row with the LocalDate the load API groups by (PostgreSQL converts
# with its own zone data; SQLite through Django's zone-converting cast), so a page costs no extra query.

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
    return LocalDate(Value(now, output_field=models.DateTimeField()), "athlete__timezone")


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


# --- Audit trail: status changes in the admin log ---------------------------------------------------


def status_change_message(old: str | None, new: str, *, source: str) -> str:
    labels = dict(SessionStatus.choices)
    return f"Status: {labels.get(old, old or '—')} → {labels.get(new, new)} ({source})."


def plain_change_message(message) -> str:
    """The admin's structured change message (a list) as the sentence the History page shows."""
    if isinstance(message, str):
        return message
    return LogEntry(change_message=json.dumps(message)).get_change_message() if message else ""


def log_bulk_status_change(user, sessions, old_statuses: dict, status: str, *, action: str) -> list[LogEntry]:
    """One admin log entry per session a bulk action changed, in one INSERT (see docs/admin.md for the cost)."""
    content_type = ContentType.objects.get_for_model(TrainingSession, for_concrete_model=False)
    entries = [
        LogEntry(
            user_id=user.pk,
            content_type_id=content_type.pk,
            object_id=str(session.pk),
            object_repr=str(session)[:200],
            action_flag=CHANGE,
            change_message=status_change_message(old_statuses.get(session.pk), status, source=f"bulk action {action}"),
        )
        for session in sessions
    ]
    return LogEntry.objects.bulk_create(entries)


def status_log_entries(session: TrainingSession, limit: int = 50) -> list[LogEntry]:
    """The admin log entries that created the session or changed its status, newest first (one query)."""
    content_type = ContentType.objects.get_for_model(TrainingSession, for_concrete_model=False)
    return list(
        LogEntry.objects.filter(content_type_id=content_type.pk, object_id=str(session.pk))
        .filter(Q(action_flag=ADDITION) | Q(change_message__contains="Status"))
        .select_related("user")
        .order_by("-action_time", "-id")[:limit]
    )
