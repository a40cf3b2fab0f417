"""A daily wellness entry: five 1–5 items (5 the best state), sleep, resting heart rate, HRV, illness, notes."""

from __future__ import annotations

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from athletes.models import AthleteProfile
from core.models import TimeStampedModel

ITEMS = ("sleep_quality", "fatigue", "soreness", "stress", "mood")
NOTES_MAX = 1_000


def validate_quarter_hours(value) -> None:
    from django.core.exceptions import ValidationError

    if value is not None and (value * 4) != int(value * 4):
        raise ValidationError("Must be in steps of 0.25 hours.", code="quarter_hours")


def _item(name: str):
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text=f"{name}: 1–5, 5 the best state."
    )


class WellnessEntry(TimeStampedModel):
    """The athlete's check-in for one of their local dates (one a day)."""

    # No index of its own: wellness_athlete_date_uniq leads with it.
    athlete = models.ForeignKey(
        AthleteProfile, on_delete=models.CASCADE, related_name="wellness_entries", db_index=False
    )
    date = models.DateField()
    sleep_quality = _item("Sleep quality")
    fatigue = _item("Fatigue (5: fresh)")
    soreness = _item("Soreness (5: none)")
    stress = _item("Stress (5: relaxed)")
    mood = _item("Mood")
    sleep_hours = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(24), validate_quarter_hours]
    )
    resting_heart_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(25), MaxValueValidator(220)]
    )
    hrv_rmssd = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(300)], help_text="rMSSD in ms."
    )
    illness = models.BooleanField(default=False)
    notes = models.TextField(blank=True, default="", validators=[MaxLengthValidator(NOTES_MAX)])

    class Meta:
        ordering = ["date", "id"]
        verbose_name = "wellness entry"
        verbose_name_plural = "wellness entries"
        indexes = [
            models.Index(fields=["date", "id"], name="wellness_date_id_idx"),
            models.Index(fields=["updated_at", "id"], name="wellness_updated_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["athlete", "date"],
                name="wellness_athlete_date_uniq",
                violation_error_message="This athlete already has an entry for this date.",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"{item}__gte": 1, f"{item}__lte": 5}), name=f"wellness_{item}_range"
                )
                for item in ITEMS
            ),
            models.CheckConstraint(
                condition=Q(sleep_hours__isnull=True) | Q(sleep_hours__gte=0, sleep_hours__lte=24),
                name="wellness_sleep_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(resting_heart_rate__isnull=True)
                | Q(resting_heart_rate__gte=25, resting_heart_rate__lte=220),
                name="wellness_rhr_range",
            ),
            models.CheckConstraint(
                condition=Q(hrv_rmssd__isnull=True) | Q(hrv_rmssd__gte=1, hrv_rmssd__lte=300),
                name="wellness_hrv_range",
            ),
        ]

    def __str__(self) -> str:
        # No health data in a row's name: it shows in the admin's history, messages and logs.
        return f"Wellness entry of {self.date.isoformat() if self.date else 'no date'}"

    @property
    def wellness_score(self) -> int | None:
        """The sum of the five items (5–25)."""
        values = [getattr(self, item) for item in ITEMS]
        return None if None in values else sum(values)


class TodayBoard(AthleteProfile):
    """The admin's "Today" page (wellness.admin): each athlete's readiness, sessions and week on their today. A
    proxy, so the page has its place in the admin index; it stores nothing."""

    class Meta:
        proxy = True
        verbose_name = "today board"
        verbose_name_plural = "Today"
        default_permissions = ()
