"""A burst of bad logins against Cadence under gunicorn, while a valid token reads `GET /api/v1/auth/me/`.

What it shows: whether password hashing during a burst of failed logins stalls everyone else's requests.

1. Migrates its own PostgreSQL database (default `cadence_throttlebench`, created if missing) and creates two
   users with production's password hasher (PBKDF2, Django's default; the test suite's MD5 is not used here).
2. Serves Cadence with the repository's gunicorn.conf.py (2 workers × 8 gthreads unless WEB_CONCURRENCY /
   GUNICORN_THREADS say otherwise) on 127.0.0.1, with the login throttle counted in Redis (`CACHE_URL`, as in
   production) or in local memory (`--cache-url locmem://`).
3. Logs in once for a token, measures `/auth/me/` alone (the baseline), then releases `--logins` bad logins at
   once (threads behind a barrier) while `/auth/me/` is called every `--interval` s, and prints p50, p99 and max
   of those calls with the logins' statuses: 400 = the password was hashed and judged, 429 = throttled before
   hashing, 503 = refused before hashing because the worker's hashing slots were busy.

`--distinct-addresses` sends each bad login from its own address (X-Forwarded-For, with NUM_PROXIES=1): a
distributed burst that the per-address allowance does not stop.

Every request goes to 127.0.0.1; every loop is bounded (`--max-seconds`). Numbers are noisy on a shared machine.

    .venv/bin/python bench/login_burst.py
    .venv/bin/python bench/login_burst.py --distinct-addresses
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cadence_throttlebench"
DEFAULT_CACHE = "redis://127.0.0.1:6379/11"
PROBE_USER = "burst-probe"
TARGET_USER = "burst-target"


def log(*args) -> None:
    print(*args, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def django_env(args, port: int) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "CACHE_URL": args.cache_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
        "DEBUG": "False",
        "LOG_LEVEL": "ERROR",  # not a line per 400/429
        "DJANGO_SETTINGS_MODULE": "config.settings",  # production settings: PBKDF2, not the tests' MD5
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    if args.distinct_addresses:
        env["NUM_PROXIES"] = "1"  # the client's address is read from X-Forwarded-For
    return env


def prepare_database(args, env: dict) -> None:
    name = args.database_url.rsplit("/", 1)[1]
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"created database {name}")
    subprocess.run([args.python, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    script = (
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import get_hasher\n"
        "User = get_user_model()\n"
        f"for name in ({PROBE_USER!r}, {TARGET_USER!r}):\n"
        "    user, _ = User.objects.get_or_create(username=name)\n"
        f"    user.set_password({args.password!r})\n"
        "    user.save()\n"
        "print(get_hasher().algorithm, get_hasher().iterations)\n"
    )
    out = subprocess.run(
        [args.python, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    log(f"password hasher: {out}")


def clear_throttle(args) -> None:
    """Forget earlier runs' login counters (only this benchmark's keys, in its own Redis database)."""
    if not args.cache_url.startswith("redis://"):
        return
    import redis

    client = redis.Redis.from_url(args.cache_url)
    keys = list(client.scan_iter(match="*throttle_login*", count=1000))
    if keys:
        client.delete(*keys)


def request(port: int, method: str, path: str, *, body=None, headers=None, timeout=120.0) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def serve(args, env: dict, port: int, server_log) -> subprocess.Popen:
    command = [args.gunicorn, "config.wsgi", "-c", str(ROOT / "gunicorn.conf.py")]
    # The server's log goes to a file (Django logs every 400 and 429 at WARNING); errors are shown at the end.
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120  # a loaded machine boots workers slowly
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/health/live", timeout=5)[0] == 200:
                return process
        except OSError:
            pass
        if process.poll() is not None:
            raise SystemExit("gunicorn exited while starting")
        time.sleep(0.5)
    stop(process)
    raise SystemExit("gunicorn did not start within 120 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class Prober:
    """Open-loop probes: one `GET /auth/me/` is sent every `interval` seconds whether or not the earlier ones
    have answered (each in its own thread), so a stall shows in every call that arrives during it, not just in
    the one a closed loop would be stuck in."""

    def __init__(self, port: int, token: str, interval: float, max_in_flight: int = 300):
        self.port, self.token, self.interval = port, token, interval
        self.latencies: list[float] = []
        self.sent: list[tuple[float, float]] = []  # (sent at, latency) of each answered call
        self.errors: list = []
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._scheduler = threading.Thread(target=self._schedule)

    def _one(self) -> None:
        started = time.monotonic()
        try:
            status = request(self.port, "GET", "/api/v1/auth/me/", headers={"Authorization": f"Bearer {self.token}"})[0]
            if status == 200:
                self.latencies.append(time.monotonic() - started)
                self.sent.append((started, time.monotonic() - started))
            else:
                self.errors.append(status)
        except OSError as exc:
            self.errors.append(type(exc).__name__)
        finally:
            self._slots.release()

    def _schedule(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            if self._slots.acquire(timeout=1):
                thread = threading.Thread(target=self._one)
                thread.start()
                self._threads.append(thread)
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def start(self) -> Prober:
        self._scheduler.start()
        return self

    def finish(self) -> Prober:
        """Stop sending and wait for the calls in flight (each bounded by its own timeout)."""
        self._stop.set()
        self._scheduler.join()
        for thread in self._threads:
            thread.join()
        return self


def summary(latencies: list[float]) -> str:
    if not latencies:
        return "no samples"
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"n={len(ordered)} p50={statistics.median(ordered) * 1000:.0f} ms p99={p99 * 1000:.0f} ms "
        f"max={ordered[-1] * 1000:.0f} ms"
    )


def burst(args, port: int, token: str) -> dict:
    barrier = threading.Barrier(args.logins + 1)
    statuses: list = [None] * args.logins
    durations: list[float] = [0.0] * args.logins

    def bad_login(i: int) -> None:
        headers = {"X-Forwarded-For": f"198.18.{i // 250}.{i % 250 + 1}"} if args.distinct_addresses else {}
        barrier.wait()
        started = time.monotonic()
        try:
            statuses[i] = request(
                port,
                "POST",
                "/api/v1/auth/token/",
                body={"username": TARGET_USER, "password": f"wrong-{i}"},
                headers=headers,
            )[0]
        except OSError as exc:
            statuses[i] = type(exc).__name__
        durations[i] = time.monotonic() - started

    deadline = time.monotonic() + args.max_seconds
    logins = [threading.Thread(target=bad_login, args=(i,)) for i in range(args.logins)]
    for t in logins:
        t.start()
    prober = Prober(port, token, args.interval).start()
    barrier.wait()
    started = time.monotonic()
    for t in logins:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    burst_seconds = time.monotonic() - started
    prober.finish()
    counts: dict = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return {
        "statuses": counts,
        "burst_seconds": burst_seconds,
        "slowest_login": max(durations),
        "latencies": prober.latencies,
        "slowest": [(at - started, latency) for at, latency in sorted(prober.sent, key=lambda x: -x[1])[:5]],
        "errors": prober.errors,
    }


def run(args, port: int) -> None:
    status, _, body = request(
        port, "POST", "/api/v1/auth/token/", body={"username": PROBE_USER, "password": args.password}
    )
    if status != 200:
        raise SystemExit(f"login for the probe's token failed: {status} {body[:200]!r}")
    token = json.loads(body)["token"]
    log("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs")
    warm = Prober(port, token, args.interval).start()  # every worker's connections and imports
    time.sleep(1)
    warm.finish()
    baseline = Prober(port, token, args.interval).start()
    time.sleep(args.baseline_seconds)
    baseline.finish()
    log(f"/auth/me/ alone:          {summary(baseline.latencies)} errors={baseline.errors[:5]}")
    result = burst(args, port, token)
    log(f"/auth/me/ during burst:   {summary(result['latencies'])} errors={result['errors'][:5]}")
    slowest = ", ".join(f"{latency * 1000:.0f} ms at {at:+.1f} s" for at, latency in result["slowest"])
    log(f"  slowest /auth/me/ (sent relative to the burst's release): {slowest}")
    log(
        f"{args.logins} bad logins ({'distinct addresses' if args.distinct_addresses else 'one address'}): "
        f"statuses {dict(sorted(result['statuses'].items(), key=str))} "
        f"(400 = hashed and judged), burst over in {result['burst_seconds']:.1f} s, "
        f"slowest login {result['slowest_login']:.1f} s"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--cache-url", default=DEFAULT_CACHE, help="redis://… (production) or locmem://")
    parser.add_argument("--logins", type=int, default=60, help="bad logins released at once")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between /auth/me/ calls")
    parser.add_argument("--baseline-seconds", type=float, default=5)
    parser.add_argument("--max-seconds", type=float, default=120, help="hard bound on the burst phase")
    parser.add_argument("--distinct-addresses", action="store_true", help="each bad login from its own address")
    parser.add_argument("--password", default="burst-" + secrets.token_hex(8))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--gunicorn", default=str(Path(sys.executable).parent / "gunicorn"))
    args = parser.parse_args()

    port = free_port()
    env = django_env(args, port)
    prepare_database(args, env)
    clear_throttle(args)
    with tempfile.NamedTemporaryFile("w+", prefix="login-burst-", suffix=".log", delete=False) as server_log:
        process = serve(args, env, port, server_log)
        try:
            run(args, port)
        finally:
            stop(process)
            clear_throttle(args)
            server_log.seek(0)
            problems = [
                line.rstrip()
                for line in server_log
                if (" ERROR " in line or "Traceback" in line) and "Service Unavailable: /api/v1/auth/token/" not in line
            ]  # a login refused because the worker's hashing slots are busy is a 503, logged by Django at ERROR
            log(f"server log: {server_log.name} ({len(problems)} error lines)")
            for line in problems[:10]:
                log("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
