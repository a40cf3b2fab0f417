"""Issue and revoke an athlete's calendar feed URL."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from athletes.models import AthleteProfile
from training.services import athlete_lock

from .models import CalendarFeed

TOKEN_BYTES = 32  # 256 bits of randomness, 43 URL-safe characters


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_issue(*, athlete: AthleteProfile) -> str:
    """A new secret token for `athlete`'s feed; the previous one stops working. Only its hash is stored."""
    athlete_lock(athlete.pk)  # two issues at once: one row, the last one wins
    token = secrets.token_urlsafe(TOKEN_BYTES)
    CalendarFeed.objects.update_or_create(
        athlete=athlete, defaults={"token_hash": feed_token_hash(token), "created_at": timezone.now()}
    )
    return token


@transaction.atomic
def calendar_feed_revoke(*, athlete: AthleteProfile) -> None:
    """No URL of `athlete`'s feed works any more (idempotent)."""
    CalendarFeed.objects.filter(athlete=athlete).delete()
