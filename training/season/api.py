"""/api/v1/events/: an athlete's season events. Visible and written like the athlete's programs: coaches for the
athletes they see, athletes read their own (and write nothing); someone else's event is a 404."""

from __future__ import annotations

import django_filters

from athletes.filters import SquadFilter
from athletes.models import AthleteProfile
from athletes.selectors import athlete_list
from core.api import ServiceModelSerializer, UUIDRelatedField
from core.lists.filters import FilterSet, updated_after_filter
from core.lists.page_statement import ListReads
from core.lists.pagination import KeysetOrPageNumberPagination
from core.permissions import RolePermission
from core.viewsets import CadenceViewSet

from . import services
from .models import EventPriority, SeasonEvent
from .selectors import event_list


class SeasonEventSerializer(ServiceModelSerializer):
    athlete_id = UUIDRelatedField(source="athlete", queryset=AthleteProfile.objects.all(), selector=athlete_list)

    class Meta:
        model = SeasonEvent
        fields = ["id", "athlete_id", "date", "name", "priority", "kind", "notes", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {"notes": {"max_length": 10_000}}
        validators: list = []


class SeasonEventFilter(FilterSet):
    athlete_id = django_filters.UUIDFilter(field_name="athlete_id")
    squad_id = SquadFilter()
    priority = django_filters.ChoiceFilter(choices=EventPriority.choices)
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label="On or after this date")
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label="On or before this date")
    updated_after = updated_after_filter()

    class Meta:
        model = SeasonEvent
        fields = ["athlete_id", "squad_id", "priority", "date_after", "date_before", "updated_after"]


class SeasonEventViewSet(CadenceViewSet):
    """Season events (races, tests, camps with an A/B/C priority). No DELETE (405): the admin deletes."""

    queryset = SeasonEvent.objects.none()
    serializer_class = SeasonEventSerializer
    permission_classes = [RolePermission]
    athlete_access = True  # athletes read their own; every write of theirs is a 403
    filterset_class = SeasonEventFilter
    pagination_class = KeysetOrPageNumberPagination
    ordering_fields = ["date", "updated_at"]
    ordering = ["date", "id"]
    write_service = staticmethod(services.event_write)
    reread_after_write = False  # no derived columns
    list_reads = ListReads(derived_columns=None, page_in_one_statement=True)

    def scoped_queryset(self):
        return event_list(user=self.request.user)
