"""Writes of season events, each one transaction (core.writes): an event has no rule across rows, so a write locks
its athlete(s) (the plan writers' lock order: a timezone change waits for it, and it for the change) and its row."""

from __future__ import annotations

from django.db import transaction

from athletes.models import AthleteProfile
from core.writes import apply_changes, full_clean_known, if_match_check, lock_parents_and_row, lock_rows, save_checked

from ..services import _read_locked
from .models import SeasonEvent


@transaction.atomic
def event_write(*, instance: SeasonEvent | None, changes: dict, if_match: str | None = None, actor=None) -> SeasonEvent:
    """The API's create or update of an event: its athlete(s) (stored and new, ids ascending), then the row locked
    and read fresh, If-Match compared (412), validated and saved."""
    athlete = changes.get("athlete")
    target = athlete.pk if athlete is not None else None
    if instance is None:
        athletes = lock_rows(AthleteProfile, {target})
        event = SeasonEvent()
    else:
        athletes, event = lock_parents_and_row(
            AthleteProfile, {target, instance.athlete_id}, _read_locked(SeasonEvent, instance.pk, "athlete_id")
        )
        if_match_check(if_match, event)
    if not apply_changes(event, changes) and instance is not None:
        return event
    known = []
    if event.athlete_id in athletes:
        event.athlete = athletes[event.athlete_id]
        known.append("athlete")
    full_clean_known(event, known=known)
    save_checked(event)
    return event
