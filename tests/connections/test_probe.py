"""The probe's pieces: classifying failures, the connection it builds (secrets: tests/core/test_redaction.py)."""

import psycopg
import pytest

from connections.probe import (
    _classify_postgres,
    _postgres_conninfo,
    configured_schema,
    sqlite_location,
)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ('connection failed: ... failed: FATAL:  role "nobody" does not exist', "DB_AUTH_FAILED"),
        ('FATAL:  password authentication failed for user "app"', "DB_AUTH_FAILED"),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.1"', "DB_AUTH_FAILED"),
        ("connection timeout expired", "DB_TIMEOUT"),
        ("connection failed: ... port 1 failed: Connection refused", "DB_UNREACHABLE"),
        ("failed to resolve host 'x.invalid': [Errno -2] Name or service not known", "DB_UNREACHABLE"),
        ('FATAL:  database "nope" does not exist', "DB_UNREACHABLE"),
    ],
)
def test_classify_connection_failures(message, code):
    assert _classify_postgres(psycopg.OperationalError(message)) == code


def test_classify_statement_timeout_as_db_timeout():
    assert _classify_postgres(psycopg.errors.QueryCanceled("canceling statement due to statement timeout")) == (
        "DB_TIMEOUT"
    )


def test_conninfo_bounds_connect_and_statements_and_keeps_search_path():
    params = _postgres_conninfo(
        {
            "NAME": "cadence",
            "USER": "app",
            "PASSWORD": "pw",
            "HOST": "db",
            "PORT": "5432",
            "OPTIONS": {"options": "-c search_path=app,public", "pool": True, "connect_timeout": 30},
        },
        timeout=0.5,
    )
    assert params["connect_timeout"] == 2  # libpq's minimum; the probe's own deadline does the rest
    assert params["options"] == "-c search_path=app,public -c statement_timeout=500"
    assert "pool" not in params
    assert (params["dbname"], params["user"], params["host"], params["port"]) == ("cadence", "app", "db", "5432")
    assert _postgres_conninfo({"NAME": "x", "OPTIONS": {}}, timeout=7.2)["connect_timeout"] == 8


def test_configured_schema_reads_search_path_then_default():
    assert configured_schema({"OPTIONS": {"options": "-c search_path=app,public"}}, "public") == "app"
    assert configured_schema({"OPTIONS": {}}, "fallback") == "fallback"


def test_sqlite_location_never_creates_a_file(tmp_path):
    target, uri = sqlite_location(str(tmp_path / "db.sqlite3"))
    assert uri and target.endswith("?mode=rw")
    assert sqlite_location("file:memorydb_default?mode=memory&cache=shared") == (
        "file:memorydb_default?mode=memory&cache=shared",
        True,
    )
