"""Every list endpoint costs the same number of queries for 50 rows as for 5 (no per-row queries)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.athletes.factories import AthleteProfileFactory
from tests.connections.factories import DatabaseConnectionProfileFactory
from tests.health.factories import ConnectionHealthEventFactory
from tests.training.factories import (
    MicroCycleFactory,
    ProgramPhaseFactory,
    TrainingProgramFactory,
    TrainingSessionFactory,
)

pytestmark = pytest.mark.django_db


def _rows(resource, n, athlete):
    """n rows of `resource`, all visible to `athlete` where the resource belongs to athletes."""
    if resource == "athletes":
        AthleteProfileFactory.create_batch(n)
    elif resource == "programs":
        for _ in range(n):
            program = TrainingProgramFactory(athlete=athlete)
            ProgramPhaseFactory(program=program)
            TrainingSessionFactory(program=program, status="completed")
            TrainingSessionFactory(program=program, scheduled_at=datetime.now(UTC) + timedelta(days=1))
    elif resource == "phases":
        program = TrainingProgramFactory(athlete=athlete, end_date=datetime.now(UTC).date() + timedelta(days=3 * n))
        for i in range(n):
            start = program.start_date + timedelta(days=i * 2)
            ProgramPhaseFactory(program=program, phase_order=i + 1, start_date=start, end_date=start)
    elif resource == "micro-cycles":
        program = TrainingProgramFactory(athlete=athlete, end_date=datetime.now(UTC).date() + timedelta(weeks=n))
        for i in range(n):
            cycle = MicroCycleFactory(program=program, week_index=i + 1)
            TrainingSessionFactory(program=program, micro_cycle=cycle, status="completed")
    elif resource == "sessions":
        program = TrainingProgramFactory(athlete=athlete)
        phase = ProgramPhaseFactory(program=program)
        cycle = MicroCycleFactory(program=program, phase=phase)
        TrainingSessionFactory.create_batch(n, program=program, phase=phase, micro_cycle=cycle)
    elif resource == "connection-profiles":
        DatabaseConnectionProfileFactory.create_batch(n)
    elif resource == "health-events":
        ConnectionHealthEventFactory.create_batch(n)


def _count(client, resource):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/api/v1/{resource}/", {"pageSize": 200})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


CASES = [
    *[
        ("coach", r)
        for r in ["athletes", "programs", "phases", "micro-cycles", "sessions", "connection-profiles", "health-events"]
    ],
    # Athletes' lists are scoped by a join to their user: the scoping must not add per-row queries either.
    *[("athlete", r) for r in ["programs", "phases", "micro-cycles", "sessions"]],
]


@pytest.mark.parametrize(("role", "resource"), CASES)
def test_list_queries_do_not_grow_with_rows(resource, role, coach_client, athlete_client, athlete):
    client = coach_client if role == "coach" else athlete_client
    _rows(resource, 5, athlete)
    few, count_few = _count(client, resource)
    _rows(resource, 45, athlete)
    many, count_many = _count(client, resource)
    assert count_many == count_few + 45
    assert few == many, f"{resource}: {few} queries for {count_few} rows, {many} for {count_many}"
    # the token with its user (one query), the caller's permissions (one query), count, page; an athlete's
    # profile (is the caller an athlete?); the athletes' coachIds (one prefetch for the page); for the lists
    # with derived columns the page is two queries, its ids then their annotated rows (core.page_rows).
    budget = 4 + (role == "athlete") + (resource == "athletes") + (resource in ("programs", "micro-cycles"))
    assert many <= budget
