"""Model fields shared by the apps."""

from __future__ import annotations

import orjson
from django.db import models
from django.db.models.fields.json import KeyTransform
from psycopg.types.array import ListDumper

from core import dialect


def compact_json(value) -> str:
    """`value` as the API writes JSON: compact separators, UTF-8, keys in their order."""
    return orjson.dumps(value).decode()


class StoredJSONField(models.JSONField):
    """A JSON document the API stores and returns as a whole and never queries into (a session's workout).

    Kept as the compact text it was written as: on PostgreSQL a `json` column (not `jsonb`, which would re-order
    its keys and re-space it on the way out), elsewhere text as with any JSONField. So the text a list reads back
    is, byte for byte, what the API writes for the value, and a list can send it on without decoding it
    (`text_in_lists`: core.lists leaves such columns undecoded on its PostgreSQL path; the API's field hands the
    text on as `core.lists.renderers.JSONText`). What `json` gives up (an equality operator, GIN indexes,
    jsonb's operators) such a document does not use; `isnull` works as usual. Without an equality operator, a
    query that compares whole rows (`.distinct()` over the model's columns, `UNION`) fails on PostgreSQL: narrow
    such a queryset with `pk__in=<subquery>` instead of joining to a many-valued relation and de-duplicating.

    Values are decoded with orjson, which is faster than the standard library's json; what orjson refuses
    and json accepts (NaN, Infinity, integers beyond 64 bits) never reaches such a column: orjson writes it."""

    text_in_lists = True

    def db_type(self, connection):
        if dialect.is_postgresql(connection):
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        if dialect.is_postgresql(connection):
            from psycopg.types.json import Json

            return Json(value, dumps=compact_json)  # typed json: goes into the column as this exact text
        return compact_json(value)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        # As Django's own: some backends (SQLite) give a key transform's non-string values as they are.
        if isinstance(expression, KeyTransform) and not isinstance(value, str):
            return value
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value  # as Django's: a value that is not JSON text is returned as it is


def read_json_as_text(sender, connection, **kwargs) -> None:
    """On a new PostgreSQL connection, read `json` columns as text, as Django reads `jsonb` (connected in
    core.apps): psycopg would otherwise decode them itself, with the standard library, before the field could."""
    if dialect.is_postgresql(connection):
        from psycopg.types.string import TextLoader

        connection.connection.adapters.register_loader("json", TextLoader)


def escape_array_items_quickly(sender, connection, **kwargs) -> None:
    """On a new PostgreSQL connection, dump Python lists (the arrays of Django's bulk inserts, one per column,
    `INSERT … SELECT * FROM UNNEST(…)`) with `QuickListDumper` (connected in core.apps)."""
    if dialect.is_postgresql(connection):
        connection.connection.adapters.register_dumper(list, QuickListDumper)


class QuickListDumper(ListDumper):
    """psycopg's text array dumper, escaping a quoted element's double quotes and backslashes with two
    `bytes.replace` calls instead of a regular expression whose replacement is expanded once per character
    escaped. The text is byte for byte the same (tests/core/test_quick_list_dumper.py); a bulk insert of
    workouts (JSON text full of quotes) spent most of its time in that expansion."""

    def _dump_list(self, obj, tokens, needs_quotes) -> None:
        if not obj:
            tokens.append(b"{}")
            return
        dump = self.sub_dumper.dump if self.sub_dumper else self._dump_item
        delimiter = self.delimiter
        tokens.append(b"{")
        for item in obj:
            if item is None:
                tokens.append(b"NULL")
            elif isinstance(item, list):
                self._dump_list(item, tokens, needs_quotes)
            elif (ad := dump(item)) is None:
                tokens.append(b"NULL")
            else:
                if needs_quotes(ad):
                    ad = b'"' + bytes(ad).replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
                tokens.append(ad)
            tokens.append(delimiter)
        tokens[-1] = b"}"
