"""Webhook endpoints (a user's URL, the events it wants, its signing secret) and their deliveries (one per event
and endpoint: the signed body, its attempts and outcome)."""

from __future__ import annotations

import base64
import secrets

import uuid6
from django.conf import settings
from django.db import models

from core.events import EVENT_TYPES
from core.models import TimeStampedModel

PING = "ping"
ALL_EVENTS = "*"
SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)


def new_secret() -> str:
    """`whsec_` + base64 of 32 random bytes (Standard Webhooks' format)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(TimeStampedModel):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text=f'Any of {", ".join(EVENT_TYPES)}, or ["*"] for all.')
    description = models.CharField(max_length=500, blank=True)
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    disabled_at = models.DateTimeField(
        null=True, blank=True, help_text="When Cadence disabled the endpoint because its deliveries only failed."
    )
    failing_since = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="First failed attempt since the last delivered one."
    )

    class Meta:
        ordering = ["created_at", "id"]
        # The API's list order (created_at, id); the owner's own foreign key index scopes it.
        indexes = [models.Index(fields=["created_at", "id"], name="webhooks_endpoint_created_idx")]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return event_type == PING or ALL_EVENTS in self.events or event_type in self.events


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """One event for one endpoint. `body` is the JSON sent on every attempt (the same bytes, so the same
    `webhook-id` always carries the same content); `lease_until` is held by the worker making an attempt."""

    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    # Indexed by the (endpoint, event_id) unique constraint and the list's index, both leading with it.
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", db_index=False)
    event_id = models.UUIDField(help_text="The event's id: the webhook-id header, the same on every retry.")
    type = models.CharField(max_length=40)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhooks_delivery_one_per_event"),
        ]
        indexes = [
            # GET /webhook-endpoints/{id}/deliveries/ (newest first); the unique constraint's index leads with
            # the endpoint too, but orders by event id.
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_list_idx"),
            # /metrics counts deliveries by status at every scrape.
            models.Index(fields=["status"], name="webhooks_delivery_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} -> {self.endpoint_id} ({self.status})"
