"""/api/v1/connection-profiles/: operations only (the `connections.*_databaseconnectionprofile` permissions).
Changes are recorded by django-simple-history."""

from core.lists.filters import FilterSet, updated_after_filter
from core.lists.pagination import KeysetOrPageNumberPagination
from core.permissions import RolePermission
from core.viewsets import CadenceViewSet

from . import services
from .models import DatabaseConnectionProfile
from .selectors import connection_profile_list
from .serializers import DatabaseConnectionProfileSerializer


class DatabaseConnectionProfileFilter(FilterSet):
    updated_after = updated_after_filter()

    class Meta:
        model = DatabaseConnectionProfile
        fields = ["updated_after"]


class DatabaseConnectionProfileViewSet(CadenceViewSet):
    """Database connection profiles (operations only). `credentialRef` names where a secret lives; a value that
    carries a secret is rejected and never stored or echoed. Every change is kept in an audit history."""

    queryset = DatabaseConnectionProfile.objects.none()
    serializer_class = DatabaseConnectionProfileSerializer
    permission_classes = [RolePermission]
    filterset_class = DatabaseConnectionProfileFilter
    pagination_class = KeysetOrPageNumberPagination
    ordering_fields = ["environment", "updated_at"]
    ordering = ["environment"]
    write_service = staticmethod(services.connection_profile_write)
    reread_after_write = False  # no derived columns

    def scoped_queryset(self):
        return connection_profile_list(user=self.request.user)
