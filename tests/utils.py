"""Helpers for tests of every app."""

import os

import pytest

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://", "pgsql://"))

postgres_only = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite has no row locks, roles or server timeouts",
)
