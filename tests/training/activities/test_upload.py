"""The upload (`POST /api/v1/athletes/{id}/activities/`): what it accepts and refuses, who may upload for whom,
the same file twice, and its job enqueued in the upload's own transaction. Jobs run in this process here
(tests.support.activity_files.run_enqueued_jobs); test_worker runs the real worker."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from tests.support.activity_files import fit_activity, gpx_activity, gzip_bytes, run_enqueued_jobs, upload
from training.activities import services
from training.activities.models import Activity

pytestmark = pytest.mark.django_db


def _athlete(world, which="A"):
    return world[which]["athletes"]


def test_an_upload_answers_202_with_the_id_and_pending_and_enqueues_its_job(world):
    data = fit_activity(seconds=600)
    response = upload(world.client("coach"), _athlete(world).pk, "Morning Run.fit", data)
    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == {"id", "status"} and body["status"] == "pending"
    activity = Activity.objects.get(pk=body["id"])
    assert (activity.file_name, activity.sha256, activity.size_bytes) == (
        "Morning Run.fit",
        hashlib.sha256(data).hexdigest(),
        len(data),
    )
    job = DBTaskResult.objects.get()
    assert job.task_path == "training.activities.tasks.activity_process_task"
    assert job.args_kwargs["kwargs"] == {"activity_id": body["id"]}
    assert run_enqueued_jobs() == 1
    activity.refresh_from_db()
    assert (activity.status, activity.duration_seconds) == ("done", 600)


def test_the_same_file_again_is_200_with_the_existing_activity_and_no_new_job(world):
    client, athlete = world.client("coach"), _athlete(world)
    data = gpx_activity()
    first = upload(client, athlete.pk, "a.gpx", data).json()
    again = upload(client, athlete.pk, "renamed.gpx", data)
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["fileName"] == "a.gpx"
    assert Activity.objects.filter(athlete=athlete).count() == 2  # the world's and this one
    assert DBTaskResult.objects.count() == 1


def test_the_same_file_for_another_athlete_is_another_activity(world):
    data = gpx_activity()
    head = world.client("head coach")
    assert upload(head, _athlete(world, "A").pk, "a.gpx", data).status_code == 202
    assert upload(head, _athlete(world, "B").pk, "a.gpx", data).status_code == 202


@pytest.mark.parametrize("name", ["a.fit", "A.TCX", "a.gpx", "a.fit.gz", "a.tcx.gz", "a.GPX.GZ"])
def test_every_accepted_extension_is_202(world, name):
    assert upload(world.client("coach"), _athlete(world).pk, name, b"some bytes").status_code == 202


@pytest.mark.parametrize("name", ["a.csv", "a.fit.zip", "a.gz", "fit", "a.fitx", "a.gpx.gz.txt", ""])
def test_another_extension_is_400_on_file(world, name):
    response = upload(world.client("coach"), _athlete(world).pk, name or "noname", b"bytes")
    assert response.status_code == 400
    assert "file" in response.json()
    assert not DBTaskResult.objects.exists()


def test_an_empty_file_is_400(world):
    response = upload(world.client("coach"), _athlete(world).pk, "a.fit", b"")
    assert response.status_code == 400
    assert response.json() == {"file": ["The file is empty."]}


def test_no_file_is_400_and_json_is_415(world):
    client, path = world.client("coach"), f"/api/v1/athletes/{_athlete(world).pk}/activities/"
    assert client.post(path, {"other": "x"}, format="multipart").status_code == 400
    assert client.post(path, {"file": "x"}, format="json").status_code == 415


@override_settings(ACTIVITY_MAX_BYTES=1000)
def test_a_file_over_activity_max_bytes_is_413_and_one_at_it_is_accepted(world):
    client, athlete = world.client("coach"), _athlete(world)
    assert upload(client, athlete.pk, "a.gpx", b"x" * 1000).status_code == 202
    response = upload(client, athlete.pk, "b.gpx", b"y" * 1001)
    assert response.status_code == 413
    assert "1000 bytes" in response.json()["detail"]
    assert not Activity.objects.filter(file_name="b.gpx").exists()


@override_settings(ACTIVITY_MAX_BYTES=1000)
def test_a_body_far_over_the_limit_is_413_before_it_is_read(world):
    response = upload(world.client("coach"), _athlete(world).pk, "a.gpx", b"z" * 200_000)
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("role", "which", "status"),
    [
        ("coach", "A", 202),
        ("coach", "B", 404),
        ("head coach", "B", 202),
        ("coach without athletes", "A", 404),
        ("athlete", "A", 202),  # their own
        ("athlete", "B", 404),
        ("operations", "A", 403),
        ("staff without groups", "A", 403),
        ("anonymous", "A", 401),
    ],
)
def test_who_may_upload_for_whom(world, role, which, status):
    before = Activity.objects.count()
    response = upload(world.client(role), _athlete(world, which).pk, "a.fit", fit_activity(seconds=60))
    assert response.status_code == status, response.content
    assert Activity.objects.count() == before + (1 if status == 202 else 0)


def test_an_unknown_athlete_is_404(world):
    response = upload(world.client("head coach"), "0190d7a0-0000-7000-8000-000000000000", "a.fit", b"x")
    assert response.status_code == 404


def test_a_rolled_back_upload_leaves_no_row_and_no_job(world):
    before = Activity.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.activity_upload(
            athlete_id=_athlete(world).pk, upload=ContentFile(b"abc", name="a.gpx"), file_name="a.gpx", sha256="0" * 64
        )
        assert DBTaskResult.objects.count() == 1  # enqueued inside the transaction ...
        raise RuntimeError("the caller fails after the upload")
    assert Activity.objects.count() == before  # ... and gone with it
    assert not DBTaskResult.objects.exists()


def test_the_file_is_returned_exactly_as_uploaded(world):
    data = gzip_bytes(gpx_activity())
    client = world.client("coach")
    created = upload(client, _athlete(world).pk, "evening.gpx.gz", data).json()
    response = client.get(f"/api/v1/activities/{created['id']}/file/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert 'filename="evening.gpx.gz"' in response["Content-Disposition"]
    other = world.client("other coach").get(f"/api/v1/activities/{created['id']}/file/")
    assert other.status_code == 404


def test_a_file_missing_from_storage_is_404_to_download_and_fails_to_process(world):
    activity = world.A["activities"]  # the factory's row names a file that was never stored
    response = world.client("coach").get(f"/api/v1/activities/{activity.pk}/file/")
    assert response.status_code == 404
    assert "missing from storage" in response.json()["detail"]
    Activity.objects.filter(pk=activity.pk).update(status="pending")
    assert services.activity_process(activity_id=activity.pk) == "failed"
    assert Activity.objects.get(pk=activity.pk).error == "The uploaded file is missing from storage."


def test_an_unexpected_error_reading_a_file_fails_that_file_only(world, monkeypatch):
    client, athlete = world.client("coach"), _athlete(world)
    upload(client, athlete.pk, "a.gpx", gpx_activity())
    upload(client, athlete.pk, "b.gpx", gpx_activity(heart_rate=120))
    real_read = services.parsing.read

    def read(stream, *, name, limit):
        if name == "a.gpx":
            raise ValueError("a bug, not a bad file")
        return real_read(stream, name=name, limit=limit)

    monkeypatch.setattr(services.parsing, "read", read)
    assert run_enqueued_jobs() == 2
    statuses = dict(Activity.objects.filter(athlete=athlete).values_list("file_name", "status"))
    assert (statuses["a.gpx"], statuses["b.gpx"]) == ("failed", "done")
    assert Activity.objects.get(file_name="a.gpx").error == "The file could not be read (ValueError)."


def test_a_job_run_twice_changes_nothing_the_second_time(world):
    client, athlete = world.client("coach"), _athlete(world)
    created = upload(client, athlete.pk, "a.gpx", gpx_activity()).json()
    assert services.activity_process(activity_id=created["id"]) == "done"
    version = Activity.objects.get(pk=created["id"]).version
    assert services.activity_process(activity_id=created["id"]) == "done"
    assert Activity.objects.get(pk=created["id"]).version == version
