"""What the training admin shows and reads beyond the models' own fields: labels that tell rows apart, and
date-times in the athlete's timezone.

Labels are admin-only (`__str__` stays short: the API, logs and other code use it). Times are stored in UTC;
the admin shows and reads them in the timezone of the session's athlete, labelled with it.
"""

from __future__ import annotations

import json
import zoneinfo
from datetime import UTC, datetime, timedelta

from django import forms
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import format_html

from .models import MicroCycle, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession

# --- Labels ----------------------------------------------------------------------------------------


def program_label(program: TrainingProgram) -> str:
    """ "Title — Athlete (start → end)"."""
    return f"{program.title} — {program.athlete.display_name} ({program.start_date} → {program.end_date})"


def phase_label(phase: ProgramPhase) -> str:
    """ "Athlete · Program · n. Name"."""
    program = phase.program
    return f"{program.athlete.display_name} · {program.title} · {phase.phase_order}. {phase.name}"


def cycle_week_dates(cycle: MicroCycle) -> tuple:
    """The first and last day of the cycle's week (week 1 starts on the program's start date)."""
    program = cycle.program
    first = program.start_date + timedelta(days=7 * (cycle.week_index - 1))
    return first, min(first + timedelta(days=6), program.end_date)


def cycle_label(cycle: MicroCycle) -> str:
    """ "Athlete · Program · Week n (first – last day)"."""
    program = cycle.program
    first, last = cycle_week_dates(cycle)
    return f"{program.athlete.display_name} · {program.title} · Week {cycle.week_index} ({first} – {last})"


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
