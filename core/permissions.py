"""Who may do what: coaches (staff) everything; athletes read their own rows and change a few fields."""

from rest_framework import permissions


class IsCoachOrOwnAthlete(permissions.BasePermission):
    """Staff: every method. Other authenticated users: read (the viewset's queryset is already scoped to
    their own rows, so others' objects are 404), and PATCH only the fields the view lists in
    `athlete_writable_fields` on their own objects; POST, PUT and any other field are 403."""

    message = (
        "Athletes may only change their own profile's displayName and timezone, and their own sessions' "
        "status, completedAt, load and rpe."
    )

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        # Athletes never create. PUT/PATCH are judged per object (after the scoped lookup, so someone else's
        # object is a 404, not a 403); DELETE falls through to the 405 every resource answers.
        return user.is_staff or request.method != "POST"

    def has_object_permission(self, request, view, obj):
        if request.user.is_staff or request.method in permissions.SAFE_METHODS:
            return True
        if request.method != "PATCH":
            return False
        allowed = set(getattr(view, "athlete_writable_fields", ()))
        data = request.data
        if not hasattr(data, "keys"):
            return False
        return bool(allowed) and set(data.keys()) <= allowed


class IsCoach(permissions.BasePermission):
    """Staff only (connection profiles, health events): 401 anonymous, 403 for athletes."""

    message = "Only coaches (staff) may use this resource."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
