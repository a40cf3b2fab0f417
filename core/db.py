"""Bounds on the database time of a request, and longer ones for maintenance commands.

PostgreSQL bounds a statement (`statement_timeout`) and a lock wait (`lock_timeout`) itself, when it runs. A
server that stops answering altogether (frozen, a network black hole that still acknowledges packets) bounds
nothing: the worker thread waits in `recv()` for ever. `StallGuard` watches the connections of every request in
flight from one background thread and shuts down the socket of a connection whose command has been in flight
longer than the server's own statement timeout plus a grace; the blocked read then fails at once, the request
answers 503 (core.middleware), and the rest of that request does not try to reconnect to the silent server.

Bounding each wait is not enough under load: with gunicorn's threads, every new request would walk into the same
wait, and requests queue for the threads behind them. `CircuitBreaker` remembers, per process and per database
alias, that the server stopped answering (a connect that failed, a command cut as stalled, a connection lost in
a query): from then on every request that needs that database fails at once (503), and a background probe tries
the database every DB_CIRCUIT_COOLDOWN_SECONDS until it answers, which closes the circuit.

The breaker opens only once a wait has failed. A request that queued for a thread in the first moments of a
freeze would still add one whole wait (a connect, a stall) to its time in the queue. So each request also has a
deadline, `request_budget()` after it arrived (core.gunicorn_worker stamps the arrival; core.middleware sets the
deadline), and no database wait of the request outlasts it: a connect gets only what is left (below libpq's
2 s minimum too, `_connect_by`), a command still in flight at the deadline is cut, and a request past its
deadline does not start one (`DeadlinePassed`, a 503).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

from . import dialect, metrics

logger = logging.getLogger("cadence.db")

TICK_SECONDS = 0.05
# Kept back from a request's deadline for what follows the last database wait: the stall guard's tick, the
# request unwinding to its 503, gunicorn writing it.
DEADLINE_MARGIN_SECONDS = 0.25


def request_budget() -> float:
    """Seconds after its arrival by which a request stops waiting for the database: the 503 then still goes
    out within DB_CONNECT_TIMEOUT + 1 s. Longer than every single wait's own limit (a connect, and at the
    defaults the stall limit too), so a request that did not queue has each of them in full."""
    return settings.DB_CONNECT_TIMEOUT + 1 - DEADLINE_MARGIN_SECONDS


def stall_limit() -> float:
    """Seconds a command may be in flight before its connection counts as stalled."""
    statement = settings.DB_STATEMENT_TIMEOUT or settings.DB_CONNECT_TIMEOUT
    return statement + settings.DB_STALL_GRACE


@dataclass
class _Watched:
    wrappers: list
    limit: float
    deadline: float | None = None  # monotonic; a command still in flight then is cut
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
    def watch(self, limit: float | None = None, deadline: float | None = None) -> Iterator[None]:
        """Watch the calling thread's PostgreSQL connections until the block ends; with a `deadline`
        (time.monotonic()), no database wait in the block lasts beyond it."""
        wrappers = [connections[alias] for alias in connections]
        wrappers = [w for w in wrappers if dialect.is_postgresql(w)]
        if not wrappers:
            yield
            return
        for wrapper in wrappers:
            _arm(wrapper)
            wrapper.cadence_stalled = False
            wrapper.cadence_deadline_cut = False
            wrapper.cadence_short_circuited = False
            wrapper.cadence_deadline = deadline
            wrapper.cadence_watched = True
        key = threading.get_ident()
        limit = stall_limit() if limit is None else limit
        self._watched[key] = _Watched(wrappers=wrappers, limit=limit, deadline=deadline)
        self._ensure_thread()
        try:
            with contextlib.ExitStack() as stack:
                for wrapper in wrappers:
                    stack.enter_context(wrapper.execute_wrapper(_observe_query))
                yield
        finally:
            self._watched.pop(key, None)
            for wrapper in wrappers:
                wrapper.cadence_stalled = False
                wrapper.cadence_deadline_cut = False
                wrapper.cadence_deadline = None
                wrapper.cadence_watched = False
                if wrapper.cadence_short_circuited:
                    circuit_breaker.count_short_circuited(wrapper.alias)
                circuit_breaker.release_trial(wrapper.alias)

    def cut_in_flight(self, alias: str) -> int:
        """Cut every watched connection to `alias` that has a command in flight; return how many."""
        cut = 0
        for watched in list(self._watched.values()):
            for wrapper in watched.wrappers:
                conn = wrapper.connection
                if wrapper.alias == alias and conn is not None and _in_flight(conn):
                    wrapper.cadence_stalled = True
                    cut_socket(conn)
                    cut += 1
        return cut

    def _run(self) -> None:
        while True:
            time.sleep(self._pause(time.monotonic()))
            try:
                self._tick(time.monotonic())
            except Exception:  # the guard must outlive anything one request does
                logger.exception("stall guard tick failed")

    def _pause(self, now: float) -> float:
        """Until the next tick, or a request's deadline if one comes sooner: a deadline is kept to the
        millisecond, not to the tick."""
        deadlines = [w.deadline for w in list(self._watched.values()) if w.deadline is not None and w.deadline > now]
        return max(0.001, min([TICK_SECONDS, *(d - now for d in deadlines)]))

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
                    circuit_breaker.record_failure(wrapper.alias, f"no answer within {watched.limit:.1f} s")
                    continue
                if watched.deadline is not None and now >= watched.deadline:
                    # The request is out of time, whatever the server does. This proves nothing about the
                    # server (the command may only be slow, or the request queued long): the circuit is left
                    # alone, to the stall limit and the connects of requests that still have time.
                    wrapper.cadence_stalled = True
                    wrapper.cadence_deadline_cut = True
                    watched.in_flight.pop(key, None)
                    logger.debug("alias %r: request deadline reached; cutting the connection", wrapper.alias)
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


def connection_lost(exc: BaseException) -> bool:
    """An error that says the server is gone (no SQLSTATE: the connection broke, or was cut as stalled), as
    opposed to one the server itself answered (a statement or lock timeout, a constraint)."""
    cause = exc.__cause__ or exc
    return isinstance(exc, OperationalError) and getattr(cause, "sqlstate", None) is None


def _observe_query(execute, sql, params, many, context):
    wrapper = context["connection"]
    wrapper.cadence_queries = getattr(wrapper, "cadence_queries", 0) + 1
    try:
        result = execute(sql, params, many, context)
    except OperationalError as exc:
        # A connection cut at the request's deadline was lost by our own doing: that proves nothing.
        ours = isinstance(exc, CircuitOpen | DeadlinePassed) or getattr(wrapper, "cadence_deadline_cut", False)
        if not ours and connection_lost(exc):
            circuit_breaker.record_failure(wrapper.alias, "connection lost: " + " ".join(str(exc).split())[:120])
        raise
    circuit_breaker.record_success(wrapper.alias)
    return result


def _arm(wrapper) -> None:
    """Route this wrapper's connects and cursors through the circuit breaker while a request is watched, and
    make it refuse to reconnect while `cadence_stalled` is set: Django's health check would otherwise answer a
    cut connection by opening a new one and waiting a full connect timeout on the same silent server."""
    if "get_new_connection" in wrapper.__dict__:
        return
    original_connect = wrapper.get_new_connection
    original_cursor = wrapper._cursor
    original_health_check = wrapper.close_if_health_check_failed

    def get_new_connection(conn_params):
        if getattr(wrapper, "cadence_stalled", False):
            from psycopg import OperationalError as PsycopgOperationalError

            raise PsycopgOperationalError("the database stopped answering during this request; not reconnecting")
        if not getattr(wrapper, "cadence_watched", False):
            return original_connect(conn_params)
        _admit_or_raise(wrapper)
        deadline = getattr(wrapper, "cadence_deadline", None)
        try:
            if deadline is not None and deadline - time.monotonic() < _connect_timeout(conn_params):
                conn = _connect_by(deadline, original_connect, conn_params, wrapper.alias)
            else:
                conn = original_connect(conn_params)
        except DeadlinePassed:
            raise  # the request ran out of time, which says nothing yet about the server (_connect_by)
        except Exception as exc:
            circuit_breaker.record_failure(wrapper.alias, "connect failed: " + " ".join(str(exc).split())[:120])
            raise
        circuit_breaker.record_success(wrapper.alias)
        return conn

    def _cursor(*args, **kwargs):
        if getattr(wrapper, "cadence_watched", False):
            _admit_or_raise(wrapper)
        return original_cursor(*args, **kwargs)

    def close_if_health_check_failed():
        # Django checks a persistent connection (a raw SELECT 1, which no execute wrapper sees) before the first
        # cursor and in atomic()'s set_autocommit(): on a silent server it would wait for the stall guard.
        if getattr(wrapper, "cadence_watched", False) and wrapper.connection is not None:
            _admit_or_raise(wrapper)
        return original_health_check()

    wrapper.get_new_connection = get_new_connection
    wrapper._cursor = _cursor
    wrapper.close_if_health_check_failed = close_if_health_check_failed


def _admit_or_raise(wrapper) -> None:
    if not circuit_breaker.admit(wrapper.alias):
        wrapper.cadence_short_circuited = True
        _drop_open_transaction(wrapper)
        raise CircuitOpen(wrapper.alias, circuit_breaker.retry_after(wrapper.alias))
    deadline = getattr(wrapper, "cadence_deadline", None)
    if deadline is not None and time.monotonic() >= deadline:
        _drop_open_transaction(wrapper)
        raise DeadlinePassed(wrapper.alias)


def _drop_open_transaction(wrapper) -> None:
    """A transaction this request opened before it was refused the database: its ROLLBACK would wait on a
    silent server. Cut it so the rollback fails at once and Django drops the connection."""
    conn = wrapper.connection
    if conn is not None and not _idle(conn):
        wrapper.cadence_stalled = True
        cut_socket(conn)


def _connect_timeout(conn_params: dict) -> float:
    """The connect timeout psycopg will apply to `conn_params`: libpq's rule, whole seconds and at least 2;
    none (unbounded here) when unset or 0."""
    try:
        seconds = int(float(conn_params.get("connect_timeout") or 0))
    except (TypeError, ValueError):
        return math.inf
    return max(2, seconds) if seconds > 0 else math.inf


def _connect_by(deadline: float, connect, conn_params: dict, alias: str):
    """Connect, but stop waiting at `deadline`, even when that is sooner than psycopg's 2 s minimum.

    The connect runs in a helper thread, which the request stops waiting for at the deadline (DeadlinePassed).
    An abandoned connect still ends within its own connect_timeout: if it fails, that failure is what opens the
    circuit (a connect that outlives a request's remaining time may only be slow); if it succeeds, the
    connection is closed, as nobody is left to use it."""
    outcome: dict = {}
    lock = threading.Lock()
    done = threading.Event()

    def run() -> None:
        conn = error = None
        try:
            conn = connect(conn_params)
        except Exception as exc:
            error = exc
        with lock:
            if not outcome.get("abandoned"):
                outcome.update(conn=conn, error=error)
                done.set()
                return
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
        elif error is not None:
            circuit_breaker.record_failure(alias, "connect failed: " + " ".join(str(error).split())[:120])

    threading.Thread(target=run, name=f"cadence-db-connect-{alias}", daemon=True).start()
    done.wait(max(0.0, deadline - time.monotonic()))
    with lock:
        if not done.is_set():
            outcome["abandoned"] = True
            raise DeadlinePassed(alias)
    if outcome["error"] is not None:
        raise outcome["error"]
    return outcome["conn"]


def _idle(conn) -> bool:
    try:
        from psycopg.pq import TransactionStatus

        return conn.pgconn.transaction_status == TransactionStatus.IDLE
    except Exception:
        return False


class CircuitOpen(OperationalError):
    """Raised instead of touching a database whose circuit is open in this process."""

    def __init__(self, alias: str, retry_after: int):
        super().__init__(f"database {alias!r} is not answering (circuit open); not trying it for {retry_after} s")
        self.alias = alias
        self.retry_after = retry_after


class DeadlinePassed(OperationalError):
    """Raised instead of starting (or further waiting for) a database wait once the request's deadline has
    passed (request_budget() after it arrived)."""

    def __init__(self, alias: str):
        super().__init__(f"the request's deadline passed; not waiting any longer for database {alias!r}")
        self.alias = alias


CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
_PROBE = "probe"  # the trial holder when the background probe tries the database


@dataclass
class _Circuit:
    state: str = CLOSED
    opened_at: float = 0.0
    retry_at: float = 0.0  # when the database may be tried again
    trial: int | str | None = None  # who is trying it now: _PROBE, or the thread ident of a /health/db request
    trial_started: float = 0.0
    generation: int = 0  # a new one at each opening: the probe loop of an earlier opening stops
    short_circuited: int = 0  # requests answered at once since the circuit opened


def probe_database(alias: str) -> str | None:
    """Connect to `alias` on a connection of the calling thread's own and run SELECT 1, within about
    DB_CONNECT_TIMEOUT each; None when the database answered, else why not."""
    wrapper = connections[alias]
    # connect_timeout bounds the connect; nothing bounds the SELECT on a server that went silent after it.
    watchdog = threading.Timer(settings.DB_CONNECT_TIMEOUT, lambda: cut_socket(wrapper.connection))
    watchdog.daemon = True
    watchdog.start()
    try:
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT 1")
        return None
    except Exception as exc:
        return " ".join(str(exc).split())[:120] or type(exc).__name__
    finally:
        watchdog.cancel()
        with contextlib.suppress(Exception):
            wrapper.close()


class CircuitBreaker:
    """Per process, per alias: closed -> open when a connect fails, a command stalls or a connection is lost.
    While open, requests that need the database fail at once (CircuitOpen); no request is sent to try it.
    Instead a background probe (`probe_database`, on its own connection) tries it every
    DB_CIRCUIT_COOLDOWN_SECONDS, and its success closes the circuit. /health/db may try it itself meanwhile
    (`probing()`, one at a time). DB_CIRCUIT_COOLDOWN_SECONDS=0 turns the breaker off. One log line when a
    circuit opens and one when it closes."""

    def __init__(self, clock=time.monotonic, probe=probe_database, background: bool = True) -> None:
        self._clock = clock
        self._probe = probe
        self._background = background
        self._lock = threading.Lock()
        self._circuits: dict[str, _Circuit] = {}
        self._local = threading.local()
        self._openings = itertools.count(1)

    @staticmethod
    def cooldown() -> float:
        return float(settings.DB_CIRCUIT_COOLDOWN_SECONDS)

    def state(self, alias: str) -> str:
        circuit = self._circuits.get(alias)
        return CLOSED if circuit is None else circuit.state

    @contextlib.contextmanager
    def probing(self) -> Iterator[None]:
        """In this block the calling thread may try an open circuit's database itself, when nobody else is
        trying it: /health/db reports what the database says now, and its success closes the circuit."""
        self._local.probing = True
        try:
            yield
        finally:
            self._local.probing = False

    def admit(self, alias: str) -> bool:
        """May the calling thread use `alias` now?"""
        circuit = self._circuits.get(alias)
        if circuit is None or circuit.state == CLOSED:
            return True
        me = threading.get_ident()
        with self._lock:
            if circuit.state == CLOSED or circuit.trial == me:
                return True
            if not getattr(self._local, "probing", False) or not self._trial_free(circuit):
                return False
            circuit.state, circuit.trial, circuit.trial_started = HALF_OPEN, me, self._clock()
            return True

    def _trial_free(self, circuit: _Circuit) -> bool:
        # A trial that outlived every bound of its own is abandoned (its thread is stuck or gone).
        limit = max(settings.DB_CONNECT_TIMEOUT, stall_limit()) * 2 + 1
        return circuit.trial is None or self._clock() - circuit.trial_started >= limit

    def retry_after(self, alias: str) -> int:
        """Whole seconds (at least 1) until this process tries `alias` again."""
        circuit = self._circuits.get(alias)
        remaining = 0.0 if circuit is None else circuit.retry_at - self._clock()
        return max(1, math.ceil(remaining))

    def record_failure(self, alias: str, reason: str) -> None:
        cooldown = self.cooldown()
        if cooldown <= 0:
            return
        with self._lock:
            circuit = self._circuits.setdefault(alias, _Circuit())
            now = self._clock()
            opened = circuit.state == CLOSED
            if opened:
                circuit.opened_at, circuit.short_circuited = now, 0
                circuit.generation = next(self._openings)
            circuit.state, circuit.trial, circuit.retry_at = OPEN, None, now + cooldown
            generation = circuit.generation
        if not opened:
            logger.debug("database circuit %r stays open: %s", alias, reason)
            return
        metrics.CIRCUIT_OPEN.labels(alias).set(1)
        logger.warning(
            "database circuit %r opened: %s; requests that need it answer 503 at once, it is tried every %.1f s",
            alias,
            reason,
            cooldown,
        )
        # Requests already waiting on the same server will get no answer either: free their threads now.
        stall_guard.cut_in_flight(alias)
        if self._background:
            threading.Thread(
                target=self._probe_loop, args=(alias, generation), name=f"cadence-db-probe-{alias}", daemon=True
            ).start()

    def record_success(self, alias: str) -> None:
        """The calling thread's trial got an answer (a request's own success closes nothing: it was let in
        only while the circuit was closed, or as /health/db's trial)."""
        self._close(alias, threading.get_ident())

    def _close(self, alias: str, holder: int | str) -> None:
        circuit = self._circuits.get(alias)
        if circuit is None or circuit.state == CLOSED or circuit.trial != holder:
            return
        with self._lock:
            if circuit.state == CLOSED or circuit.trial != holder:
                return
            circuit.state, circuit.trial = CLOSED, None
            open_for, short_circuited = self._clock() - circuit.opened_at, circuit.short_circuited
        metrics.CIRCUIT_OPEN.labels(alias).set(0)
        logger.warning(
            "database circuit %r closed: the database answers again after %.1f s (%d requests answered 503 at once)",
            alias,
            open_for,
            short_circuited,
        )

    def probe_if_due(self, alias: str) -> bool | None:
        """Try the database once if the circuit is open and its cool-down is over: True when the probe closed
        it, False when it failed (open for another cool-down), None when no probe was due."""
        with self._lock:
            circuit = self._circuits.get(alias)
            if circuit is None or circuit.state == CLOSED:
                return None
            if self._clock() < circuit.retry_at or not self._trial_free(circuit):
                return None
            circuit.state, circuit.trial, circuit.trial_started = HALF_OPEN, _PROBE, self._clock()
        reason = self._probe(alias)
        if reason is None:
            self._close(alias, _PROBE)
            return True
        self.record_failure(alias, f"probe failed: {reason}")
        return False

    def _probe_loop(self, alias: str, generation: int) -> None:
        while True:
            circuit = self._circuits.get(alias)
            if circuit is None or circuit.state == CLOSED or circuit.generation != generation:
                return
            try:
                if self.probe_if_due(alias):
                    return
            except Exception:  # the loop must outlive anything a probe does
                logger.exception("database circuit probe failed")
            time.sleep(min(0.2, self.cooldown()))

    def release_trial(self, alias: str) -> None:
        """End of a request: a trial it held without a verdict (it never reached the database) is given up."""
        circuit = self._circuits.get(alias)
        if circuit is None or circuit.trial != threading.get_ident():
            return
        with self._lock:
            if circuit.trial == threading.get_ident():
                circuit.state, circuit.trial = OPEN, None

    def count_short_circuited(self, alias: str) -> None:
        with self._lock:
            circuit = self._circuits.get(alias)
            if circuit is not None:
                circuit.short_circuited += 1
        metrics.DB_SHORT_CIRCUITED.labels(alias).inc()

    def reset(self) -> None:
        """Close every circuit (tests: a circuit tripped by one test must not answer the next one's requests)."""
        with self._lock:
            aliases = list(self._circuits)
            self._circuits.clear()
        for alias in aliases:
            metrics.CIRCUIT_OPEN.labels(alias).set(0)


stall_guard = StallGuard()
circuit_breaker = CircuitBreaker()


def mark_stalled(wrapper, reason: str = "no answer in time") -> None:
    """Flag `wrapper` as stalled (its next connection attempt in this request fails at once), cut it, and open
    its circuit (core.db.CircuitBreaker)."""
    _arm(wrapper)
    wrapper.cadence_stalled = True
    cut_socket(wrapper.connection)
    circuit_breaker.record_failure(wrapper.alias, reason)


@contextlib.contextmanager
def maintenance_timeouts(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Raise statement and lock timeouts for a long maintenance command (migrate, seed_demo, prunehealth) on
    its session, and put the configured ones back afterwards (the connection may be reused)."""
    wrapper = connections[using]
    if not dialect.is_postgresql(wrapper):
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
