"""Training-load figures from daily sums: pure functions, no database (docs/training-load.md).

Input is one `DayTotals` per athlete-local calendar day that has sessions; output is one `DayFigures` per
day of a window and one `WeekFigures` per ISO week that meets it. Every recurrence runs from the day of the
athlete's first session (earlier days are 0), so a figure never depends on the window asked for. One pass
over the days: O(days since the first session).

- `acute`, `chronic`: mean of `load` over the 7 / 28 days ending on the day (coupled: the chronic window
  contains the acute one); `acwr` = acute / chronic.
- `acwr_ewma`: E(d) = λ·load(d) + (1 − λ)·E(d − 1), λ = 2/(N + 1), N = 7 and 28 (Williams et al. 2017).
- `fitness`, `fatigue`: X(d) = X(d − 1) + (load(d) − X(d − 1))·(1 − e^(−1/N)), N = 42 and 7 by default (Banister's
  impulse-response model as GoldenCheetah's PMC computes it; the two time constants are the deployment's settings
  LOAD_FITNESS_DAYS and LOAD_FATIGUE_DAYS); `form(d)` = fitness(d − 1) − fatigue(d − 1).
- projection: with `today` given, every day after it is `projected`: its `load` is None and every recurrence
  above continues with the day's planned load in place of its load (what the plan would give if it is done as
  planned). Today and earlier days are as above.
- `acwr` and `acwr_ewma` are None while the chronic figure is 0 or fewer than 28 days have passed since the
  first session.
- weeks: `monotony` = mean / population standard deviation of the week's 7 daily loads (Foster 1998), null
  when they are all equal; `strain` = week load × monotony (the monotony as published, 2 decimals).

The figures are computed unrounded; `published()` gives them as Cadence shows them everywhere (the API, the
admin, the chart, the flags): ratios to 2 decimals, the rest to 1, halves away from zero.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from django.conf import settings

ACUTE_DAYS = 7
CHRONIC_DAYS = 28
FITNESS_DAYS = 42  # the defaults of the settings LOAD_FITNESS_DAYS and LOAD_FATIGUE_DAYS
FATIGUE_DAYS = 7
ACWR_HIGH = 1.5
ACWR_LOW = 0.8
MONOTONY_HIGH = 2.0


def round_half_up(value: float | None, places: int) -> float | None:
    """`value` to `places` (1 or 2) decimals, halves away from zero, as a person rounding the printed number
    would (2.25 → 2.3, 0.35 → 0.4, 1.005 → 1.01, where Python's round() gives 2.2, 0.3 and 1.0); -0.0 becomes 0.0.

    A value within 1e-9 (in units of the last kept decimal) below a half counts as the half: that absorbs the
    binary representation error of decimals like 0.35, and no figure computed from loads in hundredths can be
    that close to a half without being one."""
    if value is None:
        return None
    scale = 10.0 if places == 1 else 100.0
    rounded = math.floor(abs(value) * scale + 0.5 + 1e-9) / scale
    return rounded if value > 0 else -rounded + 0.0


def time_constants() -> tuple[int, int]:
    """(fitness days, fatigue days) in force: the settings LOAD_FITNESS_DAYS and LOAD_FATIGUE_DAYS."""
    return (
        getattr(settings, "LOAD_FITNESS_DAYS", FITNESS_DAYS),
        getattr(settings, "LOAD_FATIGUE_DAYS", FATIGUE_DAYS),
    )


class DayTotals(NamedTuple):
    """One local day's sessions: the load of the completed ones, the planned load of all, how many completed.

    A named tuple: the summary builds one per athlete-day, and a tuple is the cheapest object to build."""

    load: float = 0.0
    planned_load: float = 0.0
    sessions: int = 0


@dataclass(frozen=True, slots=True)
class DayFigures:
    date: date
    load: float | None  # None on a projected day
    planned_load: float
    sessions: int
    acute: float
    chronic: float
    acwr: float | None
    acwr_ewma: float | None
    fitness: float
    fatigue: float
    form: float
    projected: bool = False  # after the athlete's today: the model run on the planned load

    def published(self) -> DayFigures:
        """The figures as published: `acwr`/`acwr_ewma` to 2 decimals, the rest to 1, halves away from zero."""
        return DayFigures(
            self.date,
            round_half_up(self.load, 1),
            round_half_up(self.planned_load, 1),
            self.sessions,
            round_half_up(self.acute, 1),
            round_half_up(self.chronic, 1),
            round_half_up(self.acwr, 2),
            round_half_up(self.acwr_ewma, 2),
            round_half_up(self.fitness, 1),
            round_half_up(self.fatigue, 1),
            round_half_up(self.form, 1),
            self.projected,
        )


@dataclass(frozen=True, slots=True)
class WeekFigures:
    week_start: date
    load: float
    planned_load: float
    monotony: float | None  # already rounded to 2 decimals: strain is computed from the published value
    strain: float | None

    def published(self) -> WeekFigures:
        """The figures as published: loads and strain to 1 decimal (monotony is already)."""
        return WeekFigures(
            self.week_start,
            round_half_up(self.load, 1),
            round_half_up(self.planned_load, 1),
            self.monotony,
            round_half_up(self.strain, 1),
        )


def iso_week_start(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def _zero_day(day: date, today: date | None) -> DayFigures:
    # Only days before the first session reach here, and they have no sessions by definition.
    projected = today is not None and day > today
    return DayFigures(day, None if projected else 0.0, 0.0, 0, 0.0, 0.0, None, None, 0.0, 0.0, 0.0, projected)


def day_series(
    daily: Mapping[date, DayTotals], *, first: date | None, start: date, end: date, today: date | None = None
) -> list[DayFigures]:
    """The figures of each day `start`..`end` (inclusive), the recurrences run from `first` (the local date of
    the athlete's first session; None when there is none). `daily` needs entries from `first` to `end`. With
    `today`, the days after it are projected (the module docstring)."""
    if end < start:
        return []
    out: list[DayFigures] = []
    if first is None or first > end:
        return [_zero_day(start + timedelta(days=i), today) for i in range((end - start).days + 1)]
    day = start
    while day < first:
        out.append(_zero_day(day, today))
        day += timedelta(days=1)

    fitness_days, fatigue_days = time_constants()
    lam_a, lam_c = 2 / (ACUTE_DAYS + 1), 2 / (CHRONIC_DAYS + 1)
    k_fit, k_fat = 1 - math.exp(-1 / fitness_days), 1 - math.exp(-1 / fatigue_days)
    ewma_a = ewma_c = fitness = fatigue = 0.0
    # The days as offsets from `first` (no date arithmetic in the loop). Rolling sums over the last 7 and 28
    # loads run in integer hundredths (loads have 2 decimals), so the means stay exact however long the series.
    n_days = (end - first).days + 1
    # The first projected day's offset (n_days: none): from it on, the planned load stands in for the load.
    projected_from = n_days if today is None else min(max((today - first).days + 1, 0), n_days)
    loads = [0.0] * n_days
    cents = [0] * n_days
    for day, totals in daily.items():
        i = (day - first).days
        if 0 <= i < n_days:
            loads[i] = totals.load if i < projected_from else totals.planned_load
            cents[i] = round(loads[i] * 100)
    out_from = max(0, (start - first).days)
    sum_a = sum_c = 0
    empty = DayTotals()
    for i in range(n_days):
        load = loads[i]
        sum_a += cents[i] - (cents[i - ACUTE_DAYS] if i >= ACUTE_DAYS else 0)
        sum_c += cents[i] - (cents[i - CHRONIC_DAYS] if i >= CHRONIC_DAYS else 0)
        form = fitness - fatigue  # yesterday's values
        ewma_a += lam_a * (load - ewma_a)
        ewma_c += lam_c * (load - ewma_c)
        fitness += (load - fitness) * k_fit
        fatigue += (load - fatigue) * k_fat
        if i >= out_from:
            day = first + timedelta(days=i)
            totals = daily.get(day, empty)
            ratios = i >= CHRONIC_DAYS  # at least 28 days have passed since the first session
            projected = i >= projected_from
            out.append(
                DayFigures(
                    day,
                    None if projected else load,
                    totals.planned_load,
                    totals.sessions,
                    sum_a / (100 * ACUTE_DAYS),
                    sum_c / (100 * CHRONIC_DAYS),
                    # acute / chronic = (sum_a / 7) / (sum_c / 28), one exact division of integers
                    sum_a * CHRONIC_DAYS / (sum_c * ACUTE_DAYS) if ratios and sum_c > 0 else None,
                    ewma_a / ewma_c if ratios and ewma_c > 0 else None,
                    fitness,
                    fatigue,
                    form,
                    projected,
                )
            )
    return out


def week_figures(week_start: date, loads: list[float], planned: float) -> WeekFigures:
    """Monotony and strain of one ISO week from its 7 daily loads."""
    total = sum(loads)
    monotony = strain = None
    if max(loads) != min(loads):
        mean = total / 7
        sd = math.sqrt(sum((x - mean) ** 2 for x in loads) / 7)
        monotony = round_half_up(mean / sd, 2)
        strain = total * monotony
    return WeekFigures(week_start, total, planned, monotony, strain)


def week_series(daily: Mapping[date, DayTotals], *, start: date, end: date) -> list[WeekFigures]:
    """One entry per ISO week (Monday first) that meets `start`..`end`, each over all 7 of its days."""
    weeks = []
    monday = iso_week_start(start)
    empty = DayTotals()
    while monday <= end:
        days = [daily.get(monday + timedelta(days=i), empty) for i in range(7)]
        weeks.append(week_figures(monday, [d.load for d in days], sum(d.planned_load for d in days)))
        monday += timedelta(days=7)
    return weeks


def flags(*, acwr: float | None, monotony: float | None) -> list[str]:
    """`acwr_high` (> 1.5), `acwr_low` (< 0.8), `monotony_high` (> 2.0), on the published (rounded) values."""
    out = []
    if acwr is not None and acwr > ACWR_HIGH:
        out.append("acwr_high")
    if acwr is not None and acwr < ACWR_LOW:
        out.append("acwr_low")
    if monotony is not None and monotony > MONOTONY_HIGH:
        out.append("monotony_high")
    return out


def series_end(end: date) -> date:
    """The last day whose totals the window `..end` needs: the Sunday of `end`'s ISO week (weeks are whole)."""
    return iso_week_start(end) + timedelta(days=6)
