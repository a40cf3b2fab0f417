"""The admin's "Training load" page: each athlete the coach may see with today's ACWR, monotony, form and flags,
flagged rows first, sortable by any figure. Read-only; the figures are load-summary's typed figures
(training.load.queries.summaries), from one grouped query over the listed athletes' sessions. Registered by
training.admin."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.admin import ReadOnlyAdminMixin

from ..compliance import html as compliance_html
from . import queries
from .queries import LoadSummary

PER_PAGE = 100
# (query key, column heading, LoadSummary attribute); the first is the default order.
COLUMNS = [
    ("name", "Athlete", "display_name"),
    ("date", "Date", "date"),
    # ACWR is a ratio of two loads: the two loads stand beside it, so a change reads as what changed.
    ("acute", "Acute", "acute"),
    ("chronic", "Chronic", "chronic"),
    ("acwr", "ACWR", "acwr"),
    ("acwrEwma", "EWMA", "acwr_ewma"),
    ("load", "Load", "load"),
    ("weekLoad", "Week", "week_load"),
    ("monotony", "Monotony", "monotony"),
    ("strain", "Strain", "strain"),
    ("fitness", "Fitness", "fitness"),
    ("fatigue", "Fatigue", "fatigue"),
    ("form", "Form", "form"),
]
_ATTRIBUTE = {key: attribute for key, _, attribute in COLUMNS}
# The flags named as the load changes they are (ACWR describes a change of load; it does not predict injury).
FLAG_LABELS = {
    "acwr_high": "load rising fast (ACWR > 1.5)",
    "acwr_low": "load dropping (ACWR < 0.8)",
    "monotony_high": "same load every day (monotony > 2.0)",
}


class LoadListRow(NamedTuple):
    """A row of the page: the athlete's summary, the link to their page, the flags' labels, the figure cells."""

    summary: LoadSummary
    url: str
    flag_labels: list[str]
    cells: list[tuple[str, object]]
    week_compliance: object  # the chip of the ISO week's compliance (training.compliance.html)


def sort_rows(rows: list[LoadSummary], order: str) -> list[LoadSummary]:
    """Flagged rows first, then by `order` (a COLUMNS key, `-` for descending; empty values last), then name."""
    descending = order.startswith("-")
    attribute = _ATTRIBUTE.get(order.lstrip("-"), "display_name")
    rows = sorted(rows, key=lambda r: (r.display_name.casefold(), str(r.athlete_id)))
    present = [r for r in rows if getattr(r, attribute) is not None]
    missing = [r for r in rows if getattr(r, attribute) is None]

    def value(r):
        v = getattr(r, attribute)
        return v.casefold() if isinstance(v, str) else v

    present.sort(key=value, reverse=descending)
    ordered = present + missing
    return [r for r in ordered if r.flags] + [r for r in ordered if not r.flags]


def _cell(value):
    """A figure as the page prints it: dates in ISO form (the page's column is "Date", athlete-local)."""
    return value.isoformat() if isinstance(value, date) else value


class AthleteLoadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Not a changelist of rows in a table: the page is the summary, computed for every visible athlete."""

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.has_perm("athletes.view_athleteprofile")

    def get_urls(self):
        # Only the list: there is no change page for a summary row (the athlete's own page has the chart).
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        return [path("", self.admin_site.admin_view(self.changelist_view), name=name)]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        order = request.GET.get("o", "name")
        if order.lstrip("-") not in _ATTRIBUTE:
            order = "name"
        athletes = queries.load_athletes_visible_to(request.user).order_by("display_name", "id")
        rows = sort_rows(queries.summaries(athletes), order)
        page = Paginator(rows, PER_PAGE).get_page(request.GET.get("p"))
        page.object_list = [
            LoadListRow(
                summary=row,
                url=reverse("admin:athletes_athleteprofile_change", args=[row.athlete_id]),
                flag_labels=[FLAG_LABELS[f] for f in row.flags],
                cells=[(key, _cell(getattr(row, attribute))) for key, _, attribute in COLUMNS[1:]],
                week_compliance=compliance_html.chip(row.week_compliance),
            )
            for row in page.object_list
        ]
        headers = []
        for key, label, _ in COLUMNS:
            active = order.lstrip("-") == key
            next_order = ("" if order.startswith("-") else "-") + key if active else key
            headers.append(
                {
                    "key": key,
                    "label": label,
                    "url": f"?o={next_order}",
                    "sorted": active,
                    "descending": active and order.startswith("-"),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Training load",
            "subtitle": None,
            "headers": headers,
            "page": page,
            "order": order,
            "flagged": sum(1 for r in rows if r.flags),
            "total": len(rows),
            "compliance_legend": compliance_html.legend(),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/training/athleteload/load_list.html", context)
