"""checkdb and the profile's role: a primary must take writes (DB_READ_ONLY), a replica must not
lag more than REPLICA_MAX_LAG_SECONDS (REPLICA_LAG). The real standby cases (in recovery, replay paused) are in
tests/replicas/test_real_replica.py; here a read-only primary is made with default_transaction_read_only."""

import pytest
from django.db import connections

from connections.models import DatabaseConnectionProfile
from connections.probe import ProbeResult
from connections.services import checkdb_run, judge_role
from health.models import ConnectionHealthEvent
from tests.support.utils import postgres_only

pytestmark = pytest.mark.django_db


def pg_probe(**kwargs) -> ProbeResult:
    values = {"ok": True, "vendor": "postgresql", "host": "db-2", "port": 5432, "database": "cadence"}
    values.update(kwargs)
    return ProbeResult(**values)


def profile(role: str) -> DatabaseConnectionProfile:
    return DatabaseConnectionProfile(environment="production", role=role)


@pytest.mark.parametrize(
    ("probe", "code"),
    [
        (pg_probe(in_recovery=False, read_only=False), None),
        (pg_probe(in_recovery=True, read_only=True), "DB_READ_ONLY"),
        (pg_probe(in_recovery=False, read_only=True), "DB_READ_ONLY"),
    ],
)
def test_a_primary_must_take_writes(probe, code):
    ok, detail, error = judge_role(profile("primary"), probe)
    assert (ok, error) == (code is None, code)
    if code:
        assert "'production' is a primary" in detail and "db-2:5432" in detail


@pytest.mark.parametrize(
    ("lag", "ok"), [(0.0, True), (29.9, True), (30.0, True), (30.1, False), (3600.0, False), (None, False)]
)
def test_replica_lag_boundary(settings, lag, ok):
    settings.REPLICA_MAX_LAG_SECONDS = 30
    passed, detail, error = judge_role(profile("replica"), pg_probe(in_recovery=True, replay_lag_seconds=lag))
    assert passed is ok
    assert error == (None if ok else "REPLICA_LAG")
    if lag is not None and not ok:
        assert f"{lag:.1f} s, more than REPLICA_MAX_LAG_SECONDS (30 s)" in detail


def test_a_replica_profile_on_a_node_that_is_not_in_recovery_passes_and_says_so():
    ok, detail, _ = judge_role(profile("replica"), pg_probe(in_recovery=False, replay_lag_seconds=0.0))
    assert ok and "not in recovery" in detail


def test_roles_do_not_apply_to_sqlite():
    probe = ProbeResult(ok=True, vendor="sqlite")
    assert judge_role(profile("primary"), probe)[0] and judge_role(profile("replica"), probe)[0]


@postgres_only
def test_a_read_only_database_under_a_primary_profile_is_db_read_only(live_profile, add_alias):
    live_profile("development")
    options = dict(connections.settings["default"].get("OPTIONS", {}))
    options["options"] = f"{options.get('options', '')} -c default_transaction_read_only=on".strip()
    add_alias("readonly", options=options)
    run = checkdb_run(database="readonly")
    event = ConnectionHealthEvent.objects.get(pk=run.event.id)
    assert (run.exit_code, event.error_code, event.database) == (1, "DB_READ_ONLY", "readonly")
    assert "read-only" in event.message
    assert run.steps[-1][:2] == ("role", False)


@postgres_only
def test_the_primary_under_a_replica_profile_reports_no_lag(live_profile):
    live_profile("development", role="replica")
    run = checkdb_run()
    assert run.exit_code == 0, run.steps
    assert any(name == "role" and "not in recovery" in detail for name, _, detail in run.steps)


@postgres_only
def test_the_probe_reads_the_role_state(live_profile):
    from connections.probe import probe_database

    result = probe_database(connections.settings["default"], timeout=5)
    assert (result.in_recovery, result.read_only, result.replay_lag_seconds) == (False, False, 0.0)
