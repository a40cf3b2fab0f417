"""POST /api/v1/auth/token/, /auth/logout/, GET /auth/me/, and 401 without credentials."""

import io
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from core.views import LoginFailureThrottle
from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "pass-word-123"  # UserFactory's


def login(client, username, password=PASSWORD, **extra):
    return client.post(TOKEN_URL, {"username": username, "password": password}, format="json", **extra)


def test_login_returns_token_and_expiry_and_the_token_authenticates():
    user = UserFactory(username="ada")
    before = timezone.now()
    response = login(APIClient(), "ada")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expiresAt"}
    assert body["expiresAt"].endswith("Z")
    expires = parse_datetime(body["expiresAt"])
    ttl = timedelta(hours=settings.AUTH_TOKEN_TTL_HOURS)
    assert before + ttl - timedelta(seconds=5) <= expires <= timezone.now() + ttl + timedelta(seconds=5)
    # Stored hashed: the plain token is not in the table.
    assert not AuthToken.objects.filter(digest=body["token"]).exists()
    assert AuthToken.objects.filter(user=user).count() == 1
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert client.get("/api/v1/auth/me/").json()["username"] == "ada"


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "ada", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "ada"},
        {},
        {"username": "ada", "password": "x" * 5000},
    ],
)
def test_bad_credentials_are_400_without_a_token(payload):
    UserFactory(username="ada")
    response = APIClient().post(TOKEN_URL, payload, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert AuthToken.objects.count() == 0


def test_inactive_user_cannot_log_in():
    user = UserFactory(username="ada")
    user.is_active = False
    user.save()
    assert login(APIClient(), "ada").status_code == 400


def test_repeated_failures_are_throttled_then_even_good_password_gets_429():
    UserFactory(username="ada")
    client = APIClient()
    limit = LoginFailureThrottle().num_requests
    for _ in range(limit):
        assert login(client, "ada", "wrong").status_code == 400
    response = login(client, "ada", "wrong")
    assert response.status_code == 429
    assert "Retry-After" in response.headers
    assert login(client, "ada").status_code == 429


def test_throttle_is_per_client_address():
    UserFactory(username="ada")
    limit = LoginFailureThrottle().num_requests
    for _ in range(limit):
        login(APIClient(), "ada", "wrong", REMOTE_ADDR="10.0.0.1")
    assert login(APIClient(), "ada", "wrong", REMOTE_ADDR="10.0.0.1").status_code == 429
    assert login(APIClient(), "ada", REMOTE_ADDR="10.0.0.2").status_code == 200


def test_forwarded_for_header_does_not_dodge_the_throttle():
    UserFactory(username="ada")
    limit = LoginFailureThrottle().num_requests
    for i in range(limit):
        login(APIClient(), "ada", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert login(APIClient(), "ada", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_normal_use_a_dozen_good_logins_a_minute_is_not_throttled():
    UserFactory(username="ada")
    client = APIClient()
    for _ in range(max(12, LoginFailureThrottle().num_requests + 5)):
        assert login(client, "ada").status_code == 200


def test_throttle_state_is_in_the_configured_cache():
    from django.core.cache import cache

    UserFactory(username="ada")
    login(APIClient(), "ada", "wrong")
    assert cache.get("throttle_login_127.0.0.1") is not None


def test_logout_revokes_the_token_in_use_only():
    user = UserFactory()
    client = bearer_client(user)
    other = bearer_client(user)
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert other.get("/api/v1/auth/me/").status_code == 200


def test_logout_without_credentials_is_401():
    assert APIClient().post("/api/v1/auth/logout/").status_code == 401


def test_expired_token_is_401():
    user = UserFactory()
    client = bearer_client(user)
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_garbage_token_is_401_with_www_authenticate():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_me_for_athlete_coach_and_user_without_profile(coach):
    profile = AthleteProfileFactory()
    body = bearer_client(profile.user).get("/api/v1/auth/me/").json()
    assert body == {
        "id": profile.user.pk,
        "username": profile.user.username,
        "isStaff": False,
        "athleteId": str(profile.pk),
        "roles": ["athlete"],
    }
    body = bearer_client(coach).get("/api/v1/auth/me/").json()
    assert body["isStaff"] is True and body["athleteId"] is None
    assert body["roles"] == ["head_coach", "operations"]
    body = bearer_client(UserFactory()).get("/api/v1/auth/me/").json()
    assert body["athleteId"] is None and body["roles"] == []


def test_session_login_is_accepted(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/api/v1/auth/me/").json()["id"] == user.pk


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/auth/me/",
        "/api/v1/athletes/",
        "/api/v1/programs/",
        "/api/v1/phases/",
        "/api/v1/micro-cycles/",
        "/api/v1/sessions/",
        "/api/v1/connection-profiles/",
        "/api/v1/health-events/",
        "/api/v1/programs/0190d7a0-0000-7000-8000-000000000000/",
    ],
)
def test_no_credentials_is_401_with_www_authenticate_everywhere(path):
    for method in ("get", "post", "patch", "put", "delete"):
        response = getattr(APIClient(), method)(path, {}, format="json")
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["detail"]


# --- token housekeeping: one query per authenticated request; expired tokens pruned at login and by command ---


def test_an_authenticated_request_reads_the_token_table_once(django_assert_num_queries):
    user = UserFactory()
    client = bearer_client(user)
    AuthToken.objects.create(user=user)  # another token of the user's: knox used to read them all per request
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/auth/me/").status_code == 200
    token_queries = [q["sql"] for q in ctx.captured_queries if "knox_authtoken" in q["sql"]]
    assert len(token_queries) == 1, token_queries


def _expired_token(user):
    instance, _ = AuthToken.objects.create(user=user)
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    return instance.pk


def test_a_request_leaves_other_expired_tokens_and_a_login_prunes_its_users():
    user, other = UserFactory(username="ada"), UserFactory()
    client = bearer_client(user)
    mine, theirs = _expired_token(user), _expired_token(other)
    assert client.get("/api/v1/auth/me/").status_code == 200
    assert AuthToken.objects.filter(pk=mine).exists()  # no write on a read
    assert login(APIClient(), "ada").status_code == 200
    assert not AuthToken.objects.filter(pk=mine).exists()
    assert AuthToken.objects.filter(pk=theirs).exists()  # someone else's login prunes only its own
    assert client.get("/api/v1/auth/me/").status_code == 200  # the live token is untouched


def test_an_expired_token_used_is_refused_and_deleted():
    user = UserFactory()
    client = bearer_client(user)
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    assert client.get("/api/v1/auth/me/").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_prunetokens_deletes_every_expired_token_and_keeps_live_ones():
    users = UserFactory.create_batch(2)
    expired = [_expired_token(u) for u in users]
    live, _ = AuthToken.objects.create(user=users[0])
    out = io.StringIO()
    call_command("prunetokens", stdout=out)
    assert "Deleted 2 expired token(s)." in out.getvalue()
    assert not AuthToken.objects.filter(pk__in=expired).exists()
    assert AuthToken.objects.filter(pk=live.pk).exists()
