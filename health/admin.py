"""Health events in the admin: a read-only log, newest first, status at a glance.

Events are evidence of what a check saw; nobody edits or deletes them, not even a superuser. The admin
index shows the newest verdict per environment (see `health.templatetags.health_admin`)."""

from django.contrib import admin
from django.utils.html import format_html

from core.admin import ReadOnlyAdminMixin, ScopedAdminMixin

from .models import CheckStatus, ConnectionHealthEvent, ErrorCode
from .selectors import health_event_list


def check_status_badge(status: str):
    """A coloured ✔/✘ badge for a check status."""
    passed = status == CheckStatus.PASS
    return format_html(
        '<span class="health-badge health-{}" style="background:{};color:#fff;padding:1px 8px;border-radius:8px;'
        'font-weight:bold;white-space:nowrap">{} {}</span>',
        status,
        "#2e7d32" if passed else "#c62828",
        "✔" if passed else "✘",
        "PASS" if passed else "FAIL",
    )


class ErrorCodeListFilter(admin.ChoicesFieldListFilter):
    """The error-code filter lists the codes as the API and the verdicts write them (`DB_UNREACHABLE`),
    not as Django's generated labels ("Db Unreachable")."""

    def choices(self, changelist):
        codes = {str(label): value for value, label in ErrorCode.choices}
        for choice in super().choices(changelist):
            label, _, count = str(choice["display"]).partition(" (")  # "Db Unreachable (3)" with counts shown
            if label in codes:
                choice["display"] = codes[label] + (f" ({count}" if count else "")
            yield choice


@admin.register(ConnectionHealthEvent)
class ConnectionHealthEventAdmin(ReadOnlyAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    selector = staticmethod(health_event_list)
    list_display = ["checked_at", "environment", "status_badge", "latency_ms", "error_code", "short_message"]
    list_filter = ["environment", "status", ("error_code", ErrorCodeListFilter), "checked_at"]
    search_fields = ["environment", "message", "=error_code"]
    ordering = ["-checked_at", "-id"]
    date_hierarchy = "checked_at"
    list_per_page = 100
    fields = ["id", "checked_at", "environment", "status", "latency_ms", "error_code", "message"]
    readonly_fields = fields

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return check_status_badge(obj.status)

    @admin.display(description="Message")
    def short_message(self, obj):
        if not obj.message:
            return "—"
        return obj.message if len(obj.message) <= 100 else obj.message[:99] + "…"
