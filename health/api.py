"""/api/v1/health-events/: the recorded database checks, newest first; operations only, read-only."""

import django_filters

from core.lists.filters import FilterSet, UTCDateTimeFilter, updated_after_filter
from core.permissions import RolePermission
from core.viewsets import ReadOnlyCadenceViewSet

from .models import CheckStatus, ConnectionHealthEvent
from .selectors import health_event_list
from .serializers import ConnectionHealthEventSerializer


class ConnectionHealthEventFilter(FilterSet):
    environment = django_filters.CharFilter(max_length=40)
    database = django_filters.CharFilter(max_length=64)
    status = django_filters.ChoiceFilter(choices=CheckStatus.choices)
    checked_after = UTCDateTimeFilter(field_name="checked_at", lookup_expr="gte")
    checked_before = UTCDateTimeFilter(field_name="checked_at", lookup_expr="lt")
    # Events never change once recorded: their change time is the check time.
    updated_after = updated_after_filter(field_name="checked_at")

    class Meta:
        model = ConnectionHealthEvent
        fields = ["environment", "database", "status", "checked_after", "checked_before", "updated_after"]


class ConnectionHealthEventViewSet(ReadOnlyCadenceViewSet):
    """Recorded database checks, newest first (operations only, read-only)."""

    queryset = ConnectionHealthEvent.objects.all()
    serializer_class = ConnectionHealthEventSerializer
    permission_classes = [RolePermission]
    filterset_class = ConnectionHealthEventFilter
    ordering_fields = ["checked_at"]
    ordering = ["-checked_at", "-id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return self.queryset
        return health_event_list(user=self.request.user)
