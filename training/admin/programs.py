"""Programs in the admin, with their phases inline, their progress (the derived metrics, loaded with the rows)
and the weekly chart."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin import ScopedAdminMixin, ServiceSaveAdminMixin

from .. import selectors, services
from ..charts import program_weekly_stats, render_weekly_chart
from ..compliance import html as compliance_html
from ..compliance import rules
from ..models import ProgramPhase, TrainingSession
from .actions import copy_to_athlete
from .forms import ProgramPhaseForm, ProgramPhaseInlineFormSet, TrainingProgramAdminForm
from .labels import program_label, status_badge, truncated
from .library import save_as_template
from .local_times import local_time_html


class ProgramPhaseInline(admin.TabularInline):
    model = ProgramPhase
    form = ProgramPhaseForm
    formset = ProgramPhaseInlineFormSet
    fields = ["phase_order", "name", "focus", "start_date", "end_date", "status"]
    ordering = ["phase_order"]
    show_change_link = True

    def get_extra(self, request, obj=None, **kwargs):
        return 2 if obj is None else 1


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
        "weekly_compliance",
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
                    "weekly_compliance",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    actions = [copy_to_athlete, save_as_template]

    class Media:
        css = {"all": ["cadence/compliance.css"]}

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

    @admin.display(description="Compliance per week")
    def weekly_compliance(self, obj):
        """Each week's load done over its planned load, in the compliance bands (a week not started yet shows its
        plan only), with the legend."""
        if obj.pk is None or obj._state.adding:
            return "—"
        rows = []
        for week in program_weekly_stats(obj):
            compliance = (
                None
                if week.future
                else rules.week_compliance(
                    planned_load=week.planned_load if week.has_planned_load else None, load=week.completed_load
                )
            )
            done = "not started" if week.future else f"{week.completed_load:.1f}"
            rows.append((week.week, f"{week.planned_load:.1f}", done, compliance_html.chip(compliance)))
        return format_html(
            '{}<table class="week-compliance"><thead><tr><th scope="col">Week</th><th scope="col">Planned load</th>'
            '<th scope="col">Load done</th><th scope="col">Compliance</th></tr></thead><tbody>{}</tbody></table>',
            compliance_html.legend(),
            format_html_join(
                "", '<tr><th scope="row">{}</th><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>', rows
            ),
        )

    @admin.display(description="Sessions and load per week")
    def weekly_chart(self, obj):
        if obj.pk is None or obj._state.adding:
            return "—"
        return render_weekly_chart(program_weekly_stats(obj))
