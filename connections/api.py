"""/api/v1/connection-profiles/: staff only. Changes are recorded by django-simple-history."""

from core.permissions import IsCoach
from core.viewsets import CadenceViewSet

from .models import DatabaseConnectionProfile
from .serializers import DatabaseConnectionProfileSerializer


class DatabaseConnectionProfileViewSet(CadenceViewSet):
    queryset = DatabaseConnectionProfile.objects.none()
    serializer_class = DatabaseConnectionProfileSerializer
    permission_classes = [IsCoach]
    filterset_fields: list = []
    ordering_fields = ["environment", "updated_at"]
    ordering = ["environment"]

    def scoped_queryset(self):
        return DatabaseConnectionProfile.objects.all()
