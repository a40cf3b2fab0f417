"""The one write of wellness: the athlete's PUT of the entry of one of their local dates, in one transaction.

Lock order as every write under an athlete (training.services): the athlete row first (FOR NO KEY UPDATE, so
two PUTs of the same new date queue and the second replaces the first's row instead of failing on the unique
constraint, and a timezone change cannot slip between the "not after today" check and the write), then the
entry row."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from athletes.models import AthleteProfile
from core.api import PreconditionFailed
from core.writes import full_clean_known, if_match_check, lock_row, save_checked

from .models import WellnessEntry

# The fields a PUT replaces; those left out of the body take these values (a PUT replaces the whole entry).
DEFAULTS = {"sleep_hours": None, "resting_heart_rate": None, "hrv_rmssd": None, "illness": False, "notes": ""}


def athlete_today(athlete: AthleteProfile, now=None) -> date:
    return (now or timezone.now()).astimezone(athlete.tzinfo).date()


@transaction.atomic
def wellness_put(
    *, athlete: AthleteProfile, day: date, changes: dict, if_match: str | None = None, now=None
) -> tuple[WellnessEntry, bool]:
    """Create or replace `athlete`'s entry for `day` with `changes` (model field names); (the entry, created).

    A date after the athlete's today (in their timezone, read under the lock) is a ValidationError on `date`;
    If-Match must name the stored entry's version (412), and with no entry stored any If-Match but absent is a
    412 (there is no version to match)."""
    athlete = lock_row(AthleteProfile, athlete.pk)
    today = athlete_today(athlete, now)
    if day > today:
        raise ValidationError(
            {"date": [f"Must not be after the athlete's today ({today.isoformat()}, {athlete.timezone})."]}
        )
    entry = WellnessEntry.objects.select_for_update(no_key=True).filter(athlete=athlete, date=day).first()
    created = entry is None
    if created:
        if if_match is not None:
            raise PreconditionFailed()
        entry = WellnessEntry(athlete=athlete, date=day)
    else:
        if_match_check(if_match, entry)
    values = {**DEFAULTS, **changes}
    if not created and all(getattr(entry, name) == value for name, value in values.items()):
        return entry, False  # nothing changes: the version (ETag) and updatedAt stay
    for name, value in values.items():
        setattr(entry, name, value)
    entry.athlete = athlete
    full_clean_known(entry, known={"athlete"})
    save_checked(entry)
    return entry, created
