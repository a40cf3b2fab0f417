"""core.lists.page_statement: a page's annotated rows, from SQL compiled once per process on PostgreSQL, are the
rows the ORM annotation gives (every field, every derived value), in the order of the ids asked for."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, models
from django.test.utils import CaptureQueriesContext

from core import dialect
from core.lists.page_statement import ListReads
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from training.models import MicroCycle, TrainingProgram

pytestmark = pytest.mark.django_db

ON_POSTGRES = dialect.is_postgresql(connection)


def _programs():
    """Programs whose metrics differ: athletes in zones on both sides of the date line, a current phase, a
    phase found by today's date, completed, skipped, due and future sessions, and a program with none."""
    now = datetime.now(UTC)
    today = now.date()
    programs = []
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Paris"):
        athlete = AthleteProfileFactory(timezone=zone)
        program = TrainingProgramFactory(athlete=athlete, start_date=today - timedelta(days=20))
        ProgramPhaseFactory(program=program, start_date=today - timedelta(days=1), end_date=today + timedelta(days=1))
        TrainingSessionFactory(
            program=program, scheduled_at=now - timedelta(days=3), status="completed", completed_at=now
        )
        TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=2), status="skipped")
        TrainingSessionFactory(program=program, scheduled_at=now - timedelta(days=1))
        TrainingSessionFactory(program=program, scheduled_at=now + timedelta(days=1))
        programs.append(program)
    current = TrainingProgramFactory(start_date=today - timedelta(days=40))
    ProgramPhaseFactory(program=current, status="current", phase_order=2)
    programs.append(current)
    programs.append(TrainingProgramFactory(start_date=today + timedelta(days=30)))
    return programs


def _fields(instance, names):
    return {name: getattr(instance, name) for name in names}


METRICS = ListReads(derived_columns=lambda queryset, now: queryset.with_metrics(now), page_in_one_statement=True)
COUNTS = ListReads(derived_columns=lambda queryset, now: queryset.with_session_counts(), page_in_one_statement=True)
PROGRAM_NAMES = [
    *(f.attname for f in TrainingProgram._meta.concrete_fields),
    "local_today",
    "sessions_completed_count",
    "sessions_due_count",
    "current_phase_id",
    "next_session_id",
    "total_weeks",
    "completed_weeks",
    "adherence_rate",
]


def test_program_rows_equal_the_orm_annotation_in_the_order_asked():
    programs = _programs()
    ids = [p.pk for p in reversed(programs)]
    rows = METRICS.rows_with_derived_columns(TrainingProgram, ids, using="default")
    assert [row.pk for row in rows] == ids
    expected = {p.pk: p for p in TrainingProgram.objects.with_metrics().filter(pk__in=ids)}
    for row in rows:
        assert _fields(row, PROGRAM_NAMES) == _fields(expected[row.pk], PROGRAM_NAMES)
        assert row._state.db == "default" and not row._state.adding
    # The data varies (the comparison above is not between empty values).
    assert {row.adherence_rate for row in rows} == {0.3333, None}  # 1 completed of 3 due
    assert any(row.current_phase_id for row in rows) and any(row.next_session_id for row in rows)


def test_micro_cycle_rows_carry_their_session_counts():
    cycle = MicroCycleFactory()
    TrainingSessionFactory(program=cycle.program, micro_cycle=cycle, status="completed", completed_at=datetime.now(UTC))
    TrainingSessionFactory(program=cycle.program, micro_cycle=cycle)
    empty = MicroCycleFactory(program=cycle.program, week_index=2)
    rows = COUNTS.rows_with_derived_columns(MicroCycle, [empty.pk, cycle.pk], using="default")
    assert [(r.pk, r.sessions_planned, r.sessions_completed) for r in rows] == [(empty.pk, 0, 0), (cycle.pk, 2, 1)]


def test_no_ids_no_query_and_unknown_ids_are_left_out():
    program = TrainingProgramFactory()
    with CaptureQueriesContext(connection) as ctx:
        assert METRICS.rows_with_derived_columns(TrainingProgram, [], using="default") == []
    assert ctx.captured_queries == []
    gone = TrainingProgramFactory()
    gone_pk = gone.pk
    gone.delete()
    rows = METRICS.rows_with_derived_columns(TrainingProgram, [gone_pk, program.pk], using="default")
    assert [row.pk for row in rows] == [program.pk]


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the compiled path is PostgreSQL's (SQLite's SQL depends on the instant)")
def test_postgres_compiles_once_and_reuses_the_sql_with_each_request_parameters():
    annotation = ListReads(derived_columns=lambda queryset, now: queryset.with_metrics(now), page_in_one_statement=True)
    first, second = TrainingProgramFactory(), TrainingProgramFactory()
    with CaptureQueriesContext(connection) as ctx:
        annotation.rows_with_derived_columns(TrainingProgram, [first.pk], using="default")
        annotation.rows_with_derived_columns(TrainingProgram, [second.pk, first.pk], using="default")
    compiled = annotation.compiled(TrainingProgram).compiled("default")
    assert annotation.compiled(TrainingProgram).compiled("default") is compiled
    assert len(ctx.captured_queries) == 2
    # One SQL text for both pages (the ids are one array parameter) ...
    assert compiled.sql.count("= ANY(") == 1 and "LIMIT" not in compiled.sql[compiled.sql.rindex(")") :]
    # ... run with each request's own ids and instant, not the stand-ins it was compiled with.
    second_sql = ctx.captured_queries[1]["sql"]
    assert second.pk.hex in second_sql.replace("-", "") and "1901-02-03" not in second_sql
    assert (
        len(compiled.positions["now"]) == 5
    )  # the instant: today's date, due sessions, the phase by date (2), next session


def test_an_api_page_keeps_its_order_and_metrics(coach_client):
    programs = _programs()
    body = coach_client.get("/api/v1/programs/", {"ordering": "-startDate", "pageSize": 3, "page": 2}).json()
    # Newest start first; ties by id (the ordering filter's tie-breaker).
    ordered = sorted(programs, key=lambda p: (-p.start_date.toordinal(), p.pk))
    expected = TrainingProgram.objects.with_metrics().in_bulk([p.pk for p in ordered[3:5]])
    assert [r["id"] for r in body["results"]] == [str(p.pk) for p in ordered[3:5]]
    for result in body["results"]:
        program = expected[TrainingProgram._meta.pk.to_python(result["id"])]
        assert result["adherenceRate"] == program.adherence_rate
        assert result["completedWeeks"] == program.completed_weeks
        assert result["currentPhaseId"] == (program.current_phase_id and str(program.current_phase_id))


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the one-statement page is PostgreSQL's")
def test_a_page_with_its_count_is_one_statement_equal_to_the_three_queries():
    """ListReads.one_statement_page: the count and the annotated rows of queryset[offset:offset + limit], in one
    statement, equal to the count, the ids and rows() read separately; an empty or out-of-range page gives
    the count and no rows; a DISTINCT queryset is left to the three queries (None)."""
    programs = _programs()
    queryset = TrainingProgram.objects.order_by("-start_date", "pk")
    for offset, limit in [(0, 2), (2, 2), (4, 2), (1, 10), (5, 3), (50, 5)]:
        with CaptureQueriesContext(connection) as ctx:
            count, rows = METRICS.one_statement_page(queryset, offset, limit)
        assert len(ctx.captured_queries) == 1
        ids = list(queryset.values_list("pk", flat=True)[offset : offset + limit])
        assert count == len(programs) and [row.pk for row in rows] == ids
        expected = {row.pk: row for row in METRICS.rows_with_derived_columns(TrainingProgram, ids, using="default")}
        for row in rows:
            assert _fields(row, PROGRAM_NAMES) == _fields(expected[row.pk], PROGRAM_NAMES)
            assert row._state.db == "default" and not row._state.adding
    assert METRICS.one_statement_page(TrainingProgram.objects.none(), 0, 5) == (0, [])
    assert METRICS.one_statement_page(TrainingProgram.objects.filter(title="no such program"), 0, 5) == (0, [])
    assert METRICS.one_statement_page(queryset.distinct(), 0, 5) is None


LISTS = ["/api/v1/programs/", "/api/v1/phases/", "/api/v1/micro-cycles/", "/api/v1/sessions/"]


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the one-statement page is PostgreSQL's")
@pytest.mark.parametrize("path", LISTS)
def test_an_api_list_is_read_in_one_statement_after_the_token(path, coach_client, monkeypatch):
    """A numbered list page on PostgreSQL: the token (with the caller's permissions), then one statement for the
    count and the page's rows, the same body as the separate queries give (ListReads.one_statement_page switched off);
    `last`, a keyset page and a page past the end still answer as before."""
    programs = _programs()
    for program in programs[:3]:
        MicroCycleFactory(program=program, week_index=1)
        MicroCycleFactory(program=program, week_index=2)
    query = {"pageSize": 2, "page": 2}
    with CaptureQueriesContext(connection) as ctx:
        body = coach_client.get(path, query).json()
    token, page = (query["sql"] for query in ctx.captured_queries)
    assert 'FROM "knox_authtoken"' in token and 'FROM "auth_permission"' in token  # the caller's permissions too
    assert page.startswith("WITH cadence_page AS MATERIALIZED")
    assert body["count"] >= 4 and len(body["results"]) == 2
    pages = [
        coach_client.get(path, {"pageSize": 2, "page": n}).json() for n in range(1, 40) if n <= -(-body["count"] // 2)
    ]
    last = coach_client.get(path, {"pageSize": 2, "page": "last"}).json()
    assert last["results"] == pages[-1]["results"]
    assert coach_client.get(path, {"pageSize": 2, "page": len(pages) + 1}).status_code == 404
    monkeypatch.setattr(ListReads, "one_statement_page", lambda self, queryset, offset, limit: None)
    with CaptureQueriesContext(connection) as ctx:
        separate = [coach_client.get(path, {"pageSize": 2, "page": n}).json() for n in range(1, len(pages) + 1)]
    assert separate == pages
    assert not any(q["sql"].startswith("WITH cadence_page") for q in ctx.captured_queries)
    walked = []
    cursor_page = coach_client.get(path, {"pageSize": 2, "pagination": "cursor"}).json()
    while True:
        walked += cursor_page["results"]
        if not cursor_page["next"]:
            break
        cursor_page = coach_client.get(cursor_page["next"]).json()
    assert sorted(r["id"] for r in walked) == sorted(r["id"] for p in pages for r in p["results"])


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the compiled rows (and their instances) are PostgreSQL's")
def test_rows_built_without_model_init_equal_those_built_with_it():
    """Without init signals the page's instances skip Model.__init__ (core.lists.page_statement.ListReads._instances);
    with a post_init receiver they go through it and the receiver sees them. Both give the same instances."""
    from django.db.models import signals

    programs = _programs()
    ids = [p.pk for p in programs]
    fast = METRICS.rows_with_derived_columns(TrainingProgram, ids, using="default")
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(receiver, sender=TrainingProgram)
    try:
        slow = METRICS.rows_with_derived_columns(TrainingProgram, ids, using="default")
    finally:
        signals.post_init.disconnect(receiver, sender=TrainingProgram)
    assert seen and all(any(row is instance for instance in seen) for row in slow)
    for a, b in zip(fast, slow, strict=True):
        assert {k: v for k, v in vars(a).items() if k != "_state"} == {
            k: v for k, v in vars(b).items() if k != "_state"
        }
        assert (a._state.db, a._state.adding) == (b._state.db, b._state.adding) == ("default", False)
        assert _fields(a, PROGRAM_NAMES) == _fields(b, PROGRAM_NAMES)


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the one-statement page is PostgreSQL's")
def test_a_model_with_its_own_from_db_gets_its_instances_from_it():
    """TrainingSession.from_db remembers the stored values (for its change checks): its page rows come from it."""
    from training.models import TrainingSession

    for _ in range(3):
        TrainingSessionFactory()
    queryset = TrainingSession.objects.order_by("scheduled_at", "pk")
    _, rows = ListReads(derived_columns=None, page_in_one_statement=True).one_statement_page(queryset, 0, 3)
    plain = list(queryset[0:3])
    assert [row.pk for row in rows] == [row.pk for row in plain] and len(rows) == 3
    for row, expected in zip(rows, plain, strict=True):
        assert hasattr(expected, "_stored") and row._stored == expected._stored
        assert {k: v for k, v in vars(row).items() if k != "_state"} == {
            k: v for k, v in vars(expected).items() if k != "_state"
        }


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the one-statement page is PostgreSQL's")
def test_querysets_the_one_statement_cannot_reproduce_take_the_separate_queries():
    """page() gives None (the caller reads the count and the rows separately) for a queryset that asks for more
    than the model's rows, or whose joins can repeat a row; a forward join is fine."""
    from training.models import TrainingSession

    programs = _programs()
    base = TrainingProgram.objects.order_by("start_date", "pk")
    refused = [
        base.distinct(),
        base.select_related("athlete"),
        base.prefetch_related("phases"),
        base.only("title"),
        base.defer("title"),
        base.annotate(n=models.Count("sessions")),
        base.filter(sessions__status="planned"),  # a program once per planned session
        TrainingProgram.objects.order_by("sessions__scheduled_at"),  # the to-many join comes with ORDER BY
        base.union(base),
    ]
    for queryset in refused:
        assert METRICS.one_statement_page(queryset, 0, 4) is None, queryset.query
    count, rows = METRICS.one_statement_page(base.filter(athlete__display_name__isnull=False), 0, 4)
    assert count == len(programs) and len(rows) == 4
    plain = ListReads(derived_columns=None, page_in_one_statement=True)
    assert plain.one_statement_page(TrainingSession.objects.select_related("program").order_by("pk"), 0, 2) is None


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the one-statement page is PostgreSQL's")
@pytest.mark.parametrize("role", ["head coach", "coach", "athlete"])
@pytest.mark.parametrize("path", LISTS)
def test_every_role_gets_its_lists_in_one_statement(role, path):
    """The callers' scopes (a coach's athletes, an athlete's own rows) filter with subqueries, not to-many
    joins, so each role's numbered pages keep the one-statement read."""
    from tests.support.clients import bearer_client
    from tests.support.factories.athletes import CoachFactory, HeadCoachFactory

    programs = _programs()
    for program in programs:
        MicroCycleFactory(program=program, week_index=1)
    owner = programs[0].athlete
    if role == "head coach":
        client = bearer_client(HeadCoachFactory())
    elif role == "coach":
        coach = CoachFactory()
        owner.coaches.add(coach)
        client = bearer_client(coach)
    else:
        client = bearer_client(owner.user)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(path, {"pageSize": 2}).json()
    assert body["count"] >= 1 and body["results"]
    assert ctx.captured_queries[-1]["sql"].startswith("WITH cadence_page AS MATERIALIZED")
    sqls = [q["sql"] for q in ctx.captured_queries]
    # The token with the user, their athlete profile and permissions (core.auth); then the page.
    assert len(sqls) == 2, [sql[:80] for sql in sqls]
