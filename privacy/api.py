"""`GET /athletes/{id}/export/` (the athlete, or a head coach) and `POST /athletes/{id}/erase/` (a head coach or a
superuser; or the athlete with their password). A coach who sees the athlete gets 403; anyone who does not see
them 404; operations and staff without a role 403."""

from __future__ import annotations

from django.db.models import ProtectedError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from athletes.selectors import athlete_list
from core import roles
from core.api import Conflict

from .erasure import ErasureRefused, athlete_erase
from .export import export_zip

REFUSED = "Only the athlete themself or a head coach may do this."


class OwnDataPermission(permissions.BasePermission):
    """Athletes (their own) and the coaching roles (whose athlete lookup and role are judged by the view); anyone
    else 403."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return roles.is_athlete(user) or roles.is_coach(user)


def _athlete_and_role(request, pk):
    """(the athlete, the caller's role for this data) or 404 / 403."""
    athlete = get_object_or_404(athlete_list(user=request.user), pk=pk)
    if request.user.is_superuser:
        return athlete, roles.SUPERUSER
    if roles.is_head_coach(request.user):
        return athlete, roles.HEAD_COACH
    if roles.is_athlete(request.user) and athlete.user_id == request.user.pk:
        return athlete, roles.ATHLETE
    raise exceptions.PermissionDenied(REFUSED)


class AthleteExportView(APIView):
    """Everything Cadence holds about the athlete, as a ZIP of JSON files in the API's shapes and a README.txt."""

    permission_classes = [OwnDataPermission]

    @extend_schema(
        operation_id="athletes_export",
        responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="A ZIP archive.")},
    )
    def get(self, request, pk):
        athlete, _ = _athlete_and_role(request, pk)
        response = HttpResponse(export_zip(athlete), content_type="application/zip")
        # Named by id: a file name is logged and cached by proxies; a display name is personal data.
        response["Content-Disposition"] = f'attachment; filename="cadence-export-{athlete.pk}.zip"'
        response["Cache-Control"] = "no-store"
        return response


class EraseSerializer(serializers.Serializer):
    confirm = serializers.CharField(trim_whitespace=False, max_length=200, help_text="The athlete's displayName.")
    password = serializers.CharField(
        required=False, trim_whitespace=False, max_length=4096, help_text="Required when the athlete erases themself."
    )


class AthleteEraseView(APIView):
    """Erase the athlete and everything about them (204); an ErasureRecord without personal data remains."""

    permission_classes = [OwnDataPermission]

    @extend_schema(operation_id="athletes_erase", request=EraseSerializer, responses={204: None})
    def post(self, request, pk):
        athlete, role = _athlete_and_role(request, pk)
        body = EraseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if role == roles.ATHLETE and not body.validated_data.get("password"):
            raise serializers.ValidationError({"password": ["Give your password to erase your own data."]})
        try:
            athlete_erase(
                athlete=athlete,
                confirm=body.validated_data["confirm"],
                password=body.validated_data.get("password"),
                actor=request.user,
                role=role,
            )
        except ErasureRefused as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from None
        except ProtectedError:
            # Rows another user relies on (a template the login owns): nothing was deleted.
            raise Conflict(
                "The athlete's login owns rows others rely on (e.g. program templates): reassign them first."
            ) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
