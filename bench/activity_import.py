"""Activity imports: how many uploaded files a second the workers turn into figures and matched sessions, on
PostgreSQL, with 1 and 2 worker processes (`manage.py worker`, the database queue's worker).

    .venv/bin/python bench/activity_import.py [--files 120] [--samples 3600] [--workers 1,2]
    BENCH_ACTIVITIES_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cadence_bench_activities (the default)

The database is created when missing and migrated; each round starts from no activities. `--files` athletes
(each with a session on the activity's day) get one file each through `training.activities.services
.activity_upload`, the function the API calls (store, row, job in one transaction), cycling through FIT, GPX and
TCX recordings of one hour with a sample every second (`--samples`), heart rate and (FIT, TCX) power. Then the
workers start, each taking jobs until none is left (`--batch`), and the round's time runs from their start to the
last one's exit: files/s = files / that time, worker start-up included. It also reports the CPU time of reading
one file of each format in this process (parsing alone, no database). Files go to a temporary MEDIA_ROOT.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cadence_bench_activities"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_ACTIVITIES_DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="cadence-bench-media-"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import psycopg  # noqa: E402


def ensure_database(url: str) -> None:
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(psycopg.conninfo.make_conninfo(**info, dbname="postgres"), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))


ensure_database(os.environ["DATABASE_URL"])
subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, check=True)

import django  # noqa: E402

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.db import connection  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from athletes.models import AthleteProfile  # noqa: E402
from tests.support.activity_files import fit_activity, gpx_activity, tcx_activity  # noqa: E402
from training.activities import parsing, services  # noqa: E402
from training.activities.models import Activity  # noqa: E402
from training.models import TrainingProgram, TrainingSession  # noqa: E402

START = datetime(2031, 3, 3, 6, 30, tzinfo=UTC)
BENCH_PREFIX = "bench-activities-"


def recordings(samples: int) -> list[tuple[str, bytes]]:
    return [
        (
            "ride.fit",
            fit_activity(start=START, seconds=samples, step=1, sport="cycling", heart_rate=lambda s: 120 + s % 50),
        ),
        ("run.gpx", gpx_activity(start=START, points=samples + 1, step=1, heart_rate=150)),
        ("ride.tcx", tcx_activity(start=START, points=samples + 1, step=1, heart_rate=155, watts=230)),
    ]


def athletes(count: int) -> list[AthleteProfile]:
    """`count` athletes (made once, kept between runs), each with a program and a session on START's day."""
    from django.contrib.auth import get_user_model

    existing = list(AthleteProfile.objects.filter(display_name__startswith=BENCH_PREFIX).order_by("display_name"))
    User = get_user_model()
    for i in range(len(existing), count):
        user = User.objects.create(username=f"{BENCH_PREFIX}{i:05d}")
        athlete = AthleteProfile.objects.create(
            user=user, display_name=f"{BENCH_PREFIX}{i:05d}", timezone="Europe/Oslo", primary_goal="endurance",
            max_heart_rate=190,
        )  # fmt: skip
        program = TrainingProgram.objects.create(
            athlete=athlete, title="Bench", start_date=START.date() - timedelta(days=7),
            end_date=START.date() + timedelta(days=7),
        )  # fmt: skip
        for modality, hour in (("bike", 6), ("run", 17)):
            TrainingSession.objects.create(
                program=program, athlete=athlete, title=modality, scheduled_at=START.replace(hour=hour),
                duration_minutes=60, modality=modality,
            )  # fmt: skip
        existing.append(athlete)
    return existing[:count]


def reset(athlete_ids) -> None:
    sessions = TrainingSession.objects.filter(athlete_id__in=athlete_ids)
    sessions.update(activity=None, status="planned", completed_at=None, actual_duration_minutes=None)
    Activity.objects.filter(athlete_id__in=athlete_ids).delete()
    DBTaskResult.objects.all().delete()


def round_(files, people, workers: int) -> float:
    reset([a.pk for a in people])
    for i, athlete in enumerate(people):
        name, data = files[i % len(files)]
        services.activity_upload(athlete_id=athlete.pk, upload=ContentFile(data, name=name), file_name=name,
                                 sha256=f"{i:064x}")  # fmt: skip
    connection.close()
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--batch", "--no-startup-delay",
             "--interval", "0.1", "--worker-id", f"bench-{w}"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for w in range(workers)
    ]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=3600)
        if proc.returncode:
            sys.exit(err.decode(errors="replace"))
    elapsed = time.perf_counter() - started
    done = Activity.objects.filter(athlete__in=people, status="done").count()
    matched = TrainingSession.objects.filter(athlete__in=people, activity__isnull=False).count()
    assert done == len(people) == matched, (done, matched, len(people))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=120)
    parser.add_argument("--samples", type=int, default=3600, help="samples (seconds) per recording")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    files = recordings(args.samples)
    print(f"recordings: {', '.join(f'{n} {len(d) // 1024} KiB' for n, d in files)}; {args.files} files a round")
    for name, data in files:
        times = []
        for _ in range(5):
            t0 = time.process_time()
            parsing.read(io.BytesIO(data), name=name, limit=10**9)
            times.append(time.process_time() - t0)
        print(f"parse {name}: {statistics.median(times) * 1000:.0f} ms CPU (median of 5)")
    people = athletes(args.files)
    for workers in (int(w) for w in args.workers.split(",")):
        rates = [args.files / round_(files, people, workers) for _ in range(args.rounds)]
        print(
            f"{workers} worker(s): {statistics.median(rates):.1f} files/s median of {args.rounds} "
            f"({', '.join(f'{r:.1f}' for r in rates)})"
        )
    reset([a.pk for a in people])


if __name__ == "__main__":
    main()
