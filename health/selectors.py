"""Reading health events: who sees them (operations and superusers; nobody else, whatever their staff flag),
and the newest event of each environment, which the admin index, /health/db and /metrics all report."""

from collections.abc import Iterable

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery

from core import roles

from .models import ConnectionHealthEvent

# The newest event of an environment: the latest check, and of two checks at the same instant the later id
# (ids are UUIDv7, so in the order checkdb made them). The (environment, -checked_at) index serves it.
NEWEST_FIRST = ("-checked_at", "-id")


def health_event_list(
    *, user, queryset: QuerySet[ConnectionHealthEvent] | None = None
) -> QuerySet[ConnectionHealthEvent]:
    queryset = ConnectionHealthEvent.objects.all() if queryset is None else queryset
    if roles.has_permission(user, "health.view_connectionhealthevent"):
        return queryset
    return queryset.none()


def newest_events(
    environments: Iterable[str | QuerySet] | None = None, *, using: str | None = None
) -> QuerySet[ConnectionHealthEvent]:
    """The newest event (NEWEST_FIRST) of each environment, in one query that looks each environment up once
    in the (environment, -checked_at) index, however many events it has. An environment without an event has
    no row.

    `environments`: None for every environment that has an event (the admin index); otherwise environment
    names and querysets of `environment` values, e.g. `["production"]` (/health/db) or
    `[profiles.values("environment"), "production"]` (/metrics: every profile's, and APP_ENVIRONMENT's)."""
    events = ConnectionHealthEvent.objects.using(using)
    newest = events.filter(environment=OuterRef("environment")).order_by(*NEWEST_FIRST).values("pk")[:1]
    if environments is None:
        # The aggregate makes it GROUP BY environment: the subquery runs once per environment, not per event.
        environments = [events.order_by().values("environment").annotate(last_checked=Max("checked_at"))]
    wanted = Q(pk__in=[])
    for source in environments:
        if isinstance(source, str):
            wanted |= Q(pk__in=events.filter(environment=source).order_by(*NEWEST_FIRST).values("pk")[:1])
        else:
            wanted |= Q(pk__in=source.annotate(newest_id=Subquery(newest)).values("newest_id"))
    return events.filter(wanted)


def newest_event(environment: str, *, using: str | None = None) -> ConnectionHealthEvent | None:
    """The newest event of `environment` (the one /health/db judges), or None."""
    return newest_events([environment], using=using).first()
