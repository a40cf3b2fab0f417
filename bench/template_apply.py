"""Applying a program template to many athletes, in-process on a seeded PostgreSQL database (not a timed test).

    DATABASE_URL=postgres://…/cadence_bench python manage.py seed_demo --athletes 1000 --weeks 52
    DATABASE_URL=postgres://…/cadence_bench python bench/template_apply.py [--repeat 10]   (or: bench/run.py --apply)

The template: 12 weeks, 6 sessions a week (Monday to Saturday, every other one with a 20-step interval workout),
3 phases. It is applied by the demo head coach to the first 1, 10 and 100 seeded athletes (several timezones) with
`training.library.services.template_apply`, the function the API and the admin call, each run in a transaction
rolled back afterwards (the database is left as it was). For each size it reports the statements the apply runs
(the same for any number of athletes: one bulk insert per table) and the median and 95th percentile wall time in
milliseconds, which includes PostgreSQL's own work. The goal: under 2 s for 100 athletes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")

import django

django.setup()

import workout_structures  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from athletes.models import AthleteProfile  # noqa: E402
from training.library.models import ProgramTemplate  # noqa: E402
from training.library.services import template_apply  # noqa: E402
from training.models import TrainingSession  # noqa: E402

START = date(2031, 1, 6)
WEEKS, DAYS = 12, 6


class Rollback(Exception):
    pass


def template(owner) -> ProgramTemplate:
    sessions = [
        {
            "week": week,
            "day": day,
            "time": ("06:30", "18:00")[day % 2],
            "title": f"Week {week} day {day}",
            "modality": "run",
            "durationMinutes": 45 + 5 * day,
            "plannedLoad": 300.0 + day,
            "structure": workout_structures.INTERVALS if day % 2 else None,
        }
        for week in range(1, WEEKS + 1)
        for day in range(1, DAYS + 1)
    ]
    phases = [
        {"name": "Base", "focus": "Aerobic", "startWeek": 1, "endWeek": 4},
        {"name": "Build", "focus": "Threshold", "startWeek": 5, "endWeek": 9},
        {"name": "Peak", "focus": "Race pace", "startWeek": 10, "endWeek": 12},
    ]
    return ProgramTemplate.objects.create(
        owner=owner, title="Bench season", weeks=WEEKS, phases=phases, sessions=sessions
    )


def one_run(owner, athlete_ids, *, count: bool = False) -> tuple[float, int | None, int]:
    """(wall ms of the apply, its statements when `count`, sessions written), everything rolled back. The
    statements are counted in runs of their own: capturing them makes Django render each one as text (every
    parameter quoted), which would be timed too."""
    result = {"statements": None}
    try:
        with transaction.atomic():
            source = template(owner)
            capture = CaptureQueriesContext(connection) if count else contextlib.nullcontext()
            with capture as ctx:
                started = time.perf_counter()
                template_apply(template=source, athlete_ids=athlete_ids, start_date=START, actor=owner)
                result["ms"] = (time.perf_counter() - started) * 1000
            if count:
                result["statements"] = len(ctx.captured_queries)
            result["sessions"] = TrainingSession.objects.filter(program__start_date=START).count()
            raise Rollback
    except Rollback:
        pass
    return result["ms"], result["statements"], result["sessions"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        raise SystemExit("Set DATABASE_URL to the seeded PostgreSQL benchmark database.")
    owner = get_user_model().objects.get(username="coach")
    ids = list(AthleteProfile.objects.order_by("display_name", "id").values_list("pk", flat=True)[:100])
    if len(ids) < 100:
        raise SystemExit("Seed at least 100 athletes first (seed_demo --athletes 1000 --weeks 52).")
    zones = AthleteProfile.objects.filter(pk__in=ids).values_list("timezone", flat=True).distinct().count()
    print(f"template: {WEEKS} weeks × {DAYS} sessions; the first 100 athletes span {zones} timezones")
    print("| athletes | sessions written | statements | median ms | p95 ms |")
    print("| --- | --- | --- | --- | --- |")
    for size in (1, 10, 100):
        one_run(owner, ids[:size])  # warm: query plans, zone data, the process's first look-ups
        _, counted, _ = one_run(owner, ids[:size], count=True)
        runs = [one_run(owner, ids[:size]) for _ in range(args.repeat)]
        times = sorted(ms for ms, _, _ in runs)
        statements = {counted}
        sessions = {n for _, _, n in runs}
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(
            f"| {size} | {'/'.join(map(str, sessions))} | {'/'.join(map(str, sorted(statements)))} | "
            f"{statistics.median(times):.0f} | {p95:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
