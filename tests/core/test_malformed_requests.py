"""Malformed requests get a 4xx, never a 500: JSON nested too deeply (on every endpoint that takes a body,
login included) and Authorization headers whose bytes are not a token (on every /api/v1/ path, through a
live server so the raw bytes reach the app as a real client sends them)."""

import re
import socket
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.parsers import MAX_JSON_DEPTH, json_depth_exceeds


def _operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = []
    for path, item in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        ops += [(method.upper(), concrete) for method in item if method in ("get", "post", "put", "patch", "delete")]
    return ops


OPERATIONS = _operations()
# Logout takes no body (it never reads one).
WRITES = [(m, p) for m, p in OPERATIONS if m in ("POST", "PUT", "PATCH") and p != "/api/v1/auth/logout/"]


def test_the_fuzzed_paths_cover_the_api():
    paths = {p for _, p in OPERATIONS}
    assert "/api/v1/auth/token/" in paths
    assert any(p.startswith("/api/v1/sessions/") for p in paths)
    assert len(WRITES) >= 10


def _nested_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def _nested_object(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "body", [_nested_list(500), _nested_object(500), _nested_list(100_000)], ids=["list500", "object500", "list100k"]
)
@pytest.mark.parametrize(("method", "path"), WRITES)
def test_deeply_nested_json_is_400_on_every_write(coach_client, method, path, body):
    response = coach_client.generic(method, path, body, content_type="application/json")
    if response.status_code == 404:  # a detail path whose (random) id names no row: the body is never read
        assert "{" in path or re.search(r"[0-9a-f]{8}-", path)
        return
    assert response.status_code == 400, (method, path, response.status_code)
    assert "nested deeper" in response.json()["detail"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_deeply_nested_json_is_400_on_an_existing_detail(coach_client, athlete, method):
    path = f"/api/v1/athletes/{athlete.pk}/"
    response = coach_client.generic(method, path, _nested_object(500), content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


def test_deeply_nested_login_is_400_for_anyone(db):
    response = APIClient().generic("POST", "/api/v1/auth/token/", _nested_object(500), content_type="application/json")
    assert response.status_code == 400


def test_nesting_at_the_limit_is_parsed_and_one_more_level_is_not(coach_client):
    ok = '{"displayName": ' + _nested_list(MAX_JSON_DEPTH - 1) + "}"
    response = coach_client.generic("POST", "/api/v1/athletes/", ok, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" not in str(response.json())  # judged by the serializer, not refused by the parser
    too_deep = '{"displayName": ' + _nested_list(MAX_JSON_DEPTH) + "}"
    response = coach_client.generic("POST", "/api/v1/athletes/", too_deep, content_type="application/json")
    assert "nested deeper" in response.json()["detail"]


def test_depth_counter():
    assert not json_depth_exceeds({"a": [1, {"b": 2}]}, 3)
    assert json_depth_exceeds({"a": [1, {"b": [2]}]}, 3)
    assert not json_depth_exceeds("text", 0)


# --- raw header bytes through a live server -----------------------------------------------------------------

BAD_AUTHORIZATIONS = [
    b"Bearer \xff",
    b"Bearer \xc3\xa9\xc3\xa9",  # valid UTF-8, not ASCII
    b"Bearer \x80" + b"a" * 63,
    b"Bearer " + b"a" * 63 + b"\xfe",
    b"Bearer \xef\xbb\xbf" + b"a" * 64,  # a BOM before a token-shaped value
    b"Bearer a-b_c.d",
    b"Bearer " + b"f" * 5000,
    b"\xff\xfe \xff",
    b"bearer \xff",
]


def _raw_request(base: str, method: str, path: str, authorization: bytes) -> int:
    host, port = base.removeprefix("http://").split(":")
    body = b"{}" if method in ("POST", "PUT", "PATCH") else b""
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + b"Authorization: " + authorization + b"\r\n\r\n" + body)
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    return int(response.split(b" ", 2)[1])


@pytest.mark.django_db(transaction=True)
def test_authorization_header_bytes_are_401_on_every_api_path(live_server):
    failures = []
    for method, path in OPERATIONS:
        for authorization in BAD_AUTHORIZATIONS:
            status = _raw_request(live_server.url, method, path, authorization)
            expected_ok = status == 401 or (path == "/api/v1/auth/token/" and status == 400)  # login ignores it
            if not expected_ok:
                failures.append((method, path, authorization[:20], status))
    assert not failures, failures
