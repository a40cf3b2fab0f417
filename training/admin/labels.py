"""How the training admin names and shows rows beyond the models' own fields: labels that tell rows apart (in
pickers and autocompletes), the status badge, truncated text.

Labels are admin-only (`__str__` stays short: the API, logs and other code use it).
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.html import format_html

from ..models import MicroCycle, ProgramPhase, TrainingProgram


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


PLAN_BADGE_COLORS = {"planned": "#607d8b", "current": "#1565c0", "completed": "#2e7d32", "skipped": "#9e6a00"}


def status_badge(value: str, label: str):
    color = PLAN_BADGE_COLORS.get(value, "#555")
    return format_html(
        '<span class="status-badge status-{}" style="background:{};color:#fff;padding:1px 7px;'
        'border-radius:8px;font-size:11px;white-space:nowrap">{}</span>',
        value,
        color,
        label,
    )


class WidePickersMixin:
    """The program, phase and week pickers wide enough for their labels (athlete · program · week and dates,
    phase): select2 otherwise sizes itself to the empty select and cuts the chosen label after a few words.
    The whole label is on hover as well (select2's title), and the suggestions wrap."""

    wide_pickers = ("program", "phase", "micro_cycle")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name in self.wide_pickers and isinstance(field.widget, AutocompleteSelect):
            field.widget.attrs["style"] = "width: 44em"  # select2's "resolve" width reads it
        return field
