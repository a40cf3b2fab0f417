"""Outages the tests own: a closed port, a server that accepts and never answers, a proxy that stalls, and
extra DATABASES aliases pointing at them (the test database itself stays intact).

A pytest plugin (tests/conftest.py registers it): its fixtures serve every test folder."""

from __future__ import annotations

import contextlib
import copy
import select
import socket
import threading
from collections.abc import Iterator

import pytest
from django.db import connections


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (connections are refused)."""
    return free_port()


class SilentServer:
    """Accepts TCP connections and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


class StallingProxy:
    """Forwards to PostgreSQL until the server's first ReadyForQuery (the connection is set up), then
    swallows everything in both directions while keeping the sockets open: a connection that stalls mid-check."""

    READY_FOR_QUERY = b"Z\x00\x00\x00\x05"

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5432), *, stall: bool = True):
        self.upstream = upstream
        self.stall_after_setup = stall
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stalled = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            pump = threading.Thread(target=self._pump, args=(client, server), daemon=True)
            pump.start()
            self._threads.append(pump)

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        setup_done = False
        while not self._stop.is_set():
            try:
                readable, _, _ = select.select([client, server], [], [], 0.1)
            except (OSError, ValueError):
                return
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                if setup_done and self.stall_after_setup:
                    self.stalled.set()
                    continue  # swallowed: the peer waits forever
                (server if sock is client else client).sendall(data)
                if sock is server and self.READY_FOR_QUERY in data:
                    setup_done = True

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(2)
        for sock in self._sockets:
            sock.close()
        self.sock.close()


@pytest.fixture
def stalling_proxy() -> Iterator[StallingProxy]:
    proxy = StallingProxy()
    yield proxy
    proxy.close()


@pytest.fixture
def add_alias():
    """Add a DATABASES alias at runtime: a copy of `default` with the given keys (and OPTIONS) replaced."""
    added: list[str] = []

    def add(alias: str, *, options: dict | None = None, **keys) -> dict:
        settings_dict = copy.deepcopy(connections.settings["default"])
        settings_dict.update(keys)
        if options is not None:
            settings_dict["OPTIONS"] = options
        connections.settings[alias] = settings_dict
        added.append(alias)
        return settings_dict

    yield add
    for alias in added:
        with contextlib.suppress(Exception):  # it may never have connected
            connections[alias].close()
        with contextlib.suppress(AttributeError):
            del connections[alias]
        connections.settings.pop(alias, None)


def postgres_alias_settings(*, host: str = "127.0.0.1", port: int, user: str = "postgres", password: str = "") -> dict:
    """Keys for add_alias that point a PostgreSQL alias elsewhere (fast connect timeout, no TLS)."""
    default = connections.settings["default"]
    return {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": host,
        "PORT": str(port),
        "USER": user,
        "PASSWORD": password,
        "NAME": default["NAME"] if default["ENGINE"].endswith("postgresql") else "cadence",
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "options": {"connect_timeout": 2, "sslmode": "disable", "options": "-c search_path=public"},
    }


@pytest.fixture
def pg_alias(add_alias):
    """add_alias for PostgreSQL targets: pg_alias("down", port=closed_port)."""

    def add(alias: str, **kwargs) -> dict:
        keys = postgres_alias_settings(**kwargs)
        options = keys.pop("options")
        return add_alias(alias, options=options, **keys)

    return add


@pytest.fixture
def allow_extra_aliases(monkeypatch):
    """Let Django open connections for aliases added at runtime (the recording database pointed at an outage).

    Django's test case refuses connections to aliases outside its `databases`, and those must exist when the
    test database is created; the aliases here only exist during one test, so the refusal is lifted for it."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    patched = BaseDatabaseWrapper.ensure_connection
    cells = [cell.cell_contents for cell in (getattr(patched, "__closure__", None) or ())]
    real = next((c for c in cells if getattr(c, "__name__", "") == "ensure_connection"), None)
    if real is not None:
        monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", real)


@pytest.fixture
def record_to(monkeypatch, allow_extra_aliases):
    """Point event recording (and /health/db) at another alias for this test."""
    from health import services as health_services

    def point(alias: str) -> None:
        monkeypatch.setattr(health_services, "RECORD_DATABASE", alias)

    return point
