"""Who sees which athletes: the one definition of "visible" that the API, the admin and every derived
endpoint use. The user's strongest role (core.roles) decides; an anonymous or inactive user sees nothing.

- a superuser or head coach (`athletes.view_all_athletes`): every athlete;
- a coach (`athletes.view_athleteprofile`): the athletes assigned to them (`AthleteProfile.coaches`);
- an athlete (a profile, no staff role): their own profile;
- anyone else: nothing.

Other apps scope rows that hang under an athlete with `athlete_filter(user=..., field="athlete_id")`."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Subquery

from core import roles

from .models import AthleteProfile, Squad, SquadAthlete, SquadCoach


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


# --- Who may become an athlete ------------------------------------------------------------------------
# An athlete's login is handed over through a set-password link that a coach receives: a login that holds
# any right beyond an athlete's would give that right to whoever follows the link. The rule is written here
# only: the API's create, the admin's form and invitation action (athletes.services.athlete_login_check) and
# the admin's picker and autocomplete (eligible_athlete_logins) all read it from these functions.


def privileged_login_filter() -> Q:
    """The logins that hold a right beyond an athlete's: staff, superuser, member of any group, or holding
    any permission of their own."""
    user_model = get_user_model()
    in_group = user_model.groups.through.objects.filter(user_id=OuterRef("pk"))
    own_permission = user_model.user_permissions.through.objects.filter(user_id=OuterRef("pk"))
    return Q(is_staff=True) | Q(is_superuser=True) | Q(Exists(in_group)) | Q(Exists(own_permission))


def athlete_logins_checked() -> QuerySet:
    """Every login, annotated with what decides whether it may belong to an athlete: `privileged`
    (privileged_login_filter) and `athlete_profile_pk` (the athlete profile it already has, or None); `is_active`
    is the login's own column."""
    user_model = get_user_model()
    return user_model.objects.annotate(
        privileged=ExpressionWrapper(privileged_login_filter(), output_field=BooleanField()),
        athlete_profile_pk=Subquery(AthleteProfile.objects.filter(user_id=OuterRef("pk")).values("pk")[:1]),
    )


def eligible_athlete_logins() -> QuerySet:
    """The logins that may become a new athlete's: active, not privileged, and without an athlete profile.
    What the admin's user picker offers; athletes.services.athlete_login_check judges one login by the same
    annotations, under a row lock."""
    return athlete_logins_checked().filter(is_active=True, privileged=False, athlete_profile_pk=None)


def login_list(*, user) -> QuerySet:
    """The logins a staff user who may view users but not change them sees (the admin's user list, change pages
    and autocompletes): themselves, the logins of the athletes they may see (athlete_list), and the logins that
    may become an athlete's (eligible_athlete_logins), which the athlete form offers. Never another staff login:
    not the superusers, operations or other coaches, nor their e-mail addresses."""
    user_model = get_user_model()
    athletes = athlete_list(user=user).values("user_id")
    eligible = eligible_athlete_logins().values("pk")
    return user_model.objects.filter(Q(pk=user.pk) | Q(pk__in=athletes) | Q(pk__in=eligible))


# --- Squads -------------------------------------------------------------------------------------------------
# A squad is seen by its coaches and by head coaches; athletes and operations see none. Seeing a squad shows only
# the members the caller may see as athletes (athlete_filter): a squad never widens who sees an athlete.


def squad_list(*, user, queryset: QuerySet[Squad] | None = None) -> QuerySet[Squad]:
    """The squads `user` may see (`queryset` narrowed, e.g. the admin's): all for a head coach (and a superuser),
    those whose coaches include a coach, none for anyone else."""
    queryset = Squad.objects.all() if queryset is None else queryset
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    if roles.is_head_coach(user):
        return queryset
    if roles.is_coach(user):
        return queryset.filter(pk__in=SquadCoach.objects.filter(coach_id=user.pk).values("squad_id"))
    return queryset.none()


def squad_list_with_members(*, user, squads: QuerySet[Squad] | None = None) -> QuerySet[Squad]:
    """`squad_list` (or `squads`) with each squad's coaches and the members `user` may see loaded in two more
    queries for the whole page (the API's `coachIds` and `athleteIds`)."""
    squads = squad_list(user=user) if squads is None else squads
    return squads.prefetch_related(
        Prefetch("coaches", queryset=get_user_model().objects.only("pk").order_by("pk")),
        Prefetch("athletes", queryset=athlete_list(user=user).only("pk").order_by("pk")),
    )


def squad_members(*, user, squad_id) -> QuerySet:
    """The ids of the athletes of squad `squad_id` (a subquery, for `athlete_id__in=`); Squad.DoesNotExist when
    `user` may not see that squad (one query). The rows it filters are already scoped to the athletes `user` may
    see, so this adds no visibility of its own."""
    if not squad_list(user=user).filter(pk=squad_id).exists():
        raise Squad.DoesNotExist(f"No squad {squad_id} that you may see.")
    return SquadAthlete.objects.filter(squad_id=squad_id).values("athlete_id")
