"""/health/* answer write methods with the health+json 405 and Allow under real CSRF checks (the test client
skips CSRF unless told, and so does nothing a live server does)."""

import json
import urllib.error
import urllib.request

import pytest
from django.test import Client

PATHS = ["/health/live", "/health/db"]
WRITES = ["POST", "PUT", "PATCH", "DELETE"]


@pytest.mark.parametrize("method", WRITES)
@pytest.mark.parametrize("path", PATHS)
def test_write_methods_are_health_json_405_with_csrf_enforced(db, path, method):
    client = Client(enforce_csrf_checks=True)
    response = client.generic(method, path)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/health+json"
    assert response["Allow"] == "GET, HEAD"
    assert json.loads(response.content)["status"] == "fail"


@pytest.mark.parametrize("path", PATHS)
def test_write_with_a_csrf_token_and_cookie_is_the_same_405(db, path):
    client = Client(enforce_csrf_checks=True)
    client.get("/admin/login/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(path, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/health+json"


@pytest.mark.parametrize("path", PATHS)
def test_write_with_a_wrong_csrf_token_is_still_a_405_not_a_403(db, path):
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "x" * 32
    response = client.post(path, HTTP_X_CSRFTOKEN="y" * 32)
    assert response.status_code == 405


def test_get_is_unaffected_under_csrf(db):
    assert Client(enforce_csrf_checks=True).get("/health/live").status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("method", WRITES)
def test_write_methods_through_a_live_server(live_server, method):
    for path in PATHS:
        request = urllib.request.Request(f"{live_server.url}{path}", method=method, data=b"")  # noqa: S310 (local)
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=30)  # noqa: S310 (a local test server)
        assert caught.value.code == 405
        assert caught.value.headers["Content-Type"] == "application/health+json"
        assert caught.value.headers["Allow"] == "GET, HEAD"
