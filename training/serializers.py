"""Programs, phases, micro-cycles and sessions as the API shows them.

Writes go through `training.services` (`<resource>_write`: lock, If-Match, full_clean, save; the viewsets call
them through `ServiceModelSerializer.write`); model errors come back as 400s keyed by the API's names
(`micro_cycle` -> `microCycleId`). The partial unique constraints (one current program per
athlete, one current phase per program) are not turned into DRF unique-together validators
(`Meta.validators = []`): the model's clean() checks them under the row lock, with a message naming the rule,
and a race that still reaches the database is the same 400 (see core.writes.save_checked)."""

from rest_framework import serializers

from athletes.models import AthleteProfile
from athletes.selectors import athlete_list
from core.api import BoundedDateField, ServiceModelSerializer, UUIDRelatedField

from . import selectors
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

    class Meta:
        model = MicroCycle
        fields = [
            "id",
            "program_id",
            "phase_id",
            "week_index",
            "sessions_planned",
            "sessions_completed",
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
            "structure",
            "structure_summary",
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


class ProgramCloneSerializer(serializers.Serializer):
    """The body of `POST /programs/{id}/clone/`: whose plan the copy becomes, and when it starts."""

    athlete_id = serializers.UUIDField(help_text="The athlete the copy is for (one the caller may see).")
    start_date = BoundedDateField(help_text="The copy's start date; every date moves by the same number of days.")
    title = serializers.CharField(
        max_length=120, required=False, help_text="The copy's title; the source's title when omitted."
    )
