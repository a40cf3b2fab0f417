"""The real worker (`manage.py db_worker` in subprocesses, against PostgreSQL): every kind of bad file ends
`failed` with its reason while the worker goes on to the next job, and two workers in parallel run each of a
hundred jobs exactly once."""

from __future__ import annotations

from datetime import UTC, datetime

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
from tests.support.factories.training import ActivityFactory, TrainingProgramFactory, TrainingSessionFactory
from tests.support.utils import status_codes_at_once
from tests.support.workers import start_workers, wait_for
from training.activities.models import Activity
from training.models import TrainingSession

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def coach_and_athlete():
    ensure_role_groups()
    coach = CoachFactory()
    athlete = InvitableAthleteFactory(max_heart_rate=190)
    athlete.coaches.add(coach)
    client = bearer_client(coach)
    client.coach = coach
    return client, athlete


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


def test_the_same_file_uploaded_twice_at_once_is_one_activity(coach_and_athlete):
    client, athlete = coach_and_athlete
    data = gpx_activity()
    other = bearer_client(client.coach)  # a client of its own for the other thread
    codes = status_codes_at_once(
        [lambda: upload(client, athlete.pk, "a.gpx", data), lambda: upload(other, athlete.pk, "b.gpx", data)]
    )
    assert sorted(codes) == [200, 202]
    assert Activity.objects.filter(athlete=athlete).count() == 1
    assert DBTaskResult.objects.count() == 1


def test_a_hand_link_and_the_workers_match_of_one_session_serialize(coach_and_athlete, tmp_path):
    """The worker matches an upload to the session while a coach links another activity to it: one wins, the
    other is refused (409) or matches nothing; never two activities on one session."""
    client, athlete = coach_and_athlete
    start = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)
    program = TrainingProgramFactory(athlete=athlete, start_date=start.date(), end_date=start.date())
    session = TrainingSessionFactory(program=program, scheduled_at=start, modality="run")
    linked_by_hand = ActivityFactory(athlete=athlete, started_at=start)
    assert upload(client, athlete.pk, "a.fit", fit_activity(start=start, seconds=600)).status_code == 202
    workers = start_workers(1, tmp_path)
    response = client.post(
        f"/api/v1/activities/{linked_by_hand.pk}/link/", {"sessionId": str(session.pk)}, format="json"
    )
    wait_for(workers, tmp_path)
    session.refresh_from_db()
    uploaded = Activity.objects.exclude(pk=linked_by_hand.pk).get(athlete=athlete)
    if response.status_code == 200:
        assert session.activity_id == linked_by_hand.pk
        assert uploaded.status == "done" and not TrainingSession.objects.filter(activity=uploaded).exists()
    else:
        assert response.status_code == 409
        assert session.activity_id == uploaded.pk
