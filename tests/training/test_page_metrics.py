"""Lists compute their annotations (program metrics, micro-cycle session counts) for the page's rows only."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import dialect
from tests.support.factories.training import MicroCycleFactory, TrainingProgramFactory, TrainingSessionFactory
from training.models import MicroCycle, TrainingProgram

pytestmark = pytest.mark.django_db

PAGE_SIZE = 2
PROGRAMS = 12


def _programs():
    first = datetime.now(UTC).date() - timedelta(days=40)
    for i in range(PROGRAMS):
        program = TrainingProgramFactory(start_date=first + timedelta(days=i))
        start = datetime.combine(program.start_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
        TrainingSessionFactory(program=program, scheduled_at=start, status="completed", completed_at=start)
        TrainingSessionFactory(program=program, scheduled_at=datetime.now(UTC) + timedelta(days=2))


def _cycles(athlete):
    program = TrainingProgramFactory(athlete=athlete, end_date=datetime.now(UTC).date() + timedelta(weeks=PROGRAMS))
    for week in range(1, PROGRAMS + 1):
        cycle = MicroCycleFactory(program=program, week_index=week)
        TrainingSessionFactory(program=program, micro_cycle=cycle)


def _page_queries(client, path, marker):
    """The request's queries: the ones that compute the annotations (name `marker`) and the others."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    annotated = [q["sql"] for q in ctx.captured_queries if marker in q["sql"]]
    others = [q["sql"] for q in ctx.captured_queries if marker not in q["sql"]]
    return response.json(), annotated, others


def _annotated_query(client, path, marker):
    """The SQL of the one query of the request that computes the annotations (names `marker`)."""
    body, annotated, _ = _page_queries(client, path, marker)
    assert len(annotated) == 1, annotated
    return body, annotated[0]


UUID_TEXT = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


CASES = [
    ("/api/v1/programs/", "sessions_due_count", _programs),
    ("/api/v1/micro-cycles/", "sessions_completed", None),
]


@pytest.mark.parametrize(("path", "marker", "make"), CASES)
@pytest.mark.parametrize("pagination", ["page", "cursor"])
def test_the_annotated_query_reads_the_page_ids_only(path, marker, make, pagination, coach_client, athlete):
    """Structural, on any database: the page is cut on the bare rows (LIMIT/OFFSET, or the keyset's LIMIT, in
    a query without the annotations); the query with the annotations has no LIMIT/OFFSET and names exactly
    the ids of the page it answers, so it computes them for the page's rows only."""
    (make or (lambda: _cycles(athlete)))()
    query = f"pageSize={PAGE_SIZE}&page=4" if pagination == "page" else f"pageSize={PAGE_SIZE}&pagination=cursor"
    body, annotated, others = _page_queries(coach_client, f"{path}?{query}", marker)
    assert len(body["results"]) == PAGE_SIZE
    assert len(annotated) == 1, annotated
    sql = annotated[0]
    if dialect.is_postgresql(connection) and pagination == "page":
        _assert_one_statement_annotates_the_cut_ids(sql, marker, f"LIMIT {PAGE_SIZE} OFFSET {3 * PAGE_SIZE}")
        assert not any("training_" in other for other in others), others  # no separate count or ids query
        return
    outer = sql[sql.rindex(")") :]  # after the last subquery closes (the metric subqueries have LIMIT 1)
    assert "LIMIT" not in outer and "OFFSET" not in sql, outer
    named = {uuid.UUID(text) for text in UUID_TEXT.findall(sql)}
    assert named == {uuid.UUID(row["id"]) for row in body["results"]}, sql
    cut = f"LIMIT {PAGE_SIZE} OFFSET {3 * PAGE_SIZE}" if pagination == "page" else f"LIMIT {PAGE_SIZE + 1}"
    assert any(sql.rstrip().endswith(cut) for sql in others), others


def _assert_one_statement_annotates_the_cut_ids(sql: str, marker: str, cut: str) -> None:
    """PostgreSQL, page numbers (core.lists.page_statement.ListReads.one_statement_page): one statement; its
    `cadence_page` reads the count and the page's ids from the bare rows, cut there (`cut`), and the annotated rows
    are a LATERAL query whose only row filter is those ids, with no LIMIT/OFFSET of its own."""
    head, _, rest = sql.partition(" SELECT cadence_page.total, cadence_rows.* FROM cadence_page LEFT JOIN LATERAL (")
    rows, _, tail = rest.rpartition(") AS cadence_rows (")
    assert head.startswith("WITH cadence_page AS MATERIALIZED (SELECT (SELECT count(*) FROM ("), sql
    ids = head[head.index("ARRAY(") :]
    assert ids.endswith(f"{cut}) AS ids)") and marker not in ids and marker not in head, head
    assert re.search(r" = ANY\(cadence_page\.ids(::uuid\[\])?\)$", rows) and "OFFSET" not in rows, rows
    outer = rows[rows.rindex(")") :]  # after the last metric subquery closes (they have LIMIT 1)
    assert "LIMIT" not in outer, outer
    assert not UUID_TEXT.findall(rows), rows  # no id of its own: the page's ids only
    assert "ORDER BY array_position(cadence_page.ids, cadence_rows.c" in tail, tail


def test_every_page_holds_the_rows_and_metrics_of_the_unpaginated_list(coach_client):
    _programs()
    expected = [
        (str(p.pk), p.adherence_rate, p.next_session_id and str(p.next_session_id))
        for p in TrainingProgram.objects.with_metrics().order_by("start_date", "id")
    ]
    seen = []
    for page in range(1, PROGRAMS // PAGE_SIZE + 1):
        results = coach_client.get("/api/v1/programs/", {"pageSize": PAGE_SIZE, "page": page}).json()["results"]
        seen += [(r["id"], r["adherenceRate"], r["nextSessionId"]) for r in results]
    assert seen == expected
    assert {rate for _, rate, _ in seen} == {1.0}


def test_micro_cycle_pages_carry_their_own_counts(coach_client, athlete):
    _cycles(athlete)
    counts = {str(c.pk): c.sessions_planned for c in MicroCycle.objects.with_session_counts()}
    results = coach_client.get("/api/v1/micro-cycles/", {"pageSize": PAGE_SIZE, "page": 5}).json()["results"]
    assert [r["weekIndex"] for r in results] == [9, 10]
    assert all(r["sessionsPlanned"] == counts[r["id"]] == 1 for r in results)


def test_an_athletes_page_is_scoped_before_it_is_cut(athlete_client, athlete):
    """The id subquery carries the caller's scope: another athlete's programs never fill an athlete's page."""
    _programs()  # other athletes' programs, earlier start dates
    mine = [TrainingProgramFactory(athlete=athlete) for _ in range(3)]
    body = athlete_client.get("/api/v1/programs/", {"pageSize": PAGE_SIZE, "page": 2}).json()
    assert body["count"] == 3
    assert [r["id"] for r in body["results"]] == [str(sorted(mine, key=lambda p: (p.start_date, p.pk))[2].pk)]


def _subplan_loops(plan: dict) -> int:
    """How many times the plan's correlated subqueries (SubPlans) ran, summed over them."""
    total = 0
    if plan.get("Parent Relationship") == "SubPlan":
        total += plan["Actual Loops"]
    for child in plan.get("Plans", []):
        total += _subplan_loops(child)
    return total


@pytest.mark.postgres
@pytest.mark.skipif(not dialect.is_postgresql(connection), reason="EXPLAIN ANALYZE is PostgreSQL's")
@pytest.mark.parametrize(("path", "marker", "make"), CASES)
def test_metric_subqueries_visit_the_same_rows_on_page_1_and_page_6(path, marker, make, coach_client, athlete):
    """EXPLAIN (ANALYZE, FORMAT JSON) of the list's own query: the correlated subqueries run once per row of
    the page, however deep the page is (before, page 6 ran them for the 10 rows before its OFFSET too)."""
    (make or (lambda: _cycles(athlete)))()
    loops = {}
    for page in (1, 6):
        _, sql = _annotated_query(coach_client, f"{path}?pageSize={PAGE_SIZE}&page={page}", marker)
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        loops[page] = _subplan_loops(plan[0]["Plan"])
    assert loops[1] > 0
    assert loops[6] == loops[1], loops
