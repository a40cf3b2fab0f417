"""Who sees health events: operations (and superusers); nobody else, whatever their staff flag."""

from django.db.models import QuerySet

from core import roles

from .models import ConnectionHealthEvent


def health_event_list(
    *, user, queryset: QuerySet[ConnectionHealthEvent] | None = None
) -> QuerySet[ConnectionHealthEvent]:
    queryset = ConnectionHealthEvent.objects.all() if queryset is None else queryset
    if roles.has_permission(user, "health.view_connectionhealthevent"):
        return queryset
    return queryset.none()
