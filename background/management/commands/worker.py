"""`manage.py worker`: one background worker (django-tasks-db's `db_worker`) with Cadence's defaults: every
queue, a poll every second when idle, no autoreload, and a heartbeat thread that hands the jobs of dead workers
back to the queue (background.heartbeat). Run as many as the work needs, on as many machines (docs/operations.md)."""

from django.conf import settings
from django.core.management import CommandError
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import task_backends
from django_tasks_db.management.commands import db_worker

from background.heartbeat import Heartbeat


class Command(db_worker.Command):
    help = "Run one background worker (webhook deliveries and other queued jobs) until stopped."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(queue_name="*", reload=False)
        # db_worker draws its default id once, when its module is imported: every worker started from one
        # process would share it. Each worker gets its own (the heartbeat is keyed on it).
        parser.set_defaults(worker_id=None)

    def handle(self, *args, **options):
        if not isinstance(task_backends["default"], DatabaseBackend):
            raise CommandError(
                f"TASKS_BACKEND is {settings.TASKS_BACKEND}: this worker serves the database queue only; run the "
                "worker of that backend instead (docs/operations.md)."
            )
        options["worker_id"] = options.get("worker_id") or get_random_string(32)
        heartbeat = Heartbeat(options["worker_id"])
        heartbeat.start()
        try:
            return super().handle(*args, **options)
        finally:
            heartbeat.stop()
