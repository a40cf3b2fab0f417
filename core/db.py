"""Bounds on the database time of a request, and longer ones for maintenance commands.

PostgreSQL bounds a statement (`statement_timeout`) and a lock wait (`lock_timeout`) itself, when it runs. A
server that stops answering altogether (frozen, a network black hole that still acknowledges packets) bounds
nothing: the worker thread waits in `recv()` for ever. `StallGuard` watches the connections of every request in
flight from one background thread and shuts down the socket of a connection whose command has been in flight
longer than the server's own statement timeout plus a grace; the blocked read then fails at once, the request
answers 503 (core.middleware), and the rest of that request does not try to reconnect to the silent server.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger("cadence.db")

TICK_SECONDS = 0.05


def stall_limit() -> float:
    """Seconds a command may be in flight before its connection counts as stalled."""
    statement = settings.DB_STATEMENT_TIMEOUT or settings.DB_CONNECT_TIMEOUT
    return statement + settings.DB_STALL_GRACE


@dataclass
class _Watched:
    wrappers: list
    limit: float
    # id(psycopg connection) -> (query counter seen, monotonic time the command was first seen in flight)
    in_flight: dict[int, tuple[int, float]] = field(default_factory=dict)


class StallGuard:
    """One background thread per process; requests register their thread's connection wrappers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watched: dict[int, _Watched] = {}
        self._thread: threading.Thread | None = None

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="cadence-db-stall-guard", daemon=True)
                    self._thread.start()

    @contextlib.contextmanager
    def watch(self, limit: float | None = None) -> Iterator[None]:
        """Watch the calling thread's PostgreSQL connections until the block ends."""
        wrappers = [connections[alias] for alias in connections]
        wrappers = [w for w in wrappers if w.vendor == "postgresql"]
        if not wrappers:
            yield
            return
        for wrapper in wrappers:
            _arm(wrapper)
            wrapper.cadence_stalled = False
        key = threading.get_ident()
        self._watched[key] = _Watched(wrappers=wrappers, limit=stall_limit() if limit is None else limit)
        self._ensure_thread()
        try:
            with contextlib.ExitStack() as stack:
                for wrapper in wrappers:
                    stack.enter_context(wrapper.execute_wrapper(_count_query))
                yield
        finally:
            self._watched.pop(key, None)
            for wrapper in wrappers:
                wrapper.cadence_stalled = False

    def _run(self) -> None:
        while True:
            time.sleep(TICK_SECONDS)
            try:
                self._tick(time.monotonic())
            except Exception:  # the guard must outlive anything one request does
                logger.exception("stall guard tick failed")

    def _tick(self, now: float) -> None:
        for watched in list(self._watched.values()):
            for wrapper in watched.wrappers:
                conn = wrapper.connection
                if conn is None:
                    continue
                key = id(conn)
                if not _in_flight(conn):
                    watched.in_flight.pop(key, None)
                    continue
                counter = getattr(wrapper, "cadence_queries", 0)
                seen = watched.in_flight.get(key)
                if seen is None or seen[0] != counter:
                    watched.in_flight[key] = (counter, now)
                elif now - seen[1] >= watched.limit:
                    wrapper.cadence_stalled = True
                    watched.in_flight.pop(key, None)
                    # DEBUG: the request's own 503 line (core.middleware) is the one line an operator needs.
                    logger.debug(
                        "alias %r: no answer within %.1f s; cutting the connection", wrapper.alias, watched.limit
                    )
                    cut_socket(conn)


def cut_socket(conn) -> None:
    """Shut the socket of a stalled connection down, so the thread blocked on it returns at once."""
    if conn is None:
        return
    with contextlib.suppress(Exception):  # already closed: nothing left to cut
        sock = socket.socket(fileno=os.dup(conn.pgconn.socket))
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.close()


def _in_flight(conn) -> bool:
    """A command was sent and its result has not been read (libpq's PQTRANS_ACTIVE)."""
    try:
        from psycopg.pq import TransactionStatus

        return conn.pgconn.transaction_status == TransactionStatus.ACTIVE
    except Exception:
        return False


def _count_query(execute, sql, params, many, context):
    wrapper = context["connection"]
    wrapper.cadence_queries = getattr(wrapper, "cadence_queries", 0) + 1
    return execute(sql, params, many, context)


def _arm(wrapper) -> None:
    """Make this wrapper refuse to reconnect while `cadence_stalled` is set: Django's health check would
    otherwise answer a cut connection by opening a new one and waiting a full connect timeout on the same
    silent server."""
    if "get_new_connection" in wrapper.__dict__:
        return
    original = wrapper.get_new_connection

    def get_new_connection(conn_params):
        if getattr(wrapper, "cadence_stalled", False):
            from psycopg import OperationalError

            raise OperationalError("the database stopped answering during this request; not reconnecting")
        return original(conn_params)

    wrapper.get_new_connection = get_new_connection


stall_guard = StallGuard()


def mark_stalled(wrapper) -> None:
    """Flag `wrapper` as stalled (its next connection attempt in this request fails at once) and cut it."""
    _arm(wrapper)
    wrapper.cadence_stalled = True
    cut_socket(wrapper.connection)


@contextlib.contextmanager
def maintenance_timeouts(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Raise statement and lock timeouts for a long maintenance command (migrate, seed_demo, prunehealth) on
    its session, and put the configured ones back afterwards (the connection may be reused)."""
    wrapper = connections[using]
    if wrapper.vendor != "postgresql":
        yield
        return
    statement_ms = int(settings.DB_MAINTENANCE_STATEMENT_TIMEOUT * 1000)
    lock_ms = int(settings.DB_MAINTENANCE_LOCK_TIMEOUT * 1000)
    with wrapper.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = {statement_ms}")
        cursor.execute(f"SET lock_timeout = {lock_ms}")
        cursor.execute("SET idle_in_transaction_session_timeout = 0")
    try:
        yield
    finally:
        if wrapper.connection is not None and not wrapper.needs_rollback:
            with contextlib.suppress(Exception), wrapper.cursor() as cursor:
                # RESET goes back to the values the connection started with (its startup options).
                cursor.execute("RESET statement_timeout")
                cursor.execute("RESET lock_timeout")
                cursor.execute("RESET idle_in_transaction_session_timeout")
