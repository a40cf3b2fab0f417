"""Webhook endpoints in the admin, with their deliveries (status, attempts, last error) and a retry action. Who
sees what is webhooks.selectors (head coaches all, others their own); saves go through the services
(the URL is judged as in the API)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from core.admin import ScopedAdminMixin
from core.events import EVENT_TYPES

from . import services, transport
from .models import ALL_EVENTS, WebhookDelivery, WebhookEndpoint
from .selectors import delivery_list, endpoint_list


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = [
        "type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "created_at",
    ]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        # The newest deliveries only: an endpoint's change page must not render its whole history.
        rows = super().get_queryset(request)
        object_id = request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        if object_id is None:
            return rows.none()
        newest = rows.filter(endpoint_id=object_id).order_by("-created_at").values_list("pk", flat=True)[:20]
        return rows.filter(pk__in=list(newest))


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events", "description", "active"]

    def clean_events(self):
        events = self.cleaned_data["events"]
        known = {*EVENT_TYPES, ALL_EVENTS}
        if (
            not isinstance(events, list)
            or not events
            or not all(isinstance(e, str) and e in known for e in events)
            or len(set(events)) != len(events)
            or (ALL_EVENTS in events and len(events) > 1)
        ):
            raise forms.ValidationError(f'A list of distinct event types ({", ".join(EVENT_TYPES)}), or ["*"] alone.')
        return events

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            transport.url_check(url)
        except transport.UnsafeURL as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ScopedAdminMixin, admin.ModelAdmin):
    selector = staticmethod(endpoint_list)
    list_display = ["url", "owner", "active", "disabled_at", "description", "updated_at"]
    list_select_related = ["owner"]
    list_filter = ["active"]
    search_fields = ["url", "description"]
    ordering = ["created_at", "id"]
    fields = ["url", "events", "description", "active", "disabled_at", "owner", "updated_at"]
    readonly_fields = ["disabled_at", "owner", "updated_at"]
    inlines = [WebhookDeliveryInline]
    form = WebhookEndpointForm
    list_per_page = 50

    def save_model(self, request, obj, form, change):
        changes = {name: form.cleaned_data[name] for name in ("url", "events", "description", "active")}
        saved = services.endpoint_write(
            instance=obj if change else None, changes=changes, actor=obj.owner if change else request.user
        )
        obj.pk, obj.version = saved.pk, saved.version


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdminMixin, admin.ModelAdmin):
    selector = staticmethod(delivery_list)
    list_display = [
        "type",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "short_error",
        "next_attempt_at",
        "created_at",
    ]
    list_select_related = ["endpoint"]
    list_filter = ["status", "type"]
    ordering = ["-created_at", "-id"]
    fields = [
        "endpoint",
        "event_id",
        "type",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
        "body",
    ]
    readonly_fields = fields
    actions = ["retry"]
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="last error")
    def short_error(self, obj):
        return obj.last_error[:80]

    @admin.action(description="Retry the selected deliveries now", permissions=["retry"])
    def retry(self, request, queryset):
        retried = skipped = 0
        for delivery in queryset:
            try:
                services.delivery_retry(delivery=delivery)
                retried += 1
            except services.AlreadyDelivered:
                skipped += 1
        self.message_user(request, f"{retried} queued again; {skipped} delivered already.", messages.SUCCESS)

    def has_retry_permission(self, request):
        return request.user.has_perm("webhooks.change_webhookendpoint")
