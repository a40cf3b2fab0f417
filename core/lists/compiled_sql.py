"""Hot read queries compiled to SQL once per process and database alias, then re-run with each request's values.

Building and compiling an ORM query costs the same CPU on every request although its SQL never changes. For
the queries that API requests run again and again (the Bearer token with its user, the caller's permissions,
a list page's derived metrics) that was a large share of a request's CPU, more than PostgreSQL spent
answering them. A `CompiledQuery` builds its `values_list()` queryset once with stand-in values (markers),
compiles it, finds the markers among the compiled parameters, and afterwards runs the same SQL with the
request's values in their place, through Django's cursor (so query logging, the stall guard and the replica
routing of the caller's alias apply as usual).

PostgreSQL only: there a parameter reaches psycopg as the Python value itself, so a marker can be found again
by value. Callers keep their ORM query for other databases.

The per-process cache here: each `CompiledQuery` keeps its compiled SQL per database alias (`_compiled`). The SQL
is compiled from the stand-in markers, never from a request's values, and the markers' positions are checked
(compiled twice with different stand-ins, only the markers' parameters may differ), so nothing of the request can
be frozen into it: every request supplies its own values in the markers' places.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg
from django.db import connections
from django.db.models import QuerySet
from psycopg.pq import Format

from core import dialect


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    positions: dict[str, tuple[int, ...]]
    columns: tuple[str, ...]
    compiler: object
    converters: dict
    binary: bool


class CompiledQuery:
    """`build(**markers)` returns a `values_list()` queryset; `markers` are stand-ins for the values a request
    supplies, each distinct from any constant of the query (a list marker is found as the one list
    parameter). `optional` names markers the compiled query may not need (e.g. an instant that one
    annotation uses and another does not). With `keep_text`, the columns of fields that declare
    `text_in_lists` (core.fields.StoredJSONField) come back as the database's text, not decoded: for a list
    that sends them on as they are."""

    def __init__(
        self,
        build: Callable[..., QuerySet],
        markers: Mapping[str, object],
        optional: frozenset[str] = frozenset(),
        keep_text: bool = False,
    ):
        self.build = build
        self.markers = dict(markers)
        self.optional = optional
        self.keep_text = keep_text
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def columns(self, using: str) -> tuple[str, ...]:
        return self.compiled(using).columns

    def rows(self, using: str, **values) -> list[tuple]:
        compiled = self.compiled(using)
        return self.run(using, compiled.sql, self.params(using, **values))

    def params(self, using: str, **values) -> list:
        """The compiled parameters with `values` at their markers' places."""
        compiled = self.compiled(using)
        params = list(compiled.params)
        for name, positions in compiled.positions.items():
            for index in positions:
                params[index] = values[name]
        return params

    def sql_with_inlined(self, using: str, name: str, fragment: str) -> tuple[str, int]:
        """The compiled SQL with the one parameter of marker `name` replaced by the SQL `fragment` (e.g. a
        column of an enclosing query), and that parameter's index, to drop it from `params()`."""
        compiled = self.compiled(using)
        [index] = compiled.positions[name]
        # Django's SQL for psycopg writes a parameter as %s and a literal % as %%.
        pieces = re.split(r"(%%|%s)", compiled.sql)
        placeholder = -1
        for i, piece in enumerate(pieces):
            if piece == "%s":
                placeholder += 1
                if placeholder == index:
                    pieces[i] = fragment
                    return "".join(pieces), index
        raise RuntimeError(f"parameter {index} of marker {name!r} not found in the compiled SQL")

    def run(self, using: str, sql: str, params: list) -> list[tuple]:
        """`sql` (this query's compiled SQL, or a statement around it) with this query's result formats and
        converters, which apply to the last `len(columns)` columns of each row."""
        compiled = self.compiled(using)
        with connections[using].cursor() as cursor:
            # Results in PostgreSQL's binary format where that is safe: psycopg's C loaders read uuid, date and
            # timestamptz columns, instead of the Python text parser Django installs for timestamptz. Not with
            # Django's client-side binding cursor (DB_SERVER_SIDE_BINDING off), which refuses binary results.
            if compiled.binary and not isinstance(cursor.cursor, psycopg.ClientCursor):
                cursor.cursor.format = Format.BINARY
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            lead = len(rows[0]) - len(compiled.columns) if rows else 0
            if lead:
                converters = {index + lead: converter for index, converter in compiled.converters.items()}
            else:
                converters = compiled.converters
            rows = list(compiled.compiler.apply_converters(rows, converters))
        return rows

    def compiled(self, using: str) -> _Compiled:
        compiled = self._compiled.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(using) or self._compile(using)
                self._compiled[using] = compiled
        return compiled

    def _compile(self, using: str) -> _Compiled:
        if not dialect.is_postgresql(using):
            raise RuntimeError("CompiledQuery is for PostgreSQL; build the ORM query on other databases")
        queryset = self.build(**self.markers).using(using)
        query = queryset.query
        # The column order Django's own values_list() reads: extra, then fields, then annotations.
        columns = (*query.extra_select, *query.values_select, *query.annotation_select)
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        # Compiled again with other stand-ins, only the parameters at the markers' positions may change: a
        # parameter derived from a marker (e.g. `now.date()`) would otherwise stay frozen at the stand-in.
        other_sql, other_params = (
            self.build(**_other_markers(self.markers)).using(using).query.get_compiler(using=using).as_sql()
        )
        changed = {i for i, (a, b) in enumerate(zip(params, other_params, strict=True)) if a != b}
        positions = {}
        for name, marker in self.markers.items():
            if isinstance(marker, list):
                found = tuple(i for i, p in enumerate(params) if isinstance(p, list))
            else:
                found = tuple(i for i, p in enumerate(params) if type(p) is type(marker) and p == marker)
            if not found and name not in self.optional:
                raise RuntimeError(f"marker {name!r} not found among the compiled parameters of {sql[:80]}…")
            if isinstance(marker, list) and len(found) > 1:
                raise RuntimeError(f"marker {name!r}: {len(found)} list parameters, expected one")
            positions[name] = found
        found = {i for found in positions.values() for i in found}
        if other_sql != sql or changed != found:
            raise RuntimeError(f"parameters {sorted(changed - found)} depend on the markers but are not markers")
        selected = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(selected)
        if self.keep_text:
            converters = {
                index: converter
                for index, converter in converters.items()
                if not getattr(getattr(converter[1], "output_field", None), "text_in_lists", False)
            }
        binary = all(_binary_safe(expression) for expression in selected)
        return _Compiled(
            sql=sql,
            params=tuple(params),
            positions=positions,
            columns=columns,
            compiler=compiler,
            converters=converters,
            binary=binary,
        )


# Column types psycopg's binary loaders return exactly as Django's text ones do (Django registers its own loaders
# for text results only: jsonb, inet, ranges ... read in binary would reach from_db_value in another shape).
_BINARY_SAFE_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "DateField",
        "DateTimeField",
        "DecimalField",
        "EmailField",
        "FloatField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
        "UUIDField",
    }
)


def _binary_safe(expression) -> bool:
    try:
        field = expression.output_field
        if field.get_internal_type() == "ArrayField":  # an array of a safe type is read as a list of it
            field = field.base_field
        return field.get_internal_type() in _BINARY_SAFE_TYPES
    except Exception:  # an expression without a resolvable output field: keep text
        return False


def _other_markers(markers: Mapping[str, object]) -> dict[str, object]:
    """Stand-ins different from `markers`, of the same types."""
    other = {}
    for name, marker in markers.items():
        if isinstance(marker, list):
            other[name] = [*marker, *marker]
        elif isinstance(marker, str):
            other[name] = marker + "-other"
        elif isinstance(marker, datetime):
            other[name] = marker + timedelta(days=3, seconds=7)
        elif isinstance(marker, int):
            other[name] = marker - 1
        else:
            raise TypeError(f"marker {name!r}: no second stand-in for {type(marker).__name__}")
    return other
