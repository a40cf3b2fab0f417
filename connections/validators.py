"""Validation for connection-profile fields. A credential reference names where a secret lives; it must
never be the secret itself."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

validate_environment_key = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]{0,39}\Z",
    "Use 1–40 lowercase letters, digits, '_' or '-', starting with a letter or digit.",
    code="invalid_environment",
)

# scheme://user:password@host  (any scheme), key=value secrets, and bare libpq DSNs.
_URL_WITH_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s:]*:[^/@\s]*@", re.IGNORECASE)
_SECRET_PAIR = re.compile(r"(password|passwd|pwd|secret|token|api[_-]?key)\s*[=:]", re.IGNORECASE)
_BARE_DSN = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_DSN_KEYWORDS = re.compile(r"\b(host|dbname|user|port)\s*=", re.IGNORECASE)
_REFERENCE = re.compile(r"^(env|vault|aws-sm|gcp-sm|azure-kv|file|k8s-secret):[A-Za-z0-9_./:@-]{1,240}\Z")


def validate_credential_ref(value: str) -> None:
    """Accept `scheme:path` references (`env:DATABASE_URL`, `vault:secret/data/db/prod`); reject secrets.

    The error message never repeats the value, so a pasted secret is not echoed back."""
    if _URL_WITH_PASSWORD.search(value) or _SECRET_PAIR.search(value):
        raise ValidationError(
            "This looks like a secret (a password or token). Store a reference to it instead, "
            "e.g. env:DATABASE_URL or vault:secret/data/db/prod.",
            code="credential_is_secret",
        )
    if _BARE_DSN.search(value) or _DSN_KEYWORDS.search(value):
        raise ValidationError(
            "A connection string is not a reference. Use e.g. env:DATABASE_URL or vault:secret/data/db/prod.",
            code="credential_is_dsn",
        )
    if not _REFERENCE.match(value):
        raise ValidationError(
            "Use a reference of the form <kind>:<path> where kind is one of env, vault, aws-sm, gcp-sm, "
            "azure-kv, file, k8s-secret (e.g. env:DATABASE_URL).",
            code="invalid_credential_ref",
        )
