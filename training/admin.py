"""The training plan in the admin: every write goes through `training.services`, every rule shows on a field.

Forms validate under the same row locks the services take (the admin's change view is one transaction, so
a lock taken in `clean()` is held until the save commits): two coaches saving at once cannot both pass the
one-current-program or phase-overlap checks. Changelists load derived values in the query that loads the
rows (`with_metrics()`, `with_session_counts()`, subqueries), never per row.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from athletes.models import AthleteProfile
from core.admin import AutocompleteListFilter, ConstraintErrorsOnFieldsMixin, ScopedAdminMixin, ServiceSaveAdminMixin
from core.admin_site import forwarded_id

from . import cloning, selectors, services
from .admin_support import (
    LocalDateTimeField,
    cycle_label,
    cycle_week_dates,
    local_day_span,
    local_time_html,
    localize,
    log_bulk_status_change,
    on_days_from_today,
    on_local_days,
    phase_label,
    plain_change_message,
    program_label,
    session_local_day,
    status_change_message,
    status_log_entries,
    to_local_wall_clock,
    truncated,
    upcoming_first_ordering,
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
class MicroCycleAdmin(WidePickersMixin, ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
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
        return queryset.select_related("program__athlete", "phase")

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


def _month_last_day(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


class ScheduledDayFilter(admin.ListFilter):
    """Sessions by their day in their athlete's timezone: "Today" is each athlete's own today (a Tokyo athlete's
    07:00 session, 22:00 UTC the evening before, is today in Tokyo), and the date bar above the list
    (`scheduled_at__year`, `__month`, `__day`) drills down by the athletes' local days too.

    Django's own date filter and date hierarchy cut days at UTC midnight; this filter claims their query
    parameters, so the list has one meaning of "day", the athlete's, as the API and the load figures have."""

    title = "athlete's day"
    parameter_name = "scheduled"
    HIERARCHY = ("scheduled_at__year", "scheduled_at__month", "scheduled_at__day")
    # (value, label, the span of local days relative to the athlete's today)
    SPANS = [
        ("today", "Today", lambda today: (today, today)),
        ("tomorrow", "Tomorrow", lambda today: (today + timedelta(days=1), today + timedelta(days=1))),
        ("past7", "Past 7 days", lambda today: (today - timedelta(days=6), today)),
        ("next7", "Next 7 days", lambda today: (today, today + timedelta(days=6))),
        ("month", "This month", lambda today: (today.replace(day=1), _month_last_day(today))),
    ]

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.expected_parameters():
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]
        self.now = timezone.now()
        self.span = self.used_parameters.get(self.parameter_name)
        self.drilled = self._drilled_days()

    def _drilled_days(self) -> tuple[date, date, tuple[int, ...]] | None:
        """(first day, last day, (year[, month[, day]])) chosen in the date bar, or None."""
        parts = [self.used_parameters.get(name) for name in self.HIERARCHY]
        given = []
        for part in parts:
            if part is None:
                break
            given.append(part)
        if not given:
            return None
        try:
            numbers = tuple(int(part) for part in given)
            first = date(numbers[0], numbers[1] if len(numbers) > 1 else 1, numbers[2] if len(numbers) > 2 else 1)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc
        if len(numbers) == 3:
            last = first
        elif len(numbers) == 2:
            last = _month_last_day(first) if first < date(9999, 12, 1) else date.max
        else:
            last = first.replace(month=12, day=31)
        return first, last, numbers

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name, *self.HIERARCHY]

    def choices(self, changelist):
        yield {
            "selected": self.span is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Any day",
        }
        for value, label, _ in self.SPANS:
            yield {
                "selected": self.span == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.span is not None:
            spans = {value: span for value, _, span in self.SPANS}
            if self.span not in spans:
                raise IncorrectLookupParameters(f"Unknown day filter {self.span!r}.")
            queryset = queryset.filter(on_days_from_today(self.now, spans[self.span]))
        if self.drilled is not None:
            first, last, _ = self.drilled
            queryset = queryset.filter(on_local_days(first, last))
        return queryset

    def date_bar(self, changelist) -> dict:
        """The date bar's links (Django's date_hierarchy.html context), by the athletes' local days: the years
        of the list, the months of the chosen year, the days of the chosen month; like Django's, it opens at the
        year (or month) when every session in the list falls in it. A constant two or three queries.

        Years and months are listed from the first to the last that has sessions, an empty one in between
        included: listing exactly those with sessions means converting every row to its athlete's zone
        (measured: 1.2 s for 260,000 sessions on PostgreSQL). The days of a month are exact, read within the
        month's instants."""
        rows = changelist.queryset.order_by()

        def link(*numbers):
            return changelist.get_query_string(dict(zip(self.HIERARCHY, numbers, strict=False)), ["scheduled_at__"])

        def months_bar(year: int, first: int, last: int) -> dict:
            return {
                "show": True,
                "back": {"link": link(), "title": "All dates"},
                "choices": [
                    {"link": link(year, m), "title": capfirst(date_format(date(year, m, 1), "YEAR_MONTH_FORMAT"))}
                    for m in range(first, last + 1)
                ],
            }

        numbers = self.drilled[2] if self.drilled else ()
        if len(numbers) < 2:
            span = local_day_span(rows)
            if span is None:
                return {"show": False} if not numbers else months_bar(numbers[0], 1, 0)
            first, last = span
            if not numbers and first.year != last.year:
                years = range(first.year, last.year + 1)
                return {"show": True, "back": None, "choices": [{"link": link(y), "title": str(y)} for y in years]}
            if numbers or first.month != last.month:
                return months_bar(first.year, first.month, last.month)
            numbers = (first.year, first.month)
            rows = rows.filter(on_local_days(first.replace(day=1), _month_last_day(first)))
        year, month = numbers[0], numbers[1]
        back = {"link": link(year), "title": str(year)}
        if len(numbers) == 3:
            title = capfirst(date_format(date(*numbers), "MONTH_DAY_FORMAT"))
            return {"show": True, "back": back, "choices": [{"title": title}]}
        days = sorted(set(rows.annotate(d=session_local_day()).values_list("d", flat=True).distinct()))
        return {
            "show": True,
            "back": back,
            "choices": [
                {"link": link(year, month, d.day), "title": capfirst(date_format(d, "MONTH_DAY_FORMAT"))} for d in days
            ],
        }


class AthleteAutocompleteFilter(AutocompleteListFilter):
    title = "athlete"
    parameter_name = "athlete__id__exact"
    field_path = "athlete"


@admin.register(TrainingSession)
class TrainingSessionAdmin(WidePickersMixin, ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
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
        ScheduledDayFilter,
    ]
    search_fields = ["title", "athlete__display_name", "program__title"]
    # No `date_hierarchy`: Django's cuts days at UTC midnight. ScheduledDayFilter serves the same date bar
    # (same query parameters) by the athletes' local days; changelist_view hands it to the template.
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
        # Upcoming first: from the start of the athlete's today (not from now: this morning's session, the one
        # the coach is about to mark done, stays on top with the rest of the day), soonest first; then the
        # past, most recent first.
        return upcoming_first_ordering(timezone.now())

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")  # not on a redirect
        if changelist is not None:
            day_filter = next((f for f in changelist.filter_specs if isinstance(f, ScheduledDayFilter)), None)
            if day_filter is not None:
                response.context_data["local_date_bar"] = day_filter.date_bar(changelist)
        return response

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

    def _set_status(self, request, queryset, status: str, verb: str, **recorded) -> list | None:
        """Change the status of the selected sessions not already in it, through `sessions_set_status`, and log
        each change; the changed sessions, or None (with an error message) when the service refused them all."""
        to_change = queryset.exclude(status=status).select_related("program__athlete", "phase", "micro_cycle")
        old_statuses = dict(to_change.values_list("pk", "status"))
        try:
            changed = services.sessions_set_status(sessions=to_change, status=status, **recorded)
        except ValidationError as exc:
            # sessions_set_status is one transaction: nothing was changed.
            self.message_user(request, f"No session was marked {verb}: " + " ".join(exc.messages), messages.ERROR)
            return None
        log_bulk_status_change(request.user, changed, old_statuses, status, action=f"“Mark selected sessions {verb}”")
        return changed

    @staticmethod
    def _sessions(n: int) -> str:
        return f"{n} session{'s' if n != 1 else ''}"

    @admin.action(description="Mark selected sessions completed…", permissions=["change"])
    def mark_completed(self, request, queryset):
        """An intermediate page (the session RPE and the actual duration, both optional), then the sessions
        whose time has come are marked completed in one `sessions_set_status`; later ones are left as they are."""
        now = timezone.now()
        completed = Q(status=SessionStatus.COMPLETED)
        future = Q(scheduled_at__gt=now) & ~completed
        counts = queryset.aggregate(
            already=Count("pk", filter=completed),
            future=Count("pk", filter=future),
            future_planned=Count("pk", filter=future & Q(status=SessionStatus.PLANNED)),
            due=Count("pk", filter=~completed & Q(scheduled_at__lte=now)),
        )
        form = MarkCompletedForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            rpe, minutes = form.cleaned_data["rpe"], form.cleaned_data["duration_minutes"]
            due = queryset.exclude(future)  # the completed ones are left out by _set_status
            changed = self._set_status(
                request, due, SessionStatus.COMPLETED, "completed", rpe=rpe, duration_minutes=minutes
            )
            if changed is None:
                return None
            self.message_user(
                request,
                mark_completed_message(len(changed), rpe=rpe, minutes=minutes, **counts),
                messages.SUCCESS if changed else messages.WARNING,
            )
            return None
        shown = 50
        listed = list(
            queryset.exclude(completed)
            .select_related(None)
            .select_related("athlete")
            .order_by("scheduled_at", "pk")[:shown]
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Mark sessions completed",
            "opts": self.model._meta,
            "form": form,
            "adminform": admin.helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}),
            "media": self.media + form.media,
            "counts": counts,
            "rows": [
                {
                    "title": session.title,
                    "athlete": session.athlete.display_name,
                    "when": local_time_html(session.scheduled_at, session.athlete.timezone),
                    "future": session.scheduled_at > now,
                    "status": session.get_status_display(),
                }
                for session in listed
            ],
            "more": max(0, counts["due"] + counts["future"] - shown),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/training/trainingsession/mark_completed.html", context)

    @admin.action(description="Mark selected sessions skipped", permissions=["change"])
    def mark_skipped(self, request, queryset):
        already = queryset.filter(status=SessionStatus.SKIPPED).count()
        changed = self._set_status(request, queryset, SessionStatus.SKIPPED, "skipped")
        if changed is None:
            return
        text = f"Marked {self._sessions(len(changed))} skipped."
        if already:
            text += f" {already} {'was' if already == 1 else 'were'} already skipped."
        self.message_user(request, text, messages.SUCCESS)


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


def mark_completed_message(
    marked: int, *, rpe: int | None, minutes: int | None, already: int, future: int, future_planned: int, due: int
) -> str:
    """ "Marked 3 sessions completed with RPE 6 (load = RPE × minutes). 2 future sessions were left planned: …"."""
    sessions = TrainingSessionAdmin._sessions
    if marked:
        text = f"Marked {sessions(marked)} completed"
        recorded = [f"RPE {rpe}"] if rpe is not None else []
        if minutes is not None:
            recorded.append(f"{minutes} minutes")
        if recorded:
            text += " with " + " and ".join(recorded)
        text += " (load = RPE × minutes)." if rpe is not None else "."
    else:
        text = "No session was marked completed."
    if future:
        left = "planned" if future == future_planned else "unchanged"
        were = "were" if future != 1 else "was"
        text += (
            f" {future} future session{'s' if future != 1 else ''} {were} left {left}: "
            "a session can be marked completed once its scheduled time has passed."
        )
    if already:
        text += f" {already} {'was' if already == 1 else 'were'} already completed."
    return text


# The "Training load" page lives in its own module; importing it registers it.
from . import load_admin  # noqa: E402, F401
