"""`python manage.py prunehealth --older-than DAYS`: retention for health events."""

from django.core.management.base import BaseCommand

from core.db import maintenance_timeouts
from core.management.arguments import positive_int
from health.services import PRUNE_BATCH_SIZE, events_prune


class Command(BaseCommand):
    help = "Delete health events checked more than DAYS days ago, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=positive_int, required=True, metavar="DAYS")
        parser.add_argument("--batch-size", type=positive_int, default=PRUNE_BATCH_SIZE, help="ids per DELETE")

    def handle(self, *args, **options):
        with maintenance_timeouts():  # a first prune of a year of events may run long
            deleted = events_prune(older_than_days=options["older_than"], batch_size=options["batch_size"])
        self.stdout.write(f"Deleted {deleted} health event(s) older than {options['older_than']} day(s).")
