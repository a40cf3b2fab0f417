"""Helpers for tests of every app."""

import os
import threading
import time

import pytest
from django.db import connections, transaction
from django.urls import URLPattern, URLResolver, get_resolver

ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://", "pgsql://"))

POSTGRES_ONLY_REASON = (
    "needs PostgreSQL (set DATABASE_URL=postgres://...): SQLite has no row locks, roles or server timeouts"
)

# The `postgres` marker itself, so `-m postgres` / `-m "not postgres"` select these tests too; the
# pytest_collection_modifyitems hook in tests/conftest.py skips every test carrying it on another database.
postgres_only = pytest.mark.postgres


def run_at_once(targets, *, join_timeout: float = 30) -> list:
    """Run each callable in its own thread, all released at the same moment; return result or exception."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def worker(i, target):
        try:
            barrier.wait(timeout=10)
            results[i] = target()
        except Exception as exc:  # the test inspects whatever each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=join_timeout)
    assert not any(thread.is_alive() for thread in threads)
    return results


def status_codes_at_once(calls, *, join_timeout: float = 60) -> list:
    """Send the requests (callables returning a response) at once; their status codes, or the exception's repr
    for a request that crashed (a finding, not a hang)."""
    return [
        repr(result) if isinstance(result, Exception) else result.status_code
        for result in run_at_once(calls, join_timeout=join_timeout)
    ]


def api_patterns(patterns=None, prefix=""):
    """(route, URLPattern) for every view pattern whose full route is under api/: what route-walking tests check
    (permissions, trailing slashes, idempotency keys), so a new route is walked by all of them."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern).lstrip("^").removesuffix("$")
        if isinstance(entry, URLResolver):
            found += api_patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern) and route.startswith("api/"):
            found.append((route, entry))
    return found


def grant_while(grant, user, action):
    """Grant `grant` to `user` in a transaction held open until `action` (run in a thread) is seen waiting for
    a lock; commit, then return what `action` returned or raised."""
    outcome: dict = {}
    started = threading.Event()

    def run():
        started.set()
        try:
            outcome["result"] = action()
        except Exception as exc:  # the test inspects what the writer got
            outcome["result"] = exc
        finally:
            connections.close_all()

    with transaction.atomic():
        grant(user)
        worker = threading.Thread(target=run)
        worker.start()
        started.wait(5)
        waited = False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and worker.is_alive():
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_stat_clear_snapshot()")  # the view is a snapshot per transaction
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database() AND pid <> pg_backend_pid()"
                )
                if cursor.fetchone()[0]:
                    waited = True
                    break
            time.sleep(0.02)
    worker.join(20)
    assert not worker.is_alive()
    assert waited, "the writer never waited for the grant's lock"
    return outcome["result"]
