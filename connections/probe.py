"""The database probe behind `checkdb`: one fresh connection, a hard deadline, and no secret in what it reports.

The probe never uses Django's connection for the alias: it builds its own from the alias's settings, so a
check from a web request (the admin) cannot be fooled by, or break, the request's connection. Everything the
later checks need from the database (latency, schema, server identity, applied migrations) is read here,
within one deadline; `connections.services` then judges it.
"""

from __future__ import annotations

import contextlib
import math
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# core is the base layer: the probe shares its way of cutting a stalled connection's socket, of naming the
# database it reached, and of masking secrets in what it reports.
from core import dialect
from core.db import cut_socket
from core.redaction import sanitize, settings_secrets

ENGINE_POSTGRES = "django.db.backends.postgresql"
ENGINE_SQLITE = "django.db.backends.sqlite3"

# libpq ignores connect_timeout values below 2 s and raises them to 2.
LIBPQ_MIN_CONNECT_TIMEOUT = 2

# Django-only OPTIONS that are not libpq connection parameters.
_DJANGO_ONLY_OPTIONS = {
    "pool",
    "server_side_binding",
    "isolation_level",
    "assume_role",
    "cursor_factory",
    "prepare_threshold",
    "context",
}


@dataclass
class ProbeResult:
    """What one probe saw. `error_code` is None when the connection and every query worked."""

    ok: bool
    error_code: str | None = None
    message: str | None = None
    latency_ms: float | None = None
    vendor: str = ""
    host: str | None = None
    port: int | None = None
    database: str | None = None
    current_schema: str | None = None
    configured_schema: str | None = None
    schema_exists: bool | None = None
    applied_migrations: set[tuple[str, str]] = field(default_factory=set)
    # PostgreSQL only: a standby (hot standby / streaming replica) is in recovery.
    in_recovery: bool | None = None
    read_only: bool | None = None
    # Seconds of replay lag on a standby: 0 when everything received has been replayed, None when unknown.
    replay_lag_seconds: float | None = None


class ProbeError(Exception):
    """A failure already classified into a checkdb error code (docs/operations.md, Error codes); the message
    is sanitized."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def configured_schema(db_settings: dict[str, Any], default: str) -> str:
    """The schema the alias puts first on its search_path (`-c search_path=...` in OPTIONS), else `default`."""
    options = str((db_settings.get("OPTIONS") or {}).get("options") or "")
    match = re.search(r"search_path\s*=\s*([^\s]+)", options)
    if match:
        first = match.group(1).split(",")[0].strip().strip('"')
        if first:
            return first
    return default


def probe_database(db_settings: dict[str, Any], *, timeout: float, default_schema: str = "public") -> ProbeResult:
    """Connect to the database `db_settings` describe, run the checks' queries, and return within `timeout`
    seconds (plus a fraction of a second) whatever the server does: refuses, never answers, or stalls."""
    engine = db_settings.get("ENGINE", "")
    secrets = settings_secrets(db_settings)
    if engine == ENGINE_SQLITE:
        target = _probe_sqlite
    elif engine in (ENGINE_POSTGRES, "django.db.backends.postgresql_psycopg2"):
        target = _probe_postgres
    else:
        return ProbeResult(ok=False, error_code="DB_UNREACHABLE", message=f"Unsupported database engine {engine!r}.")

    state: dict[str, Any] = {"abandoned": False, "conn": None}
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = target(db_settings, timeout, default_schema, state)
        except ProbeError as exc:
            outcome["error"] = exc
        except BaseException as exc:  # a probe must report, never crash the caller
            outcome["error"] = ProbeError("DB_UNREACHABLE", _describe(exc))
        finally:
            conn = state.get("conn")
            if conn is not None:
                with contextlib.suppress(Exception):  # best effort: it may be dead already
                    conn.close()

    started = time.monotonic()
    # A daemon thread: if the connect attempt outlives the deadline it finishes on its own (libpq's
    # connect_timeout bounds it) without holding the process open.
    worker = threading.Thread(target=run, name="cadence-db-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        state["abandoned"] = True
        cut_socket(state.get("conn"))
        worker.join(0.5)
        elapsed = time.monotonic() - started
        return ProbeResult(
            ok=False,
            error_code="DB_TIMEOUT",
            message=f"No answer from the database within {timeout:g} s (gave up after {elapsed:.2f} s).",
            vendor=dialect.POSTGRESQL if target is _probe_postgres else dialect.SQLITE,
            configured_schema=None,
        )
    if "error" in outcome:
        err: ProbeError = outcome["error"]
        return ProbeResult(ok=False, error_code=err.code, message=sanitize(err.message, secrets=secrets))
    return outcome["result"]


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())  # libpq messages span lines; an event message is one line
    return text or type(exc).__name__


def _classify_postgres(exc: Exception) -> str:
    import psycopg

    if isinstance(exc, psycopg.errors.QueryCanceled):
        return "DB_TIMEOUT"
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if sqlstate.startswith("28"):
        return "DB_AUTH_FAILED"
    text = str(exc).lower()
    if "timeout expired" in text or "timed out" in text:
        return "DB_TIMEOUT"
    auth_markers = (
        "password authentication failed",
        "authentication failed",
        "no pg_hba.conf entry",
        "password is missing",
        "fe_sendauth",
        "permission denied for database",
    )
    if any(marker in text for marker in auth_markers) or re.search(r'role "[^"]*" does not exist', text):
        return "DB_AUTH_FAILED"
    return "DB_UNREACHABLE"


def _postgres_conninfo(db_settings: dict[str, Any], timeout: float) -> dict[str, Any]:
    options = dict(db_settings.get("OPTIONS") or {})
    params: dict[str, Any] = {k: v for k, v in options.items() if k not in _DJANGO_ONLY_OPTIONS}
    params["dbname"] = db_settings.get("NAME") or "postgres"
    for key, name in (("USER", "user"), ("PASSWORD", "password"), ("HOST", "host"), ("PORT", "port")):
        if db_settings.get(key):
            params[name] = db_settings[key]
    params["connect_timeout"] = max(LIBPQ_MIN_CONNECT_TIMEOUT, math.ceil(timeout))
    statement_ms = max(1, int(timeout * 1000))
    # A slow server is stopped by the server itself; a silent network by the probe's own deadline.
    params["options"] = f"{params.get('options', '')} -c statement_timeout={statement_ms}".strip()
    params.setdefault("application_name", "cadence-checkdb")
    return params


def _probe_postgres(db_settings: dict[str, Any], timeout: float, default_schema: str, state: dict) -> ProbeResult:
    import psycopg

    result = ProbeResult(
        ok=True, vendor=dialect.POSTGRESQL, configured_schema=configured_schema(db_settings, default_schema)
    )
    params = _postgres_conninfo(db_settings, timeout)
    started = time.perf_counter()
    try:
        conn = psycopg.connect(autocommit=True, **params)
    except psycopg.Error as exc:
        raise ProbeError(_classify_postgres(exc), _describe(exc)) from None
    state["conn"] = conn
    if state["abandoned"]:
        return result
    try:
        conn.execute("SELECT 1").fetchone()
        result.latency_ms = round((time.perf_counter() - started) * 1000, 3)
        result.host, result.port, result.database = conn.info.host, conn.info.port, conn.info.dbname
        result.current_schema = conn.execute("SELECT current_schema()").fetchone()[0]
        result.schema_exists = conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s)", [result.configured_schema]
        ).fetchone()[0]
        result.applied_migrations = _applied_migrations(conn.execute, table_exists_sql=_PG_TABLE_EXISTS)
        in_recovery, tx_read_only, default_read_only, lag = conn.execute(_PG_ROLE_STATE).fetchone()
        result.in_recovery = bool(in_recovery)
        result.read_only = tx_read_only == "on" or default_read_only == "on"
        result.replay_lag_seconds = float(lag) if lag is not None else None
    except psycopg.Error as exc:
        if state["abandoned"]:
            raise ProbeError("DB_TIMEOUT", "The connection stalled during the check.") from None
        raise ProbeError(_classify_postgres(exc), _describe(exc)) from None
    return result


# Whether the node takes writes, and a standby's replay lag: 0 when it has replayed all it received (an idle
# primary sends nothing, and the last replayed commit's age would then grow for ever), else the age of the
# last replayed commit.
_PG_ROLE_STATE = """
SELECT pg_is_in_recovery(),
       current_setting('transaction_read_only'),
       current_setting('default_transaction_read_only'),
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
       END
"""
_PG_TABLE_EXISTS = "SELECT to_regclass('django_migrations') IS NOT NULL"
_SQLITE_TABLE_EXISTS = "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations')"


def _applied_migrations(execute, *, table_exists_sql: str) -> set[tuple[str, str]]:
    if not execute(table_exists_sql).fetchone()[0]:
        return set()
    return {(app, name) for app, name in execute("SELECT app, name FROM django_migrations").fetchall()}


def sqlite_location(name: str) -> tuple[str, bool]:
    """The (target, uri) pair that opens an existing SQLite database read-write without creating it."""
    if name.startswith("file:"):
        return name, True
    if name == ":memory:":
        return name, False
    return f"{Path(name).resolve().as_uri()}?mode=rw", True


def _probe_sqlite(db_settings: dict[str, Any], timeout: float, default_schema: str, state: dict) -> ProbeResult:
    name = str(db_settings.get("NAME") or "")
    result = ProbeResult(ok=True, vendor=dialect.SQLITE, database=name)
    target, uri = sqlite_location(name)
    started = time.perf_counter()
    try:
        conn = sqlite3.connect(target, uri=uri, timeout=timeout, check_same_thread=False)
        state["conn"] = None  # no socket to cut; sqlite's own busy timeout bounds it
        try:
            conn.execute("SELECT 1").fetchone()
            result.latency_ms = round((time.perf_counter() - started) * 1000, 3)
            result.applied_migrations = _applied_migrations(conn.execute, table_exists_sql=_SQLITE_TABLE_EXISTS)
        finally:
            conn.close()
    except sqlite3.Error as exc:
        code = "DB_TIMEOUT" if "locked" in str(exc).lower() else "DB_UNREACHABLE"
        raise ProbeError(code, f"SQLite database {name!r}: {_describe(exc)}") from None
    return result
