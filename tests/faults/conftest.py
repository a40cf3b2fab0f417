"""The fault tests' fixtures (tests.support.faults): a freezable proxy in front of PostgreSQL, gunicorn behind it."""

from tests.support.faults import gunicorn_against, pg_proxy  # noqa: F401 (fixtures)
