"""The list read path without DRF's per-field overhead: each serializer's representation compiled once.

DRF's `ModelSerializer.to_representation` walks every field of every row (attribute lookup, SkipField, an
OrderedDict) and the camelCase renderer then walks the result again with a regex per key. For a list, the
same work is done here by a function compiled once per serializer class: for each readable field, its
camelCase key (computed once), how to read it from the row (the foreign key's column for related ids, so no
relation is loaded) and a converter that gives exactly what the field's `to_representation` gives. Field
types without a converter here fall back to the field's own `get_attribute` and `to_representation`.

Rows come out as plain dicts of JSON types inside a `CamelCased` list, which `core.lists.renderers` writes with
orjson without walking it again. `tests/core/test_representation.py` compares this with the serializer, field
by field and byte by byte, for every resource.

The per-process cache here: `compiled()` keeps one function per serializer class (functools.cache). It is built
from the serializer's fields alone, made without a request or context, so it can only be right if no field of a
list's serializer depends on the request (the caller, their timezone, the query): none of Cadence's do. What a
request changes, the current timezone, is read per page in `represent_rows()` (`_page_zone`, a thread-local set
for the page and cleared after it), never kept in the compiled function.
"""

from __future__ import annotations

import functools
import re
import threading
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from operator import attrgetter

from django.conf import settings
from django.utils import timezone
from djangorestframework_camel_case.util import camelize_re, underscore_to_camel
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.settings import api_settings

_page_zone = threading.local()  # the current timezone while represent_rows() writes a page
_UTC = zoneinfo.ZoneInfo("UTC")
_ZERO = timedelta(0)
# A converter that is the identity: the value goes to the encoder as it is (orjson and DRF's encoder write
# dates, aware UTC datetimes and UUIDs exactly as the field's to_representation would, see core.lists.renderers).
PASS = object()


class CamelCased(list):
    """Rows whose keys are already the API's camelCase and whose values are JSON types (see core.lists.renderers)."""


def camel_key(name: str) -> str:
    """The camelCase renderer's key for `name` (djangorestframework-camel-case's own rule)."""
    return re.sub(camelize_re, underscore_to_camel, name) if "_" in name else name


def _datetime(field: serializers.DateTimeField) -> Callable | None:
    if getattr(field, "format", api_settings.DATETIME_FORMAT) != api_settings.DATETIME_FORMAT:
        return None
    if api_settings.DATETIME_FORMAT.lower() != "iso-8601" or getattr(field, "timezone", None) is not None:
        return None

    enforce_timezone = field.enforce_timezone

    def convert(value):
        # The field's enforce_timezone (an aware value in the current timezone, UTC unless activated), then
        # isoformat with Z for +00:00, as DateTimeField.to_representation does. Inside represent_rows the
        # current timezone was read once for the page: looking it up per value (asgiref's Local) was a
        # tenth of a list's CPU.
        if isinstance(value, str):
            return value
        zone = getattr(_page_zone, "zone", None)
        if zone is _UTC and value.utcoffset() == _ZERO:
            # Already what enforce_timezone would give: left as the datetime, which orjson (OPT_UTC_Z) and
            # DRF's encoder both write as isoformat() with Z for +00:00, in C for orjson.
            return value
        if zone is None or value.utcoffset() is None:
            value = enforce_timezone(value)
        else:
            try:
                value = value.astimezone(zone)
            except OverflowError:
                value = enforce_timezone(value)  # the field's own error
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _date(field: serializers.DateField) -> Callable | None:
    if getattr(field, "format", api_settings.DATE_FORMAT) != api_settings.DATE_FORMAT:
        return None
    if api_settings.DATE_FORMAT.lower() != "iso-8601":
        return None
    return PASS  # a date (or a string) as it is: the JSON encoders write a date as isoformat()


def _uuid(field: serializers.UUIDField) -> Callable | None:
    if field.uuid_format == "hex_verbose":
        return PASS  # the encoders write a UUID as str(), i.e. hex_verbose
    return None


def _decimal(field: serializers.DecimalField) -> Callable | None:
    # With COERCE_DECIMAL_TO_STRING off the field gives a quantized Decimal, which DRF's JSON encoder writes
    # as float(). Quantizing is the field's own method, so rounding stays exactly the field's.
    if getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING):
        return None
    to_representation = field.to_representation
    return lambda value: float(to_representation(value))


def _choice(field: serializers.ChoiceField) -> Callable:
    lookup = field.choice_strings_to_values

    def convert(value):
        if value == "":
            return value
        return lookup.get(str(value), value)

    return convert


def _converter(field: drf_fields.Field) -> Callable | None:
    """A function giving `field.to_representation(value)` as JSON types for a non-None value, or None."""
    kind = type(field)
    if kind in (serializers.CharField, serializers.EmailField, serializers.SlugField, serializers.URLField):
        return str
    if kind is serializers.ChoiceField:
        return _choice(field)
    if kind is serializers.IntegerField:
        return int
    if kind is serializers.FloatField:
        return float
    if kind is serializers.BooleanField:
        return bool
    if kind is serializers.ReadOnlyField:
        return None  # any type: leave it to the field and the encoder
    if (
        isinstance(field, serializers.DateTimeField)
        and kind.to_representation is serializers.DateTimeField.to_representation
    ):
        return _datetime(field)
    if isinstance(field, serializers.DateField) and kind.to_representation is serializers.DateField.to_representation:
        return _date(field)
    if kind is serializers.UUIDField:
        return _uuid(field)
    if kind is serializers.DecimalField:
        return _decimal(field)
    return None


def _reader(name: str, field: drf_fields.Field) -> Callable:
    """A function from a row to `{key: value}`'s value, equal to what the serializer puts there."""
    if (
        isinstance(field, relations.PrimaryKeyRelatedField)
        and not isinstance(field, relations.ManyRelatedField)
        and field.use_pk_only_optimization()
        and len(field.source_attrs) == 1
        and field.to_representation.__func__ is relations.PrimaryKeyRelatedField.to_representation
    ):
        # Like PKOnlyObject: the foreign key's column, without loading the related row.
        column = attrgetter(field.source_attrs[0] + "_id")
        pk_convert = _converter(field.pk_field) if field.pk_field is not None else PASS
        if pk_convert is None:
            pk_convert = field.pk_field.to_representation
        if pk_convert is PASS:
            return column  # the id as it is (None stays None): the encoders write a UUID as str()

        def read_pk(row):
            value = column(row)
            return None if value is None else pk_convert(value)

        return read_pk

    convert = _converter(field)
    if convert is not None and len(field.source_attrs) == 1 and field.source != "*":
        get = attrgetter(field.source_attrs[0])
        if convert is PASS:
            return get  # the value as it is (None stays None)

        def read(row):
            value = get(row)
            return None if value is None else convert(value)

        return read

    return _slow_reader(field)


def _slow_reader(field: drf_fields.Field) -> Callable:
    def read_slow(row):
        # Serializer.to_representation's own steps for one field (except SkipField, which a read of a saved
        # row does not raise for the fields Cadence has). Rows that are dicts are read this way too.
        attribute = field.get_attribute(row)
        check = attribute.pk if isinstance(attribute, relations.PKOnlyObject) else attribute
        return None if check is None else field.to_representation(attribute)

    return read_slow


@functools.cache
def compiled(serializer_class: type[serializers.Serializer]) -> Callable[[object], dict]:
    """A function from a row to its representation, camelCase keys, JSON values; compiled once per class.

    The serializer's fields must not depend on the request (none of Cadence's do)."""
    fields = {name: field for name, field in serializer_class().fields.items() if not field.write_only}
    readers = [(camel_key(name), _reader(name, field)) for name, field in fields.items()]
    mapping_readers = [(camel_key(name), _slow_reader(field)) for name, field in fields.items()]

    def represent(row) -> dict:
        chosen = mapping_readers if isinstance(row, Mapping) else readers
        return {key: read(row) for key, read in chosen}

    return represent


def represent_rows(serializer_class: type[serializers.Serializer], rows: Iterable) -> CamelCased:
    represent = compiled(serializer_class)
    # DRF's DateTimeField.default_timezone(): the current timezone, read once for the whole page.
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    _page_zone.zone = _UTC if getattr(zone, "key", None) == "UTC" else zone
    try:
        return CamelCased(represent(row) for row in rows)
    finally:
        _page_zone.zone = None
