"""Authentication endpoints (token, logout, me) and the JSON error pages for the whole site."""

import sys

from django.contrib.auth import authenticate
from django.http import JsonResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import roles
from .middleware import database_unavailable_response, is_database_unavailable
from .services import token_issue, token_revoke
from .throttle import LoginAttempts


class LoginFailureThrottle(LoginAttempts):
    """Counts failed logins per client (IP) in the configured cache; once the `login` rate is used up, every
    login attempt from that client is 429 until the window passes. Each attempt is counted atomically before it
    is judged and a successful one is given back, so normal use (a dozen logins a minute) is never throttled
    and parallel attempts cannot slip past the limit."""

    def allow_request(self, request, view):
        self.slot = self.take(request)
        return self.slot.allowed

    def wait(self):
        return self.slot.wait


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True, allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    is_staff = serializers.BooleanField(read_only=True)
    athlete_id = serializers.UUIDField(read_only=True, allow_null=True)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=roles.ALL_ROLES),
        read_only=True,
        help_text="superuser, head_coach, coach, operations, athlete (see the roles table)",
    )


class TokenView(APIView):
    """Exchange a username and password for a Bearer token (stored hashed, expires after the TTL)."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [LoginFailureThrottle]

    @extend_schema(
        request=LoginSerializer,
        responses={200: TokenSerializer},
        auth=[],
        summary="Log in: get a Bearer token",
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        if serializer.is_valid():
            user = authenticate(
                request._request,
                username=serializer.validated_data["username"],
                password=serializer.validated_data["password"],
            )
        else:
            user = None
        if user is None or not user.is_active:
            if not serializer.is_valid():
                return Response(serializer.errors, status=status.HTTP_400_BAD_REQUEST)
            return Response(
                {"non_field_errors": ["Unable to log in with the given username and password."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        for throttle in self.get_throttles():
            throttle.give_back(throttle.slot)
        instance, token = token_issue(user=user, request=request._request)
        return Response(TokenSerializer({"token": token, "expires_at": instance.expiry}).data)

    def get_throttles(self):
        if not hasattr(self, "_throttles"):
            self._throttles = super().get_throttles()
        return self._throttles


class LogoutView(APIView):
    """Revoke the token this request carries (or end the session). Takes no Idempotency-Key (see
    core.idempotency.KEYLESS_POSTS): a key is per user, and a replay would leave this token working."""

    # Any signed-in user, whatever their role (none included): it touches only the caller's own credentials.
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Logged out")}, summary="Log out")
    def post(self, request):
        token_revoke(request=request._request, token=request.auth if isinstance(request.auth, AuthToken) else None)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """Who the credentials belong to, and their athlete profile's id (null for none)."""

    # Any signed-in user, whatever their role (none included): it reads only the caller's own identity and roles.
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: MeSerializer}, summary="The current user")
    def get(self, request):
        user = request.user
        profile = getattr(user, "athlete_profile", None)
        data = {"id": user.pk, "username": user.get_username(), "is_staff": user.is_staff}
        data["athlete_id"] = profile.pk if profile is not None else None
        data["roles"] = roles.user_roles(user)
        return Response(MeSerializer(data).data)


def json_404(request, exception=None):
    """JSON 404 for every unmatched path, so API clients never get an HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)


def json_500(request):
    # A database outage raised outside a view (a middleware saving the session) still gets its 503.
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return database_unavailable_response(request, exc)
    return JsonResponse({"detail": "Internal server error."}, status=500)
