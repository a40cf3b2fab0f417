"""Program and session templates: plans that belong to no athlete.

A program template keeps its phases and sessions as JSON lists on its own row (validated by the API's and the
admin's serializers, `library.api`): it is written whole and read whole, and applying it reads one row."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from athletes.validators import validate_not_blank
from core.fields import StoredJSONField
from core.models import TimeStampedModel

from ..models import MAX_LOAD, Modality, _not_blank

MAX_TEMPLATE_WEEKS = 104
MAX_TEMPLATE_SESSIONS = 2000


class ProgramTemplate(TimeStampedModel):
    """A season without an athlete: `weeks` weeks, `phases` ([{name, focus, start_week, end_week}]) and `sessions`
    ([{week, day, time, title, modality, duration_minutes, planned_load, structure}]), as library.api validates
    them."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="program_templates")
    title = models.CharField(max_length=120, validators=[validate_not_blank])
    description = models.TextField(blank=True, default="")
    weeks = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(MAX_TEMPLATE_WEEKS)])
    shared = models.BooleanField(default=False)
    phases = models.JSONField(default=list, blank=True)
    sessions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["title", "id"], name="program_template_title_idx"),
            models.Index(fields=["updated_at", "id"], name="program_template_updated_idx"),
            # A coach's list: their own (owner) or the shared ones.
            models.Index(fields=["shared", "title", "id"], name="program_template_shared_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(weeks__gte=1, weeks__lte=MAX_TEMPLATE_WEEKS), name="program_template_weeks_1_104"
            ),
            _not_blank("title", "program_template_title_not_blank"),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        """The rules between the template's fields: phases inside its weeks and not overlapping, sessions inside
        its weeks, at most MAX_TEMPLATE_SESSIONS sessions. Each message names the item (from 0) in the way."""
        super().clean()
        if not isinstance(self.weeks, int):
            return
        errors: dict[str, list[str]] = {}
        phases = sorted(
            ((i, p) for i, p in enumerate(self.phases or [])), key=lambda item: (item[1]["startWeek"], item[0])
        )
        previous = None
        for i, phase in phases:
            if phase["endWeek"] > self.weeks:
                errors.setdefault("phases", []).append(
                    f"Item {i}: endWeek {phase['endWeek']} is after the template's last week ({self.weeks})."
                )
            if previous is not None and phase["startWeek"] <= previous[1]["endWeek"]:
                errors.setdefault("phases", []).append(
                    f"Item {i}: weeks {phase['startWeek']}–{phase['endWeek']} overlap item {previous[0]} "
                    f"(weeks {previous[1]['startWeek']}–{previous[1]['endWeek']})."
                )
            previous = (i, phase)
        sessions = self.sessions or []
        if len(sessions) > MAX_TEMPLATE_SESSIONS:
            errors.setdefault("sessions", []).append(
                f"At most {MAX_TEMPLATE_SESSIONS} sessions; {len(sessions)} were given."
            )
        late = [i for i, session in enumerate(sessions) if session["week"] > self.weeks]
        if late:
            shown = ", ".join(str(i) for i in late[:10]) + (", …" if len(late) > 10 else "")
            errors.setdefault("sessions", []).append(
                f"Items {shown}: week after the template's last week ({self.weeks})."
                if len(late) > 1
                else f"Item {late[0]}: week {sessions[late[0]]['week']} is after the template's last week "
                f"({self.weeks})."
            )
        if errors:
            raise ValidationError(errors)


class SessionTemplate(TimeStampedModel):
    """A session without a date or an athlete, which a new session copies (`templateId`)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="session_templates")
    title = models.CharField(max_length=120, validators=[validate_not_blank])
    modality = models.CharField(max_length=16, choices=Modality.choices)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(1440)])
    planned_load = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(MAX_LOAD)],
    )
    structure = StoredJSONField(null=True, blank=True, default=None)
    shared = models.BooleanField(default=False)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["title", "id"], name="session_template_title_idx"),
            models.Index(fields=["updated_at", "id"], name="session_template_updated_idx"),
            models.Index(fields=["shared", "title", "id"], name="session_template_shared_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=1440), name="session_template_duration"
            ),
            models.CheckConstraint(
                condition=Q(planned_load__isnull=True) | Q(planned_load__gte=0, planned_load__lte=MAX_LOAD),
                name="session_template_planned_load",
            ),
            models.CheckConstraint(condition=Q(modality__in=Modality.values), name="session_template_modality"),
            _not_blank("title", "session_template_title_not_blank"),
        ]

    def __str__(self) -> str:
        return self.title
