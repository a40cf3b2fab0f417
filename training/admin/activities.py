"""Imported activities in the admin: a coach sees the activities of the athletes they see (the API's selector),
with their figures and the session each completed. The change page links one to a session of its athlete by
hand; the list's actions match selected activities automatically (the worker's rule) or unlink them. Files are
uploaded through the API (`POST /api/v1/athletes/{id}/activities/`), never here. The session admin shows the
figures of its activity (`activity_figures`)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin import ScopedAdminMixin, ServiceSaveAdminMixin

from ..activities import services
from ..activities.models import Activity, ActivityStatus
from ..activities.selectors import activity_list
from ..models import TrainingSession
from ..selectors import session_list
from .filters import AthleteAutocompleteFilter

FIGURES = [
    ("Sport", "sport"),
    ("Started", "started_at"),
    ("Duration", "duration_display"),
    ("Distance", "distance_display"),
    ("Climb", "elevation_display"),
    ("Heart rate", "heart_rate_display"),
    ("Power", "power_display"),
    ("TRIMP", "trimp"),
]


def _duration(seconds) -> str:
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def figures_of(activity: Activity) -> dict[str, str]:
    """The activity's figures as the admin shows them (label -> text), "—" where the file gave none."""
    values = {
        "sport": activity.sport or "—",
        "started_at": activity.started_at.strftime("%Y-%m-%d %H:%M UTC") if activity.started_at else "—",
        "duration_display": _duration(activity.duration_seconds),
        "distance_display": f"{activity.distance_meters / 1000:.2f} km"
        if activity.distance_meters is not None
        else "—",
        "elevation_display": f"{activity.elevation_gain_meters:.0f} m"
        if activity.elevation_gain_meters is not None
        else "—",
        "heart_rate_display": f"avg {activity.avg_heart_rate} / max {activity.max_heart_rate} bpm"
        if activity.avg_heart_rate is not None
        else "—",
        "power_display": f"avg {activity.avg_power_watts} W" if activity.avg_power_watts is not None else "—",
        "trimp": f"{activity.trimp:.1f}" if activity.trimp is not None else "—",
    }
    return {label: values[key] for label, key in FIGURES}


def figures_html(activity: Activity):
    rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", figures_of(activity).items())
    return format_html('<table class="activity-figures">{}</table>', rows)


class ActivityLinkForm(forms.ModelForm):
    """The change page's one writable thing: a session of the activity's athlete (without an activity) to link."""

    link_session = forms.ModelChoiceField(
        queryset=TrainingSession.objects.none(),
        required=False,
        label="Link to session",
        help_text="A session of this athlete that has no activity yet; it becomes completed by this activity.",
    )

    class Meta:
        model = Activity
        fields: list[str] = []


@admin.action(description="Match to a session (the automatic rule)", permissions=["change"])
def match_selected(modeladmin, request, queryset):
    matched = 0
    for activity in queryset.filter(status=ActivityStatus.DONE):
        try:
            if services.activity_match(activity=activity) is not None:
                matched += 1
        except services.Conflict:
            continue
    modeladmin.message_user(request, f"{matched} activit{'y' if matched == 1 else 'ies'} matched to a session.")


@admin.action(description="Unlink from its session", permissions=["change"])
def unlink_selected(modeladmin, request, queryset):
    unlinked = sum(1 for activity in queryset if services.activity_unlink(activity=activity))
    modeladmin.message_user(request, f"{unlinked} activit{'y' if unlinked == 1 else 'ies'} unlinked.")


class ActivityAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    selector = staticmethod(activity_list)
    form = ActivityLinkForm
    list_display = [
        "file_name",
        "athlete",
        "status",
        "sport",
        "started_at",
        "duration_display",
        "distance_display",
        "heart_rate_display",
        "trimp",
        "session_display",
    ]
    list_select_related = ["athlete"]
    list_filter = ["status", AthleteAutocompleteFilter, "sport"]
    search_fields = ["file_name", "athlete__display_name", "sha256"]
    ordering = ["-created_at", "-id"]
    actions = [match_selected, unlink_selected]
    list_per_page = 100
    readonly_fields = [
        "athlete",
        "file_name",
        "file_link",
        "status",
        "error",
        "figures",
        "session_display",
        "sha256",
        "size_bytes",
        "created_at",
        "processed_at",
    ]
    fields = [*readonly_fields[:7], "link_session", *readonly_fields[7:]]

    def has_add_permission(self, request):
        return False  # uploads go through the API, which enqueues the worker

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        sessions = TrainingSession.objects.none()
        if obj is not None and obj.status == ActivityStatus.DONE and getattr(obj, "session_id", None) is None:
            sessions = session_list(user=request.user).filter(athlete_id=obj.athlete_id, activity__isnull=True)
        form.base_fields["link_session"].queryset = sessions.order_by("-scheduled_at")
        return form

    def save_model(self, request, obj, form, change):
        session = form.cleaned_data.get("link_session")
        if session is None:
            return
        try:
            services.activity_link(activity=obj, session_id=session.pk)
        except services.Conflict as exc:
            raise ValidationError(str(exc)) from exc

    @admin.display(description="Duration")
    def duration_display(self, obj):
        return _duration(obj.duration_seconds)

    @admin.display(description="Distance")
    def distance_display(self, obj):
        return figures_of(obj)["Distance"]

    @admin.display(description="Heart rate")
    def heart_rate_display(self, obj):
        return figures_of(obj)["Heart rate"]

    @admin.display(description="Figures")
    def figures(self, obj):
        return figures_html(obj)

    @admin.display(description="File")
    def file_link(self, obj):
        url = reverse("activity-file", kwargs={"pk": obj.pk})
        return format_html('<a href="{}">{}</a> ({} bytes)', url, obj.file_name, obj.size_bytes)

    @admin.display(description="Session")
    def session_display(self, obj):
        session_id = getattr(obj, "session_id", None)
        if session_id is None:
            return "—"
        url = reverse("admin:training_trainingsession_change", args=[session_id])
        return format_html('<a href="{}">the completed session</a>', url)
