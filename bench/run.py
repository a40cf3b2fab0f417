"""Cadence against the floor (bench/floor.py), A/B rounds with wrk. `make bench` runs this.

1. Migrates and seeds the benchmark database (`seed_demo --athletes 1000 --weeks 52`) unless it already holds
   that many athletes, then runs `VACUUM (ANALYZE)` on it (what autovacuum keeps doing on a production server).
2. Serves Cadence (config.wsgi) and the floor under gunicorn with the same worker class and count, given on the
   command line for both.
3. Logs in as the demo coach for a Bearer token, and checks that both servers return identical `results` for
   every endpoint (the benchmark compares equal work or nothing).
4. Alternates wrk rounds, Cadence (A) then the floor (B), and prints each round and the median ratio A/B. A
   round with any non-2xx response is void (a fast 401 is not a fast page).
5. Measures Cadence's programs page 30 against page 1 with one connection (the latency ratio).

With `--structures`: instead of the floor, Cadence against itself on two copies of the benchmark database that
differ only in the sessions' `structure` column (every session with a 20-step structure, bench/workout_structures.py,
in one; none in the other): the sessions lists, alternating wrk rounds, and the median slowdown (structures over
none). With `--exports`: the CPU time of one FIT and one Zwift export of a 20-step structure
(bench/workout_exports.py, no server). With `--apply`: a 12-week template applied to 1, 10 and 100 seeded athletes
(bench/template_apply.py, no server: its statements and wall time).

Timings are noisy on a shared machine; the alternation and the ratios are what to read.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import psycopg
import psycopg.conninfo
import psycopg.sql
import workout_structures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from training.workouts.structure import stored_summary  # noqa: E402 (a plain function of the structure: no Django)

BENCH_DIR = ROOT / "bench"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cadence_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log(*args) -> None:
    print(*args, flush=True)


def django_env(args, database_url: str | None = None) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url or args.database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
        "DEBUG": "False",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "",  # gunicorn.conf.py: no access log (a line per request would be measured too)
        "SEED_COACH_PASSWORD": args.password,
    }


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist yet (a new machine has none)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info.pop("dbname")
    with psycopg.connect(psycopg.conninfo.make_conninfo(**info, dbname="postgres"), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            log(f"creating database {name}")
            admin.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))


def seed(args) -> None:
    env = django_env(args)
    python = args.python
    ensure_database(args.database_url)
    subprocess.run([python, "manage.py", "migrate", "--no-input", "-v0"], cwd=args.cadence_dir, env=env, check=True)
    with psycopg.connect(args.database_url) as db:
        athletes = db.execute("SELECT count(*) FROM athletes_athleteprofile").fetchone()[0]
    if athletes >= args.athletes:
        log(f"database already seeded ({athletes} athletes): reused")
        # What a deployment runs daily: the stored estimated one-rep maxes (a no-op when they are fresh).
        subprocess.run([python, "manage.py", "one_rep_max_refresh"], cwd=args.cadence_dir, env=env, check=True)
        return
    log(f"seeding {args.athletes} athletes × {args.weeks} weeks …")
    started = time.monotonic()
    subprocess.run(
        [python, "manage.py", "seed_demo", "--athletes", str(args.athletes), "--weeks", str(args.weeks)],
        cwd=args.cadence_dir,
        env=env,
        check=True,
    )
    log(f"seeded in {time.monotonic() - started:.1f} s")


def vacuum(args) -> None:
    """VACUUM (ANALYZE) the benchmark database before serving: what autovacuum does on a production server
    (statistics for the planner, the visibility map for index-only scans). Without it a freshly seeded
    database is measured in a state no running server stays in, and on a server with autovacuum off (this
    machine's) it would stay so."""
    started = time.monotonic()
    with psycopg.connect(args.database_url, autocommit=True) as db:
        db.execute("VACUUM (ANALYZE)")
    log(f"vacuumed and analyzed in {time.monotonic() - started:.1f} s")


def serve(args, name: str, app: str, cwd: Path, database_url: str | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [
        args.gunicorn,
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "sync",
        # Explicit for both servers: the repository's gunicorn.conf.py (read from Cadence's directory) sets
        # gthread with 8 threads, an access log and worker recycling; a benchmark compares like with like.
        "--threads",
        "1",
        "--max-requests",
        "0",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=cwd, env=django_env(args, database_url))
    base = f"http://127.0.0.1:{port}"
    probe = "/health/live" if name.startswith("cadence") else "/ping"
    deadline = time.monotonic() + 120  # a loaded machine boots workers slowly
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + probe, timeout=10):
                return process, base
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if process.poll() is not None:
                raise SystemExit(f"{name} exited while starting") from None
            time.sleep(0.5)
    process.terminate()
    process.wait(timeout=30)
    raise SystemExit(f"{name} did not start within 120 s")


def http_json(url: str, token: str | None = None, body: dict | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def endpoints(args) -> list[tuple[str, str]]:
    """(name, path and query) pairs; Cadence serves them under /api/v1, the floor at the root."""
    with psycopg.connect(args.database_url) as db:
        athlete = db.execute("SELECT id FROM athletes_athleteprofile ORDER BY display_name, id LIMIT 1").fetchone()[0]
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    after = (today - timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = (today + timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [
        ("programs page 1", "/programs/?pageSize=50&page=1"),
        ("programs page 30", "/programs/?pageSize=50&page=30"),
        (
            "sessions, 1 athlete, 4 weeks",
            f"/sessions/?athleteId={athlete}&scheduledAfter={after}&scheduledBefore={before}",
        ),
        ("micro-cycles page 1", "/micro-cycles/?pageSize=50&page=1"),
    ]


def check_identical(cadence: str, floor: str, token: str, items: list[tuple[str, str]]) -> None:
    for name, path in items:
        a = http_json(cadence + "/api/v1" + path, token)
        b = http_json(floor + path)
        if a["results"] != b["results"] or a["count"] != b["count"]:
            for i, (x, y) in enumerate(zip(a["results"], b["results"], strict=False)):
                if x != y:
                    log(f"first difference at result {i}:\n  cadence {x}\n  floor   {y}")
                    break
            raise SystemExit(f"{name}: Cadence and the floor disagree (count {a['count']} vs {b['count']})")
        if not a["results"]:
            raise SystemExit(f"{name}: empty results; nothing to compare")
        log(f"identical results: {name} ({len(a['results'])} rows, count {a['count']})")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, *, token: str | None, connections: int, duration: int) -> dict:
    command = [
        "wrk",
        "-t",
        str(min(2, connections)),
        "-c",
        str(connections),
        "-d",
        f"{duration}s",
        "--timeout",
        "10s",
        url,
    ]
    if token:
        command[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"Latency\s+([\d.]+)(us|ms|s)\b", out).groups()
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "latency_ms": float(value) * _UNITS[unit],
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }


def paired_rounds(args, a: tuple[str, str, str | None], b: tuple[str, str, str | None]) -> list[tuple[dict, dict]]:
    """`args.rounds` alternating wrk rounds, A then B, each (label, url, token); every round logged with A's req/s
    over B's. Returns the valid rounds' (A, B) results: a round where either side had a non-2xx response is void
    (a fast 401 is not a fast page)."""
    valid = []
    for n in range(1, args.rounds + 1):
        ra, rb = (
            wrk(url, token=token, connections=args.connections, duration=args.duration) for _, url, token in (a, b)
        )
        void = ra["non2xx"] or rb["non2xx"]
        note = f"  VOID: non-2xx A={ra['non2xx']} B={rb['non2xx']}" if void else ""
        for side, r in (("A", ra), ("B", rb)):
            if r["socket_errors"]:
                note += f"  {side} {r['socket_errors']}"
        ratio = ra["rps"] / rb["rps"] if rb["rps"] else 0.0
        log(
            f"round {n}: A {a[0]} {ra['rps']:8.1f} req/s {ra['latency_ms']:7.1f} ms | "
            f"B {b[0]} {rb['rps']:8.1f} req/s {rb['latency_ms']:7.1f} ms | A/B {ratio:.2f}{note}"
        )
        if not void:
            valid.append((ra, rb))
    if not valid:
        log("every round was void")
    return valid


def _median(rounds: list[tuple[dict, dict]], value) -> float:
    return statistics.median(value(a, b) for a, b in rounds)


def ab_rounds(args, cadence: str, floor: str, token: str, name: str, path: str) -> dict:
    log(f"\n## {name}  ({path})")
    rounds = paired_rounds(args, ("cadence", cadence + "/api/v1" + path, token), ("floor", floor + path, None))
    if not rounds:
        return {"name": name, "valid_rounds": 0}
    result = {
        "name": name,
        "valid_rounds": len(rounds),
        "cadence_rps": _median(rounds, lambda a, b: a["rps"]),
        "floor_rps": _median(rounds, lambda a, b: b["rps"]),
        "ratio": _median(rounds, lambda a, b: a["rps"] / b["rps"] if b["rps"] else 0.0),
        "cadence_latency_ms": _median(rounds, lambda a, b: a["latency_ms"]),
    }
    log(
        f"median of {len(rounds)} valid rounds: Cadence {result['cadence_rps']:.1f} req/s, "
        f"floor {result['floor_rps']:.1f} req/s, ratio {result['ratio']:.2f}"
    )
    return result


def depth_latency(args, cadence: str, token: str, first: str, deep: str) -> dict:
    """Cadence's programs page 30 against page 1, one connection, alternating."""
    log("\n## programs page 30 vs page 1 latency (Cadence, wrk -c 1)")
    ratios = []
    for n in range(1, args.rounds + 1):
        p1 = wrk(cadence + "/api/v1" + first, token=token, connections=1, duration=args.duration)
        p30 = wrk(cadence + "/api/v1" + deep, token=token, connections=1, duration=args.duration)
        void = p1["non2xx"] or p30["non2xx"]
        ratio = p30["latency_ms"] / p1["latency_ms"]
        log(
            f"round {n}: page 1 {p1['latency_ms']:6.1f} ms | page 30 {p30['latency_ms']:6.1f} ms | "
            f"30/1 {ratio:.2f}{'  VOID' if void else ''}"
        )
        if not void:
            ratios.append(ratio)
    median = statistics.median(ratios) if ratios else None
    log(f"median page-30/page-1 latency ratio: {median:.2f}" if median else "every round was void")
    return {"name": "page 30 / page 1 latency", "ratio": median, "valid_rounds": len(ratios)}


# --- Structures: the sessions list with 20-step structures against the same list without -----------------------

STRUCTURE_EXERCISES = ["Back squat", "Bench press", "Deadlift", "Overhead press", "Barbell row"]


def bench_structure(args) -> dict:
    """The 20-step structure every session gets in the structured copy (`--structure`)."""
    if args.structure == "intervals":
        return workout_structures.INTERVALS
    if args.structure == "ride":
        return workout_structures.RIDE
    with psycopg.connect(args.database_url) as db:
        ids = dict(
            db.execute(
                "SELECT name, id::text FROM training_exercise WHERE name = ANY(%s)", [STRUCTURE_EXERCISES]
            ).fetchall()
        )
    return workout_structures.strength(
        [ids[name] for name in STRUCTURE_EXERCISES], in_kg=args.structure == "strength-kg"
    )


def database_copy_url(url: str, suffix: str) -> str:
    """`url` (postgres://…/name) naming the database `name_suffix` instead."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=f"{parts.path.rstrip('/')}_{suffix}"))


def structure_copy(args, suffix: str, structure: dict | None) -> str:
    """A copy of the benchmark database whose sessions all have `structure` (None: none), vacuumed (FULL: both
    copies' tables rewritten the same way). Reused when it exists and every session already has it."""
    url = database_copy_url(args.database_url, suffix)
    info = psycopg.conninfo.conninfo_to_dict(args.database_url)
    source, name = info.pop("dbname"), psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    # As Cadence writes them: the compact JSON text (a json column keeps it as it is) and the structure's totals.
    value = None if structure is None else orjson.dumps(structure).decode()
    totals = None if structure is None else orjson.dumps(stored_summary(structure)).decode()
    with psycopg.connect(psycopg.conninfo.make_conninfo(**info, dbname="postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
    if exists:
        with psycopg.connect(url) as db:
            athletes = db.execute("SELECT count(*) FROM athletes_athleteprofile").fetchone()[0]
            other = db.execute(
                "SELECT count(*) FROM training_trainingsession WHERE structure::text IS DISTINCT FROM %s"
                " OR structure_totals::text IS DISTINCT FROM %s",
                [value, totals],
            ).fetchone()[0]
            stored = db.execute("SELECT to_regclass('training_onerepmaxestimate') IS NOT NULL").fetchone()[0]
            estimates = stored and db.execute("SELECT count(*) FROM training_onerepmaxestimate").fetchone()[0]
        if estimates == 0:  # a copy made before the estimates were stored: made again from the seeded database
            other = 1
        if athletes >= args.athletes and other == 0:
            # Made by an earlier version of Cadence, maybe: brought to the schema of the one measured.
            subprocess.run(
                [args.python, "manage.py", "migrate", "--no-input", "-v0"],
                cwd=args.cadence_dir,
                env=django_env(args, url),
                check=True,
            )
            log(f"{name}: reused (migrated)")
            return url
        with psycopg.connect(psycopg.conninfo.make_conninfo(**info, dbname="postgres"), autocommit=True) as admin:
            admin.execute(psycopg.sql.SQL("DROP DATABASE {}").format(psycopg.sql.Identifier(name)))
    started = time.monotonic()
    with psycopg.connect(psycopg.conninfo.make_conninfo(**info, dbname="postgres"), autocommit=True) as admin:
        admin.execute(
            psycopg.sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                psycopg.sql.Identifier(name), psycopg.sql.Identifier(source)
            )
        )
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(
            "UPDATE training_trainingsession SET structure = %s::json, structure_totals = %s::json", [value, totals]
        )
        db.execute("VACUUM (FULL, ANALYZE) training_trainingsession")
        db.execute("VACUUM (ANALYZE)")
    log(f"{name}: copied, every session's structure set and vacuumed in {time.monotonic() - started:.1f} s")
    return url


def login(base: str, args) -> str:
    try:
        return http_json(base + "/api/v1/auth/token/", body={"username": "coach", "password": args.password})["token"]
    except urllib.error.HTTPError as exc:
        raise SystemExit(
            f"login as coach failed ({exc.code}): the database was seeded with another password; "
            "set BENCH_PASSWORD to it"
        ) from exc


def structure_endpoints(args) -> list[tuple[str, str]]:
    one_athlete = [(name, path) for name, path in endpoints(args) if name.startswith("sessions")]
    return [
        *one_athlete,
        ("sessions page 1, 50 rows", "/sessions/?pageSize=50&page=1"),
        ("sessions page 1, 200 rows", "/sessions/?pageSize=200&page=1"),
    ]


def check_same_but_structure(a: str, a_token: str, b: str, b_token: str, items: list[tuple[str, str]]) -> None:
    """Both copies return the same rows; A's every row has its structure (20 steps), B's none."""
    for name, path in items:
        x = http_json(a + "/api/v1" + path, a_token)
        y = http_json(b + "/api/v1" + path, b_token)
        if not x["results"]:
            raise SystemExit(f"{name}: empty results; nothing to compare")
        if any(len((row["structure"] or {}).get("steps", ())) != 20 for row in x["results"]):
            raise SystemExit(f"{name}: a row of the structured copy lacks its 20-step structure")
        if any(row["structure"] is not None or row["structureSummary"] is not None for row in y["results"]):
            raise SystemExit(f"{name}: a row of the copy without structures has one")
        strip = ("structure", "structureSummary", "updatedAt")
        rows_x = [{k: v for k, v in row.items() if k not in strip} for row in x["results"]]
        rows_y = [{k: v for k, v in row.items() if k not in strip} for row in y["results"]]
        if rows_x != rows_y or x["count"] != y["count"]:
            raise SystemExit(f"{name}: the two copies disagree beyond the structures")
        size = len(json.dumps(x["results"])) / len(json.dumps(y["results"]))
        log(f"same rows: {name} ({len(rows_x)} rows, count {x['count']}; body {size:.1f}× as long with structures)")


def structure_rounds(args, a: str, a_token: str, b: str, b_token: str, name: str, path: str) -> dict:
    """Alternating wrk rounds, structures (A) then none (B); the slowdown is B's req/s over A's."""
    log(f"\n## {name}  ({path}): 20-step structures (A) vs none (B)")
    rounds = paired_rounds(args, ("structures", a + "/api/v1" + path, a_token), ("none", b + "/api/v1" + path, b_token))
    if not rounds:
        return {"name": name, "valid_rounds": 0}
    result = {
        "name": name,
        "valid_rounds": len(rounds),
        "structures_rps": _median(rounds, lambda a, b: a["rps"]),
        "none_rps": _median(rounds, lambda a, b: b["rps"]),
        "structures_latency_ms": _median(rounds, lambda a, b: a["latency_ms"]),
        "none_latency_ms": _median(rounds, lambda a, b: b["latency_ms"]),
        "slowdown": _median(rounds, lambda a, b: b["rps"] / a["rps"] if a["rps"] else 0.0),
    }
    log(
        f"median of {len(rounds)} valid rounds: structures {result['structures_rps']:.1f} req/s, "
        f"none {result['none_rps']:.1f} req/s, slowdown {result['slowdown']:.2f}×"
    )
    return result


def run_structures(args) -> list[dict]:
    structured = structure_copy(args, "steps20_" + args.structure.replace("-", "_"), bench_structure(args))
    plain = structure_copy(args, "nostructure", None)
    processes = []
    try:
        a_process, a = serve(args, "cadence (structures)", "config.wsgi", args.cadence_dir, structured)
        processes.append(a_process)
        b_process, b = serve(args, "cadence (none)", "config.wsgi", args.cadence_dir, plain)
        processes.append(b_process)
        log(f"Cadence on {structured} ({a}) and on {plain} ({b}); {args.workers} sync workers each")
        a_token, b_token = login(a, args), login(b, args)
        items = structure_endpoints(args)
        if args.only:
            items = [(n, p) for n, p in items if any(o in n for o in args.only)]
        check_same_but_structure(a, a_token, b, b_token, items)
        results = [structure_rounds(args, a, a_token, b, b_token, name, path) for name, path in items]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    log(f"\n| sessions list ({args.structure}, 20 steps) | structures req/s | none req/s | slowdown |")
    log("| --- | --- | --- | --- |")
    for r in results:
        if "slowdown" in r:
            log(f"| {r['name']} | {r['structures_rps']:.0f} | {r['none_rps']:.0f} | {r['slowdown']:.2f}× |")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--cadence-dir", type=Path, default=ROOT, help="the Cadence checkout to serve (A)")
    parser.add_argument("--athletes", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--password", default=os.environ.get("BENCH_PASSWORD", "cadence-bench"))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers, for both servers")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="A/B rounds per endpoint")
    parser.add_argument("--only", action="append", help="run only endpoints whose name contains this")
    parser.add_argument("--json", type=Path, help="write the medians here")
    parser.add_argument(
        "--structures",
        action="store_true",
        help="the sessions list with 20-step structures against the same data without (instead of the floor)",
    )
    parser.add_argument(
        "--structure",
        choices=["intervals", "ride", "strength", "strength-kg"],
        default="intervals",
        help="with --structures: the 20 steps (timed run steps, a ride with repeats, %%1RM exercise steps, or "
        "the same exercise steps with their loads in kg)",
    )
    parser.add_argument(
        "--exports", action="store_true", help="only the CPU time of FIT and Zwift exports (bench/workout_exports.py)"
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="only a 12-week template applied to 1, 10 and 100 athletes (bench/template_apply.py)",
    )
    args = parser.parse_args()
    args.cadence_dir = args.cadence_dir.resolve()
    bin_dir = Path(sys.executable).parent
    args.python = sys.executable
    args.gunicorn = str(bin_dir / "gunicorn")

    if args.exports:
        command = [args.python, str(BENCH_DIR / "workout_exports.py")]
        return subprocess.run(command, cwd=args.cadence_dir, env=django_env(args), check=False).returncode
    seed(args)
    vacuum(args)
    if args.apply:
        command = [args.python, str(BENCH_DIR / "template_apply.py")]
        return subprocess.run(command, cwd=args.cadence_dir, env=django_env(args), check=False).returncode
    if args.structures:
        results = run_structures(args)
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
        return 0
    processes = []
    try:
        cadence_process, cadence = serve(args, "cadence", "config.wsgi", args.cadence_dir)
        processes.append(cadence_process)
        floor_process, floor = serve(args, "floor", "floor:app", BENCH_DIR)
        processes.append(floor_process)
        log(f"Cadence {cadence} ({args.cadence_dir}), floor {floor}; {args.workers} sync workers each")
        try:
            token = http_json(cadence + "/api/v1/auth/token/", body={"username": "coach", "password": args.password})[
                "token"
            ]
        except urllib.error.HTTPError as exc:
            raise SystemExit(
                f"login as coach failed ({exc.code}): the database was seeded with another password; "
                "set BENCH_PASSWORD to it"
            ) from exc
        items = endpoints(args)
        if args.only:
            items = [(n, p) for n, p in items if any(o in n for o in args.only)]
        check_identical(cadence, floor, token, items)
        results = [ab_rounds(args, cadence, floor, token, name, path) for name, path in items]
        paths = dict(items)
        if "programs page 1" in paths and "programs page 30" in paths:
            results.append(depth_latency(args, cadence, token, paths["programs page 1"], paths["programs page 30"]))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)

    log("\n| endpoint | Cadence req/s | floor req/s | Cadence/floor |")
    log("| --- | --- | --- | --- |")
    for r in results:
        if "cadence_rps" in r:
            log(f"| {r['name']} | {r['cadence_rps']:.0f} | {r['floor_rps']:.0f} | {r['ratio']:.2f} |")
        elif r.get("ratio"):
            log(f"| {r['name']} | | | {r['ratio']:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
