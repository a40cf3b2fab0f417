"""`manage.py connection_profile`: a fresh deployment gets the profile of its live database from one command,
so its first `checkdb` passes; an existing profile is never changed silently, and no secret is stored or shown."""

import io
import sqlite3

import pytest
from django.core.management import CommandError, call_command

from connections.models import DatabaseConnectionProfile
from connections.services import checkdb_run
from health.models import CheckStatus
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from tests.support.outages import postgres_alias_settings
from tests.support.utils import postgres_only

pytestmark = pytest.mark.django_db
SECRET = "S3cr3t-Pa55"


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("connection_profile", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def file_db(add_alias, tmp_path):
    """A SQLite database file behind the alias `filedb` (on either backend: the probe opens it directly)."""
    path = tmp_path / "cadence-prod.sqlite3"
    sqlite3.connect(path).close()
    add_alias("filedb", ENGINE="django.db.backends.sqlite3", NAME=str(path), OPTIONS={})
    return path


def test_creates_the_profile_of_the_live_database_with_an_audited_history(file_db):
    code, out, err = run("--environment", "production", "--from-database", "filedb", "--credential-ref", "env:DB")
    assert (code, err) == (0, "")
    assert out.startswith("created profile production")
    profile = DatabaseConnectionProfile.objects.get(environment="production")
    assert (profile.host, profile.database, profile.role, profile.credential_ref) == (
        "",
        "cadence-prod.sqlite3",
        "primary",
        "env:DB",
    )
    (history,) = profile.history.all()
    assert history.history_type == "+" and "connection_profile" in history.history_change_reason


def test_a_second_run_changes_nothing(file_db):
    args = ("--environment", "production", "--from-database", "filedb", "--credential-ref", "env:DB")
    assert run(*args)[0] == 0
    before = DatabaseConnectionProfile.objects.get(environment="production")
    code, out, _ = run(*args)
    after = DatabaseConnectionProfile.objects.get(environment="production")
    assert code == 0 and out.startswith("unchanged profile production")
    assert (after.version, after.updated_at, after.history.count()) == (before.version, before.updated_at, 1)


def test_a_profile_that_differs_is_left_alone_unless_update_is_given(file_db):
    DatabaseConnectionProfileFactory(environment="production", host="db.internal", database="cadence")
    args = ("--environment", "production", "--from-database", "filedb", "--credential-ref", "env:DATABASE_URL")
    code, out, err = run(*args)
    assert code == 1
    assert "host: profile 'db.internal', wanted ''" in out and "database: profile 'cadence'" in out
    assert "left unchanged" in err and "--update" in err
    assert DatabaseConnectionProfile.objects.get(environment="production").host == "db.internal"

    code, out, _ = run(*args, "--update")
    profile = DatabaseConnectionProfile.objects.get(environment="production")
    assert code == 0 and "updated profile production" in out
    assert (profile.host, profile.database) == ("", "cadence-prod.sqlite3")
    assert profile.history.count() == 2


@pytest.mark.parametrize(
    "reference", [f"postgres://cadence:{SECRET}@db.internal/cadence", f"password={SECRET}", "not a reference"]
)
def test_a_secret_or_a_bad_credential_reference_is_refused_without_being_repeated(file_db, reference):
    code, out, err = run("--environment", "production", "--from-database", "filedb", "--credential-ref", reference)
    assert code == 1 and err.startswith("credential_ref: ")
    assert SECRET not in out + err and reference not in out + err
    assert not DatabaseConnectionProfile.objects.exists()


def test_a_secret_credential_reference_is_refused_for_an_existing_profile_too(file_db):
    DatabaseConnectionProfileFactory(environment="production", host="db.internal")
    ref = f"postgres://cadence:{SECRET}@db.internal/cadence"
    code, out, err = run("--environment", "production", "--from-database", "filedb", "--credential-ref", ref)
    assert code == 1 and SECRET not in out + err
    assert DatabaseConnectionProfile.objects.get().credential_ref == "env:DATABASE_URL"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--environment", "Production!"), "invalid environment"),
        (("--from-database", "nope"), "unknown database alias"),
    ],
)
def test_bad_arguments_exit_2(args, message):
    with pytest.raises(CommandError, match=message) as excinfo:
        call_command("connection_profile", "--credential-ref", "env:DATABASE_URL", *args)
    assert excinfo.value.returncode == 2
    assert not DatabaseConnectionProfile.objects.exists()


@pytest.mark.parametrize(("args", "message"), [(("--timeout", "0"), "positive number"), (("--role", "x"), "choice")])
def test_bad_options_are_refused_by_the_parser(args, message):
    """From a shell, argparse exits 2 for these too."""
    with pytest.raises(CommandError, match=message):
        call_command("connection_profile", "--credential-ref", "env:DATABASE_URL", *args)
    assert not DatabaseConnectionProfile.objects.exists()


def test_the_credential_reference_is_required():
    with pytest.raises(CommandError, match="--credential-ref"):
        call_command("connection_profile")


def test_a_database_that_cannot_be_reached_creates_nothing(add_alias, closed_port):
    keys = postgres_alias_settings(port=closed_port)
    add_alias("down", options=keys.pop("options"), **keys)
    code, _, err = run("--from-database", "down", "--credential-ref", "env:DATABASE_URL", "--timeout", "3")
    assert code == 1 and err.startswith("DB_UNREACHABLE")
    assert not DatabaseConnectionProfile.objects.exists()


def test_a_replica_alias_gets_the_replica_profile_name_and_role(file_db, settings):
    settings.REPLICA_ALIASES = ["filedb"]
    code, _, _ = run("--from-database", "filedb", "--credential-ref", "env:DATABASE_REPLICA_URLS")
    profile = DatabaseConnectionProfile.objects.get()
    assert code == 0 and (profile.environment, profile.role) == (f"{settings.APP_ENVIRONMENT}-filedb", "replica")


@postgres_only
def test_the_profile_made_from_the_default_database_lets_checkdb_pass():
    """The deployment path: migrate, connection_profile, checkdb -> a passing event for /health/db."""
    assert checkdb_run().event.error_code == "PROFILE_MISSING"
    code, out, _ = run("--credential-ref", "env:DATABASE_URL")
    assert code == 0 and out.startswith("created profile development")
    run_ = checkdb_run()
    assert (run_.event.status, run_.event.error_code, run_.exit_code) == (CheckStatus.PASS, None, 0)
    profile = DatabaseConnectionProfile.objects.get(environment="development")
    assert profile.last_validated_at == run_.event.checked_at
