"""`GET /metrics` as this deployment serves it (docs/operations.md, `/metrics`): health's database-check gauges
for every environment with a connection profile, and APP_ENVIRONMENT.

Composed here because connections sits above health: health.metrics reads and reports events, and knows no
profile; this module tells it which environments the profiles name.
"""

from django.db.models import QuerySet

from health import metrics as health_metrics

from .models import DatabaseConnectionProfile


def profile_environments(using: str) -> list[QuerySet]:
    """Every profile's environment, as a subquery of the one query that reads the newest events."""
    return [DatabaseConnectionProfile.objects.using(using).values("environment")]


def metrics_view(request):
    return health_metrics.metrics_view(request, environments=profile_environments)
