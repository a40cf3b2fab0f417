"""Validators for athlete profile fields, shared by the model, the admin and the API."""

import functools
import zoneinfo

from django.core.exceptions import ValidationError

from core.text import trim


@functools.cache
def iana_timezones() -> frozenset[str]:
    """Every IANA timezone name this machine knows (system tzdata or the tzdata package)."""
    return frozenset(zoneinfo.available_timezones()) - NOT_PLACES


# In the machine's zoneinfo directory but not zones a person lives in: "localtime" is a link to the host's
# own zone, "posixrules" a tzcode default, "Factory" IANA's placeholder for "no zone set" (abbreviation -00).
NOT_PLACES = frozenset({"localtime", "posixrules", "Factory"})


def validate_iana_timezone(value: str) -> None:
    if value not in iana_timezones():
        raise ValidationError(
            "%(value)s is not a valid IANA timezone name (e.g. Europe/Oslo, UTC).",
            code="invalid_timezone",
            params={"value": value[:64]},
        )


def validate_not_blank(value: str) -> None:
    if not trim(value):
        raise ValidationError("This field may not be blank.", code="blank")
