"""Webhook delivery throughput: N events through W `manage.py worker` processes to a local receiver.

1. Migrates its own PostgreSQL database (default `cadence_bench_webhooks`, created if missing), empties the queue
   and the webhook tables, and makes a head coach, an athlete with a program of N sessions, and one endpoint
   listening for `session.completed` at a receiver this script runs on 127.0.0.1 (allowed through
   WEBHOOK_ALLOW_PRIVATE_HOSTS; nothing leaves the machine).
2. Marks the N sessions completed in one write (`sessions_set_status`): N events, N deliveries, N queued jobs,
   committed together. The time this takes is the cost of announcing them inside the write.
3. Starts W workers and times until every delivery is delivered. The receiver answers 500 to a share of the
   requests (`--fail-rate`, default 0.5) and 200 otherwise; retries follow WEBHOOK_RETRY_SCHEDULE=0,... so the
   run measures the queue and the HTTP, not the waits.
4. Prints events/s (delivered events per second of wall time, from the workers' start to the last delivery),
   requests/s, and checks the receiver saw each webhook-id answered 2xx exactly once.

    .venv/bin/python bench/webhooks.py                  # 1000 events, 2 workers
    .venv/bin/python bench/webhooks.py --events 2000 --workers 4 --fail-rate 0
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cadence_bench_webhooks"


def log(*args) -> None:
    print(*args, flush=True)


class Receiver:
    def __init__(self, fail_rate: float):
        self.answers: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        rng = random.Random(7)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    status = 500 if rng.random() < fail_rate else 200
                    receiver.answers.append((self.headers["webhook-id"], status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"


def django_env(args) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "False",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "WEBHOOK_ALLOW_PRIVATE_HOSTS": "127.0.0.1",
        "WEBHOOK_RETRY_SCHEDULE": ",".join(["0"] * 30),
    }


def prepare_database(args, env: dict) -> None:
    name = args.database_url.rsplit("/", 1)[1]
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"created database {name}")
    subprocess.run([args.python, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)


SETUP = """
import time
from datetime import date, timedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_tasks_db.models import DBTaskResult
from athletes.models import AthleteProfile
from training.models import TrainingProgram, TrainingSession
from training import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

DBTaskResult.objects.all().delete()
WebhookDelivery.objects.all().delete()
WebhookEndpoint.objects.all().delete()
TrainingSession.objects.filter(program__title="webhook bench").delete()
TrainingProgram.objects.filter(title="webhook bench").delete()
User = get_user_model()
head, _ = User.objects.get_or_create(username="bench-head-coach")
head.groups.add(Group.objects.get(name="Head coaches"))
user, _ = User.objects.get_or_create(username="bench-athlete")
athlete, _ = AthleteProfile.objects.get_or_create(
    user=user, defaults={"display_name": "Bench", "timezone": "UTC", "primary_goal": "endurance"}
)
start = date(2031, 1, 6)
program = TrainingProgram.objects.create(athlete=athlete, title="webhook bench", start_date=start,
                                         end_date=start + timedelta(days=365))
from datetime import UTC, datetime, time as clock
sessions = [TrainingSession(program=program, athlete=athlete, title=f"S{i}", duration_minutes=30, modality="run",
                            scheduled_at=datetime.combine(start + timedelta(days=i % 360), clock(6 + i % 12),
                                                          tzinfo=UTC))
            for i in range(__EVENTS__)]
TrainingSession.objects.bulk_create(sessions)
WebhookEndpoint.objects.create(owner=head, url=__URL__, events=["session.completed"])
began = time.perf_counter()
services.sessions_set_status(sessions=sessions, status="completed")
print(f"{time.perf_counter() - began:.3f}")
"""


def delivered_count(args) -> tuple[int, int]:
    with psycopg.connect(args.database_url, autocommit=True) as db:
        row = db.execute(
            "SELECT count(*) FILTER (WHERE status = 'delivered'), count(*) FROM webhooks_webhookdelivery"
        ).fetchone()
    return row[0], row[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fail-rate", type=float, default=0.5)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    args = parser.parse_args()

    receiver = Receiver(args.fail_rate)
    env = django_env(args)
    prepare_database(args, env)
    script = SETUP.replace("__EVENTS__", str(args.events)).replace("__URL__", repr(receiver.url))
    setup = subprocess.run(
        [args.python, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if setup.returncode != 0:
        raise SystemExit(f"setting up failed:\n{setup.stderr}")
    announced = setup.stdout.strip().splitlines()[-1]
    log(f"{args.events} sessions marked completed in one write, announcing them: {announced} s")
    started = time.monotonic()
    workers = [
        subprocess.Popen(
            [args.python, "manage.py", "worker", "--no-startup-delay", "--interval", "0.1", "-v", "0"],
            cwd=ROOT,
            env=env,
        )
        for _ in range(args.workers)
    ]
    try:
        while time.monotonic() - started < args.max_seconds:
            done, total = delivered_count(args)
            if done == total == args.events:
                break
            time.sleep(0.2)
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
    done, total = delivered_count(args)
    delivered = Counter(webhook_id for webhook_id, status in receiver.answers if status == 200)
    log(f"workers: {args.workers}; receiver fail rate: {args.fail_rate}")
    log(
        f"delivered {done}/{total} in {elapsed:.1f} s: {done / elapsed:.0f} events/s, "
        f"{len(receiver.answers) / elapsed:.0f} requests/s ({len(receiver.answers)} requests)"
    )
    twice = [webhook_id for webhook_id, n in delivered.items() if n > 1]
    log(f"distinct webhook-ids answered 2xx: {len(delivered)}; answered 2xx more than once: {len(twice)}")
    if done != args.events or twice:
        sys.exit(1)


if __name__ == "__main__":
    main()
