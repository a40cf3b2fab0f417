"""Every filter and ordering the API offers on a growing table is backed by an index whose first column it is."""

import pytest

from athletes.views import AthleteProfileViewSet
from connections.api import DatabaseConnectionProfileViewSet
from health.api import ConnectionHealthEventViewSet
from training.views import MicroCycleViewSet, ProgramPhaseViewSet, TrainingProgramViewSet, TrainingSessionViewSet

VIEWSETS = [
    AthleteProfileViewSet,
    TrainingProgramViewSet,
    ProgramPhaseViewSet,
    MicroCycleViewSet,
    TrainingSessionViewSet,
    ConnectionHealthEventViewSet,
    DatabaseConnectionProfileViewSet,
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
