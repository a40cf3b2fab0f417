"""/metrics gauges of the background queue and the webhook deliveries, read from the database at each scrape
(two queries): what every web process reports alike, whichever worker did the work."""

from __future__ import annotations

import logging

from django.db import DatabaseError
from django.db.models import Count, Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max
from prometheus_client.core import GaugeMetricFamily

from .models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("cadence.metrics")


class QueueCollector:
    def collect(self):
        queue = GaugeMetricFamily(
            "cadence_task_queue_depth",
            "Background jobs by state: ready (due, waiting for a worker), scheduled (due later: retries), running.",
            labels=["state"],
        )
        deliveries = GaugeMetricFamily(
            "cadence_webhook_deliveries",
            "Webhook deliveries: pending (not yet delivered), retrying (pending after a failed attempt), failed "
            "(gave up after the retry schedule; counts up).",
            labels=["status"],
        )
        disabled = GaugeMetricFamily(
            "cadence_webhook_endpoints_disabled", "Endpoints Cadence disabled because their deliveries only failed."
        )
        try:
            now = timezone.now()
            # A job enqueued without run_after carries the library's "no date" (get_date_max()): it is due.
            due = Q(run_after__lte=now) | Q(run_after=get_date_max())
            jobs = DBTaskResult.objects.aggregate(
                ready=Count("pk", filter=Q(due, status="READY")),
                scheduled=Count("pk", filter=Q(status="READY") & ~due),
                running=Count("pk", filter=Q(status="RUNNING")),
            )
            counts = WebhookDelivery.objects.aggregate(
                pending=Count("pk", filter=Q(status=DeliveryStatus.PENDING)),
                retrying=Count("pk", filter=Q(status=DeliveryStatus.PENDING, attempts__gt=0)),
                failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
            )
            disabled.add_metric([], WebhookEndpoint.objects.filter(disabled_at__isnull=False, active=False).count())
        except DatabaseError as exc:
            logger.warning("/metrics could not read the queue: %s", exc)
            return
        for state in ("ready", "scheduled", "running"):
            queue.add_metric([state], jobs[state])
        for status in ("pending", "retrying", "failed"):
            deliveries.add_metric([status], counts[status])
        yield from (queue, deliveries, disabled)


QUEUE_COLLECTOR = QueueCollector()
