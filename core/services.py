"""Writes of the core app: housekeeping of API tokens."""

from __future__ import annotations

from django.utils import timezone
from knox.models import AuthToken


def tokens_prune_expired(*, user=None) -> int:
    """Delete expired API tokens (of `user` only, when given); returns how many were deleted."""
    expired = AuthToken.objects.filter(expiry__lt=timezone.now())
    if user is not None:
        expired = expired.filter(user=user)
    deleted, _ = expired.delete()
    return deleted
