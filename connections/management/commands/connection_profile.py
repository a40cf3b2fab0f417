"""`python manage.py connection_profile`: give an environment the connection profile that describes its live
database, so a fresh deployment's first `checkdb` (and /health/db) can pass without a trip to the admin."""

from django.core.management.base import BaseCommand, CommandError

from connections.management.commands.checkdb import positive_seconds
from connections.models import DatabaseRole
from connections.services import CheckdbArgumentError, ProfileProvisionError, connection_profile_from_database


class Command(BaseCommand):
    help = (
        "Create the connection profile of an environment from a live database: host, port, database and schema "
        "as a connection to it sees them, and the credential reference given. An existing profile is left as it "
        "is (exit 0 when it already matches, 1 with its differences when it does not) unless --update is given. "
        "Exit 2 on bad arguments."
    )
    requires_system_checks = []  # like checkdb: it must be able to report on a database that is not ready
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument(
            "--environment",
            help="the profile's environment key (default: APP_ENVIRONMENT; <APP_ENVIRONMENT>-<alias> for a replica)",
        )
        parser.add_argument("--from-database", default="default", help="DATABASES alias to describe (default: default)")
        parser.add_argument(
            "--credential-ref",
            required=True,
            help="where the database's secret lives, e.g. env:DATABASE_URL or vault:secret/data/db/prod "
            "(never the secret itself)",
        )
        parser.add_argument(
            "--role", choices=DatabaseRole.values, help="primary or replica (default: replica for a replica alias)"
        )
        parser.add_argument("--update", action="store_true", help="change an existing profile that differs")
        parser.add_argument("--timeout", type=positive_seconds, help="seconds to connect (default: DB_CONNECT_TIMEOUT)")

    def handle(self, *args, **options):
        try:
            result = connection_profile_from_database(
                credential_ref=options["credential_ref"],
                database=options["from_database"],
                environment=options["environment"],
                role=options["role"],
                update=options["update"],
                timeout=options["timeout"],
            )
        except CheckdbArgumentError as exc:
            raise CommandError(str(exc), returncode=2) from None
        except ProfileProvisionError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise SystemExit(1) from None

        profile = result.profile
        for difference in result.differences:
            self.stdout.write(f"  {difference}")
        if result.action == "differs":
            self.stderr.write(
                f"Profile {profile.environment!r} exists and differs from database {options['from_database']!r} "
                "and the options given (above): left unchanged. Run again with --update to change it."
            )
            raise SystemExit(1)
        self.stdout.write(f"{result.action} profile {profile}")
