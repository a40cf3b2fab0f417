"""`python manage.py prunewebhooks --older-than DAYS`: retention for webhook deliveries."""

from django.core.management.base import BaseCommand

from core.db import maintenance_timeouts
from core.management.arguments import positive_int
from webhooks.services import PRUNE_BATCH_SIZE, deliveries_prune


class Command(BaseCommand):
    help = "Delete delivered and failed webhook deliveries created more than DAYS days ago (pending ones stay)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=positive_int, required=True, metavar="DAYS")
        parser.add_argument("--batch-size", type=positive_int, default=PRUNE_BATCH_SIZE, help="ids per DELETE")

    def handle(self, *args, **options):
        with maintenance_timeouts():
            deleted = deliveries_prune(older_than_days=options["older_than"], batch_size=options["batch_size"])
        self.stdout.write(f"Deleted {deleted} webhook deliveries older than {options['older_than']} day(s).")
