"""Workers' heartbeats and the recovery of jobs whose worker died.

django-tasks-db claims a job by marking it RUNNING (under a row lock, so two workers never claim one job), then
runs it outside any transaction. A worker killed mid-job (SIGKILL, a lost machine) leaves the row RUNNING for
ever: nothing in the library hands it back. Here each worker renews a heartbeat row from a thread of its own, and
every worker, on each beat, hands back to the queue (READY) the running jobs whose worker has been unseen for
WORKER_STALE_SECONDS. The job then runs again, once, on another worker.

A job must therefore be safe to run again after a crash: it records what it did in the same transaction as its
effect (a webhook delivery is marked delivered under a lease, webhooks.services), so a rerun finds it done."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

RUNNING = "RUNNING"
READY = "READY"


def heartbeat_beat(*, worker_id: str, started_at=None) -> None:
    """Record that worker `worker_id` (this process) is alive now."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": now},
        create_defaults={
            "seen_at": now,
            "started_at": started_at or now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def stale_jobs_requeue(*, now=None) -> list[str]:
    """Hand back to the queue (READY) every RUNNING job whose worker (the last one that claimed it) has written no
    heartbeat for WORKER_STALE_SECONDS; returns their ids. Safe to run from every worker at once: each job is
    re-read under its row lock (rows another reaper holds are skipped) and only reset while its last claimant is
    still the dead worker, so a job just claimed again by a live worker is left alone."""
    now = now or timezone.now()
    alive_since = now - timedelta(seconds=settings.WORKER_STALE_SECONDS)
    requeued: list[str] = []
    with exclusive_transaction(DBTaskResult.objects.db):
        running = list(
            DBTaskResult.objects.filter(status=RUNNING)
            .select_for_update(skip_locked=True)
            .only("id", "worker_ids", "started_at")
        )
        if not running:
            return requeued
        claimants = {job.worker_ids[-1] for job in running if job.worker_ids}
        alive = set(
            WorkerHeartbeat.objects.filter(worker_id__in=claimants, seen_at__gte=alive_since).values_list(
                "worker_id", flat=True
            )
        )
        for job in running:
            claimant = job.worker_ids[-1] if job.worker_ids else None
            if claimant in alive:
                continue
            if claimant is None and job.started_at and job.started_at >= alive_since:
                continue  # claimed by no known worker only a moment ago: leave it its lease
            DBTaskResult.objects.filter(pk=job.pk, status=RUNNING).update(status=READY, started_at=None)
            requeued.append(str(job.pk))
        WorkerHeartbeat.objects.filter(seen_at__lt=alive_since).exclude(worker_id__in=alive).delete()
    for job_id in requeued:
        logger.warning("Job %s was running on a worker that stopped beating; handed back to the queue.", job_id)
    return requeued


class Heartbeat(threading.Thread):
    """The worker's heartbeat thread: beats every WORKER_HEARTBEAT_SECONDS and hands back the jobs of dead
    workers (stale_jobs_requeue). A daemon: it dies with its process, which is what lets the others notice."""

    def __init__(self, worker_id: str):
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                close_old_connections()
                heartbeat_beat(worker_id=self.worker_id, started_at=self.started_at)
                stale_jobs_requeue()
            except Exception:
                logger.exception("Worker heartbeat failed; trying again in %ss", settings.WORKER_HEARTBEAT_SECONDS)
                connection.close()
            self.stopping.wait(settings.WORKER_HEARTBEAT_SECONDS)
        connection.close()

    def stop(self) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join(timeout=settings.WORKER_HEARTBEAT_SECONDS + 5)
        try:
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except Exception:
            logger.exception("Could not remove the heartbeat of worker %s", self.worker_id)
