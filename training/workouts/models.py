"""The exercise catalogue and the sets an athlete performed.

A session's prescription (its `structure`) names exercises by id inside its JSON; the sets the athlete logged
are rows, one per set, so records are computed by the database."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from athletes.validators import validate_not_blank
from core.models import TimeStampedModel


class ExerciseCategory(models.TextChoices):
    SQUAT = "squat", "Squat"
    HINGE = "hinge", "Hinge"
    LUNGE = "lunge", "Lunge"
    PUSH = "push", "Push"
    PULL = "pull", "Pull"
    CARRY = "carry", "Carry"
    CORE = "core", "Core"
    OLYMPIC = "olympic", "Olympic"
    PLYOMETRIC = "plyometric", "Plyometric"
    CONDITIONING = "conditioning", "Conditioning"
    MOBILITY = "mobility", "Mobility"
    OTHER = "other", "Other"


class Equipment(models.TextChoices):
    BARBELL = "barbell", "Barbell"
    DUMBBELL = "dumbbell", "Dumbbell"
    KETTLEBELL = "kettlebell", "Kettlebell"
    MACHINE = "machine", "Machine"
    CABLE = "cable", "Cable"
    BAND = "band", "Band"
    BODYWEIGHT = "bodyweight", "Bodyweight"
    OTHER = "other", "Other"


class Exercise(TimeStampedModel):
    """One exercise of the catalogue. Never deleted once used: archiving hides it from new prescriptions while
    the sessions and sets that name it stay valid."""

    name = models.CharField(max_length=80, validators=[validate_not_blank])
    category = models.CharField(max_length=16, choices=ExerciseCategory.choices)
    # A list of Equipment values (a JSON array: the same column on SQLite and PostgreSQL).
    equipment = models.JSONField(default=list, blank=True)
    unilateral = models.BooleanField(default=False)
    instructions = models.TextField(blank=True)
    archived = models.BooleanField(default=False)

    # The unique name is an expression (Lower), which Django reports under __all__: shown on `name`.
    constraint_error_fields = {"exercise_name_taken": "name"}

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"], name="exercise_name_id_idx"),
            models.Index(fields=["updated_at", "id"], name="exercise_updated_id_idx"),
            # ?category= and ?archived=, each read in the default order (name, id) from its own index.
            models.Index(fields=["category", "name", "id"], name="exercise_category_name_idx"),
            models.Index(fields=["archived", "name", "id"], name="exercise_archived_name_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="exercise_name_unique_ci",
                violation_error_code="exercise_name_taken",
                violation_error_message="An exercise with this name exists (names are unique ignoring case).",
            ),
            models.CheckConstraint(condition=Q(category__in=ExerciseCategory.values), name="exercise_category_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (archived)" if self.archived else self.name

    def clean_fields(self, exclude=None) -> None:
        if isinstance(self.name, str):
            self.name = self.name.strip()
        super().clean_fields(exclude=exclude)
        if exclude and "equipment" in exclude:
            return
        equipment = self.equipment
        if not isinstance(equipment, list) or not all(isinstance(item, str) for item in equipment):
            raise ValidationError({"equipment": "A list of equipment names."})
        unknown = sorted(set(equipment) - set(Equipment.values))
        if unknown:
            raise ValidationError({"equipment": f"Unknown equipment: {', '.join(unknown)}."})
        # One entry per kind of equipment, in the catalogue's order.
        self.equipment = [value for value in Equipment.values if value in equipment]


class PerformedSet(models.Model):
    """One set the athlete did in a session: reps or seconds, the load, the reps left in reserve."""

    id = models.BigAutoField(primary_key=True)
    # Both foreign keys' own indexes are covered: the session's by the unique (session, exercise, set_index),
    # the athlete's by (athlete, exercise).
    session = models.ForeignKey(
        "training.TrainingSession", on_delete=models.CASCADE, related_name="performed_sets", db_index=False
    )
    # Denormalized from the session (as the session's own athlete is from its program) so that records read
    # one athlete's sets by index, without joining the sessions first.
    athlete = models.ForeignKey(
        "athletes.AthleteProfile", on_delete=models.CASCADE, related_name="performed_sets", db_index=False
    )
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="performed_sets")
    set_index = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)])
    reps = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(100)])
    seconds = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(3600)])
    load_kg = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1000)],
    )
    rir = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(10)])

    class Meta:
        ordering = ["session", "exercise", "set_index"]
        constraints = [
            models.UniqueConstraint(fields=["session", "exercise", "set_index"], name="performed_set_unique_index"),
            models.CheckConstraint(
                condition=Q(reps__isnull=True, seconds__isnull=False) | Q(reps__isnull=False, seconds__isnull=True),
                name="performed_set_reps_xor_seconds",
            ),
            models.CheckConstraint(condition=Q(set_index__gte=1, set_index__lte=100), name="performed_set_index_1_100"),
            models.CheckConstraint(condition=Q(reps__isnull=True) | Q(reps__lte=100), name="performed_set_reps_0_100"),
            models.CheckConstraint(
                condition=Q(seconds__isnull=True) | Q(seconds__lte=3600), name="performed_set_seconds_0_3600"
            ),
            models.CheckConstraint(
                condition=Q(load_kg__isnull=True) | Q(load_kg__gte=0, load_kg__lte=1000),
                name="performed_set_load_0_1000",
            ),
            models.CheckConstraint(condition=Q(rir__isnull=True) | Q(rir__lte=10), name="performed_set_rir_0_10"),
        ]
        indexes = [
            # Records: one athlete's sets, by exercise.
            models.Index(fields=["athlete", "exercise"], name="performed_set_athlete_ex_idx"),
        ]

    def __str__(self) -> str:
        amount = f"{self.reps} reps" if self.reps is not None else f"{self.seconds} s"
        load = f" @ {self.load_kg} kg" if self.load_kg is not None else ""
        return f"Set {self.set_index}: {amount}{load}"


class OneRepMaxEstimate(models.Model):
    """An athlete's estimated one-rep max for an exercise as last worked out (training.workouts.estimates), kept
    so that a list of %1RM sessions reads each estimate by key instead of adding up the athlete's year of sets.

    A row is used only while it is certainly still right: before `valid_until` (the day its best set leaves the
    window or a better future-dated set enters it), in the athlete's `timezone` as it was worked out in (their
    local dates decide the window), and while its best set still exists. Anything else is worked out from the
    sets again. `one_rep_max_kg` null: no set of the window counts."""

    id = models.BigAutoField(primary_key=True)
    # The athlete's own index is covered by the unique (athlete, exercise).
    athlete = models.ForeignKey(
        "athletes.AthleteProfile", on_delete=models.CASCADE, related_name="one_rep_max_estimates", db_index=False
    )
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="one_rep_max_estimates")
    one_rep_max_kg = models.FloatField(null=True)
    # The set the estimate comes from. Not a foreign key: deleting sets must not have to look for estimates;
    # a read checks the set still exists instead.
    best_set_id = models.BigIntegerField(null=True)
    timezone = models.CharField(max_length=64)
    valid_until = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["athlete", "exercise"], name="one_rep_max_estimate_unique"),
        ]

    def __str__(self) -> str:
        return "Estimated one-rep max"
