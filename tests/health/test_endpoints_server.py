"""A real server (gunicorn, DEBUG off) started with an unreachable DATABASE_URL: it starts, /health/live
answers, and /health/db says DB_UNREACHABLE within DB_CONNECT_TIMEOUT + 1 s."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
DB_CONNECT_TIMEOUT = 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 (a local test server)
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def _serve(database_url: str):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DB_CONNECT_TIMEOUT": str(DB_CONNECT_TIMEOUT),
            "SECRET_KEY": "tests-only-server-key",
            "ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
    )
    proc = subprocess.Popen(
        [str(GUNICORN), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "30"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server died: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, base
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("the server did not start")


@pytest.fixture
def server_with(request):
    started = []

    def start(database_url):
        proc, base = _serve(database_url)
        started.append(proc)
        return base

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _check(base):
    status, headers, body = _get(f"{base}/health/live")
    assert (status, body) == (200, {"status": "pass"})
    started = time.monotonic()
    status, headers, body = _get(f"{base}/health/db")
    elapsed = time.monotonic() - started
    assert status == 503
    assert headers["Content-Type"] == "application/health+json"
    assert headers["Cache-Control"] == "no-store"
    assert (body["status"], body["errorCode"]) == ("fail", "DB_UNREACHABLE")
    assert elapsed < DB_CONNECT_TIMEOUT + 1, elapsed
    return elapsed


def test_server_with_closed_database_port(server_with):
    port = _free_port()
    _check(server_with(f"postgres://cadence:S3cr3t-Pa55@127.0.0.1:{port}/cadence"))


def test_server_with_silent_database(server_with):
    from tests.support.outages import SilentServer

    silent = SilentServer()
    try:
        elapsed = _check(server_with(f"postgres://cadence@127.0.0.1:{silent.port}/cadence"))
        assert elapsed >= DB_CONNECT_TIMEOUT - 0.5  # it really waited for the connect timeout, then answered
    finally:
        silent.close()
