"""Events become deliveries: `event_emit` (registered with core.events, so the write services reach it without
importing this app) finds the endpoints that want the event and may see its athlete, renders the resource as
`GET` shows it to each endpoint's owner, and stores one delivery per endpoint with its task enqueued, all in the
write's transaction.

Any app can announce an event through `core.events.event_emit(type=..., athlete_id=..., resource=...)` (this
module's `event_emit` is the same with the webhooks only), e.g. `event_emit(type="activity.imported",
athlete_id=activity.athlete_id, resource=activity)`."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import orjson
import uuid6
from django.db import transaction
from django.http import HttpRequest
from django.urls import resolve
from django.utils import timezone

from athletes.selectors import athlete_filter
from core.events import EVENT_TYPES
from core.lists.renderers import JSONRenderer

from .models import PING, DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# The API path whose GET shows each event's resource: `data` is what that GET answers the endpoint's owner.
RESOURCE_PATHS = {
    "athlete": "/api/v1/athletes/{id}/",
    "program": "/api/v1/programs/{id}/",
    "session": "/api/v1/sessions/{id}/",
    "activity": "/api/v1/activities/{id}/",
}


def event_emit(*, type: str, athlete_id, resource) -> list[WebhookDelivery]:
    """Deliveries of one event for every active endpoint that wants `type` and whose owner may see the athlete
    `athlete_id` (athletes.selectors), each with `data` = `resource` as GET shows it to that owner, and their
    tasks enqueued. Call it inside the write's transaction (after the save): nothing is enqueued if it rolls
    back. Costs one query when no endpoint wants the event."""
    return events_deliver([(type, [(athlete_id, resource)])])


def events_deliver(batches: list[tuple[str, list[tuple]]]) -> list[WebhookDelivery]:
    """`event_emit` for several events (`batches`: (type, [(athlete_id, resource), ...])), one event per resource;
    one query in all when no endpoint wants them (core.events.events_announce calls it)."""
    for event_type, _ in batches:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"Unknown event type {event_type!r}.")
    active = [e for e in WebhookEndpoint.objects.filter(active=True).select_related("owner") if e.owner.is_active]
    now = timezone.now()
    deliveries = []
    for event_type, items in batches:
        endpoints = [e for e in active if e.wants(event_type)]
        if not endpoints:
            continue
        owners = {e.owner_id: e.owner for e in endpoints}
        for athlete_id, resource in items:
            bodies = {}
            for owner_id, owner in owners.items():
                if not _sees_athlete(owner, athlete_id):
                    continue
                data = resource_as_seen(type=event_type, resource=resource, user=owner)
                if data is not None:  # None: the owner's GET would not show it (404)
                    bodies[owner_id] = event_body(type=event_type, timestamp=now, data=data)
            event_id = uuid6.uuid7()
            deliveries += [
                WebhookDelivery(
                    endpoint=e, event_id=event_id, type=event_type, body=bodies[e.owner_id], next_attempt_at=now
                )
                for e in endpoints
                if e.owner_id in bodies
            ]
    return deliveries_create(deliveries)


def _sees_athlete(user, athlete_id) -> bool:
    from athletes.models import AthleteProfile

    return AthleteProfile.objects.filter(pk=athlete_id).filter(athlete_filter(user=user)).exists()


def event_body(*, type: str, timestamp: datetime, data) -> str:
    """The JSON every attempt sends: {"type", "timestamp", "data"}."""
    stamp = timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return orjson.dumps({"type": type, "timestamp": stamp, "data": data}).decode()


def resource_as_seen(*, type: str, resource, user):
    """`resource` as `GET` on its API path answers `user` (camelCase JSON types), or None when it answers
    anything but 200 (the user may not see it). The request runs the resource's own viewset (its selector, its
    serializer) in this process and transaction: no HTTP."""
    path = RESOURCE_PATHS[type.split(".")[0]].format(id=resource.pk)
    match = resolve(path)
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.META = {"SERVER_NAME": "cadence.internal", "SERVER_PORT": "443", "HTTP_ACCEPT": "application/json"}
    request.user = user
    request._dont_enforce_csrf_checks = True
    try:
        # In a savepoint: a failure here (a bug) costs this delivery, never the write that announced the event.
        with transaction.atomic():
            response = match.func(request, *match.args, **match.kwargs)
            if response.status_code != 200:
                if response.status_code != 404:
                    logger.warning(
                        "GET %s as user %s answered %s: no %s event for them", path, user.pk, response.status_code, type
                    )
                return None
            return orjson.loads(JSONRenderer().render(response.data))
    except Exception:
        logger.exception("Could not render %s for user %s: no %s event for them", path, user.pk, type)
        return None


def deliveries_create(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """Store the deliveries and enqueue a task for each (both in the caller's transaction)."""
    from .tasks import webhook_deliver

    if not deliveries:
        return []
    WebhookDelivery.objects.bulk_create(deliveries)
    for delivery in deliveries:
        webhook_deliver.enqueue(delivery_id=str(delivery.pk))
    return deliveries


def ping_create(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` delivery for `endpoint` (POST …/{id}/test/), enqueued."""
    now = timezone.now()
    data = {"endpointId": str(endpoint.pk), "message": "Cadence webhook test"}
    (delivery,) = deliveries_create(
        [
            WebhookDelivery(
                endpoint=endpoint,
                event_id=uuid.uuid4(),
                type=PING,
                body=event_body(type=PING, timestamp=now, data=data),
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
            )
        ]
    )
    return delivery
