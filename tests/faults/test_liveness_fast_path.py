"""`GET /health/live` under gunicorn is answered on the worker's main loop (core/gunicorn_worker.py), so a
liveness probe never queues behind worker threads that all wait for the database."""

from __future__ import annotations

import http.client
import socket
import threading
import time

import pytest
from django.test import Client

from core.gunicorn_worker import PROBE_BODY, parse_probe, probe_response
from tests.support.faults import DB_CONNECT_TIMEOUT, request
from tests.support.outages import SilentServer


@pytest.mark.parametrize(
    ("probe", "method", "after"),
    [
        (b"GET /health/live HTTP/1.1\r\nHost: 10.0.0.7:8000\r\nUser-Agent: kube-probe/1.31\r\n\r\n", "GET", b""),
        (b"HEAD /health/live HTTP/1.0\r\n\r\n", "HEAD", b""),
        (b"GET /health/live?probe=1 HTTP/1.1\r\nHost: x\r\n\r\n", "GET", b""),
        # What follows the probe (a pipelined request) is not part of it, and is not consumed.
        (b"GET /health/live HTTP/1.1\r\n\r\n", "GET", b"GET /api/v1/ HTTP/1.1\r\n\r\n"),
    ],
)
def test_a_plain_probe_is_recognised(probe, method, after):
    assert parse_probe(probe + after) == (method, len(probe))


@pytest.mark.parametrize(
    "data",
    [
        b"GET /health/live HTTP/1.1\r\nHost: x\r\n",  # headers not complete yet: the threads wait for the rest
        b"POST /health/live HTTP/1.1\r\nContent-Length: 0\r\n\r\n",  # Django answers 405
        b"GET /health/live HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
        b"GET /health/live HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET /health/live HTTP/1.1\r\nUpgrade: h2c\r\n\r\n",
        b"GET /health/live/ HTTP/1.1\r\n\r\n",
        b"GET /health/livex HTTP/1.1\r\n\r\n",
        b"GET /health/db HTTP/1.1\r\n\r\n",
        b"GET /api/v1/athletes/ HTTP/1.1\r\n\r\n",
        b"GET /health/live HTTP/2.0\r\n\r\n",
        b"GET  /health/live HTTP/1.1\r\n\r\n",
        b"GET /health/live HTTP/1.1\r\nbroken header\r\n\r\n",
        b"GET /health/live HTTP/1.1\r\nHost : x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
        b"",
    ],
)
def test_anything_else_goes_to_the_threads(data):
    assert parse_probe(data) is None


def test_the_fast_answer_is_the_views_answer(db):
    view = Client().get("/health/live")
    head, _, body = probe_response("GET").partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert lines[0] == "HTTP/1.1 200 OK" and view.status_code == 200
    assert body == PROBE_BODY == view.content
    for name in ("Content-Type", "Cache-Control", "X-Content-Type-Options", "Content-Length"):
        assert headers[name] == view[name], name
    assert probe_response("HEAD") == head + b"\r\n\r\n"


@pytest.fixture
def silent_database():
    silent = SilentServer()
    yield silent
    silent.close()


def _in_pieces(base: str, *pieces: bytes) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.2)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_probe_answers_while_the_only_worker_thread_waits_for_the_database(gunicorn_against, silent_database):
    """One worker, one thread, the circuit breaker off: the thread is held by a request that waits for a
    database that never answers; probes are still answered at once, the same way Django's view answers."""
    server = gunicorn_against(
        silent_database.port,
        DATABASE_URL=f"postgres://cadence@127.0.0.1:{silent_database.port}/cadence",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="1",
        DB_CIRCUIT_COOLDOWN_SECONDS="0",
    )
    held = []
    waiter = threading.Thread(
        target=lambda: held.append(
            request(f"{server.base}/api/v1/programs/", headers={"Authorization": "Bearer " + "a" * 64})
        )
    )
    waiter.start()
    time.sleep(0.3)  # the request holds the thread now
    probes = []
    for _ in range(5):
        probes.append(request(f"{server.base}/health/live", timeout=5))
        time.sleep(0.1)
    head = request(f"{server.base}/health/live?from=kubelet", method="HEAD", headers={"Host": "10.1.2.3:8000"})
    waiter.join(DB_CONNECT_TIMEOUT + 5)

    assert held and held[0].status == 503  # the thread really was waiting for the database meanwhile
    assert held[0].elapsed >= DB_CONNECT_TIMEOUT - 0.5
    for probe in probes:
        assert probe.status == 200 and probe.json() == {"status": "pass"}
        assert probe.headers["Content-Type"] == "application/health+json"
        assert probe.headers["Cache-Control"] == "no-store"
        assert probe.elapsed < 0.3, [p.elapsed for p in probes]
    # HEAD, a query string and a pod IP as Host (which ALLOWED_HOSTS would refuse): the probe only says the
    # process answers, and it answers no matter whom it is asked as.
    assert head.status == 200 and head.body == b"" and head.elapsed < 0.3

    # Everything else still goes to Django, through the threads.
    assert request(f"{server.base}/health/live", method="POST", data=b"").status == 405
    assert request(f"{server.base}/health/live/").status == 404
    # A probe sent in pieces (the threads read the rest), and one on a kept-alive connection, still answer.
    pieces = _in_pieces(server.base, b"GET /health/li", b"ve HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert pieces.startswith(b"HTTP/1.1 200") and pieces.endswith(PROBE_BODY)
    kept = http.client.HTTPConnection(*server.base.removeprefix("http://").split(":"), timeout=5)
    try:
        kept.request("GET", "/health/live/")
        first = kept.getresponse()
        first.read()
        kept.request("GET", "/health/live")
        second = kept.getresponse()
        assert (first.status, second.status, second.read()) == (404, 200, PROBE_BODY)
    finally:
        kept.close()
    assert server.proc.poll() is None
    assert "Traceback" not in server.log()
