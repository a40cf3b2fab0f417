"""The workers' heartbeats and the recovery of a dead worker's job (background.heartbeat), the `worker` command's
refusal of another backend, and the settings the workers and webhooks read, validated at start."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from background.heartbeat import heartbeat_beat, stale_jobs_requeue
from background.models import WorkerHeartbeat
from tests.support.webhooks import ROOT
from webhooks.tasks import webhook_deliver

pytestmark = pytest.mark.django_db


def running_job(worker_ids):
    result = webhook_deliver.enqueue(delivery_id="00000000-0000-4000-8000-000000000000")
    job = DBTaskResult.objects.get(pk=result.id)
    for worker_id in worker_ids:
        job.claim(worker_id)
    return job


@override_settings(WORKER_STALE_SECONDS=60)
def test_a_job_of_a_worker_unseen_for_the_stale_time_goes_back_to_the_queue():
    heartbeat_beat(worker_id="alive")
    heartbeat_beat(worker_id="dead")
    WorkerHeartbeat.objects.filter(worker_id="dead").update(seen_at=timezone.now() - timedelta(seconds=61))
    heartbeat_beat(worker_id="quiet")
    WorkerHeartbeat.objects.filter(worker_id="quiet").update(seen_at=timezone.now() - timedelta(seconds=59))
    alive, dead, quiet, vanished = (running_job([w]) for w in ("alive", "dead", "quiet", "never-beat"))
    requeued = stale_jobs_requeue()
    assert sorted(requeued) == sorted([str(dead.pk), str(vanished.pk)])
    states = dict(DBTaskResult.objects.values_list("pk", "status"))
    assert states == {alive.pk: "RUNNING", dead.pk: "READY", quiet.pk: "RUNNING", vanished.pk: "READY"}
    assert DBTaskResult.objects.ready().count() == 2  # due again: the next worker takes them
    assert not WorkerHeartbeat.objects.filter(worker_id="dead").exists()  # a dead worker's heartbeat is removed


def test_a_job_claimed_again_by_a_live_worker_is_left_alone():
    heartbeat_beat(worker_id="second")
    job = running_job(["dead-first", "second"])  # requeued once already, now the second worker's
    assert stale_jobs_requeue() == []
    job.refresh_from_db()
    assert job.status == "RUNNING"


def test_finished_jobs_are_never_touched():
    job = running_job(["gone"])
    job.set_successful("delivered")
    assert stale_jobs_requeue() == []
    assert DBTaskResult.objects.get(pk=job.pk).status == "SUCCESSFUL"


def test_the_worker_command_serves_only_the_database_queue():
    from django_tasks.backends.immediate import ImmediateBackend

    other = {"default": ImmediateBackend("default", {})}
    with (
        mock.patch("background.management.commands.worker.task_backends", other),
        pytest.raises(CommandError, match="database queue only"),
    ):
        call_command("worker", "--batch")
    assert not WorkerHeartbeat.objects.exists()  # refused before it started


def test_a_worker_in_batch_mode_runs_the_due_jobs_beats_and_removes_its_heartbeat(settings):
    from webhooks.models import WebhookDelivery

    job = running_job([])  # due, for a delivery that does not exist: the job finds nothing to do
    beats = []

    def beat_here(heartbeat):  # one beat in the test's transaction, not a thread with a connection of its own
        heartbeat_beat(worker_id=heartbeat.worker_id)
        beats.append(WorkerHeartbeat.objects.get(worker_id=heartbeat.worker_id).pid)

    # The worker closes "old" connections between jobs, which would end the test's own transaction.
    with (
        mock.patch("background.heartbeat.Heartbeat.start", beat_here),
        mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"),
    ):
        call_command("worker", "--batch", "--no-startup-delay", "--worker-id", "batch-1", "-v", "0")
    assert beats == [os.getpid()]
    job.refresh_from_db()
    assert (job.status, job.worker_ids, job.return_value) == ("SUCCESSFUL", ["batch-1"], "skipped")
    assert not WorkerHeartbeat.objects.exists()  # a worker that stops removes its heartbeat
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("WEBHOOK_RETRY_SCHEDULE", "5,soon", "WEBHOOK_RETRY_SCHEDULE"),
        ("WEBHOOK_RETRY_SCHEDULE", "5,-1", "WEBHOOK_RETRY_SCHEDULE"),
        ("WEBHOOK_TIMEOUT_SECONDS", "0", "WEBHOOK_TIMEOUT_SECONDS"),
        ("WEBHOOK_TIMEOUT_SECONDS", "61", "WEBHOOK_TIMEOUT_SECONDS"),
        ("WEBHOOK_DISABLE_AFTER_DAYS", "0", "WEBHOOK_DISABLE_AFTER_DAYS"),
        ("WORKER_STALE_SECONDS", "9", "WORKER_STALE_SECONDS"),  # under twice the heartbeat (5)
    ],
)
def test_bad_values_stop_the_start(variable, value, message):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", variable: value}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_the_boundary_values_start():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "WEBHOOK_RETRY_SCHEDULE": "0",
        "WEBHOOK_TIMEOUT_SECONDS": "60",
        "WORKER_HEARTBEAT_SECONDS": "5",
        "WORKER_STALE_SECONDS": "10",
        "WEBHOOK_ALLOW_PRIVATE_HOSTS": " Hooks.Internal , 10.0.0.7",
    }
    code = "import django; django.setup(); from django.conf import settings as s; print(s.WEBHOOK_ALLOW_PRIVATE_HOSTS)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['hooks.internal', '10.0.0.7']"


def test_prunewebhooks_deletes_old_finished_deliveries_and_keeps_pending_and_recent_ones():
    from io import StringIO

    from tests.support.factories.athletes import CoachFactory
    from tests.support.webhooks import endpoint_make
    from webhooks.models import WebhookDelivery

    endpoint = endpoint_make(CoachFactory(), url="https://hooks.example.invalid/")
    old = timezone.now() - timedelta(days=31)

    def delivery(status, created_at):
        row = WebhookDelivery.objects.create(
            endpoint=endpoint, event_id=uuid.uuid4(), type="ping", body="{}", status=status
        )
        WebhookDelivery.objects.filter(pk=row.pk).update(created_at=created_at)
        return row.pk

    gone = {delivery("delivered", old), delivery("failed", old), delivery("delivered", old)}
    kept = {
        delivery("pending", old),  # still to be delivered, however old
        delivery("delivered", timezone.now() - timedelta(days=29)),
    }
    out = StringIO()
    call_command("prunewebhooks", "--older-than", "30", "--batch-size", "2", stdout=out)
    assert "Deleted 3 webhook deliveries" in out.getvalue()
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == kept
    assert not gone & kept
    with pytest.raises(CommandError):
        call_command("prunewebhooks", "--older-than", "0")
