"""Deny by default: every view under /api/ names a permission of its own, a view that forgets answers 403, and the
router (and api_path) refuse to route it at all.

A view naming no permission used to fall back to "any signed-in user", so an athlete could write whatever the view's
selector reaches. Now the fallback (REST_FRAMEWORK's DEFAULT_PERMISSION_CLASSES and the base viewsets') refuses
everyone; OptionalSlashRouter.register and api_path raise ImproperlyConfigured for a view whose permission is only
"signed in", "anyone", or the inherited default; and the walk below fails on any routed view with such a permission
unless core.permissions.OPEN_VIEWS lists it with its reason (ALLOWED pins its classes)."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from athletes.models import AthleteProfile
from athletes.selectors import athlete_list
from athletes.serializers import AthleteProfileSerializer
from core.permissions import (
    NO_ROLE_PERMISSION_MESSAGE,
    OPEN_VIEWS,
    DenyAll,
    RolePermission,
    is_weak,
    require_role_permission,
    view_name,
)
from core.routing import OptionalSlashRouter, api_path
from core.viewsets import CadenceViewSet, ReadOnlyCadenceViewSet
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory
from tests.support.utils import api_patterns

# The permission classes of each view open on purpose (core.permissions.OPEN_VIEWS holds why): module.qualname ->
# classes. The router and api_path refuse every other view whose permissions are weak.
ALLOWED = {
    "core.views.TokenView": {permissions.AllowAny},
    "core.views.LogoutView": {permissions.IsAuthenticated},
    "core.views.MeView": {permissions.IsAuthenticated},
    "calendars.views.CalendarFeedView": {permissions.IsAuthenticated},
    "calendars.views.CalendarFeedRevokeView": {permissions.IsAuthenticated},
    "drf_spectacular.views.SpectacularAPIView": {permissions.AllowAny},
    "drf_spectacular.views.SpectacularSwaggerView": {permissions.AllowAny},
}
_name = view_name
weak = is_weak


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


API_VIEWS = [(route, p.callback) for route, p in api_patterns() if hasattr(p.callback, "cls")]


def test_the_walk_sees_every_kind_of_api_view():
    names = {_name(callback.cls) for _, callback in API_VIEWS}
    assert len(API_VIEWS) >= 25
    assert {
        "athletes.views.AthleteProfileViewSet",
        "training.views.TrainingSessionViewSet",
        "training.load.api.AthleteLoadView",
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
            if set(classes) != ALLOWED[view]:
                wrong_listed.append((route, what, [c.__name__ for c in classes]))
    assert not unlisted, f"views open to any signed-in user (or to no one): name a role permission: {unlisted}"
    assert not wrong_listed, wrong_listed
    # Listed views name their permission themselves, not through the default they would inherit from APIView.
    implicit = [view for view in seen if _inherits_the_default(next(c for _, c in API_VIEWS if _name(c.cls) == view))]
    assert not implicit, f"name permission_classes on the view itself: {implicit}"
    assert seen == set(ALLOWED) == set(OPEN_VIEWS)  # no stale entry: each names a routed view that needs it
    assert all(len(reason) > 20 for reason in OPEN_VIEWS.values())


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


# --- The router and api_path refuse a view that names no role ----------------------------------------------------


class Inherits(CadenceViewSet):
    """A resource that forgot its permission_classes: it has the base viewset's DenyAll."""

    queryset = AthleteProfile.objects.none()
    serializer_class = AthleteProfileSerializer


class SignedInOnly(Inherits):
    permission_classes = [permissions.IsAuthenticated]


class Anyone(Inherits):
    permission_classes = [permissions.AllowAny, permissions.IsAuthenticatedOrReadOnly]


class WithRole(Inherits):
    permission_classes = [RolePermission]


class WithRoleButAnOpenAction(WithRole):
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def publish(self, request, pk=None):
        return Response()


@pytest.mark.parametrize("viewset", [Inherits, SignedInOnly, Anyone, WithRoleButAnOpenAction])
def test_the_router_refuses_a_viewset_without_a_role_permission(viewset):
    router = OptionalSlashRouter()
    with pytest.raises(ImproperlyConfigured) as refused:
        router.register("forgetful", viewset, basename="forgetful")
    message = str(refused.value)
    assert "'forgetful'" in message and _name(viewset) in message and "OPEN_VIEWS" in message
    assert router.registry == []  # nothing was routed


def test_the_router_names_the_weak_extra_action():
    with pytest.raises(ImproperlyConfigured, match=r"WithRoleButAnOpenAction\.publish: \[IsAuthenticated\]"):
        OptionalSlashRouter().register("forgetful", WithRoleButAnOpenAction, basename="forgetful")


def test_the_router_routes_a_viewset_naming_a_role_permission():
    router = OptionalSlashRouter()
    router.register("resources", WithRole, basename="resource")
    assert [url.name for url in router.urls] == ["resource-list", "resource-detail"]


def test_api_path_refuses_a_plain_view_without_a_role_permission_and_keeps_the_open_ones():
    class SignedInView(APIView):
        permission_classes = [permissions.IsAuthenticated]

    for view in (ForgetfulAPIView, SignedInView):
        with pytest.raises(ImproperlyConfigured, match="'x/' names no role permission"):
            api_path("x/", view.as_view())
    assert api_path("x/", WithRole.as_view({"get": "list"})).name is None
    from core.views import MeView

    assert api_path("me/", MeView.as_view(), name="me").name == "me"  # open on purpose: OPEN_VIEWS says why


def test_an_open_view_is_judged_by_its_name_not_its_classes():
    """OPEN_VIEWS opens exactly the listed views: a subclass elsewhere is judged on its own."""
    from core.views import MeView

    require_role_permission(MeView)

    class MyMe(MeView):
        pass

    with pytest.raises(ImproperlyConfigured):
        require_role_permission(MyMe)
