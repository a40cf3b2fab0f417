"""Who sees which athletes: the one definition of "visible" that the API, the admin and every derived
endpoint use (CONTRACT §2, roles).

- a superuser or head coach (`athletes.view_all_athletes`): every athlete;
- a coach (`athletes.view_athleteprofile`): the athletes assigned to them (`AthleteProfile.coaches`);
- an athlete (a profile, no staff role): their own profile;
- anyone else: nothing.

Other apps scope rows that hang under an athlete with `athlete_filter(user=..., field="athlete_id")`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Prefetch, Q, QuerySet

from core import roles

from .models import AthleteProfile


def athlete_filter(*, user, field: str = "pk") -> Q:
    """A filter keeping the rows whose `field` (an athlete's id: "pk", "athlete_id", "program__athlete_id")
    names an athlete `user` may see. A subquery, not a join: it never duplicates rows or disturbs aggregates."""
    if not (user and user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    if roles.is_head_coach(user):
        return Q()
    if roles.is_coach(user):
        assigned = AthleteProfile.coaches.through.objects.filter(user_id=user.pk).values("athleteprofile_id")
        return Q(**{f"{field}__in": assigned})
    if roles.is_athlete(user):
        return Q(**{f"{field}__in": AthleteProfile.objects.filter(user_id=user.pk).values("pk")})
    return Q(pk__in=[])


def athlete_list(*, user, queryset: QuerySet[AthleteProfile] | None = None) -> QuerySet[AthleteProfile]:
    """The athletes `user` may see (`queryset` narrowed, e.g. the admin's annotated one)."""
    queryset = AthleteProfile.objects.all() if queryset is None else queryset
    return queryset.filter(athlete_filter(user=user))


def athlete_list_with_coaches(*, user) -> QuerySet[AthleteProfile]:
    """`athlete_list` with the coaches' ids loaded in one more query for the whole page (the API's `coachIds`)."""
    coaches = Prefetch("coaches", queryset=get_user_model().objects.only("pk").order_by("pk"))
    return athlete_list(user=user).prefetch_related(coaches)


def coach_users() -> QuerySet:
    """The users who may be assigned to athletes: active, holding the coach permission through a group or
    directly (members of "Coaches" or "Head coaches")."""
    app_label, codename = roles.COACH_PERMISSION.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    holders = Q(groups__permissions__in=permission) | Q(user_permissions__in=permission)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(pk__in=get_user_model().objects.filter(holders).values("pk"))
    )
