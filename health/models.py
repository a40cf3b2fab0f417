"""ConnectionHealthEvent: one recorded database check; the newest per environment drives /health/db."""

import uuid6
from django.db import models
from django.db.models import Q


class CheckStatus(models.TextChoices):
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"


class ErrorCode(models.TextChoices):
    DB_UNREACHABLE = "DB_UNREACHABLE"
    DB_TIMEOUT = "DB_TIMEOUT"
    DB_AUTH_FAILED = "DB_AUTH_FAILED"
    SCHEMA_MISSING = "SCHEMA_MISSING"
    PROFILE_MISSING = "PROFILE_MISSING"
    PROFILE_MISMATCH = "PROFILE_MISMATCH"
    MIGRATIONS_PENDING = "MIGRATIONS_PENDING"
    REPLICA_LAG = "REPLICA_LAG"
    DB_READ_ONLY = "DB_READ_ONLY"


class ConnectionHealthEvent(models.Model):
    # The id is made by checkdb, not the database, so a spooled event keeps it when it is backfilled.
    id = models.UUIDField(primary_key=True, default=uuid6.uuid7, editable=False)
    checked_at = models.DateTimeField()
    environment = models.CharField(max_length=40)
    # The DATABASES alias that was checked (the node: `default` is the primary, `replica`… the replicas).
    database = models.CharField(max_length=64, default="default")
    status = models.CharField(max_length=8, choices=CheckStatus.choices)
    latency_ms = models.FloatField(null=True, blank=True)
    # null, not "": the API reports `errorCode: null` and `message: null` on a pass.
    error_code = models.CharField(max_length=32, choices=ErrorCode.choices, null=True, blank=True)  # noqa: DJ001
    message = models.TextField(null=True, blank=True)  # noqa: DJ001

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [
            # /health/db and the events API: newest event of an environment.
            models.Index(fields=["environment", "-checked_at"], name="event_env_checked_idx"),
            models.Index(fields=["status", "-checked_at"], name="event_status_checked_idx"),
            # /health/db's per-node checks (newest event of one alias in an environment); ?database= filters.
            models.Index(fields=["database", "environment", "-checked_at"], name="event_db_env_checked_idx"),
            models.Index(fields=["-checked_at", "-id"], name="event_checked_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CheckStatus.values), name="event_status_valid"),
            models.CheckConstraint(
                condition=(Q(status="pass") & Q(error_code__isnull=True))
                | (Q(status="fail") & Q(error_code__isnull=False)),
                name="event_error_code_iff_fail",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.environment} {self.status} at {self.checked_at:%Y-%m-%d %H:%M:%S}"
