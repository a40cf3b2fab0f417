"""A real streaming replica for the replica tests (see tests/replicas/conftest.py): the marks that skip without
one, and the steps that stop, start and wait for it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connections

from tests.support.utils import ON_POSTGRES

REPLICA_DIR = os.environ.get("CADENCE_TEST_REPLICA_DIR", "")
CTL = Path(__file__).resolve().parents[2] / ".ci" / "pg-replica"

real_replica = pytest.mark.skipif(
    not (ON_POSTGRES and REPLICA_DIR and os.environ.get("DATABASE_REPLICA_URLS")),
    reason="needs a real streaming replica: `.ci/pg-replica up DIR`, then DATABASE_URL (primary), "
    "DATABASE_REPLICA_URLS (replica) and CADENCE_TEST_REPLICA_DIR=DIR (CI does this)",
)
REPLICA_DB = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def replica_ctl(command: str) -> None:
    subprocess.run([str(CTL), command, REPLICA_DIR], check=True, timeout=90)


def scalar(alias: str, sql: str, params=()):
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_replayed(timeout: float = 10.0) -> None:
    """Wait until the replica has replayed everything the primary has written so far.

    The target is the WAL *insert* position: the test primary runs with synchronous_commit off, so a commit
    record can still sit in the WAL buffers, past pg_current_wal_lsn() (the write position), when the
    committing call returns. Waiting only up to the write position let a read miss a committed row."""
    target = scalar("default", "SELECT pg_current_wal_insert_lsn()::text")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if scalar("replica", "SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), %s::pg_lsn) >= 0", [target]):
            return
        time.sleep(0.05)
    raise AssertionError(f"the replica did not replay up to {target} within {timeout} s")
