"""Secrets and health data out of text: what Cadence writes into health events, logs, error reports and command
output passes through here.

A database error can quote a connection string or a password; `sanitize` masks URL passwords, `password=...`
style pairs and every literal secret it is given, and `settings_secrets` lists the literal secrets of a
DATABASES entry. The database check (connections) and the health events (health) both use them, so there is
one way to redact and it lives in the base layer.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

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


# --- Health data ------------------------------------------------------------------------------------------
# Wellness is health data: it must never reach a log line, an error report or a metrics label. The apps that
# store it name their tables and URL paths here (in their AppConfig.ready), so this base layer knows them
# without importing those apps.

HEALTH_TABLES: set[str] = set()
HEALTH_PATHS: set[str] = set()
HEALTH_STATEMENT = "(a statement on health data; its SQL and parameters are not logged)"
_FAILING_ROW = re.compile(r"Failing row contains \(.*?\)\.?", re.DOTALL)


def register_health_data(*, tables: tuple[str, ...] = (), paths: tuple[str, ...] = ()) -> None:
    HEALTH_TABLES.update(tables)
    HEALTH_PATHS.update(paths)


def without_row_values(text: str) -> str:
    """`text` without PostgreSQL's "Failing row contains (...)" detail, which quotes every column of a row."""
    return _FAILING_ROW.sub("Failing row contains (values not logged).", text) if text else text


class HealthDataLogFilter(logging.Filter):
    """Keeps health data out of log records: a database statement (django.db.backends logs each one with its
    parameters at DEBUG) that touches a health table loses its SQL and parameters, and any record loses the
    row values a constraint error quotes. Installed on the database logger and on every handler (LOGGING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        sql = getattr(record, "sql", None)
        if sql is not None and any(table in str(sql) for table in HEALTH_TABLES):
            record.msg, record.args = HEALTH_STATEMENT, ()
            record.sql, record.params = HEALTH_STATEMENT, None
        elif record.args or "Failing row" in str(record.msg):
            message = record.getMessage()
            if "Failing row" in message:
                record.msg, record.args = without_row_values(message), ()
        if record.exc_info and not getattr(record, "exc_text", None):
            record.exc_text = without_row_values(logging.Formatter().formatException(record.exc_info))
        return True


class HealthDataExceptionReporterFilter(SafeExceptionReporterFilter):
    """Error reports (the DEBUG page, mail to ADMINS) of a request about health data show none of its form
    fields and none of the variables of its frames, where the entry and its notes would be."""

    def _about_health(self, request) -> bool:
        path = getattr(request, "path", "") or ""
        return any(part in path for part in HEALTH_PATHS)

    def get_post_parameters(self, request):
        if request is not None and self._about_health(request):
            return dict.fromkeys(request.POST, self.cleansed_substitute)
        return super().get_post_parameters(request)

    def get_traceback_frame_variables(self, request, tb_frame):
        if request is not None and self._about_health(request):
            return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
        return super().get_traceback_frame_variables(request, tb_frame)
