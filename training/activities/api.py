"""/api/v1/activities/ (read, the file as uploaded, a link by hand) and the upload,
`POST /api/v1/athletes/{id}/activities/`. Visible as sessions are: coaches for the athletes they see, athletes
their own (they upload and link their own); someone else's activity is a 404."""

from __future__ import annotations

import hashlib

import django_filters
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from athletes.models import AthleteProfile
from athletes.selectors import athlete_list
from core.api import Conflict, RequestTooLarge, django_errors_to_drf, etag_for
from core.idempotency import IdempotentPostMixin
from core.lists.filters import FilterSet, UTCDateTimeFilter, updated_after_filter
from core.lists.page_statement import ListReads
from core.lists.pagination import KeysetOrPageNumberPagination
from core.permissions import RolePermission
from core.viewsets import ReadOnlyCadenceViewSet

from . import services
from .models import Activity, ActivityStatus
from .selectors import activity_list

# Multipart framing around the file: a request larger than the limit by more than this is refused unread.
MULTIPART_SLACK = 64 * 1024


class ActivitySerializer(serializers.ModelSerializer):
    athlete_id = serializers.UUIDField(read_only=True)
    session_id = serializers.UUIDField(
        read_only=True, allow_null=True, help_text="The session this activity completed (matched or linked)."
    )
    error = serializers.CharField(read_only=True, help_text="What is wrong with the file, when failed.")

    class Meta:
        model = Activity
        fields = [
            "id",
            "athlete_id",
            "status",
            "error",
            "sport",
            "started_at",
            "duration_seconds",
            "distance_meters",
            "elevation_gain_meters",
            "avg_heart_rate",
            "max_heart_rate",
            "avg_power_watts",
            "trimp",
            "session_id",
            "file_name",
            "sha256",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ActivityAcceptedSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    status = serializers.ChoiceField(choices=ActivityStatus.choices, read_only=True)


class ActivityUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the view says "empty" in its own words
        help_text="A .fit, .tcx or .gpx file, optionally gzipped (.fit.gz ...); at most ACTIVITY_MAX_BYTES.",
    )


class ActivityLinkSerializer(serializers.Serializer):
    session_id = serializers.UUIDField(help_text="A session of the activity's athlete that has no activity yet.")


class ActivityFilter(FilterSet):
    athlete_id = django_filters.UUIDFilter(field_name="athlete_id")
    status = django_filters.ChoiceFilter(choices=ActivityStatus.choices)
    started_after = UTCDateTimeFilter(field_name="started_at", lookup_expr="gte", label="Started at or after")
    started_before = UTCDateTimeFilter(field_name="started_at", lookup_expr="lt", label="Started before")
    updated_after = updated_after_filter()

    class Meta:
        model = Activity
        fields = ["athlete_id", "status", "started_after", "started_before", "updated_after"]


class ActivityViewSet(IdempotentPostMixin, ReadOnlyCadenceViewSet):
    """Imported activities, newest upload first. Created by the upload (`POST /athletes/{id}/activities/`);
    no PUT, PATCH or DELETE (405)."""

    queryset = Activity.objects.none()
    serializer_class = ActivitySerializer
    permission_classes = [RolePermission]
    athlete_access = True
    athlete_actions = ("link",)  # an athlete links their own activity to their own session
    action_permissions = {"link": ["training.change_activity"]}
    filterset_class = ActivityFilter
    pagination_class = KeysetOrPageNumberPagination
    ordering_fields = ["created_at", "started_at", "updated_at"]
    ordering = ["-created_at", "-id"]
    list_reads = ListReads(derived_columns=None, page_in_one_statement=True)  # sessionId: in the selector

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return activity_list(user=self.request.user)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(description="The file as uploaded.")},
        summary="The activity's file, as uploaded",
    )
    @action(detail=True, methods=["get"])
    def file(self, request, pk=None):
        activity = self.get_object()
        try:
            stream = activity.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The file of this activity is missing from storage.") from exc
        return FileResponse(
            stream, as_attachment=True, filename=activity.file_name, content_type="application/octet-stream"
        )

    @extend_schema(request=ActivityLinkSerializer, responses={200: ActivitySerializer})
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        """Link the activity to a session of the same athlete by hand: the session becomes completed as a match
        makes it. A session that already has an activity (or an activity already linked) is a 409."""
        activity = self.get_object()
        body = ActivityLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.activity_link(activity=activity, session_id=body.validated_data["session_id"])
        except services.Conflict as exc:
            raise Conflict(str(exc)) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors_to_drf(exc)) from exc
        fresh = self.get_queryset().get(pk=activity.pk)
        return Response(self.get_serializer(fresh).data, headers={"ETag": etag_for(fresh)})


class AthleteActivityUploadView(APIView):
    """Takes no Idempotency-Key (core.idempotency.KEYLESS_POSTS): the upload is idempotent by content."""

    permission_classes = [RolePermission]
    queryset = Activity.objects.none()  # RolePermission: POST needs training.add_activity
    athlete_access = True
    action = "upload"
    athlete_actions = ("upload",)  # athletes upload their own
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": ActivityUploadSerializer},
        responses={
            202: ActivityAcceptedSerializer,
            200: OpenApiResponse(ActivitySerializer, description="The same file was already uploaded: that one."),
            413: OpenApiResponse(
                inline_serializer("ActivityTooLarge", {"detail": serializers.CharField()}),
                description="The file is larger than ACTIVITY_MAX_BYTES.",
            ),
        },
        summary="Upload an activity file (FIT, TCX or GPX, optionally gzipped)",
    )
    def post(self, request, pk):
        athlete = athlete_list(user=request.user).filter(pk=pk).first()
        if athlete is None:
            raise Http404("No athlete with this id.")
        limit = settings.ACTIVITY_MAX_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit + MULTIPART_SLACK:
            raise RequestTooLarge(f"The file is larger than the limit of {limit} bytes.")
        upload = request.FILES.get("file")
        if upload is None:
            raise serializers.ValidationError({"file": ["No file was submitted (multipart field `file`)."]})
        name = (upload.name or "").strip()
        if services.extension_of(name) is None:
            raise serializers.ValidationError(
                {"file": ["Unsupported file type: send a .fit, .tcx or .gpx file, optionally gzipped (.gz)."]}
            )
        if upload.size > limit:
            raise RequestTooLarge(f"The file is larger than the limit of {limit} bytes.")
        if upload.size == 0:
            raise serializers.ValidationError({"file": ["The file is empty."]})
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        try:
            activity, created = services.activity_upload(
                athlete_id=athlete.pk, upload=upload, file_name=name, sha256=digest.hexdigest()
            )
        except AthleteProfile.DoesNotExist as exc:
            raise Http404("No athlete with this id.") from exc
        if not created:
            row = activity_list(user=request.user).get(pk=activity.pk)
            return Response(ActivitySerializer(row).data, status=status.HTTP_200_OK)
        return Response({"id": activity.pk, "status": activity.status}, status=status.HTTP_202_ACCEPTED)
