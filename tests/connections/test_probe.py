"""The probe's pieces: masking secrets, classifying failures, the connection it builds."""

import psycopg
import pytest

from connections.probe import (
    _classify_postgres,
    _postgres_conninfo,
    configured_schema,
    sanitize,
    settings_secrets,
    sqlite_location,
)

PASSWORD = "S3cr3t-Pa55"


@pytest.mark.parametrize(
    "text",
    [
        f"connection to postgresql://app:{PASSWORD}@db.example.com:5432/cadence failed",
        f"postgres://app:{PASSWORD}@db/x",
        f"host=db user=app password={PASSWORD} dbname=cadence",
        f"host=db password = '{PASSWORD}' dbname=cadence",
        f'{{"password": "{PASSWORD}"}}'.replace('"password": ', "password: "),
        f"PGPASSWORD={PASSWORD}",
        f"secret={PASSWORD};",
    ],
)
def test_sanitize_masks_url_passwords_and_secret_pairs(text):
    masked = sanitize(text)
    assert PASSWORD not in masked
    assert "***" in masked


def test_sanitize_masks_known_secrets_anywhere():
    masked = sanitize(f'missing "=" after "{PASSWORD}" in connection info string', secrets=(PASSWORD,))
    assert PASSWORD not in masked
    assert masked == 'missing "=" after "***" in connection info string'


def test_sanitize_keeps_user_host_and_ordinary_text():
    text = 'connection to server at "127.0.0.1", port 1 failed: Connection refused'
    assert sanitize(text) == text
    assert sanitize("postgres://app:pw@db:5432/x") == "postgres://app:***@db:5432/x"
    assert sanitize("") == ""


def test_settings_secrets_collects_password_and_option_password():
    assert settings_secrets({"PASSWORD": "a", "OPTIONS": {"password": "b"}}) == ("a", "b")
    assert settings_secrets({"PASSWORD": "", "OPTIONS": {}}) == ()


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
