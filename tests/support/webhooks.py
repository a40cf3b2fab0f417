"""Webhook test helpers: a receiver on 127.0.0.1 the test owns (the only place tests send webhooks), the queue run
in this process, worker processes started and stopped, and endpoints made directly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from webhooks.models import WebhookEndpoint

ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) that records every POST (headers, body) and answers with
    `answer(request_number, headers, body) -> status` (200 by default). Use as a context manager."""

    def __init__(self, answer: Callable | None = None, *, delay: float = 0.0):
        self.answer = answer or (lambda n, headers, body: 200)
        self.delay = delay
        self.requests: list[tuple[dict, bytes, int]] = []  # (headers, body, status answered)
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if receiver.delay:
                    time.sleep(receiver.delay)
                with receiver.lock:
                    number = len(receiver.requests)
                    status = receiver.answer(number, headers, body)
                    receiver.requests.append((headers, body, status))
                self.send_response(status)
                extra = getattr(receiver, "extra_headers", {})
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
                    self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def delivered_ids(self) -> Counter:
        """webhook-id -> how many 2xx answers it got."""
        with self.lock:
            return Counter(h["webhook-id"] for h, _, status in self.requests if 200 <= status < 300)


def endpoint_make(owner, *, url: str, events=("*",), active: bool = True) -> WebhookEndpoint:
    """An endpoint stored without the write checks (the URL is the test's own receiver)."""
    return WebhookEndpoint.objects.create(owner=owner, url=url, events=list(events), active=active)


def run_queue(*, limit: int = 10_000) -> int:
    """Run the queue's due jobs in this process (as one worker would, in the caller's transaction) until none is
    due; returns how many ran."""
    ran = 0
    while ran < limit:
        job = DBTaskResult.objects.ready().order_by("run_after", "enqueued_at").first()
        if job is None:
            return ran
        job.claim("test-process")
        try:
            job.set_successful(job.task.call(*job.args_kwargs["args"], **job.args_kwargs["kwargs"]))
        except Exception as exc:
            job.set_failed(exc)
            raise
        ran += 1
    raise AssertionError(f"the queue still had due jobs after {limit}")


def worker_env(**extra) -> dict:
    """The environment of a worker process on the test database (a transaction=True test's committed rows)."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{quote(db['USER'] or '')}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
        "WEBHOOK_ALLOW_PRIVATE_HOSTS": ",".join(settings.WEBHOOK_ALLOW_PRIVATE_HOSTS) or "127.0.0.1",
        "WORKER_HEARTBEAT_SECONDS": "0.5",
        "WORKER_STALE_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def worker_start(env: dict, *, worker_id: str) -> subprocess.Popen:
    """`manage.py worker` in a process of its own (its own process group, so a kill takes it alone)."""
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "worker",
            "--no-startup-delay",
            "--interval",
            "0.1",
            "--worker-id",
            worker_id,
            "-v",
            "0",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def worker_stop(process: subprocess.Popen, *, sig=signal.SIGTERM, timeout: float = 15) -> str:
    """Stop a worker (SIGTERM: it finishes its job first); returns what it wrote to stderr."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return (err or b"").decode(errors="replace")


def wait_until(condition: Callable[[], bool], *, timeout: float, interval: float = 0.1, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
