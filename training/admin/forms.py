"""The training admin's forms. They validate under the same row locks the services take, through the services'
own entries (`services.program_locks`, `services.plan_row_locks`, which program_save and the other `*_save`
functions take too): the admin's change view is one transaction, so a lock taken in `clean()` is held until the
save commits, and two coaches saving at once cannot both pass the one-current-program or phase-overlap checks."""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import ValidationError

from athletes.models import AthleteProfile
from core.admin import ConstraintErrorsOnFieldsMixin

from .. import services
from ..models import MicroCycle, PlanStatus, ProgramPhase, TrainingProgram, TrainingSession
from .labels import cycle_label, phase_label, program_label, use_labels
from .local_times import LocalDateTimeField, localize, to_local_wall_clock


class TrainingProgramAdminForm(ConstraintErrorsOnFieldsMixin, forms.ModelForm):
    class Meta:
        model = TrainingProgram
        fields = ["athlete", "title", "start_date", "end_date", "macro_cycle", "status"]

    def clean(self):
        cleaned = super().clean()
        athlete = cleaned.get("athlete")
        # program_save's locks: whoever holds the athlete checks "one current" alone.
        if athlete is not None or not self.instance._state.adding:
            services.program_locks(self.instance, athlete_id=athlete.pk if athlete is not None else None)
        return cleaned


class ProgramPhaseForm(ConstraintErrorsOnFieldsMixin, forms.ModelForm):
    class Meta:
        model = ProgramPhase
        fields = ["program", "phase_order", "name", "focus", "start_date", "end_date", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_labels(self, {"program": (program_label, ["athlete"])})

    def clean(self):
        cleaned = super().clean()
        program = cleaned.get("program")
        if program is not None and not program._state.adding:  # an inline's new program has nothing to lock
            services.plan_row_locks(self.instance, program_id=program.pk)  # phase_save's locks
        return cleaned


class ProgramPhaseInlineFormSet(forms.BaseInlineFormSet):
    """Rules between the rows being saved together, which each row's own clean() cannot see yet."""

    def clean(self):
        super().clean()
        if not self.instance._state.adding:
            services.program_locks(self.instance, athlete_id=self.instance.athlete_id)  # program_save's locks
        rows = [
            form for form in self.forms if getattr(form, "cleaned_data", None) and not self._should_delete_form(form)
        ]
        seen: list[forms.ModelForm] = []
        current_seen = False
        program = self.instance
        for form in rows:
            data = form.cleaned_data
            start, end = data.get("start_date"), data.get("end_date")
            # On "add" Django blanks the new program's key while validating inlines, so the phase's own
            # clean() cannot reach the program: check its dates against the program form's here.
            if start and program.start_date and start < program.start_date and "start_date" not in form.errors:
                form.add_error(
                    "start_date",
                    ValidationError(
                        f"The phase must start on or after its program's start ({program.start_date}).",
                        code="phase_outside_program",
                    ),
                )
            if end and program.end_date and end > program.end_date and "end_date" not in form.errors:
                form.add_error(
                    "end_date",
                    ValidationError(
                        f"The phase must end on or before its program's end ({program.end_date}).",
                        code="phase_outside_program",
                    ),
                )
            if start and end and not form.errors:
                for other in seen:
                    o_start, o_end = other.cleaned_data["start_date"], other.cleaned_data["end_date"]
                    if start <= o_end and end >= o_start:
                        form.add_error(
                            "start_date",
                            ValidationError(
                                f"The phase overlaps phase {other.cleaned_data.get('phase_order')} "
                                f"“{other.cleaned_data.get('name')}” ({o_start} – {o_end}).",
                                code="phase_overlap",
                            ),
                        )
                        break
                else:
                    seen.append(form)
            if data.get("status") == PlanStatus.CURRENT and "status" not in form.errors:
                if current_seen:
                    form.add_error("status", ValidationError("Only one phase can be current.", code="current"))
                current_seen = True


class ProgramCopyForm(forms.Form):
    athlete = forms.ModelChoiceField(queryset=AthleteProfile.objects.none())
    start_date = forms.DateField(widget=AdminDateWidget, help_text="Every date of the copy moves by the same days.")
    title = forms.CharField(max_length=120, required=False, help_text="Leave empty to keep the program's title.")

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        # The program admin's own athlete autocomplete (same scope, same search).
        self.fields["athlete"].widget = AutocompleteSelect(TrainingProgram._meta.get_field("athlete"), admin_site)


class MicroCycleForm(ConstraintErrorsOnFieldsMixin, forms.ModelForm):
    class Meta:
        model = MicroCycle
        fields = ["program", "phase", "week_index", "readiness_score", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_labels(self, {"program": (program_label, ["athlete"]), "phase": (phase_label, ["program__athlete"])})

    def clean(self):
        cleaned = super().clean()
        program = cleaned.get("program")
        if program is not None:
            services.plan_row_locks(self.instance, program_id=program.pk)  # micro_cycle_save's locks
        return cleaned


class TrainingSessionForm(forms.ModelForm):
    """Times are typed and shown in the athlete's timezone (stored in UTC).

    A new session's athlete is known only once its program is chosen: the typed time is read in the
    timezone of the chosen program's athlete when the form is saved."""

    scheduled_at = LocalDateTimeField(label="Scheduled at")
    completed_at = LocalDateTimeField(label="Completed at", required=False)

    class Meta:
        model = TrainingSession
        fields = [
            "program",
            "phase",
            "micro_cycle",
            "title",
            "scheduled_at",
            "duration_minutes",
            "modality",
            "status",
            "rpe",
            "planned_load",
            "load",
            "actual_duration_minutes",
            "completed_at",
        ]
        help_texts = {
            # Shown on the form because the model's rules name them (an error on a field the form lacks is a 500).
            "rpe": "Session RPE 0–10, only for a completed session; with RPE and no load, load = RPE × minutes.",
        }

    TIME_FIELDS = ("scheduled_at", "completed_at")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        use_labels(
            self,
            {
                "program": (program_label, ["athlete"]),
                "phase": (phase_label, ["program__athlete"]),
                "micro_cycle": (cycle_label, ["program__athlete", "phase"]),
            },
        )
        athlete = self.instance.athlete if self.instance.athlete_id else None
        for name in self.TIME_FIELDS:
            field = self.fields[name]
            if athlete is not None:
                field.label = f"{field.label} ({athlete.timezone})"
                field.help_text = f"In the athlete's timezone, {athlete.timezone}."
                self.initial[name] = to_local_wall_clock(getattr(self.instance, name), athlete.timezone)
            else:
                field.help_text = "In the timezone of the program's athlete."
        self.fields["scheduled_at"].help_text += " Its date must lie within the program's dates."
        self.fields["completed_at"].help_text += " Set to now when completed without one; cleared otherwise."

    def clean(self):
        cleaned = super().clean()
        # The actual duration goes with completed, as in the API: leaving completed without touching it drops it.
        if cleaned.get("status") != "completed" and "actual_duration_minutes" not in self.changed_data:
            cleaned["actual_duration_minutes"] = None
        program = cleaned.get("program")
        if program is None:
            for name in self.TIME_FIELDS:  # no athlete, no timezone to read them in: the program error says why
                cleaned.pop(name, None)
            return cleaned
        services.plan_row_locks(self.instance, program_id=program.pk)  # session_save's locks
        # The athlete is the program's athlete, always (it is denormalized onto the session).
        self.instance.athlete = program.athlete
        for name in self.TIME_FIELDS:
            value = cleaned.get(name)
            if value is None:
                continue
            try:
                cleaned[name] = localize(value, program.athlete.timezone)
            except ValidationError as exc:
                self.add_error(name, exc)
        return cleaned


class MarkCompletedForm(forms.Form):
    """What the coach knows about the sessions being marked completed; both optional."""

    rpe = forms.IntegerField(
        label="Session RPE (0–10)",
        min_value=0,
        max_value=10,
        required=False,
        help_text="The athlete's rating of the whole session on the CR-10 scale, applied to every session marked. "
        "With it, each session's load is RPE × minutes. Leave empty to record no RPE.",
    )
    duration_minutes = forms.IntegerField(
        label="Actual duration (minutes)",
        min_value=1,
        max_value=1440,
        required=False,
        help_text="Replaces the planned duration of every session marked. Leave empty to keep each session's own.",
    )
