"""Concurrent feed URL requests for one athlete (PostgreSQL): one row, and exactly one URL works."""

import threading

import pytest
from django.db import connections

from calendars.models import CalendarFeed
from tests.support.clients import bearer_client
from tests.support.factories.athletes import AthleteProfileFactory, HeadCoachFactory
from tests.support.utils import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
N = 6


def test_concurrent_issues_leave_one_working_url():
    athlete = AthleteProfileFactory()
    clients = [bearer_client(HeadCoachFactory()) for _ in range(N)]
    barrier = threading.Barrier(N)
    results: list = [None] * N

    def run(i):
        try:
            barrier.wait()
            response = clients[i].post(f"/api/v1/athletes/{athlete.pk}/calendar-feed/")
            results[i] = (response.status_code, response.json().get("url"))
        except Exception as exc:  # a crash is a finding, not a hang
            results[i] = (repr(exc), None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [code for code, _ in results] == [201] * N
    assert CalendarFeed.objects.filter(athlete=athlete).count() == 1
    working = [url for _, url in results if clients[0].get(url.removeprefix("http://testserver")).status_code == 200]
    assert len(working) == 1
