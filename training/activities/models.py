"""An imported activity: the file as uploaded, its processing state and the figures read from it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.db.models import Q

from athletes.models import AthleteProfile
from core.models import TimeStampedModel

from .paths import activity_file_path


class ActivityStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Activity(TimeStampedModel):
    """One uploaded file of one athlete. `status` is `pending` until a worker has read it, then `done` with its
    figures or `failed` with `error`. The session it completes points at it (TrainingSession.activity)."""

    # No index of its own: activity_athlete_sha256_uniq leads with it.
    athlete = models.ForeignKey(AthleteProfile, on_delete=models.CASCADE, related_name="activities", db_index=False)
    file = models.FileField(upload_to=activity_file_path, max_length=255)
    file_name = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, help_text="SHA-256 of the file as uploaded, hex.")
    status = models.CharField(max_length=8, choices=ActivityStatus.choices, default=ActivityStatus.PENDING)
    error = models.TextField(blank=True, default="", help_text="What is wrong with the file, when failed.")
    sport = models.CharField(max_length=32, blank=True, default="")
    started_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    distance_meters = models.FloatField(null=True, blank=True)
    elevation_gain_meters = models.FloatField(null=True, blank=True)
    avg_heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    max_heart_rate = models.PositiveSmallIntegerField(null=True, blank=True)
    avg_power_watts = models.PositiveSmallIntegerField(null=True, blank=True)
    trimp = models.FloatField(null=True, blank=True, help_text="Edwards TRIMP (zone minutes × zone weight 1–5).")
    processed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "activities"
        indexes = [
            models.Index(fields=["status", "created_at"], name="activity_status_created_idx"),
            models.Index(fields=["started_at", "id"], name="activity_started_id_idx"),
            models.Index(fields=["created_at", "id"], name="activity_created_id_idx"),
            models.Index(fields=["updated_at", "id"], name="activity_updated_id_idx"),
        ]
        constraints = [
            # The same file twice for one athlete is one activity (the upload answers 200 with it).
            models.UniqueConstraint(fields=["athlete", "sha256"], name="activity_athlete_sha256_uniq"),
            models.CheckConstraint(condition=Q(status__in=ActivityStatus.values), name="activity_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def extension(self) -> str:
        """The file's extension(s) as uploaded, lower case: `.fit`, `.gpx.gz`, ..."""
        name = self.file_name.lower()
        for ext in EXTENSIONS:
            if name.endswith(ext):
                return ext
        return ""

    @property
    def ended_at(self) -> datetime | None:
        if self.started_at is None or self.duration_seconds is None:
            return None
        return self.started_at + timedelta(seconds=self.duration_seconds)


# The accepted file names' endings, longest first (a `.gz` of each format is accepted too).
EXTENSIONS = (".fit.gz", ".tcx.gz", ".gpx.gz", ".fit", ".tcx", ".gpx")
