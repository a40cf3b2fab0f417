"""Travel: when an athlete's timezone changes, every session keeps its local date and wall-clock time.

A session planned for 07:00 on 10 March in Europe/Oslo is at 07:00 on 10 March in Asia/Tokyo after the athlete
moves there: `scheduled_at` (an instant) moves with the zone, so the plan's rules, which are about local days,
hold exactly as before. `completed_at` is a real instant and stays.

A wall-clock time the new zone does not have or has twice is read like the rest of Cadence reads local times
(zoneinfo's fold=0, as program copies do): a time skipped by a spring-forward gap takes the offset before the
gap, so it lands later by the gap's length (02:30 becomes 03:30 the same day); a time shown twice by a
fall-back is its first occurrence. The one exception keeps the date: when the gap spans midnight (Toronto
on 30 March 1919, 23:30 to 00:30) fold=0 would carry 23:45 into the next day, so it is read with the offset
after the gap instead (22:45, the same day). A date the new zone skips entirely (Pacific/Apia, 30 December
2011) has no instant at all; its sessions land on the next day, by the same rule as a gap. A session whose
moved instant would fall outside years 1-9999 keeps its instant.

The sessions are reached through training's reverse relations (`athlete.sessions`, `athlete.programs`), so
athletes imports nothing of training.
"""

from __future__ import annotations

import itertools
import zoneinfo
from datetime import UTC, datetime, timedelta

from django.db import models
from django.db.models import Case, F, Value, When
from django.utils import timezone

from .validators import iana_timezones


def wall_clock_moved(instant: datetime, *, old_tz: zoneinfo.ZoneInfo, new_tz: zoneinfo.ZoneInfo) -> datetime:
    """The instant showing, in `new_tz`, the local date and wall-clock time `instant` shows in `old_tz` (the
    module's docstring says how a time the new zone skips or repeats is read)."""
    try:
        local = instant.astimezone(old_tz).replace(tzinfo=None)
        moved = local.replace(tzinfo=new_tz, fold=0).astimezone(UTC)
        if moved.astimezone(new_tz).date() != local.date():  # a gap across midnight: the other reading
            earlier = local.replace(tzinfo=new_tz, fold=1).astimezone(UTC)
            if earlier.astimezone(new_tz).date() == local.date():
                return earlier
        return moved
    except OverflowError:  # beyond datetime's range (years 1 and 9999) in one of the zones
        return instant


def _shifts(instants: list[datetime], *, old_tz, new_tz) -> list[tuple[datetime, datetime, timedelta]]:
    """(first, last, shift) for each run of consecutive `instants` (sorted) that move by the same non-zero
    amount. The shift changes only where one of the two zones changes its offset, so the number of runs is
    bounded by the zones' transitions within the sessions' span, not by the number of sessions."""
    moves = ((instant, wall_clock_moved(instant, old_tz=old_tz, new_tz=new_tz) - instant) for instant in instants)
    runs = []
    for shift, group in itertools.groupby(moves, key=lambda move: move[1]):
        members = [instant for instant, _ in group]
        if shift:
            runs.append((members[0], members[-1], shift))
    return runs


def athlete_timezone_follow(*, athlete, using: str, now: datetime | None = None) -> int:
    """Before `athlete` is saved with a new timezone, move its sessions so they keep their local dates and
    wall-clock times; return how many moved. Must run inside the transaction (on database `using`) that saves
    the athlete.

    Locks in the documented order: the athlete's row (FOR NO KEY UPDATE; the stored timezone is read under
    it, so two changes in a row each move the sessions from the zone the other left), then its programs in id
    order, as training's services do before they write a session. A session written concurrently therefore
    waits for this change and is judged in the new zone, or was committed before and is moved by it.

    Constant queries whatever the number of sessions: the lock, the programs' locks, the sessions' distinct
    instants, and one UPDATE (`scheduled_at + CASE <range> THEN <shift> … END`) that also bumps each moved
    session's `version` (ETags) and `updated_at` (`updatedAfter` sync). Portable SQL: Django's own datetime +
    duration arithmetic, on PostgreSQL and SQLite alike, with the shifts computed by Python's zoneinfo, the
    same zone data every placement rule is judged with."""
    model = type(athlete)
    stored = model._default_manager.using(using).select_for_update(no_key=True).filter(pk=athlete.pk)
    old = stored.values_list("timezone", flat=True).first()
    new = athlete.timezone
    if old is None or old == new or not {old, new} <= iana_timezones():
        return 0  # not stored yet, unchanged, or a zone full_clean reports (nothing to move it by)
    list(athlete.programs.using(using).select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
    sessions = athlete.sessions.using(using)
    instants = list(sessions.order_by("scheduled_at").values_list("scheduled_at", flat=True).distinct())
    runs = _shifts(instants, old_tz=zoneinfo.ZoneInfo(old), new_tz=zoneinfo.ZoneInfo(new))
    if not runs:
        return 0
    in_run = [models.Q(scheduled_at__gte=first, scheduled_at__lte=last) for first, last, _ in runs]
    shift = Case(
        *(When(condition, then=Value(delta)) for condition, (_, _, delta) in zip(in_run, runs, strict=True)),
        default=Value(timedelta(0)),
        output_field=models.DurationField(),
    )
    selected = in_run[0]
    for condition in in_run[1:]:
        selected |= condition
    return sessions.filter(selected).update(
        scheduled_at=F("scheduled_at") + shift,
        version=F("version") + 1,
        updated_at=now or timezone.now(),
    )
