"""/api/v1/webhook-endpoints/: who may use it, the fields, the URL rules (SSRF on write), the secret shown only on
create and rotate-secret, the test ping, the deliveries list and the retry."""

from __future__ import annotations

import base64

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, OperationsFactory
from tests.support.webhooks import Receiver, endpoint_make, run_queue
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhook-endpoints/"
BODY = {"url": "https://hooks.example.invalid/cadence", "events": ["athlete.created", "session.completed"]}


@pytest.fixture
def coach_user(db):
    return CoachFactory()


@pytest.fixture
def client(coach_user):
    return bearer_client(coach_user)


def test_create_answers_the_secret_once_and_never_again(client):
    created = client.post(URL, {**BODY, "description": "CRM sync"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert set(body) == {"id", "url", "events", "description", "active", "secret", "disabledAt", "updatedAt"}
    assert body["secret"].startswith("whsec_") and len(base64.b64decode(body["secret"][6:])) >= 24
    assert body["active"] is True and body["disabledAt"] is None
    detail = client.get(f"{URL}{body['id']}/").json()
    assert "secret" not in detail
    assert all("secret" not in row for row in client.get(URL).json()["results"])
    assert "secret" not in client.patch(f"{URL}{body['id']}/", {"description": "x"}, format="json").json()


def test_rotate_secret_shows_a_new_secret_that_signs_from_then_on(client):
    endpoint = client.post(URL, BODY, format="json").json()
    rotated = client.post(f"{URL}{endpoint['id']}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != endpoint["secret"]
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).secret == rotated.json()["secret"]


@pytest.mark.parametrize(
    ("events", "ok"),
    [
        (["*"], True),
        (
            [
                "athlete.created",
                "athlete.updated",
                "program.created",
                "program.updated",
                "session.created",
                "session.updated",
                "session.completed",
                "activity.imported",
            ],
            True,
        ),
        (["*", "athlete.created"], False),
        ([], False),
        (["athlete.created", "athlete.created"], False),
        (["wellness.created"], False),  # wellness is never sent
        (["ping"], False),
        ("athlete.created", False),
    ],
)
def test_events_are_known_types_or_star_alone(client, events, ok):
    response = client.post(URL, {**BODY, "events": events}, format="json")
    assert response.status_code == (201 if ok else 400), response.content
    if not ok:
        assert "events" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.invalid/x",  # http only for allowed hosts
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://192.168.0.10/x",
        "https://172.16.5.4/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/x",
        "https://[fe80::1]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://0.0.0.0/x",
        "https://localhost/x",
        "https://metadata.google.internal/x",
        "https://user:pass@hooks.example.invalid/x",
        "ftp://hooks.example.invalid/x",
        "not a url",
    ],
)
def test_private_loopback_link_local_metadata_and_plain_http_urls_are_refused(client, url):
    response = client.post(URL, {**BODY, "url": url}, format="json")
    assert response.status_code == 400, response.content
    assert "url" in response.json()
    assert not WebhookEndpoint.objects.exists()


def test_a_public_address_or_name_over_https_is_accepted(client):
    assert client.post(URL, {**BODY, "url": "https://93.184.216.34/hook"}, format="json").status_code == 201
    assert (
        client.post(URL, {**BODY, "url": "https://hooks.example.invalid:8443/h?a=1"}, format="json").status_code == 201
    )


def test_an_allowed_host_may_be_http_and_private(client):
    with override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=["127.0.0.1"]):
        assert client.post(URL, {**BODY, "url": "http://127.0.0.1:9/x"}, format="json").status_code == 201
        assert client.post(URL, {**BODY, "url": "http://127.0.0.2:9/x"}, format="json").status_code == 400


def test_a_patch_to_a_refused_url_changes_nothing(client):
    endpoint = client.post(URL, BODY, format="json").json()
    response = client.patch(f"{URL}{endpoint['id']}/", {"url": "https://10.0.0.1/"}, format="json")
    assert response.status_code == 400
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).url == BODY["url"]


def test_roles_athletes_get_403_and_others_see_only_their_own(coach_user, client):
    mine = client.post(URL, BODY, format="json").json()
    other = CoachFactory()
    theirs = bearer_client(other).post(URL, BODY, format="json").json()
    ops = bearer_client(OperationsFactory())
    assert ops.post(URL, BODY, format="json").status_code == 201
    assert [row["id"] for row in client.get(URL).json()["results"]] == [mine["id"]]
    assert client.get(f"{URL}{theirs['id']}/").status_code == 404
    assert client.patch(f"{URL}{theirs['id']}/", {"active": False}, format="json").status_code == 404
    assert client.post(f"{URL}{theirs['id']}/test/").status_code == 404
    athlete = bearer_client(AthleteProfileFactory().user)
    assert athlete.get(URL).status_code == 403
    assert athlete.post(URL, BODY, format="json").status_code == 403
    assert client.delete(f"{URL}{mine['id']}/").status_code == 405


def test_reactivating_a_disabled_endpoint_clears_disabled_at(coach_user, client):
    endpoint = endpoint_make(coach_user, url=BODY["url"], active=False)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(disabled_at="2030-01-01T00:00:00Z")
    response = client.patch(f"{URL}{endpoint.pk}/", {"active": True}, format="json")
    assert response.status_code == 200
    assert response.json()["disabledAt"] is None and response.json()["active"] is True


@override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=["127.0.0.1"], WEBHOOK_RETRY_SCHEDULE=[0])
def test_test_sends_a_ping_and_deliveries_lists_it(coach_user, client):
    with Receiver() as receiver:
        endpoint = client.post(URL, {**BODY, "url": receiver.url}, format="json").json()
        answer = client.post(f"{URL}{endpoint['id']}/test/")
        assert answer.status_code == 202
        assert answer.json()["status"] == "pending" and answer.json()["type"] == "ping"
        assert run_queue() == 1
    ((headers, body, _),) = receiver.requests
    assert b'"type":"ping"' in body
    rows = client.get(f"{URL}{endpoint['id']}/deliveries/").json()
    assert rows["count"] == 1
    row = rows["results"][0]
    assert set(row) == {
        "id",
        "eventId",
        "type",
        "status",
        "attempts",
        "lastStatusCode",
        "lastError",
        "nextAttemptAt",
        "createdAt",
    }
    assert (row["status"], row["attempts"], row["lastStatusCode"], row["lastError"]) == ("delivered", 1, 200, "")
    assert row["eventId"] == headers["webhook-id"]


def test_test_on_an_inactive_endpoint_is_409_and_sends_nothing(coach_user, client):
    endpoint = endpoint_make(coach_user, url=BODY["url"], active=False)
    assert client.post(f"{URL}{endpoint.pk}/test/").status_code == 409
    assert not WebhookDelivery.objects.exists() and not DBTaskResult.objects.exists()


@override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=["127.0.0.1"], WEBHOOK_RETRY_SCHEDULE=[0])
def test_retry_attempts_a_failed_delivery_again_and_refuses_a_delivered_one(coach_user, client):
    answers = iter([500, 500, 204])
    with Receiver(lambda n, h, b: next(answers)) as receiver:
        endpoint = endpoint_make(coach_user, url=receiver.url)
        client.post(f"{URL}{endpoint.pk}/test/")
        run_queue()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 2, 500)
        retry = client.post(f"{URL}deliveries/{delivery.pk}/retry/")
        assert retry.status_code == 202 and retry.json()["status"] == "pending"
        run_queue()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 3, 204)
        assert client.post(f"{URL}deliveries/{delivery.pk}/retry/").status_code == 409
    assert len(receiver.requests) == 3
    other = bearer_client(CoachFactory())
    assert other.post(f"{URL}deliveries/{delivery.pk}/retry/").status_code == 404
    assert other.get(f"{URL}{endpoint.pk}/deliveries/").status_code == 404
    assert client.post(f"{URL}deliveries/not-a-uuid/retry/").status_code == 404


def test_deliveries_list_queries_do_not_grow(coach_user, client, django_assert_max_num_queries):
    endpoint = endpoint_make(coach_user, url=BODY["url"])
    for n in range(30):
        WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=f"00000000-0000-4000-8000-{n:012d}", type="ping", body="{}"
        )
    with django_assert_max_num_queries(5):
        response = client.get(f"{URL}{endpoint.pk}/deliveries/", {"pageSize": 30})
    assert response.status_code == 200 and len(response.json()["results"]) == 30
