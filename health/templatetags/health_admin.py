"""Template tags for the admin index: the newest health verdict of every environment."""

from datetime import timedelta

from django import template
from django.conf import settings
from django.utils import timezone

from health.selectors import newest_events

register = template.Library()


@register.simple_tag(takes_context=True)
def health_verdicts(context):
    """`{% health_verdicts as verdicts %}`: dicts with the event, `stale` and `current` (this deployment's
    environment), by environment; empty for a user who may not view health events."""
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
        for event in newest_events().order_by("environment")
    ]
