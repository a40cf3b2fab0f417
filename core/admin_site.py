"""The Cadence admin site: its branding, and autocompletes that label rows by what identifies them and can be
narrowed by what the form has already chosen.

Installed in place of `django.contrib.admin` (INSTALLED_APPS names `CadenceAdminConfig`), so `admin.site` and
`@admin.register` everywhere use this site.
"""

from __future__ import annotations

import uuid

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView

# Query parameters the admin's autocomplete requests carry for values already chosen on the form
# (added by core/static/cadence/admin.js): `forward_program`, `forward_phase`.
FORWARD_PREFIX = "forward_"


def forwarded_id(request, name: str) -> uuid.UUID | None:
    """The id the form forwarded for `name` (e.g. "program"), or None when absent or not a UUID."""
    value = request.GET.get(FORWARD_PREFIX + name, "")
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


class CadenceAutocompleteJsonView(AutocompleteJsonView):
    """Django's autocomplete, plus two hooks on the searched model's admin:

    - `autocomplete_label(obj)`: the text shown for a row (instead of `str(obj)`, which other code relies on);
    - `autocomplete_narrow(request, queryset)`: restrict the rows to the values the form forwarded."""

    def get_queryset(self):
        queryset = super().get_queryset()
        narrow = getattr(self.model_admin, "autocomplete_narrow", None)
        return narrow(self.request, queryset) if narrow else queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(self.model_admin, "autocomplete_label", None)
        if label is not None:
            result["text"] = label(obj)
        return result


class CadenceAdminSite(AdminSite):
    site_header = "Cadence"
    site_title = "Cadence admin"
    index_title = "Cadence administration"
    # "View site" leads to the API documentation (there is no public site to view).
    site_url = "/api/docs/"
    # The app list beside every page takes ~300 px that the lists need at 1366 px; the index and the
    # breadcrumbs lead everywhere it did.
    enable_nav_sidebar = False

    def autocomplete_view(self, request):
        return CadenceAutocompleteJsonView.as_view(admin_site=self)(request)


class CadenceAdminConfig(AdminConfig):
    default_site = "core.admin_site.CadenceAdminSite"
