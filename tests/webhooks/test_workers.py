"""Real worker processes (`manage.py worker`) against PostgreSQL: a job enqueued by a committed write is done, a
worker killed with SIGKILL mid-job leaves its job to another worker that does it once, and several workers
deliver 200 events to a receiver that fails half the time, each exactly once in the end."""

from __future__ import annotations

import random
import signal
import threading
import time

import pytest
from django.db import connections
from django_tasks_db.models import DBTaskResult

from tests.support.factories.athletes import HeadCoachFactory
from tests.support.factories.training import TrainingProgramFactory, TrainingSessionFactory
from tests.support.utils import postgres_only
from tests.support.webhooks import Receiver, endpoint_make, wait_until, worker_env, worker_start, worker_stop
from training import services as training_services
from webhooks import services
from webhooks.models import WebhookDelivery

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_job_leaves_it_to_another_that_does_it_once():
    head = HeadCoachFactory()
    release = threading.Event()
    seen = threading.Event()

    def answer(n, headers, body):
        if n == 0:  # the first attempt hangs: its worker is killed while it waits, and never reads an answer
            seen.set()
            release.wait(20)
            return 599
        return 200

    with Receiver(answer) as receiver:
        endpoint = endpoint_make(head, url=receiver.url)
        delivery = services.endpoint_ping(endpoint=endpoint)
        env = worker_env(WEBHOOK_TIMEOUT_SECONDS=3)
        first = worker_start(env, worker_id="first")
        try:
            assert seen.wait(30), "the first worker never made its attempt"
            job = DBTaskResult.objects.get()
            assert (job.status, job.worker_ids) == ("RUNNING", ["first"])
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            release.set()
            assert WebhookDelivery.objects.get().attempts == 0  # the killed attempt recorded nothing
            second = worker_start(env, worker_id="second")
            try:
                wait_until(lambda: WebhookDelivery.objects.get().status == "delivered", timeout=60, what="the delivery")
            finally:
                worker_stop(second)
        finally:
            worker_stop(first)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    # The killed job went back to the queue and was done by the second worker; it recorded one attempt.
    killed = DBTaskResult.objects.get(pk=job.pk)
    assert killed.status == "SUCCESSFUL" and killed.worker_ids[0] == "first" and killed.worker_ids[-1] == "second"
    assert all(j.status == "SUCCESSFUL" for j in DBTaskResult.objects.all())
    # The receiver saw the event twice under one webhook-id (the killed attempt reached it; a receiver dedupes by
    # that id) and answered 2xx once: the delivery was made once, by the second worker.
    assert [h["webhook-id"] for h, _, _ in receiver.requests] == [str(delivery.event_id)] * 2
    assert receiver.delivered_ids() == {str(delivery.event_id): 1}
    connections.close_all()


def test_200_events_through_three_workers_and_a_flaky_receiver_are_each_delivered_once():
    head = HeadCoachFactory()
    program = TrainingProgramFactory()
    sessions = [TrainingSessionFactory(program=program) for _ in range(200)]
    rng = random.Random(2026)
    with Receiver(lambda n, h, b: 500 if rng.random() < 0.5 else 200) as receiver:
        endpoint_make(head, url=receiver.url, events=["session.completed"])
        started = time.monotonic()
        training_services.sessions_set_status(sessions=sessions, status="completed")  # 200 events, one commit
        assert WebhookDelivery.objects.count() == 200
        env = worker_env(WEBHOOK_RETRY_SCHEDULE=",".join(["0"] * 25))
        workers = [worker_start(env, worker_id=f"load-{n}") for n in range(3)]
        try:
            wait_until(
                lambda: not WebhookDelivery.objects.exclude(status="delivered").exists(),
                timeout=240,
                interval=0.5,
                what="every delivery delivered",
            )
        finally:
            errors = [worker_stop(w) for w in workers]
        elapsed = time.monotonic() - started
    delivered = receiver.delivered_ids()
    assert len(delivered) == 200, errors
    assert set(delivered.values()) == {1}  # no event answered 2xx twice: none sent again once delivered
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    failed_answers = sum(1 for _, _, status in receiver.requests if status == 500)
    assert failed_answers > 50  # the receiver did fail about half the time
    assert sum(WebhookDelivery.objects.values_list("attempts", flat=True)) == len(receiver.requests)
    print(f"200 events, {len(receiver.requests)} requests, 3 workers: {elapsed:.1f} s")
    connections.close_all()
