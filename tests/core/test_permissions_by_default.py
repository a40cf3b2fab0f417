"""Deny by default: every view under /api/ names a permission of its own, and a view that forgets answers 403.

A view naming no permission used to fall back to "any signed-in user", so an athlete could write whatever the view's
selector reaches. Now the fallback (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES and the base viewsets') refuses
everyone, and the walk below fails on any routed view whose permission is only "signed in", "anyone", or nothing,
unless ALLOWED lists it with its reason."""

import pytest
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from athletes.models import AthleteProfile
from athletes.selectors import athlete_list
from athletes.serializers import AthleteProfileSerializer
from core.permissions import NO_ROLE_PERMISSION_MESSAGE, DenyAll, RolePermission
from core.viewsets import CadenceViewSet, ReadOnlyCadenceViewSet
from tests.athletes.factories import AthleteProfileFactory, HeadCoachFactory
from tests.utils import api_patterns

# Permissions that say nothing about the caller's role: on their own they open a view to every signed-in user
# (athletes included) or to everyone. DenyAll is the fallback: a routed view left with it serves no one.
WEAK = {permissions.AllowAny, permissions.IsAuthenticated, permissions.IsAuthenticatedOrReadOnly, DenyAll}

# view (module.qualname) -> (its permission classes, why they are right for it)
ALLOWED = {
    "core.views.TokenView": ({permissions.AllowAny}, "login: the caller has no credentials yet"),
    "core.views.LogoutView": ({permissions.IsAuthenticated}, "revokes only the caller's own token or session"),
    "core.views.MeView": ({permissions.IsAuthenticated}, "reads only the caller's own identity and roles"),
    "calendars.views.CalendarFeedView": (
        {permissions.IsAuthenticated},
        "the athlete comes from athlete_list(user): the athlete themself or a coach who sees them, else 404",
    ),
    "calendars.views.CalendarFeedRevokeView": (
        {permissions.IsAuthenticated},
        "the athlete comes from athlete_list(user): the athlete themself or a coach who sees them, else 404",
    ),
    "drf_spectacular.views.SpectacularAPIView": ({permissions.AllowAny}, "the OpenAPI schema is public"),
    "drf_spectacular.views.SpectacularSwaggerView": ({permissions.AllowAny}, "the API docs page is public"),
}


def _name(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def effective_permissions(callback) -> list[tuple[str, list]]:
    """(what, permission classes) for a routed DRF view: the class's, the routed action's own
    (`@action(permission_classes=...)` arrives in `initkwargs`), and every extra action's of a viewset."""
    cls = callback.cls
    found = [(_name(cls), list(getattr(callback, "initkwargs", {}).get("permission_classes", cls.permission_classes)))]
    if hasattr(cls, "get_extra_actions"):
        for extra in cls.get_extra_actions():
            own = extra.kwargs.get("permission_classes", cls.permission_classes)
            found.append((f"{_name(cls)}.{extra.__name__}", list(own)))
    return found


def _inherits_the_default(callback) -> bool:
    """True when no class of the view's own sets permission_classes (it has APIView's, i.e. the settings')."""
    owner = next(klass for klass in callback.cls.__mro__ if "permission_classes" in vars(klass))
    return owner is APIView


def weak(classes) -> bool:
    """True when the permissions are empty or only WEAK ones (a composed `A | B` counts as naming a role)."""
    return not classes or all(isinstance(cls, type) and cls in WEAK for cls in classes)


API_VIEWS = [(route, p.callback) for route, p in api_patterns() if hasattr(p.callback, "cls")]


def test_the_walk_sees_every_kind_of_api_view():
    names = {_name(callback.cls) for _, callback in API_VIEWS}
    assert len(API_VIEWS) >= 25
    assert {
        "athletes.views.AthleteProfileViewSet",
        "training.views.TrainingSessionViewSet",
        "training.load_views.AthleteLoadView",
        "connections.api.DatabaseConnectionProfileViewSet",
        "health.api.ConnectionHealthEventViewSet",
        "calendars.views.CalendarFeedView",
        "core.views.MeView",
        "drf_spectacular.views.SpectacularAPIView",
    } <= names
    # Extra actions are seen too: the athletes' invite and the programs' clone.
    actions = {what for _, callback in API_VIEWS for what, _ in effective_permissions(callback)}
    assert {"athletes.views.AthleteProfileViewSet.invite", "training.views.TrainingProgramViewSet.clone"} <= actions


def test_every_api_view_names_a_role_permission_unless_listed():
    unlisted, wrong_listed, seen = [], [], set()
    for route, callback in API_VIEWS:
        for what, classes in effective_permissions(callback):
            if not weak(classes):
                continue
            view = _name(callback.cls)
            if view not in ALLOWED:
                unlisted.append((route, what, [c.__name__ for c in classes]))
                continue
            seen.add(view)
            if set(classes) != ALLOWED[view][0]:
                wrong_listed.append((route, what, [c.__name__ for c in classes]))
    assert not unlisted, f"views open to any signed-in user (or to no one): name a role permission: {unlisted}"
    assert not wrong_listed, wrong_listed
    # Listed views name their permission themselves, not through the default they would inherit from APIView.
    implicit = [view for view in seen if _inherits_the_default(next(c for _, c in API_VIEWS if _name(c.cls) == view))]
    assert not implicit, f"name permission_classes on the view itself: {implicit}"
    assert seen == set(ALLOWED)  # no stale entry: each names a routed view that needs it
    assert all(len(reason) > 20 for _, reason in ALLOWED.values())


def test_the_check_catches_a_forgotten_permission():
    """The walk's judgement on its own: nothing, "signed in", "anyone" and the fallback are weak; a role is not."""
    assert weak([]) and weak([DenyAll]) and weak([permissions.IsAuthenticated])
    assert weak([permissions.IsAuthenticatedOrReadOnly, permissions.AllowAny])
    assert not weak([RolePermission]) and not weak([permissions.IsAuthenticated, RolePermission])

    class Leaky(CadenceViewSet):
        permission_classes = [RolePermission]

        @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
        def publish(self, request, pk=None):
            return Response()

    judged = dict(effective_permissions(Leaky.as_view({"get": "list"})))
    assert judged[_name(Leaky)] == [RolePermission]
    assert judged[f"{_name(Leaky)}.publish"] == [permissions.IsAuthenticated]  # weak: the walk would fail on it


# --- A view that names no permission answers no one -----------------------------------------------------------


class Forgetful(CadenceViewSet):
    """Everything a resource needs except its permission_classes."""

    queryset = AthleteProfile.objects.none()
    serializer_class = AthleteProfileSerializer
    filter_backends: list = []

    def scoped_queryset(self):
        return athlete_list(user=self.request.user)


class ForgetfulReadOnly(ReadOnlyCadenceViewSet):
    queryset = AthleteProfile.objects.none()
    serializer_class = AthleteProfileSerializer
    filter_backends: list = []

    def scoped_queryset(self):
        return athlete_list(user=self.request.user)


class ForgetfulAPIView(APIView):
    def get(self, request):
        return Response({"ok": True})


def _call(view, method, user=None, data=None, **kwargs):
    factory = APIRequestFactory()
    request = getattr(factory, method)("/api/v1/forgetful/", data, format="json")
    if user is not None:
        force_authenticate(request, user=user)
    return view(request, **kwargs)


@pytest.fixture
def head_coach(db):
    """Holds every permission a resource can ask for: any refusal is the missing permission_classes."""
    return HeadCoachFactory(_groups=["Head coaches", "Operations"])


@pytest.mark.django_db
def test_a_viewset_without_permission_classes_refuses_a_coach(head_coach):
    athlete = AthleteProfileFactory()
    before = AthleteProfile.objects.count()
    listing = _call(Forgetful.as_view({"get": "list", "post": "create"}), "get", head_coach)
    created = _call(
        Forgetful.as_view({"get": "list", "post": "create"}),
        "post",
        head_coach,
        {"displayName": "Nobody", "timezone": "UTC"},
    )
    patched = _call(
        Forgetful.as_view({"get": "retrieve", "patch": "partial_update"}),
        "patch",
        head_coach,
        {"displayName": "Changed"},
        pk=athlete.pk,
    )
    for response in (listing, created, patched):
        assert response.status_code == 403
        assert response.data["detail"] == NO_ROLE_PERMISSION_MESSAGE
    assert AthleteProfile.objects.count() == before
    athlete.refresh_from_db()
    assert athlete.display_name != "Changed"


@pytest.mark.django_db
def test_an_athlete_is_refused_too_and_anonymous_gets_401():
    athlete = AthleteProfileFactory()
    view = Forgetful.as_view({"get": "retrieve", "patch": "partial_update"})
    own = _call(view, "patch", athlete.user, {"displayName": "Mine"}, pk=athlete.pk)
    assert own.status_code == 403
    assert _call(view, "get", None, pk=athlete.pk).status_code == 401


@pytest.mark.django_db
def test_a_read_only_viewset_and_a_plain_api_view_without_permission_classes_refuse_a_coach(head_coach):
    assert _call(ForgetfulReadOnly.as_view({"get": "list"}), "get", head_coach).status_code == 403
    response = _call(ForgetfulAPIView.as_view(), "get", head_coach)
    assert response.status_code == 403
    assert response.data["detail"] == NO_ROLE_PERMISSION_MESSAGE


@pytest.mark.django_db
def test_the_views_open_on_purpose_still_answer(head_coach, athlete_client, anon_client):
    """Login, me and logout for any signed-in user (an athlete here); the schema and docs for anyone."""
    assert athlete_client.get("/api/v1/auth/me/").status_code == 200
    assert athlete_client.post("/api/v1/auth/logout/").status_code == 204
    assert anon_client.get("/api/v1/auth/me/").status_code == 401
    assert anon_client.post("/api/v1/auth/token/", {"username": "x", "password": "y"}).status_code == 400
    assert anon_client.get("/api/schema/?format=json").status_code == 200
    assert anon_client.get("/api/docs/").status_code == 200
