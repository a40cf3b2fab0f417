"""Which node a request reads from, without a real replica: the router's rules, the middleware's choice
(round robin, pins, paths and methods, nodes marked down) and, on PostgreSQL, an unreachable replica
skipped within the connect timeout."""

import itertools
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory
from knox.models import AuthToken

from athletes.models import AthleteProfile
from core import replicas
from core.replicas import ReplicaReadMiddleware, ReplicaRouter, current_read_alias
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.outages import StallingProxy
from tests.support.utils import postgres_only

URL = "/api/v1/athletes/"


@pytest.fixture(autouse=True)
def _replicas(settings, monkeypatch):
    settings.REPLICA_ALIASES = ["replica1", "replica2"]
    settings.REPLICA_PIN_SECONDS = 5
    monkeypatch.setattr(replicas, "_round_robin", itertools.count())
    replicas.reset_down()
    yield
    replicas.reset_down()


@pytest.fixture
def reachable(monkeypatch):
    """Every replica answers; records which were tried."""
    tried: list[str] = []

    def usable(alias):
        tried.append(alias)
        return True

    monkeypatch.setattr(replicas, "_usable", usable)
    return tried


def through_middleware(method="get", path=URL, **extra):
    seen = {}

    def view(request):
        seen["alias"] = current_read_alias()
        return HttpResponse(status=200)

    request = getattr(RequestFactory(), method)(path, **extra)
    ReplicaReadMiddleware(view)(request)
    return seen["alias"]


TOKEN = {"HTTP_AUTHORIZATION": "Bearer client-a-token"}
OTHER = {"HTTP_AUTHORIZATION": "Bearer client-b-token"}


# --- the router ---------------------------------------------------------------------------------------------


def test_router_reads_the_chosen_node_and_writes_the_primary():
    router = ReplicaRouter()
    token = replicas._read_alias.set("replica2")
    try:
        assert router.db_for_read(AthleteProfile) == "replica2"
        assert router.db_for_write(AthleteProfile) == "default"
        # Who the caller is and what they may do is never read from a lagging copy.
        assert router.db_for_read(get_user_model()) == "default"
        assert router.db_for_read(AuthToken) == "default"
    finally:
        replicas._read_alias.reset(token)
    assert router.db_for_read(AthleteProfile) is None  # outside a replica read: Django's default
    assert current_read_alias() is None


def test_router_writes_an_instance_read_from_a_replica_to_the_primary():
    instance = AthleteProfile()
    instance._state.db = "replica1"
    assert ReplicaRouter().db_for_write(AthleteProfile, instance=instance) == "default"


@pytest.mark.django_db(transaction=True)  # no test transaction around it: only the one below
def test_router_reads_the_primary_inside_a_transaction_on_it():
    token = replicas._read_alias.set("replica1")
    try:
        with transaction.atomic():
            assert ReplicaRouter().db_for_read(AthleteProfile) == "default"
        assert ReplicaRouter().db_for_read(AthleteProfile) == "replica1"
    finally:
        replicas._read_alias.reset(token)


def test_router_never_migrates_a_replica_and_relates_nodes():
    router = ReplicaRouter()
    assert router.allow_migrate("replica1", "athletes") is False
    assert router.allow_migrate("default", "athletes") is None
    a, b = AthleteProfile(), AthleteProfile()
    a._state.db, b._state.db = "replica1", "default"
    assert router.allow_relation(a, b) is True
    b._state.db = "elsewhere"
    assert router.allow_relation(a, b) is None


# --- the middleware -------------------------------------------------------------------------------------------


def test_api_reads_go_round_robin_over_the_replicas(reachable):
    assert [through_middleware(**TOKEN) for _ in range(4)] == ["replica1", "replica2", "replica1", "replica2"]
    assert through_middleware("head", **TOKEN) == "replica1"
    assert current_read_alias() is None  # reset when the request ends


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", URL), ("put", URL), ("patch", URL), ("delete", URL), ("options", URL), ("get", "/admin/"),
     ("get", "/health/db"), ("get", "/metrics"), ("get", "/apix/")],
)  # fmt: skip
def test_writes_admin_and_non_api_reads_use_the_primary(reachable, method, path):
    assert through_middleware(method, path, **TOKEN) is None
    assert reachable == []


def test_a_writer_reads_the_primary_for_replica_pin_seconds(reachable, settings):
    settings.REPLICA_PIN_SECONDS = 1
    through_middleware("post", **TOKEN)
    assert through_middleware(**TOKEN) is None  # pinned
    assert through_middleware(**OTHER) == "replica1"  # another client is not
    time.sleep(1.1)
    assert through_middleware(**TOKEN) == "replica2"  # the pin expired


def test_a_failed_or_refused_write_pins_too(reachable):
    # The pin does not depend on the answer: a 4xx may still have written (a partial bulk action elsewhere).
    def view(request):
        return HttpResponse(status=400)

    ReplicaReadMiddleware(view)(RequestFactory().patch(URL, **TOKEN))
    assert through_middleware(**TOKEN) is None


def test_a_session_client_is_pinned_by_its_session_cookie(reachable, client):
    client.cookies["sessionid"] = "s1"
    factory = RequestFactory()
    request = factory.post("/admin/athletes/athleteprofile/add/")
    request.COOKIES["sessionid"] = "s1"
    ReplicaReadMiddleware(lambda r: HttpResponse())(request)
    seen = {}

    def view(request):
        seen["alias"] = current_read_alias()
        return HttpResponse()

    read = factory.get(URL)
    read.COOKIES["sessionid"] = "s1"
    ReplicaReadMiddleware(view)(read)
    assert seen["alias"] is None
    other = factory.get(URL)
    other.COOKIES["sessionid"] = "s2"
    ReplicaReadMiddleware(view)(other)
    assert seen["alias"] == "replica1"


def test_a_write_without_credentials_pins_nobody(reachable):
    through_middleware("post")
    assert through_middleware() == "replica1"
    assert replicas.pin_key(RequestFactory().get(URL)) is None


def test_an_unreadable_pin_cache_means_the_primary(reachable, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(replicas.cache, "get", broken)
    assert through_middleware(**TOKEN) is None
    monkeypatch.setattr(replicas.cache, "set", broken)
    through_middleware("post", **TOKEN)  # no 500 when the pin cannot be stored


def test_a_replica_that_fails_is_skipped_and_remembered_as_down(monkeypatch, settings):
    tried: list[str] = []
    monkeypatch.setattr(replicas, "_usable", lambda alias: tried.append(alias) or alias != "replica1")
    assert through_middleware(**TOKEN) == "replica2"  # replica1 failed: the next one
    assert tried == ["replica1", "replica2"]
    tried.clear()
    assert [through_middleware(**TOKEN) for _ in range(3)] == ["replica2"] * 3
    assert "replica1" not in tried  # down: not tried again (no connect timeout paid per request)
    # After REPLICA_RETRY_SECONDS it is tried again.
    clock = time.monotonic() + settings.REPLICA_RETRY_SECONDS + 1
    monkeypatch.setattr(replicas.time, "monotonic", lambda: clock)
    tried.clear()
    through_middleware(**TOKEN)
    through_middleware(**TOKEN)
    assert "replica1" in tried


def test_every_replica_down_means_the_primary(monkeypatch):
    monkeypatch.setattr(replicas, "_usable", lambda alias: False)
    assert through_middleware(**TOKEN) is None


def test_without_replicas_nothing_is_routed_or_pinned(settings, monkeypatch):
    settings.REPLICA_ALIASES = []
    monkeypatch.setattr(replicas, "pin", lambda key: pytest.fail("pinned without replicas"))
    assert through_middleware(**TOKEN) is None
    assert through_middleware("post", **TOKEN) is None


@postgres_only
@pytest.mark.django_db
def test_an_unreachable_replica_is_skipped_within_the_connect_timeout(
    settings, pg_alias, silent_server, allow_extra_aliases, coach_client
):
    """A replica host that accepts TCP and never answers: the API read is answered by the primary within
    DB_CONNECT_TIMEOUT (libpq's minimum, 2 s, here), and the next read does not wait again."""
    pg_alias("silent", port=silent_server.port)
    settings.REPLICA_ALIASES = ["silent"]
    AthleteProfileFactory(display_name="From the primary")
    started = time.monotonic()
    response = coach_client.get(URL)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert "From the primary" in {row["displayName"] for row in response.json()["results"]}
    assert elapsed < settings.DB_CONNECT_TIMEOUT + 1, elapsed
    started = time.monotonic()
    assert coach_client.get(URL).status_code == 200
    assert time.monotonic() - started < 1.0


@postgres_only
@pytest.mark.django_db
def test_a_replica_that_goes_silent_on_a_persistent_connection_is_skipped_within_the_bound(
    settings, pg_alias, allow_extra_aliases
):
    """The connection was made (and kept), then the server stopped answering: the health check's SELECT 1 is
    cut at DB_CONNECT_TIMEOUT instead of waiting for TCP to give up."""
    from django.db import connections

    default = connections.settings["default"]
    proxy = StallingProxy((default["HOST"] or "127.0.0.1", int(default["PORT"] or 5432)), stall=False)
    try:
        settings.DB_CONNECT_TIMEOUT = 1
        pg_alias("frozen", port=proxy.port)
        connections.settings["frozen"].update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
        connections["frozen"].ensure_connection()
        assert replicas._usable("frozen") is True  # answering: kept
        proxy.stall_after_setup = True  # from now on the proxy swallows everything, both ways
        started = time.monotonic()
        assert replicas._usable("frozen") is False
        assert time.monotonic() - started < settings.DB_CONNECT_TIMEOUT + 1
    finally:
        connections["frozen"].close()
        proxy.close()
