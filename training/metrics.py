"""Derived program and micro-cycle metrics, computed by the database for a whole queryset at once.

`TrainingProgram.objects.with_metrics()` adds, in the one query that loads the programs (correlated
subqueries, no joins that multiply rows), every derived value (docs/api.md, Metric formulas):

- `totalWeeks`      ceil((endDate - startDate + 1 day) / 7)                      (from the row itself)
- `completedWeeks`  floor((today - startDate) / 7) clamped to [0, totalWeeks];
                    totalWeeks once today is past endDate or the program is completed
- `adherenceRate`   completed / due, due = completed + skipped + planned-and-scheduled-before-now;
                    4 decimals, None when nothing is due
- `currentPhaseId`  the phase with status current, else the phase whose dates contain today
                    (lowest phaseOrder first), else None
- `nextSessionId`   the earliest planned session with scheduledAt >= now (ties by id), else None

"today" is the calendar date of "now" in the athlete's timezone, computed per row by the database with the one
athlete-local date expression (training.local_time.LocalDate), as the load figures and the admin compute it.

Lists compute these for the rows of the page only: core.lists.pagination.PageFirst selects the page's ids first.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from django.apps import apps
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .local_time import local_today


def _count_subquery(queryset: models.QuerySet, group_field: str, *, only: Q | None = None) -> Coalesce:
    """COUNT(*) of `queryset` per outer row, as a scalar subquery (0 when there are none).

    `only` is counted as an aggregate FILTER rather than a WHERE: the subquery's WHERE stays the bare
    parent key, so the planner always walks the parent's index (a few rows) instead of being tempted,
    e.g. by stale statistics after a bulk load, to intersect it with a low-selectivity status index."""
    # COUNT(*), not COUNT(id), where Django allows it (not with FILTER): an index holding the subquery's columns
    # then answers it alone (an index-only scan), without visiting the sessions' rows.
    count = Count("*") if only is None else Count("pk", filter=only)
    counted = queryset.order_by().values(group_field).annotate(n=count).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), Value(0))


def _sum_subquery(queryset: models.QuerySet, group_field: str, field: str, *, only: Q | None = None) -> Subquery:
    """SUM(`field`) of `queryset` per outer row (`only` as an aggregate FILTER), as a scalar subquery; NULL when
    there is nothing to add up."""
    summed = queryset.order_by().values(group_field).annotate(n=Sum(field, filter=only)).values("n")
    return Subquery(summed, output_field=models.DecimalField(max_digits=12, decimal_places=2))


def completed_weeks(*, start: date, end: date, status: str, today: date) -> int:
    total = math.ceil(((end - start).days + 1) / 7)
    if status == "completed" or today > end:
        return total
    return max(0, min(total, (today - start).days // 7))


def adherence_rate(*, completed: int, due: int) -> float | None:
    if not due:
        return None
    return round(completed / due, 4)


class ProgramQuerySet(models.QuerySet):
    def with_metrics(self, now: datetime | None = None) -> ProgramQuerySet:
        """Annotate each program with the inputs of its derived metrics; constant queries for any size."""
        now = now or timezone.now()
        session_model = apps.get_model("training", "TrainingSession")
        phase_model = apps.get_model("training", "ProgramPhase")
        sessions = session_model.objects.filter(program=OuterRef("pk"))
        phases = phase_model.objects.filter(program=OuterRef("pk"))
        due = Q(status__in=["completed", "skipped"]) | Q(status="planned", scheduled_at__lt=now)
        return self.select_related("athlete").annotate(
            local_today=local_today(now, "athlete__timezone"),
            sessions_completed_count=_count_subquery(sessions.filter(status="completed"), "program"),
            sessions_due_count=_count_subquery(sessions.filter(due), "program"),
            current_phase_id=Coalesce(
                Subquery(phases.filter(status="current").order_by().values("pk")[:1]),
                Subquery(
                    phases.filter(start_date__lte=OuterRef("local_today"), end_date__gte=OuterRef("local_today"))
                    .order_by("phase_order", "pk")
                    .values("pk")[:1]
                ),
                output_field=models.UUIDField(),
            ),
            next_session_id=Subquery(
                sessions.filter(status="planned", scheduled_at__gte=now)
                .order_by("scheduled_at", "pk")
                .values("pk")[:1],
                output_field=models.UUIDField(),
            ),
        )


class ProgramMetricsMixin:
    """Read the annotations of `ProgramQuerySet.with_metrics()` as the API's derived values.

    `total_weeks` needs only the row; the others need an annotated instance. `refreshed_with_metrics()`
    loads one for a single program (e.g. right after a write)."""

    @property
    def completed_weeks(self) -> int:
        return completed_weeks(start=self.start_date, end=self.end_date, status=self.status, today=self.local_today)

    @property
    def adherence_rate(self) -> float | None:
        return adherence_rate(completed=self.sessions_completed_count, due=self.sessions_due_count)

    def refreshed_with_metrics(self, now: datetime | None = None):
        return type(self).objects.with_metrics(now).get(pk=self.pk)


class MicroCycleQuerySet(models.QuerySet):
    def with_session_counts(self) -> MicroCycleQuerySet:
        """`sessions_planned` (all the cycle's sessions) and `sessions_completed`, and the loads compliance reads:
        `planned_load_sum` (every session's planned load) and `load_done_sum` (the completed sessions' load); one
        query for any size."""
        session_model = apps.get_model("training", "TrainingSession")
        sessions = session_model.objects.filter(micro_cycle=OuterRef("pk"))
        return self.annotate(
            sessions_planned=_count_subquery(sessions, "micro_cycle"),
            sessions_completed=_count_subquery(sessions, "micro_cycle", only=Q(status="completed")),
            planned_load_sum=_sum_subquery(sessions, "micro_cycle", "planned_load"),
            load_done_sum=_sum_subquery(sessions, "micro_cycle", "load", only=Q(status="completed")),
        )
