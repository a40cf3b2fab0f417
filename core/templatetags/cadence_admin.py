"""Template tags for the admin index: the newest health verdict of every environment."""

from datetime import timedelta

from django import template
from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from health.models import ConnectionHealthEvent

register = template.Library()


def latest_health_events():
    """The newest event of each environment, in one query (one index probe per environment, not per event)."""
    newest = ConnectionHealthEvent.objects.filter(environment=OuterRef("environment")).order_by("-checked_at", "-id")
    latest_ids = (
        ConnectionHealthEvent.objects.order_by()
        .values("environment")
        .distinct()
        .annotate(latest_id=Subquery(newest.values("pk")[:1]))
        .values("latest_id")
    )
    return ConnectionHealthEvent.objects.filter(pk__in=latest_ids).order_by("environment")


@register.simple_tag(takes_context=True)
def health_verdicts(context):
    """`{% health_verdicts as verdicts %}`: dicts with the event, `stale` and `current` (this deployment's
    environment); empty for a user who may not view health events."""
    request = context.get("request")
    if request is None or not request.user.has_perm("health.view_connectionhealthevent"):
        return []
    max_age = timedelta(seconds=settings.HEALTH_MAX_AGE_SECONDS)
    now = timezone.now()
    return [
        {
            "event": event,
            "stale": now - event.checked_at > max_age,
            "current": event.environment == settings.APP_ENVIRONMENT,
        }
        for event in latest_health_events()
    ]
