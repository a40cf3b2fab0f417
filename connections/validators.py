"""Validation for connection-profile fields. A credential reference names where a secret lives; it must
never be the secret itself.

Messages never repeat the value: a pasted secret must not be echoed back into a response, a log or a form.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

validate_environment_key = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,39}\Z",
    "Use 1–40 lowercase letters, digits, '_' or '-', starting with a letter or digit.",
    code="invalid_environment",
)

# scheme://user:password@host (any scheme, any userinfo with a colon before the @).
_URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^@\s/?#]*:[^@\s]*@", re.IGNORECASE)
_URL = re.compile(r"[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# password=..., secret: ..., PGPASSWORD=..., api_key=... (also inside URLs' query strings).
_SECRET_KEY = r"(?:[a-z0-9_]*(?:password|passwd|passwort|pwd|secret|token|api[_-]?key|private[_-]?key))"  # noqa: S105
_SECRET_PAIR = re.compile(_SECRET_KEY + r"\s*(?:=|:\s)", re.IGNORECASE)
_SECRET_ASSIGN = re.compile(_SECRET_KEY + r"\s*=", re.IGNORECASE)
# libpq key=value connection strings.
_DSN_KEYWORDS = re.compile(r"(?:^|\s)(?:host|hostaddr|dbname|user|port|sslmode|service)\s*=", re.IGNORECASE)
_PEM = re.compile(r"-----BEGIN [A-Z ]+-----")

_ENV_REFERENCE = re.compile(r"env:[A-Za-z_][A-Za-z0-9_]{0,127}\Z")
_PATH_REFERENCE = re.compile(
    r"(?:vault|aws-sm|gcp-sm|azure-kv|file|k8s-secret):[A-Za-z0-9_/][A-Za-z0-9_./:#-]{0,239}\Z"
)

SECRET_MESSAGE = (
    "This looks like a secret (a password, token or key). Store a reference to where it lives instead, "  # noqa: S105
    "e.g. env:DATABASE_URL or vault:secret/data/db/prod."
)
DSN_MESSAGE = "A connection string is not a reference. Use e.g. env:DATABASE_URL or vault:secret/data/db/prod."
FORMAT_MESSAGE = (
    "Use a reference of the form <kind>:<path> where kind is one of env, vault, aws-sm, gcp-sm, azure-kv, "
    "file, k8s-secret (e.g. env:DATABASE_URL; env: takes a variable name)."
)


def credential_ref_problem(value: str) -> str | None:
    """The validation code for `value` ('credential_is_secret', 'credential_is_dsn',
    'invalid_credential_ref'), or None when it is an acceptable reference."""
    if not isinstance(value, str) or not value:
        return "invalid_credential_ref"
    # Order matters: anything that carries a secret is called a secret, whatever else it is.
    if _URL_WITH_PASSWORD.search(value) or _SECRET_ASSIGN.search(value) or _PEM.search(value):
        return "credential_is_secret"
    if _URL.search(value) or _DSN_KEYWORDS.search(value):
        return "credential_is_dsn"
    if _ENV_REFERENCE.match(value) or _PATH_REFERENCE.match(value):
        return None
    if _SECRET_PAIR.search(value):
        return "credential_is_secret"
    return "invalid_credential_ref"


_MESSAGES = {
    "credential_is_secret": SECRET_MESSAGE,
    "credential_is_dsn": DSN_MESSAGE,
    "invalid_credential_ref": FORMAT_MESSAGE,
}


def validate_credential_ref(value: str) -> None:
    """Accept `kind:path` references (`env:DATABASE_URL`, `vault:secret/data/db/prod`); reject secrets,
    connection strings and anything else, without repeating the value."""
    problem = credential_ref_problem(value)
    if problem is not None:
        raise ValidationError(_MESSAGES[problem], code=problem)


SQLITE_SUFFIXES = (".sqlite3", ".sqlite", ".db")


def names_sqlite_file(database: str) -> bool:
    """Whether a profile's `database` names a SQLite database (a file such as db.sqlite3, a path, a `file:`
    URI or `:memory:`) rather than a PostgreSQL database name: only those profiles may leave the host blank."""
    name = database.strip()
    return name == ":memory:" or name.startswith("file:") or "/" in name or name.lower().endswith(SQLITE_SUFFIXES)
