"""API plumbing shared by every resource: JSON errors, ETags and the serializer write path (the viewsets are in
core.viewsets, the list machinery in core.lists: this module is named in REST_FRAMEWORK settings and so must not
import rest_framework.generics)."""

from __future__ import annotations

import logging
from datetime import UTC, date

from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, OperationalError, models
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import exceptions, serializers, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .text import trim

logger = logging.getLogger(__name__)


# --- Errors -------------------------------------------------------------------------------------------


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since you read it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The change conflicts with another record; reload and try again."
    default_code = "conflict"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large (over DATA_UPLOAD_MAX_MEMORY_SIZE)."
    default_code = "request_too_large"


def django_errors_to_drf(
    exc: DjangoValidationError, field_map: dict[str, str] | None = None, code_fields: dict[str, str] | None = None
) -> dict:
    """A Django ValidationError as DRF's error shape, model field names renamed to the API's fields.

    `code_fields` moves whole-object errors with a known code to the field they are about: full_clean()
    reports a multi-column UniqueConstraint (e.g. `duplicate_phase_order`) under `__all__`."""
    field_map, code_fields = field_map or {}, code_fields or {}
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
    errors: dict[str, list[str]] = {}
    for field, field_errors in exc.error_dict.items():
        for error in field_errors:
            model_field = code_fields.get(error.code, field) if field == NON_FIELD_ERRORS else field
            if model_field == NON_FIELD_ERRORS:
                key = api_settings.NON_FIELD_ERRORS_KEY
            else:
                key = field_map.get(model_field, model_field)
            errors.setdefault(key, []).extend(DjangoValidationError(error).messages)
    return errors


RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure


def exception_handler(exc, context):
    """DRF's handler, plus: Django ValidationError -> 400, IntegrityError -> 409, a deadlock or serialization
    failure -> 409, DataError -> 400, a body over DATA_UPLOAD_MAX_MEMORY_SIZE -> 413.

    These come from the database or model layer when a rule was not caught earlier (a race, a value the
    database rejects); they are the client's problem, never a 500."""
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors_to_drf(exc))
    elif isinstance(exc, IntegrityError):
        logger.info("IntegrityError answered as 409: %s", exc)
        exc = Conflict()
    elif isinstance(exc, OperationalError) and getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
        # A deadlock or serialization failure: the transaction was rolled back; the client may retry.
        logger.warning("Retryable database conflict answered as 409: %s", exc)
        exc = Conflict()
    elif isinstance(exc, DataError):
        logger.info("DataError answered as 400: %s", exc)
        exc = exceptions.ValidationError({"detail": "A value is out of range or malformed for the database."})
    response = drf_exception_handler(exc, context)
    if response is not None:
        set_rollback()
    return response


# --- ETags --------------------------------------------------------------------------------------------


def etag_for(instance) -> str:
    """A strong validator for the row's current version (bumped by every save); rows that never change
    after they are written (health events) have no version, and their id serves."""
    version = getattr(instance, "version", None)
    return f'"{version}"' if version is not None else f'"{instance.pk}"'


def if_match_satisfied(header: str | None, instance) -> bool:
    """RFC 9110 If-Match: absent or `*` passes; otherwise one of the listed tags must be the current one.

    Weak tags (`W/"3"`) are accepted too: clients that copy the header from a proxy that weakened it would
    otherwise never be able to write."""
    if header is None:
        return True
    header = header.strip()
    if header == "*":
        return True
    current = etag_for(instance)
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag == current:
            return True
    return False


# --- The write path -----------------------------------------------------------------------------------


# Dates a training plan can sensibly hold. Far narrower than Python's years 1..9999 on purpose: the model
# rules shift dates by a day and timestamps into the athlete's timezone, which overflows at those edges.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
_RANGE_MESSAGE = f"Must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}."


class BoundedDateField(serializers.DateField):
    """A date between EARLIEST_DATE and LATEST_DATE."""

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise serializers.ValidationError(_RANGE_MESSAGE, code="date_out_of_range")
        return value


# A timestamp must say which instant it is: one without an offset would be read in the server's zone (UTC), so
# a client sending Tokyo's 07:00 would silently book 16:00 JST. Request bodies (OffsetDateTimeField) and query
# filters (core.lists.filters.UTCDateTimeField) both ask offset_problem().
OFFSET_REQUIRED_MESSAGE = (
    "This timestamp has no UTC offset: add one, `Z` for UTC or `±HH:MM` (e.g. 2030-01-08T07:30:00Z or "
    "2030-01-08T07:30:00+09:00)."
)
DATE_NOT_TIMESTAMP_MESSAGE = (
    "This is a date, not a timestamp: give a time and a UTC offset, `Z` or `±HH:MM` (e.g. 2030-01-08T00:00:00Z)."
)


def offset_problem(text: str) -> str | None:
    """Why `text` is refused as a timestamp though it parses as one (no offset; a date alone), or None. None too
    for text that does not parse at all: the field's own "wrong format" error says that."""
    try:
        parsed = parse_datetime(text)
    except ValueError:  # well formed but impossible (month 13): the field's own error
        return None
    if parsed is None or parsed.tzinfo is not None:
        return None
    try:
        return DATE_NOT_TIMESTAMP_MESSAGE if parse_date(text) is not None else OFFSET_REQUIRED_MESSAGE
    except ValueError:
        return OFFSET_REQUIRED_MESSAGE


class OffsetDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField that refuses a timestamp without a UTC offset (400), instead of reading it as UTC."""

    def to_internal_value(self, value):
        if isinstance(value, str) and (problem := offset_problem(value)):
            raise serializers.ValidationError(problem, code="offset_required")
        return super().to_internal_value(value)


class BoundedDateTimeField(OffsetDateTimeField):
    """A timestamp with a UTC offset whose UTC date lies between EARLIEST_DATE and LATEST_DATE."""

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if not EARLIEST_DATE <= value.astimezone(UTC).date() <= LATEST_DATE:
            raise serializers.ValidationError(_RANGE_MESSAGE, code="date_out_of_range")
        return value


class TrimmedCharField(serializers.CharField):
    """A CharField whose trimming (when on, DRF's default) also drops Unicode format characters at the ends,
    before the blank and length checks: a title of only U+200B is blank (core.text.trim, as the models do)."""

    def run_validation(self, data=serializers.empty):
        if self.trim_whitespace and isinstance(data, str):
            data = trim(data)
        return super().run_validation(data)


class ServiceModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose writes go through the resource's service function (`write()`, core.writes).

    Model-level errors come back as DRF 400s keyed by the API's field names (`athlete` -> `athlete_id`,
    `__all__` -> `non_field_errors`, both camelized by the renderer). Dates and timestamps are bounded to
    EARLIEST_DATE..LATEST_DATE, and a timestamp without a UTC offset is a 400."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: BoundedDateField,
        models.DateTimeField: BoundedDateTimeField,
        models.CharField: TrimmedCharField,
        models.TextField: TrimmedCharField,
    }

    def write(self, service, *, instance, if_match: str | None, actor):
        """Hand the validated body to the resource's service function (core.writes: it locks, compares If-Match,
        validates and saves) and return the row it wrote; its model errors become 400s on the API's names."""
        try:
            return service(instance=instance, changes=dict(self.validated_data), if_match=if_match, actor=actor)
        except DjangoValidationError as exc:
            errors = django_errors_to_drf(exc, self._field_map(), self.Meta.model.constraint_error_fields)
            raise serializers.ValidationError(errors) from exc
        except IntegrityError as exc:
            # A constraint the model's checks could not see coming (a concurrent writer): nothing was written.
            raise Conflict() from exc

    def create(self, validated_data):
        raise NotImplementedError("Writes go through write(), which calls the resource's service function.")

    def update(self, instance, validated_data):
        raise NotImplementedError("Writes go through write(), which calls the resource's service function.")

    def _field_map(self) -> dict[str, str]:
        return {field.source: name for name, field in self.fields.items() if field.source != "*"}


def changes_anything(instance, data: dict) -> bool:
    """Whether writing `data` onto `instance` would change a stored value. Anything it cannot compare without
    a query (many-to-many, a non-field) counts as a change."""
    for name, value in data.items():
        try:
            field = instance._meta.get_field(name)
        except FieldDoesNotExist:
            return True
        if field.many_to_many or not field.concrete:
            return True
        if field.is_relation:
            current = getattr(instance, field.attname)
            value = getattr(value, "pk", value)
        else:
            current = getattr(instance, name)
        if current != value:
            return True
    return False


class UUIDRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key given as a UUID string; a malformed one is a 400, not a database error.

    With `selector` (a `<app>.selectors` function taking `user=`), the key resolves only among the rows the
    requesting user may see: another coach's athlete or program is "does not exist" (400), exactly like an
    id that exists nowhere, so a write never learns that a row it may not see exists."""

    def __init__(self, *, selector=None, **kwargs):
        kwargs.setdefault("pk_field", serializers.UUIDField(format="hex_verbose"))
        self.selector = selector
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if self.selector is None or request is None:
            return queryset
        return self.selector(user=request.user, queryset=queryset)
