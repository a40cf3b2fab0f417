"""The training plan in the admin: every write goes through `training.services`, every rule shows on a field.

Forms validate under the same row locks the services take (the admin's change view is one transaction, so
a lock taken in `clean()` is held until the save commits): two coaches saving at once cannot both pass the
one-current-program or phase-overlap checks. Changelists load derived values in the query that loads the
rows (`with_metrics()`, `with_session_counts()`, subqueries), never per row.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from athletes.models import AthleteProfile
from core.admin import ConstraintErrorsOnFieldsMixin, ScopedAdminMixin, ServiceSaveAdminMixin

from . import cloning, selectors, services
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
    list_display = [
        "title",
        "athlete",
        "status_badge",
        "start_date",
        "end_date",
        "total_weeks_display",
        "completed_weeks_display",
        "adherence_display",
        "current_phase_display",
        "next_session_display",
        "sessions_link",
    ]
    list_display_links = ["title"]
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
        return format_html('<a href="{}">{}</a>', url, obj.current_phase_name)

    @admin.display(description="Next session", ordering="next_session_at")
    def next_session_display(self, obj):
        if not getattr(obj, "next_session_id", None):
            return "—"
        url = reverse("admin:training_trainingsession_change", args=[obj.next_session_id])
        local = timezone.localtime(obj.next_session_at, obj.athlete.tzinfo)
        return format_html('<a href="{}">{}</a>', url, local.strftime("%Y-%m-%d %H:%M %Z"))

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
    list_display = ["name", "program", "phase_order", "focus", "start_date", "end_date", "status_badge"]
    list_select_related = ["program"]
    list_filter = ["status", "start_date"]
    search_fields = ["name", "focus", "program__title", "program__athlete__display_name"]
    ordering = ["program__title", "phase_order"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["program"]
    readonly_fields = ["created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        services.phase_save(phase=obj)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())


# --- Micro-cycles ----------------------------------------------------------------------------------


class MicroCycleForm(ConstraintErrorsOnFieldsMixin, forms.ModelForm):
    class Meta:
        model = MicroCycle
        fields = ["program", "phase", "week_index", "readiness_score", "status"]

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
        "__str__",
        "program",
        "phase",
        "week_index",
        "readiness_score",
        "status_badge",
        "sessions_planned_display",
        "sessions_completed_display",
    ]
    list_select_related = ["program", "phase"]
    list_filter = ["status"]
    search_fields = ["program__title", "phase__name", "program__athlete__display_name"]
    ordering = ["program__title", "week_index"]
    autocomplete_fields = ["program", "phase"]
    readonly_fields = ["sessions_planned_display", "sessions_completed_display", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).with_session_counts()

    def save_model(self, request, obj, form, change):
        services.micro_cycle_save(micro_cycle=obj)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="Sessions planned", ordering="sessions_planned")
    def sessions_planned_display(self, obj):
        return getattr(obj, "sessions_planned", "—")

    @admin.display(description="Sessions completed", ordering="sessions_completed")
    def sessions_completed_display(self, obj):
        return getattr(obj, "sessions_completed", "—")


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
            "completed_at": "Set to now when the session is completed without one; cleared otherwise.",
            "scheduled_at": "Its date in the athlete's timezone must lie within the program's dates.",
        }

    def clean(self):
        cleaned = super().clean()
        program = cleaned.get("program")
        if program is not None:
            services.program_lock(program.pk)  # as training.services.session_save does
            # The athlete is the program's athlete, always (it is denormalized onto the session).
            self.instance.athlete = program.athlete
        return cleaned


@admin.register(TrainingSession)
class TrainingSessionAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    selector = staticmethod(selectors.session_list)
    form = TrainingSessionForm
    list_display = [
        "title",
        "scheduled_at",
        "status_badge",
        "athlete",
        "program",
        "modality",
        "duration_minutes",
        "load",
        "completed_at",
    ]
    list_select_related = ["athlete", "program"]
    list_filter = [
        "status",
        "modality",
        ("athlete", admin.RelatedOnlyFieldListFilter),
        ProgramListFilter,
        "scheduled_at",
    ]
    search_fields = ["title", "athlete__display_name", "program__title"]
    ordering = ["-scheduled_at", "id"]
    date_hierarchy = "scheduled_at"
    autocomplete_fields = ["program", "phase", "micro_cycle"]
    readonly_fields = ["athlete", "created_at", "updated_at"]
    actions = ["mark_completed", "mark_skipped"]
    list_per_page = 100

    def save_model(self, request, obj, form, change):
        services.session_save(session=obj)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())

    def _set_status(self, request, queryset, status: str, verb: str) -> None:
        already = queryset.filter(status=status).count()
        to_change = queryset.exclude(status=status).select_related("program__athlete", "phase", "micro_cycle")
        try:
            changed = services.sessions_set_status(sessions=to_change, status=status)
        except ValidationError as exc:
            # sessions_set_status is one transaction: nothing was changed.
            self.message_user(request, f"No session was marked {verb}: " + " ".join(exc.messages), messages.ERROR)
            return
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
