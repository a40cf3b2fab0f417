"""Keyset (cursor) pagination beside the page numbers, for clients that walk a whole result or sync.

`?pagination=cursor` (or any `?cursor=`) switches a list to keyset mode: rows in `(updatedAt, id)` order, each
page fetched with `WHERE (updated_at, id) > (last row's)` and `LIMIT pageSize + 1`, so a page costs the same at any
depth and no COUNT runs. The position is the last row's key, not an offset: rows inserted or updated while a
client walks move to the end of the order (where the walk still meets them) and never shift the rows not yet
visited, so no row is skipped and none is shown twice unless it changed after it was shown.
Without those parameters, the page-number pagination of `core.api` answers as before.

A cursor is signed (django.core.signing, salted with the list's model and key): a cursor Cadence did not give, or
gave for another list, is a 400. SECRET_KEY_FALLBACKS keeps the cursors signed with a retired key valid.
"""

from __future__ import annotations

import base64
import binascii
import struct
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

from django.core import signing
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .api import PageNumberPagination

CURSOR_PARAM = "cursor"
MODE_PARAM = "pagination"
CURSOR_MODE = "cursor"
PAGE_MODE = "page"  # the default, page numbers
KEY_FIELDS = ("updated_at", "id")


INVALID_CURSOR_MESSAGE = "This cursor was not given by this list (or was altered): follow the `next` link of a page."
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_POSITION = struct.Struct(">q16s")  # microseconds since the epoch (UTC), the id's 16 bytes


def cursor_scope(queryset) -> str:
    """What a cursor is valid for: the list's model and the key it is ordered by. A cursor of /sessions/ replayed
    on /programs/ would name a position in another table; the signature (salted with this) refuses it."""
    return f"{queryset.model._meta.label_lower}:{','.join(KEY_FIELDS)}"


def _signer(scope: str) -> signing.Signer:
    # `.` cannot occur in URL-safe base64, so it separates the position from its signature without escaping.
    return signing.Signer(salt=f"core.pagination.cursor:{scope}", sep=".")


def encode_cursor(updated_at: datetime, pk: uuid.UUID, *, scope: str) -> str:
    """The signed cursor for the position after the row keyed `(updated_at, pk)` in the list `scope`."""
    micros = (updated_at - _EPOCH) // _MICROSECOND
    position = base64.urlsafe_b64encode(_POSITION.pack(micros, pk.bytes)).decode().rstrip("=")
    return _signer(scope).sign(position)


def decode_cursor(value: str, *, scope: str) -> tuple[datetime, uuid.UUID] | None:
    """The position a cursor names; None for an empty one (the start); a 400 for a cursor that this list did not
    give (malformed, altered, hand-made, signed for another list, or signed with a key no longer configured)."""
    if not value:
        return None
    try:
        if len(value) > 200:
            raise ValueError("too long")
        position = _signer(scope).unsign(value)
        micros, pk = _POSITION.unpack(base64.urlsafe_b64decode(position + "=" * (-len(position) % 4)))
        return _EPOCH + micros * _MICROSECOND, uuid.UUID(bytes=pk)
    except (signing.BadSignature, ValueError, binascii.Error, struct.error, OverflowError) as exc:
        raise serializers.ValidationError({CURSOR_PARAM: [INVALID_CURSOR_MESSAGE]}) from exc


class KeysetOrPageNumberPagination(PageNumberPagination):
    """Page numbers by default; keyset pages over `(updated_at, id)` with `?pagination=cursor` or `?cursor=`.

    Keyset pages have `next` (null on the last page), `previous` (always null: walks go forward) and
    `results`, and no `count`. `?ordering=` cannot be combined with them (400): the order is the key."""

    def cursor_requested(self, request) -> bool:
        params = request.query_params
        return CURSOR_PARAM in params or params.get(MODE_PARAM) == CURSOR_MODE

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        mode = params.get(MODE_PARAM)
        if mode not in (None, CURSOR_MODE, PAGE_MODE) or (mode == PAGE_MODE and CURSOR_PARAM in params):
            raise serializers.ValidationError({MODE_PARAM: [f"Use {MODE_PARAM}={CURSOR_MODE} or {PAGE_MODE}."]})
        self.keyset = self.cursor_requested(request)
        if not self.keyset:
            return super().paginate_queryset(queryset, request, view)
        if params.get("ordering"):
            raise serializers.ValidationError({"ordering": ["Cursor pages are in (updatedAt, id) order only."]})
        self.request = request
        self.scope = cursor_scope(queryset)
        position = decode_cursor(params.get(CURSOR_PARAM, ""), scope=self.scope)
        size = self.get_page_size(request)
        queryset = queryset.order_by(*KEY_FIELDS)
        if position is not None:
            updated_at, pk = position
            # A row comparison, `(updated_at, id) > (…, …)`: PostgreSQL starts the (updated_at, id) index scan
            # right there, even inside a long run of equal updated_at (a bulk write). Django's tuple lookup
            # writes the equivalent OR where a database lacks row values.
            queryset = queryset.filter(TupleGreaterThan(Tuple(F("updated_at"), F("id")), (updated_at, pk)))
        annotation = getattr(view, "page_annotation", None)
        if annotation is not None and annotation.derived:
            # The bare rows' keys (one more, to know whether there is a next page), then the annotated rows of
            # the page's ids only (core.page_rows). The next cursor is the last key as this query read it: a row
            # updated between the two queries must not move the cursor past rows not yet shown.
            keys = list(queryset.values_list(*KEY_FIELDS)[: size + 1])
            self.has_more = len(keys) > size
            self.last_key = keys[size - 1] if self.has_more else None
            self.page_rows = annotation.rows(queryset.model, [pk for _, pk in keys[:size]], using=queryset.db)
        else:
            rows = list(queryset[: size + 1])
            self.has_more = len(rows) > size
            self.page_rows = rows[:size]
            self.last_key = (self.page_rows[-1].updated_at, self.page_rows[-1].pk) if self.has_more else None
        return self.page_rows

    def get_next_link(self):
        if not getattr(self, "keyset", False):
            return super().get_next_link()
        if not self.has_more:
            return None
        updated_at, pk = self.last_key
        url = remove_query_param(self.request.build_absolute_uri(), "page")
        url = replace_query_param(url, MODE_PARAM, CURSOR_MODE)
        return replace_query_param(url, CURSOR_PARAM, encode_cursor(updated_at, pk, scope=self.scope))

    def get_paginated_response(self, data):
        if not getattr(self, "keyset", False):
            return super().get_paginated_response(data)
        return Response(OrderedDict([("next", self.get_next_link()), ("previous", None), ("results", data)]))

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["results"]
        response["properties"]["count"]["description"] = "Absent on cursor pages."
        return response

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": MODE_PARAM,
                "required": False,
                "in": "query",
                "description": "`cursor` for keyset pages in (updatedAt, id) order (no count; follow `next`); "
                "`page` (the default) for page numbers.",
                "schema": {"type": "string", "enum": [CURSOR_MODE, PAGE_MODE]},
            },
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": "The position of a keyset page, from a previous page's `next` link (signed: a "
                "cursor this list did not give is a 400).",
                "schema": {"type": "string"},
            },
        ]
