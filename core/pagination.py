"""Keyset (cursor) pagination beside the page numbers, for clients that walk a whole result or sync.

`?pagination=cursor` (or any `?cursor=`) switches a list to keyset mode: rows in `(updatedAt, id)` order, each
page fetched with `WHERE (updated_at, id) > (last row's)` and `LIMIT pageSize + 1`, so a page costs the same at any
depth and no COUNT runs. The position is the last row's key, not an offset: rows inserted or updated while a
client walks move to the end of the order (where the walk still meets them) and never shift the rows not yet
visited, so no row is skipped and none is shown twice unless it changed after it was shown.
Without those parameters, the page-number pagination of `core.api` answers as before.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections import OrderedDict
from datetime import UTC, datetime

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


def encode_cursor(updated_at: datetime, pk: uuid.UUID) -> str:
    raw = f"{updated_at.astimezone(UTC).isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, uuid.UUID] | None:
    """The position a cursor names; None for an empty one (the start); a 400 for anything malformed."""
    if not value:
        return None
    try:
        if len(value) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, pk = raw.split("|")
        updated_at = datetime.fromisoformat(stamp)
        if updated_at.tzinfo is None:
            raise ValueError("naive timestamp")
        return updated_at.astimezone(UTC), uuid.UUID(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error, OverflowError) as exc:
        raise serializers.ValidationError({CURSOR_PARAM: ["Invalid cursor: use the `next` link of a page."]}) from exc


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
        position = decode_cursor(params.get(CURSOR_PARAM, ""))
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
        return replace_query_param(url, CURSOR_PARAM, encode_cursor(updated_at, pk))

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
                "description": "The position of a keyset page, from a previous page's `next` link.",
                "schema": {"type": "string"},
            },
        ]
