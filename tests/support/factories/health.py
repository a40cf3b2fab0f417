import factory
from django.utils import timezone

from health.models import CheckStatus, ConnectionHealthEvent


class ConnectionHealthEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConnectionHealthEvent

    checked_at = factory.LazyFunction(timezone.now)
    environment = "development"
    status = CheckStatus.PASS
    latency_ms = 1.5
    error_code = None
    message = None
