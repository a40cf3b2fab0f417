"""CORS: browsers on the origins of CORS_ALLOWED_ORIGINS may call /api/ (preflight without credentials answered
before authentication; ETag and Retry-After readable); any other origin, and every path outside /api/, gets no
CORS headers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import override_settings

from tests.support.factories.training import TrainingSessionFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
APP = "https://app.example.com"
ALLOWED = override_settings(CORS_ALLOWED_ORIGINS=[APP, "http://localhost:5173"])
REQUEST_HEADERS = "authorization, content-type, if-match, idempotency-key"


def _cors_headers(response) -> dict:
    return {
        name.lower(): value for name, value in response.headers.items() if name.lower().startswith("access-control")
    }


def _preflight(client, path, origin=APP, method="PATCH"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=REQUEST_HEADERS,
    )


def _listed(value: str) -> set[str]:
    return {item.strip().lower() for item in value.split(",")}


@ALLOWED
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sessions/",
        "/api/v1/sessions",  # without the slash: answered, not redirected
        "/api/v1/sessions/0190a1b2-0000-7000-8000-000000000000/",
        "/api/v1/sessions/0190a1b2-0000-7000-8000-000000000000",
        "/api/v1/auth/token/",
    ],
)
def test_preflight_from_an_allowed_origin_is_answered_without_credentials(anon_client, path):
    response = _preflight(anon_client, path)
    assert 200 <= response.status_code < 300, response.content  # not the 401 authentication would give
    headers = _cors_headers(response)
    assert headers["access-control-allow-origin"] == APP
    assert {"authorization", "content-type", "if-match", "idempotency-key"} <= _listed(
        headers["access-control-allow-headers"]
    )
    assert {"get", "post", "put", "patch"} <= _listed(headers["access-control-allow-methods"])
    assert "access-control-allow-credentials" not in headers  # Bearer tokens, never cookies
    assert int(headers["access-control-max-age"]) > 0


@ALLOWED
def test_a_second_allowed_origin_is_echoed_as_itself(anon_client):
    response = _preflight(anon_client, "/api/v1/programs/", origin="http://localhost:5173", method="POST")
    assert response["Access-Control-Allow-Origin"] == "http://localhost:5173"


@ALLOWED
def test_a_real_request_from_an_allowed_origin_exposes_etag_and_retry_after(coach_client, athlete):
    session = TrainingSessionFactory(program__athlete=athlete)
    response = coach_client.get(f"/api/v1/sessions/{session.pk}/", HTTP_ORIGIN=APP)
    assert response.status_code == 200 and response["ETag"]
    assert response["Access-Control-Allow-Origin"] == APP
    assert {"etag", "retry-after", "idempotent-replayed"} <= _listed(response["Access-Control-Expose-Headers"])
    assert "origin" in _listed(response["Vary"])  # caches keep one answer per origin


@ALLOWED
def test_an_error_answer_is_readable_by_an_allowed_origin(anon_client):
    response = anon_client.get("/api/v1/sessions/", HTTP_ORIGIN=APP)
    assert response.status_code == 401
    assert response["Access-Control-Allow-Origin"] == APP  # the page can read the 401 and sign in


@ALLOWED
def test_a_503_during_an_outage_is_readable_with_its_retry_after(coach_client, monkeypatch):
    from training.views import TrainingSessionViewSet

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(TrainingSessionViewSet, "list", database_gone)
    response = coach_client.get("/api/v1/sessions/", HTTP_ORIGIN=APP)
    assert response.status_code == 503 and response["Retry-After"]
    assert response["Access-Control-Allow-Origin"] == APP
    assert "retry-after" in _listed(response["Access-Control-Expose-Headers"])


@ALLOWED
@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "http://app.example.com",  # another scheme is another origin
        "https://app.example.com:8443",  # another port too
        "https://app.example.com.evil.com",
        "null",
    ],
)
def test_other_origins_get_no_cors_headers(anon_client, coach_client, origin):
    assert _cors_headers(_preflight(anon_client, "/api/v1/sessions/", origin=origin)) == {}
    assert _cors_headers(coach_client.get("/api/v1/sessions/", HTTP_ORIGIN=origin)) == {}


def test_no_origin_is_allowed_by_default(anon_client, coach_client):
    assert _cors_headers(_preflight(anon_client, "/api/v1/sessions/")) == {}
    assert _cors_headers(coach_client.get("/api/v1/sessions/", HTTP_ORIGIN=APP)) == {}


@ALLOWED
@pytest.mark.parametrize("path", ["/health/live", "/health/db", "/admin/login/"])
def test_paths_outside_the_api_are_unaffected(client, path):
    plain = client.get(path)
    from_origin = client.get(path, HTTP_ORIGIN=APP)
    assert from_origin.status_code == plain.status_code
    assert _cors_headers(from_origin) == {}
    assert _cors_headers(_preflight(client, path, method="GET")) == {}


@pytest.mark.parametrize(
    "value",
    [
        "https://app.example.com/",  # a trailing slash never matches a browser's Origin
        "https://app.example.com/path",
        "app.example.com",
        "*",
        "https://App.Example.com",
        "ftp://app.example.com",
    ],
)
def test_a_malformed_origin_refuses_to_start(value):
    result = _import_settings(value)
    assert result.returncode != 0
    assert "CORS_ALLOWED_ORIGINS" in result.stderr and repr(value) in result.stderr


def test_well_formed_origins_start():
    result = _import_settings("https://app.example.com, http://localhost:5173,http://[::1]:8080")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["https://app.example.com", "http://localhost:5173", "http://[::1]:8080"]


def _import_settings(origins: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DEBUG": "False",
        "APP_ENVIRONMENT": "development",
        "SECRET_KEY": "tests-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",
        "CORS_ALLOWED_ORIGINS": origins,
    }
    code = "import config.settings as s; print(*s.CORS_ALLOWED_ORIGINS)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=60
    )
