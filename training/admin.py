"""The training plan in the admin: every write goes through `training.services`, every rule shows on a field.

Forms validate under the same row locks the services take (the admin's change view is one transaction, so
a lock taken in `clean()` is held until the save commits): two coaches saving at once cannot both pass the
one-current-program or phase-overlap checks. Changelists load derived values in the query that loads the
rows (`with_metrics()`, `with_session_counts()`, subqueries), never per row.
"""

from __future__ import annotations

import re
import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import Case, F, OuterRef, Subquery, Value, When
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from athletes.models import AthleteProfile
from core.admin import AutocompleteListFilter, ConstraintErrorsOnFieldsMixin, ScopedAdminMixin, ServiceSaveAdminMixin
from core.admin_site import forwarded_id

from . import cloning, selectors, services
from .admin_support import (
    LocalDateTimeField,
    cycle_label,
    cycle_week_dates,
    local_time_html,
    localize,
    log_bulk_status_change,
    phase_label,
    plain_change_message,
    program_label,
    status_change_message,
    status_log_entries,
    to_local_wall_clock,
    truncated,
    use_labels,
)
from .charts import program_weekly_stats, render_weekly_chart
from .models import MicroCycle, PlanStatus, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession

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


# --- Programs and their phases ---------------------------------------------------------------------


class TrainingProgramAdminForm(ConstraintErrorsOnFieldsMixin, forms.ModelForm):
    class Meta:
        model = TrainingProgram
        fields = ["athlete", "title", "start_date", "end_date", "macro_cycle", "status"]

    def clean(self):
        cleaned = super().clean()
        athlete = cleaned.get("athlete")
        # Serializes with training.services.program_save: whoever holds the athlete checks "one current" alone.
        # Athlete first, then program: the services' lock order, so admin and API writers cannot deadlock.
        if athlete is not None:
            services.athlete_lock(athlete.pk)
        if not self.instance._state.adding:
            services.program_lock(self.instance.pk)
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
        if program is not None and not program._state.adding:
            services.program_lock(program.pk)
        return cleaned


class ProgramPhaseInlineFormSet(forms.BaseInlineFormSet):
    """Rules between the rows being saved together, which each row's own clean() cannot see yet."""

    def clean(self):
        super().clean()
        if not self.instance._state.adding:
            services.program_lock(self.instance.pk)
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


class ProgramPhaseInline(admin.TabularInline):
    model = ProgramPhase
    form = ProgramPhaseForm
    formset = ProgramPhaseInlineFormSet
    fields = ["phase_order", "name", "focus", "start_date", "end_date", "status"]
    ordering = ["phase_order"]
    show_change_link = True

    def get_extra(self, request, obj=None, **kwargs):
        return 2 if obj is None else 1


class ProgramCopyForm(forms.Form):
    athlete = forms.ModelChoiceField(queryset=AthleteProfile.objects.none())
    start_date = forms.DateField(widget=AdminDateWidget, help_text="Every date of the copy moves by the same days.")
    title = forms.CharField(max_length=120, required=False, help_text="Leave empty to keep the program's title.")

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        # The program admin's own athlete autocomplete (same scope, same search).
        self.fields["athlete"].widget = AutocompleteSelect(TrainingProgram._meta.get_field("athlete"), admin_site)


@admin.register(TrainingProgram)
class TrainingProgramAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    selector = staticmethod(selectors.program_list)
    form = TrainingProgramAdminForm
    inlines = [ProgramPhaseInline]
    # Columns chosen to fit 1366 px beside the filters: dates and weeks share a column, long text truncates.
    list_display = [
        "title_display",
        "athlete_display",
        "status_badge",
        "dates_display",
        "weeks_display",
        "adherence_display",
        "current_phase_display",
        "next_session_display",
        "sessions_link",
    ]
    list_display_links = ["title_display"]
    list_filter = ["status", "start_date"]
    search_fields = ["title", "athlete__display_name", "macro_cycle"]
    ordering = ["-start_date", "title"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["athlete"]
    list_per_page = 50
    readonly_fields = [
        "total_weeks_display",
        "completed_weeks_display",
        "adherence_display",
        "current_phase_display",
        "next_session_display",
        "sessions_link",
        "weekly_chart",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["athlete", "title", "start_date", "end_date", "macro_cycle", "status"]}),
        (
            "Progress",
            {
                "fields": [
                    ("total_weeks_display", "completed_weeks_display", "adherence_display"),
                    ("current_phase_display", "next_session_display"),
                    "sessions_link",
                    "weekly_chart",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    actions = ["copy_to_athlete"]

    @admin.action(description="Copy to athlete…", permissions=["add"])
    def copy_to_athlete(self, request, queryset):
        """An intermediate form (athlete, start date, title), then `program_clone`: the API's clone."""
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one program to copy.", messages.WARNING)
            return None
        source = queryset.select_related("athlete").get()
        form = ProgramCopyForm(request.POST if "apply" in request.POST else None, admin_site=self.admin_site)
        form.fields["athlete"].queryset = self.admin_site._registry[AthleteProfile].get_queryset(request)
        if form.is_valid():
            try:
                copy = cloning.program_clone(
                    source=source,
                    athlete=form.cleaned_data["athlete"],
                    start_date=form.cleaned_data["start_date"],
                    title=form.cleaned_data["title"] or None,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                self.log_addition(request, copy, f"Copied from program {source.pk} ({source.title}).")
                url = reverse("admin:training_trainingprogram_change", args=[copy.pk])
                self.message_user(
                    request,
                    format_html('Copied “{}” to {}: <a href="{}">the new program</a>.', source, copy.athlete, url),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Copy “{source.title}” to an athlete",
            "opts": self.model._meta,
            "source": source,
            "form": form,
            "adminform": admin.helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
            "media": self.media + form.media,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/training/trainingprogram/copy_to_athlete.html", context)

    def get_queryset(self, request):
        now = timezone.now()
        queryset = super().get_queryset(request).with_metrics(now)
        return queryset.select_related("athlete").annotate(
            current_phase_name=Subquery(ProgramPhase.objects.filter(pk=OuterRef("current_phase_id")).values("name")),
            next_session_at=Subquery(
                TrainingSession.objects.filter(pk=OuterRef("next_session_id")).values("scheduled_at")
            ),
        )

    def get_fieldsets(self, request, obj=None):
        if obj is None:  # nothing to measure before the program exists
            return [self.fieldsets[0]]
        return super().get_fieldsets(request, obj)

    def autocomplete_label(self, obj):
        return program_label(obj)

    def autocomplete_narrow(self, request, queryset):
        return queryset.select_related("athlete")

    @admin.display(description="Title", ordering="title")
    def title_display(self, obj):
        return truncated(obj.title, 12)

    @admin.display(description="Athlete", ordering="athlete__display_name")
    def athlete_display(self, obj):
        return truncated(obj.athlete.display_name, 8)

    @admin.display(description="Dates", ordering="start_date")
    def dates_display(self, obj):
        return format_html('<span class="nowrap">{} →<br>{}</span>', obj.start_date, obj.end_date)

    @admin.display(description="Weeks done")
    def weeks_display(self, obj):
        if not hasattr(obj, "local_today"):
            return "—"
        return format_html(
            '<span title="{} of {} weeks completed">{} / {}</span>',
            obj.completed_weeks,
            obj.total_weeks,
            obj.completed_weeks,
            obj.total_weeks,
        )

    def save_model(self, request, obj, form, change):
        services.program_save(program=obj)

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        # Rows are saved in phase order so an order change is checked against its neighbours already saved.
        for phase in sorted(instances, key=lambda p: p.phase_order):
            services.phase_save(phase=phase)
        formset.save_m2m()

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Total weeks")
    def total_weeks_display(self, obj):
        return obj.total_weeks if obj.start_date and obj.end_date else "—"

    @admin.display(description="Completed weeks")
    def completed_weeks_display(self, obj):
        return obj.completed_weeks if hasattr(obj, "local_today") else "—"

    @admin.display(description="Adherence")
    def adherence_display(self, obj):
        if not hasattr(obj, "sessions_due_count"):
            return "—"
        rate = obj.adherence_rate
        if rate is None:
            return mark_safe('<span title="No session is due yet">—</span>')
        return format_html(
            '<span class="adherence" title="{} of {} due sessions completed">{}</span>',
            obj.sessions_completed_count,
            obj.sessions_due_count,
            f"{rate * 100:.1f} %",
        )

    @admin.display(description="Current phase", ordering="current_phase_name")
    def current_phase_display(self, obj):
        if not getattr(obj, "current_phase_id", None):
            return "—"
        url = reverse("admin:training_programphase_change", args=[obj.current_phase_id])
        return format_html('<a href="{}">{}</a>', url, truncated(obj.current_phase_name, 8))

    @admin.display(description="Next session", ordering="next_session_at")
    def next_session_display(self, obj):
        if not getattr(obj, "next_session_id", None):
            return "—"
        url = reverse("admin:training_trainingsession_change", args=[obj.next_session_id])
        return format_html('<a href="{}">{}</a>', url, local_time_html(obj.next_session_at, obj.athlete.timezone))

    @admin.display(description="Sessions")
    def sessions_link(self, obj):
        if obj.pk is None or obj._state.adding:
            return "—"
        url = reverse("admin:training_trainingsession_changelist") + f"?program__id__exact={obj.pk}"
        return format_html('<a class="program-sessions-link" href="{}">Sessions</a>', url)

    @admin.display(description="Sessions and load per week")
    def weekly_chart(self, obj):
        if obj.pk is None or obj._state.adding:
            return "—"
        return render_weekly_chart(program_weekly_stats(obj))


@admin.register(ProgramPhase)
class ProgramPhaseAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    selector = staticmethod(selectors.phase_list)
    form = ProgramPhaseForm
    list_display = [
        "name",
        "athlete_display",
        "program_display",
        "phase_order",
        "focus",
        "start_date",
        "end_date",
        "status_badge",
    ]
    list_select_related = ["program__athlete"]
    list_filter = ["status", "start_date"]
    search_fields = ["name", "focus", "program__title", "program__athlete__display_name"]
    ordering = ["program__title", "phase_order"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["program"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        services.phase_save(phase=obj)

    def autocomplete_label(self, obj):
        return phase_label(obj)

    def autocomplete_narrow(self, request, queryset):
        """Only the phases of the program chosen on the form (when one is)."""
        program_id = forwarded_id(request, "program")
        if program_id is not None:
            queryset = queryset.filter(program_id=program_id)
        return queryset.select_related("program__athlete")

    @admin.display(description="Athlete", ordering="program__athlete__display_name")
    def athlete_display(self, obj):
        return truncated(obj.program.athlete.display_name, 10)

    @admin.display(description="Program", ordering="program__title")
    def program_display(self, obj):
        return truncated(obj.program.title, 16)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())


# --- Micro-cycles ----------------------------------------------------------------------------------


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
            services.program_lock(program.pk)
        return cleaned


@admin.register(MicroCycle)
class MicroCycleAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    selector = staticmethod(selectors.micro_cycle_list)
    form = MicroCycleForm
    list_display = [
        "week_display",
        "athlete_display",
        "program_display",
        "phase_display",
        "readiness_display",
        "status_badge",
        "sessions_done_display",
    ]
    list_display_links = ["week_display"]
    list_select_related = ["program__athlete", "phase"]
    list_filter = ["status"]
    search_fields = ["program__title", "phase__name", "program__athlete__display_name"]
    ordering = ["program__athlete__display_name", "-program__start_date", "program__title", "week_index"]
    autocomplete_fields = ["program", "phase"]
    readonly_fields = ["sessions_planned_display", "sessions_completed_display", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_session_counts()

    def save_model(self, request, obj, form, change):
        services.micro_cycle_save(micro_cycle=obj)

    def get_search_results(self, request, queryset, search_term):
        """ "week 5" (or "w5") finds week 5; the other words search athlete, program and phase as usual."""
        week, rest = split_week_term(search_term)
        if week is not None:
            queryset = queryset.filter(week_index=week)
        return super().get_search_results(request, queryset, rest)

    def autocomplete_label(self, obj):
        return cycle_label(obj)

    def autocomplete_narrow(self, request, queryset):
        """Only the weeks of the program (and phase) chosen on the form, in week order."""
        program_id = forwarded_id(request, "program")
        if program_id is not None:
            queryset = queryset.filter(program_id=program_id)
        phase_id = forwarded_id(request, "phase")
        if phase_id is not None:
            queryset = queryset.filter(phase_id=phase_id)
        return queryset.select_related("program__athlete")

    @admin.display(description="Week", ordering="week_index")
    def week_display(self, obj):
        first, last = cycle_week_dates(obj)
        return format_html('Week {} <span class="nowrap quiet">({} – {})</span>', obj.week_index, first, last)

    @admin.display(description="Athlete", ordering="program__athlete__display_name")
    def athlete_display(self, obj):
        return truncated(obj.program.athlete.display_name, 10)

    @admin.display(description="Program", ordering="program__title")
    def program_display(self, obj):
        return truncated(obj.program.title, 14)

    @admin.display(description="Phase", ordering="phase__phase_order")
    def phase_display(self, obj):
        return truncated(f"{obj.phase.phase_order}. {obj.phase.name}", 8) if obj.phase_id else "—"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Readiness", ordering="readiness_score")
    def readiness_display(self, obj):
        return "—" if obj.readiness_score is None else obj.readiness_score

    @admin.display(description="Sessions done", ordering="sessions_completed")
    def sessions_done_display(self, obj):
        if not hasattr(obj, "sessions_planned"):
            return "—"
        return format_html(
            '<span title="{} of {} sessions completed">{} / {}</span>',
            obj.sessions_completed,
            obj.sessions_planned,
            obj.sessions_completed,
            obj.sessions_planned,
        )

    @admin.display(description="Sessions planned", ordering="sessions_planned")
    def sessions_planned_display(self, obj):
        return getattr(obj, "sessions_planned", "—")

    @admin.display(description="Sessions completed", ordering="sessions_completed")
    def sessions_completed_display(self, obj):
        return getattr(obj, "sessions_completed", "—")


def split_week_term(search_term: str) -> tuple[int | None, str]:
    """("week 5 ada" → (5, "ada")): a week number asked for as "week N", "wk N" or "wN", and the rest."""
    match = WEEK_TERM.search(search_term or "")
    if match is None:
        return None, search_term
    rest = (search_term[: match.start()] + " " + search_term[match.end() :]).strip()
    return int(match.group(1)), rest


WEEK_TERM = re.compile(r"\b(?:week|wk|w)\s*(\d{1,4})\b", re.IGNORECASE)


# --- Sessions --------------------------------------------------------------------------------------


class ProgramListFilter(admin.SimpleListFilter):
    """Shown only when the changelist is opened from a program ("Sessions" link): names the program."""

    title = "program"
    parameter_name = "program__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        try:
            program_id = uuid.UUID(str(value)) if value else None
        except ValueError:
            return []
        if program_id is None:
            return []
        return [
            (str(pk), title)
            for pk, title in selectors.program_list(user=request.user).filter(pk=program_id).values_list("pk", "title")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(program_id=uuid.UUID(str(value)))
        except ValueError:
            return queryset.none()


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
                "micro_cycle": (cycle_label, ["program__athlete"]),
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
        program = cleaned.get("program")
        if program is None:
            for name in self.TIME_FIELDS:  # no athlete, no timezone to read them in: the program error says why
                cleaned.pop(name, None)
            return cleaned
        services.program_lock(program.pk)  # as training.services.session_save does
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


class AthleteAutocompleteFilter(AutocompleteListFilter):
    title = "athlete"
    parameter_name = "athlete__id__exact"
    field_path = "athlete"


@admin.register(TrainingSession)
class TrainingSessionAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    selector = staticmethod(selectors.session_list)
    form = TrainingSessionForm
    list_display = [
        "title_display",
        "scheduled_display",
        "status_display",
        "athlete_display",
        "program_display",
        "modality",
        "minutes_display",
        "load",
    ]
    list_display_links = ["title_display"]
    list_select_related = ["athlete", "program"]
    list_filter = [
        "status",
        "modality",
        AthleteAutocompleteFilter,
        ProgramListFilter,
        "scheduled_at",
    ]
    search_fields = ["title", "athlete__display_name", "program__title"]
    date_hierarchy = "scheduled_at"
    autocomplete_fields = ["program", "phase", "micro_cycle"]
    readonly_fields = ["athlete", "status_history", "created_display", "updated_display"]
    actions = ["mark_completed", "mark_skipped"]
    list_per_page = 100

    @property
    def media(self):
        return super().media + AthleteAutocompleteFilter.media(
            TrainingSession._meta.get_field("athlete"), self.admin_site
        )

    def get_ordering(self, request):
        # Upcoming first (from the start of today, UTC), soonest first; then the past, most recent first.
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        return [
            Case(When(scheduled_at__lt=today, then=Value(1)), default=Value(0)).asc(),
            Case(When(scheduled_at__gte=today, then=F("scheduled_at"))).asc(nulls_last=True),
            F("scheduled_at").desc(),
            F("id").asc(),
        ]

    def save_model(self, request, obj, form, change):
        services.session_save(session=obj)

    def construct_change_message(self, request, form, formsets, add=False):
        message = super().construct_change_message(request, form, formsets, add)
        if not add and "status" in form.changed_data:
            # The admin log's field list says only "Status"; keep what it changed from and to.
            old, new = form.initial.get("status"), form.cleaned_data.get("status")
            return status_change_message(old, new, source="edited") + " " + plain_change_message(message)
        return message

    @admin.display(description="Title", ordering="title")
    def title_display(self, obj):
        return truncated(obj.title, 12)

    @admin.display(description="Scheduled (athlete's time)", ordering="scheduled_at")
    def scheduled_display(self, obj):
        return local_time_html(obj.scheduled_at, obj.athlete.timezone)

    @admin.display(description="Status (completed at)", ordering="status")
    def status_display(self, obj):
        badge = status_badge(obj.status, obj.get_status_display())
        if obj.completed_at is None:
            return badge
        return format_html(
            '{}<br><small class="completed-at">{}</small>',
            badge,
            local_time_html(obj.completed_at, obj.athlete.timezone),
        )

    @admin.display(description="Minutes", ordering="duration_minutes")
    def minutes_display(self, obj):
        return obj.duration_minutes

    @admin.display(description="Athlete", ordering="athlete__display_name")
    def athlete_display(self, obj):
        return truncated(obj.athlete.display_name, 8)

    @admin.display(description="Program", ordering="program__title")
    def program_display(self, obj):
        return truncated(obj.program.title, 10)

    @admin.display(description="Created (athlete's time)")
    def created_display(self, obj):
        return local_time_html(obj.created_at, obj.athlete.timezone) if obj.athlete_id else "—"

    @admin.display(description="Updated (athlete's time)")
    def updated_display(self, obj):
        return local_time_html(obj.updated_at, obj.athlete.timezone) if obj.athlete_id else "—"

    @admin.display(description="Status history")
    def status_history(self, obj):
        """Who changed the session's status and when, from the admin log (newest first)."""
        if obj.pk is None or obj._state.adding:
            return "—"
        entries = status_log_entries(obj)
        if not entries:
            return mark_safe('<span class="quiet">No status change recorded in the admin.</span>')
        rows = format_html_join(
            "",
            "<li>{} — <strong>{}</strong>: {}</li>",
            (
                (local_time_html(e.action_time, obj.athlete.timezone), e.user.get_username(), e.get_change_message())
                for e in entries
            ),
        )
        return format_html('<ul class="status-history">{}</ul>', rows)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    def _set_status(self, request, queryset, status: str, verb: str) -> None:
        already = queryset.filter(status=status).count()
        to_change = queryset.exclude(status=status).select_related("program__athlete", "phase", "micro_cycle")
        old_statuses = dict(to_change.values_list("pk", "status"))
        try:
            changed = services.sessions_set_status(sessions=to_change, status=status)
        except ValidationError as exc:
            # sessions_set_status is one transaction: nothing was changed.
            self.message_user(request, f"No session was marked {verb}: " + " ".join(exc.messages), messages.ERROR)
            return
        log_bulk_status_change(request.user, changed, old_statuses, status, action=f"“Mark selected sessions {verb}”")
        text = f"Marked {len(changed)} session{'s' if len(changed) != 1 else ''} {verb}."
        if already:
            text += f" {already} {'was' if already == 1 else 'were'} already {verb}."
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description="Mark selected sessions completed", permissions=["change"])
    def mark_completed(self, request, queryset):
        self._set_status(request, queryset, SessionStatus.COMPLETED, "completed")

    @admin.action(description="Mark selected sessions skipped", permissions=["change"])
    def mark_skipped(self, request, queryset):
        self._set_status(request, queryset, SessionStatus.SKIPPED, "skipped")


# The "Training load" page lives in its own module; importing it registers it.
from . import load_admin  # noqa: E402, F401
