from django.db import models


class WorkerHeartbeat(models.Model):
    """A running worker process: `seen_at` is renewed every WORKER_HEARTBEAT_SECONDS while it lives. A job marked
    running by a worker unseen for WORKER_STALE_SECONDS is handed back to the queue (background.heartbeat)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "worker"

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"
