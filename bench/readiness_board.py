"""The readiness board for 1,000 athletes with a year of daily wellness entries, measured in-process on PostgreSQL.

    python bench/readiness_board.py [--database-url postgres://postgres@127.0.0.1:5432/cadence_bench_wellness]
                                    [--repeat 100]

Creates, migrates and seeds its database (`seed_demo --athletes 1000 --weeks 52`: a year of daily wellness entries
beside the plans) unless it already holds 1,000 athletes, then reports, in milliseconds, the median and 95th
percentile wall time and the median CPU time of this process for `GET /api/v1/readiness-board/` as the head
coach (every athlete) through Django's whole request path (no HTTP server): the first page of 50 (the default),
a page of 200, a page deep in the list, and a fixed date; and the baselines query alone for 50 athletes. The
target is under 150 ms for a page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cadence_bench_wellness"


def prepare(url: str) -> None:
    """Create, migrate and seed the database unless it already holds the athletes (each step a manage.py run)."""
    import psycopg
    import psycopg.conninfo
    import psycopg.sql

    params = psycopg.conninfo.conninfo_to_dict(url)
    name = params.pop("dbname")
    with psycopg.connect(psycopg.conninfo.make_conninfo(**params, dbname="postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-only", "DEBUG": "False", "LOG_LEVEL": "WARNING"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True)
    with psycopg.connect(url) as conn:
        athletes = conn.execute("SELECT count(*) FROM athletes_athleteprofile").fetchone()[0]
    if athletes < 1000:
        start = time.perf_counter()
        subprocess.run([*manage, "seed_demo", "--athletes", "1000", "--weeks", "52"], env=env, check=True)
        print(f"seeded in {time.perf_counter() - start:.0f} s", flush=True)


def timed(fn, repeat: int) -> tuple[float, float, float]:
    """(median wall ms, p95 wall ms, median CPU ms of this process)."""
    fn()  # warm: connection, zone data, query plans
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
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=100)
    args = parser.parse_args()
    prepare(args.database_url)

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "False"
    os.environ["LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from athletes.models import AthleteProfile
    from wellness.models import WellnessEntry
    from wellness.readiness import baselines
    from wellness.services import athlete_today

    coach = get_user_model().objects.get(username="coach")  # the demo head coach: sees every athlete
    _, token = AuthToken.objects.create(user=coach)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    print(
        f"{AthleteProfile.objects.count()} athletes, {WellnessEntry.objects.count()} wellness entries",
        flush=True,
    )

    def board(**params):
        def run():
            response = client.get("/api/v1/readiness-board/", params)
            assert response.status_code == 200, response.content[:200]

        return run

    page = list(AthleteProfile.objects.order_by("display_name", "id")[:50])
    now = timezone.now()
    days = {a.pk: athlete_today(a, now) for a in page}
    cases = [
        ("board, page 1 of 50 (each athlete's today)", board()),
        ("board, page of 200", board(pageSize=200)),
        ("board, page 15 of 50", board(page=15)),
        ("board, page 1 of 50, ?date=", board(date=str(now.date()))),
        ("baselines of 50 athletes (one query)", lambda: baselines(days)),
    ]
    print(f"{'':48} {'median':>8} {'p95':>8} {'CPU':>8}  (ms, {args.repeat} runs)")
    for name, fn in cases:
        median, p95, cpu = timed(fn, args.repeat)
        print(f"{name:48} {median:8.1f} {p95:8.1f} {cpu:8.1f}", flush=True)
    AuthToken.objects.filter(user=coach, digest__isnull=False).filter(token_key=token[:15]).delete()


if __name__ == "__main__":
    main()
