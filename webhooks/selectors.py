"""Who sees which webhook endpoints and deliveries: head coaches (and superusers), who see every athlete, see and
manage every endpoint; coaches and operations their own. What an endpoint receives is judged by its owner's
view of the athletes (webhooks.events), whoever manages it."""

from __future__ import annotations

from django.db.models import QuerySet

from core import roles

from .models import WebhookDelivery, WebhookEndpoint


def endpoint_list(*, user, queryset: QuerySet[WebhookEndpoint] | None = None) -> QuerySet[WebhookEndpoint]:
    queryset = WebhookEndpoint.objects.all() if queryset is None else queryset
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    return queryset if roles.is_head_coach(user) else queryset.filter(owner_id=user.pk)


def delivery_list(*, user, queryset: QuerySet[WebhookDelivery] | None = None) -> QuerySet[WebhookDelivery]:
    queryset = WebhookDelivery.objects.all() if queryset is None else queryset
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    return queryset if roles.is_head_coach(user) else queryset.filter(endpoint__owner_id=user.pk)
