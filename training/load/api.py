"""The training-load endpoints (docs/api.md, Training load): an athlete's daily series (JSON or CSV) and the
summary list.

Thin: parse the query, pick the visible athletes, read the typed figures (training.load.queries) and write them
as the bodies: camelCase keys, dates as ISO strings, built here directly, so they render with the plain JSON
renderer (no recursive camelizing of 366 rows).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import fields
from datetime import date, timedelta
from urllib.parse import quote

from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, renderers, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from athletes.filters import of_squad
from core.api import BoundedDateField
from core.permissions import RolePermission

from ..compliance.fields import WeekComplianceField
from . import formulas, queries
from .formulas import DayFigures, WeekFigures
from .queries import EventFigures, LoadSeries, LoadSummary

MAX_WINDOW_DAYS = 366
DEFAULT_WINDOW_DAYS = 84  # `from` = `to` − 83 days
MAX_PROJECTION_DAYS = 365  # `to` at most this many days after the athlete's today
CSV_COLUMNS = ["date", "load", "plannedLoad", "sessions", "acute", "chronic", "acwr", "acwrEwma", "fitness",
               "fatigue", "form", "projected"]  # fmt: skip


def model_body() -> dict:
    """The model's constants in force (the fitness and fatigue days are the deployment's settings)."""
    fitness_days, fatigue_days = formulas.time_constants()
    return {
        "acuteDays": formulas.ACUTE_DAYS,
        "chronicDays": formulas.CHRONIC_DAYS,
        "fitnessDays": fitness_days,
        "fatigueDays": fatigue_days,
    }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


# (attribute, JSON key) of each typed figure, in the order of the body.
_KEYS = {
    cls: [(f.name, _camel(f.name)) for f in fields(cls)] for cls in (DayFigures, WeekFigures, LoadSummary, EventFigures)
}


def _json_value(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return list(value)
    return value


def figures_body(figures: DayFigures | WeekFigures | LoadSummary | EventFigures) -> dict:
    """One typed figure as the API's camelCase object (dates as ISO strings, ids as strings)."""
    return {key: _json_value(getattr(figures, name)) for name, key in _KEYS[type(figures)]}


def series_body(series: LoadSeries) -> dict:
    """The load series body (docs/api.md, Training load)."""
    return {
        "athleteId": str(series.athlete_id),
        "timezone": series.timezone,
        "from": series.start.isoformat(),
        "to": series.end.isoformat(),
        "model": model_body(),
        "days": [figures_body(d) for d in series.days],
        "weeks": [figures_body(w) for w in series.weeks],
        "events": [figures_body(e) for e in series.events],
    }


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class LoadCSVRenderer(renderers.BaseRenderer):
    """`days` of a load series as CSV, one row a day, the JSON's keys as the header; nulls are empty cells."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
        writer.writerow(CSV_COLUMNS)
        for day in data.get("days", []):
            writer.writerow([_csv_cell(day[c]) for c in CSV_COLUMNS])
        return out.getvalue().encode(self.charset)


def csv_content_disposition(athlete, start, end) -> str:
    """`attachment; filename="cadence-load-<athlete>-<from>-<to>.csv"`, the athlete named by a slug of their
    display name (their id when nothing of it is ASCII). A name with other letters adds the RFC 6266
    `filename*` (UTF-8, percent-encoded), which browsers prefer; `filename` stays the ASCII fallback."""
    ascii_slug = slugify(athlete.display_name)[:60].strip("-_") or str(athlete.pk)
    unicode_slug = slugify(athlete.display_name, allow_unicode=True)[:60].strip("-_")
    name = f"cadence-load-{ascii_slug}-{start.isoformat()}-{end.isoformat()}.csv"
    header = f'attachment; filename="{name}"'
    if unicode_slug and not unicode_slug.isascii():
        full = f"cadence-load-{unicode_slug}-{start.isoformat()}-{end.isoformat()}.csv"
        header += f"; filename*=UTF-8''{quote(full, safe='')}"
    return header


class _LoadRendering:
    """JSON (and the browsable API); errors always as JSON, even when CSV was asked for.

    Coaches (the athletes' view permission) and athletes (their own load); operations and staff without a
    role get 403. Which athletes is `load_athletes_visible_to`'s business: anyone else's is a 404."""

    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer]
    permission_classes = [RolePermission]
    athlete_access = True

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400 and isinstance(getattr(response, "accepted_renderer", None), LoadCSVRenderer):
            response.accepted_renderer = renderers.JSONRenderer()
            response.accepted_media_type = response.accepted_renderer.media_type
        return response


class LoadWindowSerializer(serializers.Serializer):
    from_ = BoundedDateField(required=False, help_text="First day (athlete-local); default `to` − 83 days.")
    to = BoundedDateField(
        required=False,
        help_text="Last day (athlete-local); default the athlete's today; at most 365 days after it (the days after "
        "today are projected).",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # `from` is a Python keyword
        return fields

    def window(self, today):
        """(start, end): the defaults filled in, checked for order and length."""
        end = self.validated_data.get("to") or today
        start = self.validated_data.get("from") or end - timedelta(days=DEFAULT_WINDOW_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        if (end - start).days + 1 > MAX_WINDOW_DAYS:
            raise serializers.ValidationError({"to": [f"The window is at most {MAX_WINDOW_DAYS} days."]})
        if end > today + timedelta(days=MAX_PROJECTION_DAYS):
            raise serializers.ValidationError(
                {"to": [f"At most {MAX_PROJECTION_DAYS} days after the athlete's today ({today.isoformat()})."]}
            )
        return start, end


# These serializers only document the bodies for the schema (which camelizes their names); the bodies are
# written by `series_body` and `figures_body` from the typed figures.
class LoadDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    load = serializers.FloatField(allow_null=True, help_text="Null on a projected day.")
    planned_load = serializers.FloatField()
    sessions = serializers.IntegerField()
    acute = serializers.FloatField()
    chronic = serializers.FloatField()
    acwr = serializers.FloatField(allow_null=True)
    acwr_ewma = serializers.FloatField(allow_null=True)
    fitness = serializers.FloatField()
    fatigue = serializers.FloatField()
    form = serializers.FloatField()
    projected = serializers.BooleanField(help_text="After the athlete's today: the model run on the planned load.")


class LoadEventSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    date = serializers.DateField()
    name = serializers.CharField()
    priority = serializers.ChoiceField(["A", "B", "C"])
    fitness = serializers.FloatField()
    fatigue = serializers.FloatField()
    form = serializers.FloatField()


class LoadWeekSerializer(serializers.Serializer):
    week_start = serializers.DateField()
    load = serializers.FloatField()
    planned_load = serializers.FloatField()
    monotony = serializers.FloatField(allow_null=True)
    strain = serializers.FloatField(allow_null=True)


class LoadModelSerializer(serializers.Serializer):
    acute_days = serializers.IntegerField()
    chronic_days = serializers.IntegerField()
    fitness_days = serializers.IntegerField()
    fatigue_days = serializers.IntegerField()


class LoadSeriesSerializer(serializers.Serializer):
    """An athlete's training load day by day over a window of their local calendar days, with the ISO weeks
    that meet the window."""

    athlete_id = serializers.UUIDField()
    timezone = serializers.CharField()
    from_ = serializers.DateField()
    to = serializers.DateField()
    model = LoadModelSerializer()
    days = LoadDaySerializer(many=True)
    weeks = LoadWeekSerializer(many=True)
    events = LoadEventSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        names = ["athlete_id", "timezone", "from", "to", "model", "days", "weeks", "events"]
        return {name: fields[name] for name in names}


class AthleteLoadView(_LoadRendering, APIView):
    """An athlete's training load, day by day over athlete-local dates, with weekly monotony and strain."""

    renderer_classes = [*_LoadRendering.renderer_classes, LoadCSVRenderer]

    @extend_schema(
        operation_id="athletes_load",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day; default `to` − 83 days."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day; default the athlete's today."),
            OpenApiParameter("format", str, enum=["json", "csv"], description="`csv`: the same as Accept: text/csv."),
        ],
        responses={
            (200, "application/json"): LoadSeriesSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="`days` as CSV (RFC 4180), header: " + ",".join(CSV_COLUMNS) + "; null is empty. "
                "Sent as an attachment named `cadence-load-<athlete>-<from>-<to>.csv`.",
            ),
        },
    )
    def get(self, request, pk):
        athlete = get_object_or_404(queries.load_athletes_visible_to(request.user), pk=pk)
        query = LoadWindowSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = queries.athlete_today(athlete)
        start, end = query.window(today)
        response = Response(series_body(queries.athlete_series(athlete, start=start, end=end, today=today)))
        if isinstance(getattr(request, "accepted_renderer", None), LoadCSVRenderer):
            # A download gets a name that says whose load and which days, wherever it is saved.
            response["Content-Disposition"] = csv_content_disposition(athlete, start, end)
        return response


class LoadSummaryDateSerializer(serializers.Serializer):
    date = BoundedDateField(required=False)
    # Named as the client wrote it: these answers are not camelized by a renderer, so its errors say `squadId`.
    squadId = serializers.UUIDField(required=False)

    @classmethod
    def of(cls, query_params) -> LoadSummaryDateSerializer:
        """The query as the camel-case middleware handed it over (`squad_id`), validated."""
        data = {"date": query_params.get("date"), "squadId": query_params.get("squad_id")}
        query = cls(data={key: value for key, value in data.items() if value is not None})
        query.is_valid(raise_exception=True)
        return query


class LoadSummaryRowSerializer(serializers.Serializer):
    athlete_id = serializers.UUIDField()
    display_name = serializers.CharField()
    date = serializers.DateField()
    load = serializers.FloatField()
    acute = serializers.FloatField()
    chronic = serializers.FloatField()
    acwr = serializers.FloatField(allow_null=True)
    acwr_ewma = serializers.FloatField(allow_null=True)
    fitness = serializers.FloatField()
    fatigue = serializers.FloatField()
    form = serializers.FloatField()
    week_load = serializers.FloatField()
    monotony = serializers.FloatField(allow_null=True)
    strain = serializers.FloatField(allow_null=True)
    flags = serializers.ListField(child=serializers.ChoiceField(["acwr_high", "acwr_low", "monotony_high"]))
    week_compliance = WeekComplianceField(help_text="The ISO week's load over its planned load; null if none planned.")


class LoadSummaryView(_LoadRendering, generics.GenericAPIView):
    """Each visible athlete's load figures on one day (default: their own today), ordered by displayName."""

    serializer_class = LoadSummaryRowSerializer
    filter_backends = []  # the order is fixed (displayName); no ?ordering= to document or honour

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return queries.AthleteProfile.objects.none()
        return queries.load_athletes_visible_to(self.request.user).order_by("display_name", "id")

    @extend_schema(
        operation_id="load_summary",
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="Default: each athlete's own today."),
            OpenApiParameter(
                "squadId", OpenApiTypes.UUID, description="Only the athletes of this squad (one you may not see: 404)."
            ),
        ],
        responses=LoadSummaryRowSerializer(many=True),
    )
    def get(self, request):
        query = LoadSummaryDateSerializer.of(request.query_params)
        athletes = self.get_queryset()
        if (squad_id := query.validated_data.get("squadId")) is not None:
            athletes = of_squad(athletes, user=request.user, squad_id=squad_id, field_name="pk")
        page = self.paginate_queryset(athletes)
        rows = queries.summaries(page, on=query.validated_data.get("date"))
        return self.get_paginated_response([figures_body(row) for row in rows])
