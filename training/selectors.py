"""Which training rows a user sees: the rows under the athletes `athletes.selectors` makes visible to them.

One function per resource, used by the API's viewsets and related fields, the admin's querysets,
autocompletes, filters and actions, and by any endpoint that reads these rows (load, clone, calendar feed).
Each takes an optional `queryset` to narrow (an annotated one: `with_metrics()`, the admin's own)."""

from __future__ import annotations

from django.db.models import QuerySet

from athletes.selectors import athlete_filter

from .models import MicroCycle, ProgramPhase, TrainingProgram, TrainingSession


def program_list(*, user, queryset: QuerySet[TrainingProgram] | None = None) -> QuerySet[TrainingProgram]:
    queryset = TrainingProgram.objects.all() if queryset is None else queryset
    return queryset.filter(athlete_filter(user=user, field="athlete_id"))


def phase_list(*, user, queryset: QuerySet[ProgramPhase] | None = None) -> QuerySet[ProgramPhase]:
    queryset = ProgramPhase.objects.all() if queryset is None else queryset
    return queryset.filter(athlete_filter(user=user, field="program__athlete_id"))


def micro_cycle_list(*, user, queryset: QuerySet[MicroCycle] | None = None) -> QuerySet[MicroCycle]:
    queryset = MicroCycle.objects.all() if queryset is None else queryset
    return queryset.filter(athlete_filter(user=user, field="program__athlete_id"))


def session_list(*, user, queryset: QuerySet[TrainingSession] | None = None) -> QuerySet[TrainingSession]:
    queryset = TrainingSession.objects.all() if queryset is None else queryset
    return queryset.filter(athlete_filter(user=user, field="athlete_id"))
