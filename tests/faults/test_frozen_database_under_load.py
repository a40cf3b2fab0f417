"""The service under gunicorn with many clients waiting while its PostgreSQL is frozen.

With gthread workers a request only reaches Django once a worker thread is free, so without help every request
(the liveness probe included) queues behind the ones that wait for the silent database. The rules proven here:
/health/live answers within 1 s throughout, every API request answers (503 with Retry-After) within
DB_CONNECT_TIMEOUT + 1 s however many clients are waiting, and the service recovers by itself once the database
answers again."""

from __future__ import annotations

import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from knox.models import AuthToken

from tests.support.factories.athletes import AthleteProfileFactory, StaffFactory
from tests.support.faults import DB_CONNECT_TIMEOUT, request
from tests.support.utils import ON_POSTGRES

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL: the freezable TCP proxy stands in front of it"),
    pytest.mark.django_db(transaction=True),
]

BOUND = DB_CONNECT_TIMEOUT + 1
# Three times the threads of 2 workers × 8: requests certainly queue for a thread while the database is frozen.
CLIENTS = 48
LOAD_SECONDS = 6
# Each client sends at most this many requests, whatever the timing: the loop is bounded in count and time.
MAX_REQUESTS_PER_CLIENT = 400
COOLDOWN = 1.5
METRICS_TOKEN = "m" * 40


CIRCUIT_SAMPLE = re.compile(
    r'^(cadence_db_circuit_open|cadence_db_short_circuited_requests_total)\{alias="default"\} (\S+)$', re.M
)


def scrape(base: str) -> dict[str, float]:
    """The database circuit's samples from /metrics (all workers, prometheus_client's multiprocess mode)."""
    body = request(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).body.decode()
    return {name: float(value) for name, value in CIRCUIT_SAMPLE.findall(body)}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


class Prober(threading.Thread):
    """GET /health/live every 100 ms (at most `limit` times) and remember each answer and its latency."""

    def __init__(self, base: str, limit: int = 400):
        super().__init__(daemon=True)
        self.base = base
        self.limit = limit
        self.samples: list[tuple[int, float]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set() and len(self.samples) < self.limit:
            try:
                response = request(f"{self.base}/health/live", timeout=5)
                self.samples.append((response.status, response.elapsed))
            except OSError:
                self.samples.append((0, 5.0))
            self.halt.wait(0.1)

    def stop(self) -> list[tuple[int, float]]:
        self.halt.set()
        self.join(10)
        return self.samples


class ApiClient(threading.Thread):
    """Sends GET requests back to back until `deadline` (at most MAX_REQUESTS_PER_CLIENT)."""

    def __init__(self, url: str, headers: dict, deadline: float):
        super().__init__(daemon=True)
        self.url, self.headers, self.deadline = url, headers, deadline
        self.answers: list = []

    def run(self) -> None:
        while time.monotonic() < self.deadline and len(self.answers) < MAX_REQUESTS_PER_CLIENT:
            try:
                self.answers.append(request(self.url, headers=self.headers, timeout=15))
            except OSError as exc:
                self.answers.append(exc)


def test_frozen_database_under_load_probes_and_api_answers_stay_bounded_and_service_recovers(
    pg_proxy, gunicorn_against, tmp_path
):
    coach = StaffFactory(is_superuser=True)
    AthleteProfileFactory.create_batch(2)
    auth = {"Authorization": f"Bearer {AuthToken.objects.create(user=coach)[1]}"}
    (tmp_path / "prometheus").mkdir()
    server = gunicorn_against(
        pg_proxy.port,
        DB_CIRCUIT_COOLDOWN_SECONDS=str(COOLDOWN),
        METRICS_TOKEN=METRICS_TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
    )
    api = f"{server.base}/api/v1/athletes/"
    warm = [ApiClient(api, auth, time.monotonic() + 1) for _ in range(CLIENTS)]
    for client in warm:
        client.start()
    for client in warm:
        client.join(20)
    assert {a.status for c in warm for a in c.answers} == {200}

    prober = Prober(server.base)
    prober.start()
    recovered_after = None
    try:
        time.sleep(0.3)
        pg_proxy.freeze()
        clients = [ApiClient(api, auth, time.monotonic() + LOAD_SECONDS) for _ in range(CLIENTS)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(LOAD_SECONDS + 30)
        while_frozen = scrape(server.base)
        pg_proxy.recover()
        recovered = time.monotonic()
        streak = 0
        with ThreadPoolExecutor(4) as pool:
            for _ in range(100):  # bounded: at most 100 rounds and COOLDOWN + 10 s
                if time.monotonic() - recovered > COOLDOWN + 10:
                    break
                statuses = set(pool.map(lambda _: request(api, headers=auth, timeout=15).status, range(4)))
                streak = streak + 1 if statuses == {200} else 0
                if streak == 5:  # every worker answers again, not just one
                    recovered_after = time.monotonic() - recovered
                    break
                time.sleep(0.05)
        after_recovery = scrape(server.base)
    finally:
        pg_proxy.recover()
        samples = prober.stop()

    answers = [a for c in clients for a in c.answers]
    errors = [a for a in answers if isinstance(a, Exception)]
    api_latencies = [a.elapsed for a in answers if not isinstance(a, Exception)]
    probe_latencies = [elapsed for _, elapsed in samples]
    print(  # the numbers docs/operations.md quotes (pytest -s shows them)
        f"\nfrozen database, {CLIENTS} clients for {LOAD_SECONDS} s: {len(answers)} API answers, "
        f"max {max(api_latencies, default=0):.3f} s, p99 {percentile(api_latencies or [0], 0.99):.3f} s; "
        f"{len(samples)} probes, max {max(probe_latencies):.3f} s, p99 {percentile(probe_latencies, 0.99):.3f} s; "
        f"recovered after {recovered_after}"
    )

    assert not errors, errors[:3]
    assert len(answers) >= CLIENTS * 2
    for answer in answers:
        assert answer.status == 503, (answer.status, answer.body[:200])
        assert answer.headers["Content-Type"] == "application/json"
        assert int(answer.headers["Retry-After"]) >= 1
    assert max(api_latencies) < BOUND, sorted(api_latencies)[-10:]

    assert len(samples) >= 20
    assert all(status == 200 for status, _ in samples), samples
    assert max(probe_latencies) < 1, sorted(probe_latencies)[-10:]

    # /metrics (added up across workers) showed the open circuit and the requests it answered at once.
    assert while_frozen["cadence_db_circuit_open"] == 1, while_frozen
    assert while_frozen["cadence_db_short_circuited_requests_total"] >= len(answers) / 2, while_frozen
    assert after_recovery["cadence_db_circuit_open"] == 0, after_recovery

    # The breaker opened and closed once per worker (two workers), logged once each way, not per request.
    assert recovered_after is not None and recovered_after < COOLDOWN + 3, recovered_after
    log = server.log()
    assert "Traceback" not in log, log[-3000:]
    assert "WORKER TIMEOUT" not in log
    assert 1 <= log.count("database circuit 'default' opened") <= 2, log[-3000:]
    assert 1 <= log.count("database circuit 'default' closed") <= 2, log[-3000:]
    assert log.count("503 GET /api/v1/athletes/") < len(answers) / 4
