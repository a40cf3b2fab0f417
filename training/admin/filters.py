"""The session list's filters: the program it was opened from, the athlete (autocomplete), and the athlete's
local day (with the date bar above the list)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst

from core.admin import AutocompleteListFilter

from .. import selectors
from .local_times import local_day_span, on_days_from_today, on_local_days, session_local_day


class ProgramListFilter(admin.SimpleListFilter):
    """Shown only when the changelist is opened from a program ("Sessions" link): names the program."""

    title = "program"
    parameter_name = "program__id__exact"

    def lookups(self, request, model_admin):
        value = self.value()
        try:
            program_id = uuid.UUID(str(value)) if value else None
        except ValueError:
            return []
        if program_id is None:
            return []
        return [
            (str(pk), title)
            for pk, title in selectors.program_list(user=request.user).filter(pk=program_id).values_list("pk", "title")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            return queryset.filter(program_id=uuid.UUID(str(value)))
        except ValueError:
            return queryset.none()


def _month_last_day(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


class ScheduledDayFilter(admin.ListFilter):
    """Sessions by their day in their athlete's timezone: "Today" is each athlete's own today (a Tokyo athlete's
    07:00 session, 22:00 UTC the evening before, is today in Tokyo), and the date bar above the list
    (`scheduled_at__year`, `__month`, `__day`) drills down by the athletes' local days too.

    Django's own date filter and date hierarchy cut days at UTC midnight; this filter claims their query
    parameters, so the list has one meaning of "day", the athlete's, as the API and the load figures have."""

    title = "athlete's day"
    parameter_name = "scheduled"
    HIERARCHY = ("scheduled_at__year", "scheduled_at__month", "scheduled_at__day")
    # (value, label, the span of local days relative to the athlete's today)
    SPANS = [
        ("today", "Today", lambda today: (today, today)),
        ("tomorrow", "Tomorrow", lambda today: (today + timedelta(days=1), today + timedelta(days=1))),
        ("past7", "Past 7 days", lambda today: (today - timedelta(days=6), today)),
        ("next7", "Next 7 days", lambda today: (today, today + timedelta(days=6))),
        ("month", "This month", lambda today: (today.replace(day=1), _month_last_day(today))),
    ]

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        for name in self.expected_parameters():
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]
        self.now = timezone.now()
        self.span = self.used_parameters.get(self.parameter_name)
        self.drilled = self._drilled_days()

    def _drilled_days(self) -> tuple[date, date, tuple[int, ...]] | None:
        """(first day, last day, (year[, month[, day]])) chosen in the date bar, or None."""
        parts = [self.used_parameters.get(name) for name in self.HIERARCHY]
        given = []
        for part in parts:
            if part is None:
                break
            given.append(part)
        if not given:
            return None
        try:
            numbers = tuple(int(part) for part in given)
            first = date(numbers[0], numbers[1] if len(numbers) > 1 else 1, numbers[2] if len(numbers) > 2 else 1)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc
        if len(numbers) == 3:
            last = first
        elif len(numbers) == 2:
            last = _month_last_day(first) if first < date(9999, 12, 1) else date.max
        else:
            last = first.replace(month=12, day=31)
        return first, last, numbers

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.parameter_name, *self.HIERARCHY]

    def choices(self, changelist):
        yield {
            "selected": self.span is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Any day",
        }
        for value, label, _ in self.SPANS:
            yield {
                "selected": self.span == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.span is not None:
            spans = {value: span for value, _, span in self.SPANS}
            if self.span not in spans:
                raise IncorrectLookupParameters(f"Unknown day filter {self.span!r}.")
            queryset = queryset.filter(on_days_from_today(self.now, spans[self.span]))
        if self.drilled is not None:
            first, last, _ = self.drilled
            queryset = queryset.filter(on_local_days(first, last))
        return queryset

    def date_bar(self, changelist) -> dict:
        """The date bar's links (Django's date_hierarchy.html context), by the athletes' local days: the years
        of the list, the months of the chosen year, the days of the chosen month; like Django's, it opens at the
        year (or month) when every session in the list falls in it. A constant two or three queries.

        Years and months are listed from the first to the last that has sessions, an empty one in between
        included: listing exactly those with sessions means converting every row to its athlete's zone, a
        scan of the whole table on every page. The days of a month are exact, read within the
        month's instants."""
        rows = changelist.queryset.order_by()

        def link(*numbers):
            return changelist.get_query_string(dict(zip(self.HIERARCHY, numbers, strict=False)), ["scheduled_at__"])

        def months_bar(year: int, first: int, last: int) -> dict:
            return {
                "show": True,
                "back": {"link": link(), "title": "All dates"},
                "choices": [
                    {"link": link(year, m), "title": capfirst(date_format(date(year, m, 1), "YEAR_MONTH_FORMAT"))}
                    for m in range(first, last + 1)
                ],
            }

        numbers = self.drilled[2] if self.drilled else ()
        if len(numbers) < 2:
            span = local_day_span(rows)
            if span is None:
                return {"show": False} if not numbers else months_bar(numbers[0], 1, 0)
            first, last = span
            if not numbers and first.year != last.year:
                years = range(first.year, last.year + 1)
                return {"show": True, "back": None, "choices": [{"link": link(y), "title": str(y)} for y in years]}
            if numbers or first.month != last.month:
                return months_bar(first.year, first.month, last.month)
            numbers = (first.year, first.month)
            rows = rows.filter(on_local_days(first.replace(day=1), _month_last_day(first)))
        year, month = numbers[0], numbers[1]
        back = {"link": link(year), "title": str(year)}
        if len(numbers) == 3:
            title = capfirst(date_format(date(*numbers), "MONTH_DAY_FORMAT"))
            return {"show": True, "back": back, "choices": [{"title": title}]}
        days = sorted(set(rows.annotate(d=session_local_day()).values_list("d", flat=True).distinct()))
        return {
            "show": True,
            "back": back,
            "choices": [
                {"link": link(year, month, d.day), "title": capfirst(date_format(d, "MONTH_DAY_FORMAT"))} for d in days
            ],
        }


class AthleteAutocompleteFilter(AutocompleteListFilter):
    title = "athlete"
    parameter_name = "athlete__id__exact"
    field_path = "athlete"
