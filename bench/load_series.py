"""366 days of one athlete's training load, computed in-process on a seeded database (not a timed test).

    DATABASE_URL=postgres://…/cadence_bench python manage.py seed_demo --athletes 1000 --weeks 52
    DATABASE_URL=postgres://…/cadence_bench python bench/load_series.py [--repeat 200]

Reports, in milliseconds, the median and 95th percentile wall time and the median CPU time of this process for:
the whole series as the API builds it (the grouped query for the athlete's history plus the recurrences and
rounding), the recurrences alone (on the seeded history and on a synthetic two-year one), a one-year projection
(today to 365 days ahead, with the events of the window), a load-summary page of 50 athletes, and the summary of
every athlete (the admin's Training load page; each row with its week's compliance).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django

django.setup()

from athletes.models import AthleteProfile  # noqa: E402
from training.load import api, formulas, queries  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, float, float]:
    """(median wall ms, p95 wall ms, median CPU ms of this process). On a busy machine the wall time includes
    waiting for a core; the CPU time does not (nor the database server's own time)."""
    fn()  # warm: connection, zone data, query plan
    samples, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))], statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    athlete = AthleteProfile.objects.filter(user__username="athlete0001").first() or AthleteProfile.objects.first()
    if athlete is None:
        sys.exit("No athletes: run `manage.py seed_demo --athletes 1000 --weeks 52` first.")
    end = queries.athlete_today(athlete)
    start = end - timedelta(days=365)
    first, daily = queries.athlete_daily_totals(athlete, formulas.series_end(end))
    sessions = athlete.sessions.count()
    print(f"athlete {athlete.display_name} ({athlete.timezone}): {sessions} sessions, first on {first}, "
          f"window {start}..{end} (366 days)")  # fmt: skip

    def whole():
        body = api.series_body(queries.athlete_series(athlete, start=start, end=end))
        assert len(body["days"]) == 366

    def recurrences():
        days = formulas.day_series(daily, first=first, start=start, end=end)
        [api.figures_body(d.published()) for d in days]
        [api.figures_body(w.published()) for w in formulas.week_series(daily, start=start, end=end)]

    # The seeded history starts about 32 weeks back; a synthetic two-year history (four sessions a week) shows
    # the recurrences when every one of the 366 days, and a year before them, has to be stepped through.
    long_first = end - timedelta(days=730)
    long_daily = {
        long_first + timedelta(days=i): formulas.DayTotals(300.0 + (i * 37) % 200, 320.0, 1)
        for i in range(731)
        if i % 7 in (0, 2, 4, 5)
    }

    def recurrences_two_years():
        days = formulas.day_series(long_daily, first=long_first, start=start, end=end)
        [api.figures_body(d.published()) for d in days]
        [api.figures_body(w.published()) for w in formulas.week_series(long_daily, start=start, end=end)]

    ahead = end + timedelta(days=365)

    def projection():
        # A year ahead of the athlete's today, every day projected with the planned load, and the window's events.
        body = api.series_body(queries.athlete_series(athlete, start=end, end=ahead, today=end))
        assert len(body["days"]) == 366 and body["days"][-1]["projected"]

    page = list(AthleteProfile.objects.order_by("display_name", "id")[:50])
    everyone = list(AthleteProfile.objects.order_by("display_name", "id"))
    for label, fn, repeat in (
        ("series, 366 days (query + recurrences + rounding)", whole, args.repeat),
        ("series, 366 days (recurrences + rounding only)", recurrences, args.repeat),
        ("same, synthetic 2-year history (731 days stepped)", recurrences_two_years, args.repeat),
        ("projection, the 366 days from today (query + events)", projection, args.repeat),
        ("load-summary, one page of 50 athletes", lambda: queries.summaries(page), max(5, args.repeat // 10)),
        (f"summary of all {len(everyone)} athletes", lambda: queries.summaries(everyone), 5),
    ):
        median, p95, cpu = timed(fn, repeat)
        print(f"{label:52s} median {median:8.2f} ms  p95 {p95:8.2f} ms  CPU {cpu:8.2f} ms  ({repeat} runs)")


if __name__ == "__main__":
    main()
