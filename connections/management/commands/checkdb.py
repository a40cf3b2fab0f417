"""`python manage.py checkdb`: check a database connection and record one health event.

What it checks, its error codes and how to run it: docs/operations.md, 4. `checkdb`."""

import argparse
import json
import math

from django.core.management.base import BaseCommand, CommandError

from connections.services import STEPS, CheckdbArgumentError, checkdb_run
from health.services import event_to_json


def positive_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return seconds


class Command(BaseCommand):
    help = "Check a database connection against its environment's profile and record one health event."
    requires_system_checks = []  # the check must run (and report) even when the database is down
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("--environment", help="profile/event environment (default: APP_ENVIRONMENT)")
        parser.add_argument("--database", default="default", help="DATABASES alias to check (default: default)")
        parser.add_argument(
            "--timeout", type=positive_seconds, help="seconds for the whole check (default: DB_CONNECT_TIMEOUT)"
        )
        parser.add_argument("--json", action="store_true", help="print the event as one JSON object")

    def handle(self, *args, **options):
        try:
            run = checkdb_run(
                environment=options["environment"], database=options["database"], timeout=options["timeout"]
            )
        except CheckdbArgumentError as exc:
            raise CommandError(str(exc), returncode=2) from None

        if run.backfilled:
            self.stderr.write(f"backfilled {run.backfilled} spooled event(s)")
        if not run.recorded and run.spooled:
            self.stderr.write("the database could not be written: the event was spooled")
        elif not run.recorded:
            self.stderr.write("the event could be written neither to the database nor to the spool")
        if options["json"]:
            self.stdout.write(json.dumps(event_to_json(run.event)))
        else:
            ran = {name for name, _, _ in run.steps}
            for name, ok, detail in run.steps:
                self.stdout.write(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
            for name in STEPS:
                if name not in ran:
                    self.stdout.write(f"SKIP {name}: an earlier check failed")
            where = "recorded" if run.recorded else ("spooled" if run.spooled else "NOT RECORDED")
            self.stdout.write(
                f"{run.event.status.upper()} {run.event.environment}"
                f"{' ' + run.event.error_code if run.event.error_code else ''}: event {run.event.id} {where}, "
                f"{run.backfilled} backfilled"
            )
        # Exit through SystemExit so `call_command` callers and the shell both see the status.
        if run.exit_code:
            raise SystemExit(run.exit_code)
