"""core.lists.filters.FilterSet: the form class is built once per FilterSet class, and every request is still
validated on its own (a bad value is a 400, a good one after it filters)."""

import django_filters
import pytest
from django.urls import get_resolver
from rest_framework.viewsets import GenericViewSet

from core.lists.filters import FilterSet
from training.filters import TrainingProgramFilter, TrainingSessionFilter


def _filtersets():
    """The FilterSet of every API viewset."""
    found = set()
    for pattern in get_resolver().url_patterns:
        stack = [pattern]
        while stack:
            entry = stack.pop()
            stack.extend(getattr(entry, "url_patterns", []))
            view = getattr(getattr(entry, "callback", None), "cls", None)
            if view is not None and issubclass(view, GenericViewSet) and getattr(view, "filterset_class", None):
                found.add(view.filterset_class)
    return found


def test_every_api_filterset_builds_its_form_class_once():
    filtersets = _filtersets()
    assert TrainingSessionFilter in filtersets and len(filtersets) >= 6
    for filterset_class in filtersets:
        assert issubclass(filterset_class, FilterSet), filterset_class
        first = filterset_class({}).get_form_class()
        assert filterset_class({"x": "1"}).get_form_class() is first
        assert set(first.base_fields) == set(filterset_class.base_filters)


def test_a_subclass_builds_its_own_form_class():
    class Narrower(TrainingProgramFilter):
        title = django_filters.CharFilter(max_length=5)

        class Meta(TrainingProgramFilter.Meta):
            fields = [*TrainingProgramFilter.Meta.fields, "title"]

    parent = TrainingProgramFilter({}).get_form_class()
    child = Narrower({}).get_form_class()
    assert child is not parent and "title" in child.base_fields and "title" not in parent.base_fields


@pytest.mark.django_db
def test_each_request_is_validated_on_its_own(coach_client):
    bad = coach_client.get("/api/v1/sessions/", {"status": "nonsense", "athleteId": "not-a-uuid"})
    assert bad.status_code == 400 and set(bad.json()) == {"status", "athleteId"}
    good = coach_client.get("/api/v1/sessions/", {"status": "planned"})
    assert good.status_code == 200
    again = coach_client.get("/api/v1/sessions/", {"modality": "nonsense"})
    assert again.status_code == 400 and set(again.json()) == {"modality"}
