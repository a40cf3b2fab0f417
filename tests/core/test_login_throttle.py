"""Failed logins are counted atomically (parallel attempts cannot slip past the limit), in the configured cache
(local memory or Redis), and the admin's login page is throttled by the same allowance."""

import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client, override_settings
from rest_framework.test import APIClient

from core.throttle import LoginAttempts
from core.views import LoginFailureThrottle
from tests.athletes.factories import StaffFactory, UserFactory

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "pass-word-123"  # UserFactory's
LIMIT = 5


@pytest.fixture
def small_limit(monkeypatch):
    # DRF reads throttle rates at import; the class attribute is what each instance uses.
    monkeypatch.setattr(LoginAttempts, "THROTTLE_RATES", {"login": f"{LIMIT}/min"})


def _redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/13",
        "KEY_PREFIX": "cadence-faults-tests",
    }
}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttle-tests"}}


@pytest.fixture(params=["locmem", "redis"])
def any_cache(request):
    if request.param == "redis" and not _redis_available():
        pytest.skip("no Redis at 127.0.0.1:6379")
    with override_settings(CACHES=REDIS if request.param == "redis" else LOCMEM):
        from django.core.cache import cache

        cache.clear()
        yield cache
        cache.clear()


def test_parallel_attempts_take_exactly_the_allowance(small_limit, any_cache, rf):
    """The counter alone, 64 threads released at once: exactly LIMIT are let through."""
    barrier = threading.Barrier(64)

    def attempt(_):
        barrier.wait()
        return LoginAttempts().take(rf.post(TOKEN_URL, REMOTE_ADDR="198.51.100.9")).allowed

    with ThreadPoolExecutor(64) as pool:
        allowed = list(pool.map(attempt, range(64)))
    assert allowed.count(True) == LIMIT


@pytest.mark.django_db(transaction=True)
def test_parallel_bad_logins_are_judged_at_most_limit_times(small_limit, any_cache):
    """Through the endpoint: 40 wrong passwords at once from one address, LIMIT judged (400), the rest 429."""
    UserFactory(username="ada")
    barrier = threading.Barrier(40)

    def attempt(_):
        client = APIClient()
        barrier.wait()
        try:
            return client.post(TOKEN_URL, {"username": "ada", "password": "wrong"}, format="json").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(attempt, range(40)))
    assert statuses.count(400) == LIMIT, statuses
    assert statuses.count(429) == 40 - LIMIT


@pytest.mark.django_db
def test_successful_logins_give_their_slot_back(small_limit, any_cache):
    UserFactory(username="ada")
    client = APIClient()
    for _ in range(LIMIT * 3):
        assert client.post(TOKEN_URL, {"username": "ada", "password": PASSWORD}, format="json").status_code == 200
    for _ in range(LIMIT):
        assert client.post(TOKEN_URL, {"username": "ada", "password": "no"}, format="json").status_code == 400
    response = client.post(TOKEN_URL, {"username": "ada", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_api_throttle_is_the_shared_counter():
    assert issubclass(LoginFailureThrottle, LoginAttempts)


# --- /admin/login/ ----------------------------------------------------------------------------------------


def _admin_login(client, username, password, **extra):
    return client.post("/admin/login/", {"username": username, "password": password}, **extra)


@pytest.mark.django_db
def test_admin_login_is_throttled_after_the_allowance_then_even_the_right_password_is_429(small_limit):
    StaffFactory(username="boss")
    client = Client()
    for _ in range(LIMIT):
        response = _admin_login(client, "boss", "wrong")
        assert response.status_code == 200  # the form again, with its error
    response = _admin_login(client, "boss", "wrong")
    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert int(response["Retry-After"]) >= 1
    assert _admin_login(client, "boss", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_login_works_below_the_allowance_and_success_is_not_counted(small_limit):
    StaffFactory(username="boss")
    for _ in range(LIMIT * 2):
        client = Client()
        response = _admin_login(client, "boss", PASSWORD)
        assert response.status_code == 302
        assert "_auth_user_id" in client.session
    assert Client().get("/admin/login/").status_code == 200  # GETs are never counted


@pytest.mark.django_db
def test_admin_and_api_share_the_allowance(small_limit):
    StaffFactory(username="boss")
    api = APIClient()
    for _ in range(LIMIT):
        api.post(TOKEN_URL, {"username": "boss", "password": "wrong"}, format="json")
    assert _admin_login(Client(), "boss", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_admin_login_throttle_is_per_address(small_limit):
    StaffFactory(username="boss")
    for _ in range(LIMIT + 1):
        _admin_login(Client(), "boss", "wrong", REMOTE_ADDR="10.0.0.1")
    assert _admin_login(Client(), "boss", PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_admin_login_still_requires_csrf(small_limit):
    StaffFactory(username="boss")
    response = _admin_login(Client(enforce_csrf_checks=True), "boss", PASSWORD)
    assert response.status_code == 403
