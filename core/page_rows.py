"""The derived columns of a list's page (program metrics, micro-cycle session counts), computed by the database
for the page's rows only, and on PostgreSQL without building the ORM query again on every request.

A list is read in three queries: the count and the page's ids on the bare, scoped, filtered and ordered rows
(cheap to build and to run), then the page's rows with their annotations, `WHERE id = ANY(ids)`. Building and
compiling the annotated query (five correlated subqueries for the program metrics, ~370 expressions) cost
more CPU than PostgreSQL spends running it, on every request. The query's SQL does not depend on the request,
only its parameters do (the instant "now" and the ids), so on PostgreSQL it is compiled once per process and
database alias and re-run with the request's parameters. The annotations are still written once, as ORM
expressions (`with_metrics()`, `with_session_counts()`), which the admin, the services and the detail
endpoints use as they are; tests/core/test_page_rows.py holds the two paths to the same rows.

SQLite keeps building the query per request: its "today in the athlete's timezone" is a CASE whose shape
depends on the instant (training.metrics.local_today_expression), so its SQL cannot be reused.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connections, models
from django.db.models import F, Func, Value
from django.utils import timezone

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


@dataclass(frozen=True)
class _CompiledPage:
    sql: str
    params: tuple
    now_at: tuple[int, ...]
    ids_at: int
    field_names: tuple[str, ...]  # the model's concrete fields (attnames), first in the SELECT
    annotation_names: tuple[str, ...]  # then the annotations
    compiler: object
    converters: dict

    def fetch(self, model: type[models.Model], ids: Sequence, now: datetime, using: str) -> list[models.Model]:
        params = list(self.params)
        for index in self.now_at:
            params[index] = now
        params[self.ids_at] = list(ids)
        with connections[using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        width = len(self.field_names)
        instances = []
        for row in rows:
            instance = model.from_db(using, self.field_names, row[:width])
            for name, value in zip(self.annotation_names, row[width:], strict=True):
                setattr(instance, name, value)
            instances.append(instance)
        return instances


class PageAnnotation:
    """How a list's rows get their derived columns: `annotate(queryset, now)` adds them (a QuerySet method
    such as `with_metrics`). `apply()` gives the annotated queryset (details, writes); `rows()` the annotated
    rows of a page's ids, in the ids' order."""

    def __init__(self, annotate: Callable[[models.QuerySet, datetime], models.QuerySet]):
        self.annotate = annotate
        self._compiled: dict[tuple[type[models.Model], str], _CompiledPage] = {}
        self._lock = threading.Lock()

    def apply(self, queryset: models.QuerySet, now: datetime | None = None) -> models.QuerySet:
        return self.annotate(queryset, now or timezone.now())

    def rows(self, model: type[models.Model], ids: Sequence, *, using: str) -> list[models.Model]:
        if not ids:
            return []
        now = timezone.now()
        if connections[using].vendor == "postgresql":
            found = self.compiled(model, using).fetch(model, ids, now, using)
        else:
            found = list(self.apply(model._default_manager.using(using).filter(pk__in=ids), now))
        by_pk = {row.pk: row for row in found}
        # A row deleted between the ids and this query is left out (each statement reads its own snapshot).
        return [by_pk[pk] for pk in ids if pk in by_pk]

    def compiled(self, model: type[models.Model], using: str) -> _CompiledPage:
        key = (model, using)
        page = self._compiled.get(key)
        if page is None:
            with self._lock:
                page = self._compiled.get(key) or self._compile(model, using)
                self._compiled[key] = page
        return page

    def _compile(self, model: type[models.Model], using: str) -> _CompiledPage:
        queryset = self.apply(model._default_manager.using(using).all(), _NOW_MARKER)
        # No ORDER BY: the rows are put in the ids' order in Python.
        queryset = queryset.filter(_PkAnyOf(_IDS_MARKER, model._meta.pk)).order_by()
        field_names = tuple(field.attname for field in model._meta.concrete_fields)
        annotation_names = tuple(queryset.query.annotations)
        query = queryset.values_list(*field_names, *annotation_names).query
        # The column order Django's own values_list() reads: extra, then fields, then annotations.
        columns = (*query.extra_select, *query.values_select, *query.annotation_select)
        if columns != (*field_names, *annotation_names):
            raise RuntimeError(f"unexpected column order for {model.__name__}'s page query: {columns}")
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        now_at = tuple(i for i, param in enumerate(params) if isinstance(param, datetime) and param == _NOW_MARKER)
        ids_at = [i for i, param in enumerate(params) if isinstance(param, list)]
        if len(ids_at) != 1:
            raise RuntimeError(f"{model.__name__}'s page query has {len(ids_at)} array parameters, expected 1")
        converters = compiler.get_converters([column[0] for column in compiler.select[: compiler.col_count]])
        return _CompiledPage(
            sql=sql,
            params=tuple(params),
            now_at=now_at,
            ids_at=ids_at[0],
            field_names=field_names,
            annotation_names=annotation_names,
            compiler=compiler,
            converters=converters,
        )
