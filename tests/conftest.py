"""Fixtures shared by every app's tests: API clients for a coach, two athletes, a user without a profile
and an anonymous caller, each authenticated with a real knox Bearer token. Helpers, factories and the other
shared fixtures are in tests.support; import from there, never from a conftest or another test module."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache

from core import dialect
from tests.support.clients import anonymous_client, bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory, UserFactory
from tests.support.utils import POSTGRES_ONLY_REASON

# The shared fixtures live in tests.support: the access world, the live connection profile, the outages.
pytest_plugins = ["tests.support.world", "tests.support.profiles", "tests.support.outages"]


def pytest_collection_modifyitems(config, items):
    """A test marked `postgres` (races, row locks, roles, server timeouts) is skipped, with the reason, when the
    default database is not PostgreSQL: on SQLite it would fail, or pass without testing anything."""
    from django.db import connections

    if dialect.is_postgresql(connections["default"]):
        return
    skip = pytest.mark.skipif(True, reason=POSTGRES_ONLY_REASON)
    for item in items:
        if item.get_closest_marker("postgres"):
            # First, so this reason is the one reported, not a test's own narrower skipif.
            item.add_marker(skip, append=False)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Throttle state lives in the cache; one test's failed logins must not throttle the next.
    cache.clear()
    # A transactional test's flush re-creates content types under new ids; the process-wide ContentType cache
    # would otherwise hand the admin's LogEntry (and permissions) ids that no longer exist.
    ContentType.objects.clear_cache()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _close_database_circuits():
    # The database circuit breaker is per process: a circuit one test opened must not answer the next test's
    # requests with 503.
    from core.db import circuit_breaker

    circuit_breaker.reset()
    yield
    circuit_breaker.reset()


@pytest.fixture
def coach(db):
    """Sees everyone, like the demo coach: a head coach who is in Operations too."""
    return HeadCoachFactory(_groups=["Head coaches", "Operations"])


@pytest.fixture
def athlete(db):
    """The owning athlete's profile."""
    return AthleteProfileFactory(display_name="Owner", timezone="Europe/Oslo")


@pytest.fixture
def other_athlete(db):
    return AthleteProfileFactory(display_name="Other")


@pytest.fixture
def coach_client(coach):
    return bearer_client(coach)


@pytest.fixture
def athlete_client(athlete):
    return bearer_client(athlete.user)


@pytest.fixture
def other_client(other_athlete):
    return bearer_client(other_athlete.user)


@pytest.fixture
def noprofile_client(db):
    return bearer_client(UserFactory())


@pytest.fixture
def anon_client():
    return anonymous_client()
