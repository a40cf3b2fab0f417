"""Wellness in the admin, for the athlete's coaches, head coaches and superusers only (wellness.selectors):

- the entries (read-only for everyone: the athlete writes them through the API; nothing is logged about them in
  the admin's history, and a row's name holds only its date);
- "Today": each athlete's readiness on their today, sessions of the day and the week's compliance, flags named in
  words beside the colour;
- the athlete's change page shows their last 28 days (wellness.templatetags.wellness_panel)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.admin import ReadOnlyAdminMixin
from training.compliance import html as compliance_html

from .board import board
from .models import TodayBoard, WellnessEntry
from .readiness import FLAG_LABELS
from .selectors import VIEW_WELLNESS, wellness_athletes, wellness_list

PER_PAGE = 50


def _staff_reader(request) -> bool:
    user = request.user
    return user.is_active and user.has_perm(VIEW_WELLNESS)


@admin.register(WellnessEntry)
class WellnessEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["athlete", "date", "score", "sleep_hours", "resting_heart_rate", "hrv_rmssd", "illness"]
    list_select_related = ["athlete"]
    list_filter = ["illness", "date"]
    search_fields = ["athlete__display_name"]
    date_hierarchy = "date"
    ordering = ["-date", "athlete__display_name"]
    fields = [
        "athlete", "date", "sleep_quality", "fatigue", "soreness", "stress", "mood", "sleep_hours",
        "resting_heart_rate", "hrv_rmssd", "illness", "notes", "updated_at",
    ]  # fmt: skip

    def has_view_permission(self, request, obj=None):
        return _staff_reader(request)

    def has_module_permission(self, request):
        return _staff_reader(request)

    def get_queryset(self, request):
        return wellness_list(user=request.user, queryset=super().get_queryset(request))

    @admin.display(description="Score (5–25)")
    def score(self, obj):
        return obj.wellness_score


@admin.register(TodayBoard)
class TodayBoardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Not a changelist of rows: the page is the board, computed for a page of the visible athletes."""

    def has_view_permission(self, request, obj=None):
        return _staff_reader(request)

    def has_module_permission(self, request):
        return _staff_reader(request)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.changelist_view), name=name)]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        athletes = (
            wellness_athletes(user=request.user).order_by("display_name", "id").only("id", "display_name", "timezone")
        )
        page = Paginator(athletes, PER_PAGE).get_page(request.GET.get("p"))
        rows = [
            {
                "row": row,
                "url": reverse("admin:athletes_athleteprofile_change", args=[row.athlete_id]),
                "flags": [(flag, FLAG_LABELS[flag]) for flag in row.readiness.flags],
                "week_compliance": compliance_html.chip(row.week_compliance),
                "score": row.readiness.entry.wellness_score if row.readiness.entry else None,
            }
            for row in board(page.object_list)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Today",
            "subtitle": None,
            "rows": rows,
            "page": page,
            "flagged": sum(1 for r in rows if r["flags"] and r["flags"] != [("no_entry", FLAG_LABELS["no_entry"])]),
            "compliance_legend": compliance_html.legend(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/wellness/today.html", context)
