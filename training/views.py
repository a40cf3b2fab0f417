"""Training resources. Coaches read and write everything; an athlete's querysets hold only the rows under
their own profile (others' ids are 404 whatever the path or filter), and they may PATCH only their own
sessions' status, completedAt, load and rpe."""

from core.pagination import KeysetOrPageNumberPagination
from core.permissions import IsCoachOrOwnAthlete
from core.viewsets import CadenceViewSet

from . import services
from .filters import MicroCycleFilter, ProgramPhaseFilter, TrainingProgramFilter, TrainingSessionFilter
from .models import MicroCycle, ProgramPhase, TrainingProgram, TrainingSession
from .serializers import (
    MicroCycleSerializer,
    ProgramPhaseSerializer,
    TrainingProgramSerializer,
    TrainingSessionSerializer,
)


class _TrainingViewSet(CadenceViewSet):
    permission_classes = [IsCoachOrOwnAthlete]
    pagination_class = KeysetOrPageNumberPagination  # ?pagination=cursor for clients that walk or sync
    owner_path = ""  # the lookup from the row to the owning user

    def base_queryset(self):
        raise NotImplementedError

    def scoped_queryset(self):
        user = self.request.user
        queryset = self.base_queryset()
        return queryset if user.is_staff else queryset.filter(**{self.owner_path: user})


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
    owner_path = "athlete__user"

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
    owner_path = "program__athlete__user"

    def base_queryset(self):
        return ProgramPhase.objects.all()


class MicroCycleViewSet(_ProgramChildViewSet):
    queryset = MicroCycle.objects.none()
    serializer_class = MicroCycleSerializer
    filterset_class = MicroCycleFilter
    ordering_fields = ["week_index", "updated_at"]
    ordering = ["week_index", "id"]
    owner_path = "program__athlete__user"

    def base_queryset(self):
        return MicroCycle.objects.with_session_counts()


class TrainingSessionViewSet(_ProgramChildViewSet):
    queryset = TrainingSession.objects.none()
    serializer_class = TrainingSessionSerializer
    filterset_class = TrainingSessionFilter
    ordering_fields = ["scheduled_at", "updated_at"]
    ordering = ["scheduled_at", "id"]
    owner_path = "athlete__user"
    athlete_writable_fields = ("status", "completed_at", "load", "rpe")

    def base_queryset(self):
        return TrainingSession.objects.all()
