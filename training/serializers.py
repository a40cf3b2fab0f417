"""Programs, phases, micro-cycles and sessions as the API shows them.

Writes go through `training.services` (`<resource>_write`: lock, If-Match, full_clean, save; the viewsets call
them through `ServiceModelSerializer.write`); model errors come back as 400s keyed by the API's names
(`micro_cycle` -> `microCycleId`). The partial unique constraints (one current program per
athlete, one current phase per program) are not turned into DRF unique-together validators
(`Meta.validators = []`): the model's clean() checks them under the row lock, with a message naming the rule,
and a race that still reaches the database is the same 400 (see core.writes.save_checked)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from athletes.models import AthleteProfile
from athletes.selectors import athlete_list
from core.api import BoundedDateField, ServiceModelSerializer, UUIDRelatedField

from . import selectors
from .compliance.fields import SessionComplianceField, WeekComplianceField
from .models import MicroCycle, ProgramPhase, TrainingProgram, TrainingSession
from .workouts.fields import StructureField, StructureSummaryField

SMALLINT_MAX = 32767  # PositiveSmallIntegerField's range; SQLite would not enforce it


class TrainingProgramSerializer(ServiceModelSerializer):
    athlete_id = UUIDRelatedField(source="athlete", queryset=AthleteProfile.objects.all(), selector=athlete_list)
    total_weeks = serializers.IntegerField(read_only=True)
    completed_weeks = serializers.IntegerField(read_only=True)
    adherence_rate = serializers.FloatField(read_only=True, allow_null=True, min_value=0, max_value=1)
    current_phase_id = serializers.UUIDField(read_only=True, allow_null=True)
    next_session_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = TrainingProgram
        fields = [
            "id",
            "athlete_id",
            "title",
            "start_date",
            "end_date",
            "macro_cycle",
            "status",
            "total_weeks",
            "completed_weeks",
            "adherence_rate",
            "current_phase_id",
            "next_session_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list = []


class ProgramPhaseSerializer(ServiceModelSerializer):
    program_id = UUIDRelatedField(
        source="program", queryset=TrainingProgram.objects.all(), selector=selectors.program_list
    )

    class Meta:
        model = ProgramPhase
        fields = ["id", "program_id", "name", "focus", "phase_order", "start_date", "end_date", "status", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {"phase_order": {"min_value": 1, "max_value": SMALLINT_MAX}}
        validators: list = []


class MicroCycleSerializer(ServiceModelSerializer):
    program_id = UUIDRelatedField(
        source="program", queryset=TrainingProgram.objects.all(), selector=selectors.program_list
    )
    phase_id = UUIDRelatedField(
        source="phase",
        queryset=ProgramPhase.objects.all(),
        selector=selectors.phase_list,
        allow_null=True,
        required=False,
    )
    sessions_planned = serializers.IntegerField(read_only=True)
    sessions_completed = serializers.IntegerField(read_only=True)
    compliance = WeekComplianceField()

    class Meta:
        model = MicroCycle
        fields = [
            "id",
            "program_id",
            "phase_id",
            "week_index",
            "sessions_planned",
            "sessions_completed",
            "compliance",
            "readiness_score",
            "status",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {
            "week_index": {"min_value": 1, "max_value": SMALLINT_MAX},
            "readiness_score": {"min_value": 0, "max_value": 100},
        }
        validators: list = []


class TrainingSessionSerializer(ServiceModelSerializer):
    program_id = UUIDRelatedField(
        source="program", queryset=TrainingProgram.objects.all(), selector=selectors.program_list
    )
    phase_id = UUIDRelatedField(
        source="phase",
        queryset=ProgramPhase.objects.all(),
        selector=selectors.phase_list,
        allow_null=True,
        required=False,
    )
    micro_cycle_id = UUIDRelatedField(
        source="micro_cycle",
        queryset=MicroCycle.objects.all(),
        selector=selectors.micro_cycle_list,
        allow_null=True,
        required=False,
    )
    athlete_id = UUIDRelatedField(
        source="athlete",
        queryset=AthleteProfile.objects.all(),
        selector=athlete_list,
        required=False,
        help_text="Optional: taken from the program; if given it must be the program's athlete.",
    )
    structure = StructureField()
    structure_summary = StructureSummaryField()
    compliance = SessionComplianceField()
    activity_id = serializers.UUIDField(
        read_only=True,
        allow_null=True,
        help_text="The imported activity that completed this session (matched or linked: /api/v1/activities/).",
    )
    template_id = serializers.UUIDField(
        write_only=True,
        required=False,
        help_text="On create: a session template you may see, whose title, modality, durationMinutes, plannedLoad "
        "and structure the session takes unless the request gives them.",
    )

    class Meta:
        model = TrainingSession
        fields = [
            "id",
            "program_id",
            "phase_id",
            "micro_cycle_id",
            "athlete_id",
            "title",
            "scheduled_at",
            "duration_minutes",
            "modality",
            "status",
            "rpe",
            "load",
            "planned_load",
            "completed_at",
            "actual_duration_minutes",
            "activity_id",
            "compliance",
            "structure",
            "structure_summary",
            "template_id",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {
            "duration_minutes": {"min_value": 1, "max_value": 1440},
            "load": {"min_value": 0, "max_value": 14400},
            "planned_load": {"min_value": 0, "max_value": 14400},
            "completed_at": {
                "help_text": "Only with status completed (set to now when omitted), never in the future "
                "(5 minutes of clock skew allowed); cleared otherwise."
            },
            "rpe": {
                "min_value": 0,
                "max_value": 10,
                "help_text": "Session RPE (CR-10), only with status completed; dropped when the status leaves "
                "completed and rpe is not given. With rpe and no load, load = rpe × durationMinutes.",
            },
        }
        validators: list = []

    def to_internal_value(self, data):
        # templateId fills what the request leaves out, before the fields (and "this field is required") run.
        self._template_found = False
        if hasattr(data, "get") and data.get("template_id") is not None:
            if self.instance is not None:
                raise serializers.ValidationError({"template_id": ["Only when a session is created."]})
            data = {**self._template_fields(data["template_id"]), **data}
        return super().to_internal_value(data)

    def _template_fields(self, template_id) -> dict:
        """The fields the session template `template_id` gives, if the caller may see it (one query)."""
        from .library.api import template_session_fields
        from .library.selectors import session_template_list

        request = self.context.get("request")
        try:
            template = session_template_list(user=request.user if request else None).filter(pk=template_id).first()
        except (DjangoValidationError, ValueError):
            return {}  # not a UUID: the field says so
        self._template_found = template is not None
        return template_session_fields(template) if template is not None else {}

    def validate_template_id(self, value):
        # Another coach's unshared template is "does not exist", like an id that names nothing.
        if not self._template_found:
            raise serializers.ValidationError(f'Invalid pk "{value}" - object does not exist.')
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        attrs.pop("template_id", None)  # what it named is in the other fields now
        return attrs


class ProgramCloneSerializer(serializers.Serializer):
    """The body of `POST /programs/{id}/clone/`: whose plan the copy becomes, and when it starts."""

    athlete_id = serializers.UUIDField(help_text="The athlete the copy is for (one the caller may see).")
    start_date = BoundedDateField(help_text="The copy's start date; every date moves by the same number of days.")
    title = serializers.CharField(
        max_length=120, required=False, help_text="The copy's title; the source's title when omitted."
    )
