"""Who sees which events: whoever sees the athlete (athletes.selectors), as for their programs."""

from __future__ import annotations

from django.db.models import QuerySet

from athletes.selectors import athlete_filter

from .models import SeasonEvent


def event_list(*, user, queryset: QuerySet[SeasonEvent] | None = None) -> QuerySet[SeasonEvent]:
    queryset = SeasonEvent.objects.all() if queryset is None else queryset
    return queryset.filter(athlete_filter(user=user, field="athlete_id"))
