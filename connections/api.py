"""/api/v1/connection-profiles/: staff only. Changes are recorded by django-simple-history."""

from core.permissions import IsCoach
from core.viewsets import CadenceViewSet

from .models import DatabaseConnectionProfile
from .serializers import DatabaseConnectionProfileSerializer


class DatabaseConnectionProfileViewSet(CadenceViewSet):
    """Database connection profiles (coaches only). `credentialRef` names where a secret lives; a value that
    carries a secret is rejected and never stored or echoed. Every change is kept in an audit history."""

    queryset = DatabaseConnectionProfile.objects.none()
    serializer_class = DatabaseConnectionProfileSerializer
    permission_classes = [IsCoach]
    filterset_fields: list = []
    ordering_fields = ["environment", "updated_at"]
    ordering = ["environment"]

    def scoped_queryset(self):
        return DatabaseConnectionProfile.objects.all()
