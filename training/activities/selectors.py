"""Who sees which activities: whoever sees the athlete (athletes.selectors), as for their sessions."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from athletes.selectors import athlete_filter

from ..models import TrainingSession
from .models import Activity


def with_session_id(queryset: QuerySet[Activity]) -> QuerySet[Activity]:
    """`session_id`: the session the activity completed (the session row holds the link, unique), in the query
    that loads the rows."""
    matched = TrainingSession.objects.filter(activity_id=OuterRef("pk")).values("pk")[:1]
    return queryset.annotate(session_id=Subquery(matched))


def activity_list(*, user, queryset: QuerySet[Activity] | None = None) -> QuerySet[Activity]:
    queryset = Activity.objects.all() if queryset is None else queryset
    return with_session_id(queryset.filter(athlete_filter(user=user, field="athlete_id")))
