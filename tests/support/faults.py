"""What the fault tests own: a TCP proxy in front of the machine's PostgreSQL that can freeze (stop forwarding,
keep every socket open, accept new connections and never answer them: what a SIGSTOPped server looks like from
the network) and recover; and gunicorn started with the repo's gunicorn.conf.py against it."""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as dj_settings
from django.db import connections

from tests.support.outages import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")

# Small bounds keep the suite fast; the behaviour is the same at production values.
DB_CONNECT_TIMEOUT = 2  # libpq's minimum
DB_STATEMENT_TIMEOUT = 1
DB_LOCK_TIMEOUT = 0.5
DB_STALL_GRACE = 0.5


class FreezableProxy:
    """Forwards 127.0.0.1:<port> to PostgreSQL until `freeze()`; then holds every byte (both directions, old
    and new connections) until `recover()`."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._running = threading.Event()
        self._running.set()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._start(self._accept)

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self._threads.append(thread)

    def freeze(self) -> None:
        self._running.clear()

    def recover(self) -> None:
        self._running.set()

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self._sockets.append(client)
            self._start(self._pump, client)

    def _pump(self, client: socket.socket) -> None:
        server = None
        while not self._stop.is_set():
            if not self._running.wait(0.1):
                continue  # frozen: read nothing, send nothing, close nothing
            if server is None:
                server = socket.create_connection(self.upstream)
                self._sockets.append(server)
            try:
                readable, _, _ = select.select([client, server], [], [], 0.1)
            except (OSError, ValueError):
                break
            if not self._running.is_set():
                continue
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    for s in (client, server):
                        with contextlib.suppress(OSError):
                            s.close()
                    return
                with contextlib.suppress(OSError):
                    (server if sock is client else client).sendall(data)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self.sock.close()


@pytest.fixture
def pg_proxy() -> Iterator[FreezableProxy]:
    settings = connections["default"].settings_dict
    proxy = FreezableProxy((settings.get("HOST") or "127.0.0.1", int(settings.get("PORT") or 5432)))
    yield proxy
    proxy.close()


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes
    elapsed: float

    def json(self):
        return json.loads(self.body)


def request(
    url: str, *, method: str = "GET", headers: dict | None = None, data: bytes | None = None, timeout: float = 30
) -> Response:
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)  # noqa: S310 (local)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 (a local test server)
            body = response.read()
            return Response(response.status, dict(response.headers), body, time.monotonic() - started)
    except urllib.error.HTTPError as exc:
        return Response(exc.code, dict(exc.headers), exc.read(), time.monotonic() - started)


class Gunicorn:
    def __init__(self, proc: subprocess.Popen, base: str, log_path: Path):
        self.proc = proc
        self.base = base
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def gunicorn_against(tmp_path) -> Iterator:
    """Start gunicorn with the repo's gunicorn.conf.py, DATABASE_URL pointed at host:port (the test database),
    and the small bounds above."""
    started: list[subprocess.Popen] = []

    def start(port: int, **extra_env: str) -> Gunicorn:
        settings = connections["default"].settings_dict
        http_port = free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
        env.update(
            {
                "DATABASE_URL": f"postgres://{settings['USER']}@127.0.0.1:{port}/{settings['NAME']}",
                "DB_CONNECT_TIMEOUT": str(DB_CONNECT_TIMEOUT),
                "DB_STATEMENT_TIMEOUT": str(DB_STATEMENT_TIMEOUT),
                "DB_LOCK_TIMEOUT": str(DB_LOCK_TIMEOUT),
                "DB_STALL_GRACE": str(DB_STALL_GRACE),
                "SECRET_KEY": dj_settings.SECRET_KEY,  # the session cookies the tests make must verify
                "ALLOWED_HOSTS": "127.0.0.1",
                "SECURE_SSL_REDIRECT": "False",
                "SESSION_COOKIE_SECURE": "False",
                "CSRF_COOKIE_SECURE": "False",
                "WHITENOISE_USE_FINDERS": "True",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "GUNICORN_BIND": f"127.0.0.1:{http_port}",
                "WEB_CONCURRENCY": "2",
                "GUNICORN_ACCESS_LOG": "",
                "GUNICORN_LOG_LEVEL": "warning",
                "LOG_LEVEL": "INFO",
                "CACHE_URL": "locmemcache://faults",
            }
        )
        env.update(extra_env)
        log_path = tmp_path / f"gunicorn-{http_port}.log"
        log = log_path.open("w")
        proc = subprocess.Popen(
            [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "config.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        base = f"http://127.0.0.1:{http_port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"gunicorn died: {log_path.read_text()}")
            with contextlib.suppress(OSError):
                if request(f"{base}/health/live", timeout=1).status == 200:
                    return Gunicorn(proc, base, log_path)
            time.sleep(0.1)
        raise AssertionError("gunicorn did not start")

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
