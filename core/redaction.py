"""Secrets out of text: what Cadence writes into health events, logs and command output passes through here.

A database error can quote a connection string or a password; `sanitize` masks URL passwords, `password=...`
style pairs and every literal secret it is given, and `settings_secrets` lists the literal secrets of a
DATABASES entry. The database check (connections) and the health events (health) both use them, so there is
one way to redact and it lives in the base layer.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"

_URL_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@\s]*@", re.IGNORECASE)
_SECRET_PAIR = re.compile(
    r"(?P<key>\b(?:password|passwd|pwd|pgpassword|secret|token|api[_-]?key)\b\s*[=:]\s*)"
    r"(?P<value>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|[^\s,;&'\"]+)",
    re.IGNORECASE,
)


def sanitize(text: str, *, secrets: tuple[str, ...] = ()) -> str:
    """Return `text` with URL passwords, `password=...`-style pairs and every known secret masked."""
    if not text:
        return text
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _URL_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    return _SECRET_PAIR.sub(lambda m: f"{m['key']}{MASK}", text)


def settings_secrets(db_settings: dict[str, Any]) -> tuple[str, ...]:
    """The literal secrets in a DATABASES entry, to be masked wherever text could carry them."""
    found = [db_settings.get("PASSWORD") or ""]
    options = db_settings.get("OPTIONS") or {}
    found.append(str(options.get("password") or ""))
    return tuple(s for s in found if s)


def error_text(exc: BaseException, *, secrets: tuple[str, ...] = ()) -> str:
    """An exception as one sanitized line (libpq messages span lines; an event message or a log line is one),
    its class name when it has no message."""
    return sanitize(" ".join(str(exc).split()) or type(exc).__name__, secrets=secrets)
