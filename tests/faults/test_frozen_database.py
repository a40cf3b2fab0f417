"""The service under gunicorn (the repo's gunicorn.conf.py) while its PostgreSQL freezes and recovers.

The database is reached through a TCP proxy the test owns (tests/faults/conftest.py); freezing it looks, from
the app, like a SIGSTOPped server or a network black hole: sockets stay open and nothing answers."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from knox.models import AuthToken

from tests.support.factories.athletes import AthleteProfileFactory, StaffFactory
from tests.support.faults import (
    DB_CONNECT_TIMEOUT,
    DB_LOCK_TIMEOUT,
    DB_STALL_GRACE,
    DB_STATEMENT_TIMEOUT,
    request,
)
from tests.support.utils import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

# While the database cannot be reached,, API and admin requests answer 503 within this.
BOUND = DB_CONNECT_TIMEOUT + 1


class LivenessPoller:
    """GET /health/live every 100 ms in the background; remembers every answer and how long it took."""

    def __init__(self, base: str):
        self.base = base
        self.samples: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                response = request(f"{self.base}/health/live", timeout=5)
                self.samples.append((response.status, response.elapsed))
            except OSError:
                self.samples.append((0, 5.0))
            time.sleep(0.1)

    def stop(self) -> list[tuple[int, float]]:
        self._stop.set()
        self._thread.join(10)
        return self.samples


def _token_for(user) -> str:
    return AuthToken.objects.create(user=user)[1]


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_frozen_database_answers_503_in_bound_liveness_stays_up_and_service_recovers(pg_proxy, gunicorn_against):
    coach = StaffFactory(is_superuser=True)
    AthleteProfileFactory.create_batch(2)
    auth = {"Authorization": f"Bearer {_token_for(coach)}"}
    admin = {"Cookie": _session_cookie(coach)}
    server = gunicorn_against(pg_proxy.port)
    api = f"{server.base}/api/v1/athletes/"

    # Warm up: several threads hold persistent connections through the proxy.
    with ThreadPoolExecutor(8) as pool:
        assert {r.status for r in pool.map(lambda _: request(api, headers=auth), range(16))} == {200}

    poller = LivenessPoller(server.base)
    try:
        time.sleep(0.3)
        pg_proxy.freeze()
        with ThreadPoolExecutor(6) as pool:
            frozen = list(pool.map(lambda _: request(api, headers=auth), range(6)))
        admin_page = request(f"{server.base}/admin/", headers=admin)
        health = request(f"{server.base}/health/db")
        pg_proxy.recover()

        recovered_after = None
        started = time.monotonic()
        while time.monotonic() - started < 15:
            if request(api, headers=auth).status == 200:
                recovered_after = time.monotonic() - started
                break
            time.sleep(0.2)
        time.sleep(0.3)
    finally:
        pg_proxy.recover()
        samples = poller.stop()

    for response in frozen:
        assert response.status == 503, response.body
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["detail"]
        assert int(response.headers["Retry-After"]) > 0
        assert response.elapsed < BOUND, [r.elapsed for r in frozen]

    assert admin_page.status == 503
    assert admin_page.headers["Content-Type"].startswith("text/html")
    assert b"briefly unavailable" in admin_page.body
    assert "Retry-After" in admin_page.headers
    assert admin_page.elapsed < BOUND

    assert health.status == 503
    assert health.json()["errorCode"] == "DB_UNREACHABLE"
    assert health.elapsed < BOUND

    # /health/live answered 200 within 1 s throughout (freeze, 503s, recovery).
    assert len(samples) >= 10
    assert all(status == 200 for status, _ in samples), samples
    assert max(elapsed for _, elapsed in samples) < 1, samples

    # Recovered without a restart: the same master, no worker killed for a timeout.
    assert recovered_after is not None, "the API did not recover after the database came back"
    assert server.proc.poll() is None
    log = server.log()
    assert "WORKER TIMEOUT" not in log
    # No traceback; at most one line per request that waited for the database (the requests answered at once
    # while the circuit was open are counted in /metrics, not logged one by one), and the circuit's own line.
    assert "Traceback" not in log, log
    assert 1 <= log.count("503 GET /api/v1/athletes/") <= len(frozen), log
    assert log.count("503 GET /admin/") <= 1, log
    assert "database circuit 'default' opened" in log, log


def test_health_db_first_call_after_a_freeze_fits_its_bound(pg_proxy, gunicorn_against):
    """One worker thread with a persistent connection, a statement timeout longer than the connect timeout:
    /health/db's own deadline must cut the silent connection and must not reconnect to the frozen server."""
    server = gunicorn_against(
        pg_proxy.port, WEB_CONCURRENCY="1", GUNICORN_THREADS="1", DB_STATEMENT_TIMEOUT="10", DB_STALL_GRACE="0.5"
    )
    assert request(f"{server.base}/health/db").json()["errorCode"] == "NO_CHECK_RECORDED"  # connected
    pg_proxy.freeze()
    try:
        first = request(f"{server.base}/health/db")
    finally:
        pg_proxy.recover()
    assert first.status == 503
    assert first.json()["errorCode"] == "DB_UNREACHABLE"
    assert first.elapsed < DB_CONNECT_TIMEOUT + 1, first.elapsed
    # It cut its connection, not gave up on the database: the next call reads it again.
    assert request(f"{server.base}/health/db").json()["errorCode"] == "NO_CHECK_RECORDED"


def test_a_row_locked_elsewhere_is_a_503_after_lock_timeout_not_a_hang(gunicorn_against):
    coach = StaffFactory(is_superuser=True)
    profile = AthleteProfileFactory()
    auth = {"Authorization": f"Bearer {_token_for(coach)}", "Content-Type": "application/json"}
    db = connections["default"].settings_dict
    server = gunicorn_against(int(db.get("PORT") or 5432))
    url = f"{server.base}/api/v1/athletes/{profile.pk}/"

    with psycopg.connect(
        host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, user=db["USER"], dbname=db["NAME"]
    ) as locker:
        locker.execute("SELECT 1 FROM athletes_athleteprofile WHERE id = %s FOR UPDATE", [profile.pk])
        response = request(url, method="PATCH", headers=auth, data=b'{"displayName": "Renamed"}')
        locker.rollback()

    assert response.status == 503, response.body
    assert response.json()["detail"].startswith("The record is being changed")
    assert "Retry-After" in response.headers
    assert DB_LOCK_TIMEOUT <= response.elapsed < DB_LOCK_TIMEOUT + 2
    assert "lock timeout" in server.log()
    assert "Traceback" not in server.log()
    # Nothing was written, and the row can be changed once the lock is gone.
    profile.refresh_from_db()
    assert profile.display_name != "Renamed"
    assert request(url, method="PATCH", headers=auth, data=b'{"displayName": "Renamed"}').status == 200


def test_stall_limit_follows_the_statement_timeout():
    from core.db import stall_limit

    assert stall_limit() == settings.DB_STATEMENT_TIMEOUT + settings.DB_STALL_GRACE
    assert (DB_STATEMENT_TIMEOUT + DB_STALL_GRACE) < BOUND  # the bound the tests above rely on


@pytest.mark.parametrize("outage", ["closed_port", "silent_server"])
def test_unreachable_database_api_and_admin_answer_503_within_the_connect_bound(gunicorn_against, outage):
    """A database that refuses, or accepts TCP and never answers, gives 503 + Retry-After within
    DB_CONNECT_TIMEOUT + 1 s, JSON for the API and a page for the admin."""
    from tests.support.faults import free_port
    from tests.support.outages import SilentServer

    silent = SilentServer() if outage == "silent_server" else None
    try:
        server = gunicorn_against(silent.port if silent else free_port())
        api = request(f"{server.base}/api/v1/programs/", headers={"Authorization": "Bearer " + "a" * 64})
        admin = request(f"{server.base}/admin/", headers={"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"})
        login = request(
            f"{server.base}/api/v1/auth/token/",
            method="POST",
            headers={"Content-Type": "application/json"},
            data=b'{"username": "ada", "password": "x"}',
        )
    finally:
        if silent:
            silent.close()
    for response in (api, login):
        assert response.status == 503, response.body
        assert response.headers["Content-Type"] == "application/json"
        assert response.json()["detail"]
        assert "Retry-After" in response.headers
        assert response.elapsed < BOUND
    assert admin.status == 503
    assert admin.headers["Content-Type"].startswith("text/html")
    assert "Retry-After" in admin.headers
    assert admin.elapsed < BOUND
    assert "Traceback" not in server.log()
