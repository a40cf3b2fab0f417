"""Season events: the days an athlete's season is planned around."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from athletes.models import AthleteProfile
from athletes.validators import validate_not_blank
from core.models import TimeStampedModel

from ..models import _not_blank


class EventPriority(models.TextChoices):
    A = "A", "A: the season's goal"
    B = "B", "B: important"
    C = "C", "C: training"


class EventKind(models.TextChoices):
    RACE = "race", "Race"
    TEST = "test", "Test"
    CAMP = "camp", "Camp"
    OTHER = "other", "Other"


class SeasonEvent(TimeStampedModel):
    """A race, test or camp on one of the athlete's local dates, with its priority."""

    # No index of its own: event_athlete_date_idx leads with it.
    athlete = models.ForeignKey(AthleteProfile, on_delete=models.CASCADE, related_name="events", db_index=False)
    date = models.DateField()
    name = models.CharField(max_length=120, validators=[validate_not_blank])
    priority = models.CharField(max_length=1, choices=EventPriority.choices)
    kind = models.CharField(max_length=8, choices=EventKind.choices, default=EventKind.RACE)
    notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["athlete", "date"], name="event_athlete_date_idx"),
            models.Index(fields=["date", "id"], name="event_date_id_idx"),
            models.Index(fields=["priority", "date"], name="event_priority_date_idx"),
            models.Index(fields=["updated_at", "id"], name="event_updated_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(priority__in=EventPriority.values), name="event_priority_valid"),
            models.CheckConstraint(condition=Q(kind__in=EventKind.values), name="event_kind_valid"),
            _not_blank("name", "event_name_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.priority}, {self.date})"
