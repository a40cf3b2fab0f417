"""The admin's webhook pages: endpoints scoped like the API, their URL and events judged as in the API, their
deliveries with status and last error, and the retry action."""

from __future__ import annotations

import uuid

import pytest
from django_tasks_db.models import DBTaskResult

from tests.support.factories.athletes import CoachFactory, HeadCoachFactory
from tests.support.webhooks import endpoint_make
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def staff_client(client, user):
    client.force_login(user)
    return client


def test_a_coach_sees_their_endpoints_with_deliveries_and_last_errors(client):
    coach = CoachFactory()
    mine = endpoint_make(coach, url="https://mine.example.invalid/")
    theirs = endpoint_make(CoachFactory(), url="https://theirs.example.invalid/")
    WebhookDelivery.objects.create(
        endpoint=mine,
        event_id=uuid.uuid4(),
        type="ping",
        body="{}",
        status="failed",
        attempts=8,
        last_status_code=503,
        last_error="The receiver answered 503.",
    )
    staff_client(client, coach)
    changelist = client.get("/admin/webhooks/webhookendpoint/")
    assert changelist.status_code == 200
    assert b"mine.example.invalid" in changelist.content and b"theirs.example.invalid" not in changelist.content
    for _ in range(25):  # newer deliveries of another endpoint must not push this one's out of its page
        WebhookDelivery.objects.create(endpoint=theirs, event_id=uuid.uuid4(), type="ping", body="{}")
    page = client.get(f"/admin/webhooks/webhookendpoint/{mine.pk}/change/")
    assert page.status_code == 200 and b"The receiver answered 503." in page.content
    assert client.get(f"/admin/webhooks/webhookendpoint/{theirs.pk}/change/").status_code == 302  # not found
    deliveries = client.get("/admin/webhooks/webhookdelivery/")
    assert deliveries.status_code == 200 and b"The receiver answered 503." in deliveries.content


def test_the_retry_action_queues_failed_deliveries_and_skips_delivered_ones(client):
    head = HeadCoachFactory()
    endpoint = endpoint_make(head, url="https://hooks.example.invalid/")
    failed = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=uuid.uuid4(), type="ping", body="{}", status="failed", attempts=8
    )
    done = WebhookDelivery.objects.create(
        endpoint=endpoint, event_id=uuid.uuid4(), type="ping", body="{}", status="delivered", attempts=1
    )
    staff_client(client, head)
    response = client.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "retry", "_selected_action": [str(failed.pk), str(done.pk)]},
        follow=True,
    )
    assert response.status_code == 200 and b"1 queued again; 1 delivered already." in response.content
    failed.refresh_from_db()
    assert failed.status == "pending" and DBTaskResult.objects.count() == 1


@pytest.mark.parametrize(
    ("url", "events", "ok"),
    [
        ("https://hooks.example.invalid/", '["*"]', True),
        ("https://10.0.0.1/", '["*"]', False),
        ("http://hooks.example.invalid/", '["*"]', False),
        ("https://hooks.example.invalid/", '["wellness.created"]', False),
        ("https://hooks.example.invalid/", '["*", "athlete.created"]', False),
        ("https://hooks.example.invalid/", "[]", False),
    ],
)
def test_the_add_form_judges_the_url_and_events_as_the_api_does(client, url, events, ok):
    head = HeadCoachFactory()
    staff_client(client, head)
    response = client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {
            "url": url,
            "events": events,
            "description": "",
            "active": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
    )
    assert (response.status_code == 302) is ok, response.content[:2000]
    assert WebhookEndpoint.objects.filter(owner=head).exists() is ok
