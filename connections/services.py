"""`checkdb` as a function: check one database connection against its environment's profile and record
exactly one ConnectionHealthEvent (docs/operations.md, 4. `checkdb`). The management command and the admin both call
`checkdb_run`; neither re-implements it."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uuid6
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from core import dialect
from core.redaction import error_text, sanitize, settings_secrets
from core.writes import apply_changes, full_clean_known, if_match_check, lock_row
from health import services as health_services
from health.models import CheckStatus, ConnectionHealthEvent, ErrorCode

from .models import DatabaseConnectionProfile, DatabaseRole
from .probe import ProbeResult, probe_database
from .validators import validate_credential_ref, validate_environment_key

logger = logging.getLogger("cadence.checkdb")

# Failures of the connection itself: when the checked database is the one events are written to, there is
# no point waiting for a second connect timeout before spooling.
CONNECTION_FAILURES = {ErrorCode.DB_UNREACHABLE, ErrorCode.DB_TIMEOUT, ErrorCode.DB_AUTH_FAILED}

STEP_CONNECT = "connect"
STEP_SCHEMA = "schema"
STEP_PROFILE = "profile"
STEP_ROLE = "role"
STEP_MIGRATIONS = "migrations"
STEP_VALIDATED = "last_validated_at"
STEPS = (STEP_CONNECT, STEP_SCHEMA, STEP_PROFILE, STEP_ROLE, STEP_MIGRATIONS)


class CheckdbArgumentError(ValueError):
    """A bad argument (unknown alias, non-positive timeout, invalid environment key): exit status 2."""


@dataclass
class CheckRun:
    """The outcome of one check: the event (saved, or spooled when `recorded` is False), how many spooled
    events were backfilled first, one (name, ok, detail) per check that ran, and the exit status."""

    event: ConnectionHealthEvent
    recorded: bool
    backfilled: int
    steps: list[tuple[str, bool, str]] = field(default_factory=list)
    exit_code: int = 1
    spooled: bool = False


class _Failed(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _arguments(environment: str | None, database: str, timeout: float | None) -> tuple[str, str, float]:
    environment = settings.APP_ENVIRONMENT if environment is None else environment
    try:
        validate_environment_key(environment)
    except ValidationError:
        raise CheckdbArgumentError(f"invalid environment {environment!r}: use 1–40 of a-z, 0-9, '_', '-'") from None
    if database not in connections.settings:
        known = ", ".join(sorted(connections.settings))
        raise CheckdbArgumentError(f"unknown database alias {database!r} (configured: {known})")
    timeout = float(settings.DB_CONNECT_TIMEOUT if timeout is None else timeout)
    if not math.isfinite(timeout) or timeout <= 0:
        raise CheckdbArgumentError("the timeout must be a positive number of seconds")
    return environment, database, timeout


def _pending_migrations(applied: set[tuple[str, str]]) -> list[str]:
    """Migrations on disk that the probed database has not applied (a squashed one counts as applied when
    everything it replaces is)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    graph = loader.graph
    plan: set[tuple[str, str]] = set()
    for leaf in graph.leaf_nodes():
        plan.update(graph.forwards_plan(leaf))
    pending = []
    for node in sorted(plan):
        if node in applied:
            continue
        replaces = getattr(loader.disk_migrations.get(node), "replaces", None) or []
        if replaces and all(tuple(r) in applied for r in replaces):
            continue
        pending.append(f"{node[0]}.{node[1]}")
    return pending


def _same_database(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("ENGINE", "NAME", "HOST", "PORT", "USER")
    return all(str(a.get(k) or "") == str(b.get(k) or "") for k in keys)


def _compare_profile(profile: DatabaseConnectionProfile, probe: ProbeResult, db_settings: dict[str, Any]) -> list[str]:
    """One 'field: expected X, actual Y' per difference between the profile and the live connection."""
    diffs = []
    if dialect.is_sqlite(probe.vendor):
        # SQLite has no host, port or schema. The profile names the database file: an absolute path must be
        # the same file; a bare name must be the file's name (paths differ between machines).
        live = str(db_settings.get("NAME") or "")
        expected = profile.database
        if Path(expected).is_absolute() and not live.startswith("file:"):
            same = Path(expected).resolve() == Path(live).resolve()
        else:
            same = expected in (live, Path(live).name)
        if not same:
            diffs.append(f"database: expected {expected!r}, actual {live!r}")
        return diffs
    pairs = (
        ("host", profile.host, probe.host, lambda a, b: str(a).lower() == str(b).lower()),
        ("port", profile.port, probe.port, lambda a, b: str(a) == str(b)),
        ("database", profile.database, probe.database, lambda a, b: a == b),
        ("schema", profile.schema, probe.current_schema, lambda a, b: a == b),
    )
    for name, expected, actual, equal in pairs:
        if not equal(expected, actual):
            diffs.append(f"{name}: expected {expected!r}, actual {actual!r}")
    return diffs


def profile_database(environment: str) -> str:
    """The alias a profile describes: `replicaN` for `<APP_ENVIRONMENT>-replicaN` when that replica is
    configured (the naming docs/operations.md gives replica profiles), else `default`."""
    for alias in getattr(settings, "REPLICA_ALIASES", []):
        if environment == health_services.node_environment(settings.APP_ENVIRONMENT, alias):
            return alias
    return "default"


def judge_role(profile: DatabaseConnectionProfile, probe: ProbeResult) -> tuple[bool, str, str | None]:
    """(ok, detail, errorCode) for the profile's role: a primary must take writes (DB_READ_ONLY), a replica
    must not lag more than REPLICA_MAX_LAG_SECONDS behind what it received (REPLICA_LAG)."""
    if not dialect.is_postgresql(probe.vendor):
        return True, f"{profile.role}: not applicable to SQLite (one node, no replication)", None
    if profile.role == DatabaseRole.PRIMARY:
        if probe.in_recovery:
            why = "is in recovery (a standby): pg_is_in_recovery() is true"
        elif probe.read_only:
            why = "is read-only: default_transaction_read_only/transaction_read_only is on"
        else:
            return True, "primary: takes writes (not in recovery, not read-only)", None
        return (
            False,
            f"Profile {profile.environment!r} is a primary, but database {probe.database!r} on "
            f"{probe.host}:{probe.port} {why}. Writes would fail: was there a failover?",
            ErrorCode.DB_READ_ONLY,
        )
    max_lag = float(settings.REPLICA_MAX_LAG_SECONDS)
    if not probe.in_recovery:
        return True, "replica: not in recovery (promoted, or a primary): no replay lag", None
    lag = probe.replay_lag_seconds
    if lag is None:
        return False, "replica: replay lag unknown (nothing replayed yet while WAL waits)", ErrorCode.REPLICA_LAG
    if lag > max_lag:
        return (
            False,
            f"Replica replay lag is {lag:.1f} s, more than REPLICA_MAX_LAG_SECONDS ({max_lag:g} s).",
            ErrorCode.REPLICA_LAG,
        )
    return True, f"replica: replay lag {lag:.1f} s (at most {max_lag:g} s)", None


def checkdb_run(*, environment: str | None = None, database: str = "default", timeout: float | None = None) -> CheckRun:
    """Check the database `database` against the profile of `environment` within `timeout` seconds and
    record one event (in the database, or the spool). Raises CheckdbArgumentError for bad arguments."""
    environment, database, timeout = _arguments(environment, database, timeout)
    db_settings = connections.settings[database]
    secrets = settings_secrets(db_settings) + settings_secrets(connections.settings[health_services.RECORD_DATABASE])
    event = ConnectionHealthEvent(
        id=uuid6.uuid7(), checked_at=timezone.now(), environment=environment, database=database
    )
    steps: list[tuple[str, bool, str]] = []
    profile: DatabaseConnectionProfile | None = None

    probe = probe_database(db_settings, timeout=timeout, default_schema=settings.DATABASE_SCHEMA)
    event.latency_ms = probe.latency_ms
    try:
        if not probe.ok:
            steps.append((STEP_CONNECT, False, f"{probe.error_code}: {probe.message}"))
            raise _Failed(probe.error_code, probe.message)
        where = f"{probe.host}:{probe.port}/{probe.database}" if dialect.is_postgresql(probe.vendor) else probe.database
        steps.append((STEP_CONNECT, True, f"SELECT 1 in {probe.latency_ms:.1f} ms ({where})"))

        if dialect.is_postgresql(probe.vendor):
            if not probe.schema_exists:
                message = (
                    f"Schema {probe.configured_schema!r} does not exist in database {probe.database!r} "
                    f"(current_schema() is {probe.current_schema!r})."
                )
                steps.append((STEP_SCHEMA, False, message))
                raise _Failed(ErrorCode.SCHEMA_MISSING, message)
            steps.append((STEP_SCHEMA, True, f"current_schema() is {probe.current_schema!r}"))
        else:
            steps.append((STEP_SCHEMA, True, "not applicable to SQLite (one schema, 'main')"))

        try:
            profile = (
                DatabaseConnectionProfile.objects.using(health_services.RECORD_DATABASE)
                .filter(environment=environment)
                .first()
            )
        except DatabaseError as exc:
            message = f"The profile could not be read: {error_text(exc, secrets=secrets)}"
            steps.append((STEP_PROFILE, False, message))
            raise _Failed(ErrorCode.DB_UNREACHABLE, message) from None
        if profile is None:
            message = f"No connection profile for environment {environment!r}."
            steps.append((STEP_PROFILE, False, message))
            raise _Failed(ErrorCode.PROFILE_MISSING, message)
        diffs = _compare_profile(profile, probe, db_settings)
        if diffs:
            message = f"The live connection differs from profile {environment!r}: " + "; ".join(diffs) + "."
            steps.append((STEP_PROFILE, False, message))
            raise _Failed(ErrorCode.PROFILE_MISMATCH, message)
        steps.append((STEP_PROFILE, True, f"matches profile {environment!r}"))

        role_ok, role_detail, role_code = judge_role(profile, probe)
        steps.append((STEP_ROLE, role_ok, role_detail))
        if not role_ok:
            raise _Failed(role_code, role_detail)

        pending = _pending_migrations(probe.applied_migrations)
        if pending:
            shown = ", ".join(pending[:10]) + (f" and {len(pending) - 10} more" if len(pending) > 10 else "")
            message = f"{len(pending)} unapplied migration(s): {shown}."
            steps.append((STEP_MIGRATIONS, False, message))
            raise _Failed(ErrorCode.MIGRATIONS_PENDING, message)
        steps.append((STEP_MIGRATIONS, True, "all applied"))
        event.status, event.error_code, event.message = CheckStatus.PASS, None, None
    except _Failed as failure:
        event.status, event.error_code = CheckStatus.FAIL, str(failure.code)
        event.message = sanitize(failure.message, secrets=secrets)

    def mark_validated(using: str) -> None:
        # update(), not save(): a timestamp checkdb refreshes every minute is not an edit of the profile, so
        # it neither adds an audit-history row nor bumps the version (ETag) a coach's pending edit relies on.
        DatabaseConnectionProfile.objects.using(using).filter(pk=profile.pk).update(last_validated_at=event.checked_at)

    passed = event.status == CheckStatus.PASS
    known_down = (
        event.error_code in CONNECTION_FAILURES
        and steps[0][0] == STEP_CONNECT
        and not steps[0][1]
        and _same_database(db_settings, connections.settings[health_services.RECORD_DATABASE])
    )
    outcome = health_services.event_record(
        event, after_insert=mark_validated if passed else None, database_known_down=known_down, secrets=secrets
    )
    if passed and outcome.recorded:
        steps.append((STEP_VALIDATED, True, f"set to {health_services.isoformat_z(event.checked_at)}"))
    if passed:
        logger.info("checkdb %s pass in %.1f ms", environment, event.latency_ms or 0)
    else:
        logger.warning("checkdb %s fail %s: %s", environment, event.error_code, event.message)
    return CheckRun(
        event=event,
        recorded=outcome.recorded,
        backfilled=outcome.backfilled,
        steps=steps,
        # A pass that could be stored nowhere is not a pass the monitors will ever see.
        exit_code=0 if passed and (outcome.recorded or outcome.spooled) else 1,
        spooled=not outcome.recorded and outcome.spooled,
    )


# --- Provisioning: a profile that describes a live database -------------------------------------------------


class ProfileProvisionError(Exception):
    """The profile could not be made: the database could not be reached, or a field is invalid (`messages`
    never repeat a rejected value, so a pasted secret is not echoed)."""

    def __init__(self, messages: list[str], *, code: str | None = None):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.code = code


@dataclass
class ProfileProvision:
    """What `connection_profile_from_database` did: `created`, `unchanged`, `updated`, or `differs` (an existing
    profile that does not describe the database and was left as it was); `differences` one 'field: profile X,
    database Y' each."""

    profile: DatabaseConnectionProfile
    action: str
    differences: list[str] = field(default_factory=list)


def connection_profile_from_database(
    *,
    credential_ref: str,
    database: str = "default",
    environment: str | None = None,
    role: str | None = None,
    update: bool = False,
    timeout: float | None = None,
) -> ProfileProvision:
    """Make the connection profile of `environment` (default: APP_ENVIRONMENT, `<APP_ENVIRONMENT>-<alias>` for
    another alias) describe the database alias `database` as a connection to it sees it (host, port, database,
    schema), so `checkdb` can pass. A missing profile is created; an existing one is changed only with
    `update` (an audited edit), otherwise its differences are reported. Raises CheckdbArgumentError for bad
    arguments and ProfileProvisionError when the database cannot be reached or a field is invalid."""
    if environment is None and database in connections.settings:
        environment = health_services.node_environment(settings.APP_ENVIRONMENT, database)
    environment, database, timeout = _arguments(environment, database, timeout)
    if role is None:
        role = DatabaseRole.REPLICA if database in getattr(settings, "REPLICA_ALIASES", []) else DatabaseRole.PRIMARY
    if role not in DatabaseRole.values:
        raise CheckdbArgumentError(f"invalid role {role!r}: use {' or '.join(DatabaseRole.values)}")
    try:
        validate_credential_ref(credential_ref)
    except ValidationError as exc:
        raise ProfileProvisionError([f"credential_ref: {message}" for message in exc.messages]) from None

    probe = probe_database(connections.settings[database], timeout=timeout, default_schema=settings.DATABASE_SCHEMA)
    if not probe.ok:
        raise ProfileProvisionError([f"{probe.error_code}: {probe.message}"], code=probe.error_code)
    if dialect.is_sqlite(probe.vendor):
        # A file has no host, port or schema; its bare name matches on any machine (see _compare_profile).
        live = {"host": "", "database": Path(probe.database or "").name or str(probe.database)}
    else:
        if not probe.schema_exists:
            raise ProfileProvisionError(
                [f"Schema {probe.configured_schema!r} does not exist in database {probe.database!r}: run migrate."],
                code=ErrorCode.SCHEMA_MISSING,
            )
        live = {"host": probe.host, "port": probe.port, "database": probe.database, "schema": probe.current_schema}
    wanted = {**live, "credential_ref": credential_ref, "role": role}

    with transaction.atomic():
        profile = DatabaseConnectionProfile.objects.select_for_update().filter(environment=environment).first()
        if profile is None:
            profile, action, differences = DatabaseConnectionProfile(environment=environment), "created", []
        else:
            differences = [
                f"{name}: profile {getattr(profile, name)!r}, wanted {value!r}"
                for name, value in wanted.items()
                if str(getattr(profile, name)) != str(value)
            ]
            if not differences:
                return ProfileProvision(profile, "unchanged")
            if not update:
                return ProfileProvision(profile, "differs", differences)
            action = "updated"
        for name, value in wanted.items():
            setattr(profile, name, value)
        try:
            profile.full_clean()
        except ValidationError as exc:
            raise ProfileProvisionError(
                [f"{name}: {message}" for name, messages in exc.message_dict.items() for message in messages]
            ) from None
        profile._change_reason = f"connection_profile from database {database!r}"  # shown in the audit history
        profile.save()
    return ProfileProvision(profile, action, differences)


@transaction.atomic
def connection_profile_write(
    *, instance: DatabaseConnectionProfile | None, changes: dict, if_match: str | None = None, actor=None
) -> DatabaseConnectionProfile:
    """The API's create (`instance` None) or update of a connection profile (core.writes): the row locked
    (FOR NO KEY UPDATE), If-Match compared, validated and saved; the save records the audit history
    (django-simple-history's post_save)."""
    if instance is None:
        profile = DatabaseConnectionProfile()
    else:
        profile = lock_row(DatabaseConnectionProfile, instance.pk)
        if_match_check(if_match, profile)
    if not apply_changes(profile, changes) and instance is not None:
        return profile  # nothing changes: no version, no history row
    full_clean_known(profile)
    profile.save()
    return profile
