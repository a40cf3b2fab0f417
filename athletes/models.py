"""AthleteProfile: the person a program is planned for, tied to one Django user."""

import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThanOrEqual

from core.models import TimeStampedModel

from .validators import validate_iana_timezone, validate_not_blank


class PrimaryGoal(models.TextChoices):
    ENDURANCE = "endurance", "Endurance"
    STRENGTH = "strength", "Strength"
    HYPERTROPHY = "hypertrophy", "Hypertrophy"
    POWER = "power", "Power"
    SPEED = "speed", "Speed"
    MOBILITY = "mobility", "Mobility"
    BODY_COMPOSITION = "body_composition", "Body composition"
    GENERAL_FITNESS = "general_fitness", "General fitness"
    SPORT_PERFORMANCE = "sport_performance", "Sport performance"
    REHABILITATION = "rehabilitation", "Rehabilitation"


class AthleteProfile(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # a user's training history is never deleted as a side effect
        related_name="athlete_profile",
    )
    display_name = models.CharField(max_length=80, validators=[validate_not_blank])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_iana_timezone])
    primary_goal = models.CharField(max_length=32, choices=PrimaryGoal.choices)
    coach_notes = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [
            models.Index(fields=["primary_goal"], name="athlete_primary_goal_idx"),
            models.Index(fields=["display_name"], name="athlete_display_name_idx"),
            models.Index(fields=["updated_at"], name="athlete_updated_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length(Trim("display_name")), 1),
                name="athlete_display_name_not_blank",
            ),
            models.CheckConstraint(
                condition=models.Q(primary_goal__in=PrimaryGoal.values),
                name="athlete_primary_goal_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean_fields(self, exclude=None) -> None:
        # Trim before the field validators run, so "1–80 characters after trimming" is what max_length sees.
        if isinstance(self.display_name, str):
            self.display_name = self.display_name.strip()
        super().clean_fields(exclude=exclude)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)
