"""AthleteProfile: the person a program is planned for, tied to one Django user."""

import functools
import operator
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, router, transaction
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThanOrEqual

from core.models import TimeStampedModel
from core.text import trim

from . import travel
from .validators import validate_iana_timezone, validate_not_blank


def _utc_midnight(day: date, tz) -> datetime | None:
    try:
        return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)
    except OverflowError:  # the calendar's edge (year 1 or 9999) shifted past datetime's range
        return None


def local_day_bounds(start: date, end: date, tz) -> tuple[datetime | None, datetime | None]:
    """The instants [first moment of `start`, first moment of the day after `end`) in timezone `tz`.

    A timestamp's local calendar date lies in [start, end] exactly when it lies in this half-open range
    (fold=0 maps a midnight skipped or repeated by a DST change to the first instant of that day). A bound
    beyond datetime's range is None: no timestamp can lie on that side of it."""
    after_last = _utc_midnight(end + timedelta(days=1), tz) if end < date.max else None
    return _utc_midnight(start, tz), after_last


def outside_local_days(start: date, end: date, tz, field: str = "scheduled_at") -> models.Q | None:
    """A filter for the rows whose `field` falls outside [start, end] in timezone `tz`; None if none can."""
    first, after_last = local_day_bounds(start, end, tz)
    parts = [models.Q(**{f"{field}__lt": first})] if first is not None else []
    if after_last is not None:
        parts.append(models.Q(**{f"{field}__gte": after_last}))
    return functools.reduce(operator.or_, parts) if parts else None


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
    # The athlete's maximum heart rate: the zones of an imported activity's TRIMP (training.activities).
    max_heart_rate = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(100), MaxValueValidator(250)],
        help_text="Maximum heart rate in beats per minute, 100–250; an activity's TRIMP needs it.",
    )
    # The coaches who plan for this athlete; a coach sees only the athletes assigned to them.
    coaches = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="coached_athletes")

    class Meta:
        ordering = ["display_name", "id"]
        permissions = [("view_all_athletes", "Can see and assign every athlete (head coach)")]
        indexes = [
            models.Index(fields=["primary_goal"], name="athlete_primary_goal_idx"),
            models.Index(fields=["display_name", "id"], name="athlete_display_name_id_idx"),
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
            models.CheckConstraint(
                condition=models.Q(max_heart_rate__isnull=True)
                | models.Q(max_heart_rate__gte=100, max_heart_rate__lte=250),
                name="athlete_max_heart_rate_100_250",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean_fields(self, exclude=None) -> None:
        # Trim before the field validators run, so "1–80 characters after trimming" is what max_length sees.
        if isinstance(self.display_name, str):
            self.display_name = trim(self.display_name)
        super().clean_fields(exclude=exclude)

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self._state.adding or (update_fields is not None and "timezone" not in update_fields):
            super().save(*args, **kwargs)
            return
        # A new timezone moves the sessions with it (athletes.travel), in the transaction that stores it:
        # every writer (the API, the admin, a service) keeps the sessions' local dates and times.
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using, savepoint=False):  # no savepoint: the caller's rolls both back
            travel.athlete_timezone_follow(athlete=self, using=using)
            super().save(*args, **kwargs)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Squad(TimeStampedModel):
    """A team: athletes that coaches plan for together (lists filter by it with `squadId`). A coach sees the squads
    whose coaches include them; head coaches see every squad. Belonging to a squad gives no one access to an
    athlete: who sees an athlete is still `AthleteProfile.coaches`."""

    name = models.CharField(max_length=80, validators=[validate_not_blank])
    coaches = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="squads", through="SquadCoach")
    athletes = models.ManyToManyField(AthleteProfile, blank=True, related_name="squads", through="SquadAthlete")

    # The unique name is an expression (Lower), which Django reports under __all__: shown on `name`.
    constraint_error_fields = {"squad_name_taken": "name"}

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="squad_name_id_idx"),
            models.Index(fields=["updated_at", "id"], name="squad_updated_id_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="squad_name_unique_ci",
                violation_error_code="squad_name_taken",
                violation_error_message="A squad with this name exists (names are unique ignoring case).",
            ),
            models.CheckConstraint(condition=GreaterThanOrEqual(Length(Trim("name")), 1), name="squad_name_not_blank"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        if isinstance(self.name, str):
            self.name = trim(self.name)
        super().clean_fields(exclude=exclude)


# The memberships, declared (not Django's automatic tables) so that each key has exactly the index it needs: the
# squad's is the unique pair's first column (`?squadId=` reads a squad's athletes from it), the member's its own
# (a coach's squads; an athlete's deletion).


class SquadAthlete(models.Model):
    id = models.BigAutoField(primary_key=True)
    squad = models.ForeignKey(Squad, on_delete=models.CASCADE, db_index=False)
    athlete = models.ForeignKey(AthleteProfile, on_delete=models.CASCADE, related_name="squad_memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["squad", "athlete"], name="squad_athlete_unique")]

    def __str__(self) -> str:
        # No name: a squad's delete page lists its memberships, and a coach may not see every member.
        return f"an athlete of {self.squad}"


class SquadCoach(models.Model):
    id = models.BigAutoField(primary_key=True)
    squad = models.ForeignKey(Squad, on_delete=models.CASCADE, db_index=False)
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="squad_coachings")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["squad", "coach"], name="squad_coach_unique")]

    def __str__(self) -> str:
        return f"a coach of {self.squad}"
