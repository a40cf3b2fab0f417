"""A database timeout or outage in any request is a 503 with Retry-After (JSON under /api/, a page elsewhere),
logged in one line without a traceback; the connection options carry the timeouts and keepalives."""

import logging

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client

from core import views as core_views
from tests.utils import ON_POSTGRES, postgres_only


@pytest.fixture
def broken_me(monkeypatch):
    def raise_operational(self, request):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(core_views.MeView, "get", raise_operational)


def test_api_request_with_database_down_is_json_503_with_retry_after(coach_client, broken_me, caplog):
    caplog.set_level(logging.INFO)
    response = coach_client.get("/api/v1/auth/me/")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The database is not available right now; try again shortly."}
    assert int(response["Retry-After"]) > 0
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert lines[0].getMessage().startswith("503 GET /api/v1/auth/me/: database unavailable")
    assert lines[0].exc_info is None


def test_admin_request_with_database_down_is_an_html_503_page(db, coach, monkeypatch):
    from django.contrib import admin

    from athletes.models import AthleteProfile

    def raise_operational(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    coach.is_superuser = True
    coach.save()
    client = Client()
    client.force_login(coach)
    monkeypatch.setattr(admin.site._registry[AthleteProfile], "get_queryset", raise_operational)
    response = client.get("/admin/athletes/athleteprofile/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert b"briefly unavailable" in response.content
    assert "Retry-After" in response


def test_database_error_outside_a_view_is_still_a_503_not_a_500(rf):
    try:
        raise OperationalError("the database system is shutting down")
    except OperationalError:
        response = core_views.json_500(rf.get("/api/v1/programs/"))
    assert response.status_code == 503
    assert "Retry-After" in response


def test_other_errors_outside_a_view_stay_500(rf):
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = core_views.json_500(rf.get("/api/v1/programs/"))
    assert response.status_code == 500


@postgres_only
def test_statement_timeout_in_a_request_is_a_503(coach_client, monkeypatch, caplog):
    def slow(self, request):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 50")
            cursor.execute("SELECT pg_sleep(2)")

    monkeypatch.setattr(core_views.MeView, "get", slow)
    response = coach_client.get("/api/v1/auth/me/")
    assert response.status_code == 503
    assert response.json()["detail"] == "The database did not finish in time; try again shortly."
    assert any("statement timeout" in r.getMessage() for r in caplog.records)


@postgres_only
def test_app_connections_carry_timeouts_and_keepalives(db):
    assert _setting_ms("statement_timeout") == int(settings.DB_STATEMENT_TIMEOUT * 1000)
    assert _setting_ms("lock_timeout") == int(settings.DB_LOCK_TIMEOUT * 1000)
    assert _setting_ms("idle_in_transaction_session_timeout") == int(settings.DB_IDLE_IN_TRANSACTION_TIMEOUT * 1000)
    params = connection.connection.info.get_parameters()
    assert params["keepalives"] == "1"
    assert int(params["keepalives_idle"]) == settings.DB_KEEPALIVES_IDLE
    assert int(params["tcp_user_timeout"]) == int(settings.DB_TCP_USER_TIMEOUT * 1000)


@postgres_only
def test_maintenance_commands_raise_the_timeouts_and_put_them_back(db):
    from core.db import maintenance_timeouts

    before = _setting_ms("statement_timeout")
    with maintenance_timeouts():
        assert _setting_ms("statement_timeout") == int(settings.DB_MAINTENANCE_STATEMENT_TIMEOUT * 1000)
        assert _setting_ms("lock_timeout") == int(settings.DB_MAINTENANCE_LOCK_TIMEOUT * 1000)
    assert _setting_ms("statement_timeout") == before


def test_postgres_options_without_startup_options_for_poolers():
    from config.settings import postgres_options

    assert "options" not in postgres_options(startup_options=False)
    assert "-c statement_timeout=" in postgres_options()["options"]
    assert "-c search_path=tenant,public" in postgres_options(schema="tenant")["options"]


def test_server_side_binding_and_prepared_statements_by_default(monkeypatch):
    import config.settings as config_settings

    options = config_settings.postgres_options()
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 5
    monkeypatch.setattr(config_settings, "DB_PREPARE_THRESHOLD", 0)
    assert config_settings.postgres_options()["prepare_threshold"] is None  # 0: never prepare
    monkeypatch.setattr(config_settings, "DB_SERVER_SIDE_BINDING", False)
    options = config_settings.postgres_options()
    assert "server_side_binding" not in options and "prepare_threshold" not in options  # Django's defaults


@postgres_only
def test_the_app_connection_binds_on_the_server_and_prepares_repeated_statements(db):
    """The running connection is psycopg's server-binding cursor, and a statement run more than the
    threshold's times is prepared on the server (pg_prepared_statements of this session)."""
    with connection.cursor() as cursor:
        assert "ServerBindingCursor" in type(cursor.cursor).__name__
        for _ in range(settings.DB_PREPARE_THRESHOLD + 1):
            cursor.execute("SELECT count(*) FROM django_migrations WHERE app = %s", ["training"])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%django_migrations%"])
        assert cursor.fetchone()[0] >= 1


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite: the options do not apply")
def test_sqlite_has_no_postgres_options():
    assert "options" not in settings.DATABASES["default"].get("OPTIONS", {})


def _setting_ms(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting FROM pg_settings WHERE name = %s", [name])
        return int(cursor.fetchone()[0])


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_before_a_column_type_change_is_a_503_and_the_connection_is_renewed(rf):
    """With prepared statements (DB_PREPARE_THRESHOLD), a migration that changes a column's type on another
    connection makes PostgreSQL refuse this connection's prepared statement for as long as it lives. The
    request gets a 503 with Retry-After, and the connection is closed so the next request prepares afresh."""
    import psycopg
    from django.db import NotSupportedError

    from core.middleware import DatabaseUnavailableMiddleware

    params = connection.get_connection_params()
    other = psycopg.connect(
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}, autocommit=True
    )
    try:
        other.execute("CREATE TABLE stale_plan_probe (v varchar(10))")
        query = "SELECT v FROM stale_plan_probe LIMIT %s"
        with connection.cursor() as cursor:
            for _ in range(settings.DB_PREPARE_THRESHOLD + 1):
                cursor.execute(query, [5])  # now prepared on this connection
        other.execute("ALTER TABLE stale_plan_probe ALTER COLUMN v TYPE integer USING 0")
        with pytest.raises(NotSupportedError) as raised, connection.cursor() as cursor:
            cursor.execute(query, [5])
        response = DatabaseUnavailableMiddleware(lambda request: None).process_exception(
            rf.get("/api/v1/programs/"), raised.value
        )
        assert response.status_code == 503 and response["Retry-After"]
        assert connection.connection is None  # closed: its prepared statements are gone with it
        with connection.cursor() as cursor:
            cursor.execute(query, [5])  # the renewed connection runs it
    finally:
        other.execute("DROP TABLE IF EXISTS stale_plan_probe")
        other.close()
