"""Requests that queue for a thread while the database is frozen still answer within DB_CONNECT_TIMEOUT + 1 s
of their arrival, whatever the number waiting: the time queued counts against each request's deadline
(core.gunicorn_worker stamps the arrival, core.db bounds every wait by it).

The circuit breaker is turned off here (DB_CIRCUIT_COOLDOWN_SECONDS=0) and gunicorn has one thread, so each
request must wait for the one before it, and nothing but the deadline keeps the queue's last request in bound:
without it, each request behind the first would add one whole wait (a connect of DB_CONNECT_TIMEOUT, or the
stall limit) to the time it queued."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from knox.models import AuthToken

from tests.support.factories.athletes import StaffFactory
from tests.support.faults import DB_CONNECT_TIMEOUT, DB_STALL_GRACE, DB_STATEMENT_TIMEOUT, request
from tests.support.utils import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

BOUND = DB_CONNECT_TIMEOUT + 1
QUEUED = 5


def test_requests_queued_behind_a_frozen_database_answer_within_the_bound_of_their_arrival(pg_proxy, gunicorn_against):
    coach = StaffFactory(is_superuser=True)
    auth = {"Authorization": f"Bearer {AuthToken.objects.create(user=coach)[1]}"}
    server = gunicorn_against(pg_proxy.port, WEB_CONCURRENCY="1", GUNICORN_THREADS="1", DB_CIRCUIT_COOLDOWN_SECONDS="0")
    api = f"{server.base}/api/v1/auth/me/"
    assert request(api, headers=auth).status == 200  # the thread now holds a persistent connection

    pg_proxy.freeze()
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(QUEUED) as pool:
            answers = list(pool.map(lambda _: request(api, headers=auth, timeout=20), range(QUEUED)))
        elapsed = time.monotonic() - started
    finally:
        pg_proxy.recover()

    latencies = sorted(a.elapsed for a in answers)
    print(f"\n{QUEUED} requests queued for one thread, frozen database: answered after {latencies}")
    for answer in answers:
        assert answer.status == 503, (answer.status, answer.body[:200])
        assert answer.headers["Content-Type"] == "application/json"
        assert int(answer.headers["Retry-After"]) >= 1
    assert max(latencies) < BOUND, latencies
    assert elapsed < BOUND + 0.5
    # The first request had the whole budget: it waited out the stall limit, not less.
    assert latencies[0] >= DB_STATEMENT_TIMEOUT + DB_STALL_GRACE - 0.1, latencies

    log = server.log()
    assert "request deadline passed before the database answered" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]

    # The connects the queued requests gave up on harm nothing: the service answers again once the database does.
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline and status != 200:
        status = request(api, headers=auth, timeout=10).status
        time.sleep(0.1)
    assert status == 200
