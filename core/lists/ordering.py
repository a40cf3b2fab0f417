"""The list's ordering: `?ordering=` with the API's camelCase field names, and a stable order for pagination."""

from __future__ import annotations

import re

from djangorestframework_camel_case.util import camel_to_underscore, camelize_re, underscore_to_camel
from rest_framework import filters


class CamelCaseOrderingFilter(filters.OrderingFilter):
    """`?ordering=-startDate,updatedAt`: the camelCase middleware renames parameters, not values."""

    def get_ordering(self, request, queryset, view):
        params = request.query_params.get(self.ordering_param)
        if params:
            fields = [term.strip() for term in params.split(",")]
            fields = [("-" if f.startswith("-") else "") + camel_to_underscore(f.lstrip("-")) for f in fields if f]
            ordering = self.remove_invalid_fields(queryset, fields, view, request)
            if ordering:
                return [*ordering, "id"]  # a stable order for pagination when the chosen field ties
        return self.get_default_ordering(view)

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        valid = [name for name, _ in self.get_valid_fields(view.get_queryset(), view, context={})]
        camel = [re.sub(camelize_re, underscore_to_camel, name) for name in valid]
        for param in params:
            param["description"] = "Order by one or more of: " + ", ".join(camel) + " (prefix '-' for descending)."
        return params
