"""`migrate` with the maintenance timeouts: schema changes may legitimately run and wait for locks far longer
than a web request may (DB_MAINTENANCE_STATEMENT_TIMEOUT / DB_MAINTENANCE_LOCK_TIMEOUT)."""

from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import DEFAULT_DB_ALIAS

from core.db import maintenance_timeouts


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with maintenance_timeouts(options.get("database") or DEFAULT_DB_ALIAS):
            return super().handle(*args, **options)
