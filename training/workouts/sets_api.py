"""The performed sets of a session (`GET`/`PUT /api/v1/sessions/{id}/sets/`) and an athlete's records
(`GET /api/v1/athletes/{id}/records/`), docs/api.md, Workouts.

Who: coaches read and write the sets of the athletes they see; an athlete reads and writes the sets of their
own sessions and reads their own records; anyone else's session or athlete is a 404, and roles without the
training permissions (operations, staff without a role) get 403.

Both bodies are bare JSON arrays built here with the API's camelCase keys (records' `bestLoadKg` has the
digit keys "1" … "10", which no key conversion touches)."""

from __future__ import annotations

from collections.abc import Mapping

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from athletes.selectors import athlete_list
from core.api import PreconditionFailed, etag_for, if_match_satisfied
from core.permissions import RolePermission
from training.selectors import session_list

from . import services
from .models import PerformedSet
from .performed_sets import (
    MAX_SETS_PER_SESSION,
    SET_FIELDS,
    PerformedSetsError,
    as_body,
    canonical,
    sets_version,
    stored_sets,
)
from .selectors import RECORD_REPS, athlete_records

# --- Performed sets -------------------------------------------------------------------------------------------


class PerformedSetSerializer(serializers.Serializer):
    """One set the athlete did: exactly one of reps or seconds; the exercise may be archived (it was done)."""

    exercise_id = serializers.UUIDField(format="hex_verbose", help_text="An exercise of the catalogue.")
    set_index = serializers.IntegerField(min_value=1, max_value=100, help_text="1…100, unique per exercise.")
    reps = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    seconds = serializers.IntegerField(min_value=0, max_value=3600, required=False, allow_null=True)
    load_kg = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=1000, required=False, allow_null=True
    )
    rir = serializers.IntegerField(
        min_value=0, max_value=10, required=False, allow_null=True, help_text="Reps in reserve."
    )

    def to_internal_value(self, data):
        errors = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors, value = dict(exc.detail), None
        if isinstance(data, Mapping):
            # A misspelt key ("load" for "loadKg") would silently drop what the athlete logged.
            for key in sorted(set(data) - set(self.fields)):
                errors[key] = ["Unknown field."]
        if value is not None and (value.get("reps") is None) == (value.get("seconds") is None):
            errors.setdefault("reps", []).append("Give exactly one of reps or seconds.")
        if errors:
            raise serializers.ValidationError(errors)
        return value


def _sets_body(validated: list) -> list[dict]:
    """The validated sets as the service takes them (every field, None where absent), in the body's order."""
    return [{field: one_set.get(field) for field in SET_FIELDS} for one_set in validated]


_ERRORS = {
    400: OpenApiResponse(
        description="A set out of range, a set index given twice, an unknown exercise (errors keyed by the set's "
        'position from 0: `{"2": {"setIndex": [...]}}`), or a body that is not an array of at most '
        f"{MAX_SETS_PER_SESSION} sets (`nonFieldErrors`)."
    ),
    404: OpenApiResponse(description="No session with this id that the caller may see."),
    412: OpenApiResponse(description="If-Match does not name the sets' current ETag; nothing changed."),
}


class SessionSetsView(APIView):
    """The sets the athlete did in a session, in the order they were logged; `PUT` replaces the whole list (one
    transaction). The `ETag` is the sets' version (a digest of the list), for `If-Match` on a later `PUT`."""

    permission_classes = [RolePermission]
    queryset = PerformedSet.objects.none()  # RolePermission: training.view_/change_performedset
    athlete_access = True  # athletes: their own sessions' sets (session_list scopes them)
    athlete_actions = ("sets_replace",)

    def initial(self, request, *args, **kwargs):
        # RolePermission opens a write to athletes by the view's action (a viewset's notion): name this one.
        self.action = "sets_replace" if request.method == "PUT" else "sets"
        super().initial(request, *args, **kwargs)

    def _session(self, request, pk):
        session = get_object_or_404(session_list(user=request.user).only("pk", "program_id", "athlete_id"), pk=pk)
        self.check_object_permissions(request, session)
        return session

    @extend_schema(
        operation_id="sessions_sets_retrieve", responses={200: PerformedSetSerializer(many=True), 404: _ERRORS[404]}
    )
    def get(self, request, pk):
        session = self._session(request, pk)
        sets = stored_sets(session.pk)
        return Response(as_body(sets), headers={"ETag": etag_for(sets_version(session.pk, sets))})

    @extend_schema(
        operation_id="sessions_sets_update",
        request=PerformedSetSerializer(many=True),
        responses={200: PerformedSetSerializer(many=True), **_ERRORS},
    )
    def put(self, request, pk):
        session = self._session(request, pk)
        if_match = request.headers.get("If-Match")
        # A precondition comes before the body (as for every detail): a version already stale stays stale. The
        # service compares again under its locks; that comparison decides a race.
        if if_match is not None and not if_match_satisfied(if_match, sets_version(session.pk, stored_sets(session.pk))):
            raise PreconditionFailed()
        body = PerformedSetSerializer(data=request.data, many=True, max_length=MAX_SETS_PER_SESSION)
        body.is_valid(raise_exception=True)
        sets = _sets_body(body.validated_data)
        try:
            version = services.performed_sets_replace(session=session, sets=sets, if_match=if_match, actor=request.user)
        except PerformedSetsError as exc:
            raise serializers.ValidationError(exc.items) from exc
        return Response(as_body(canonical(one_set) for one_set in sets), headers={"ETag": etag_for(version)})


# --- Records ---------------------------------------------------------------------------------------------------


class BestLoadsSerializer(serializers.Serializer):
    """The heaviest load (kg) lifted for at least that many reps in the last 365 days; null when none."""

    def get_fields(self):
        return {str(reps): serializers.FloatField(allow_null=True) for reps in RECORD_REPS}


class RecordSerializer(serializers.Serializer):
    """One exercise the athlete has performed."""

    exercise_id = serializers.UUIDField()
    name = serializers.CharField()
    e1rm_kg = serializers.FloatField(
        allow_null=True, help_text="Best Epley estimate load × (1 + reps/30) of sets of 1–12 reps, last 365 days."
    )
    e1rm_date = serializers.DateField(allow_null=True, help_text="The athlete-local date of that set's session.")
    best_load_kg = BestLoadsSerializer()


def records_body(rows: list[dict]) -> list[dict]:
    return [
        {
            "exerciseId": str(row["exercise_id"]),
            "name": row["name"],
            "e1rmKg": row["e1rm_kg"],
            "e1rmDate": None if row["e1rm_date"] is None else str(row["e1rm_date"])[:10],
            "bestLoadKg": dict(row["best_load_kg"]),
        }
        for row in rows
    ]


class AthleteRecordsView(APIView):
    """One row per exercise the athlete has performed, by name: the best estimated one-rep max of the last 365
    days (athlete-local) with its date, and the heaviest loads for at least 1, 3, 5, 8 and 10 reps."""

    permission_classes = [RolePermission]
    queryset = PerformedSet.objects.none()  # RolePermission: training.view_performedset
    athlete_access = True  # athletes: their own records (athlete_list scopes them)

    @extend_schema(
        operation_id="athletes_records",
        responses={
            200: RecordSerializer(many=True),
            404: OpenApiResponse(description="No athlete with this id that the caller may see."),
        },
    )
    def get(self, request, pk):
        athlete = get_object_or_404(athlete_list(user=request.user).only("pk"), pk=pk)
        return Response(records_body(athlete_records(athlete=athlete)))
