"""The one seam between Cadence and the database it runs on.

Production runs on PostgreSQL; development and part of the test suite run on the embedded SQLite. Where the two
differ (row locks, statement timeouts, SQL that only PostgreSQL compiles, one-statement pages), code asks this
module, never `connection.vendor` itself, so every database-specific branch can be found from here.

    from core import dialect

    if dialect.is_postgresql(using):        # a database alias ("default", "replica")
    if dialect.is_postgresql(connection):    # a connection wrapper (django.db.connection, schema_editor.connection)
    if dialect.is_postgresql(probe.vendor):  # a vendor name read off a configuration ("postgresql", "sqlite")

SQL expressions that differ by database use Django's own seam instead: `as_postgresql()` / `as_sqlite()` on the
expression (for example `training.local_time.LocalDate`).
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils.connection import ConnectionProxy

POSTGRESQL = "postgresql"
SQLITE = "sqlite"

_VENDOR_NAMES = {POSTGRESQL, SQLITE}


Target = str | BaseDatabaseWrapper | ConnectionProxy | None


def vendor(target: Target = None) -> str:
    """The vendor of a database alias, of a connection wrapper (or `django.db.connection`, the default one's
    proxy), or a vendor name itself ("postgresql", "sqlite"). None is the default database."""
    if target is None:
        return connections[DEFAULT_DB_ALIAS].vendor
    if isinstance(target, BaseDatabaseWrapper | ConnectionProxy):
        return target.vendor
    if target in _VENDOR_NAMES or target == "":  # a name already ("" = not known, e.g. a probe that failed early)
        return target
    return connections[target].vendor


def is_postgresql(target: Target = None) -> bool:
    """True when `target` (see `vendor`) is PostgreSQL: row locks, timeouts and PostgreSQL-only SQL apply."""
    return vendor(target) == POSTGRESQL


def is_sqlite(target: Target = None) -> bool:
    """True when `target` (see `vendor`) is SQLite: a file (or memory) with no server, host or port."""
    return vendor(target) == SQLITE
