"""What a list reads besides its bare rows, declared in one place (`ListReads`), and how a page is read: the
derived columns of the page's rows only (program metrics, micro-cycle session counts), and on PostgreSQL a
numbered page with its count in one statement, without building the ORM query again on every request.

A viewset declares `list_reads = ListReads(derived_columns=..., page_in_one_statement=...)`; the list machinery
(core.lists.views, core.lists.pagination) reads it through `list_reads_of(view)` only.

The page's rows with their derived columns are read `WHERE id = ANY(ids)`, the ids cut from the bare, scoped,
filtered and ordered rows. Building and compiling the annotated query (five correlated subqueries for the
program metrics, ~370 expressions) cost more CPU than PostgreSQL spends running it, on every request. Its
SQL does not depend on the request, only its parameters do (the instant "now" and the ids), so on
PostgreSQL it is compiled once per process and database alias and re-run with the request's parameters. The
derived columns are still written once, as ORM expressions (`with_metrics()`, `with_session_counts()`), which
the admin, the services and the detail endpoints use as they are; tests/core/test_page_rows.py holds the two
paths to the same rows.

On PostgreSQL a page asked for by number is one statement (`one_statement_page()`, when the list declares
`page_in_one_statement`): the count and the page's ids (SQL the ORM builds per request from the scoped
queryset) in a CTE, the compiled annotated query joined LATERAL to those ids. Elsewhere (SQLite, keyset pages,
`page=last`) the count, the ids and the annotated rows are separate queries (a list without derived columns:
the count and the plain slice).

Other databases keep building the annotated query per request: a compiled query finds its stand-ins again among
the parameters the driver receives, which holds for psycopg only (core.lists.compiled_sql).

The per-process cache here: each `ListReads` (one per viewset class) keeps one `CompiledQuery` per model
(`_queries`), built from the model's manager (not the request's scoped queryset) with stand-ins for "now" and
the ids; the caller's scope and filters reach the statement only as the ids (or, in the one statement, as the
ids' SQL the ORM builds per request), so two callers never share anything but the SQL text.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from django.core.exceptions import EmptyResultSet
from django.db import models
from django.db.models import F, Func, Value, signals
from django.db.models.base import ModelState
from django.utils import timezone

from core import dialect

from .compiled_sql import CompiledQuery

# Stand-ins for the request's parameters while the query is compiled; found again among the compiled
# parameters by value (the instant) and by type (the only list: the ids).
_NOW_MARKER = datetime(1901, 2, 3, 4, 5, 6, 789012, tzinfo=UTC)
_IDS_MARKER = [uuid.UUID(int=0)]


class _PkAnyOf(Func):
    """`pk = ANY(%s)`: one array parameter whatever the page size, so the SQL is the same for every page."""

    template = "%(expressions)s)"
    arg_joiner = " = ANY("
    output_field = models.BooleanField()

    def __init__(self, ids, pk_field: models.Field):
        from django.contrib.postgres.fields import ArrayField  # PostgreSQL only; imported where used

        super().__init__(F("pk"), Value(ids, output_field=ArrayField(pk_field.__class__())))


class ListReads:
    """What a list reads besides its bare rows, declared once on its viewset, and the reads themselves.

    `derived_columns`: `(queryset, now) -> queryset` adding the list's derived columns (a QuerySet method such as
    `with_metrics`), or None for a list that has none. A list computes them for its page's rows only
    (`rows_with_derived_columns()`, `one_statement_page()`); every other action of the viewset reads the whole
    queryset with them (`with_derived_columns()`).

    `page_in_one_statement`: on PostgreSQL, a page asked for by number is read with its count (and its derived
    columns) in one statement (`one_statement_page()`); elsewhere, for keyset pages and for `page=last`, the count
    and the rows are separate queries. Also for a list without derived columns: its count and page in one round
    trip.

    Both are named in every declaration, so a list says whether it has derived columns.

    `complete_rows` (optional): `(rows) -> None`, run on the rows a list shows before they are represented, for
    what their representation reads from other tables for the whole page at once (a session's %1RM sets read
    the athletes' estimated one-rep max); it must cost a number of queries that does not grow with the rows."""

    def __init__(
        self,
        *,
        derived_columns: Callable[[models.QuerySet, datetime], models.QuerySet] | None,
        page_in_one_statement: bool,
        complete_rows: Callable[[list], None] | None = None,
    ):
        self.derived_columns = derived_columns
        self.page_in_one_statement = page_in_one_statement
        self.complete_rows = complete_rows
        self._queries: dict[type[models.Model], CompiledQuery] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"ListReads(derived_columns={self.derived_columns!r}, page_in_one_statement={self.page_in_one_statement}"
            f", complete_rows={self.complete_rows!r})"
        )

    @property
    def has_derived_columns(self) -> bool:
        return self.derived_columns is not None

    def with_derived_columns(self, queryset: models.QuerySet, now: datetime | None = None) -> models.QuerySet:
        """`queryset` with the derived columns at instant `now` (default: now); as it is without any."""
        if self.derived_columns is None:
            return queryset
        return self.derived_columns(queryset, now or timezone.now())

    def rows_with_derived_columns(self, model: type[models.Model], ids: Sequence, *, using: str) -> list[models.Model]:
        """The rows of `model` whose ids are `ids`, with the derived columns, in the ids' order."""
        if not ids:
            return []
        now = timezone.now()
        if dialect.is_postgresql(using):
            found = self._fetch(model, ids, now, using)
        else:
            found = list(self.with_derived_columns(model._default_manager.using(using).filter(pk__in=ids), now))
        by_pk = {row.pk: row for row in found}
        # A row deleted between the ids and this query is left out (each statement reads its own snapshot).
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def compiled(self, model: type[models.Model]) -> CompiledQuery:
        query = self._queries.get(model)
        if query is None:
            with self._lock:
                query = self._queries.setdefault(model, self._query(model))
        return query

    def _query(self, model: type[models.Model]) -> CompiledQuery:
        field_names = tuple(field.attname for field in model._meta.concrete_fields)

        def build(now, ids):
            queryset = self.with_derived_columns(model._default_manager.all(), now)
            # No ORDER BY: the rows are put in the ids' order in Python.
            queryset = queryset.filter(_PkAnyOf(ids, model._meta.pk)).order_by()
            return queryset.values_list(*field_names, *queryset.query.annotations)

        # keep_text: a stored JSON document (core.fields.StoredJSONField) reaches the representation as its text.
        return CompiledQuery(
            build, {"now": _NOW_MARKER, "ids": _IDS_MARKER}, optional=frozenset({"now"}), keep_text=True
        )

    def _fetch(self, model, ids, now, using) -> list[models.Model]:
        query = self.compiled(model)
        return self._instances(model, query.columns(using), query.rows(using, now=now, ids=list(ids)), using)

    def _instances(self, model, columns, rows, using) -> list[models.Model]:
        """Saved instances of `model` from rows whose columns are its concrete fields' attnames, in field order,
        then the annotations: what `model.from_db` and setting each annotation give."""
        width = len(model._meta.concrete_fields)
        if (
            signals.pre_init.has_listeners(model)
            or signals.post_init.has_listeners(model)
            or model.__init__ is not models.Model.__init__
            or model.from_db.__func__ is not models.Model.from_db.__func__
        ):  # the model's own __init__ or from_db (TrainingSession remembers its stored values there)
            field_names, annotation_names = columns[:width], columns[width:]
            instances = []
            for row in rows:
                instance = model.from_db(using, field_names, row[:width])
                for name, value in zip(annotation_names, row[width:], strict=True):
                    setattr(instance, name, value)
                instances.append(instance)
            return instances
        # Django's own from_db and __init__, without init signals: with every field given they only set each
        # attname and a fresh ModelState; done here directly, it was a tenth of a programs page's CPU.
        new = model.__new__
        instances = []
        for row in rows:
            instance = new(model)
            instance.__dict__.update(zip(columns, row, strict=True))
            instance._state = state = ModelState()
            state.adding = False
            state.db = using
            instances.append(instance)
        return instances

    def one_statement_page(
        self, queryset: models.QuerySet, offset: int, limit: int
    ) -> tuple[int, list[models.Model]] | None:
        """The count of `queryset` and the annotated rows of `queryset[offset:offset + limit]`, in one statement
        and one snapshot (PostgreSQL): the count and the page's ids (the bare rows' SQL, built per request
        since it carries the caller's scope and filters) feed the compiled annotated query as a LATERAL join,
        so a list costs one round trip instead of three.

        None where the list does not declare `page_in_one_statement`, or where the rows built here could differ
        from the queryset's own, and the caller reads the count and the rows separately: another database; a
        DISTINCT or combined (union …) queryset; one that asks for more than its model's rows (select_related,
        prefetch_related, only/defer, annotations), which the rows compiled here from the model's manager would
        drop; one joined across a to-many relation, where a row can appear twice among the ids but once in
        `pk = ANY(ids)`."""
        using = queryset.db
        query = queryset.query
        if (
            not self.page_in_one_statement
            or not dialect.is_postgresql(using)
            or query.distinct
            or query.combinator
            or query.select_related
            or queryset._prefetch_related_lookups
            or query.deferred_loading != (frozenset(), True)
            or query.annotations
        ):
            return None
        model = queryset.model
        try:
            count_sql, count_params = queryset.order_by().values("pk").query.get_compiler(using).as_sql()
            ids_compiler = queryset.values_list("pk")[offset : offset + limit].query.get_compiler(using)
            ids_sql, ids_params = ids_compiler.as_sql()
        except EmptyResultSet:
            return 0, []
        if _joins_to_many(ids_compiler.query):  # the joins of its filters and of its ORDER BY, once compiled
            return None
        compiled = self.compiled(model)
        columns = compiled.columns(using)
        rows_sql, ids_index = compiled.sql_with_inlined(using, "ids", "cadence_page.ids")
        rows_params = compiled.params(using, now=timezone.now(), ids=None)
        del rows_params[ids_index]
        aliases = ", ".join(f"c{i}" for i in range(len(columns)))
        pk = columns.index(model._meta.pk.attname)
        # Only SQL the ORM compiled goes into the text; every value is a parameter.
        sql = (
            f"WITH cadence_page AS MATERIALIZED (SELECT (SELECT count(*) FROM ({count_sql}) AS cadence_count)"  # noqa: S608
            f" AS total, ARRAY({ids_sql}) AS ids)"
            f" SELECT cadence_page.total, cadence_rows.* FROM cadence_page"
            f" LEFT JOIN LATERAL ({rows_sql}) AS cadence_rows ({aliases}) ON true"
            f" ORDER BY array_position(cadence_page.ids, cadence_rows.c{pk})"
        )
        rows = compiled.run(using, sql, [*count_params, *ids_params, *rows_params])
        count = rows[0][0]
        if rows[0][1 + pk] is None:  # the LEFT JOIN's one row of nulls: an empty page
            return count, []
        return count, self._instances(model, columns, [row[1:] for row in rows], using)


def _joins_to_many(query) -> bool:
    """Whether a join of `query` follows a to-many relation (a reverse foreign key or a many-to-many), so that a
    row can come out more than once."""
    for join in query.alias_map.values():
        field = getattr(join, "join_field", None)
        if field is not None and (field.one_to_many or field.many_to_many):
            return True
    return False


def list_reads_of(view) -> ListReads | None:
    """The `ListReads` a view declares (its `list_reads` attribute), or None when it declares none (its list reads
    the rows its queryset gives, nothing more). The one place the list machinery asks a view what it reads."""
    reads = getattr(view, "list_reads", None)
    if reads is not None and not isinstance(reads, ListReads):
        raise TypeError(f"{type(view).__name__}.list_reads must be a core.lists.page_statement.ListReads")
    return reads
