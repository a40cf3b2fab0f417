"""Connection profiles in the admin, with their audit history and a "Run check now" action."""

from django import forms
from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core.admin import ScopedAdminMixin
from health.admin import check_status_badge
from health.models import ConnectionHealthEvent

from .models import DatabaseConnectionProfile, DatabaseRole
from .selectors import connection_profile_list


class DatabaseConnectionProfileForm(forms.ModelForm):
    class Meta:
        model = DatabaseConnectionProfile
        fields = [
            "environment",
            "role",
            "host",
            "port",
            "database",
            "schema",
            "credential_ref",
            "rotation_interval_days",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # As in the API: a form without the field (a script, an older page) means the default, primary.
        self.fields["role"].required = False

    def clean_role(self):
        return self.cleaned_data.get("role") or DatabaseRole.PRIMARY

    def _post_clean(self):
        super()._post_clean()
        # A refused credential reference may be a pasted secret: never render it back into the form.
        if "credential_ref" in self.errors:
            self.data = self.data.copy()
            self.data[self.add_prefix("credential_ref")] = ""


@admin.register(DatabaseConnectionProfile)
class DatabaseConnectionProfileAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
    selector = staticmethod(connection_profile_list)
    form = DatabaseConnectionProfileForm
    list_display = [
        "environment",
        "role",
        "latest_check",
        "last_validated_at",
        "host",
        "port",
        "database",
        "schema",
        "credential_ref",
        "rotation_interval_days",
    ]
    search_fields = ["environment", "host", "database"]
    list_filter = ["role"]
    ordering = ["environment"]
    readonly_fields = ["last_validated_at", "created_at", "updated_at"]
    fields = [*DatabaseConnectionProfileForm.Meta.fields, *readonly_fields]
    history_list_display = ["role", "host", "port", "database", "schema", "credential_ref", "rotation_interval_days"]
    actions = ["run_check_now"]

    def get_queryset(self, request):
        latest = ConnectionHealthEvent.objects.filter(environment=OuterRef("environment")).order_by(
            "-checked_at", "-id"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_status=Subquery(latest.values("status")[:1]),
                latest_checked_at=Subquery(latest.values("checked_at")[:1]),
            )
        )

    @admin.display(description="Latest check", ordering="latest_checked_at")
    def latest_check(self, obj):
        if not getattr(obj, "latest_status", None):
            return "never"
        checked = timezone.localtime(obj.latest_checked_at).strftime("%Y-%m-%d %H:%M")
        return format_html("{} {}", check_status_badge(obj.latest_status), checked)

    @admin.action(description="Run check now (checkdb) for the selected environments", permissions=["change"])
    def run_check_now(self, request, queryset):
        # Imported here: the check lives in the ops code, which the admin must not need at import time.
        from connections.services import CheckdbArgumentError, checkdb_run, profile_database

        for profile in queryset:
            try:
                result = checkdb_run(environment=profile.environment, database=profile_database(profile.environment))
            except CheckdbArgumentError as exc:
                self.message_user(request, f"Check of {profile.environment} could not run: {exc}", messages.ERROR)
                continue
            event = result.event
            parts = [f"Check of {profile.environment}: {event.status.upper()}"]
            if event.latency_ms is not None:
                parts.append(f"in {event.latency_ms:.1f} ms")
            if event.error_code:
                parts.append(f"[{event.error_code}]")
            if event.message:
                parts.append(f"— {event.message}")
            parts.append("(event recorded)" if result.recorded else "(database not writable: event spooled)")
            if result.backfilled:
                parts.append(f"{result.backfilled} spooled event(s) backfilled.")
            level = messages.SUCCESS if event.status == "pass" else messages.ERROR
            if result.recorded:  # the database took the event, so it takes the log entry too
                # Who ran which check, and what it found: one admin log entry per profile checked.
                self.log_change(request, profile, f"Ran check now: {event.status.upper()} " + " ".join(parts[1:]))
            self.message_user(request, " ".join(parts), level)
