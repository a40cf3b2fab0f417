"""Where a micro-cycle's week and a session's day fall, and which children a parent's change would strand.

Pure functions on dates and value rows (no model imports), shared by the models' `clean()` rules and the
migration that reports rows breaking them. A session's day is the calendar date of `scheduled_at` in the
athlete's timezone; a micro-cycle's week is `startDate + 7·(weekIndex − 1)` to `+ 6` of its program, the last
week ending at the program's `endDate`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

# How many children a refusal names before it says "and N more".
NAMED_CHILDREN = 5


def cycle_week(program_start: date, program_end: date, week_index: int) -> tuple[date, date]:
    """The first and last day of week `week_index` (from 1) of a program; the last week ends at its end."""
    first = program_start + timedelta(days=7 * (week_index - 1))
    return first, min(first + timedelta(days=6), program_end)


def local_day(moment: datetime, tz: tzinfo) -> date | None:
    """The calendar date of `moment` in `tz`; None at the calendar's edge (no plan date can hold it)."""
    try:
        return moment.astimezone(tz).date()
    except OverflowError:
        return None


def overlaps(first: date, last: date, other_first: date, other_last: date) -> bool:
    return first <= other_last and last >= other_first


def name_children(kind: str, labels: list[str]) -> str:
    """“3 sessions are in the way: “A” (2030-01-02), … and 1 more.” — at most NAMED_CHILDREN named."""
    count = len(labels)
    shown = ", ".join(labels[:NAMED_CHILDREN])
    more = f" and {count - NAMED_CHILDREN} more" if count > NAMED_CHILDREN else ""
    noun = kind if count == 1 else f"{kind}s"
    return f"{count} {noun} would no longer fit: {shown}{more}."


@dataclass(frozen=True)
class SessionPlace:
    """What decides whether a session fits: its instant and the dates of the parents it names."""

    label: str
    scheduled_at: datetime
    program_dates: tuple[date, date]
    phase_dates: tuple[date, date] | None
    week_index: int | None


def session_places(sessions, *, program_dates=None, phase_dates=None, week_index=None) -> list[SessionPlace]:
    """A training-session queryset as SessionPlaces (one query), ordered by time; the keyword arguments
    replace the program's dates, the phase's dates or the cycle's week index with the values a pending
    change would give them. Takes the queryset from the caller, so this module imports no models."""
    rows = sessions.order_by("scheduled_at", "id").values_list(
        "title",
        "scheduled_at",
        "program__start_date",
        "program__end_date",
        "phase__start_date",
        "phase__end_date",
        "micro_cycle__week_index",
    )
    places = []
    for title, scheduled_at, program_start, program_end, phase_start, phase_end, week in rows:
        phase = phase_dates or ((phase_start, phase_end) if phase_start is not None else None)
        program = program_dates or (program_start, program_end)
        places.append(SessionPlace(title, scheduled_at, program, phase, week_index or week))
    return places


def session_misfits(places: Iterable[SessionPlace], *, tz: tzinfo) -> list[str]:
    """Labels of the sessions whose local day is outside their program, their phase or their cycle's week."""
    misfits = []
    for place in places:
        day = local_day(place.scheduled_at, tz)
        program_start, program_end = place.program_dates
        fits = day is not None and program_start <= day <= program_end
        if fits and place.phase_dates is not None:
            fits = place.phase_dates[0] <= day <= place.phase_dates[1]
        if fits and place.week_index is not None:
            first, last = cycle_week(program_start, program_end, place.week_index)
            fits = first <= day <= last
        if not fits:
            misfits.append(f"“{place.label}” ({day or 'beyond the calendar'})")
    return misfits
