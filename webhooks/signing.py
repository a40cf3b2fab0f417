"""Standard Webhooks signatures: `v1,` + base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}"))."""

from __future__ import annotations

import base64
import hashlib
import hmac

from .models import SECRET_PREFIX


def secret_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(*, secret: str, msg_id: str, timestamp: int, body: str) -> str:
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()).decode()


def headers(*, secret: str, msg_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The request headers of one attempt."""
    return {
        "content-type": "application/json",
        "user-agent": "Cadence-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body),
    }
