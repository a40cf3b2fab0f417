"""Validators for athlete profile fields, shared by the model, the admin and the API."""

import functools
import zoneinfo

from django.core.exceptions import ValidationError


@functools.cache
def iana_timezones() -> frozenset[str]:
    """Every IANA timezone name this machine knows (system tzdata or the tzdata package)."""
    return frozenset(zoneinfo.available_timezones())


def validate_iana_timezone(value: str) -> None:
    if value not in iana_timezones():
        raise ValidationError(
            "%(value)s is not a valid IANA timezone name (e.g. Europe/Oslo, UTC).",
            code="invalid_timezone",
            params={"value": value[:64]},
        )


def validate_not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("This field may not be blank.", code="blank")
