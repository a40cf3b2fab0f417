"""Filter parts shared by the resources' FilterSets."""

from datetime import UTC

import django_filters
from django.core.exceptions import ValidationError
from django_filters.fields import IsoDateTimeField


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
