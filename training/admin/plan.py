"""The plan's phases and micro-cycles (weeks) in the admin."""

from __future__ import annotations

import re

from django.contrib import admin
from django.utils.html import format_html

from core.admin import ScopedAdminMixin, ServiceSaveAdminMixin
from core.admin_site import forwarded_id

from .. import selectors, services
from .forms import MicroCycleForm, ProgramPhaseForm
from .labels import WidePickersMixin, cycle_label, cycle_week_dates, phase_label, status_badge, truncated


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
