"""Training resources. Every queryset comes from `training.selectors`: a coach reaches the rows under the
athletes assigned to them, a head coach every row, an athlete the rows under their own profile (others' ids
are 404 whatever the path or filter); athletes may PATCH only their own sessions' status, completedAt, load
and rpe. The permission to act at all is the model permission (`core.permissions.RolePermission`)."""

from core.permissions import RolePermission
from core.viewsets import CadenceViewSet

from . import selectors, services
from .filters import MicroCycleFilter, ProgramPhaseFilter, TrainingProgramFilter, TrainingSessionFilter
from .models import MicroCycle, ProgramPhase, TrainingProgram, TrainingSession
from .serializers import (
    MicroCycleSerializer,
    ProgramPhaseSerializer,
    TrainingProgramSerializer,
    TrainingSessionSerializer,
)


class _TrainingViewSet(CadenceViewSet):
    permission_classes = [RolePermission]
    athlete_access = True
    selector = None  # training.selectors.<resource>_list

    def base_queryset(self):
        raise NotImplementedError

    def scoped_queryset(self):
        return type(self).selector(user=self.request.user, queryset=self.base_queryset())


class _ProgramChildViewSet(_TrainingViewSet):
    def lock_for_write(self, instance):
        # training.services lock the program before writing a phase, cycle or session: same order here.
        services.program_lock(instance.program_id)
        return super().lock_for_write(instance)


class TrainingProgramViewSet(_TrainingViewSet):
    """Programs with their derived metrics (totalWeeks, completedWeeks, adherenceRate, currentPhaseId,
    nextSessionId), computed by the database in the query that loads the page."""

    queryset = TrainingProgram.objects.none()
    serializer_class = TrainingProgramSerializer
    filterset_class = TrainingProgramFilter
    ordering_fields = ["start_date", "updated_at"]
    ordering = ["start_date", "id"]
    selector = staticmethod(selectors.program_list)

    def base_queryset(self):
        return TrainingProgram.objects.with_metrics()

    def lock_for_write(self, instance):
        # program_save locks the athlete, then the program: same order here.
        services.athlete_lock(instance.athlete_id)
        return super().lock_for_write(instance)


class ProgramPhaseViewSet(_ProgramChildViewSet):
    queryset = ProgramPhase.objects.none()
    serializer_class = ProgramPhaseSerializer
    filterset_class = ProgramPhaseFilter
    ordering_fields = ["phase_order", "start_date", "updated_at"]
    ordering = ["phase_order", "start_date", "id"]
    selector = staticmethod(selectors.phase_list)

    def base_queryset(self):
        return ProgramPhase.objects.all()


class MicroCycleViewSet(_ProgramChildViewSet):
    queryset = MicroCycle.objects.none()
    serializer_class = MicroCycleSerializer
    filterset_class = MicroCycleFilter
    ordering_fields = ["week_index", "updated_at"]
    ordering = ["week_index", "id"]
    selector = staticmethod(selectors.micro_cycle_list)

    def base_queryset(self):
        return MicroCycle.objects.with_session_counts()


class TrainingSessionViewSet(_ProgramChildViewSet):
    queryset = TrainingSession.objects.none()
    serializer_class = TrainingSessionSerializer
    filterset_class = TrainingSessionFilter
    ordering_fields = ["scheduled_at", "updated_at"]
    ordering = ["scheduled_at", "id"]
    selector = staticmethod(selectors.session_list)
    athlete_writable_fields = ("status", "completed_at", "load", "rpe")

    def base_queryset(self):
        return TrainingSession.objects.all()
