"""Season events in the admin: a coach sees and edits the events of the athletes they see (the same selector as
the API), the athlete picked with the athletes' own scoped autocomplete."""

from __future__ import annotations

from django.contrib import admin

from core.admin import ScopedAdminMixin, ServiceSaveAdminMixin

from ..season import services
from ..season.selectors import event_list
from .filters import AthleteAutocompleteFilter


class SeasonEventAdmin(ScopedAdminMixin, ServiceSaveAdminMixin, admin.ModelAdmin):
    selector = staticmethod(event_list)
    list_display = ["name", "athlete", "date", "priority", "kind", "updated_at"]
    list_select_related = ["athlete"]
    list_filter = [AthleteAutocompleteFilter, "priority", "kind"]
    search_fields = ["name", "athlete__display_name"]
    ordering = ["date", "id"]
    autocomplete_fields = ["athlete"]
    fields = ["athlete", "date", "name", "priority", "kind", "notes", "updated_at"]
    readonly_fields = ["updated_at"]
    list_per_page = 50

    def save_model(self, request, obj, form, change):
        services.event_save(event=obj)
