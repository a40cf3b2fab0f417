"""Training resources. Every queryset comes from `training.selectors`: a coach reaches the rows under the
athletes assigned to them, a head coach every row, an athlete the rows under their own profile (others' ids
are 404 whatever the path or filter); athletes may PATCH only their own sessions' status, completedAt, load
and rpe. The permission to act at all is the model permission (`core.permissions.RolePermission`)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from athletes.selectors import athlete_list
from core.api import django_errors_to_drf, etag_for
from core.lists.page_statement import ListReads
from core.lists.pagination import KeysetOrPageNumberPagination
from core.permissions import RolePermission
from core.viewsets import CadenceViewSet

from . import cloning, selectors, services
from .compliance.queries import with_before_today
from .filters import MicroCycleFilter, ProgramPhaseFilter, TrainingProgramFilter, TrainingSessionFilter
from .library import api as library_api
from .library import services as library_services
from .models import MicroCycle, ProgramPhase, TrainingProgram, TrainingSession
from .serializers import (
    MicroCycleSerializer,
    ProgramCloneSerializer,
    ProgramPhaseSerializer,
    TrainingProgramSerializer,
    TrainingSessionSerializer,
)
from .workouts.export_views import WorkoutExportsMixin
from .workouts.fields import attach_one_rep_max


class _TrainingViewSet(CadenceViewSet):
    permission_classes = [RolePermission]
    pagination_class = KeysetOrPageNumberPagination  # ?pagination=cursor for clients that walk or sync
    athlete_access = True
    selector = None  # training.selectors.<resource>_list

    def base_queryset(self):
        raise NotImplementedError

    def scoped_queryset(self):
        return type(self).selector(user=self.request.user, queryset=self.base_queryset())


class TrainingProgramViewSet(_TrainingViewSet):
    """Programs with their derived metrics (totalWeeks, completedWeeks, adherenceRate, currentPhaseId,
    nextSessionId), computed by the database in the query that loads the page."""

    queryset = TrainingProgram.objects.none()
    serializer_class = TrainingProgramSerializer
    filterset_class = TrainingProgramFilter
    ordering_fields = ["start_date", "updated_at"]
    ordering = ["start_date", "id"]
    selector = staticmethod(selectors.program_list)
    write_service = staticmethod(services.program_write)
    action_permissions = {
        "clone": ["training.add_trainingprogram"],
        "save_as_template": ["training.add_programtemplate"],
    }

    list_reads = ListReads(derived_columns=lambda queryset, now: queryset.with_metrics(now), page_in_one_statement=True)

    def base_queryset(self):
        return TrainingProgram.objects.all()

    @extend_schema(request=ProgramCloneSerializer, responses={201: TrainingProgramSerializer})
    @action(detail=True, methods=["post"])
    def clone(self, request, pk=None):
        """Copy this program, its phases, micro-cycles and sessions to an athlete and a start date (coaches).

        The copy is `planned`; sessions keep their local wall-clock time in the target athlete's timezone."""
        source = self.get_object()  # scoped: a program the caller cannot see is 404
        body = ProgramCloneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        athlete = athlete_list(user=request.user).filter(pk=body.validated_data["athlete_id"]).first()
        if athlete is None:
            raise Http404("No athlete with this athleteId.")
        try:
            program = cloning.program_clone(
                source=source,
                athlete=athlete,
                start_date=body.validated_data["start_date"],
                title=body.validated_data.get("title"),
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors_to_drf(exc, {"athlete": "athlete_id"})) from exc
        fresh = self.get_queryset().get(pk=program.pk)
        data = TrainingProgramSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(fresh)})

    @extend_schema(request=library_api.SaveAsTemplateSerializer, responses={201: library_api.ProgramTemplateSerializer})
    @action(detail=True, methods=["post"], url_path="save-as-template")
    def save_as_template(self, request, pk=None):
        """A program template of this program, owned by the caller (coaches): its weeks, its phases by week and
        its sessions by week, weekday and local time."""
        program = self.get_object()  # scoped: a program the caller cannot see is 404
        body = library_api.SaveAsTemplateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            template = library_services.program_save_as_template(
                program=program,
                title=body.validated_data.get("title"),
                shared=body.validated_data["shared"],
                actor=request.user,
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(django_errors_to_drf(exc)) from exc
        data = library_api.ProgramTemplateSerializer(template, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(template)})


class ProgramPhaseViewSet(_TrainingViewSet):
    queryset = ProgramPhase.objects.none()
    serializer_class = ProgramPhaseSerializer
    filterset_class = ProgramPhaseFilter
    ordering_fields = ["phase_order", "start_date", "updated_at"]
    ordering = ["phase_order", "start_date", "id"]
    selector = staticmethod(selectors.phase_list)
    write_service = staticmethod(services.phase_write)
    reread_after_write = False  # no derived columns
    list_reads = ListReads(derived_columns=None, page_in_one_statement=True)  # see TrainingSessionViewSet

    def base_queryset(self):
        return ProgramPhase.objects.all()


class MicroCycleViewSet(_TrainingViewSet):
    queryset = MicroCycle.objects.none()
    serializer_class = MicroCycleSerializer
    filterset_class = MicroCycleFilter
    ordering_fields = ["week_index", "updated_at"]
    ordering = ["week_index", "id"]
    selector = staticmethod(selectors.micro_cycle_list)
    write_service = staticmethod(services.micro_cycle_write)

    list_reads = ListReads(
        derived_columns=lambda queryset, now: queryset.with_session_counts(), page_in_one_statement=True
    )

    def base_queryset(self):
        return MicroCycle.objects.all()


class TrainingSessionViewSet(WorkoutExportsMixin, _TrainingViewSet):
    queryset = TrainingSession.objects.none()
    serializer_class = TrainingSessionSerializer
    filterset_class = TrainingSessionFilter
    ordering_fields = ["scheduled_at", "updated_at"]
    ordering = ["scheduled_at", "id"]
    selector = staticmethod(selectors.session_list)
    write_service = staticmethod(services.session_write)
    reread_after_write = False  # compliance works out its one derived column for the written row itself
    athlete_writable_fields = ("status", "completed_at", "load", "rpe", "actual_duration_minutes")
    # One derived column, `before_today` (compliance: is a planned session already missed?); on PostgreSQL a
    # numbered page, its count and that column are still one statement (core.lists.page_statement). A page whose
    # structures prescribe %1RM sets reads its athletes' estimates in one more query.
    list_reads = ListReads(
        derived_columns=with_before_today, page_in_one_statement=True, complete_rows=attach_one_rep_max
    )

    def base_queryset(self):
        return TrainingSession.objects.all()
