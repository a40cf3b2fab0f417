"""Sessions in the admin: times in the athlete's timezone, upcoming first by the athlete's own today, filtered
by athlete-local days, the status history from the admin log."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from core.admin import ScopedAdminMixin, ServiceSaveAdminMixin

from .. import selectors, services
from ..activities.models import Activity
from ..compliance import html as compliance_html
from ..compliance import rules
from ..compliance.queries import with_before_today
from ..models import TrainingSession
from .actions import mark_completed, mark_skipped
from .filters import AthleteAutocompleteFilter, ProgramListFilter, ScheduledDayFilter
from .forms import TrainingSessionForm
from .history import plain_change_message, status_change_message, status_log_entries
from .labels import WidePickersMixin, status_badge, truncated
from .local_times import local_time_html, upcoming_first_ordering
from .structure_editor import StructureFormMixin, logged_sets_html, summary_text


class TrainingSessionStructureForm(StructureFormMixin, TrainingSessionForm):
    """The session form with its workout edited in the structure editor."""

    class Meta(TrainingSessionForm.Meta):
        fields = [*TrainingSessionForm.Meta.fields, "structure"]


class TrainingSessionAdmin(WidePickersMixin, ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    selector = staticmethod(selectors.session_list)
    form = TrainingSessionStructureForm
    fieldsets = [
        (
            None,
            {
                "fields": [
                    *TrainingSessionForm.Meta.fields,
                    "athlete",
                    "status_history",
                    "activity_figures",
                    "created_display",
                    "updated_display",
                ]
            },
        ),
        # The prescription, its summary (kept live by cadence/workout-editor.js) and, beside the prescription (one
        # line of the fieldset; under it when the window is too narrow), what the athlete logged.
        ("Workout", {"fields": ["structure_summary", ("structure", "logged_sets")], "classes": ["workout"]}),
    ]
    list_display = [
        "title_display",
        "scheduled_display",
        "status_display",
        "athlete_display",
        "program_display",
        "modality",
        "minutes_display",
        "load",
        "compliance_display",
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
    readonly_fields = [
        "athlete",
        "status_history",
        "activity_figures",
        "created_display",
        "updated_display",
        "structure_summary",
        "logged_sets",
    ]
    actions = [mark_completed, mark_skipped]
    list_per_page = 100

    @property
    def media(self):
        return (
            super().media
            + AthleteAutocompleteFilter.media(TrainingSession._meta.get_field("athlete"), self.admin_site)
            + forms.Media(css={"all": ["cadence/compliance.css"]})
        )

    def get_queryset(self, request):
        # Whether a planned session is already missed (its athlete-local date before their today): computed by the
        # database for the page's rows.
        return with_before_today(super().get_queryset(request), timezone.now())

    @admin.display(description="Activity")
    def activity_figures(self, obj):
        """The figures of the imported activity that completed the session (training.activities), with a link."""
        if obj.activity_id is None:
            return "—"
        from .activities import figures_html

        activity = Activity.objects.get(pk=obj.activity_id)
        url = reverse("admin:training_activity_change", args=[activity.pk])
        return format_html('<a href="{}">{}</a>{}', url, activity.file_name, figures_html(activity))

    @admin.display(description="Plan")
    def compliance_display(self, obj):
        return compliance_html.chip(
            rules.session_compliance(
                status=obj.status,
                load=obj.load,
                planned_load=obj.planned_load,
                duration_minutes=obj.duration_minutes,
                actual_duration_minutes=obj.actual_duration_minutes,
                before_today=bool(getattr(obj, "before_today", False)),
            ),
            compact=True,
        )

    def get_ordering(self, request):
        # Upcoming first: from the start of the athlete's today (not from now: this morning's session, the one
        # the coach is about to mark done, stays on top with the rest of the day), soonest first; then the
        # past, most recent first.
        return upcoming_first_ordering(timezone.now())

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "compliance_legend": compliance_html.legend()}
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

    @admin.display(description="Summary")
    def structure_summary(self, obj):
        """The stored structure's summary; the script beside the editor replaces it as the coach edits."""
        return format_html(
            '<output class="workout-summary" data-workout-summary="id_structure" aria-live="polite">{}</output>',
            summary_text(obj.structure),
        )

    @admin.display(description="Logged by the athlete")
    def logged_sets(self, obj):
        if obj.pk is None or obj._state.adding:
            return "—"
        return logged_sets_html(obj)

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return status_badge(obj.status, obj.get_status_display())
