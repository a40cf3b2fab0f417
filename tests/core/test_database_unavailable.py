"""A database timeout or outage in any request is a 503 with Retry-After (JSON under /api/, a page elsewhere),
logged in one line without a traceback; the connection options carry the timeouts and keepalives."""

import logging
import threading
import time

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client

from core import views as core_views
from tests.support.clients import bearer_client
from tests.support.utils import ON_POSTGRES, postgres_only


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
    # The server answered (it cancelled the statement): no reason to stop sending it requests.
    from core.db import circuit_breaker

    assert circuit_breaker.state("default") == "closed"


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


@pytest.mark.skipif(ON_POSTGRES, reason="about SQLite only: on PostgreSQL the connection options apply")
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


# --- The circuit breaker (core.db.CircuitBreaker) ----------------------------------------------------------


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _in_other_thread(fn):
    result = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    thread.join(5)
    return result[0]


class FakeProbe:
    """Stands in for core.db.probe_database: answers what the test says, remembers who called."""

    def __init__(self):
        self.answer: str | None = "connection refused"
        self.calls = 0

    def __call__(self, alias):
        self.calls += 1
        return self.answer


@pytest.fixture
def breaker(settings):
    from core.db import CircuitBreaker

    settings.DB_CIRCUIT_COOLDOWN_SECONDS = 5
    clock, probe = FakeClock(), FakeProbe()
    return CircuitBreaker(clock=clock, probe=probe, background=False), clock, probe


def _gauge(alias):
    from core import metrics

    return metrics.CIRCUIT_OPEN.labels(alias)._value.get()


def test_circuit_opens_on_failure_and_refuses_every_request_while_open(breaker, caplog):
    caplog.set_level(logging.DEBUG, logger="cadence.db")
    cb, clock, probe = breaker
    assert cb.admit("unit") and cb.state("unit") == "closed"
    cb.record_failure("unit", "no answer within 1.5 s")
    cb.record_failure("unit", "connection lost")  # a second failure while open: no second line
    assert cb.state("unit") == "open" and _gauge("unit") == 1
    assert not cb.admit("unit")
    assert not _in_other_thread(lambda: cb.admit("unit"))
    assert cb.retry_after("unit") == 5
    clock.now += 4.2
    assert cb.retry_after("unit") == 1  # rounded up, never 0
    clock.now += 10
    assert not cb.admit("unit")  # no request is ever sent to try it: the probe does
    assert probe.calls == 0
    opened = [r for r in caplog.records if "opened" in r.getMessage()]
    assert len(opened) == 1 and opened[0].levelno == logging.WARNING
    assert "no answer within 1.5 s" in opened[0].getMessage()


def test_the_probe_tries_after_each_cool_down_and_its_success_closes_the_circuit(breaker, caplog):
    caplog.set_level(logging.INFO, logger="cadence.db")
    cb, clock, probe = breaker
    cb.record_failure("unit", "connect failed")
    cb.count_short_circuited("unit")
    assert cb.probe_if_due("unit") is None and probe.calls == 0  # cool-down not over
    clock.now += 5
    assert cb.probe_if_due("unit") is False and probe.calls == 1  # still down: open for another cool-down
    assert cb.state("unit") == "open" and not cb.admit("unit") and cb.retry_after("unit") == 5
    clock.now += 4.9
    assert cb.probe_if_due("unit") is None
    clock.now += 0.1
    probe.answer = None
    assert cb.probe_if_due("unit") is True
    assert cb.state("unit") == "closed" and _gauge("unit") == 0
    assert cb.admit("unit") and _in_other_thread(lambda: cb.admit("unit"))
    lines = [r.getMessage() for r in caplog.records]
    assert sum("opened" in line for line in lines) == 1
    assert [line for line in lines if "closed" in line] == [
        "database circuit 'unit' closed: the database answers again after 10.0 s (1 requests answered 503 at once)"
    ]


def test_a_request_success_does_not_close_an_open_circuit(breaker):
    cb, _, _ = breaker
    cb.record_failure("unit", "connect failed")
    cb.record_success("unit")  # a command that was in flight when the circuit opened
    assert cb.state("unit") == "open"


def test_health_probe_may_try_at_once_but_one_at_a_time(breaker):
    cb, _, _ = breaker
    cb.record_failure("unit", "connect failed")
    with cb.probing():
        assert cb.admit("unit") and cb.state("unit") == "half-open"

    def probe_in_other_thread():
        with cb.probing():
            return cb.admit("unit")

    assert not _in_other_thread(probe_in_other_thread)  # one at a time
    assert not _in_other_thread(lambda: cb.admit("unit"))  # and requests still fail fast
    cb.record_success("unit")  # its answer closes the circuit
    assert cb.state("unit") == "closed"
    cb.record_failure("unit", "connect failed")
    with cb.probing():
        assert cb.admit("unit")
    cb.release_trial("unit")  # the request ended without reaching the database: the next probe may try
    assert _in_other_thread(probe_in_other_thread)


def test_cool_down_zero_turns_the_breaker_off(breaker, settings):
    cb, _, _ = breaker
    settings.DB_CIRCUIT_COOLDOWN_SECONDS = 0
    cb.record_failure("unit", "connect failed")
    assert cb.state("unit") == "closed" and cb.admit("unit")


def test_reset_closes_every_circuit(breaker):
    cb, _, _ = breaker
    cb.record_failure("unit", "connect failed")
    cb.reset()
    assert cb.state("unit") == "closed" and cb.admit("unit") and _gauge("unit") == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_background_probe_reads_the_database_and_closes_the_circuit(settings):
    from core.db import CircuitBreaker, probe_database

    settings.DB_CIRCUIT_COOLDOWN_SECONDS = 0.1
    assert probe_database("default") is None
    cb = CircuitBreaker()
    cb.record_failure("default", "connect failed")
    deadline = time.monotonic() + 5
    while cb.state("default") != "closed" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cb.state("default") == "closed"


def test_probe_of_an_unreachable_database_says_why_within_its_bound(django_db_blocker):
    """A server that accepts TCP and never answers: the probe gives up after the connect timeout."""
    from django.db import connections

    from core.db import probe_database
    from tests.support.outages import SilentServer

    silent = SilentServer()
    entry = {**connections.settings["default"], "ENGINE": "django.db.backends.postgresql", "HOST": "127.0.0.1"}
    entry.update(PORT=silent.port, NAME="cadence", USER="cadence", OPTIONS={"connect_timeout": 2})
    connections.settings["probe-silent"] = entry
    try:
        with django_db_blocker.unblock():
            started = time.monotonic()
            reason = probe_database("probe-silent")
            elapsed = time.monotonic() - started
    finally:
        silent.close()
        del connections["probe-silent"]
        del connections.settings["probe-silent"]
    assert reason and "timeout" in reason.lower()
    assert elapsed < 2 + 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_open_circuit_answers_at_once_without_touching_the_database(coach, caplog, django_assert_num_queries):
    from core import metrics
    from core.db import circuit_breaker

    api = bearer_client(coach)
    admin_client = Client()
    coach.is_superuser = True
    coach.save()
    admin_client.force_login(coach)
    counter = metrics.DB_SHORT_CIRCUITED.labels("default")
    before = counter._value.get()
    caplog.set_level(logging.DEBUG)
    circuit_breaker.record_failure("default", "no answer within 5.5 s")

    with django_assert_num_queries(0):
        started = time.monotonic()
        response = api.get("/api/v1/programs/")
        page = admin_client.get("/admin/athletes/athleteprofile/")
        live = Client().get("/health/live")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == {"detail": "The database is not available right now; try again shortly."}
    assert response["Retry-After"] == str(int(settings.DB_CIRCUIT_COOLDOWN_SECONDS))
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html") and "Retry-After" in page
    assert live.status_code == 200  # liveness never depends on the database
    assert elapsed < 2  # no connect timeout, no stall limit: a loaded machine's milliseconds at most
    assert counter._value.get() == before + 2
    assert metrics.CIRCUIT_OPEN.labels("default")._value.get() == 1
    # One line when it opened; the requests answered at once are not logged one by one.
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "database circuit 'default' opened" in warnings[0], warnings


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_opens_the_circuit_and_the_probe_closes_it(coach, monkeypatch, settings, caplog):
    from core.db import circuit_breaker, cut_socket

    settings.DB_CIRCUIT_COOLDOWN_SECONDS = 0.2
    api = bearer_client(coach)
    assert api.get("/api/v1/auth/me/").status_code == 200

    def lose_the_connection(self, request):
        cut_socket(connection.connection)  # what a server that vanished looks like from here
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    with monkeypatch.context() as patch:
        patch.setattr(core_views.MeView, "get", lose_the_connection)
        assert api.get("/api/v1/auth/me/").status_code == 503
    connection.close()  # gunicorn's request_finished does this for a broken connection; the test client does not
    assert circuit_breaker.state("default") in ("open", "half-open")
    caplog.set_level(logging.INFO)
    deadline = time.monotonic() + 5
    while circuit_breaker.state("default") != "closed" and time.monotonic() < deadline:
        time.sleep(0.05)  # the background probe tries the database after the cool-down
    assert circuit_breaker.state("default") == "closed"
    assert any("database circuit 'default' closed" in r.getMessage() for r in caplog.records)
    assert api.get("/api/v1/auth/me/").status_code == 200


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_health_db_tries_the_database_while_the_circuit_is_open_and_closes_it():
    from core.db import circuit_breaker

    circuit_breaker.record_failure("default", "connect failed")
    response = Client().get("/health/db")
    assert response.json()["errorCode"] == "NO_CHECK_RECORDED"  # it read the database, not the circuit
    assert circuit_breaker.state("default") == "closed"


# --- The request deadline (core.db.request_budget) ----------------------------------------------------------


def _arrived(seconds_ago: float) -> dict:
    """WSGI environ extras: the request reached gunicorn's main loop `seconds_ago` (core.gunicorn_worker)."""
    from core.gunicorn_worker import ARRIVED_AT

    return {ARRIVED_AT: time.monotonic() - seconds_ago}


def test_the_budget_leaves_each_wait_in_full_to_a_request_that_did_not_queue(settings):
    from core.db import request_budget, stall_limit

    # The defaults (.env.example).
    settings.DB_CONNECT_TIMEOUT, settings.DB_STATEMENT_TIMEOUT, settings.DB_STALL_GRACE = 5, 5, 0.5
    assert request_budget() == 5.75  # the 503 goes out within DB_CONNECT_TIMEOUT + 1 s
    assert request_budget() > settings.DB_CONNECT_TIMEOUT
    assert request_budget() > stall_limit()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_request_that_queued_past_its_deadline_answers_503_at_once_without_the_database(
    coach, caplog, django_assert_num_queries
):
    from core.db import circuit_breaker, request_budget

    api = bearer_client(coach)
    coach.is_superuser = True
    coach.save()
    admin_client = Client()
    admin_client.force_login(coach)
    caplog.set_level(logging.INFO)
    late = request_budget() + 0.1

    with django_assert_num_queries(0):
        started = time.monotonic()
        response = api.get("/api/v1/programs/", **_arrived(late))
        page = admin_client.get("/admin/athletes/athleteprofile/", **_arrived(late))
        elapsed = time.monotonic() - started
    assert response.status_code == 503 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "The database is not available right now; try again shortly."}
    assert int(response["Retry-After"]) >= 1
    assert page.status_code == 503 and page["Content-Type"].startswith("text/html") and "Retry-After" in page
    assert elapsed < 2
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert lines == [
        "503 GET /api/v1/programs/: request deadline passed before the database answered (DeadlinePassed: the "
        "request's deadline passed; not waiting any longer for database 'default')",
        "503 GET /admin/athletes/athleteprofile/: request deadline passed before the database answered "
        "(DeadlinePassed: the request's deadline passed; not waiting any longer for database 'default')",
    ]
    # Lateness says nothing about the database: the next request that has time is served.
    assert circuit_breaker.state("default") == "closed"
    assert api.get("/api/v1/programs/").status_code == 200


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_request_that_queued_but_has_time_left_is_served(coach):
    from core.db import request_budget

    api = bearer_client(coach)
    assert api.get("/api/v1/programs/", **_arrived(request_budget() - 1)).status_code == 200
    # Not a stamp from the worker (a number of another type, a time in the future): the request's own arrival.
    assert api.get("/api/v1/programs/", **{"cadence.arrived_at": "0"}).status_code == 200
    assert api.get("/api/v1/programs/", **_arrived(-3600)).status_code == 200


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_health_db_past_its_deadline_says_unreachable_at_once():
    from core.db import request_budget

    started = time.monotonic()
    response = Client().get("/health/db", **_arrived(request_budget() + 0.1))
    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json()["errorCode"] == "DB_UNREACHABLE"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_command_still_in_flight_at_the_deadline_is_cut_without_opening_the_circuit():
    """Before the stall limit (DB_STATEMENT_TIMEOUT + grace) and before the server's own statement timeout: the
    request is out of time, whatever the server does."""
    from core.db import circuit_breaker, stall_guard

    connection.ensure_connection()
    started = time.monotonic()
    with pytest.raises(OperationalError), stall_guard.watch(deadline=started + 0.5), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(3)")
    elapsed = time.monotonic() - started
    assert 0.5 <= elapsed < 1.5, elapsed
    assert circuit_breaker.state("default") == "closed"
    connection.close()
    with connection.cursor() as cursor:  # a new connection: the cut one is gone
        cursor.execute("SELECT 1")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_within_the_deadline_is_made_as_usual():
    """Less time left than the connect timeout: the connect runs bounded by what is left, and succeeds."""
    from core.db import stall_guard

    connection.close()
    with stall_guard.watch(deadline=time.monotonic() + 1.0), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection is not None


def test_connect_timeout_follows_libpq():
    from core.db import _connect_timeout

    assert _connect_timeout({"connect_timeout": 5}) == 5
    assert _connect_timeout({"connect_timeout": "2.9"}) == 2
    assert _connect_timeout({"connect_timeout": 1}) == 2  # libpq's minimum
    assert _connect_timeout({"connect_timeout": 0}) == float("inf")
    assert _connect_timeout({}) == float("inf")
    assert _connect_timeout({"connect_timeout": "soon"}) == float("inf")


def test_a_connect_to_a_silent_server_stops_at_the_deadline_below_libpqs_minimum():
    """psycopg raises any connect_timeout below 2 s to 2 s; the request still stops waiting at its deadline,
    and the abandoned connect's own failure (2 s later) is what opens the circuit."""
    import psycopg

    from core.db import DeadlinePassed, _connect_by, circuit_breaker
    from tests.support.outages import SilentServer

    silent = SilentServer()
    params = {"host": "127.0.0.1", "port": silent.port, "dbname": "x", "user": "x", "connect_timeout": 2}
    try:
        started = time.monotonic()
        with pytest.raises(DeadlinePassed):
            _connect_by(started + 0.5, lambda p: psycopg.connect(**p), params, "silent-unit")
        elapsed = time.monotonic() - started
        assert 0.5 <= elapsed < 1.2, elapsed
        assert circuit_breaker.state("silent-unit") == "closed"  # not yet: the connect may only be slow
        while circuit_breaker.state("silent-unit") == "closed" and time.monotonic() - started < 6:
            time.sleep(0.05)
        assert circuit_breaker.state("silent-unit") == "open"
    finally:
        silent.close()
        circuit_breaker.reset()


class _LateConnection:
    closed = False

    def close(self):
        self.closed = True


def test_a_connect_that_succeeds_after_the_deadline_is_closed():
    from core.db import DeadlinePassed, _connect_by, circuit_breaker

    late = _LateConnection()

    def slow_connect(params):
        time.sleep(0.3)
        return late

    with pytest.raises(DeadlinePassed):
        _connect_by(time.monotonic() + 0.05, slow_connect, {}, "late-unit")
    deadline = time.monotonic() + 5
    while not late.closed and time.monotonic() < deadline:
        time.sleep(0.02)
    assert late.closed  # nobody is left to use it
    assert circuit_breaker.state("late-unit") == "closed"  # it connected: nothing wrong with the server


def test_a_connect_that_fails_within_the_deadline_raises_its_own_error():
    from core.db import _connect_by

    def refused(params):
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(ConnectionRefusedError):
        _connect_by(time.monotonic() + 1, refused, {}, "refused-unit")
    assert _connect_by(time.monotonic() + 1, lambda params: "conn", {}, "fast-unit") == "conn"
