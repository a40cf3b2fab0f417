"""/metrics reports the queue's depth and the webhook deliveries (read from the database at each scrape)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from tests.support.factories.athletes import CoachFactory
from tests.support.webhooks import endpoint_make
from webhooks.models import WebhookDelivery
from webhooks.tasks import webhook_deliver

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789"


@pytest.fixture
def token(settings, tmp_path):
    settings.METRICS_TOKEN = TOKEN
    settings.HEALTH_SPOOL_PATH = tmp_path / "spool.jsonl"


def scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_queue_depth_and_deliveries_by_status(client, token):
    empty = scrape(client)
    assert empty[("cadence_task_queue_depth", (("state", "ready"),))] == 0
    assert empty[("cadence_webhook_deliveries", (("status", "failed"),))] == 0
    endpoint = endpoint_make(CoachFactory(), url="https://hooks.example.invalid/")

    def delivery(**fields):
        return WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=uuid.uuid4(), type="ping", body="{}", **fields
        )

    for _ in range(3):
        webhook_deliver.enqueue(delivery_id=str(delivery().pk))  # due now
    webhook_deliver.using(run_after=timezone.now() + timedelta(minutes=5)).enqueue(
        delivery_id=str(delivery(attempts=1).pk)
    )
    delivery(status="failed", attempts=8)
    delivery(status="delivered", attempts=1)
    got = scrape(client)
    assert got[("cadence_task_queue_depth", (("state", "ready"),))] == 3
    assert got[("cadence_task_queue_depth", (("state", "scheduled"),))] == 1
    assert got[("cadence_task_queue_depth", (("state", "running"),))] == 0
    assert got[("cadence_webhook_deliveries", (("status", "pending"),))] == 4
    assert got[("cadence_webhook_deliveries", (("status", "retrying"),))] == 1
    assert got[("cadence_webhook_deliveries", (("status", "failed"),))] == 1
    assert got[("cadence_webhook_endpoints_disabled", ())] == 0
