"""Queue workers as real processes: `manage.py worker` (django-tasks-db's worker with Cadence's heartbeat)
against the test database, for the tests that prove a worker survives bad files and that parallel workers run each
job once (PostgreSQL only: the SQLite test database is in memory, out of a subprocess's reach)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.db import connections

ROOT = Path(__file__).resolve().parents[2]
WORKER_COMMAND = [sys.executable, "manage.py", "worker", "--batch", "--no-startup-delay"]


def worker_env(**extra: str) -> dict[str, str]:
    """This process's environment (tests.settings' defaults included: MEDIA_ROOT, SECRET_KEY), with DATABASE_URL
    naming the test database."""
    settings = connections["default"].settings_dict
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": (
                f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/"
                f"{settings['NAME']}"
            ),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "LOG_LEVEL": "WARNING",
        }
    )
    env.update(extra)
    return env


def start_workers(count: int, log_dir: Path, **extra_env: str) -> list[subprocess.Popen]:
    """`count` workers that each take jobs until none is left (`--batch`), then exit."""
    procs = []
    for i in range(count):
        log = (log_dir / f"worker-{i}.log").open("w")
        procs.append(
            subprocess.Popen(
                [*WORKER_COMMAND, "--worker-id", f"test-worker-{i}"],
                cwd=ROOT,
                env=worker_env(**extra_env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def wait_for(procs: list[subprocess.Popen], log_dir: Path, timeout: float = 300) -> None:
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    logs = "\n".join(p.read_text(errors="replace") for p in sorted(log_dir.glob("worker-*.log")))
    assert all(proc.returncode == 0 for proc in procs), logs
