"""`GET /sessions/{id}/workout.fit` and `/workout.zwo`: a session's workout as files for watches and trainers.

The session comes through the sessions viewset's scoped lookup (a session the caller cannot see is a 404); the
files are `training.workouts.exports` of the structure as the API shows it (%1RM sets at the athlete's estimated
loads). A file is kept in the cache under a digest of everything it is made of, so asking again for an unchanged
workout (the largest strength sessions take a noticeable moment to encode) costs a hash, not an encoding."""

from __future__ import annotations

import hashlib
import re

import orjson
from django.core.cache import cache
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.negotiation import BaseContentNegotiation

from . import exports
from . import structure as workout_structure
from .fields import shown_structure
from .models import Exercise

FIT_CONTENT_TYPE = "application/vnd.ant.fit"
ZWO_CONTENT_TYPE = "application/xml; charset=utf-8"
CACHE_SECONDS = 24 * 3600


class NotForThisModality(APIException):
    status_code = 409
    default_detail = "A Zwift workout exists for bike and run sessions only."
    default_code = "conflict"


class FileOrJsonErrors(BaseContentNegotiation):
    """The file's own type on success whatever the client accepts (the views answer bytes themselves); errors in
    the API's JSON, so a client asking for `application/vnd.ant.fit` gets a readable 404 rather than a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _filename(title: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-.")[:60] or "workout"
    return f"{stem}.{extension}"


def _exercise_names(structure) -> dict[str, str]:
    ids = workout_structure.exercise_ids(structure)
    if not ids:
        return {}
    return {str(pk): name for pk, name in Exercise.objects.filter(pk__in=ids).values_list("pk", "name")}


def _file(session, kind: str, render) -> bytes:
    shown = shown_structure(session)
    names = _exercise_names(shown)
    inputs = [kind, session.title, session.modality, session.duration_minutes, shown, names]
    key = "workout-file:" + hashlib.sha256(orjson.dumps(inputs, option=orjson.OPT_SORT_KEYS)).hexdigest()
    body = cache.get(key)
    if body is None:
        body = render(shown, names)
        cache.set(key, body, CACHE_SECONDS)
    return body


def _answer(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class WorkoutExportsMixin:
    """The sessions viewset's export actions (read by whoever may read the session)."""

    @extend_schema(
        responses={
            (200, FIT_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="A FIT workout file."),
            404: OpenApiResponse(description="No session with this id that the caller may see."),
        }
    )
    @action(detail=True, methods=["get"], url_path="workout.fit", content_negotiation_class=FileOrJsonErrors)
    def workout_fit(self, request, pk=None):
        """The session as a FIT workout file (`workout` type), for Garmin and other devices."""
        session = self.get_object()

        def render(shown, names):
            return exports.workout_fit(
                title=session.title,
                modality=session.modality,
                duration_minutes=session.duration_minutes,
                structure=shown,
                exercise_names=names,
                created_at=session.updated_at,
            )

        return _answer(_file(session, "fit", render), FIT_CONTENT_TYPE, _filename(session.title, "fit"))

    @extend_schema(
        responses={
            (200, "application/xml"): OpenApiResponse(OpenApiTypes.BINARY, description="A Zwift workout (.zwo)."),
            404: OpenApiResponse(description="No session with this id that the caller may see."),
            409: OpenApiResponse(description="Not a bike or run session."),
        }
    )
    @action(detail=True, methods=["get"], url_path="workout.zwo", content_negotiation_class=FileOrJsonErrors)
    def workout_zwo(self, request, pk=None):
        """The session as a Zwift workout (bike and run sessions; others answer 409)."""
        session = self.get_object()
        if session.modality not in exports.ZWO_MODALITIES:
            raise NotForThisModality()

        def render(shown, names):
            return exports.workout_zwo(
                title=session.title,
                modality=session.modality,
                duration_minutes=session.duration_minutes,
                structure=shown,
                exercise_names=names,
            )

        return _answer(_file(session, "zwo", render), ZWO_CONTENT_TYPE, _filename(session.title, "zwo"))
