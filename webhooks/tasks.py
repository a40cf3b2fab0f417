"""The background job: one attempt of one delivery (webhooks.services.delivery_attempt)."""

from django_tasks import task


@task()
def webhook_deliver(*, delivery_id: str, attempt: int = 0) -> str:
    """Attempt delivery `delivery_id` if it is still pending and has had exactly `attempt` attempts (a job left
    over from an earlier schedule finds it moved on and does nothing)."""
    from .services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id, attempt=attempt)
