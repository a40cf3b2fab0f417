"""Events out: which writes announce what, to whom (the athletes a coach may see), with `data` as GET shows it to
the endpoint's owner, signed per Standard Webhooks, enqueued in the write's transaction, retried on the schedule,
failed at its end, and the endpoint disabled after days of only failures."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from standardwebhooks.webhooks import Webhook

from athletes import services as athlete_services
from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, CoachFactory, HeadCoachFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from tests.support.webhooks import Receiver, endpoint_make, run_queue
from training import services as training_services
from webhooks import services, transport
from webhooks.events import event_emit
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

LOCAL = override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=["127.0.0.1"], WEBHOOK_RETRY_SCHEDULE=[0, 0])


@pytest.fixture
def head(db):
    return HeadCoachFactory()


@pytest.fixture
def coach(db):
    return CoachFactory()


@pytest.fixture
def athlete_of_coach(coach):
    athlete = AthleteProfileFactory(display_name="Coached")
    athlete.coaches.set([coach])
    return athlete


def bodies(receiver) -> list[dict]:
    return [json.loads(body) for _, body, _ in receiver.requests]


# --- What is announced ----------------------------------------------------------------------------------------


@LOCAL
def test_a_session_patch_is_delivered_signed_with_data_as_the_owner_gets_it(head):
    session = TrainingSessionFactory()
    client = bearer_client(head)
    with Receiver() as receiver:
        endpoint = endpoint_make(head, url=receiver.url, events=["session.updated"])
        assert client.patch(f"/api/v1/sessions/{session.pk}/", {"title": "Hills"}, format="json").status_code == 200
        assert run_queue() == 1
    ((headers, body, _),) = receiver.requests
    # The standardwebhooks package verifies it as a receiver would.
    payload = Webhook(endpoint.secret).verify(body.decode(), headers)
    assert payload["type"] == "session.updated"
    assert payload["timestamp"].endswith("Z")
    assert payload["data"] == client.get(f"/api/v1/sessions/{session.pk}/").json()
    assert payload["data"]["title"] == "Hills"
    # And by hand: v1, base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed with the secret's decoded bytes.
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}".encode()
    key = base64.b64decode(endpoint.secret.removeprefix("whsec_"))
    assert (
        headers["webhook-signature"]
        == "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    )
    delivery = WebhookDelivery.objects.get()
    assert headers["webhook-id"] == str(delivery.event_id)
    assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60


def test_a_tampered_body_or_another_secret_fails_verification(head):
    with LOCAL, Receiver() as receiver:
        endpoint = endpoint_make(head, url=receiver.url)
        services.endpoint_ping(endpoint=endpoint)
        run_queue()
    ((headers, body, _),) = receiver.requests
    with pytest.raises(Exception, match=r"(?i)signature"):
        Webhook(endpoint.secret).verify(body.decode().replace("ping", "pong"), headers)
    other = WebhookEndpoint(owner=head).secret
    with pytest.raises(Exception, match=r"(?i)signature"):
        Webhook(other).verify(body.decode(), headers)


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        ("athlete create", ["athlete.created"]),
        ("athlete patch", ["athlete.updated"]),
        ("athlete patch nothing", []),
        ("program create", ["program.created"]),
        ("program patch", ["program.updated"]),
        ("session create", ["session.created"]),
        ("session patch", ["session.updated"]),
        ("session complete", ["session.updated", "session.completed"]),
        ("session completed again", ["session.updated"]),
        ("event create", []),  # season events are not announced
    ],
)
def test_each_write_announces_its_events(head, write, expected):
    client = bearer_client(head)
    athlete = AthleteProfileFactory()
    program = TrainingProgramFactory(athlete=athlete)
    session = TrainingSessionFactory(program=program)
    done = TrainingSessionFactory(program=program, status="completed")
    endpoint_make(head, url="https://hooks.example.invalid/x")
    calls = {
        "athlete create": lambda: client.post(
            "/api/v1/athletes/",
            {
                "user": {"username": "new-one", "email": "n@example.com"},
                "displayName": "N",
                "timezone": "UTC",
                "primaryGoal": "strength",
            },
            format="json",
        ),
        "athlete patch": lambda: client.patch(f"/api/v1/athletes/{athlete.pk}/", {"coachNotes": "x"}, format="json"),
        "athlete patch nothing": lambda: client.patch(
            f"/api/v1/athletes/{athlete.pk}/", {"displayName": athlete.display_name}, format="json"
        ),
        "program create": lambda: client.post(
            "/api/v1/programs/",
            {
                "athleteId": str(athlete.pk),
                "title": "Next",
                "startDate": "2030-01-01",
                "endDate": "2030-02-01",
                "status": "planned",
            },
            format="json",
        ),
        "program patch": lambda: client.patch(f"/api/v1/programs/{program.pk}/", {"title": "R"}, format="json"),
        "session create": lambda: client.post(
            "/api/v1/sessions/",
            {
                "programId": str(program.pk),
                "title": "T",
                "scheduledAt": session.scheduled_at.isoformat(),
                "durationMinutes": 30,
                "modality": "run",
            },
            format="json",
        ),
        "session patch": lambda: client.patch(f"/api/v1/sessions/{session.pk}/", {"title": "R"}, format="json"),
        "session complete": lambda: client.patch(
            f"/api/v1/sessions/{session.pk}/", {"status": "completed"}, format="json"
        ),
        "session completed again": lambda: client.patch(f"/api/v1/sessions/{done.pk}/", {"rpe": 5}, format="json"),
        "event create": lambda: client.post(
            "/api/v1/events/",
            {"athleteId": str(athlete.pk), "date": "2030-06-01", "name": "10k", "priority": "A", "kind": "race"},
            format="json",
        ),
    }
    response = calls[write]()
    assert response.status_code in (200, 201), response.content
    assert sorted(WebhookDelivery.objects.values_list("type", flat=True)) == sorted(expected)
    assert DBTaskResult.objects.count() == len(expected)


def test_an_endpoint_gets_only_the_types_it_asked_for(head):
    athlete = AthleteProfileFactory()
    wants_created = endpoint_make(head, url="https://a.example.invalid/", events=["athlete.created"])
    wants_all = endpoint_make(head, url="https://b.example.invalid/", events=["*"])
    endpoint_make(head, url="https://c.example.invalid/", events=["*"], active=False)
    athlete_services.athlete_write(instance=athlete, changes={"coach_notes": "n"}, actor=head)
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [wants_all.pk]
    assert not WebhookDelivery.objects.filter(endpoint=wants_created).exists()


def test_a_coachs_endpoint_gets_only_events_about_athletes_they_see(coach, athlete_of_coach, head):
    other = AthleteProfileFactory(display_name="Not coached")
    mine = endpoint_make(coach, url="https://coach.example.invalid/")
    heads = endpoint_make(head, url="https://head.example.invalid/")
    ops = endpoint_make(CoachFactory(_groups=["Operations"]), url="https://ops.example.invalid/")
    for athlete in (athlete_of_coach, other):
        athlete_services.athlete_write(instance=athlete, changes={"coach_notes": "n"}, actor=head)
    got = {(d.endpoint_id, json.loads(d.body)["data"]["id"]) for d in WebhookDelivery.objects.all()}
    assert got == {
        (mine.pk, str(athlete_of_coach.pk)),
        (heads.pk, str(athlete_of_coach.pk)),
        (heads.pk, str(other.pk)),
    }
    assert not WebhookDelivery.objects.filter(endpoint=ops).exists()  # operations see no athlete


def test_data_is_the_resource_as_the_owner_gets_it_not_as_the_writer_does(coach, athlete_of_coach, head):
    endpoint_make(coach, url="https://coach.example.invalid/")
    endpoint_make(head, url="https://head.example.invalid/")
    athlete_services.athlete_write(instance=athlete_of_coach, changes={"coach_notes": "n"}, actor=head)
    by_owner = {d.endpoint.owner_id: json.loads(d.body)["data"] for d in WebhookDelivery.objects.all()}
    assert by_owner[coach.pk] == bearer_client(coach).get(f"/api/v1/athletes/{athlete_of_coach.pk}/").json()
    assert by_owner[head.pk] == bearer_client(head).get(f"/api/v1/athletes/{athlete_of_coach.pk}/").json()


def test_an_inactive_owner_gets_nothing(head):
    endpoint_make(head, url="https://head.example.invalid/")
    head.is_active = False
    head.save()
    athlete_services.athlete_write(instance=AthleteProfileFactory(), changes={"coach_notes": "n"}, actor=CoachFactory())
    assert not WebhookDelivery.objects.exists()


def test_bulk_status_changes_announce_each_session_in_constant_queries(head):
    program = TrainingProgramFactory()
    sessions = [TrainingSessionFactory(program=program) for _ in range(7)]
    counts = []
    for batch in (sessions[:2], sessions[2:]):  # 2 then 5 sessions, nobody listening: the same cost
        with CaptureQueriesContext(connection) as ctx:
            training_services.sessions_set_status(sessions=batch, status="skipped")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    endpoint_make(head, url="https://head.example.invalid/", events=["session.completed"])
    training_services.sessions_set_status(sessions=sessions, status="completed")
    assert WebhookDelivery.objects.filter(type="session.completed").count() == 7
    assert len(set(WebhookDelivery.objects.values_list("event_id", flat=True))) == 7  # one event per session


# --- In the write's transaction ---------------------------------------------------------------------------


def test_a_rolled_back_write_enqueues_nothing_and_a_committed_one_does(head):
    athlete = AthleteProfileFactory()
    endpoint_make(head, url="https://head.example.invalid/")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        athlete_services.athlete_write(instance=athlete, changes={"coach_notes": "lost"}, actor=head)
        assert WebhookDelivery.objects.count() == 1  # written in the transaction...
        raise Boom
    assert not WebhookDelivery.objects.exists() and not DBTaskResult.objects.exists()  # ...and gone with it
    athlete_services.athlete_write(instance=athlete, changes={"coach_notes": "kept"}, actor=head)
    assert WebhookDelivery.objects.count() == 1 and DBTaskResult.objects.count() == 1


def test_a_refused_api_write_enqueues_nothing(head):
    endpoint_make(head, url="https://head.example.invalid/")
    program = TrainingProgramFactory()
    response = bearer_client(head).patch(f"/api/v1/programs/{program.pk}/", {"endDate": "1990-01-01"}, format="json")
    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists() and not DBTaskResult.objects.exists()


def test_event_emit_is_the_one_line_other_apps_call(head):
    athlete = AthleteProfileFactory()
    endpoint_make(head, url="https://head.example.invalid/", events=["athlete.updated"])
    (delivery,) = event_emit(type="athlete.updated", athlete_id=athlete.pk, resource=athlete)
    assert json.loads(delivery.body)["data"]["id"] == str(athlete.pk)
    with pytest.raises(ValueError, match="Unknown event type"):
        event_emit(type="wellness.created", athlete_id=athlete.pk, resource=athlete)


# --- Retries, failure, disabling --------------------------------------------------------------------------


def test_failed_attempts_follow_the_retry_schedule_then_fail(head):
    schedule = override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=["127.0.0.1"], WEBHOOK_RETRY_SCHEDULE=[30, 300])
    with schedule, Receiver(lambda n, h, b: 503) as receiver:
        endpoint = endpoint_make(head, url=receiver.url)
        delivery = services.endpoint_ping(endpoint=endpoint)
        before = timezone.now()
        run_queue()
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
        assert "503" in delivery.last_error
        assert before + timedelta(seconds=29) < delivery.next_attempt_at < timezone.now() + timedelta(seconds=31)
        job = DBTaskResult.objects.filter(status="READY").get()
        assert job.run_after == delivery.next_attempt_at  # the next attempt waits in the queue
        assert run_queue() == 0  # not due yet
        # Time passes: the second attempt, then the third (the schedule's last), then failed.
        for attempts, status in ((2, "pending"), (3, "failed")):
            DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
            WebhookDelivery.objects.update(next_attempt_at=timezone.now())
            run_queue()
            delivery.refresh_from_db()
            assert (delivery.attempts, delivery.status) == (attempts, status)
        assert delivery.next_attempt_at is None
        assert not DBTaskResult.objects.filter(status="READY").exists()
    assert len(receiver.requests) == 3
    assert len({h["webhook-id"] for h, _, _ in receiver.requests}) == 1  # the same id on every retry
    assert len({b for _, b, _ in receiver.requests}) == 1


@LOCAL
@pytest.mark.parametrize(
    ("streak", "disabled"), [(timedelta(days=5, seconds=1), True), (timedelta(days=4, hours=23), False)]
)
def test_an_endpoint_failing_for_the_disable_days_is_disabled(head, streak, disabled):
    with Receiver(lambda n, h, b: 500) as receiver:
        endpoint = endpoint_make(head, url=receiver.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - streak)
        services.endpoint_ping(endpoint=endpoint)
        run_queue()
    endpoint.refresh_from_db()
    assert endpoint.active is (not disabled)
    assert (endpoint.disabled_at is not None) is disabled


@LOCAL
def test_a_delivered_attempt_ends_the_failure_streak_and_a_first_failure_starts_it(head):
    answers = iter([500, 200])
    with Receiver(lambda n, h, b: next(answers)) as receiver:
        endpoint = endpoint_make(head, url=receiver.url)
        services.endpoint_ping(endpoint=endpoint)
        run_queue()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.active
    assert len(receiver.requests) == 2


@LOCAL
def test_a_disabled_endpoints_pending_deliveries_are_not_sent(head):
    with Receiver() as receiver:
        endpoint = endpoint_make(head, url=receiver.url)
        delivery = services.endpoint_ping(endpoint=endpoint)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=False)
        run_queue()
    delivery.refresh_from_db()
    assert delivery.status == "failed" and "not active" in delivery.last_error
    assert receiver.requests == []


# --- The request: redirects, time, SSRF after DNS ----------------------------------------------------------


@LOCAL
def test_a_redirect_is_not_followed(head):
    with Receiver(lambda n, h, b: 302) as receiver:
        receiver.extra_headers = {"Location": "http://127.0.0.1:9/elsewhere"}
        endpoint = endpoint_make(head, url=receiver.url)
        services.endpoint_ping(endpoint=endpoint)
        run_queue()
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status_code == 302 and "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 3  # the attempts, each answered 302, none followed


@override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=["127.0.0.1"], WEBHOOK_TIMEOUT_SECONDS=0.5)
def test_an_answer_later_than_the_timeout_is_a_failed_attempt():
    with Receiver(delay=1.5) as receiver:
        answer = transport.post(receiver.url, body=b"{}", headers={})
    assert answer.status is None and not answer.ok
    assert "within 0.5 s" in answer.error


@override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=["127.0.0.1"], WEBHOOK_TIMEOUT_SECONDS=1)
def test_a_receiver_that_drips_its_answer_is_cut_off_at_the_deadline():
    """Each byte of the status line comes well within the per-read timeout, so only a deadline on the whole
    exchange ends the attempt: a second, not the ten the receiver would take."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                if stop.is_set():
                    return
                with contextlib.suppress(OSError):
                    conn.sendall(bytes([byte]))
                time.sleep(0.1)

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        answer = transport.post(f"http://127.0.0.1:{server.getsockname()[1]}/hooks", body=b"{}", headers={})
    finally:
        stop.set()
        server.close()
    elapsed = time.monotonic() - started
    assert not answer.ok and "within 1 s" in answer.error
    assert elapsed < 3, elapsed


def test_a_host_not_written_in_ascii_is_refused_on_write():
    with pytest.raises(transport.UnsafeURL, match="ASCII"):
        transport.url_check("https://例え.jp/hook")
    assert transport.url_check("https://xn--r8jz45g.jp/hook")[1] == "xn--r8jz45g.jp"


def _resolving_to_loopback(port):
    real = socket.getaddrinfo
    calls = []

    def fake(host, *args, **kwargs):
        calls.append(host)
        if host == "hooks.example.invalid":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, *args, **kwargs)

    return fake, calls


def test_a_name_resolving_to_a_loopback_address_is_refused_at_delivery(head):
    # The name passes the write check (https, a public-looking name); its DNS answer is judged at each attempt.
    # The fake resolver answers loopback, so even a broken check would reach only this machine.
    with Receiver() as receiver:
        fake, calls = _resolving_to_loopback(receiver.port)
        with mock.patch("socket.getaddrinfo", fake), override_settings(WEBHOOK_RETRY_SCHEDULE=[0]):
            transport.url_check(f"https://hooks.example.invalid:{receiver.port}/x")
            answer = transport.post(f"https://hooks.example.invalid:{receiver.port}/x", body=b"{}", headers={})
    assert answer.status is None and "resolves to 127.0.0.1" in answer.error
    assert receiver.requests == [] and calls == ["hooks.example.invalid"]


def test_an_allowed_name_is_resolved_once_and_the_checked_address_is_the_one_connected(head):
    with Receiver() as receiver:
        fake, calls = _resolving_to_loopback(receiver.port)
        with (
            mock.patch("socket.getaddrinfo", fake),
            override_settings(WEBHOOK_ALLOW_PRIVATE_HOSTS=["hooks.example.invalid"]),
        ):
            answer = transport.post(f"http://hooks.example.invalid:{receiver.port}/x", body=b"{}", headers={"a": "b"})
    assert answer.ok, answer.error
    # The name is resolved once; the connection is made to the address that was checked (urllib3 "resolves" only
    # that literal address), so no second DNS answer can slip in between the check and the connection.
    assert [host for host in calls if host != "127.0.0.1"] == ["hooks.example.invalid"]
    assert "127.0.0.1" in calls
    ((headers, _, _),) = receiver.requests
    assert headers["host"] == f"hooks.example.invalid:{receiver.port}"


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("172.31.255.255", True),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("169.254.1.1", True),
        ("100.100.100.200", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("::ffff:10.0.0.1", True),
        ("0.0.0.0", True),  # noqa: S104 (an address judged, nothing bound)
        ("224.0.0.1", True),
        ("93.184.216.34", False),
        ("2606:2800:220:1:248:1893:25c8:1946", False),
        ("172.32.0.1", False),
    ],
)
def test_address_rules(address, refused):
    import ipaddress

    assert (transport.address_refused(ipaddress.ip_address(address)) is not None) is refused


def test_a_resource_that_cannot_be_rendered_costs_its_delivery_never_the_write(head, caplog):
    athlete = AthleteProfileFactory()
    endpoint_make(head, url="https://head.example.invalid/")

    class Broken:
        args, kwargs = (), {}

        @staticmethod
        def func(request, *args, **kwargs):
            raise RuntimeError("a bug in a serializer")

    with mock.patch("webhooks.events.resolve", lambda path: Broken):
        written = athlete_services.athlete_write(instance=athlete, changes={"coach_notes": "kept"}, actor=head)
    written.refresh_from_db()
    assert written.coach_notes == "kept"
    assert not WebhookDelivery.objects.exists() and not DBTaskResult.objects.exists()
    assert "Could not render" in caplog.text
