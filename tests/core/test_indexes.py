"""Every filter and ordering the API offers on a growing table is backed by an index whose first column it is
(its own, or a composite index that leads with it), and no index is one another index already covers."""

import pytest
from django.apps import apps
from django.db import connection, models

from athletes.views import AthleteProfileViewSet, SquadViewSet
from connections.api import DatabaseConnectionProfileViewSet
from health.api import ConnectionHealthEventViewSet
from training.activities.api import ActivityViewSet
from training.library.api import ProgramTemplateViewSet, SessionTemplateViewSet
from training.season.api import SeasonEventViewSet
from training.views import MicroCycleViewSet, ProgramPhaseViewSet, TrainingProgramViewSet, TrainingSessionViewSet
from training.workouts.exercise_api import ExerciseViewSet
from webhooks.api import WebhookEndpointViewSet
from wellness.api import WellnessViewSet

VIEWSETS = [
    AthleteProfileViewSet,
    SquadViewSet,
    TrainingProgramViewSet,
    ProgramPhaseViewSet,
    MicroCycleViewSet,
    TrainingSessionViewSet,
    ExerciseViewSet,
    ProgramTemplateViewSet,
    SessionTemplateViewSet,
    SeasonEventViewSet,
    WellnessViewSet,
    ActivityViewSet,
    ConnectionHealthEventViewSet,
    DatabaseConnectionProfileViewSet,
    WebhookEndpointViewSet,
]
# Substring search (icontains) cannot use a B-tree index; it runs on the already scoped, paginated queryset.
NOT_INDEXABLE = {"search"}


def leading_columns(model) -> set[str]:
    """The first column of every index the table has: Meta.indexes, unique constraints, indexed fields."""
    meta = model._meta
    columns = {meta.pk.column}
    for index in meta.indexes:
        columns.add(meta.get_field(index.fields[0].lstrip("-")).column)
    for constraint in meta.constraints:
        fields = getattr(constraint, "fields", ())
        if fields:
            columns.add(meta.get_field(fields[0]).column)
    for field in meta.concrete_fields:
        if field.db_index or field.unique:
            columns.add(field.column)
    return columns


def offered_columns(viewset) -> set[tuple[str, str]]:
    model = viewset.filterset_class._meta.model
    offered = set()
    for name, api_filter in viewset.filterset_class.base_filters.items():
        if name not in NOT_INDEXABLE:
            offered.add((name, model._meta.get_field(api_filter.field_name).column))
    for name in viewset.ordering_fields:
        offered.add((f"ordering={name}", model._meta.get_field(name).column))
    return offered


@pytest.mark.parametrize("viewset", VIEWSETS, ids=lambda v: v.__name__)
def test_every_filter_and_ordering_has_an_index(viewset):
    model = viewset.filterset_class._meta.model
    indexed = leading_columns(model)
    missing = sorted(name for name, column in offered_columns(viewset) if column not in indexed)
    assert not missing, f"{model.__name__}: no index leads with the column of {missing}"


@pytest.mark.parametrize("viewset", VIEWSETS, ids=lambda v: v.__name__)
def test_every_default_list_order_is_an_index_scan(viewset):
    """A list's default order, tie-breaker included (e.g. `start_date, id`), is the leading columns of one
    index, so a page at any depth is read in index order instead of sorting every row before its OFFSET."""
    model = viewset.filterset_class._meta.model
    meta = model._meta
    order = tuple(meta.get_field(name.lstrip("-")).column for name in viewset.ordering)
    serving = [name for name, columns, _ in indexes(model) if columns[: len(order)] == order]
    assert serving, f"{model.__name__}: no index starts with the default order {order}"


GROWING = [
    apps.get_model(label)
    for label in (
        "athletes.AthleteProfile",
        "athletes.Squad",
        "athletes.SquadAthlete",
        "athletes.SquadCoach",
        "training.TrainingProgram",
        "training.ProgramPhase",
        "training.MicroCycle",
        "training.TrainingSession",
        "training.Exercise",
        "training.ProgramTemplate",
        "training.SessionTemplate",
        "training.SeasonEvent",
        "wellness.WellnessEntry",
        "privacy.ErasureRecord",
        "training.Activity",
        "health.ConnectionHealthEvent",
        "webhooks.WebhookDelivery",
    )
]


def indexes(model) -> list[tuple[str, tuple[str, ...], bool]]:
    """(name, columns, enforces uniqueness) of every index on the table, partial ones left out (they do not
    cover all rows, so they cover no other index)."""
    meta = model._meta
    found = [("pk", (meta.pk.column,), True)]
    for index in meta.indexes:
        if index.condition is None and not index.expressions:
            found.append((index.name, tuple(meta.get_field(f.lstrip("-")).column for f in index.fields), False))
    for constraint in meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.condition is None and constraint.fields:
            found.append((constraint.name, tuple(meta.get_field(f).column for f in constraint.fields), True))
    for field in meta.concrete_fields:
        if (field.db_index or field.unique) and not field.primary_key:
            found.append((f"{field.name} (field)", (field.column,), field.unique))
    return found


@pytest.mark.parametrize("model", GROWING, ids=lambda m: m.__name__)
def test_no_index_is_covered_by_another(model):
    """An index whose columns lead another index is paid on every write and never needed (e.g. a foreign
    key's own index beside a composite that starts with it); one that enforces uniqueness is kept."""
    found = indexes(model)
    covered = sorted(
        f"{name} {columns} is covered by {other} {other_columns}"
        for name, columns, unique in found
        if not unique
        for other, other_columns, _ in found
        if other != name and len(other_columns) >= len(columns) and other_columns[: len(columns)] == columns
    )
    assert not covered, covered


@pytest.mark.parametrize("model", GROWING, ids=lambda m: m.__name__)
def test_every_foreign_key_leads_an_index(model):
    """Cascades and joins from the parent look children up by the key: each needs an index leading with it."""
    leading = {columns[0] for _, columns, _ in indexes(model)}
    unindexed = [f.name for f in model._meta.concrete_fields if f.is_relation and f.column not in leading]
    assert not unindexed, unindexed


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads the live indexes from PostgreSQL")
@pytest.mark.postgres
@pytest.mark.parametrize("model", GROWING, ids=lambda m: m.__name__)
def test_the_database_has_exactly_the_declared_indexes(model):
    """The migrations left no single-column index on a covered foreign key behind."""
    live = connection.introspection.get_constraints(connection.cursor(), model._meta.db_table)
    declared = {columns for _, columns, _ in indexes(model)}
    for name, info in live.items():
        if info["index"] and len(info["columns"]) == 1 and not info["unique"]:
            assert tuple(info["columns"]) in declared, f"{name} {info['columns']} is not declared"
    assert any(info["index"] for info in live.values())  # the introspection saw the table's indexes


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="reads the live constraints from PostgreSQL")
@pytest.mark.postgres
@pytest.mark.parametrize("model", GROWING, ids=lambda m: m.__name__)
def test_every_declared_index_and_constraint_exists_in_the_database(model):
    """Dropping an index must not take a constraint with it (a partial unique index on the same column is one)."""
    live = connection.introspection.get_constraints(connection.cursor(), model._meta.db_table)
    declared = [i.name for i in model._meta.indexes] + [c.name for c in model._meta.constraints]
    missing = [name for name in declared if name not in live]
    assert not missing, missing
