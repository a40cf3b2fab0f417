"""Writes of webhook endpoints, and the delivery of one attempt (the worker's job).

A delivery is attempted under a lease: the worker marks it leased (one UPDATE that only one worker can win),
sends outside any transaction, then records the outcome only while it still holds the lease, in one transaction
with the next attempt's job. So a delivery is marked delivered at most once, and a worker that dies mid-attempt
leaves it to be attempted again (its job is handed back to the queue, background.heartbeat)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.services import delete_in_batches
from core.writes import apply_changes, full_clean_known, if_match_check, lock_row, save_checked

from . import signing, transport
from .events import ping_create
from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, new_secret

# How long past the request's own deadline an attempt's lease lasts: the time to record the outcome. A worker that
# dies mid-attempt leaves the lease to run out; the attempt is then made again.
LEASE_GRACE_SECONDS = 5


# --- Endpoints -------------------------------------------------------------------------------------------------


def endpoint_write(
    *, instance: WebhookEndpoint | None, changes: dict, if_match: str | None = None, actor
) -> WebhookEndpoint:
    """The API's create (`instance` None: owned by `actor`, with a new secret) or update of an endpoint: the row
    locked and read fresh, If-Match compared, the URL judged (transport.url_check), saved. Activating an
    endpoint that Cadence disabled clears `disabledAt` and its failure streak."""
    with transaction.atomic():
        if instance is None:
            endpoint = WebhookEndpoint(owner=actor)
        else:
            endpoint = lock_row(WebhookEndpoint, instance.pk)
            if_match_check(if_match, endpoint)
        reactivated = changes.get("active") is True and not endpoint.active
        if not apply_changes(endpoint, changes) and instance is not None:
            return endpoint
        try:
            transport.url_check(endpoint.url)
        except transport.UnsafeURL as exc:
            raise ValidationError({"url": str(exc)}) from None
        if reactivated:
            endpoint.disabled_at = endpoint.failing_since = None
        full_clean_known(endpoint, known={"owner"})
        save_checked(endpoint)
        return endpoint


@transaction.atomic
def endpoint_secret_rotate(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """A new secret; every later attempt (retries of older events too) is signed with it."""
    endpoint = lock_row(WebhookEndpoint, endpoint.pk)
    endpoint.secret = new_secret()
    endpoint.save()
    return endpoint


class EndpointInactive(Exception):
    pass


@transaction.atomic
def endpoint_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `ping` delivery, enqueued; EndpointInactive when the endpoint is not active (nothing is sent to it)."""
    endpoint = lock_row(WebhookEndpoint, endpoint.pk)
    if not endpoint.active:
        raise EndpointInactive("The endpoint is not active: set active to true first.")
    return ping_create(endpoint=endpoint)


class AlreadyDelivered(Exception):
    pass


@transaction.atomic
def delivery_retry(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Attempt a failed or pending delivery again now (one more attempt for a failed one; a pending one's next
    attempt brought forward). AlreadyDelivered for a delivered one."""
    from .tasks import webhook_deliver

    delivery = lock_row(WebhookDelivery, delivery.pk)
    if delivery.status == DeliveryStatus.DELIVERED:
        raise AlreadyDelivered("This delivery was delivered already.")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    webhook_deliver.enqueue(delivery_id=str(delivery.pk), attempt=delivery.attempts)
    return delivery


# --- One attempt (the worker's job) ------------------------------------------------------------------------------


def delivery_attempt(*, delivery_id, attempt: int = 0, now=None) -> str:
    """Attempt delivery `delivery_id` once, if it is pending, due, has had `attempt` attempts and no other worker
    holds its lease; record the outcome (delivered; or the next attempt scheduled by WEBHOOK_RETRY_SCHEDULE, or
    failed after the last one) and disable an endpoint whose deliveries only failed for
    WEBHOOK_DISABLE_AFTER_DAYS. Returns what happened, for the job's result."""
    now = now or timezone.now()
    token = uuid.uuid4()
    lease_until = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + LEASE_GRACE_SECONDS)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempt)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + timedelta(seconds=1)))
        .update(lease_until=lease_until, lease_token=token)
    )
    if not claimed:
        held_until = (
            WebhookDelivery.objects.filter(
                pk=delivery_id, status=DeliveryStatus.PENDING, attempts=attempt, lease_until__gte=now
            )
            .values_list("lease_until", flat=True)
            .first()
        )
        if held_until is None:
            return "skipped"  # delivered, failed, or moved on to a later attempt by another job
        # Leased by another worker (or by one that died mid-attempt): look again once its lease runs out.
        from .tasks import webhook_deliver

        webhook_deliver.using(run_after=held_until + timedelta(seconds=1)).enqueue(
            delivery_id=str(delivery_id), attempt=attempt
        )
        return "leased by another worker: looking again when the lease runs out"
    delivery = WebhookDelivery.objects.select_related("endpoint", "endpoint__owner").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.active or not endpoint.owner.is_active:
        why = "disabled" if endpoint.disabled_at else "not active"
        reason = "its owner is inactive" if endpoint.active else f"the endpoint is {why}"
        return _record(delivery, token, status=None, error=f"Not sent: {reason}.", final=True)
    stamp = int(time.time())
    answer = transport.post(
        endpoint.url,
        body=delivery.body.encode(),
        headers=signing.headers(
            secret=endpoint.secret, msg_id=str(delivery.event_id), timestamp=stamp, body=delivery.body
        ),
    )
    return _record(delivery, token, status=answer.status, error=answer.error)


def _record(delivery: WebhookDelivery, token, *, status, error: str, final: bool = False) -> str:
    """Record one attempt's outcome, only while `token` still holds the delivery's lease (a conditional UPDATE:
    a worker whose lease ran out records nothing), with the next attempt's job and the endpoint's failure streak
    in the same transaction."""
    from .tasks import webhook_deliver

    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    now = timezone.now()
    attempts = delivery.attempts + 1  # the lease guarantees nobody else counted one meanwhile
    fields = {
        "attempts": attempts,
        "last_status_code": status,
        "last_error": error[:2000],
        "lease_until": None,
        "lease_token": None,
    }
    if not error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
        outcome = "delivered"
    elif not final and attempts <= len(schedule):
        fields.update(next_attempt_at=now + timedelta(seconds=schedule[attempts - 1]))
        outcome = "retry scheduled"
    else:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
        outcome = "failed"
    endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
    with transaction.atomic():
        held = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING, lease_token=token)
        if not held.update(**fields):
            return "lease lost"  # another worker took over after the lease ran out; its outcome stands
        if outcome == "retry scheduled":
            webhook_deliver.using(run_after=fields["next_attempt_at"]).enqueue(
                delivery_id=str(delivery.pk), attempt=attempts
            )
        if not error:
            endpoints.filter(failing_since__isnull=False).update(failing_since=None)
        elif not final:  # an attempt that was made and failed (not one refused before sending)
            _endpoint_failed(endpoints, now)
    return outcome


def _endpoint_failed(endpoints, now) -> None:
    """Count a failed attempt against the endpoint (`endpoints`: a queryset of it): the first failure since the
    last delivery starts the streak; a streak of WEBHOOK_DISABLE_AFTER_DAYS disables it. Conditional UPDATEs, so
    concurrent attempts on the endpoint's other deliveries need no lock."""
    endpoints.filter(failing_since__isnull=True).update(failing_since=now)
    since = now - timedelta(days=settings.WEBHOOK_DISABLE_AFTER_DAYS)
    endpoints.filter(active=True, failing_since__lte=since).update(
        active=False, disabled_at=now, updated_at=now, version=F("version") + 1
    )


# --- Retention ---------------------------------------------------------------------------------------------------

PRUNE_BATCH_SIZE = 1000


def deliveries_prune(*, older_than_days: int, batch_size: int = PRUNE_BATCH_SIZE, now=None) -> int:
    """Delete delivered and failed deliveries created more than `older_than_days` days ago, `batch_size` ids per
    DELETE (short transactions beside the workers); pending ones are kept whatever their age. Returns how many."""
    if older_than_days < 1 or batch_size < 1:
        raise ValueError("older_than_days and batch_size must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    finished = WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED], created_at__lt=cutoff
    )
    return delete_in_batches(finished, order_by="created_at", batch_size=batch_size)
