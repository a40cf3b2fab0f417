"""core.fields.QuickListDumper dumps a list exactly as psycopg's own text array dumper does (only faster), and
the rows a bulk insert writes through it read back as they were written."""

from __future__ import annotations

import pytest
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.array import ListDumper

from core.fields import QuickListDumper
from tests.support.utils import postgres_only

AWKWARD = [
    'say "hi"',
    "back\\slash",
    '\\"both\\"',
    "",
    " ",
    "NULL",
    "null",
    "a,b",
    "{braces}",
    "tab\there",
    "new\nline",
    "é ✓ 🏃",
    '{"steps": [{"kind": "work", "notes": "5 × \\"hard\\" \\\\ easy"}]}',
]


def _dump(dumper_class, obj):
    dumper = dumper_class(list, Transformer()).upgrade(obj, PyFormat.TEXT)
    assert isinstance(dumper, dumper_class)
    return bytes(dumper.dump(obj))


@pytest.mark.parametrize(
    "obj",
    [
        AWKWARD,
        [None, *AWKWARD, None],
        [['a"b', None], ["c\\d", "e"]],
        [],
        [1, 2, None, 3],
        [1.5, -0.0],
        [True, False, None],
    ],
    ids=["strings", "with nulls", "nested", "empty", "integers", "floats", "booleans"],
)
def test_the_text_is_psycopgs_own(obj):
    assert _dump(QuickListDumper, obj) == _dump(ListDumper, obj)


@postgres_only
@pytest.mark.django_db
def test_a_bulk_insert_through_it_reads_back_what_was_written():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from training.workouts.models import Exercise

    connection.ensure_connection()
    assert connection.connection.adapters.get_dumper(list, PyFormat.TEXT) is QuickListDumper
    names = [f"{text} {i}" for i, text in enumerate(AWKWARD) if text.strip()]
    rows = [Exercise(name=name, category="other", instructions=name) for name in names]
    with CaptureQueriesContext(connection) as ctx:
        Exercise.objects.bulk_create(rows)
    assert "UNNEST" in ctx.captured_queries[-1]["sql"]  # each column one array: the dumper's work
    stored = dict(Exercise.objects.filter(pk__in=[r.pk for r in rows]).values_list("name", "instructions"))
    assert stored == {name: name for name in names}
