"""Who may do what, read from Django model permissions (docs/api.md, Roles). A staff flag grants nothing.

`RolePermission` asks for the viewset model's permission for the method (GET view, POST add, PUT/PATCH
change; a custom action names its own in `action_permissions`). Which rows a permitted user reaches is the
selectors' business (the viewset's queryset), so another coach's athlete is a 404, not a 403. Viewsets that
set `athlete_access` also serve athletes (a profile and no staff role): reads of their own rows, a PATCH of
the fields in `athlete_writable_fields` of their own objects, and the detail actions listed in
`athlete_actions` on their own objects; any other athlete write is a 403."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import permissions

from . import roles

ATHLETE_WRITE_MESSAGE = (
    "Athletes may only change their own profile's displayName and timezone, and their own sessions' "
    "status, completedAt, load, rpe and actualDurationMinutes."
)


NO_ROLE_PERMISSION_MESSAGE = "This view names no role permission, so it answers no one."


class DenyAll(permissions.BasePermission):
    """The API's default permission (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES, and the base viewsets'): a view
    that forgets to name its own permission refuses everyone (403, or 401 without credentials) instead of falling
    back to "any signed-in user", which would let an athlete write whatever the view's selector reaches. A view
    opens itself by naming its permission: `RolePermission` for the resources, `AllowAny` or `IsAuthenticated`
    only where the view concerns the caller alone (login, logout, me, and the calendar-feed URL endpoints, which
    look the athlete up in the caller's scope). OPEN_VIEWS lists those; the router refuses any other."""

    message = NO_ROLE_PERMISSION_MESSAGE

    def has_permission(self, request, view):
        return False

    def has_object_permission(self, request, view, obj):
        return False


# Permissions that say nothing about the caller's role: on their own they open a view to every signed-in user
# (athletes included) or to everyone. DenyAll is the fallback: a routed view left with it serves no one.
WEAK_PERMISSIONS = frozenset(
    {permissions.AllowAny, permissions.IsAuthenticated, permissions.IsAuthenticatedOrReadOnly, DenyAll}
)

# Views open without a role on purpose (module.qualname -> why): the router and `core.routing.api_path` refuse
# any other view under /api/ whose permissions are only WEAK_PERMISSIONS (tests/core/test_permissions_by_default.py
# pins each one's classes).
OPEN_VIEWS = {
    "core.views.TokenView": "login: the caller has no credentials yet",
    "core.views.LogoutView": "revokes only the caller's own token or session",
    "core.views.MeView": "reads only the caller's own identity and roles",
    "calendars.views.CalendarFeedView": (
        "the athlete comes from athlete_list(user): the athlete themself or a coach who sees them, else 404"
    ),
    "calendars.views.CalendarFeedRevokeView": (
        "the athlete comes from athlete_list(user): the athlete themself or a coach who sees them, else 404"
    ),
    "drf_spectacular.views.SpectacularAPIView": "the OpenAPI schema is public",
    "drf_spectacular.views.SpectacularSwaggerView": "the API docs page is public",
}


def view_name(view_class) -> str:
    return f"{view_class.__module__}.{view_class.__qualname__}"


def is_weak(classes) -> bool:
    """True when the permission classes say nothing about the caller's role: none, or only WEAK_PERMISSIONS (a
    composed `A | B` counts as naming a role)."""
    return not classes or all(isinstance(cls, type) and cls in WEAK_PERMISSIONS for cls in classes)


def weak_permissions(view_class, initkwargs: dict | None = None) -> list[tuple[str, list]]:
    """(what, classes) for the view itself and each extra action of a viewset whose permissions are weak.
    `initkwargs` are the routed callable's (an `@action(permission_classes=...)` arrives there)."""
    own = (initkwargs or {}).get("permission_classes", view_class.permission_classes)
    found = [(view_name(view_class), list(own))]
    for extra in getattr(view_class, "get_extra_actions", list)():
        classes = extra.kwargs.get("permission_classes", view_class.permission_classes)
        found.append((f"{view_name(view_class)}.{extra.__name__}", list(classes)))
    return [(what, classes) for what, classes in found if is_weak(classes)]


def require_role_permission(view_class, initkwargs: dict | None = None, *, where: str = "") -> None:
    """Refuse to route a view (ImproperlyConfigured) whose permissions name no role: only the inherited default
    (DenyAll), or only "signed in" / "anyone", unless OPEN_VIEWS lists it with its reason."""
    if view_name(view_class) in OPEN_VIEWS:
        return
    weak = weak_permissions(view_class, initkwargs)
    if weak:
        listed = "; ".join(f"{what}: [{', '.join(c.__name__ for c in classes)}]" for what, classes in weak)
        raise ImproperlyConfigured(
            f"{where or view_name(view_class)} names no role permission ({listed}). Set permission_classes to "
            "[RolePermission] (or a role-aware class); a view open to every signed-in user or to anyone on purpose "
            "goes in core.permissions.OPEN_VIEWS with its reason."
        )


class RolePermission(permissions.BasePermission):
    perms_map = {
        "GET": ["view"],
        "HEAD": ["view"],
        "OPTIONS": ["view"],
        "POST": ["add"],
        "PUT": ["change"],
        "PATCH": ["change"],
    }

    def required_permissions(self, request, view) -> list[str] | None:
        """The permissions this request needs, or None for a method no resource answers (405 follows)."""
        by_action = getattr(view, "action_permissions", {})
        if getattr(view, "action", None) in by_action:
            return list(by_action[view.action])
        actions = self.perms_map.get(request.method)
        if actions is None:
            return None
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None:  # a view over no model names its permissions in `required_permissions`
            return list(getattr(view, "required_permissions", [roles.COACH_PERMISSION]))
        opts = model._meta
        return [f"{opts.app_label}.{action}_{opts.model_name}" for action in actions]

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if not hasattr(view, request.method.lower()):
            return True  # a method this resource does not answer: 405 for everyone signed in
        required = self.required_permissions(request, view)
        roles.load_permissions(user)
        if required is None or user.has_perms(required):
            return True
        if getattr(view, "athlete_access", False) and roles.is_athlete(user):
            if request.method in permissions.SAFE_METHODS:
                return True
            # PUT/PATCH (and the view's `athlete_actions`) are judged per object, after the scoped lookup:
            # someone else's object is a 404.
            if getattr(view, "action", None) in ("update", "partial_update", *getattr(view, "athlete_actions", ())):
                return True
            self.message = ATHLETE_WRITE_MESSAGE
        return False

    def has_object_permission(self, request, view, obj):
        user = request.user
        required = self.required_permissions(request, view)
        if required is None or user.has_perms(required):
            return True
        if request.method in permissions.SAFE_METHODS:
            return True  # only athletes get here, and only to their own rows (the queryset is scoped)
        if getattr(view, "action", None) in getattr(view, "athlete_actions", ()):
            return True  # an action the view opens to athletes, on their own object
        self.message = ATHLETE_WRITE_MESSAGE
        if request.method != "PATCH":
            return False
        allowed = set(getattr(view, "athlete_writable_fields", ()))
        data = request.data
        if not hasattr(data, "keys"):
            return False
        return bool(allowed) and set(data.keys()) <= allowed
