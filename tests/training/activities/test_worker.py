"""The real worker (`manage.py db_worker` in subprocesses, against PostgreSQL): every kind of bad file ends
`failed` with its reason while the worker goes on to the next job, and two workers in parallel run each of a
hundred jobs exactly once."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from tests.support.activity_files import (
    entity_bomb,
    fit_activity,
    gpx_activity,
    gzip_bomb,
    gzip_bytes,
    tcx_activity,
    upload,
)
from tests.support.clients import bearer_client
from tests.support.factories.athletes import CoachFactory, InvitableAthleteFactory, ensure_role_groups
from tests.support.workers import start_workers, wait_for
from training.activities.models import Activity

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coach_and_athlete():
    ensure_role_groups()
    coach = CoachFactory()
    athlete = InvitableAthleteFactory(max_heart_rate=190)
    athlete.coaches.add(coach)
    return bearer_client(coach), athlete


def test_bad_files_fail_with_their_reason_and_the_worker_goes_on(coach_and_athlete, tmp_path):
    client, athlete = coach_and_athlete
    fit = fit_activity(seconds=600)
    files = [
        ("first.fit", fit, "done", ""),
        ("bomb.gpx", entity_bomb(), "failed", "entity bomb"),
        ("bomb.fit.gz", gzip_bomb(26 * 1024 * 1024), "failed", "grows past the limit"),
        ("cut.fit", fit[: len(fit) // 2], "failed", "truncated"),
        ("cut.tcx", tcx_activity()[:500], "failed", "not well-formed"),
        ("empty.gpx.gz", gzip_bytes(b""), "failed", "empty"),
        ("garbage.fit", b"\x00\x01not a fit file" * 10, "failed", "Not a FIT file"),
        ("last.gpx", gpx_activity(), "done", ""),
    ]
    ids = {}
    for name, data, _, _ in files:
        response = upload(client, athlete.pk, name, data)
        assert response.status_code == 202, response.content
        ids[name] = response.json()["id"]
    wait_for(start_workers(1, tmp_path), tmp_path)
    for name, _, status, reason in files:
        body = client.get(f"/api/v1/activities/{ids[name]}/").json()
        assert (name, body["status"]) == (name, status)
        assert reason in body["error"], (name, body["error"])
    assert client.get(f"/api/v1/activities/{ids['first.fit']}/").json()["trimp"] is not None
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_two_workers_process_a_hundred_files_each_exactly_once(coach_and_athlete, tmp_path):
    client, athlete = coach_and_athlete
    for i in range(100):
        data = fit_activity(seconds=300, step=30, serial=i + 1)
        assert upload(client, athlete.pk, f"ride-{i}.fit", data).status_code == 202
    assert DBTaskResult.objects.ready().count() == 100
    wait_for(start_workers(2, tmp_path), tmp_path)
    assert Activity.objects.filter(athlete=athlete, status="done").count() == 100
    jobs = list(DBTaskResult.objects.values_list("status", "worker_ids"))
    assert len(jobs) == 100
    assert all(status == "SUCCESSFUL" and len(workers) == 1 for status, workers in jobs)  # each run once
    by_worker = {workers[0] for _, workers in jobs}
    assert by_worker == {"test-worker-0", "test-worker-1"}  # both took part
    # Each activity was written by its job once: created (version 1), then its figures (version 2).
    assert set(Activity.objects.filter(athlete=athlete).values_list("version", flat=True)) == {2}
