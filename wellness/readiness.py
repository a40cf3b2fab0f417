"""Readiness: an athlete's entry of a day judged against their own baseline, the entries of the 28 days before it.

Each z-score is (value − baseline mean) / baseline population standard deviation, 2 decimals (halves away from
zero), HRV as ln(rMSSD); null without a value, with fewer than 7 baseline values of that measure, or a deviation
of 0. The flags are judged on the published (rounded) z-scores, so a client reading the numbers reaches the same
flags.

The baselines are aggregated by the database (per athlete: the count and the first two moments, whence the mean
and the population standard deviation) for any number of athletes in one query, and the days' entries in one
more: the readiness board costs the same for a page of 200 athletes as for one."""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Avg, Count, ExpressionWrapper, F, FloatField, Q
from django.db.models.functions import Ln

from training.load.formulas import round_half_up

from .models import WellnessEntry

BASELINE_DAYS = 28
MIN_BASELINE_VALUES = 7
Z_LOW, Z_HIGH = -1.5, 1.5
SLEEP_SHORT_HOURS = 6
# A population deviation this small is a deviation of 0 that floating point did not reach exactly (identical
# ln(rMSSD) values averaged): dividing by it would give an absurd z. Real deviations of these measures are
# orders of magnitude larger (two rMSSD values 0.1 ms apart near 300 ms differ by 3e-4 in ln).
ZERO_DEVIATION = 1e-6

# z key -> (the expression aggregated, a typical value). The deviation comes from the first two moments of
# (value − typical value), which the database computes the same way everywhere (SQLite has no STDDEV_POP that
# accepts a column of NULLs); shifting by a typical value first keeps the subtraction of the moments exact
# enough (no cancellation between two large squares).
MEASURES = {
    "wellnessScore": ("score", 15),
    "sleepHours": ("sleep_hours", 7),
    "restingHeartRate": ("resting_heart_rate", 50),
    "hrvLnRmssd": ("ln_hrv", 4),
}
FLAGS = ("no_entry", "wellness_low", "hrv_low", "rhr_high", "sleep_short", "illness")
# What each flag says, for the admin (shown as text beside the colour).
FLAG_LABELS = {
    "no_entry": "no entry today",
    "wellness_low": "wellness low",
    "hrv_low": "HRV low",
    "rhr_high": "resting HR high",
    "sleep_short": "sleep under 6 h",
    "illness": "ill",
}


@dataclass(frozen=True, slots=True)
class Stats:
    count: int
    mean: float | None
    deviation: float | None


@dataclass(frozen=True, slots=True)
class Readiness:
    athlete_id: uuid.UUID
    date: date
    entry: WellnessEntry | None
    baseline_days: int
    z: dict
    flags: list[str]


def score_expression():
    """wellnessScore as SQL: the sum of the five items."""
    return F("sleep_quality") + F("fatigue") + F("soreness") + F("stress") + F("mood")


def _with_measures(queryset):
    return queryset.annotate(score=score_expression(), ln_hrv=Ln("hrv_rmssd"))


def _by_date(days: dict) -> dict[date, list]:
    grouped: dict[date, list] = defaultdict(list)
    for athlete_id, day in days.items():
        grouped[day].append(athlete_id)
    return grouped


def baselines(days: dict) -> dict:
    """{athlete id: (entries in the baseline, {measure: Stats})} for each athlete of `days` ({athlete id: the
    day judged}); one query."""
    if not days:
        return {}
    window = Q(pk__in=[])
    for day, ids in _by_date(days).items():
        window |= Q(athlete_id__in=ids, date__gte=day - timedelta(days=BASELINE_DAYS), date__lt=day)
    aggregates = {"entries": Count("pk")}
    for key, (column, typical) in MEASURES.items():
        shifted = ExpressionWrapper(F(column) - typical, output_field=FloatField())
        aggregates[f"{key}_n"] = Count(column)
        aggregates[f"{key}_m1"] = Avg(shifted)
        aggregates[f"{key}_m2"] = Avg(ExpressionWrapper(shifted * shifted, output_field=FloatField()))
    rows = _with_measures(WellnessEntry.objects.filter(window)).order_by().values("athlete_id").annotate(**aggregates)
    found = {}
    for row in rows:
        stats = {key: _stats(row[f"{key}_n"], row[f"{key}_m1"], row[f"{key}_m2"], typical)
                 for key, (_, typical) in MEASURES.items()}  # fmt: skip
        found[row["athlete_id"]] = (row["entries"], stats)
    return found


def _stats(count: int, m1, m2, typical: float) -> Stats:
    """The mean and population deviation from the moments of (value − typical)."""
    if not count or m1 is None or m2 is None:
        return Stats(count, None, None)
    m1, m2 = float(m1), float(m2)
    return Stats(count, m1 + typical, math.sqrt(max(0.0, m2 - m1 * m1)))


def entries_on(days: dict) -> dict:
    """{athlete id: their entry of their day} for the athletes of `days` that have one; one query."""
    if not days:
        return {}
    wanted = Q(pk__in=[])
    for day, ids in _by_date(days).items():
        wanted |= Q(athlete_id__in=ids, date=day)
    return {entry.athlete_id: entry for entry in WellnessEntry.objects.filter(wanted)}


def entry_values(entry: WellnessEntry) -> dict:
    return {
        "wellnessScore": entry.wellness_score,
        "sleepHours": entry.sleep_hours,
        "restingHeartRate": entry.resting_heart_rate,
        "hrvLnRmssd": math.log(entry.hrv_rmssd) if entry.hrv_rmssd else None,
    }


def z_score(value, stats: Stats | None) -> float | None:
    if value is None or stats is None or stats.count < MIN_BASELINE_VALUES:
        return None
    if stats.deviation is None or stats.mean is None or stats.deviation < ZERO_DEVIATION:
        return None
    return round_half_up((value - stats.mean) / stats.deviation, 2)


def flags_of(entry: WellnessEntry | None, z: dict) -> list[str]:
    if entry is None:
        return ["no_entry"]
    flags = []
    if z["wellnessScore"] is not None and z["wellnessScore"] <= Z_LOW:
        flags.append("wellness_low")
    if z["hrvLnRmssd"] is not None and z["hrvLnRmssd"] <= Z_LOW:
        flags.append("hrv_low")
    if z["restingHeartRate"] is not None and z["restingHeartRate"] >= Z_HIGH:
        flags.append("rhr_high")
    if entry.sleep_hours is not None and entry.sleep_hours < SLEEP_SHORT_HOURS:
        flags.append("sleep_short")
    if entry.illness:
        flags.append("illness")
    return flags


def readiness_of(days: dict) -> dict:
    """{athlete id: Readiness} for every athlete of `days` ({athlete id: day}); two queries for any number."""
    bases, entries = baselines(days), entries_on(days)
    found = {}
    for athlete_id, day in days.items():
        count, stats = bases.get(athlete_id, (0, {}))
        entry = entries.get(athlete_id)
        values = entry_values(entry) if entry is not None else dict.fromkeys(MEASURES)
        z = {key: z_score(values[key], stats.get(key)) for key in MEASURES}
        found[athlete_id] = Readiness(athlete_id, day, entry, count, z, flags_of(entry, z))
    return found
