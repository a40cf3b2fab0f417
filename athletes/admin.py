"""Athletes in the admin: the IANA timezone picked from a list, the current program on the changelist."""

from django import forms
from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html

from core.admin import DatalistTextInput

from .models import AthleteProfile
from .validators import iana_timezones


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(iana_timezones())]


class AthleteProfileAdminForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=timezone_choices,
        initial="UTC",
        widget=DatalistTextInput(sorted(iana_timezones()), attrs={"autocomplete": "off", "size": 32}),
        help_text="An IANA timezone name, e.g. Europe/Oslo; type to pick from the list. "
        "Session dates are checked against programs in this timezone.",
        error_messages={"invalid_choice": "“%(value)s” is not a valid IANA timezone name (e.g. Europe/Oslo, UTC)."},
    )

    class Meta:
        model = AthleteProfile
        fields = ["user", "display_name", "timezone", "primary_goal", "coach_notes"]


@admin.register(AthleteProfile)
class AthleteProfileAdmin(admin.ModelAdmin):
    form = AthleteProfileAdminForm
    list_display = ["display_name", "user", "primary_goal", "timezone", "current_program", "updated_at"]
    list_select_related = ["user"]
    list_filter = ["primary_goal", "timezone"]
    search_fields = ["display_name", "user__username", "user__email"]
    ordering = ["display_name", "id"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at", "updated_at"]
    list_per_page = 50

    def get_queryset(self, request):
        # The program model is reached through the reverse relation: athletes never imports training.
        program_model = AthleteProfile._meta.get_field("programs").related_model
        current = program_model.objects.filter(athlete=OuterRef("pk"), status="current").order_by()
        return (
            super()
            .get_queryset(request)
            .annotate(
                current_program_id=Subquery(current.values("pk")[:1]),
                current_program_title=Subquery(current.values("title")[:1]),
            )
        )

    @admin.display(description="Current program", ordering="current_program_title")
    def current_program(self, obj):
        if not getattr(obj, "current_program_id", None):
            return "—"
        url = reverse("admin:training_trainingprogram_change", args=[obj.current_program_id])
        return format_html('<a href="{}">{}</a>', url, obj.current_program_title)
