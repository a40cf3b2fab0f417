"""`python manage.py pruneidempotencykeys`: delete idempotency keys older than 24 hours (run it from cron, e.g.
hourly or daily)."""

from django.core.management.base import BaseCommand

from core.db import maintenance_timeouts
from core.idempotency import idempotency_records_prune


class Command(BaseCommand):
    help = (
        "Delete the Idempotency-Key records older than 24 hours. Requests already ignore them (the key runs "
        "again); this keeps the table to about a day of POSTs."
    )

    def handle(self, *args, **options):
        with maintenance_timeouts():  # the first prune of a long-neglected table may run long
            deleted = idempotency_records_prune()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
