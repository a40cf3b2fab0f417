"""The floor: the benchmark's lists served by raw psycopg 3 + orjson, no Django, same JSON body as Cadence.

What a hand-written endpoint over the same tables costs: one connection per worker (prepared statements),
the metrics computed in SQL for the page's rows only, rows turned into dicts by hand (a workout's summary and
%1RM loads by Cadence's own functions of the structure, training.workouts.structure). It does no
authentication and no permission checks, so it is a floor Cadence cannot quite reach, not a competitor.

    gunicorn --chdir bench floor:app   (DATABASE_URL=postgres://…)
"""

from __future__ import annotations

import math
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import orjson
import psycopg
from psycopg.types.json import set_json_loads

# Cadence's workout rules (a structure's summary, its %1RM loads) are plain functions of the structure, with no
# Django in them: the floor uses them rather than a second copy of the rules.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from training.workouts.structure import summary, with_resolved_loads

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cadence_bench")
MAX_PAGE_SIZE = 200

PROGRAMS_SQL = """
WITH page AS (
    SELECT id, athlete_id, title, start_date, end_date, macro_cycle, status, created_at, updated_at
    FROM training_trainingprogram ORDER BY start_date, id LIMIT %(limit)s OFFSET %(offset)s
)
SELECT page.*, (timezone(a.timezone, %(now)s::timestamptz))::date AS today,
    (SELECT count(*) FROM training_trainingsession s WHERE s.program_id = page.id AND s.status = 'completed'),
    (SELECT count(*) FROM training_trainingsession s WHERE s.program_id = page.id
        AND (s.status IN ('completed', 'skipped') OR (s.status = 'planned' AND s.scheduled_at < %(now)s))),
    COALESCE(
        (SELECT ph.id FROM training_programphase ph WHERE ph.program_id = page.id AND ph.status = 'current' LIMIT 1),
        (SELECT ph.id FROM training_programphase ph WHERE ph.program_id = page.id
            AND ph.start_date <= (timezone(a.timezone, %(now)s::timestamptz))::date
            AND ph.end_date >= (timezone(a.timezone, %(now)s::timestamptz))::date
            ORDER BY ph.phase_order, ph.id LIMIT 1)),
    (SELECT s.id FROM training_trainingsession s WHERE s.program_id = page.id AND s.status = 'planned'
        AND s.scheduled_at >= %(now)s ORDER BY s.scheduled_at, s.id LIMIT 1)
FROM page JOIN athletes_athleteprofile a ON a.id = page.athlete_id
ORDER BY page.start_date, page.id
"""

SESSIONS_SQL = """
SELECT id, program_id, phase_id, micro_cycle_id, athlete_id, title, scheduled_at, duration_minutes, modality,
    status, rpe, load::float8, planned_load::float8, completed_at, structure, updated_at
FROM training_trainingsession
WHERE athlete_id = %(athlete)s AND scheduled_at >= %(after)s AND scheduled_at < %(before)s
ORDER BY scheduled_at, id LIMIT %(limit)s OFFSET %(offset)s
"""
SESSIONS_COUNT_SQL = """
SELECT count(*) FROM training_trainingsession
WHERE athlete_id = %(athlete)s AND scheduled_at >= %(after)s AND scheduled_at < %(before)s
"""

# The athlete's estimated 1RM per exercise: the best Epley estimate over their sets of 1–12 reps whose session's
# local date is today or one of the 364 days before.
ONE_REP_MAX_SQL = """
SELECT ps.exercise_id::text, max(CASE WHEN ps.reps = 1 THEN ps.load_kg::float8
    ELSE (ps.load_kg * (30 + ps.reps))::float8 / 30.0 END)
FROM training_performedset ps
JOIN training_trainingsession s ON s.id = ps.session_id
JOIN athletes_athleteprofile a ON a.id = ps.athlete_id
WHERE ps.athlete_id = %(athlete)s AND ps.exercise_id = ANY(%(exercises)s::uuid[])
    AND ps.reps BETWEEN 1 AND 12 AND ps.load_kg IS NOT NULL
    AND (timezone(a.timezone, %(now)s::timestamptz))::date - (timezone(a.timezone, s.scheduled_at))::date
        BETWEEN 0 AND 364
GROUP BY ps.exercise_id
"""

CYCLES_SQL = """
WITH page AS (
    SELECT id, program_id, phase_id, week_index, readiness_score, status, updated_at
    FROM training_microcycle ORDER BY week_index, id LIMIT %(limit)s OFFSET %(offset)s
)
SELECT page.*,
    (SELECT count(*) FROM training_trainingsession s WHERE s.micro_cycle_id = page.id),
    (SELECT count(*) FROM training_trainingsession s WHERE s.micro_cycle_id = page.id AND s.status = 'completed')
FROM page ORDER BY page.week_index, page.id
"""

_connection: psycopg.Connection | None = None


def _db() -> psycopg.Connection:
    global _connection  # one connection per worker process, like Cadence's persistent connections
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(DATABASE_URL, autocommit=True, options="-c timezone=UTC")
        set_json_loads(orjson.loads, _connection)  # the fastest decoder for the structures' JSON
    return _connection


def _str(value) -> str | None:
    return None if value is None else str(value)


def _programs(params: dict, limit: int, offset: int) -> tuple[int, list[dict]]:
    now = datetime.now(UTC)
    db = _db()
    count = db.execute("SELECT count(*) FROM training_trainingprogram").fetchone()[0]
    results = []
    for row in db.execute(PROGRAMS_SQL, {"now": now, "limit": limit, "offset": offset}):
        pid, athlete, title, start, end, macro, status, created, updated, today, done, due, phase, nxt = row
        total = math.ceil(((end - start).days + 1) / 7)
        weeks = total if status == "completed" or today > end else max(0, min(total, (today - start).days // 7))
        results.append(
            {
                "id": str(pid),
                "athleteId": str(athlete),
                "title": title,
                "startDate": start,
                "endDate": end,
                "macroCycle": macro,
                "status": status,
                "totalWeeks": total,
                "completedWeeks": weeks,
                "adherenceRate": round(done / due, 4) if due else None,
                "currentPhaseId": _str(phase),
                "nextSessionId": _str(nxt),
                "createdAt": created,
                "updatedAt": updated,
            }
        )
    return count, results


def _sessions(params: dict, limit: int, offset: int) -> tuple[int, list[dict]]:
    args = {
        "athlete": params["athleteId"],
        "after": datetime.fromisoformat(params["scheduledAfter"]),
        "before": datetime.fromisoformat(params["scheduledBefore"]),
        "limit": limit,
        "offset": offset,
    }
    db = _db()
    count = db.execute(SESSIONS_COUNT_SQL, args).fetchone()[0]
    keys = [
        "id",
        "programId",
        "phaseId",
        "microCycleId",
        "athleteId",
        "title",
        "scheduledAt",
        "durationMinutes",
        "modality",
        "status",
        "rpe",
        "load",
        "plannedLoad",
        "completedAt",
        "structure",
        "updatedAt",
    ]
    results = []
    for row in db.execute(SESSIONS_SQL, args):
        item = dict(zip(keys, row, strict=True))
        for key in ("id", "programId", "phaseId", "microCycleId", "athleteId"):
            item[key] = _str(item[key])
        results.append(item)
    # The %1RM sets resolve at the athlete's estimates: one query for the page, only when a set needs one.
    percent = {
        step["exerciseId"]
        for item in results
        if item["structure"]
        for step in item["structure"]["steps"]
        if step["kind"] == "exercise" and any("percent1rm" in one for one in step["sets"])
    }
    estimates = {}
    if percent:
        estimates = dict(
            db.execute(
                ONE_REP_MAX_SQL, {"athlete": args["athlete"], "exercises": sorted(percent), "now": datetime.now(UTC)}
            ).fetchall()
        )
    for item in results:
        if item["structure"]:
            item["structure"] = with_resolved_loads(item["structure"], estimates, in_place=True)  # the row's own
        item["structureSummary"] = summary(item["structure"])
        item["updatedAt"] = item.pop("updatedAt")  # after structureSummary, as the API orders them
    return count, results


def _cycles(params: dict, limit: int, offset: int) -> tuple[int, list[dict]]:
    db = _db()
    count = db.execute("SELECT count(*) FROM training_microcycle").fetchone()[0]
    results = [
        {
            "id": str(cid),
            "programId": str(program),
            "phaseId": _str(phase),
            "weekIndex": week,
            "sessionsPlanned": planned,
            "sessionsCompleted": completed,
            "readinessScore": readiness,
            "status": status,
            "updatedAt": updated,
        }
        for cid, program, phase, week, readiness, status, updated, planned, completed in db.execute(
            CYCLES_SQL, {"limit": limit, "offset": offset}
        )
    ]
    return count, results


ROUTES = {"/programs/": _programs, "/sessions/": _sessions, "/micro-cycles/": _cycles}


def _page_url(environ: dict, params: dict, page: int | None) -> str | None:
    if page is None:
        return None
    query = {**params, "page": page} if page > 1 else {k: v for k, v in params.items() if k != "page"}
    host = environ.get("HTTP_HOST", "127.0.0.1")
    return f"http://{host}{environ['PATH_INFO']}" + (f"?{urlencode(query)}" if query else "")


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    handler = ROUTES.get(path)
    if path == "/ping":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"detail":"Not found."}']
    params = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    page_size = min(int(params.get("pageSize", 50)), MAX_PAGE_SIZE)
    page = int(params.get("page", 1))
    count, results = handler(params, page_size, (page - 1) * page_size)
    last = max(1, math.ceil(count / page_size))
    body = orjson.dumps(
        {
            "count": count,
            "next": _page_url(environ, params, page + 1 if page < last else None),
            "previous": _page_url(environ, params, page - 1 if page > 1 else None),
            "results": results,
        },
        option=orjson.OPT_UTC_Z,
    )
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
