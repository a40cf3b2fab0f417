"""gunicorn's threaded worker, with `GET`/`HEAD /health/live` answered on the worker's main loop.

In gunicorn's gthread worker a request is read only once one of the worker's threads is free. When every thread
waits for a database that stopped answering, a liveness probe would queue behind them and a Kubernetes probe
with a 1 s timeout would restart a healthy pod. This worker waits for a new connection's first bytes in its
main loop (gunicorn's own poller, which it already uses for slow clients), looks at them without consuming
anything, and answers a plain liveness probe there, in microseconds, whatever the threads are doing. Any other
request, or a probe it does not recognise as plain (a body, a partial request, TLS), goes to the threads
unchanged and reaches Django's view (health.views.live), which gives the same answer.

Every request handed to a thread carries the time the main loop saw it (`environ[ARRIVED_AT]`,
time.monotonic()): its first bytes on a new connection, or its kept-alive connection becoming readable. Time
queued for a thread then counts against the request's deadline (core.middleware), which the app could not
otherwise see.

Importable by the gunicorn master: it must not import Django.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from functools import partial

from gunicorn import util
from gunicorn.workers.gthread import DEFAULT_WORKER_DATA_TIMEOUT, ThreadWorker

PROBE_PATH = b"/health/live"
PROBE_BODY = b'{"status": "pass"}'
# A probe's request line and headers fit in far less; anything longer goes the ordinary way.
MAX_PEEK = 8192
_BODY_HEADERS = frozenset({b"content-length", b"transfer-encoding", b"expect", b"upgrade"})
# The WSGI environ key of a request's arrival time (time.monotonic() in the worker process).
ARRIVED_AT = "cadence.arrived_at"
_handling = threading.local()  # the arrival time of the request the calling thread handles


def parse_probe(data: bytes) -> tuple[str, int] | None:
    """(method, length of the request in bytes) when `data` starts with a whole `GET`/`HEAD /health/live`
    request without a body, else None."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None
    request_line, *headers = data[:end].split(b"\r\n")
    parts = request_line.split(b" ")
    if len(parts) != 3:
        return None
    method, target, version = parts
    if method not in (b"GET", b"HEAD") or version not in (b"HTTP/1.0", b"HTTP/1.1"):
        return None
    if target.split(b"?", 1)[0] != PROBE_PATH:
        return None
    for header in headers:
        name, sep, _ = header.partition(b":")
        if not sep or name != name.strip() or name.lower() in _BODY_HEADERS:
            return None
    return method.decode(), end + 4


def probe_response(method: str) -> bytes:
    """What health.views.live answers, as bytes; the connection is closed after it."""
    head = (
        "HTTP/1.1 200 OK\r\n"
        f"Date: {util.http_date()}\r\n"
        "Content-Type: application/health+json\r\n"
        f"Content-Length: {len(PROBE_BODY)}\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Connection: close\r\n"
        "\r\n"
    ).encode("ascii")
    return head if method == "HEAD" else head + PROBE_BODY


class ProbeFastPathWorker(ThreadWorker):
    """gthread, plus liveness probes answered on the main loop and arrival times (module docstring)."""

    def load_wsgi(self):
        super().load_wsgi()
        app = self.wsgi

        def stamped(environ, start_response):
            arrived_at = getattr(_handling, "arrived_at", None)
            if arrived_at is not None:
                environ[ARRIVED_AT] = arrived_at
            return app(environ, start_response)

        self.wsgi = stamped

    def handle_request(self, req, conn):
        _handling.arrived_at = getattr(conn, "cadence_arrived_at", None)
        try:
            return super().handle_request(req, conn)
        finally:
            _handling.arrived_at = None

    def enqueue_req(self, conn):
        # Every call hands a request to the threads, or parks a new connection until its first bytes (which
        # calls this again): the last stamp is when the request's bytes were seen.
        conn.cadence_arrived_at = time.monotonic()
        if self.cfg.is_ssl or not self.alive or getattr(conn, "is_http2", False):
            return super().enqueue_req(conn)
        if not conn.initialized and not conn.data_ready:
            # A new connection: wait for its first bytes in the poller rather than in a thread.
            conn.sock.setblocking(False)
            conn.timeout = time.monotonic() + max(self.cfg.keepalive, DEFAULT_WORKER_DATA_TIMEOUT)
            self.pending_conns.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn))
            return None
        if conn.initialized and conn.parser is not None and conn.parser.unreader.buf.getvalue():
            return super().enqueue_req(conn)  # a request already read ahead by the parser
        if self._answer_probe(conn):
            return None
        return super().enqueue_req(conn)

    def _answer_probe(self, conn) -> bool:
        started = time.perf_counter()
        try:
            conn.sock.setblocking(False)
            parsed = parse_probe(conn.sock.recv(MAX_PEEK, socket.MSG_PEEK))
        except OSError:  # nothing to read after all, or a reset: the ordinary path deals with it
            return False
        if parsed is None:
            return False
        method, length = parsed
        try:
            conn.sock.recv(length)  # exactly the probe: nothing is left unread, so closing sends no RST
            conn.sock.send(probe_response(method))  # a few hundred bytes into an empty send buffer
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the client went away
        self.nr_conns -= 1
        conn.close()
        _count(method, time.perf_counter() - started)
        return True


def _count(method: str, elapsed: float) -> None:
    """Count the probe in /metrics like the view would be (the worker has loaded the app, so this is cheap)."""
    with contextlib.suppress(Exception):  # metrics must never cost a probe its answer
        from core import metrics

        metrics.REQUESTS.labels("health:live", method, "200").inc()
        metrics.LATENCY.labels("health:live", method, "200").observe(elapsed)
