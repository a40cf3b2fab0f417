"""Query filters for the training resources; every value is parsed by a form field, so a malformed UUID or
date is a 400 (django-filter's backend raises), never an empty list or a database error."""

import django_filters

from athletes.filters import SquadFilter
from core.lists.filters import FilterSet, UTCDateTimeFilter, updated_after_filter

from .models import MicroCycle, Modality, PlanStatus, ProgramPhase, SessionStatus, TrainingProgram, TrainingSession


class TrainingProgramFilter(FilterSet):
    athlete_id = django_filters.UUIDFilter(field_name="athlete_id")
    squad_id = SquadFilter()
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    updated_after = updated_after_filter()

    class Meta:
        model = TrainingProgram
        fields = ["athlete_id", "squad_id", "status", "updated_after"]


class ProgramPhaseFilter(FilterSet):
    program_id = django_filters.UUIDFilter(field_name="program_id")
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    updated_after = updated_after_filter()

    class Meta:
        model = ProgramPhase
        fields = ["program_id", "status", "updated_after"]


class MicroCycleFilter(FilterSet):
    program_id = django_filters.UUIDFilter(field_name="program_id")
    phase_id = django_filters.UUIDFilter(field_name="phase_id")
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices)
    updated_after = updated_after_filter()

    class Meta:
        model = MicroCycle
        fields = ["program_id", "phase_id", "status", "updated_after"]


class TrainingSessionFilter(FilterSet):
    athlete_id = django_filters.UUIDFilter(field_name="athlete_id")
    squad_id = SquadFilter()
    program_id = django_filters.UUIDFilter(field_name="program_id")
    phase_id = django_filters.UUIDFilter(field_name="phase_id")
    micro_cycle_id = django_filters.UUIDFilter(field_name="micro_cycle_id")
    status = django_filters.ChoiceFilter(choices=SessionStatus.choices)
    modality = django_filters.ChoiceFilter(choices=Modality.choices)
    scheduled_after = UTCDateTimeFilter(field_name="scheduled_at", lookup_expr="gte")
    scheduled_before = UTCDateTimeFilter(field_name="scheduled_at", lookup_expr="lt")
    updated_after = updated_after_filter()

    class Meta:
        model = TrainingSession
        fields = [
            "athlete_id",
            "squad_id",
            "program_id",
            "phase_id",
            "micro_cycle_id",
            "status",
            "modality",
            "scheduled_after",
            "scheduled_before",
            "updated_after",
        ]
