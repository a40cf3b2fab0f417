"""Against a real streaming replica (PostgreSQL, pg_basebackup -R): API reads are served by the replica,
writes and a writer's next reads by the primary; replay lag and a read-only primary are reported by checkdb;
a stopped replica is skipped. The proof of which node served a read is the server's own: the replica alias's
connection reports pg_is_in_recovery() and the replica's port, pg_stat_activity on the replica shows the
API's query under the alias's application_name, and with replay paused the replica visibly lags."""

import io
import json
import time

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext

from core import replicas
from health.models import ConnectionHealthEvent
from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory, UserFactory
from tests.support.replicas import REPLICA_DB, real_replica, replica_ctl, scalar, wait_replayed

pytestmark = [real_replica, REPLICA_DB]
URL = "/api/v1/athletes/"


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["displayName"] for row in response.json()["results"]}


@pytest.fixture
def coach_client():
    return bearer_client(HeadCoachFactory())


def test_the_replica_alias_is_a_standby_on_its_own_port():
    assert settings.REPLICA_ALIASES == ["replica"]
    assert scalar("replica", "SELECT pg_is_in_recovery()") is True
    assert scalar("default", "SELECT pg_is_in_recovery()") is False
    assert scalar("replica", "SELECT inet_server_port()") == int(connections["replica"].settings_dict["PORT"])
    assert scalar("replica", "SELECT current_setting('application_name')") == "cadence-replica"


def test_api_reads_are_served_by_the_replica(coach_client):
    AthleteProfileFactory(display_name="Replicated")
    wait_replayed()
    with (
        CaptureQueriesContext(connections["replica"]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        assert "Replicated" in names(coach_client.get(URL))
    assert any("athletes_athleteprofile" in q["sql"] for q in on_replica.captured_queries)
    # The primary only authenticated the caller (the knox token with its user, their permissions and their own
    # athlete profile, joined by user id: core.auth), looked up the caller's own role where another path does
    # (by user id, on the user's node) and read users (the auth app stays on the primary, so the coaches behind
    # `coachIds` come from there): the list was not read there.
    list_reads = [
        q["sql"]
        for q in on_primary.captured_queries
        if "athletes_athleteprofile" in q["sql"]
        and '"athletes_athleteprofile"."user_id" =' not in q["sql"]
        and 'FROM "auth_user"' not in q["sql"]
        and not q["sql"].startswith('SELECT "knox_authtoken"."digest"')
    ]
    assert not list_reads, list_reads
    # Seen from the replica server itself (another session's view of pg_stat_activity): the alias's
    # session, named after it, last ran the API's query.
    replica = connections["replica"].settings_dict
    with psycopg.connect(
        host=replica["HOST"], port=replica["PORT"], user=replica["USER"], dbname=replica["NAME"], autocommit=True
    ) as observer:
        queries = [
            row[0]
            for row in observer.execute(
                "SELECT query FROM pg_stat_activity WHERE application_name = 'cadence-replica'"
            ).fetchall()
        ]
    assert any("athletes_athleteprofile" in query for query in queries), queries


def test_with_replay_paused_the_replica_lags_and_a_writer_reads_its_write_from_the_primary(
    coach_client, replay_paused, settings
):
    settings.REPLICA_PIN_SECONDS = 2
    # A reader that has not written reads the replica, which has not replayed the new row.
    AthleteProfileFactory(display_name="Only on the primary")
    reader = bearer_client(HeadCoachFactory())
    assert "Only on the primary" not in names(reader.get(URL))
    # The writer's own write (through the API) and its next read go to the primary.
    response = coach_client.post(
        URL, {"userId": UserFactory().pk, "displayName": "Written", "timezone": "UTC", "primaryGoal": "endurance"}
    )
    assert response.status_code == 201, response.content
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        assert {"Written", "Only on the primary"} <= names(coach_client.get(URL))
    assert on_replica.captured_queries == []
    # The other client still reads the lagging replica: the pin is the writer's alone.
    assert "Written" not in names(reader.get(URL))
    # After REPLICA_PIN_SECONDS the writer reads from the replica again.
    time.sleep(2.2)
    assert "Written" not in names(coach_client.get(URL))


def checkdb(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("checkdb", "--json", *args, stdout=out, stderr=io.StringIO())
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(out.getvalue())


def replica_profile(live_profile, environment: str, role: str):
    replica = connections["replica"].settings_dict
    return live_profile(environment, host=replica["HOST"], port=int(replica["PORT"]), role=role)


def test_replica_lag_is_reported_after_the_threshold(live_profile, replay_paused, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 3
    replica_profile(live_profile, "development-replica", "replica")
    code, event = checkdb("--database", "replica", "--environment", "development-replica")
    assert (code, event["status"], event["database"]) == (0, "pass", "replica")  # paused, but nothing waits
    AthleteProfileFactory()  # WAL the paused replica receives and does not replay
    started = time.monotonic()
    code, event = checkdb("--database", "replica", "--environment", "development-replica")
    if time.monotonic() - started < 2.5:  # the last replayed commit is younger than the threshold
        assert (code, event["status"]) == (0, "pass"), event
    time.sleep(3.5)
    code, event = checkdb("--database", "replica", "--environment", "development-replica")
    assert (code, event["status"], event["errorCode"]) == (1, "fail", "REPLICA_LAG"), event
    assert "more than REPLICA_MAX_LAG_SECONDS (3 s)" in event["message"]
    stored = ConnectionHealthEvent.objects.get(pk=event["id"])
    assert (stored.environment, stored.database, stored.error_code) == ("development-replica", "replica", "REPLICA_LAG")


def test_caught_up_replica_passes_with_lag_zero(live_profile, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 0
    replica_profile(live_profile, "development-replica", "replica")
    AthleteProfileFactory()
    wait_replayed()
    code, event = checkdb("--database", "replica", "--environment", "development-replica")
    assert (code, event["status"]) == (0, "pass"), event


def test_a_primary_profile_pointed_at_the_replica_is_db_read_only(live_profile):
    replica_profile(live_profile, "development", "primary")
    code, event = checkdb("--database", "replica")
    assert (code, event["status"], event["errorCode"]) == (1, "fail", "DB_READ_ONLY"), event
    assert "in recovery" in event["message"]


def test_the_real_primary_passes_its_primary_profile(live_profile):
    live_profile("development")
    code, event = checkdb()
    assert (code, event["status"]) == (0, "pass"), event


def test_a_stopped_replica_is_skipped_and_reads_fall_back_to_the_primary(coach_client):
    AthleteProfileFactory(display_name="Still readable")
    wait_replayed()
    assert "Still readable" in names(coach_client.get(URL))  # a persistent connection to the replica now
    replica_ctl("stop-replica")
    try:
        started = time.monotonic()
        with CaptureQueriesContext(connections["default"]) as on_primary:
            assert "Still readable" in names(coach_client.get(URL))
        elapsed = time.monotonic() - started
        assert elapsed < settings.DB_CONNECT_TIMEOUT + 1, elapsed
        assert any("athletes_athleteprofile" in q["sql"] for q in on_primary.captured_queries)
        # Remembered as down: the next request does not try it again.
        assert replicas._down_until.get("replica", 0) > time.monotonic()
        started = time.monotonic()
        assert "Still readable" in names(coach_client.get(URL))
        assert time.monotonic() - started < 1.0
    finally:
        replica_ctl("start-replica")
        replicas.reset_down()
    connections["replica"].close()
    wait_replayed(timeout=30)
