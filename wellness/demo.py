"""Demo wellness entries (seed_demo): a daily check-in for most of an athlete's past days, around a personal
baseline (rMSSD, resting heart rate, sleep) with day-to-day noise and lower scores after hard days; a few
athletes (`FLAGGED_EVERY`) have a bad today (short sleep, a suppressed HRV, a raised resting heart rate, and
some of them ill), so the readiness board shows flags at once."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from .models import WellnessEntry

FLAGGED_EVERY = 7  # athletes 3, 10, 17 ... have a bad today
MISSED_DAYS = 0.08  # the share of days without a check-in
NOTES = [
    "",
    "",
    "",
    "",
    "Legs heavy after intervals.",
    "Slept badly, noisy hotel.",
    "Felt great today.",
    "Busy week at work.",
]


def _item(rng: random.Random, centre: float) -> int:
    return max(1, min(5, round(rng.gauss(centre, 0.7))))


def athlete_wellness(athlete, rng: random.Random, *, today: date, days: int, index: int) -> list[WellnessEntry]:
    """Entries for `athlete` over the `days` days up to `today` (their local today), unsaved."""
    hrv_base = rng.uniform(40, 90)
    rhr_base = rng.randint(44, 64)
    sleep_base = rng.uniform(6.75, 8.25)
    flagged = index % FLAGGED_EVERY == 3
    entries = []
    for back in range(days - 1, -1, -1):
        day = today - timedelta(days=back)
        if back and rng.random() < MISSED_DAYS:
            continue
        tired = 0.6 if day.weekday() in (1, 5) else 0.0  # the day after a hard session
        if back == 0 and flagged:
            entry = WellnessEntry(
                athlete=athlete,
                date=day,
                sleep_quality=1,
                fatigue=2,
                soreness=2,
                stress=2,
                mood=2,
                sleep_hours=5.0,
                resting_heart_rate=rhr_base + 9,
                hrv_rmssd=round(hrv_base * 0.6, 1),
                illness=index % (2 * FLAGGED_EVERY) == 3,
                notes="Sore throat, skipping intervals." if index % (2 * FLAGGED_EVERY) == 3 else "",
            )
        else:
            entry = WellnessEntry(
                athlete=athlete,
                date=day,
                sleep_quality=_item(rng, 3.8),
                fatigue=_item(rng, 3.6 - tired),
                soreness=_item(rng, 3.7 - tired),
                stress=_item(rng, 3.5),
                mood=_item(rng, 3.9),
                sleep_hours=max(4.0, min(10.0, round(rng.gauss(sleep_base, 0.6) * 4) / 4)),
                resting_heart_rate=max(25, min(220, round(rng.gauss(rhr_base + 2 * tired, 2)))),
                hrv_rmssd=round(math.exp(rng.gauss(math.log(hrv_base) - 0.08 * tired, 0.12)), 1),
                illness=False,
                notes=rng.choice(NOTES),
            )
        entries.append(entry)
    return entries


def seed_demo_entries(*, athletes, weeks: int, seed: int, now) -> dict:
    """{WellnessEntry: unsaved rows}: a daily check-in over the seeded weeks up to each athlete's today (at most a
    year), for each (index, profile) of `athletes`; the same for the same (index, weeks, seed, day)."""
    rows = []
    days = min(365, 7 * weeks)
    for index, profile in athletes:
        today = now.astimezone(profile.tzinfo).date()
        rows += athlete_wellness(
            profile, random.Random(f"{seed}:{index}:wellness"), today=today, days=days, index=index
        )
    return {WellnessEntry: rows}
