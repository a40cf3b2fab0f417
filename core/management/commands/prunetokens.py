"""`python manage.py prunetokens`: delete expired API tokens (run it from cron, e.g. daily)."""

from django.core.management.base import BaseCommand

from core.services import tokens_prune_expired


class Command(BaseCommand):
    help = (
        "Delete expired API tokens. Requests do not clean up tokens (that cost a query each); a login prunes its "
        "own user's expired tokens, and this command prunes everyone's."
    )

    def handle(self, *args, **options):
        deleted = tokens_prune_expired()
        self.stdout.write(f"Deleted {deleted} expired token(s).")
