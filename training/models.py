"""The training plan: programs, their phases, weekly micro-cycles and the sessions in them.

Single-row rules are database constraints (they hold whatever writes the row); rules that need other rows
live in `clean()`, which the admin and the API reach through `full_clean()`. Writes that span rows or must
be race-safe go through `training.services`.
"""

import contextlib
import math
from datetime import date, timedelta

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from athletes.models import AthleteProfile
from athletes.validators import validate_not_blank
from core.fields import StoredJSONField
from core.models import TimeStampedModel
from core.placement import cycle_week, local_day, name_children, overlaps, session_misfits, session_places
from core.text import trim

from .metrics import MicroCycleQuerySet, ProgramMetricsMixin, ProgramQuerySet
from .workouts import structure as workout_structure
from .workouts.models import Exercise, OneRepMaxEstimate, PerformedSet  # noqa: F401  (registered with the training app)


class PlanStatus(models.TextChoices):
    """Status of a program, phase or micro-cycle."""

    PLANNED = "planned", "Planned"
    CURRENT = "current", "Current"
    COMPLETED = "completed", "Completed"


class SessionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    COMPLETED = "completed", "Completed"
    SKIPPED = "skipped", "Skipped"


class Modality(models.TextChoices):
    RUN = "run", "Run"
    BIKE = "bike", "Bike"
    SWIM = "swim", "Swim"
    STRENGTH = "strength", "Strength"
    CONDITIONING = "conditioning", "Conditioning"
    MOBILITY = "mobility", "Mobility"
    SPORT = "sport", "Sport"
    OTHER = "other", "Other"


MAX_LOAD = 14400  # RPE 10 × 1,440 minutes
# A completedAt up to this far ahead of the server's clock is accepted: a phone whose clock runs a little fast
# logs a session "now" without a 400. Anything later is a time that has not happened yet.
COMPLETED_AT_CLOCK_SKEW = timedelta(minutes=5)


def _not_blank(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=GreaterThanOrEqual(Length(Trim(field)), 1), name=name)


def weeks_between(start: date, end: date) -> int:
    """`ceil((end - start + 1 day) / 7)`: the number of (possibly partial) weeks a date range spans."""
    return math.ceil(((end - start).days + 1) / 7)


def _related(instance: models.Model, name: str):
    """The row a foreign key names, or None when it names none (clean_fields has already reported that,
    and clean() must not crash on it)."""
    try:
        return getattr(instance, name)
    except ObjectDoesNotExist:
        return None


def _strip_fields(instance: models.Model, *names: str) -> None:
    # Trim before the field validators run, so a length limit counts the characters that are kept.
    for name in names:
        value = getattr(instance, name)
        if isinstance(value, str):
            setattr(instance, name, trim(value))


class TrainingProgram(ProgramMetricsMixin, TimeStampedModel):
    # No index of its own: program_athlete_status_idx leads with it (see tests/core/test_indexes.py).
    athlete = models.ForeignKey(AthleteProfile, on_delete=models.CASCADE, related_name="programs", db_index=False)
    title = models.CharField(max_length=120, validators=[validate_not_blank])
    start_date = models.DateField()
    end_date = models.DateField()
    macro_cycle = models.CharField(max_length=120, blank=True, default="")
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.PLANNED)

    objects = ProgramQuerySet.as_manager()

    constraint_error_fields = {"second_current_program": "status", "end_before_start": "end_date"}

    class Meta:
        ordering = ["start_date", "id"]
        indexes = [
            models.Index(fields=["athlete", "status"], name="program_athlete_status_idx"),
            models.Index(fields=["status"], name="program_status_idx"),
            models.Index(fields=["start_date", "id"], name="program_start_id_idx"),
            models.Index(fields=["updated_at", "id"], name="program_updated_id_idx"),  # updatedAfter, cursor pages
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["athlete"],
                condition=Q(status=PlanStatus.CURRENT),
                name="program_one_current_per_athlete",
                violation_error_code="second_current_program",
                violation_error_message="This athlete already has a current program.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="program_end_not_before_start",
                violation_error_code="end_before_start",
                violation_error_message="End date must not be before start date.",
            ),
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="program_status_valid"),
            _not_blank("title", "program_title_not_blank"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def total_weeks(self) -> int | None:
        if self.start_date is None or self.end_date is None:
            return None
        return weeks_between(self.start_date, self.end_date)

    def clean_fields(self, exclude=None) -> None:
        _strip_fields(self, "title", "macro_cycle")
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        super().clean()
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "End date must not be before start date."}, code="end_before_start")
        if self.status == PlanStatus.CURRENT and self.athlete_id:
            others = TrainingProgram.objects.filter(athlete_id=self.athlete_id, status=PlanStatus.CURRENT)
            if others.exclude(pk=self.pk).exists():
                raise ValidationError(
                    {"status": "This athlete already has a current program."}, code="second_current_program"
                )
        if self.start_date and self.end_date and not self._state.adding and _related(self, "athlete") is not None:
            self._clean_children_fit()

    def _clean_children_fit(self) -> None:
        """Changing a program's dates or athlete must not strand its phases, micro-cycles or sessions; the
        refusal names the children in the way."""
        if self.sessions.exclude(athlete_id=self.athlete_id).exists():
            raise ValidationError(
                {"athlete": "This program has sessions; it cannot move to another athlete."},
                code="program_athlete_change",
            )
        stored = TrainingProgram.objects.filter(pk=self.pk).values_list("start_date", "end_date").first()
        if stored == (self.start_date, self.end_date):
            return  # the dates (and so every cycle's week) are unchanged
        start, end = self.start_date, self.end_date
        problems = []
        phases = self.phases.filter(Q(start_date__lt=start) | Q(end_date__gt=end)).order_by("phase_order")
        labels = [f"phase {p.phase_order} “{p.name}” ({p.start_date} – {p.end_date})" for p in phases]
        if labels:
            problems.append(name_children("phase", labels))
        labels = []
        for week, phase_start, phase_end in self.micro_cycles.order_by("week_index").values_list(
            "week_index", "phase__start_date", "phase__end_date"
        ):
            if week > self.total_weeks:
                labels.append(f"week {week} (the program would have {self.total_weeks} weeks)")
            elif phase_start is not None and not overlaps(*cycle_week(start, end, week), phase_start, phase_end):
                first, last = cycle_week(start, end, week)
                labels.append(f"week {week} ({first} – {last}, outside its phase {phase_start} – {phase_end})")
        if labels:
            problems.append(name_children("micro-cycle", labels))
        labels = session_misfits(
            session_places(self.sessions.all(), program_dates=(start, end)), tz=self.athlete.tzinfo
        )
        if labels:
            problems.append(name_children("session", labels))
        if problems:
            raise ValidationError({"end_date": problems}, code="children_in_the_way")


class ProgramPhase(TimeStampedModel):
    program = models.ForeignKey(TrainingProgram, on_delete=models.CASCADE, related_name="phases", db_index=False)
    name = models.CharField(max_length=120, validators=[validate_not_blank])
    focus = models.CharField(max_length=120, validators=[validate_not_blank])
    phase_order = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.PLANNED)

    constraint_error_fields = {
        "second_current_phase": "status",
        "duplicate_phase_order": "phase_order",
        "end_before_start": "end_date",
    }

    class Meta:
        ordering = ["program_id", "phase_order"]
        indexes = [
            models.Index(fields=["program", "status"], name="phase_program_status_idx"),
            models.Index(fields=["status"], name="phase_status_idx"),
            models.Index(fields=["program", "start_date", "end_date"], name="phase_program_dates_idx"),
            models.Index(fields=["updated_at", "id"], name="phase_updated_id_idx"),  # updatedAfter, cursor pages
            # The default list order (phaseOrder, startDate) and ?ordering=startDate across programs.
            models.Index(fields=["phase_order", "start_date", "id"], name="phase_order_start_id_idx"),
            models.Index(fields=["start_date"], name="phase_start_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "phase_order"],
                name="phase_order_unique_per_program",
                violation_error_code="duplicate_phase_order",
                violation_error_message="Another phase of this program has this order.",
            ),
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status=PlanStatus.CURRENT),
                name="phase_one_current_per_program",
                violation_error_code="second_current_phase",
                violation_error_message="This program already has a current phase.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="phase_end_not_before_start",
                violation_error_code="end_before_start",
                violation_error_message="End date must not be before start date.",
            ),
            models.CheckConstraint(condition=Q(phase_order__gte=1), name="phase_order_positive"),
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="phase_status_valid"),
            _not_blank("name", "phase_name_not_blank"),
            _not_blank("focus", "phase_focus_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.phase_order}. {self.name}"

    def clean_fields(self, exclude=None) -> None:
        _strip_fields(self, "name", "focus")
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        super().clean()
        if not (self.start_date and self.end_date):
            return
        if self.end_date < self.start_date:
            raise ValidationError({"end_date": "End date must not be before start date."}, code="end_before_start")
        if not self.program_id:
            return
        self._clean_children_stay()
        program = _related(self, "program")
        if program is None:
            return
        errors = {}
        if self.start_date < program.start_date:
            errors["start_date"] = f"The phase must start on or after its program's start ({program.start_date})."
        if self.end_date > program.end_date:
            errors["end_date"] = f"The phase must end on or before its program's end ({program.end_date})."
        if errors:
            raise ValidationError(errors, code="phase_outside_program")
        overlapping = (
            ProgramPhase.objects.filter(
                program_id=self.program_id, start_date__lte=self.end_date, end_date__gte=self.start_date
            )
            .exclude(pk=self.pk)
            .order_by("phase_order")
            .first()
        )
        if overlapping is not None:
            raise ValidationError(
                {
                    "start_date": f"The phase overlaps phase {overlapping.phase_order} “{overlapping.name}” "
                    f"({overlapping.start_date} – {overlapping.end_date})."
                },
                code="phase_overlap",
            )
        if self.status == PlanStatus.CURRENT:
            others = ProgramPhase.objects.filter(program_id=self.program_id, status=PlanStatus.CURRENT)
            if others.exclude(pk=self.pk).exists():
                raise ValidationError(
                    {"status": "This program already has a current phase."}, code="second_current_phase"
                )
        self._clean_children_fit(program)

    def _clean_children_fit(self, program: TrainingProgram) -> None:
        """New dates must keep overlapping the weeks of this phase's micro-cycles and keep holding its
        sessions' days; the refusal names the children in the way."""
        if self._state.adding:
            return
        stored = ProgramPhase.objects.filter(pk=self.pk).values_list("start_date", "end_date").first()
        if stored is None or stored == (self.start_date, self.end_date):
            return
        problems = []
        labels = []
        for week in self.micro_cycles.order_by("week_index").values_list("week_index", flat=True):
            first, last = cycle_week(program.start_date, program.end_date, week)
            if not overlaps(first, last, self.start_date, self.end_date):
                labels.append(f"week {week} ({first} – {last})")
        if labels:
            problems.append(name_children("micro-cycle", labels))
        places = session_places(self.sessions.all(), phase_dates=(self.start_date, self.end_date))
        labels = session_misfits(places, tz=program.athlete.tzinfo)
        if labels:
            problems.append(name_children("session", labels))
        if problems:
            raise ValidationError({"end_date": problems}, code="children_in_the_way")

    def _clean_children_stay(self) -> None:
        """A phase with micro-cycles or sessions cannot move to another program: they would point across."""
        if self._state.adding:
            return
        stored = ProgramPhase.objects.filter(pk=self.pk).values_list("program_id", flat=True).first()
        if stored is None or stored == self.program_id:
            return
        if self.micro_cycles.exists() or self.sessions.exists():
            raise ValidationError(
                {"program": "This phase has micro-cycles or sessions; it cannot move to another program."},
                code="phase_program_change",
            )


class MicroCycle(TimeStampedModel):
    program = models.ForeignKey(TrainingProgram, on_delete=models.CASCADE, related_name="micro_cycles", db_index=False)
    phase = models.ForeignKey(
        ProgramPhase, on_delete=models.SET_NULL, null=True, blank=True, related_name="micro_cycles"
    )
    week_index = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    readiness_score = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.PLANNED)

    objects = MicroCycleQuerySet.as_manager()

    constraint_error_fields = {"duplicate_week_index": "week_index", "second_current_cycle": "status"}

    class Meta:
        ordering = ["program_id", "week_index"]
        indexes = [
            models.Index(fields=["program", "status"], name="cycle_program_status_idx"),
            models.Index(fields=["status"], name="cycle_status_idx"),
            models.Index(fields=["updated_at", "id"], name="cycle_updated_id_idx"),  # updatedAfter, cursor pages
            models.Index(fields=["week_index", "id"], name="cycle_week_id_idx"),  # the default list order
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "week_index"],
                name="cycle_week_unique_per_program",
                violation_error_code="duplicate_week_index",
                violation_error_message="This program already has a micro-cycle for this week.",
            ),
            models.UniqueConstraint(
                fields=["program"],
                condition=Q(status=PlanStatus.CURRENT),
                name="cycle_one_current_per_program",
                violation_error_code="second_current_cycle",
                violation_error_message="This program already has a current micro-cycle.",
            ),
            models.CheckConstraint(condition=Q(week_index__gte=1), name="cycle_week_index_positive"),
            models.CheckConstraint(
                condition=Q(readiness_score__isnull=True) | Q(readiness_score__gte=0, readiness_score__lte=100),
                name="cycle_readiness_0_100",
            ),
            models.CheckConstraint(condition=Q(status__in=PlanStatus.values), name="cycle_status_valid"),
        ]

    def __str__(self) -> str:
        return f"Week {self.week_index}"

    def week_dates(self, program: TrainingProgram | None = None) -> tuple[date, date] | None:
        """The cycle's week: its program's days `7·(weekIndex − 1)` to `+ 6`, the last week ending at endDate."""
        program = program or _related(self, "program")
        if program is None or self.week_index is None or program.start_date is None or program.end_date is None:
            return None
        return cycle_week(program.start_date, program.end_date, self.week_index)

    def clean(self) -> None:
        super().clean()
        if not self.program_id:
            return
        program = _related(self, "program")
        if program is None:
            return
        errors = {}
        phase = _related(self, "phase") if self.phase_id else None
        if phase is not None and phase.program_id != self.program_id:
            errors["phase"] = "The phase belongs to another program."
        total = program.total_weeks
        if self.week_index is not None and total is not None and self.week_index > total:
            errors["week_index"] = f"The week index must be between 1 and the program's {total} weeks."
        elif phase is not None and "phase" not in errors and self.week_index is not None:
            first, last = self.week_dates(program)
            if not overlaps(first, last, phase.start_date, phase.end_date):
                errors["week_index"] = (
                    f"Week {self.week_index} ({first} – {last}) does not overlap its phase "
                    f"“{phase.name}” ({phase.start_date} – {phase.end_date})."
                )
        if errors:
            raise ValidationError(errors)
        self._clean_sessions_agree(program)

    def _clean_sessions_agree(self, program: TrainingProgram) -> None:
        """Changing a cycle's program, phase or week must keep its sessions' program and phase agreeing with
        it and their days inside its week; the refusal names the sessions in the way."""
        if self._state.adding:
            return
        if self.sessions.exclude(program_id=self.program_id).exists():
            raise ValidationError(
                {"program": "This micro-cycle has sessions; it cannot move to another program."},
                code="cycle_program_change",
            )
        if self.sessions.filter(phase__isnull=False).exclude(phase_id=self.phase_id).exists():
            raise ValidationError(
                {"phase": "Some sessions of this micro-cycle are in another phase."}, code="cycle_phase_change"
            )
        stored = MicroCycle.objects.filter(pk=self.pk).values_list("week_index", flat=True).first()
        if stored is None or stored == self.week_index:
            return
        places = session_places(self.sessions.all(), week_index=self.week_index)
        labels = session_misfits(places, tz=program.athlete.tzinfo)
        if labels:
            raise ValidationError({"week_index": name_children("session", labels)}, code="children_in_the_way")


class TrainingSession(TimeStampedModel):
    program = models.ForeignKey(TrainingProgram, on_delete=models.CASCADE, related_name="sessions", db_index=False)
    phase = models.ForeignKey(ProgramPhase, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions")
    micro_cycle = models.ForeignKey(
        MicroCycle, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    # Denormalized from the program so an athlete's sessions filter without a join; clean() keeps it honest.
    athlete = models.ForeignKey(AthleteProfile, on_delete=models.CASCADE, related_name="sessions", db_index=False)
    title = models.CharField(max_length=120, validators=[validate_not_blank])
    scheduled_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1440)])
    modality = models.CharField(max_length=16, choices=Modality.choices)
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.PLANNED)
    # Session RPE (Foster 2001): the athlete's rating of the whole session on the CR-10 scale.
    rpe = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(10)], help_text="Session RPE, 0–10."
    )
    # How long the session took (the athlete's figure); compliance reads it when the loads cannot be compared.
    actual_duration_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text="Minutes actually trained, 1–1440, only for a completed session.",
    )
    # 14,400 = RPE 10 × 1,440 minutes, the largest session RPE load a valid session can have.
    load = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_LOAD)],
        help_text="Load done, e.g. session RPE × minutes (0–14400).",
    )
    planned_load = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_LOAD)],
        help_text="Load the coach planned (0–14400).",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # The imported activity that completed it (training.activities): a column of the session's own row, so a
    # list reads `activityId` without a join; unique, so an activity completes one session at most.
    activity = models.OneToOneField(
        "training.Activity", on_delete=models.SET_NULL, null=True, blank=True, related_name="session", editable=False
    )
    # What the session contains (training.workouts.structure): null, or {"steps": [...]} as the API writes it.
    # A column of the session's own row, so it is read and written with the session in the same query.
    structure = StoredJSONField(null=True, blank=True, default=None)
    # structureSummary of the structure as stored (a %1RM set counts no volume: its load depends on the athlete's
    # estimate at read time). Written with the structure by save() and by every bulk writer
    # (`with_structure_totals`), so a list sends it as it is for a structure without %1RM sets instead of
    # decoding the structure to add it up; null with a structure only makes the read add it up itself.
    structure_totals = StoredJSONField(null=True, blank=True, default=None, editable=False)

    constraint_error_fields = {
        "rpe_without_completed": "rpe",
        "actual_duration_without_completed": "actual_duration_minutes",
    }

    # The columns that place a session in the plan. Its placement rules (program, phase and week) are judged
    # when one of them changes; a write that only logs the session (status, completedAt, rpe, load) is
    # never refused for a placement that was valid when it was made (parents' changes keep it valid).
    PLACEMENT_FIELDS = ("program_id", "phase_id", "micro_cycle_id", "athlete_id", "scheduled_at")
    TRACKED_FIELDS = (*PLACEMENT_FIELDS, "completed_at", "structure")

    class Meta:
        ordering = ["scheduled_at", "id"]
        indexes = [
            models.Index(fields=["athlete", "scheduled_at"], name="session_athlete_sched_idx"),
            models.Index(fields=["program", "scheduled_at"], name="session_program_sched_idx"),
            models.Index(fields=["program", "status", "scheduled_at"], name="session_prog_status_sched_idx"),
            models.Index(fields=["status"], name="session_status_idx"),
            models.Index(fields=["modality"], name="session_modality_idx"),
            models.Index(fields=["scheduled_at", "id"], name="session_scheduled_id_idx"),
            models.Index(fields=["updated_at", "id"], name="session_updated_id_idx"),  # updatedAfter, cursor pages
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=1440),
                name="session_duration_1_1440",
            ),
            models.CheckConstraint(
                condition=Q(load__isnull=True) | Q(load__gte=0, load__lte=MAX_LOAD),
                name="session_load_0_14400",
            ),
            models.CheckConstraint(
                condition=Q(planned_load__isnull=True) | Q(planned_load__gte=0, planned_load__lte=MAX_LOAD),
                name="session_planned_load_0_14400",
            ),
            models.CheckConstraint(condition=Q(rpe__isnull=True) | Q(rpe__gte=0, rpe__lte=10), name="session_rpe_0_10"),
            models.CheckConstraint(
                condition=Q(actual_duration_minutes__isnull=True)
                | Q(actual_duration_minutes__gte=1, actual_duration_minutes__lte=1440, status=SessionStatus.COMPLETED),
                name="session_actual_duration_completed_1_1440",
                violation_error_code="actual_duration_without_completed",
                violation_error_message="An actual duration (1–1440 minutes) needs a completed session.",
            ),
            models.CheckConstraint(
                condition=Q(rpe__isnull=True) | Q(status=SessionStatus.COMPLETED),
                name="session_rpe_only_when_completed",
                violation_error_code="rpe_without_completed",
                violation_error_message="RPE can only be given for a completed session.",
            ),
            models.CheckConstraint(
                condition=(Q(status=SessionStatus.COMPLETED) & Q(completed_at__isnull=False))
                | (~Q(status=SessionStatus.COMPLETED) & Q(completed_at__isnull=True)),
                name="session_completed_at_iff_completed",
                violation_error_message="completedAt is set exactly when the session is completed.",
            ),
            models.CheckConstraint(condition=Q(status__in=SessionStatus.values), name="session_status_valid"),
            models.CheckConstraint(condition=Q(modality__in=Modality.values), name="session_modality_valid"),
            _not_blank("title", "session_title_not_blank"),
        ]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_stored()
        return instance

    def _remember_stored(self) -> None:
        self._stored = {name: self.__dict__[name] for name in self.TRACKED_FIELDS if name in self.__dict__}

    def save(self, *args, **kwargs):
        self.with_structure_totals()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "structure" in update_fields:
            kwargs["update_fields"] = {*update_fields, "structure_totals"}
        # Its performed sets move with it: the estimates they count in (training.workouts.estimates) may change.
        moved = not self._state.adding and self.changed("scheduled_at", "athlete_id")
        stored_athlete = (getattr(self, "_stored", None) or {}).get("athlete_id")
        super().save(*args, **kwargs)
        if moved:
            from .workouts.estimates import one_rep_max_forget  # it reaches core.writes, which needs the apps loaded

            one_rep_max_forget(athlete_ids={self.athlete_id, stored_athlete} - {None})
        self._remember_stored()

    def with_structure_totals(self) -> "TrainingSession":
        """This session with `structure_totals` for its structure: for writers that bypass save() (bulk_create,
        COPY)."""
        self.structure_totals = workout_structure.stored_summary(self.structure)
        return self

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        if fields is None:  # a partial refresh leaves other in-memory changes that are not stored
            self._remember_stored()

    def changed(self, *names: str) -> bool:
        """Whether any of `names` differs from the row as loaded (always True for a new or unloaded row)."""
        stored = getattr(self, "_stored", None)
        if self._state.adding or stored is None:
            return True
        return any(name not in stored or stored[name] != getattr(self, name) for name in names)

    def clean_fields(self, exclude=None) -> None:
        _strip_fields(self, "title")
        structure_error = None
        self._structure_invalid = False
        if exclude is None or "structure" not in exclude:
            try:
                self.structure = workout_structure.validate_structure(self.structure)
            except workout_structure.StructureError as exc:
                structure_error = ValidationError({"structure": exc.messages})
                self._structure_invalid = True  # full_clean() still runs clean(), which must not read it
        # The athlete is optional on input: it comes from the program, before "this field is required" can fire.
        if self.athlete_id is None and self.program_id is not None:
            # A missing program is reported by the program field itself.
            with contextlib.suppress(TrainingProgram.DoesNotExist):
                self.athlete_id = self.program.athlete_id
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            if structure_error is not None:
                exc.error_dict.update(structure_error.error_dict)
            raise
        if structure_error is not None:
            raise structure_error

    def clean(self) -> None:
        super().clean()
        errors = {}
        # completedAt goes with status: stamped when completed without one, cleared otherwise.
        if self.status == SessionStatus.COMPLETED:
            if self.completed_at is None:
                self.completed_at = timezone.now()
            elif self.changed("completed_at") and self.completed_at > timezone.now() + COMPLETED_AT_CLOCK_SKEW:
                errors["completed_at"] = "The completion time is in the future."
        else:
            self.completed_at = None
        if self.actual_duration_minutes is not None and self.status != SessionStatus.COMPLETED:
            errors["actual_duration_minutes"] = "An actual duration can only be given for a completed session."
        if self.rpe is not None:
            if self.status != SessionStatus.COMPLETED:
                errors["rpe"] = "RPE can only be given for a completed session."
            elif self.load is None and self.duration_minutes is not None:
                self.load = self.rpe * self.duration_minutes  # Foster's session RPE load
        if self.program_id and self.changed(*self.PLACEMENT_FIELDS):
            errors.update(self._placement_errors())
        if self.structure and self.changed("structure") and not getattr(self, "_structure_invalid", False):
            messages = self._structure_exercise_errors()
            if messages:
                errors["structure"] = messages
        if errors:
            raise ValidationError(errors)

    def _structure_exercise_errors(self) -> list[str]:
        """The exercises the structure names exist, and none is archived unless the stored structure already
        named it (an old session stays valid, and editable, after its exercise is archived)."""
        named = workout_structure.exercise_ids(self.structure)
        if not named:
            return []
        stored = getattr(self, "_stored", {}).get("structure")
        kept = workout_structure.exercise_ids(stored) if not self._state.adding else set()
        found = dict(Exercise.objects.filter(pk__in=named).values_list("pk", "archived"))
        found = {str(pk): archived for pk, archived in found.items()}
        messages = []
        for index, step in enumerate(self.structure["steps"]):
            if step["kind"] != "exercise":
                continue
            exercise_id = step["exerciseId"]
            if exercise_id not in found:
                messages.append(f"steps[{index}].exerciseId: no exercise with this id.")
            elif found[exercise_id] and exercise_id not in kept:
                messages.append(f"steps[{index}].exerciseId: this exercise is archived.")
        return messages

    def _placement_errors(self) -> dict[str, str]:
        """The session's athlete, phase and micro-cycle agree with its program, and its day (in the athlete's
        timezone) lies in the program, in its phase's dates and in its micro-cycle's week."""
        program = _related(self, "program")
        if program is None:
            return {}
        errors = {}
        if self.athlete_id is None:
            self.athlete_id = program.athlete_id
        elif self.athlete_id != program.athlete_id:
            errors["athlete"] = "The athlete must be the program's athlete."
        phase = _related(self, "phase") if self.phase_id else None
        if phase is not None and phase.program_id != self.program_id:
            errors["phase"] = "The phase belongs to another program."
            phase = None
        cycle = _related(self, "micro_cycle") if self.micro_cycle_id else None
        if cycle is not None:
            if cycle.program_id != self.program_id:
                errors["micro_cycle"] = "The micro-cycle belongs to another program."
                cycle = None
            elif self.phase_id and cycle.phase_id != self.phase_id:
                errors["micro_cycle"] = "The micro-cycle belongs to another phase."
        if self.scheduled_at is None or errors:
            return errors  # dates are judged against parents that agree with each other
        athlete = program.athlete
        day = local_day(self.scheduled_at, athlete.tzinfo)
        where = f"falls on {day or 'a date beyond the calendar'} in the athlete's timezone ({athlete.timezone})"
        if day is None or not program.start_date <= day <= program.end_date:
            errors["scheduled_at"] = (
                f"The session {where}, outside the program ({program.start_date} – {program.end_date})."
            )
        elif phase is not None and not phase.start_date <= day <= phase.end_date:
            errors["scheduled_at"] = (
                f"The session {where}, outside its phase “{phase.name}” ({phase.start_date} – {phase.end_date})."
            )
        elif cycle is not None:
            first, last = cycle.week_dates(program)
            if not first <= day <= last:
                errors["scheduled_at"] = (
                    f"The session {where}, outside its micro-cycle's week {cycle.week_index} ({first} – {last})."
                )
        return errors


class AthleteLoad(AthleteProfile):
    """The admin's "Training load" page: athletes seen through their load figures (a proxy, no table)."""

    class Meta:
        proxy = True
        default_permissions = ()  # the page follows the athlete view permission (training.load.admin)
        verbose_name = "training load"
        verbose_name_plural = "training load"


# The plan library's models, registered with the training app. Imported last: they use this module's choices.
from .activities.models import Activity  # noqa: E402, F401
from .library.models import ProgramTemplate, SessionTemplate  # noqa: E402, F401
from .season.models import SeasonEvent  # noqa: E402, F401
