"""The wellness endpoints: an athlete's entry of a date (`PUT`/`GET /athletes/{id}/wellness/{date}/`), the list
(`/wellness/`), readiness (`/athletes/{id}/readiness/`) and the readiness board (`/readiness-board/`).

Who: `WellnessPermission`. Which athletes: `selectors.wellness_athletes` (anyone else's is a 404)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, generics, permissions, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from athletes.filters import SquadFilter, of_squad
from core import roles
from core.api import BoundedDateField, ServiceModelSerializer, django_errors_to_drf, etag_for
from core.lists.filters import FilterSet, updated_after_filter
from core.lists.page_statement import ListReads
from core.lists.pagination import KeysetOrPageNumberPagination
from core.lists.views import FastListMixin
from training.compliance.fields import WeekComplianceField
from training.load.api import LoadSummaryDateSerializer

from . import readiness as readiness_rules
from .board import board
from .models import NOTES_MAX, WellnessEntry
from .selectors import reads_wellness, wellness_athletes, wellness_list
from .services import athlete_today, wellness_put

WRITE_MESSAGE = "Wellness is written by the athlete only, for themself."
READ_MESSAGE = "Wellness is read by the athlete, their coaches, head coaches and superusers only."


class WellnessPermission(permissions.BasePermission):
    """The athlete (their own) and holders of `wellness.view_wellnessentry` (coaches, head coaches, superusers);
    which athletes is the selectors' business (404 otherwise). The only write, PUT, is the athlete's (the view
    refuses anyone else with 403). Operations and staff without a role: 403."""

    message = READ_MESSAGE

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # a method this resource does not answer: 405 for everyone signed in
        # A PUT is then judged by the view, after the athlete lookup: someone it may not see is a 404 whoever
        # asks; a staff reader on an athlete they see is a 403 (the athlete writes).
        return reads_wellness(user)


class WellnessEntrySerializer(ServiceModelSerializer):
    athlete_id = serializers.UUIDField(read_only=True)
    wellness_score = serializers.IntegerField(read_only=True, help_text="The sum of the five items, 5–25.")

    class Meta:
        model = WellnessEntry
        fields = [
            "id",
            "athlete_id",
            "date",
            "sleep_quality",
            "fatigue",
            "soreness",
            "stress",
            "mood",
            "sleep_hours",
            "resting_heart_rate",
            "hrv_rmssd",
            "illness",
            "notes",
            "wellness_score",
            "updated_at",
        ]
        read_only_fields = ["id", "date", "updated_at"]
        extra_kwargs = {
            "notes": {"max_length": NOTES_MAX, "required": False, "allow_blank": True},
            "illness": {"required": False},
            "sleep_hours": {"required": False},
            "resting_heart_rate": {"required": False},
            "hrv_rmssd": {"required": False},
        }


class WellnessFilter(FilterSet):
    athlete_id = django_filters.UUIDFilter(field_name="athlete_id")
    squad_id = SquadFilter()
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="On or after this date")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="On or before this date")
    updated_after = updated_after_filter()

    class Meta:
        model = WellnessEntry
        fields = ["athlete_id", "squad_id", "date_after", "date_before", "updated_after"]


class WellnessViewSet(FastListMixin, viewsets.GenericViewSet):
    """Wellness entries of the athletes you may see (list only: an entry is read and written at
    /athletes/{id}/wellness/{date}/). No POST, no DELETE (405)."""

    queryset = WellnessEntry.objects.none()
    serializer_class = WellnessEntrySerializer
    permission_classes = [WellnessPermission]
    filterset_class = WellnessFilter
    pagination_class = KeysetOrPageNumberPagination
    ordering_fields = ["date", "updated_at"]
    ordering = ["date", "id"]
    list_reads = ListReads(derived_columns=None, page_in_one_statement=True)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return wellness_list(user=self.request.user)


class _DateInPath(serializers.Serializer):
    date = BoundedDateField()


def _path_date(value: str):
    parsed = _DateInPath(data={"date": value})
    parsed.is_valid(raise_exception=True)
    return parsed.validated_data["date"]


_DAY = OpenApiParameter(
    "day", OpenApiTypes.DATE, location=OpenApiParameter.PATH, description="The athlete-local date (YYYY-MM-DD)."
)


class AthleteWellnessView(APIView):
    """The athlete's wellness entry of one of their local dates. PUT creates (201) or replaces (200) it, by the
    athlete only; a date after their today is a 400."""

    permission_classes = [WellnessPermission]
    serializer_class = WellnessEntrySerializer

    def _athlete(self, pk):
        return get_object_or_404(wellness_athletes(user=self.request.user), pk=pk)

    @extend_schema(operation_id="athletes_wellness_retrieve", parameters=[_DAY], responses=WellnessEntrySerializer)
    def get(self, request, pk, day):
        day = _path_date(day)
        athlete = self._athlete(pk)
        entry = get_object_or_404(WellnessEntry, athlete=athlete, date=day)
        return Response(WellnessEntrySerializer(entry).data, headers={"ETag": etag_for(entry)})

    @extend_schema(
        operation_id="athletes_wellness_put",
        parameters=[_DAY],
        request=WellnessEntrySerializer,
        responses=WellnessEntrySerializer,
    )
    def put(self, request, pk, day):
        athlete = self._athlete(pk)
        if not roles.is_athlete(request.user):
            raise exceptions.PermissionDenied(WRITE_MESSAGE)
        day = _path_date(day)
        body = WellnessEntrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            entry, created = wellness_put(
                athlete=athlete, day=day, changes=dict(body.validated_data), if_match=request.headers.get("If-Match")
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors_to_drf(exc)) from None  # no chained health data
        return Response(
            WellnessEntrySerializer(entry).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            headers={"ETag": etag_for(entry)},
        )


_Z = inline_serializer(
    "ReadinessZ",
    {
        "wellness_score": serializers.FloatField(allow_null=True),
        "sleep_hours": serializers.FloatField(allow_null=True),
        "resting_heart_rate": serializers.FloatField(allow_null=True),
        "hrv_ln_rmssd": serializers.FloatField(allow_null=True),
    },
)
_FLAGS = serializers.ListField(child=serializers.ChoiceField(list(readiness_rules.FLAGS)))


def _readiness_body(result: readiness_rules.Readiness) -> dict:
    return {
        "date": result.date.isoformat(),
        "entry": None if result.entry is None else WellnessEntrySerializer(result.entry).data,
        "baseline_days": result.baseline_days,
        "z": result.z,
        "flags": result.flags,
    }


class _ReadinessQuery(serializers.Serializer):
    date = BoundedDateField(required=False)


class AthleteReadinessView(APIView):
    """The athlete's entry of a day (default their today) judged against their entries of the 28 days before."""

    permission_classes = [WellnessPermission]

    @extend_schema(
        operation_id="athletes_readiness",
        parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="Default: the athlete's today.")],
        responses=inline_serializer(
            "Readiness",
            {
                "date": serializers.DateField(),
                "entry": WellnessEntrySerializer(allow_null=True),
                "baseline_days": serializers.IntegerField(),
                "z": _Z,
                "flags": _FLAGS,
            },
        ),
    )
    def get(self, request, pk):
        athlete = get_object_or_404(wellness_athletes(user=request.user), pk=pk)
        query = _ReadinessQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("date") or athlete_today(athlete)
        result = readiness_rules.readiness_of({athlete.pk: day})[athlete.pk]
        return Response(_readiness_body(result))


class ReadinessBoardRowSerializer(serializers.Serializer):
    athlete_id = serializers.UUIDField()
    display_name = serializers.CharField()
    date = serializers.DateField()
    wellness_score = serializers.IntegerField(allow_null=True)
    z = _Z
    flags = _FLAGS
    sessions_today = serializers.IntegerField()
    week_compliance = WeekComplianceField(help_text="The ISO week's load over its planned load; null if none planned.")


class ReadinessBoardView(generics.GenericAPIView):
    """Each athlete you may see on one day (default: their own today), ordered by displayName: wellness score,
    z-scores, flags, sessions of the day and the week's compliance."""

    permission_classes = [WellnessPermission]
    serializer_class = ReadinessBoardRowSerializer
    filter_backends = []  # the order is fixed (displayName)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WellnessEntry.objects.none()
        return wellness_athletes(user=self.request.user).order_by("display_name", "id")

    @extend_schema(
        operation_id="readiness_board",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="Default: each athlete's own today."),
            OpenApiParameter(
                "squadId", OpenApiTypes.UUID, description="Only the athletes of this squad (one you may not see: 404)."
            ),
        ],
        responses=ReadinessBoardRowSerializer(many=True),
    )
    def get(self, request):
        query = LoadSummaryDateSerializer.of(request.query_params)
        athletes = self.get_queryset().only("id", "display_name", "timezone")
        if (squad_id := query.validated_data.get("squadId")) is not None:
            athletes = of_squad(athletes, user=request.user, squad_id=squad_id, field_name="pk")
        page = self.paginate_queryset(athletes)
        rows = board(page, on=query.validated_data.get("date"))
        return self.get_paginated_response([board_row_body(row) for row in rows])


def board_row_body(row) -> dict:
    entry = row.readiness.entry
    return {
        "athlete_id": str(row.athlete_id),
        "display_name": row.display_name,
        "date": row.date.isoformat(),
        "wellness_score": None if entry is None else entry.wellness_score,
        "z": row.readiness.z,
        "flags": row.readiness.flags,
        "sessions_today": row.sessions_today,
        "week_compliance": row.week_compliance,
    }
