"""Who sees connection profiles: operations (and superusers); nobody else, whatever their staff flag."""

from django.db.models import QuerySet

from core import roles

from .models import DatabaseConnectionProfile


def connection_profile_list(
    *, user, queryset: QuerySet[DatabaseConnectionProfile] | None = None
) -> QuerySet[DatabaseConnectionProfile]:
    queryset = DatabaseConnectionProfile.objects.all() if queryset is None else queryset
    if roles.has_permission(user, "connections.view_databaseconnectionprofile"):
        return queryset
    return queryset.none()
