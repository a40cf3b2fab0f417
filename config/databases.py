"""Database settings beyond the primary: read-replica aliases and a transaction pooler (PgBouncer).

Plain functions over DATABASES entries, used by config/settings.py at start-up (and by the tests), so the
rules are written once: a replica inherits everything the primary's entry says (OPTIONS with the connect,
statement and keepalive settings, CONN_MAX_AGE, health checks) except where to connect.
"""

from __future__ import annotations

import copy
from typing import Any

POSTGRES_ENGINE = "django.db.backends.postgresql"
POOLERS = ("", "pgbouncer")
# What a DATABASES entry takes from its own URL; everything else comes from the primary's entry.
_TARGET_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")


def replica_aliases(count: int) -> list[str]:
    """The aliases of `count` replicas: `replica` when there is one, else `replica1`, `replica2`, …"""
    if count == 1:
        return ["replica"]
    return [f"replica{i}" for i in range(1, count + 1)]


def replica_databases(primary: dict[str, Any], url_configs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One DATABASES entry per replica URL: a copy of `primary` pointed at the replica.

    OPTIONS are the primary's (so statement/lock timeouts and keepalives hold on replicas too), with the
    replica URL's own query parameters on top and `application_name` suffixed with the alias, so
    `pg_stat_activity` tells which node a connection is for. In tests a replica is a test mirror of
    `default`: it connects to its own host and port, but to the test database's name (a physical replica
    carries the test database the primary creates)."""
    aliases = replica_aliases(len(url_configs))
    result: dict[str, dict[str, Any]] = {}
    for alias, url_config in zip(aliases, url_configs, strict=True):
        if url_config.get("ENGINE") not in (POSTGRES_ENGINE, "django.db.backends.postgresql_psycopg2"):
            raise ValueError(f"DATABASE_REPLICA_URLS: {alias} is not a PostgreSQL URL")
        if primary.get("ENGINE") != POSTGRES_ENGINE:
            raise ValueError("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL")
        entry = copy.deepcopy(primary)
        for key in _TARGET_KEYS:
            entry[key] = url_config.get(key, "")
        options = entry.setdefault("OPTIONS", {})
        options.update(url_config.get("OPTIONS") or {})
        options["application_name"] = f"{primary.get('OPTIONS', {}).get('application_name') or 'cadence'}-{alias}"
        entry["TEST"] = {"MIRROR": "default"}
        result[alias] = entry
    return result


def apply_pooler(entry: dict[str, Any], pooler: str) -> dict[str, Any]:
    """Make a PostgreSQL entry safe behind `pooler` (`""` or `"pgbouncer"`, transaction pooling) in place.

    Behind PgBouncer in transaction mode consecutive transactions of one client may run on different
    server connections, so the app must not rely on session state: no server-side cursors (a named cursor
    lives in the session), and no `options` startup parameter (PgBouncer refuses unknown startup
    parameters; search_path and timeouts are then set for the role/database on the server, see
    docs/operations.md). Prepared statements are turned off (prepare_threshold=None) whatever
    DB_PREPARE_THRESHOLD says; server-side binding stays (unnamed statements live within one transaction)."""
    if pooler not in POOLERS:
        raise ValueError(f"DB_POOLER must be one of {', '.join(p or '(empty)' for p in POOLERS)}, not {pooler!r}")
    if pooler != "pgbouncer" or entry.get("ENGINE") != POSTGRES_ENGINE:
        return entry
    entry["DISABLE_SERVER_SIDE_CURSORS"] = True
    options = entry.setdefault("OPTIONS", {})
    options.pop("options", None)
    options["prepare_threshold"] = None
    return entry
