"""The one `live_profile`: a connection profile describing the database the tests run on, so the real check
passes (and, with overrides, one that differs from it field by field). Also a pytest plugin (tests/conftest.py
registers it): the `live_profile` fixture hands the same function to tests that take it as a fixture."""

import pytest
from django.db import connections
from django.urls import reverse

from connections.models import DatabaseConnectionProfile
from core import dialect
from tests.support.factories.connections import DatabaseConnectionProfileFactory


def live_profile(environment: str = "development", **overrides) -> DatabaseConnectionProfile:
    """A profile for `environment` that matches the default database as the probe sees it; `overrides` replace
    fields (host, port, database, schema, role ...). On SQLite only the database is compared."""
    settings_dict = connections["default"].settings_dict
    if dialect.is_postgresql("default"):
        fields = {
            "host": settings_dict.get("HOST") or "localhost",
            "port": int(settings_dict.get("PORT") or 5432),
            "database": settings_dict["NAME"],
            "schema": "public",
        }
    else:
        fields = {"host": "localhost", "port": 5432, "database": settings_dict["NAME"], "schema": "public"}
    fields.update(overrides)
    return DatabaseConnectionProfileFactory(environment=environment, **fields)


@pytest.fixture(name="live_profile")
def live_profile_fixture():
    """`live_profile` itself, for tests that take it as a fixture."""
    return live_profile


def run_check(client, *profiles):
    """The admin's "Run check now" action on `profiles`, as `client` (a logged-in Django test client)."""
    return client.post(
        reverse("admin:connections_databaseconnectionprofile_changelist"),
        {"action": "run_check_now", "_selected_action": [str(p.pk) for p in profiles]},
        follow=True,
    )
