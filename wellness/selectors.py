"""Who sees which wellness entries: whoever sees the athlete (athletes.selectors) and holds a role that reads
wellness (core.roles: the athlete themself, coaches who see them, head coaches and superusers). Operations and
staff without a role see none, whatever athletes they might otherwise reach."""

from __future__ import annotations

from django.db.models import QuerySet

from athletes.models import AthleteProfile
from athletes.selectors import athlete_filter, athlete_list
from core import roles

from .models import WellnessEntry

VIEW_WELLNESS = "wellness.view_wellnessentry"


def reads_wellness(user) -> bool:
    """Whether `user`'s role reads wellness at all: an athlete (their own), or a holder of the view permission
    (coaches, head coaches, superusers)."""
    return roles.is_athlete(user) or roles.has_permission(user, VIEW_WELLNESS)


def wellness_list(*, user, queryset: QuerySet[WellnessEntry] | None = None) -> QuerySet[WellnessEntry]:
    queryset = WellnessEntry.objects.all() if queryset is None else queryset
    if not reads_wellness(user):
        return queryset.none()
    return queryset.filter(athlete_filter(user=user, field="athlete_id"))


def wellness_athletes(*, user) -> QuerySet[AthleteProfile]:
    """The athletes whose wellness and readiness `user` may read."""
    if not reads_wellness(user):
        return AthleteProfile.objects.none()
    return athlete_list(user=user)
