"""/api/v1/exercises/: the exercise catalogue.

Every role that reads training data reads the whole catalogue (athletes included: it is not anyone's own data);
coaches and head coaches add and change exercises (`training.add_exercise`, `training.change_exercise`); nobody
deletes one through the API (405): an exercise is archived, so the sessions and sets that name it stay valid.
Operations and staff without a role get 403."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from core.api import ServiceModelSerializer
from core.lists.filters import FilterSet, updated_after_filter
from core.lists.page_statement import ListReads
from core.lists.pagination import KeysetOrPageNumberPagination
from core.permissions import RolePermission
from core.viewsets import CadenceViewSet

from . import services
from .models import Equipment, Exercise, ExerciseCategory

EQUIPMENT_CHOICES = ", ".join(Equipment.values)


class EquipmentField(serializers.ListField):
    """A list of equipment names (`barbell`, `dumbbell`, …), as the catalogue orders them, each once: duplicates
    collapse; an unknown name is a 400 that names it and lists the allowed ones."""

    child = serializers.CharField(max_length=32, trim_whitespace=False)

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        names = super().to_internal_value(data)
        unknown = sorted({name for name in names if name not in Equipment.values})
        if unknown:
            raise serializers.ValidationError(
                f"Unknown equipment: {', '.join(unknown)}. Use any of: {EQUIPMENT_CHOICES}.", code="invalid_choice"
            )
        return [value for value in Equipment.values if value in names]


class ExerciseSerializer(ServiceModelSerializer):
    """`name` is 1–80 characters after trimming and unique ignoring case (a 400 on `name`, also when a concurrent
    request took the name first: core.writes.save_checked)."""

    equipment = EquipmentField()

    class Meta:
        model = Exercise
        fields = ["id", "name", "category", "equipment", "unilateral", "instructions", "archived", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        # The name's uniqueness ignoring case is the model's constraint, judged by the service under its lock.
        validators: list = []


class StrictBooleanField(forms.Field):
    """`true` / `false` (also `1` / `0`), any case; anything else is a 400, not a filter silently dropped."""

    TRUE, FALSE = ("true", "1"), ("false", "0")

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise DjangoValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class ExerciseFilter(FilterSet):
    category = django_filters.ChoiceFilter(choices=ExerciseCategory.choices)
    # A form CharField (not DRF's SearchFilter) so NUL bytes and over-long values are a 400, not a DataError.
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", max_length=80, label="Search in name"
    )
    archived = StrictBooleanFilter(field_name="archived", label="true: archived exercises only; false: the others")
    updated_after = updated_after_filter()

    class Meta:
        model = Exercise
        fields = ["category", "search", "archived", "updated_after"]


class ExerciseViewSet(CadenceViewSet):
    """The exercise catalogue. Every role that reads training data reads all of it; coaches and head coaches
    create and change exercises. No DELETE (405): archive an exercise instead (`archived: true`), which keeps
    the sessions and sets that name it valid and hides it from new prescriptions."""

    queryset = Exercise.objects.none()
    serializer_class = ExerciseSerializer
    permission_classes = [RolePermission]
    # Athletes read (the whole catalogue: it is not scoped to anyone); every write of theirs is a 403, since
    # athlete_writable_fields is empty.
    athlete_access = True
    filterset_class = ExerciseFilter
    pagination_class = KeysetOrPageNumberPagination
    ordering_fields = ["name", "updated_at"]
    ordering = ["name", "id"]
    write_service = staticmethod(services.exercise_write)
    reread_after_write = False  # no derived columns
    list_reads = ListReads(derived_columns=None, page_in_one_statement=True)

    def scoped_queryset(self):
        return Exercise.objects.all()
