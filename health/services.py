"""Health events: recording them (through the database, or the spool when it cannot be written), the
/health/db verdict, and retention."""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import logging
import math
import threading
import tomllib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core import dialect
from core.db import mark_stalled
from core.redaction import error_text, settings_secrets
from core.services import delete_in_batches

from .models import CheckStatus, ConnectionHealthEvent, ErrorCode
from .selectors import NEWEST_FIRST, newest_event
from .spool import Spool, SpoolBusy

logger = logging.getLogger("cadence.health")

# Events are recorded in the application's own database. A module attribute (not a setting) so tests can
# point recording at an unreachable alias and exercise the spool for real.
RECORD_DATABASE = DEFAULT_DB_ALIAS
SPOOL_BATCH_SIZE = 500
PRUNE_BATCH_SIZE = 5000

CHECK_STALE = "CHECK_STALE"
NO_CHECK_RECORDED = "NO_CHECK_RECORDED"


def spool() -> Spool:
    """The spool at settings.HEALTH_SPOOL_PATH (read at call time)."""
    return Spool(settings.HEALTH_SPOOL_PATH)


def isoformat_z(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as the API renders timestamps."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def event_to_json(event: ConnectionHealthEvent) -> dict[str, Any]:
    """The event with the API's camelCase fields: what `checkdb --json` prints and the spool stores."""
    return {
        "id": str(event.id),
        "checkedAt": isoformat_z(event.checked_at),
        "environment": event.environment,
        "database": event.database,
        "status": event.status,
        "latencyMs": event.latency_ms,
        "errorCode": event.error_code,
        "message": event.message,
    }


class SpoolRecordInvalid(ValueError):
    """A spooled record that cannot become an event."""


def event_from_json(record: dict[str, Any]) -> ConnectionHealthEvent:
    """Rebuild a spooled event with its own id and checkedAt; raise SpoolRecordInvalid when it is not one.

    The spool is a file anyone with access can edit: every field is checked, so one bad line is dropped (and
    logged) instead of stopping every later backfill."""
    if not isinstance(record, dict):
        raise SpoolRecordInvalid("spool record is not a JSON object")
    try:
        event_id = uuid.UUID(str(record["id"]))
        checked_at = parse_datetime(str(record["checkedAt"]))
        status = record["status"]
        error_code = record.get("errorCode")
        latency = record.get("latencyMs")
        environment = str(record["environment"])
        database = str(record.get("database") or "default")
    except (KeyError, ValueError, TypeError) as exc:
        raise SpoolRecordInvalid(f"malformed spool record: {exc}") from None
    if checked_at is None or checked_at.tzinfo is None:
        raise SpoolRecordInvalid("spool record without an aware checkedAt")
    if status not in CheckStatus.values or (status == CheckStatus.FAIL) != (error_code is not None):
        raise SpoolRecordInvalid("spool record with an inconsistent status/errorCode")
    if error_code is not None and error_code not in ErrorCode.values:
        raise SpoolRecordInvalid("spool record with an unknown errorCode")
    if latency is not None and (
        isinstance(latency, bool) or not isinstance(latency, int | float) or not 0 <= latency < math.inf
    ):
        raise SpoolRecordInvalid("spool record with a latencyMs that is not a finite number >= 0")
    message = record.get("message")
    if message is not None and not isinstance(message, str):
        raise SpoolRecordInvalid("spool record with a message that is not a string")
    return ConnectionHealthEvent(
        id=event_id,
        checked_at=checked_at,
        environment=environment[:40],
        database=database[:64],
        status=status,
        latency_ms=float(latency) if latency is not None else None,
        error_code=error_code,
        message=message,
    )


def _insert_batch(events: list[ConnectionHealthEvent], *, using: str) -> int:
    """Insert the events whose ids are not in the table yet, in one transaction; return how many."""
    with transaction.atomic(using=using):
        ids = [e.id for e in events]
        present = set(ConnectionHealthEvent.objects.using(using).filter(pk__in=ids).values_list("pk", flat=True))
        new = [e for e in events if e.id not in present]
        # ignore_conflicts (ON CONFLICT DO NOTHING) as well: a concurrent writer that is not holding this
        # spool's lock (another host's spool) must not turn a backfill into an error or a duplicate.
        ConnectionHealthEvent.objects.using(using).bulk_create(new, ignore_conflicts=True)
        return len(new)


def event_spool_flush(*, using: str | None = None) -> int:
    """Insert every spooled event (same id, same checkedAt) and empty the spool; return how many were new.

    Idempotent: events already in the table are skipped, so a flush that died after committing some batches
    (or after committing all of them but before emptying the spool) is completed by the next one without a
    duplicate. Raises DatabaseError when the database cannot be written; the spool is then left as it was."""
    using = using or RECORD_DATABASE

    def insert(records: list[dict[str, Any]]) -> int:
        events: list[ConnectionHealthEvent] = []
        for record in records:
            try:
                events.append(event_from_json(record))
            except SpoolRecordInvalid as exc:
                logger.error("dropping an invalid spooled health event: %s", exc)
        inserted = 0
        for start in range(0, len(events), SPOOL_BATCH_SIZE):
            inserted += _insert_batch(events[start : start + SPOOL_BATCH_SIZE], using=using)
        return inserted

    try:
        return spool().drain(insert)
    except SpoolBusy:
        logger.info("another run holds the health spool; it will backfill it")
        return 0
    except OSError as exc:
        logger.error("the health spool %s cannot be read: %s", settings.HEALTH_SPOOL_PATH, exc)
        return 0


@dataclass
class Recorded:
    recorded: bool
    backfilled: int
    error: str | None = None
    spooled: bool = True


def _close_quietly(using: str) -> None:
    # A command keeps a broken connection until it is closed; the next use then reconnects.
    with contextlib.suppress(Exception):
        if not connections[using].in_atomic_block:
            connections[using].close()


def event_record(
    event: ConnectionHealthEvent,
    *,
    after_insert: Callable[[str], None] | None = None,
    database_known_down: bool = False,
    secrets: tuple[str, ...] = (),
) -> Recorded:
    """Record `event`: first backfill the spool, then insert the event (and run `after_insert(using)` in the
    same transaction). When the database cannot be written the event is appended to the spool instead.

    `database_known_down` skips the database (the check just failed to connect to it), so a run against a
    dead database does not wait for a second connect timeout."""
    using = RECORD_DATABASE
    backfilled = 0
    error = None
    if not database_known_down:
        try:
            backfilled = event_spool_flush(using=using)
            with transaction.atomic(using=using):
                event.save(using=using, force_insert=True)
                if after_insert is not None:
                    after_insert(using)
            return Recorded(recorded=True, backfilled=backfilled)
        except DatabaseError as exc:
            error = error_text(exc, secrets=secrets)
            logger.warning("health event %s not written to the database (%s); spooling it", event.id, error)
            _close_quietly(using)
    try:
        spool().append(event_to_json(event))
    except (OSError, SpoolBusy) as exc:
        # Neither the database nor the spool took it: say so loudly (the caller still has the event to print).
        logger.error("health event %s could not be spooled to %s: %s", event.id, settings.HEALTH_SPOOL_PATH, exc)
        return Recorded(recorded=False, backfilled=backfilled, error=f"{error}; spool: {exc}", spooled=False)
    return Recorded(recorded=False, backfilled=backfilled, error=error)


# --- /health/db -------------------------------------------------------------------------------------------


def _check_entry(*, alias: str, status: str, latency: float | None, time: str | None, output: str | None) -> dict:
    entry: dict[str, Any] = {"componentId": alias, "componentType": "datastore"}
    if latency is not None:
        entry.update(observedValue=latency, observedUnit="ms")
    entry["status"] = status
    if time is not None:
        entry["time"] = time
    if output:
        entry["output"] = output
    return entry


def health_verdict(
    *,
    environment: str | None = None,
    now: datetime | None = None,
    may_see_event_message: Callable[[], bool] | None = None,
) -> tuple[int, dict[str, Any]]:
    """The /health/db answer (HTTP status, body) from the newest event of `environment`
    (docs/operations.md, 3. Health endpoints).

    A failed event's message names hosts, ports and databases: it is shown only when `may_see_event_message`
    (asked only then) says so; otherwise the body carries the error code and `message: null`."""
    environment = environment or settings.APP_ENVIRONMENT
    now = now or timezone.now()
    max_age = timedelta(seconds=settings.HEALTH_MAX_AGE_SECONDS)
    using = RECORD_DATABASE
    wrapper = connections[using]
    # A persistent connection that went silent (server frozen, network black hole) would block this read
    # forever: connect_timeout covers only connecting, and statement_timeout needs a server that runs. The
    # watchdog shuts the socket down at the deadline, so the blocked read fails at once and the probe still
    # answers within DB_CONNECT_TIMEOUT + 1 s.
    # The cut also flags the connection as stalled for this request: Django's health check would otherwise
    # answer the cut by opening a new connection to the same silent server and wait a whole connect timeout
    # more, well past the bound above.
    watchdog = threading.Timer(settings.DB_CONNECT_TIMEOUT + 0.5, lambda: mark_stalled(wrapper))
    watchdog.daemon = True
    watchdog.start()
    try:
        with transaction.atomic(using=using):
            if dialect.is_postgresql(wrapper):
                # A server that is up but slow must not hold the probe longer than a connect would.
                timeout_ms = int(settings.DB_CONNECT_TIMEOUT * 1000)
                with wrapper.cursor() as cursor:
                    cursor.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
            event = newest_event(environment, using=using)
            nodes = node_events(environment, using=using)
    except DatabaseError as exc:
        logger.warning("/health/db could not read the database: %s", _sanitized(exc, using=using))
        _close_quietly(using)
        return _verdict(environment, "fail", "DB_UNREACHABLE", "The database could not be read.", alias=using)
    finally:
        watchdog.cancel()
        wrapper.cadence_stalled = False  # the next request may try to connect again
    if event is None:
        return _verdict(
            environment, "fail", NO_CHECK_RECORDED, f"No check recorded for environment {environment!r}.", alias=using
        )
    checked_at = isoformat_z(event.checked_at)
    if now - event.checked_at > max_age:
        age = int((now - event.checked_at).total_seconds())
        message = (
            f"The newest check ({event.status}) is {age} s old, older than {settings.HEALTH_MAX_AGE_SECONDS} s: "
            "is checkdb running?"
        )
        nodes = _with_event(nodes, event)
        return _verdict(
            environment, "fail", CHECK_STALE, message, alias=using, event=event, stale=True,
            checked_at=checked_at, nodes=nodes, now=now,
            show_messages=may_see_event_message is None or may_see_event_message(),
        )  # fmt: skip
    nodes = _with_event(nodes, event)
    if event.status == CheckStatus.PASS:
        reason = warn_reason(event)
        node_failed = any(node.status == CheckStatus.FAIL for node in nodes.values())
        return _verdict(
            environment, "warn" if reason else "pass", None, reason, alias=using, event=event,
            checked_at=checked_at, nodes=nodes, now=now,
            show_messages=not node_failed or may_see_event_message is None or may_see_event_message(),
        )  # fmt: skip
    may_see = may_see_event_message is None or may_see_event_message()
    message = event.message if may_see else None
    return _verdict(
        environment, "fail", event.error_code, message, alias=using, event=event, checked_at=checked_at,
        nodes=nodes, now=now, show_messages=may_see,
    )  # fmt: skip


def _sanitized(exc: Exception, *, using: str = RECORD_DATABASE) -> str:
    return error_text(exc, secrets=settings_secrets(connections.settings[using]))


def _verdict(
    environment: str,
    status: str,
    error_code: str | None,
    message: str | None,
    *,
    alias: str,
    event: ConnectionHealthEvent | None = None,
    stale: bool = False,
    checked_at: str | None = None,
    nodes: dict[str, ConnectionHealthEvent] | None = None,
    now: datetime | None = None,
    show_messages: bool = True,
) -> tuple[int, dict[str, Any]]:
    latency = event.latency_ms if event is not None else None
    if nodes:
        entries = [
            _node_entry(alias, node, now=now or timezone.now(), show_message=show_messages)
            for alias, node in nodes.items()
        ]
    else:
        entries = [_check_entry(alias=alias, status=status, latency=latency, time=checked_at, output=message)]
    body = {
        "status": status,
        "environment": environment,
        "checkedAt": checked_at,
        "latencyMs": latency,
        "errorCode": error_code,
        "message": message,
        "stale": stale,
        "version": app_version(),
        "releaseId": release_id(),
        "checks": {"database:responseTime": entries},
    }
    return (200 if status in ("pass", "warn") else 503), body


def spooled_count() -> int:
    """How many events wait in the spool (read without its lock: the file is only ever replaced whole)."""
    try:
        return spool().count()
    except OSError:
        return 0


def warn_reason(event: ConnectionHealthEvent) -> str | None:
    """Why a passing newest event is only `warn` (a slow check or a non-empty spool), or None."""
    reasons = []
    if event.latency_ms is not None and event.latency_ms > settings.HEALTH_WARN_LATENCY_MS:
        reasons.append(
            f"The check took {event.latency_ms:g} ms, more than HEALTH_WARN_LATENCY_MS "
            f"({settings.HEALTH_WARN_LATENCY_MS:g} ms)."
        )
    waiting = spooled_count()
    if waiting:
        reasons.append(f"{waiting} event(s) wait in the spool: checkdb could not write to the database.")
    return " ".join(reasons) or None


def node_environment(environment: str, alias: str) -> str:
    """The profile (environment key) a node's checks are recorded under: the environment itself for the
    primary (`default`), `<environment>-<alias>` for a replica (e.g. `production-replica`)."""
    return environment if alias == DEFAULT_DB_ALIAS else f"{environment}-{alias}"


def node_events(environment: str, *, using: str) -> dict[str, ConnectionHealthEvent]:
    """The newest event of each configured node of `environment` that has one (one indexed query a node;
    none without replicas, where the environment's newest event is the only node's)."""
    found: dict[str, ConnectionHealthEvent] = {}
    replicas = list(getattr(settings, "REPLICA_ALIASES", []))
    if not replicas:
        return found
    for alias in [DEFAULT_DB_ALIAS, *replicas]:
        event = (
            ConnectionHealthEvent.objects.using(using)
            .filter(environment=node_environment(environment, alias), database=alias)
            .order_by(*NEWEST_FIRST)
            .first()
        )
        if event is not None:
            found[alias] = event
    return found


def _with_event(nodes: dict[str, ConnectionHealthEvent], event: ConnectionHealthEvent) -> dict:
    # The environment's newest event may be of an alias checked against the environment's own profile.
    current = nodes.get(event.database)
    if current is None or (current.checked_at, current.id) < (event.checked_at, event.id):
        nodes = {**nodes, event.database: event}
    return nodes


def _node_entry(alias: str, event: ConnectionHealthEvent, *, now: datetime, show_message: bool = True) -> dict:
    checked_at = isoformat_z(event.checked_at)
    age = (now - event.checked_at).total_seconds()
    if age > settings.HEALTH_MAX_AGE_SECONDS:
        status, output = "fail", f"{CHECK_STALE}: the newest check of this node is {int(age)} s old."
    elif event.status == CheckStatus.FAIL:
        # A failed check's message names hosts and databases: only for callers allowed to see it.
        status, output = "fail", (event.message or event.error_code) if show_message else None
    elif event.latency_ms is not None and event.latency_ms > settings.HEALTH_WARN_LATENCY_MS:
        status, output = "warn", f"latency above {settings.HEALTH_WARN_LATENCY_MS:g} ms"
    else:
        status, output = "pass", None
    return _check_entry(alias=alias, status=status, latency=event.latency_ms, time=checked_at, output=output)


@functools.cache
def app_version() -> str:
    """The app's version: pyproject.toml's (a checkout), else the installed distribution's."""
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as fh:
            project = tomllib.load(fh)["project"]
        if project.get("name") == "cadence":
            return str(project["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        return importlib.metadata.version("cadence")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def release_id() -> str | None:
    """RELEASE_ID, else the git commit of the checkout the app runs from (read from .git, no git binary)."""
    return settings.RELEASE_ID or git_commit(Path(settings.BASE_DIR))


@functools.cache
def git_commit(base: Path) -> str | None:
    """The commit HEAD names in `base`/.git (a directory, or a worktree's `gitdir:` file), or None."""
    try:
        git = base / ".git"
        if git.is_file():
            pointer = git.read_text().strip()
            if not pointer.startswith("gitdir:"):
                return None
            git = (base / pointer.split(":", 1)[1].strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref:"):
            return head if _is_sha(head) else None
        ref = head.split(":", 1)[1].strip()
        # A worktree keeps HEAD in its own directory and refs in the common one.
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text().strip()).resolve()
        for root in (git, common):
            if (root / ref).is_file():
                sha = (root / ref).read_text().strip()
                return sha if _is_sha(sha) else None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref and _is_sha(parts[0]):
                    return parts[0]
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


# --- retention --------------------------------------------------------------------------------------------


def events_prune(*, older_than_days: int, batch_size: int = PRUNE_BATCH_SIZE, now: datetime | None = None) -> int:
    """Delete events checked more than `older_than_days` days ago, `batch_size` ids per DELETE (short
    transactions, no long lock on a table checkdb writes every minute); return how many were deleted."""
    if older_than_days < 1 or batch_size < 1:
        raise ValueError("older_than_days and batch_size must be at least 1")
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    old = ConnectionHealthEvent.objects.filter(checked_at__lt=cutoff)
    return delete_in_batches(old, order_by="checked_at", batch_size=batch_size)
