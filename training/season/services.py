"""Writes of season events, each one transaction: an event has no rule across rows, so a write takes the steps of
any row under an athlete (training.services.athlete_row_write): its athlete(s) locked in the plan writers' order (a
timezone change waits for it, and it for the change), then the row."""

from __future__ import annotations

from django.db import transaction

from core.writes import full_clean_known, lock_row, save_checked

from ..services import athlete_row_write
from .models import SeasonEvent


@transaction.atomic
def event_write(*, instance: SeasonEvent | None, changes: dict, if_match: str | None = None, actor=None) -> SeasonEvent:
    """The API's create or update of an event: its athlete(s) (stored and new, ids ascending), then the row locked
    and read fresh, If-Match compared (412), validated and saved."""
    return athlete_row_write(SeasonEvent, instance=instance, changes=changes, if_match=if_match)


@transaction.atomic
def event_save(*, event: SeasonEvent) -> SeasonEvent:
    """Create or update an event as the admin's form built it: the row locked (an update), validated against its
    athlete and saved."""
    if not event._state.adding:
        lock_row(SeasonEvent, event.pk)  # serializes with the API's writers of the row
    full_clean_known(event, known={"athlete"})
    save_checked(event)
    return event
