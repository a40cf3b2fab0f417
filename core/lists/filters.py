"""The list's filters: the base FilterSet of every resource, its filter parts, and the backend that runs it.

The per-process cache here: `FilterSet.get_form_class()` keeps the form class on each FilterSet class. It is
built from the class's filters alone; none of Cadence's filters depends on the request (no queryset callables,
no per-request choices), and each request still gets its own form instance, bound to its own query parameters.
"""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django.db import models
from django_filters.fields import IsoDateTimeField
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from django_filters.rest_framework import DjangoFilterBackend

from core.api import offset_problem


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 timestamp with a UTC offset (without one it is a 400, as in request bodies), converted to UTC
    here: one that only exists outside year 1..9999 once in UTC (`9999-12-31T23:00:00-05:00`) is a 400 instead
    of an OverflowError in the database adapter."""

    def to_python(self, value):
        if isinstance(value, str) and (problem := offset_problem(value.strip())):
            raise ValidationError(problem, code="offset_required")
        try:
            value = super().to_python(value)
            return value.astimezone(UTC) if value is not None else None
        except OverflowError as exc:
            raise ValidationError("Datetime value out of range.", code="overflow") from exc


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


def updated_after_filter(field_name: str = "updated_at") -> UTCDateTimeFilter:
    """`?updatedAfter=<ISO timestamp>`: the rows changed strictly after it (for clients that sync)."""
    return UTCDateTimeFilter(
        field_name=field_name, lookup_expr="gt", label="Rows changed after this instant (ISO 8601, exclusive)."
    )


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, with its form class built once per FilterSet class instead of per request.

    `get_form_class()` makes a form field for every filter and then a new class, on every request that names a
    filter: the largest part of a filtered list's CPU after the queries. Cadence's filters do not depend on the
    request (no queryset callables, no per-request choices), so the class is kept on the FilterSet class; each
    request still gets its own form instance (Django deep-copies the fields into it) and its own validation."""

    # A filter generated for a timestamp column (`Meta.fields`) parses like the declared ones: offset required.
    FILTER_DEFAULTS = {**FILTER_FOR_DBFIELD_DEFAULTS, models.DateTimeField: {"filter_class": UTCDateTimeFilter}}

    def get_form_class(self):
        cls = type(self)
        form_class = cls.__dict__.get("_form_class_once")  # this class's own, never a parent's
        if form_class is None:
            form_class = super().get_form_class()
            cls._form_class_once = form_class  # a race builds two equal classes; either serves
        return form_class


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of the view's filters.

    Building a FilterSet deep-copies every filter and its form field (the largest cost of an unfiltered list after
    its queries, by profile); with no filter parameter it would filter nothing. A request that
    names one, valid or not, goes through django-filter as before (a malformed value is still a 400)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
