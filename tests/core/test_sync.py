"""Incremental sync: `?updatedAfter=` on every list, and keyset (cursor) pages that walk a result once."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from athletes.models import AthleteProfile
from connections.models import DatabaseConnectionProfile
from core.lists.cursors import cursor_scope, decode_cursor, encode_cursor
from health.models import ConnectionHealthEvent
from tests.support.factories.athletes import AthleteProfileFactory
from tests.support.factories.connections import DatabaseConnectionProfileFactory
from tests.support.factories.health import ConnectionHealthEventFactory
from tests.support.factories.training import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)
from tests.support.utils import postgres_only
from training.models import MicroCycle, ProgramPhase, TrainingProgram, TrainingSession

pytestmark = pytest.mark.django_db

T = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
SESSIONS = cursor_scope(TrainingSession.objects.all())


def _three(resource):
    """Three rows of `resource` (the coach sees them all), and the model and column their change time is in."""
    if resource == "athletes":
        return AthleteProfileFactory.create_batch(3), AthleteProfile, "updated_at"
    if resource == "programs":
        return TrainingProgramFactory.create_batch(3), TrainingProgram, "updated_at"
    if resource == "phases":
        program = TrainingProgramFactory()
        rows = [ProgramPhaseFactory(program=program, phase_order=i + 1) for i in range(3)]
        for i, phase in enumerate(rows):  # non-overlapping days
            ProgramPhase.objects.filter(pk=phase.pk).update(
                start_date=program.start_date + timedelta(days=i), end_date=program.start_date + timedelta(days=i)
            )
        return rows, ProgramPhase, "updated_at"
    if resource == "micro-cycles":
        program = TrainingProgramFactory()
        return [MicroCycleFactory(program=program, week_index=i + 1) for i in range(3)], MicroCycle, "updated_at"
    if resource == "sessions":
        return TrainingSessionFactory.create_batch(3), TrainingSession, "updated_at"
    if resource == "connection-profiles":
        return DatabaseConnectionProfileFactory.create_batch(3), DatabaseConnectionProfile, "updated_at"
    if resource == "health-events":
        return ConnectionHealthEventFactory.create_batch(3), ConnectionHealthEvent, "checked_at"
    raise AssertionError(resource)


RESOURCES = ["athletes", "programs", "phases", "micro-cycles", "sessions", "connection-profiles", "health-events"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_updated_after_is_exclusive_at_the_boundary(resource, coach_client):
    rows, model, column = _three(resource)
    before, at, after = rows
    model.objects.filter(pk=before.pk).update(**{column: T - MICRO})
    model.objects.filter(pk=at.pk).update(**{column: T})
    model.objects.filter(pk=after.pk).update(**{column: T + MICRO})

    response = coach_client.get(f"/api/v1/{resource}/", {"updatedAfter": "2030-01-01T12:00:00Z"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(after.pk)]

    # The same instant written with an offset is the same boundary.
    response = coach_client.get(f"/api/v1/{resource}/", {"updatedAfter": "2030-01-01T13:00:00+01:00"})
    assert [row["id"] for row in response.json()["results"]] == [str(after.pk)]

    response = coach_client.get(f"/api/v1/{resource}/", {"updatedAfter": "2030-01-01T11:59:59.999999Z"})
    assert {row["id"] for row in response.json()["results"]} == {str(at.pk), str(after.pk)}


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("value", ["yesterday", "2030-13-01T00:00:00Z", "2030-01-01T25:00:00Z", "1\x00"])
def test_unparseable_updated_after_is_400(resource, value, coach_client):
    response = coach_client.get(f"/api/v1/{resource}/", {"updatedAfter": value})
    assert response.status_code == 400
    assert "updatedAfter" in response.json()


def test_athlete_updated_after_stays_scoped(athlete_client, athlete, other_athlete):
    mine = TrainingSessionFactory(program=TrainingProgramFactory(athlete=athlete))
    TrainingSessionFactory(program=TrainingProgramFactory(athlete=other_athlete))
    response = athlete_client.get("/api/v1/sessions/", {"updatedAfter": "2000-01-01T00:00:00Z"})
    assert [row["id"] for row in response.json()["results"]] == [str(mine.pk)]


# --- Keyset pages ---------------------------------------------------------------------------------


def _walk(client, url, params, between=None):
    """Follow `next` links from the first cursor page; `between(page_number)` runs after each page."""
    seen, pages = [], 0
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert "count" not in body and body["previous"] is None
        seen.extend(body["results"])
        pages += 1
        if body["next"] is None:
            return seen, pages
        if between is not None:
            between(pages)
        response = client.get(body["next"])


def _make(resource, athlete):
    program = TrainingProgramFactory(athlete=athlete, start_date=T.date(), end_date=T.date() + timedelta(days=83))
    if resource == "programs":
        return program
    return TrainingSessionFactory(program=program)


@pytest.mark.parametrize("resource", ["sessions", "programs"])
def test_cursor_walk_visits_every_row_once_under_inserts_and_updates(resource, coach_client, athlete):
    rows = [_make(resource, athlete) for _ in range(23)]
    model = type(rows[0])
    changed_after_visit: set[str] = set()
    visited: set[str] = set()
    inserted: list = []

    def between(page):
        # Insert a new row, update one already shown and one not yet shown, between every two pages.
        inserted.append(_make(resource, athlete))
        shown = [row for row in rows if str(row.pk) in visited and str(row.pk) not in changed_after_visit]
        waiting = [row for row in rows if str(row.pk) not in visited]
        for row in shown[:1] + waiting[-1:]:
            row.refresh_from_db()
            row.title = f"{row.title}!"
            row.save()
            if str(row.pk) in visited:
                changed_after_visit.add(str(row.pk))

    seen, pages = [], 0
    response = coach_client.get(f"/api/v1/{resource}/", {"pagination": "cursor", "pageSize": 4})
    while True:
        assert response.status_code == 200
        body = response.json()
        seen.extend(body["results"])
        visited |= {row["id"] for row in body["results"]}
        pages += 1
        if body["next"] is None:
            break
        between(pages)
        response = coach_client.get(body["next"])

    ids = [row["id"] for row in seen]
    everything = {str(pk) for pk in model.objects.values_list("pk", flat=True)}
    assert set(ids) == everything  # nothing skipped, inserted rows included
    assert len(inserted) == pages - 1 and len(everything) == 23 + len(inserted)
    for pk in everything:
        # A row is shown once; a row changed after it was shown is shown again, with its new content.
        assert ids.count(pk) == (2 if pk in changed_after_visit else 1), pk
    assert changed_after_visit  # the walk did revisit updated rows
    # The order is (updatedAt, id).
    keys = [(row["updatedAt"], row["id"]) for row in seen]
    assert all(keys[i] < keys[i + 1] for i in range(len(keys) - 1) if seen[i]["id"] not in changed_after_visit)


def test_cursor_pages_keep_filters_and_break_ties_by_id(coach_client, athlete, other_athlete):
    program = TrainingProgramFactory(athlete=athlete)
    mine = TrainingSessionFactory.create_batch(7, program=program)
    TrainingSessionFactory.create_batch(3, program=TrainingProgramFactory(athlete=other_athlete))
    # Same updated_at for all: only the id orders them.
    TrainingSession.objects.update(updated_at=T)
    seen, pages = _walk(
        coach_client,
        "/api/v1/sessions/",
        {"pagination": "cursor", "pageSize": 3, "athleteId": str(athlete.pk), "updatedAfter": "2029-12-31T00:00:00Z"},
    )
    assert pages == 3
    assert [row["id"] for row in seen] == sorted(str(s.pk) for s in mine)


def test_cursor_next_link_carries_camelcase_filters(coach_client, athlete):
    TrainingSessionFactory.create_batch(3, program=TrainingProgramFactory(athlete=athlete))
    body = coach_client.get(
        "/api/v1/sessions/", {"pagination": "cursor", "pageSize": 2, "athleteId": str(athlete.pk)}
    ).json()
    query = parse_qs(urlsplit(body["next"]).query)
    assert query["athleteId"] == [str(athlete.pk)] and query["pageSize"] == ["2"] and query["pagination"] == ["cursor"]
    assert (
        decode_cursor(query["cursor"][0], scope=SESSIONS)[1]
        == TrainingSession.objects.order_by("updated_at", "id")[1].pk
    )


def test_cursor_page_is_scoped_for_athletes(athlete_client, athlete, other_athlete):
    mine = TrainingSessionFactory.create_batch(3, program=TrainingProgramFactory(athlete=athlete))
    TrainingSessionFactory.create_batch(3, program=TrainingProgramFactory(athlete=other_athlete))
    seen, _ = _walk(athlete_client, "/api/v1/sessions/", {"pagination": "cursor", "pageSize": 2})
    assert sorted(row["id"] for row in seen) == sorted(str(s.pk) for s in mine)


def test_empty_cursor_starts_at_the_beginning(coach_client):
    TrainingSessionFactory.create_batch(2)
    body = coach_client.get("/api/v1/sessions/", {"cursor": ""}).json()
    assert len(body["results"]) == 2 and body["next"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "%%%"},
        {"cursor": encode_cursor(T, uuid.uuid4(), scope=SESSIONS)[:-3] + "@@@"},
        {"cursor": "MjAzMC0wMS0wMXxub3QtYS11dWlk"},  # "2030-01-01|not-a-uuid"
        {"cursor": "x" * 500},
        {"cursor": "a\x00b"},
        {"pagination": "cursor", "ordering": "-scheduledAt"},
        {"pagination": "keyset"},
        {"pagination": "page", "cursor": ""},
        {"pagination": "cursor", "cursor": "", "ordering": "updatedAt"},
    ],
)
def test_bad_cursor_requests_are_400(params, coach_client):
    TrainingSessionFactory()
    response = coach_client.get("/api/v1/sessions/", params)
    assert response.status_code == 400, response.content
    assert set(response.json()) & {"cursor", "ordering", "pagination"}


def test_naive_cursor_timestamp_is_400(coach_client):
    raw = base64.urlsafe_b64encode(b"2030-01-01T00:00:00|0190a1b2-0000-7000-8000-000000000000").decode()
    assert coach_client.get("/api/v1/sessions/", {"cursor": raw}).status_code == 400


def test_cursor_round_trip():
    pk = uuid.uuid4()
    stamp = datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(stamp, pk, scope=SESSIONS), scope=SESSIONS) == (stamp, pk)


@pytest.mark.parametrize("resource", ["sessions", "programs"])
def test_cursor_page_costs_the_same_at_any_depth_and_never_counts(resource, coach_client, athlete):
    for _ in range(30):
        _make(resource, athlete)

    def queries(url, params=None):
        with CaptureQueriesContext(connection) as ctx:
            response = coach_client.get(url, params)
        assert response.status_code == 200
        return ctx.captured_queries, response.json()

    first, body = queries(f"/api/v1/{resource}/", {"pagination": "cursor", "pageSize": 5})
    for _ in range(4):
        deep, body = queries(body["next"])
    assert len(first) == len(deep) <= 4  # knox token (+ user), the caller's permissions, the page; no COUNT
    assert not any("__count" in q["sql"] for q in first + deep)  # no COUNT(*) of the result


@pytest.mark.parametrize("params", [{}, {"pagination": "page"}])
def test_page_numbers_are_unchanged_without_the_switch(params, coach_client):
    TrainingSessionFactory.create_batch(3)
    body = coach_client.get("/api/v1/sessions/", {"pageSize": 2, **params}).json()
    assert body["count"] == 3 and "page=2" in body["next"]


def _scanned_rows(plan: dict) -> int:
    """Rows the plan's scans read (those they returned and those their filters dropped), over the whole tree."""
    own = 0
    if "Scan" in plan["Node Type"]:
        own = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)) * plan.get("Actual Loops", 1)
    return own + sum(_scanned_rows(child) for child in plan.get("Plans", []))


@postgres_only
def test_a_deep_cursor_page_reads_only_its_rows_even_among_equal_timestamps(coach_client, athlete):
    program = TrainingProgramFactory(athlete=athlete)
    TrainingSessionFactory.create_batch(300, program=program)
    TrainingSession.objects.update(updated_at=T)  # one long run of equal updated_at, as a bulk write leaves
    deep = TrainingSession.objects.order_by("updated_at", "id").values("updated_at", "id")[250]
    with CaptureQueriesContext(connection) as ctx:
        response = coach_client.get(
            "/api/v1/sessions/", {"pageSize": 5, "cursor": encode_cursor(**deep_key(deep), scope=SESSIONS)}
        )
    assert response.status_code == 200 and len(response.json()["results"]) == 5
    page_sql = next(q["sql"] for q in ctx.captured_queries if 'FROM "training_trainingsession"' in q["sql"])
    with connection.cursor() as cursor:
        # 300 rows are few enough for a sequential scan to look cheaper; a real table is not. Ask for the plan
        # the index allows: the row comparison must be usable as the index condition itself.
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + page_sql)
            plan = json.loads(cursor.fetchone()[0])[0]["Plan"]  # json columns read as text (core.fields)
        finally:
            cursor.execute("RESET enable_seqscan")
    assert _scanned_rows(plan) <= 6, plan  # the page and one more, not the 250 rows before it


def deep_key(row):
    return {"updated_at": row["updated_at"], "pk": row["id"]}


def test_a_row_updated_between_a_cursor_pages_two_queries_does_not_skip_the_rest(coach_client, monkeypatch):
    """A list with derived columns reads a cursor page's keys, then the rows of those ids. A row updated in
    between comes back with its new updatedAt, but the next cursor is the key the first query read: the walk
    still meets every row (the edited one may be met again, later in the order)."""
    from core.lists.page_statement import ListReads
    from tests.support.factories.training import TrainingProgramFactory
    from training.models import TrainingProgram

    programs = [TrainingProgramFactory() for _ in range(6)]
    original = ListReads.rows_with_derived_columns
    edited = []

    def rows_after_a_concurrent_write(self, model, ids, *, using):
        if not edited and model is TrainingProgram:
            program = TrainingProgram.objects.get(pk=ids[-1])
            program.title = "Edited meanwhile"
            program.save()
            edited.append(program.pk)
        return original(self, model, ids, using=using)

    monkeypatch.setattr(ListReads, "rows_with_derived_columns", rows_after_a_concurrent_write)
    seen, url = [], "/api/v1/programs/?pagination=cursor&pageSize=2"
    while url:
        body = coach_client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert edited
    assert {str(p.pk) for p in programs} <= set(seen)
