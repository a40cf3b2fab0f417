import django_filters
from django_filters.constants import EMPTY_VALUES
from rest_framework.exceptions import NotFound

from core.lists.filters import FilterSet, updated_after_filter

from .models import AthleteProfile, PrimaryGoal, Squad
from .selectors import squad_members


class SquadFilter(django_filters.UUIDFilter):
    """`?squadId=`: only the rows of the squad's athletes (`field_name` names the row's athlete: "pk" on athletes,
    "athlete_id" below them). A squad the caller may not see (or none) is a 404, never an empty list: a filter that
    answered "no rows" would not say that the squad is not theirs. One query more (whether the squad is visible);
    its members are a subquery of the list's own query."""

    def __init__(self, *, field_name: str = "athlete_id", **kwargs):
        kwargs.setdefault("label", "Only the athletes of this squad (a squad you may not see is a 404).")
        super().__init__(field_name=field_name, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return of_squad(qs, user=self.parent.request.user, squad_id=value, field_name=self.field_name)


def of_squad(queryset, *, user, squad_id, field_name: str = "athlete_id"):
    """`queryset` narrowed to the rows whose `field_name` names an athlete of squad `squad_id`; NotFound (404)
    when `user` may not see the squad. `?squadId=` of every list that offers it."""
    try:
        members = squad_members(user=user, squad_id=squad_id)
    except Squad.DoesNotExist:
        raise NotFound("No squad with this id that you may see.") from None
    return queryset.filter(**{f"{field_name}__in": members})


class AthleteProfileFilter(FilterSet):
    primary_goal = django_filters.ChoiceFilter(choices=PrimaryGoal.choices)
    # A form CharField (not DRF's SearchFilter) so NUL bytes and over-long values are a 400, not a DataError.
    search = django_filters.CharFilter(
        field_name="display_name", lookup_expr="icontains", max_length=80, label="Search in displayName"
    )
    squad_id = SquadFilter(field_name="id")
    updated_after = updated_after_filter()

    class Meta:
        model = AthleteProfile
        fields = ["primary_goal", "search", "squad_id", "updated_after"]


class SquadFilterSet(FilterSet):
    # A form CharField (not DRF's SearchFilter) so NUL bytes and over-long values are a 400, not a DataError.
    search = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", max_length=80, label="Search in name"
    )
    updated_after = updated_after_filter()

    class Meta:
        model = Squad
        fields = ["search", "updated_after"]
