"""A real streaming replica for the replica tests: `.ci/pg-replica up DIR` starts a primary and its replica,
DATABASE_URL points at the primary, DATABASE_REPLICA_URLS at the replica and CADENCE_TEST_REPLICA_DIR at DIR
(so a test can stop and start the replica). Without them these tests skip, saying so (tests.support.replicas)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connections

from core import replicas
from tests.support.replicas import scalar


@pytest.fixture(autouse=True)
def _fresh_replica_state():
    replicas.reset_down()
    yield
    replicas.reset_down()
    for alias in settings.DATABASES:
        connections[alias].close()


@pytest.fixture
def replay_paused():
    """Pause WAL replay on the replica for the test (resumed afterwards, whatever happens)."""
    scalar("replica", "SELECT pg_wal_replay_pause()::text")
    yield
    scalar("replica", "SELECT pg_wal_replay_resume()::text")
    connections["replica"].close()
