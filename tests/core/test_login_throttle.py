"""Failed logins are counted atomically before the password is hashed (parallel attempts cannot slip past the
limit), in the configured cache (local memory or Redis); the admin's login page is throttled by the same
allowance; and each process hashes at most LOGIN_HASH_CONCURRENCY passwords at once, whatever the addresses.

The hasher is counted for real: CountingHasher is the suite's MD5 hasher, counting every hash and how many ran
at once (with an optional delay standing in for PBKDF2's cost)."""

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connections
from django.test import Client, override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

import core.auth
from core.auth import HashGate, LoginsBusy
from core.throttle import LoginAttempts, client_bucket
from core.views import LoginFailureThrottle
from tests.support.factories.athletes import StaffFactory, UserFactory

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


class CountingHasher(MD5PasswordHasher):
    """MD5 (stored hashes stay valid), counting each hash: `verify` and `make_password` both go through
    `encode`, once per password checked or hashed."""

    lock = threading.Lock()
    calls = 0
    running = 0
    most_at_once = 0
    delay = 0.0

    @classmethod
    def reset(cls, delay: float = 0.0) -> None:
        cls.calls = cls.running = cls.most_at_once = 0
        cls.delay = delay

    def encode(self, password, salt):
        cls = type(self)
        with cls.lock:
            cls.calls += 1
            cls.running += 1
            cls.most_at_once = max(cls.most_at_once, cls.running)
        try:
            time.sleep(cls.delay)
            return super().encode(password, salt)
        finally:
            with cls.lock:
                cls.running -= 1


@pytest.fixture
def hasher():
    with override_settings(PASSWORD_HASHERS=[f"{__name__}.CountingHasher"]):
        CountingHasher.reset()
        yield CountingHasher
    CountingHasher.reset()


def _burst(n: int, attempt) -> list:
    """`attempt(i)` in n threads released at once; each thread closes its database connection."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return attempt(i)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


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
@override_settings(LOGIN_HASH_CONCURRENCY=64)  # the allowance alone is under test here, not the hash bound
def test_a_burst_of_bad_logins_from_one_address_hashes_at_most_the_allowance(small_limit, any_cache, hasher):
    """60 wrong passwords at once from one address: LIMIT reach the hasher (400), the rest are 429 unhashed."""
    UserFactory(username="ada")
    hasher.reset()

    def attempt(_):
        return APIClient().post(TOKEN_URL, {"username": "ada", "password": "wrong"}, format="json").status_code

    statuses = _burst(60, attempt)
    assert statuses.count(400) == LIMIT, statuses
    assert statuses.count(429) == 60 - LIMIT
    assert hasher.calls == LIMIT


@pytest.mark.django_db
def test_a_throttled_attempt_is_429_with_retry_after_and_hashes_nothing(small_limit, hasher):
    UserFactory(username="ada")
    client = APIClient()
    for _ in range(LIMIT):
        assert client.post(TOKEN_URL, {"username": "ada", "password": "no"}, format="json").status_code == 400
    hasher.reset()
    for password in ("no", PASSWORD):  # the right password too: it is refused before it is checked
        response = client.post(TOKEN_URL, {"username": "ada", "password": password}, format="json")
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 60
    response = _admin_login(Client(), "ada", PASSWORD)
    assert response.status_code == 429
    assert hasher.calls == 0


@pytest.mark.django_db
def test_a_dozen_logins_a_minute_from_one_address_pass_at_the_configured_rate(hasher):
    """Normal use at the real rate and hash bound: a dozen logins in a minute, two mistyped, none refused."""
    UserFactory(username="ada")
    hasher.reset()
    client = APIClient()
    statuses = [
        client.post(TOKEN_URL, {"username": "ada", "password": "typo" if i in (3, 7) else PASSWORD}).status_code
        for i in range(12)
    ]
    assert statuses == [400 if i in (3, 7) else 200 for i in range(12)]
    assert hasher.calls == 12


@pytest.mark.django_db
def test_an_unknown_username_costs_one_hash_like_a_known_one(hasher):
    """Timing does not tell which usernames exist: an unknown one is hashed once, as a wrong password is."""
    UserFactory(username="ada")
    for username in ("ada", "nobody"):
        hasher.reset()
        response = APIClient().post(TOKEN_URL, {"username": username, "password": "wrong"}, format="json")
        assert response.status_code == 400
        assert hasher.calls == 1


# --- At most LOGIN_HASH_CONCURRENCY hashes at once per process --------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("slots", [1, 2])
def test_a_burst_from_many_addresses_hashes_at_most_the_bound_at_once(hasher, slots):
    """40 logins at once, each from its own address (so no allowance is used up), half for unknown usernames:
    never more than `slots` hashes at once; the logins that find no slot are 503 with Retry-After, unhashed."""
    UserFactory(username="ada")
    hasher.reset(delay=0.2)  # a hash that takes time, as PBKDF2's does

    def attempt(i):
        username = "ada" if i % 2 else f"nobody-{i}"
        return APIClient().post(
            TOKEN_URL, {"username": username, "password": "wrong"}, format="json", REMOTE_ADDR=f"203.0.113.{i + 1}"
        )

    with override_settings(LOGIN_HASH_CONCURRENCY=slots):
        responses = _burst(40, attempt)
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {400, 503}, statuses
    assert hasher.most_at_once == slots
    assert statuses.count(400) == hasher.calls
    busy = [r for r in responses if r.status_code == 503]
    assert busy
    for response in busy:
        assert response["Retry-After"] == "1"
        assert response.json() == {"detail": "Too many logins are being checked at once; retry in a moment."}


@pytest.fixture
def held_gate(monkeypatch):
    """The process's only hashing slot, held by the test for as long as it runs: a login waits 50 ms for it,
    then is refused."""
    gate = HashGate(1, wait=0.05)
    monkeypatch.setattr(core.auth, "hash_gate", lambda: gate)
    with gate.slot():
        yield gate


@pytest.mark.django_db
def test_a_login_that_finds_no_hashing_slot_is_503_and_gets_no_token(held_gate, hasher):
    UserFactory(username="ada")
    hasher.reset()
    started = time.monotonic()
    response = APIClient().post(TOKEN_URL, {"username": "ada", "password": PASSWORD}, format="json")
    assert time.monotonic() - started < 1  # refused at once, not queued
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response.json()["detail"].startswith("Too many logins")
    assert hasher.calls == 0
    assert AuthToken.objects.count() == 0


@pytest.mark.django_db
def test_the_admin_login_that_finds_no_hashing_slot_is_a_503_page(held_gate, hasher):
    StaffFactory(username="boss")
    hasher.reset()
    client = Client()
    response = _admin_login(client, "boss", PASSWORD)
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert b"Too many logins are being checked at once" in response.content
    assert "_auth_user_id" not in client.session
    assert hasher.calls == 0


def test_the_gate_lets_one_login_wait_for_the_slot_and_refuses_the_next_at_once():
    gate = HashGate(1, wait=2.0)
    first_in, first_out = threading.Event(), threading.Event()
    results = []

    def first():
        with gate.slot():
            first_in.set()
            first_out.wait(5)

    def second():
        with gate.slot():
            results.append(time.monotonic())

    a = threading.Thread(target=first)
    a.start()
    first_in.wait(5)
    b = threading.Thread(target=second)
    b.start()
    time.sleep(0.1)  # b is now waiting for the slot
    started = time.monotonic()
    with pytest.raises(LoginsBusy), gate.slot():
        pass
    assert time.monotonic() - started < 0.1  # no third place: refused without waiting
    released = time.monotonic()
    first_out.set()
    a.join()
    b.join()
    assert results and results[0] >= released  # the waiter got the slot once it was free
    with gate.slot():  # and everything was given back
        pass


def test_the_gate_refuses_a_waiter_after_its_wait():
    gate = HashGate(1, wait=0.2)
    with gate.slot():
        started = time.monotonic()
        with pytest.raises(LoginsBusy), gate.slot():
            pass
        assert 0.2 <= time.monotonic() - started < 1


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


@pytest.mark.django_db(transaction=True)
def test_the_async_login_path_goes_through_the_same_gate(held_gate, hasher):
    from asgiref.sync import async_to_sync
    from django.contrib.auth import aauthenticate

    with pytest.raises(LoginsBusy):
        async_to_sync(aauthenticate)(None, username="nobody", password="wrong")
    assert hasher.calls == 0


# --- Who "one client" is: client_bucket, shared with the calendar feed ------------------------------------------


@pytest.mark.parametrize(
    ("remote_addr", "bucket"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),  # an IPv4 client seen through a dual-stack socket
        ("2001:db8:1:2::1", "2001:db8:1:2::"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::"),
        ("2001:db8:1:3::1", "2001:db8:1:3::"),
        ("fe80::1%eth0", "fe80::"),
        ("not-an-address", "unknown"),
        ("", "unknown"),
        ("1.2.3.4.5", "unknown"),
    ],
)
def test_a_client_is_its_ipv4_address_or_its_ipv6_64(rf, remote_addr, bucket):
    assert client_bucket(rf.post(TOKEN_URL, REMOTE_ADDR=remote_addr)) == bucket


def test_behind_proxies_the_bucket_is_the_forwarded_address_grouped_the_same_way(rf, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}  # DRF reloads its settings
    # The one proxy appends the address it saw; what the client put before it is not believed.
    request = rf.post(TOKEN_URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1, 2001:db8:1:2::77")
    assert client_bucket(request) == "2001:db8:1:2::"
    request = rf.post(TOKEN_URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="garbage")
    assert client_bucket(request) == "unknown"


def _bad_login(remote_addr: str, **extra):
    return APIClient().post(
        TOKEN_URL, {"username": "root", "password": "guess"}, format="json", REMOTE_ADDR=remote_addr, **extra
    )


@pytest.mark.django_db
def test_forty_bad_logins_from_forty_addresses_of_one_64_are_throttled_after_the_allowance():
    """The configured allowance (30/min unless LOGIN_THROTTLE_RATE says otherwise), shared by the whole /64."""
    UserFactory(username="root")
    allowance = LoginFailureThrottle().num_requests
    statuses = [_bad_login(f"2001:db8:1:2::{i + 1:x}").status_code for i in range(40)]
    assert statuses == [400] * allowance + [429] * (40 - allowance)
    # Neither an IPv4 client nor another /64 pays for it: the right password still works from there.
    assert _bad_login("203.0.113.9").status_code == 400
    for address in ("203.0.113.9", "2001:db8:1:3::1"):
        assert login_as(address).status_code == 200
    # Inside the /64, even the right password waits for the window.
    assert login_as("2001:db8:1:2:abcd::1").status_code == 429


def login_as(remote_addr: str):
    return APIClient().post(
        TOKEN_URL, {"username": "root", "password": PASSWORD}, format="json", REMOTE_ADDR=remote_addr
    )


@pytest.mark.django_db
def test_the_admin_login_counts_a_64_as_one_client(small_limit):
    StaffFactory(username="boss")
    for i in range(LIMIT):
        assert _admin_login(Client(), "boss", "wrong", REMOTE_ADDR=f"2001:db8:9:9::{i + 1:x}").status_code == 200
    assert _admin_login(Client(), "boss", PASSWORD, REMOTE_ADDR="2001:db8:9:9:1::1").status_code == 429
    assert _admin_login(Client(), "boss", PASSWORD, REMOTE_ADDR="2001:db8:9:a::1").status_code == 302


@pytest.mark.django_db
def test_an_ipv4_mapped_address_shares_the_ipv4_clients_allowance(small_limit):
    UserFactory(username="root")
    for _ in range(LIMIT):
        assert _bad_login("198.51.100.20").status_code == 400
    assert login_as("::ffff:198.51.100.20").status_code == 429
