"""API clients as the tests' callers: a Bearer client for any user, and the anonymous one."""

from knox.models import AuthToken
from rest_framework.test import APIClient


def bearer_client(user) -> APIClient:
    """An APIClient that sends `Authorization: Bearer <token>` for a freshly issued knox token."""
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.user = user
    return client


def anonymous_client() -> APIClient:
    """An APIClient without credentials."""
    return APIClient()
