"""/api/v1/program-templates/ and /api/v1/session-templates/, a program template's `apply`, and the bodies of
`POST /programs/{id}/save-as-template/`.

A program template's `phases` and `sessions` are JSON lists whose keys are the API's camelCase names (the request
parser leaves them as written, config.settings' JSON_CAMEL_CASE): they are validated here item by item (each error
under the item's position), stored as validated and shown as stored."""

from __future__ import annotations

import re
from decimal import Decimal

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import BoundedDateField, ServiceModelSerializer, TrimmedCharField, django_errors_to_drf
from core.lists.filters import FilterSet, updated_after_filter
from core.lists.pagination import KeysetOrPageNumberPagination
from core.lists.renderers import JSONText
from core.permissions import RolePermission
from core.viewsets import CadenceViewSet

from ..models import MAX_LOAD, Modality
from ..workouts import structure as workout_structure
from ..workouts.exercise_api import StrictBooleanFilter
from ..workouts.fields import StructureField
from . import services
from .models import MAX_TEMPLATE_SESSIONS, MAX_TEMPLATE_WEEKS, ProgramTemplate, SessionTemplate
from .selectors import program_template_list, session_template_list

TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_APPLY_ATHLETES = 100


class TemplateStructureField(StructureField):
    """A template's `structure`: validated as a session's (training.workouts.structure) and shown as stored: a
    template has no athlete, so its %1RM sets carry no `resolvedLoadKg`."""

    def get_attribute(self, instance):
        return serializers.Field.get_attribute(self, instance)

    def to_representation(self, value):
        return JSONText(value) if isinstance(value, str) else value


class PlannedLoadField(serializers.DecimalField):
    """`plannedLoad`: null or 0–14400 with at most 2 decimals, shown as a number (as on sessions)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(max_digits=7, decimal_places=2, min_value=0, max_value=MAX_LOAD, **kwargs)

    def to_representation(self, value):
        return None if value is None else float(value)


class TemplatePhaseSerializer(serializers.Serializer):
    name = TrimmedCharField(max_length=120)
    focus = TrimmedCharField(max_length=120)
    startWeek = serializers.IntegerField(min_value=1, max_value=MAX_TEMPLATE_WEEKS)
    endWeek = serializers.IntegerField(min_value=1, max_value=MAX_TEMPLATE_WEEKS)

    def validate(self, attrs):
        if attrs["endWeek"] < attrs["startWeek"]:
            raise serializers.ValidationError({"endWeek": ["Must not be before startWeek."]})
        return attrs


class TemplateSessionSerializer(serializers.Serializer):
    week = serializers.IntegerField(min_value=1, max_value=MAX_TEMPLATE_WEEKS)
    day = serializers.IntegerField(min_value=1, max_value=7, help_text="ISO weekday: 1 = Monday … 7 = Sunday.")
    time = serializers.CharField(max_length=5, help_text='Local time of day, "HH:MM" (00:00–23:59).')
    title = TrimmedCharField(max_length=120)
    modality = serializers.ChoiceField(choices=Modality.choices)
    durationMinutes = serializers.IntegerField(min_value=1, max_value=1440)
    plannedLoad = PlannedLoadField()
    structure = TemplateStructureField()

    def validate_time(self, value):
        if not TIME.match(value):
            raise serializers.ValidationError('A local time "HH:MM" from 00:00 to 23:59.')
        return value


def _stored_sessions(sessions) -> list[dict]:
    """Validated session items as the row stores them: JSON types, every key present, in the API's order."""
    return [
        {
            "week": item["week"],
            "day": item["day"],
            "time": item["time"],
            "title": item["title"],
            "modality": item["modality"],
            "durationMinutes": item["durationMinutes"],
            "plannedLoad": None if item.get("plannedLoad") is None else float(item["plannedLoad"]),
            "structure": item.get("structure"),
        }
        for item in sessions
    ]


class ProgramTemplateSerializer(ServiceModelSerializer):
    """A season without an athlete, written whole: `phases` by weeks, `sessions` by week, weekday and local
    time (at most 2,000), each validated as the sessions' own fields are."""

    owner_id = serializers.IntegerField(read_only=True, help_text="The template's creator.")
    phases = TemplatePhaseSerializer(many=True, required=False)
    sessions = TemplateSessionSerializer(many=True, required=False, max_length=MAX_TEMPLATE_SESSIONS)
    description = TrimmedCharField(max_length=10_000, allow_blank=True, required=False)

    class Meta:
        model = ProgramTemplate
        fields = ["id", "title", "description", "weeks", "owner_id", "shared", "phases", "sessions", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators: list = []

    def validate_phases(self, phases):
        return [dict(item) for item in phases]

    def validate_sessions(self, sessions):
        return _stored_sessions(sessions)


class SessionTemplateSerializer(ServiceModelSerializer):
    """A session without a date or an athlete; `POST /sessions/` with `templateId` copies it."""

    owner_id = serializers.IntegerField(read_only=True, help_text="The template's creator.")
    planned_load = PlannedLoadField()
    structure = TemplateStructureField()

    class Meta:
        model = SessionTemplate
        fields = [
            "id",
            "title",
            "modality",
            "duration_minutes",
            "planned_load",
            "structure",
            "owner_id",
            "shared",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        validators: list = []


class TemplateApplySerializer(serializers.Serializer):
    athlete_ids = serializers.ListField(
        child=serializers.UUIDField(),
        min_length=1,
        max_length=MAX_APPLY_ATHLETES,
        required=False,
        help_text="1–100 athletes you may see; or give squadId.",
    )
    squad_id = serializers.UUIDField(required=False, help_text="Every athlete of this squad that you may see.")
    start_date = BoundedDateField(help_text="The first day of each new program (any weekday).")
    title = TrimmedCharField(max_length=120, required=False, help_text="Default: the template's title.")

    def validate(self, attrs):
        if ("athlete_ids" in attrs) == ("squad_id" in attrs):
            raise serializers.ValidationError({"non_field_errors": ["Give either athleteIds or squadId."]})
        return attrs


class AppliedProgramSerializer(serializers.Serializer):
    athlete_id = serializers.UUIDField()
    program_id = serializers.UUIDField()


class TemplateAppliedSerializer(serializers.Serializer):
    programs = AppliedProgramSerializer(many=True)


class SaveAsTemplateSerializer(serializers.Serializer):
    title = TrimmedCharField(max_length=120, required=False, help_text="Default: the program's title.")
    shared = serializers.BooleanField(required=False, default=False)


def _template_filter(template_model):
    class TemplateFilter(FilterSet):
        # A form CharField (not DRF's SearchFilter) so NUL bytes and over-long values are a 400, not a DataError.
        search = django_filters.CharFilter(
            field_name="title", lookup_expr="icontains", max_length=120, label="Search in title"
        )
        shared = StrictBooleanFilter(field_name="shared", label="true: the shared templates; false: the others")
        owner_id = django_filters.NumberFilter(field_name="owner_id", min_value=1, max_value=2**63 - 1)
        updated_after = updated_after_filter()

        class Meta:
            model = template_model
            fields = ["search", "shared", "owner_id", "updated_after"]

    TemplateFilter.__name__ = f"{template_model.__name__}Filter"
    return TemplateFilter


ProgramTemplateFilter = _template_filter(ProgramTemplate)
SessionTemplateFilter = _template_filter(SessionTemplate)


class _TemplateViewSet(CadenceViewSet):
    permission_classes = [RolePermission]
    pagination_class = KeysetOrPageNumberPagination
    ordering_fields = ["title", "updated_at"]
    ordering = ["title", "id"]


class ProgramTemplateViewSet(_TemplateViewSet):
    """Program templates: a coach sees their own and the shared ones, head coaches all; only the owner or a head
    coach changes one (403 otherwise); athletes and operations get 403. No DELETE (405): the admin deletes."""

    queryset = ProgramTemplate.objects.none()
    serializer_class = ProgramTemplateSerializer
    filterset_class = ProgramTemplateFilter
    write_service = staticmethod(services.program_template_write)
    action_permissions = {"apply": ["training.add_trainingprogram", "training.view_programtemplate"]}

    def scoped_queryset(self):
        return program_template_list(user=self.request.user)

    @extend_schema(
        request=TemplateApplySerializer,
        responses={
            201: TemplateAppliedSerializer,
            400: OpenApiResponse(description="A rule broken for one athlete (named), or a malformed body."),
            404: OpenApiResponse(description="The template, an athlete or the squad is not one you may see."),
        },
        summary="A planned program from this template for each athlete, in one transaction",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def apply(self, request, pk=None):
        template = self.get_object()
        body = TemplateApplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            applied = services.template_apply(
                template=template,
                athlete_ids=body.validated_data.get("athlete_ids"),
                squad_id=body.validated_data.get("squad_id"),
                start_date=body.validated_data["start_date"],
                title=body.validated_data.get("title"),
                actor=request.user,
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors_to_drf(exc)) from exc
        programs = [{"athlete_id": athlete, "program_id": program} for athlete, program in applied]
        return Response(TemplateAppliedSerializer({"programs": programs}).data, status=status.HTTP_201_CREATED)


class SessionTemplateViewSet(_TemplateViewSet):
    """Session templates: the same access as program templates."""

    queryset = SessionTemplate.objects.none()
    serializer_class = SessionTemplateSerializer
    filterset_class = SessionTemplateFilter
    write_service = staticmethod(services.session_template_write)

    def scoped_queryset(self):
        return session_template_list(user=self.request.user)


def template_session_fields(template: SessionTemplate) -> dict:
    """What `POST /sessions/` with `templateId` copies, as request fields (the request's own win)."""
    return {
        "title": template.title,
        "modality": template.modality,
        "duration_minutes": template.duration_minutes,
        "planned_load": None if template.planned_load is None else Decimal(template.planned_load),
        "structure": workout_structure.validate_structure(template.structure) if template.structure else None,
    }
