"""The list's paginators: page numbers (`?page=`, the default) and keyset pages (`?pagination=cursor`).

Which mode when: `?pagination=cursor` (or any `?cursor=`) asks for keyset pages, in `(updatedAt, id)` order, each
page fetched with `WHERE (updated_at, id) > (last row's)` and `LIMIT pageSize + 1`, so a page costs the same at
any depth and no COUNT runs. The position is the last row's key (core.lists.cursors), not an offset: rows
inserted or updated while a client walks move to the end of the order (where the walk still meets them) and never
shift the rows not yet visited, so no row is skipped and none is shown twice unless it changed after it was
shown. Anything else is a page number: `{"count", "next", "previous", "results"}`.

A list whose view declares `ListReads` (core.lists.page_statement) is paginated page first (`PageFirst`): the
page's ids from the bare rows, then its rows with their derived columns; on PostgreSQL a page asked for by number
can be one statement with its count (`ListReads.one_statement_page`).
"""

from __future__ import annotations

from collections import OrderedDict

from django.db import models
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .cursors import (
    CURSOR_MODE,
    CURSOR_PARAM,
    KEY_FIELDS,
    MODE_PARAM,
    PAGE_MODE,
    cursor_scope,
    decode_cursor,
    encode_cursor,
)
from .page_statement import ListReads, list_reads_of


class PageFirst:
    """A queryset seen by Django's Paginator as a list whose slices are computed page first.

    `queryset[a:b]` on an annotated queryset would compute the annotations (the program metrics' correlated
    subqueries) for every row before the OFFSET too: PostgreSQL evaluates the select list before discarding
    them. A slice here selects the page's ids from the bare rows, then the annotated rows of those ids only,
    so page 1 and page 40 cost the same; the count runs on the bare rows as well.

    With the view's `ListReads` (core.lists.page_statement), `queryset` is bare and the reads give the page's
    rows with their derived columns (on PostgreSQL from SQL compiled once per process). Without one, an
    annotated queryset is cut with `id IN (SELECT id … LIMIT … OFFSET …)` in one query."""

    def __init__(
        self, queryset: models.QuerySet, reads: ListReads | None = None, window: tuple[int, int] | None = None
    ):
        self.queryset = queryset
        self.reads = reads
        self.ordered = queryset.ordered
        # The (offset, limit) the request asks for, when known before the count (a page number): then the
        # count and that page's rows are read together (ListReads.one_statement_page) and the slice is served
        # from them.
        self.window = window
        self._page: tuple[int, list] | None = None

    def count(self) -> int:
        if self.window is not None and self.reads is not None and self._page is None:
            self._page = self.reads.one_statement_page(self.queryset, *self.window)
        if self._page is not None:
            return self._page[0]
        # A separate COUNT, not COUNT(*) OVER () beside the page's ids: the window makes PostgreSQL read and
        # order every row of the list before the LIMIT.
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice):
        if not isinstance(key, slice):
            raise TypeError("PageFirst takes slices only")
        if self._page is not None:
            count, rows = self._page
            offset, limit = self.window
            if key.start == offset and key.stop == min(offset + limit, count):
                return rows
        if self.reads is not None and not self.reads.has_derived_columns:
            return self.queryset[key]  # nothing to compute per row: the plain slice
        if self.reads is not None:
            ids = list(self.queryset.values_list("pk", flat=True)[key])
            return self.reads.rows_with_derived_columns(self.queryset.model, ids, using=self.queryset.db)
        # values("pk") masks the annotations out of the subquery's SELECT; the outer query keeps the order.
        return self.queryset.filter(pk__in=self.queryset.values("pk")[key])


class PageNumberPagination(pagination.PageNumberPagination):
    """`{"count", "next", "previous", "results"}` with `?page=` (from 1) and `?pageSize=` (max 200).

    A list whose view declares `ListReads`, or whose queryset has annotations, is paginated page first
    (PageFirst): its annotations are computed for the page's rows only."""

    page_size = 50
    page_size_query_param = "page_size"  # the camelCase middleware turns ?pageSize= into page_size
    max_page_size = 200

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"].update(minimum=1, maximum=self.max_page_size)
        return params

    def get_page_size(self, request):
        """`pageSize` from 1 to 200; anything else (0, -1, 201, `abc`) is a 400 like any bad parameter,
        instead of DRF's silent fall-back to the default."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = _whole_number(raw)
        if size is None or not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {"pageSize": [f"Must be a whole number from 1 to {self.max_page_size}."]}, code="invalid"
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        reads = list_reads_of(view)
        if isinstance(queryset, models.QuerySet) and (reads is not None or queryset.query.annotations):
            queryset = PageFirst(queryset, reads, self.requested_window(request))
        return super().paginate_queryset(queryset, request, view)

    def requested_window(self, request) -> tuple[int, int] | None:
        """(offset, limit) of the page a request names by number; None for `last` or anything the paginator
        itself will refuse (it still does, with its own errors)."""
        size = self.get_page_size(request)
        number = _whole_number(request.query_params.get(self.page_query_param, "1"))
        if number is None or number < 1:
            return None
        return (number - 1) * size, size


def _whole_number(text: str) -> int | None:
    """`text` as a whole number written in ASCII digits (leading zeros allowed: 0050 is 50), or None. The length
    is checked first: int() refuses strings of over 4,300 digits with a ValueError (a 500 here)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    return int(text)


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
        reads = list_reads_of(view)
        if reads is not None and reads.has_derived_columns:
            # The bare rows' keys (one more, to know whether there is a next page), then the rows of the page's
            # ids only, with their derived columns (core.lists.page_statement). The next cursor is the last key
            # as this query read it: a row updated between the two queries must not move the cursor past rows
            # not yet shown.
            keys = list(queryset.values_list(*KEY_FIELDS)[: size + 1])
            self.has_more = len(keys) > size
            self.last_key = keys[size - 1] if self.has_more else None
            self.page_rows = reads.rows_with_derived_columns(
                queryset.model, [pk for _, pk in keys[:size]], using=queryset.db
            )
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
