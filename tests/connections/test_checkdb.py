"""checkdb_run: every row of the errorCode table (docs/operations.md, Error codes), with the outage made by the
test itself."""

import time

import pytest
from django.db import connection, connections
from django.test import override_settings

from connections.models import DatabaseConnectionProfile
from connections.services import CheckdbArgumentError, checkdb_run
from health.models import ConnectionHealthEvent
from tests.support.utils import ON_POSTGRES, postgres_only

pytestmark = pytest.mark.django_db


def _recorded(run):
    return ConnectionHealthEvent.objects.get(pk=run.event.id)


def test_pass_records_event_with_latency_and_sets_last_validated_at(live_profile):
    profile = live_profile("development")
    history_before = profile.history.count()

    run = checkdb_run()

    assert run.exit_code == 0, run.steps
    assert run.recorded is True
    event = _recorded(run)
    assert event.status == "pass"
    assert event.error_code is None and event.message is None
    assert event.environment == "development"
    assert event.latency_ms is not None and event.latency_ms > 0
    profile.refresh_from_db()
    assert profile.last_validated_at == event.checked_at
    # A refreshed timestamp is not an edit: no audit row, no new ETag version.
    assert profile.history.count() == history_before
    steps = ["connect", "schema", "profile", "role", "migrations", "last_validated_at"]
    assert [name for name, ok, _ in run.steps] == steps
    assert all(ok for _, ok, _ in run.steps)


def test_exactly_one_event_per_run(live_profile):
    live_profile("development")
    checkdb_run()
    checkdb_run(environment="other-env")
    assert ConnectionHealthEvent.objects.count() == 2


def test_environment_argument_selects_profile_and_event_environment(live_profile):
    live_profile("staging")
    run = checkdb_run(environment="staging")
    assert run.exit_code == 0
    assert _recorded(run).environment == "staging"


def test_no_profile_is_profile_missing(live_profile):
    live_profile("production")
    run = checkdb_run(environment="staging")
    event = _recorded(run)
    assert (run.exit_code, event.status, event.error_code) == (1, "fail", "PROFILE_MISSING")
    assert "staging" in event.message


def test_failure_does_not_touch_last_validated_at(live_profile):
    profile = live_profile("development", database="not-the-live-one")
    checkdb_run()
    profile.refresh_from_db()
    assert profile.last_validated_at is None


@postgres_only
def test_mismatched_profile_names_each_differing_field_expected_vs_actual(live_profile):
    live_profile("development", host="db.internal.example", port=6543, database="cadence_prod")
    run = checkdb_run()
    event = _recorded(run)
    assert event.error_code == "PROFILE_MISMATCH"
    live = connection.settings_dict
    assert f"host: expected 'db.internal.example', actual '{live['HOST']}'" in event.message
    assert f"port: expected 6543, actual {int(live['PORT'])}" in event.message
    assert f"database: expected 'cadence_prod', actual '{live['NAME']}'" in event.message
    assert "schema" not in event.message  # only what differs is named


@postgres_only
def test_schema_difference_alone_is_a_mismatch(live_profile):
    live_profile("development", schema="reporting")
    event = _recorded(checkdb_run())
    assert event.error_code == "PROFILE_MISMATCH"
    assert event.message.endswith("schema: expected 'reporting', actual 'public'.")


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's comparison rule")
def test_sqlite_compares_only_the_database(live_profile):
    # host/port/schema mean nothing to SQLite: a profile naming other ones still matches.
    live_profile("development", host="elsewhere", port=1, schema="x")
    assert checkdb_run().exit_code == 0
    live_profile("development2", database="other.sqlite3")
    event = _recorded(checkdb_run(environment="development2"))
    assert event.error_code == "PROFILE_MISMATCH"
    assert "database: expected 'other.sqlite3'" in event.message


@postgres_only
def test_missing_schema_fails_with_schema_missing(live_profile, add_alias):
    live_profile("development")
    default = connections.settings["default"]
    add_alias("noschema", options={**default.get("OPTIONS", {}), "options": "-c search_path=no_such_schema_h3,public"})
    event = _recorded(checkdb_run(database="noschema"))
    assert event.error_code == "SCHEMA_MISSING"
    assert "'no_such_schema_h3' does not exist" in event.message


@postgres_only
def test_database_schema_setting_is_the_configured_schema(live_profile, add_alias):
    live_profile("development")
    options = {k: v for k, v in connections.settings["default"].get("OPTIONS", {}).items() if k != "options"}
    add_alias("plain", options=options)
    with override_settings(DATABASE_SCHEMA="absent_schema_h3"):
        event = _recorded(checkdb_run(database="plain"))
    assert event.error_code == "SCHEMA_MISSING"
    with override_settings(DATABASE_SCHEMA="public"):
        assert checkdb_run(database="plain").exit_code == 0


@pytest.mark.django_db(transaction=True)
def test_unapplied_migration_is_migrations_pending(live_profile):
    live_profile("development")
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, app, name, applied FROM django_migrations WHERE app = 'health' ORDER BY id DESC")
        row = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE id = %s", [row[0]])
    try:
        run = checkdb_run()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO django_migrations (id, app, name, applied) VALUES (%s, %s, %s, %s)", list(row))
    event = _recorded(run)
    assert event.error_code == "MIGRATIONS_PENDING"
    assert f"health.{row[2]}" in event.message
    assert checkdb_run().exit_code == 0  # restored: the same check passes


@postgres_only
def test_closed_port_is_db_unreachable(live_profile, pg_alias, closed_port):
    live_profile("development")
    pg_alias("down", port=closed_port)
    started = time.monotonic()
    run = checkdb_run(database="down", timeout=2)
    assert time.monotonic() - started < 2
    event = _recorded(run)
    assert (run.exit_code, event.error_code, event.latency_ms) == (1, "DB_UNREACHABLE", None)
    assert run.recorded is True  # the application database itself is fine
    assert [s[0] for s in run.steps] == ["connect"]


@postgres_only
def test_unknown_host_is_db_unreachable(live_profile, pg_alias):
    live_profile("development")
    pg_alias("nohost", host="no-such-host.invalid", port=5432)
    assert _recorded(checkdb_run(database="nohost", timeout=3)).error_code == "DB_UNREACHABLE"


@postgres_only
def test_silent_server_is_db_timeout_within_timeout_plus_one_second(live_profile, pg_alias, silent_server):
    live_profile("development")
    pg_alias("silent", port=silent_server.port)
    started = time.monotonic()
    run = checkdb_run(database="silent", timeout=1)
    elapsed = time.monotonic() - started
    assert _recorded(run).error_code == "DB_TIMEOUT"
    assert elapsed <= 1 + 1, elapsed
    assert silent_server.accepted, "the probe never reached the silent server"


@postgres_only
def test_timeout_above_libpq_minimum_is_honoured(live_profile, pg_alias, silent_server):
    live_profile("development")
    pg_alias("silent", port=silent_server.port)
    started = time.monotonic()
    run = checkdb_run(database="silent", timeout=2.5)
    elapsed = time.monotonic() - started
    assert _recorded(run).error_code == "DB_TIMEOUT"
    assert 2.4 <= elapsed <= 2.5 + 1, elapsed


@postgres_only
def test_connection_that_stalls_mid_check_is_db_timeout_within_bound(live_profile, pg_alias, stalling_proxy):
    live_profile("development")
    pg_alias("stall", port=stalling_proxy.port)
    started = time.monotonic()
    run = checkdb_run(database="stall", timeout=1.5)
    elapsed = time.monotonic() - started
    assert stalling_proxy.stalled.is_set(), "the proxy never reached the stalled state"
    assert _recorded(run).error_code == "DB_TIMEOUT"
    assert elapsed <= 1.5 + 1, elapsed


@postgres_only
def test_proxy_without_stall_passes(live_profile, pg_alias):
    # Control for the stall test: the same proxy forwarding everything lets the check pass, so the
    # DB_TIMEOUT above comes from the stall, not from the proxy.
    from tests.support.outages import StallingProxy

    proxy = StallingProxy(stall=False)
    try:
        live_profile("development", host="127.0.0.1", port=proxy.port)
        pg_alias("proxied", port=proxy.port)
        run = checkdb_run(database="proxied", timeout=3)
        assert run.exit_code == 0, run.steps
    finally:
        proxy.close()


@postgres_only
def test_nonexistent_role_is_db_auth_failed(live_profile, pg_alias):
    live_profile("development")
    pg_alias("norole", port=5432, user="no_such_role_h3", password="whatever")
    event = _recorded(checkdb_run(database="norole", timeout=3))
    assert event.error_code == "DB_AUTH_FAILED"
    assert "no_such_role_h3" in event.message


def test_missing_sqlite_file_is_unreachable_and_not_created(live_profile, add_alias, tmp_path):
    live_profile("development")
    missing = tmp_path / "missing.sqlite3"
    add_alias("gone", ENGINE="django.db.backends.sqlite3", NAME=str(missing), options={})
    event = _recorded(checkdb_run(database="gone"))
    assert event.error_code == "DB_UNREACHABLE"
    assert not missing.exists()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"database": "nope"}, "unknown database alias"),
        ({"timeout": 0}, "positive"),
        ({"timeout": -1}, "positive"),
        ({"timeout": float("nan")}, "positive"),
        ({"environment": "Bad Env"}, "invalid environment"),
        ({"environment": ""}, "invalid environment"),
    ],
)
def test_bad_arguments_raise_and_record_nothing(kwargs, fragment):
    with pytest.raises(CheckdbArgumentError, match=fragment):
        checkdb_run(**kwargs)
    assert ConnectionHealthEvent.objects.count() == 0


def test_smallest_positive_timeout_is_accepted(live_profile):
    live_profile("development")
    run = checkdb_run(timeout=0.001)
    # Either it made it or it timed out: a verdict, not an argument error.
    assert run.event.status in ("pass", "fail")
    assert DatabaseConnectionProfile.objects.count() == 1
