import django_filters

from core.lists.filters import FilterSet, updated_after_filter

from .models import AthleteProfile, PrimaryGoal


class AthleteProfileFilter(FilterSet):
    primary_goal = django_filters.ChoiceFilter(choices=PrimaryGoal.choices)
    # A form CharField (not DRF's SearchFilter) so NUL bytes and over-long values are a 400, not a DataError.
    search = django_filters.CharFilter(
        field_name="display_name", lookup_expr="icontains", max_length=80, label="Search in displayName"
    )
    updated_after = updated_after_filter()

    class Meta:
        model = AthleteProfile
        fields = ["primary_goal", "search", "updated_after"]
