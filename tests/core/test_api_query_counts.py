"""Every list endpoint costs the same number of queries for 50 rows as for 5 (no per-row queries), within the
budget tests.support.resources gives it: one case per routed resource and role counted there."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.resources import RESOURCES

pytestmark = pytest.mark.django_db


def _count(client, resource):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(resource.list_path, {"pageSize": 200})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.json()["count"]


# Athletes' lists are scoped by a join to their user: the scoping must not add per-row queries either.
CASES = [(role, r.prefix) for role in ("coach", "athlete") for r in RESOURCES.values() if role in r.counted_roles]


@pytest.mark.parametrize(("role", "resource"), CASES)
def test_list_queries_do_not_grow_with_rows(resource, role, coach_client, athlete_client, athlete):
    entry = next(r for r in RESOURCES.values() if r.prefix == resource)
    client = coach_client if role == "coach" else athlete_client
    entry.make_rows(5, athlete)
    few, count_few = _count(client, entry)
    entry.make_rows(45, athlete)
    many, count_many = _count(client, entry)
    assert count_many == count_few + 45
    assert few == many, f"{resource}: {few} queries for {count_few} rows, {many} for {count_many}"
    # the token with its user (one query), the caller's permissions (one query), count, page; an athlete's
    # profile (is the caller an athlete?); and what the registry adds for the resource: the athletes' coachIds
    # (one prefetch for the page); for the lists with derived columns the page is two queries, its ids then their
    # annotated rows (core.lists.page_statement).
    own = entry.list_queries_on_postgresql if connection.vendor == "postgresql" else None
    budget = (own or entry.list_queries) + (role == "athlete")
    assert many <= budget


def test_every_registered_resource_is_counted_for_a_coach():
    assert {resource for role, resource in CASES if role == "coach"} == {r.prefix for r in RESOURCES.values()}
