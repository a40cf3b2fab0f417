"""Who a user is, read from Django permissions (never from `is_staff`): the roles the API and the admin share.

The groups are made by core's data migrations ("Coaches", "Head coaches", "Operations"); a role is the
permission that defines it, so a user given the same permissions directly has the same role."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.core.exceptions import ObjectDoesNotExist
from django.db import router
from django.db.models import Q, Value
from django.db.models.functions import Concat

from . import dialect
from .lists.compiled_sql import CompiledQuery

SUPERUSER = "superuser"
HEAD_COACH = "head_coach"
COACH = "coach"
OPERATIONS = "operations"
ATHLETE = "athlete"
ALL_ROLES = [SUPERUSER, HEAD_COACH, COACH, OPERATIONS, ATHLETE]

# The permission that makes each staff role (core/migrations/0002_role_groups_head_coaches.py grants them).
VIEW_ALL_ATHLETES = "athletes.view_all_athletes"
COACH_PERMISSION = "athletes.view_athleteprofile"
OPERATIONS_PERMISSIONS = ("connections.view_databaseconnectionprofile", "health.view_connectionhealthevent")
# The user's athlete profile: the reverse one-to-one athletes.AthleteProfile.user names (`user.athlete_profile`).
ATHLETE_PROFILE = "athlete_profile"


def load_permissions(user) -> None:
    """Read all of `user`'s permissions (direct and through groups) in one query and cache them on the user
    where Django's ModelBackend keeps them (`_perm_cache`), instead of the backend's two queries. A Bearer
    request has them already: core.auth reads them with the token (`permissions_subquery`)."""
    if not needs_permissions(user) or hasattr(user, "_perm_cache"):
        return
    using = router.db_for_read(Permission)
    if dialect.is_postgresql(using):
        rows = _PERMISSIONS_OF_USER.rows(using, user_id=user.pk)  # every request runs it: compiled once
    else:
        rows = _permission_names(user.pk).using(using)
    cache_permissions(user, (name for (name,) in rows))


def needs_permissions(user) -> bool:
    """Whether `has_perm` reads the user's permissions: not for an inactive user (always False) nor for a
    superuser (always True)."""
    return bool(user and user.is_authenticated and user.is_active) and not user.is_superuser


def cache_permissions(user, names) -> None:
    """Keep `names` ("app_label.codename") where ModelBackend looks for the user's permissions."""
    if needs_permissions(user):
        user._perm_cache = set(names)


def _permission_names(user_id):
    """The names ("app_label.codename") of the permissions of the user `user_id` (an id or an OuterRef), direct
    and through groups: one column, so it serves as a query of its own and as an ARRAY subquery."""
    return (
        Permission.objects.filter(Q(user__id=user_id) | Q(group__user__id=user_id))
        .order_by()
        .values_list(Concat("content_type__app_label", Value("."), "codename"))
        .distinct()
    )


def permissions_subquery(user_id):
    """`ARRAY(…)` of the permission names of the user `user_id` (an OuterRef), for reading them in the same
    query as the user (PostgreSQL); `cache_permissions()` puts them where `load_permissions()` would."""
    from django.contrib.postgres.expressions import ArraySubquery  # PostgreSQL only; imported where used

    return ArraySubquery(_permission_names(user_id))


_PERMISSIONS_OF_USER = CompiledQuery(_permission_names, {"user_id": -7_654_321})


def has_permission(user, permission: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    load_permissions(user)
    return user.has_perm(permission)


def has_athlete_profile(user) -> bool:
    if not (user and user.is_authenticated):
        return False
    try:
        getattr(user, ATHLETE_PROFILE)  # cached on the user once read (or read with a Bearer token, core.auth)
    except ObjectDoesNotExist:
        return False
    return True


def is_head_coach(user) -> bool:
    """Sees every athlete and assigns coaches (superusers included)."""
    return has_permission(user, VIEW_ALL_ATHLETES)


def is_coach(user) -> bool:
    """Plans for athletes: a coach, a head coach or a superuser."""
    return has_permission(user, COACH_PERMISSION)


def is_operations(user) -> bool:
    return any(has_permission(user, p) for p in OPERATIONS_PERMISSIONS)


def is_athlete(user) -> bool:
    """An authenticated user with an athlete profile and no staff role: sees only their own rows."""
    return has_athlete_profile(user) and not (user.is_superuser or is_coach(user) or is_operations(user))


def user_roles(user) -> list[str]:
    """The roles `/auth/me/` lists. A superuser is `["superuser"]` (every permission); a head coach is not also
    listed as `coach`; `operations` may come with a coaching role; `athlete` only alone."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    if user.is_superuser:
        return [SUPERUSER]
    roles = []
    if is_head_coach(user):
        roles.append(HEAD_COACH)
    elif is_coach(user):
        roles.append(COACH)
    if is_operations(user):
        roles.append(OPERATIONS)
    if not roles and has_athlete_profile(user):
        roles.append(ATHLETE)
    return roles
