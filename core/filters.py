"""Filter parts shared by the resources' FilterSets."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 timestamp, converted to UTC here: one that only exists outside year 1..9999 once in UTC
    (`9999-12-31T23:00:00-05:00`) is a 400 instead of an OverflowError in the database adapter."""

    def to_python(self, value):
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


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, skipped when the request names none of the view's filters.

    Building a FilterSet deep-copies every filter and its form field (measured: the largest single cost of an
    unfiltered list after the queries); with no filter parameter it would filter nothing. A request that
    names one, valid or not, goes through django-filter as before (a malformed value is still a 400)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)
